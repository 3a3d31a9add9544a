"""MaxCompute data types: parsing type names, canonical names, value limits.

Type names follow the lower-case spelling the Tunnel schema JSON uses
(spec section 3.2: ``bigint``, ``decimal(10,2)``, ``varchar(20)``,
``array<bigint>``).  Limits come from spec section 5.2.

In-memory value representation (used by the record codec, the catalog and
the SQL engine):
  BOOLEAN -> bool; TINYINT..BIGINT -> int; FLOAT/DOUBLE -> float;
  STRING/VARCHAR/CHAR/JSON -> str (undecodable STRING bytes kept with
  'surrogateescape'); BINARY -> bytes; DECIMAL -> decimal.Decimal;
  DATE -> int days since 1970-01-01; DATETIME -> int ms since epoch (UTC);
  TIMESTAMP/TIMESTAMP_NTZ/INTERVAL_DAY_TIME -> (seconds, nanos) tuple;
  INTERVAL_YEAR_MONTH -> int months; ARRAY -> list; MAP -> list of (k, v);
  STRUCT -> list of field values in declaration order.
"""

import decimal
import re

INTEGER_RANGES = {
    "tinyint": (-128, 127),
    "smallint": (-32768, 32767),
    "int": (-2 ** 31, 2 ** 31 - 1),
    # Spec 5.1/5.2: the documented BIGINT range is -2^63+1 .. 2^63-1.
    "bigint": (-2 ** 63 + 1, 2 ** 63 - 1),
}

MAX_FIELD_SIZE = 8 * 1024 * 1024          # STRING/BINARY cell limit (5.2, 3.1)
MAX_VARCHAR = 65535
MAX_CHAR = 255
MAX_DECIMAL_PRECISION = 38
MAX_DECIMAL_SCALE = 18
MAX_DECIMAL_SCALE_EXTENDED = 38

# DATE 0001-01-01 .. 9999-12-31 and DATETIME with ms precision (5.2).
MIN_DATE_DAYS = -719162
MAX_DATE_DAYS = 2932896
MIN_DATETIME_MS = MIN_DATE_DAYS * 86400000
MAX_DATETIME_MS = (MAX_DATE_DAYS + 1) * 86400000 - 1
MIN_TS_SECONDS = MIN_DATE_DAYS * 86400
MAX_TS_SECONDS = (MAX_DATE_DAYS + 1) * 86400 - 1

PRIMITIVES = {
    "boolean", "tinyint", "smallint", "int", "bigint", "float", "double",
    "string", "binary", "json", "date", "datetime", "timestamp",
    "timestamp_ntz", "interval_day_time", "interval_year_month",
}
INTEGER_KINDS = ("tinyint", "smallint", "int", "bigint")
TEXT_KINDS = ("string", "varchar", "char", "json")

# Types a table column may not have (they only exist in expressions).
NOT_STORABLE = ("interval_day_time", "interval_year_month")

# Types that exist only with the 2.0 type system (spec 2.3, 5.2, section 6 #12).
ODPS2_ONLY = {"tinyint", "smallint", "int", "float", "varchar", "char", "date",
              "timestamp", "timestamp_ntz", "binary", "interval_day_time",
              "interval_year_month", "json"}


class TypeError_(ValueError):
    """A type name that cannot be parsed or violates a limit."""


class DataType:
    __slots__ = ("kind", "length", "precision", "scale", "elem", "key",
                 "value", "fields")

    def __init__(self, kind, length=None, precision=None, scale=None,
                 elem=None, key=None, value=None, fields=None):
        self.kind = kind
        self.length = length
        self.precision = precision
        self.scale = scale
        self.elem = elem
        self.key = key
        self.value = value
        self.fields = fields

    def __str__(self):
        k = self.kind
        if k in ("varchar", "char"):
            return "%s(%d)" % (k, self.length)
        if k == "decimal":
            if self.precision is None:
                return "decimal"
            return "decimal(%d,%d)" % (self.precision, self.scale)
        if k == "array":
            return "array<%s>" % self.elem
        if k == "map":
            return "map<%s,%s>" % (self.key, self.value)
        if k == "struct":
            return "struct<%s>" % ",".join("%s:%s" % (n, t) for n, t in self.fields)
        return k

    def __repr__(self):
        return "DataType(%s)" % self

    def __eq__(self, other):
        return isinstance(other, DataType) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    # Classification helpers used by the codec and the SQL engine.
    @property
    def is_integer(self):
        return self.kind in INTEGER_KINDS

    @property
    def is_numeric(self):
        return self.kind in INTEGER_KINDS or self.kind in ("float", "double", "decimal")

    @property
    def is_text(self):
        return self.kind in TEXT_KINDS

    @property
    def is_complex(self):
        return self.kind in ("array", "map", "struct")

    def decimal_bounds(self):
        """(precision, scale) actually enforced; decimal without parameters
        is the 1.0 DECIMAL(54,18) (spec 5.2)."""
        if self.precision is None:
            return 54, 18
        return self.precision, self.scale


_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\d+|[<>(),:]|`[^`]*`)")


def _tokenize(text):
    pos = 0
    out = []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise TypeError_("invalid type definition: %s" % text)
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _TypeParser:
    def __init__(self, text, extended_scale=False):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.extended_scale = extended_scale

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected=None):
        tok = self.peek()
        if tok is None or (expected is not None and tok.lower() != expected):
            raise TypeError_("invalid type definition: %s" % self.text)
        self.i += 1
        return tok

    def parse(self):
        t = self.parse_type()
        if self.peek() is not None:
            raise TypeError_("invalid type definition: %s" % self.text)
        return t

    def _int(self):
        tok = self.take()
        if not tok.isdigit():
            raise TypeError_("invalid type definition: %s" % self.text)
        return int(tok)

    def parse_type(self):
        name = self.take().lower()
        if name in PRIMITIVES:
            return DataType(name)
        if name in ("varchar", "char"):
            self.take("(")
            n = self._int()
            self.take(")")
            limit = MAX_VARCHAR if name == "varchar" else MAX_CHAR
            if n < 1 or n > limit:
                raise TypeError_("%s length must be between 1 and %d, got %d"
                                 % (name, limit, n))
            return DataType(name, length=n)
        if name == "decimal":
            if self.peek() != "(":
                return DataType("decimal")
            self.take("(")
            p = self._int()
            s = 0
            if self.peek() == ",":
                self.take(",")
                s = self._int()
            self.take(")")
            max_scale = MAX_DECIMAL_SCALE_EXTENDED if self.extended_scale else MAX_DECIMAL_SCALE
            if p < 1 or p > MAX_DECIMAL_PRECISION:
                raise TypeError_("decimal(%d,%d) precision must be between 1 and %d"
                                 % (p, s, MAX_DECIMAL_PRECISION))
            if s > max_scale or s > p:
                raise TypeError_("decimal(%d,%d) scale must be between 0 and %d and not greater than precision"
                                 % (p, s, min(p, max_scale)))
            return DataType("decimal", precision=p, scale=s)
        if name == "array":
            self.take("<")
            e = self.parse_type()
            self.take(">")
            return DataType("array", elem=e)
        if name == "map":
            self.take("<")
            k = self.parse_type()
            self.take(",")
            v = self.parse_type()
            self.take(">")
            return DataType("map", key=k, value=v)
        if name == "struct":
            self.take("<")
            fields = []
            while True:
                fname = self.take()
                if fname.startswith("`"):
                    fname = fname[1:-1]
                self.take(":")
                fields.append((fname, self.parse_type()))
                if self.peek() == ",":
                    self.take(",")
                    continue
                break
            self.take(">")
            return DataType("struct", fields=fields)
        raise TypeError_("unknown type %s" % name)


def parse_type(text, extended_scale=False):
    """Parse a MaxCompute type name (any case) into a DataType."""
    return _TypeParser(text, extended_scale).parse()


def walk(t):
    """Yield t and every nested type."""
    yield t
    if t.kind == "array":
        yield from walk(t.elem)
    elif t.kind == "map":
        yield from walk(t.key)
        yield from walk(t.value)
    elif t.kind == "struct":
        for _, ft in t.fields:
            yield from walk(ft)


# ---------------------------------------------------------------------------
# Value checks shared by the tunnel codec and SQL writes (spec 3.7, 5.2).

class ValueError_(ValueError):
    """A value that does not fit its column type."""


def quantize_decimal(d, t):
    """Round half-up to the column scale (what pyodps' Decimal.validate_value
    does before its overflow check) and refuse integer-digit overflow."""
    precision, scale = t.decimal_bounds()
    if not d.is_finite():
        raise ValueError_("decimal value %s is not finite" % d)
    ctx = decimal.Context(prec=200)
    q = d.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP,
                   context=ctx)
    # Leading zeros of the integer part do not count.
    int_part = abs(q).to_integral_value(rounding=decimal.ROUND_DOWN)
    int_digits = 0 if int_part == 0 else len(str(int_part))
    if int_digits > precision - scale:
        raise ValueError_("decimal value %s overflow, max integer digit number is %d"
                          % (d, precision - scale))
    return q


def check_value(v, t, max_field_size=MAX_FIELD_SIZE):
    """Validate (and normalise) a non-NULL value for type t; returns it."""
    k = t.kind
    if k in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[k]
        if not (lo <= v <= hi):
            raise ValueError_("%s value %d out of range [%d, %d]" % (k, v, lo, hi))
        return v
    if k in ("string", "json"):
        n = len(v.encode("utf-8", "surrogateescape"))
        if n > max_field_size:
            raise ValueError_("%s value of %d bytes exceeds the field size limit %d"
                              % (k, n, max_field_size))
        return v
    if k == "binary":
        if len(v) > max_field_size:
            raise ValueError_("binary value of %d bytes exceeds the field size limit %d"
                              % (len(v), max_field_size))
        return v
    if k in ("varchar", "char"):
        if len(v) > t.length:
            raise ValueError_("%s value of %d characters is longer than %s"
                              % (k, len(v), t))
        return v
    if k == "decimal":
        return quantize_decimal(v, t)
    if k == "date":
        if not (MIN_DATE_DAYS <= v <= MAX_DATE_DAYS):
            raise ValueError_("date value out of range 0001-01-01 .. 9999-12-31")
        return v
    if k == "datetime":
        if not (MIN_DATETIME_MS <= v <= MAX_DATETIME_MS):
            raise ValueError_("datetime value out of range 0001-01-01 00:00:00.000 .. 9999-12-31 23:59:59.999")
        return v
    if k in ("timestamp", "timestamp_ntz"):
        s, ns = v
        if not (0 <= ns <= 999999999):
            raise ValueError_("timestamp nanos %d out of range" % ns)
        if not (MIN_TS_SECONDS <= s <= MAX_TS_SECONDS):
            raise ValueError_("timestamp value out of range 0001-01-01 .. 9999-12-31")
        return v
    if k == "array":
        return [None if e is None else check_value(e, t.elem, max_field_size) for e in v]
    if k == "map":
        out = []
        for mk, mv in v:
            if mk is None:
                raise ValueError_("map key must not be NULL")
            out.append((check_value(mk, t.key, max_field_size),
                        None if mv is None else check_value(mv, t.value, max_field_size)))
        return out
    if k == "struct":
        return [None if fv is None else check_value(fv, ft, max_field_size)
                for fv, (_, ft) in zip(v, t.fields)]
    return v
