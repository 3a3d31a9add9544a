"""Column types of the emulated StarRocks: parsing type names, converting load/SQL
input into stored values, and rendering stored values the way the FE renders them.

Spec references: specs/starrocks.md §3.2 "Limits", §3.3 (rendering in load bodies),
§4 behaviours 20-22 (conversion failures, NOT NULL, string byte lengths).

Stored (canonical) representation, chosen to be JSON-serialisable for persistence:
  BOOLEAN            int 0/1
  TINYINT..LARGEINT  int
  FLOAT/DOUBLE       float
  DECIMAL(p,s)       str with exactly s fractional digits ("12.30")
  DATE               str "YYYY-MM-DD"
  DATETIME           str "YYYY-MM-DD HH:MM:SS" or "...SS.ffffff" (v3.3 keeps microseconds, PR #45407)
  CHAR/VARCHAR       str
  VARBINARY          str of lowercase hex digits (the bytes)
  JSON               str, canonical JSON text
"""

import decimal
import json
import re
import struct

INT_RANGES = {
    "TINYINT": (-(1 << 7), (1 << 7) - 1),
    "SMALLINT": (-(1 << 15), (1 << 15) - 1),
    "INT": (-(1 << 31), (1 << 31) - 1),
    "BIGINT": (-(1 << 63), (1 << 63) - 1),
    "LARGEINT": (-(1 << 127), (1 << 127) - 1),
}
# Display widths StarRocks prints in SHOW CREATE TABLE / COLUMN_TYPE (bigint(20) ...).
INT_DISPLAY = {"TINYINT": 4, "SMALLINT": 6, "INT": 11, "BIGINT": 20, "LARGEINT": 40}

MAX_VARCHAR = 1048576      # §3.2 Limits: VARCHAR 1..1048576 bytes (v2.1-v4.1)
MAX_CHAR = 255             # CHAR 1..255 bytes
STRING_LEN = 65533         # STRING = VARCHAR(65533)
MAX_VARBINARY = 1048576
MAX_DECIMAL_PRECISION = 38  # DECIMAL p 1..38 before v4.0


class TypeError_(Exception):
    """Invalid type declaration (reported by CREATE/ALTER TABLE)."""


class ConvertError(Exception):
    """A value that cannot be converted to the column type (behaviour 20)."""


class TypeSpec:
    __slots__ = ("base", "length", "precision", "scale")

    def __init__(self, base, length=None, precision=None, scale=None):
        self.base = base
        self.length = length
        self.precision = precision
        self.scale = scale

    def to_json(self):
        return {"base": self.base, "length": self.length, "precision": self.precision, "scale": self.scale}

    @staticmethod
    def from_json(d):
        return TypeSpec(d["base"], d.get("length"), d.get("precision"), d.get("scale"))

    def __eq__(self, other):
        return isinstance(other, TypeSpec) and self.to_json() == other.to_json()

    def is_string(self):
        return self.base in ("CHAR", "VARCHAR")

    def is_int(self):
        return self.base in INT_RANGES

    def sql(self, ddl=False):
        """Type as information_schema.COLUMNS.COLUMN_TYPE prints it, or with ddl=True as SHOW
        CREATE TABLE prints it (ScalarType.toSql: "decimal(18, 2)" with a space)."""
        b = self.base
        if b in INT_DISPLAY:
            return "%s(%d)" % (b.lower(), INT_DISPLAY[b])
        if b == "DECIMAL":
            return ("decimal(%d, %d)" if ddl else "decimal(%d,%d)") % (self.precision, self.scale)
        if b in ("CHAR", "VARCHAR", "VARBINARY"):
            return "%s(%d)" % (b.lower(), self.length)
        return b.lower()

    def data_type(self):
        """information_schema.COLUMNS.DATA_TYPE. BOOLEAN is reported as tinyint (§2.6)."""
        if self.base == "BOOLEAN":
            return "tinyint"
        return self.base.lower()


def make_type(name, args):
    """Build a TypeSpec from a SQL type name and its numeric arguments; raises TypeError_."""
    n = name.upper()
    aliases = {"INTEGER": "INT", "BOOL": "BOOLEAN", "NUMERIC": "DECIMAL", "DECIMALV3": "DECIMAL",
               "DECIMAL32": "DECIMAL", "DECIMAL64": "DECIMAL", "DECIMAL128": "DECIMAL",
               "BINARY": "VARBINARY", "REAL": "DOUBLE"}
    n = aliases.get(n, n)
    if n in INT_RANGES:
        return TypeSpec(n)  # display width, if given, is ignored as in StarRocks
    if n in ("BOOLEAN", "FLOAT", "DOUBLE", "DATE", "DATETIME", "JSON"):
        if args:
            raise TypeError_("type %s does not take arguments" % n)
        return TypeSpec(n)
    if n in ("STRING", "TEXT"):
        return TypeSpec("VARCHAR", length=STRING_LEN)
    if n == "CHAR":
        ln = args[0] if args else 1
        if ln < 1 or ln > MAX_CHAR:
            raise TypeError_("Char size must be between 1 and 255")
        return TypeSpec("CHAR", length=ln)
    if n == "VARCHAR":
        ln = args[0] if args else 1
        if ln < 1 or ln > MAX_VARCHAR:
            raise TypeError_("Varchar size must be between 1 and %d" % MAX_VARCHAR)
        return TypeSpec("VARCHAR", length=ln)
    if n == "VARBINARY":
        ln = args[0] if args else MAX_VARBINARY
        if ln < 1 or ln > MAX_VARBINARY:
            raise TypeError_("Varbinary size must be between 1 and %d" % MAX_VARBINARY)
        return TypeSpec("VARBINARY", length=ln)
    if n == "DECIMAL":
        p = args[0] if len(args) >= 1 else 10
        s = args[1] if len(args) >= 2 else 0
        if p < 1 or p > MAX_DECIMAL_PRECISION:
            raise TypeError_("DECIMAL's precision should range from 1 to 38")
        if s < 0 or s > p:
            raise TypeError_("DECIMAL(P[,S]) type P must be greater than or equal to the value of S")
        return TypeSpec("DECIMAL", precision=p, scale=s)
    raise TypeError_("Unsupported type: %s" % name)


# ---------------------------------------------------------------- conversion

_INT_RE = re.compile(r"^[+-]?\d+$")
_DEC_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DT_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?$")


def _days_in_month(y, m):
    if m == 2:
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        return 29 if leap else 28
    return 31 if m in (1, 3, 5, 7, 8, 10, 12) else 30


def _check_date(y, mo, d):
    # Range 0000-01-01 .. 9999-12-31 (§3.2); year 0 is valid in StarRocks.
    if not (1 <= mo <= 12) or not (1 <= d <= _days_in_month(y, mo)):
        raise ConvertError("invalid date")


def parse_date(text):
    m = _DT_RE.match(text.strip())
    if not m:
        raise ConvertError("invalid date")
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    _check_date(y, mo, d)
    return "%04d-%02d-%02d" % (y, mo, d)


def parse_datetime(text):
    m = _DT_RE.match(text.strip())
    if not m:
        raise ConvertError("invalid datetime")
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    _check_date(y, mo, d)
    hh = int(m.group(4) or 0)
    mi = int(m.group(5) or 0)
    ss = int(m.group(6) or 0)
    frac = m.group(7) or ""
    if hh > 23 or mi > 59 or ss > 59:
        raise ConvertError("invalid datetime")
    us = int(frac.ljust(6, "0")) if frac else 0
    s = "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, hh, mi, ss)
    if us:
        s += ".%06d" % us
    return s


def _to_decimal(t, text):
    text = text.strip()
    if not _DEC_RE.match(text):
        raise ConvertError("invalid decimal")
    try:
        d = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ConvertError("invalid decimal")
    q = decimal.Decimal(1).scaleb(-t.scale)
    with decimal.localcontext() as ctx:
        ctx.prec = 200
        d = d.quantize(q, rounding=decimal.ROUND_HALF_UP)
    digits = d.as_tuple().digits
    int_digits = len(digits) - t.scale if d != 0 else 0
    if int_digits > t.precision - t.scale:
        raise ConvertError("decimal overflow")
    s = format(d, "f")
    if s.startswith("-") and decimal.Decimal(s) == 0:
        s = s[1:]
    return s


def _to_float(t, text):
    text = text.strip()
    if not _DEC_RE.match(text):
        raise ConvertError("invalid float")
    v = float(text)
    if v != v or v in (float("inf"), float("-inf")):
        raise ConvertError("invalid float")
    if t.base == "FLOAT":
        try:
            v = struct.unpack("<f", struct.pack("<f", v))[0]
        except OverflowError:
            raise ConvertError("float overflow")
    return v


def _check_json(text):
    try:
        v = json.loads(text)
    except (ValueError, RecursionError):
        raise ConvertError("invalid json")
    return canonical_json(v)


def canonical_json(v):
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def convert_text(t, text):
    """Convert textual input (a CSV field, a SQL literal, a `columns` constant) to the stored
    value. Raises ConvertError when StarRocks' cast would fail. String length limits are NOT
    checked here: they are a sink check (behaviour 22), see check_length()."""
    b = t.base
    if b in INT_RANGES:
        s = text.strip()
        if not _INT_RE.match(s):
            raise ConvertError("invalid integer")
        v = int(s)
        lo, hi = INT_RANGES[b]
        if v < lo or v > hi:
            raise ConvertError("out of range")
        return v
    if b == "BOOLEAN":
        s = text.strip().lower()
        if s in ("1", "true"):
            return 1
        if s in ("0", "false"):
            return 0
        raise ConvertError("invalid boolean")
    if b == "DECIMAL":
        return _to_decimal(t, text)
    if b in ("FLOAT", "DOUBLE"):
        return _to_float(t, text)
    if b == "DATE":
        return parse_date(text)
    if b == "DATETIME":
        return parse_datetime(text)
    if b in ("CHAR", "VARCHAR"):
        return text
    if b == "VARBINARY":
        # CSV carries VARBINARY as hex text (D-TYPES BINARY.md).
        s = text.strip()
        if len(s) % 2 or not re.match(r"^[0-9a-fA-F]*$", s):
            raise ConvertError("invalid hex")
        return s.lower()
    if b == "JSON":
        return _check_json(text)
    raise ConvertError("unsupported type")


class RawNumber(str):
    """A JSON number kept as its source text, so DECIMAL/LARGEINT loads use the exact token (§3.3)."""


def json_loads_raw(text):
    return json.loads(text, parse_float=RawNumber, parse_int=RawNumber)


def _unraw(v):
    if isinstance(v, RawNumber):
        s = str(v)
        return int(s) if _INT_RE.match(s) else float(s)
    if isinstance(v, list):
        return [_unraw(x) for x in v]
    if isinstance(v, dict):
        return {k: _unraw(x) for k, x in v.items()}
    return v


def convert_json(t, v):
    """Convert a value from a JSON load body (already parsed with json_loads_raw). None is NULL
    and must be handled by the caller. Rules of §3.3."""
    b = t.base
    if b == "JSON":
        return canonical_json(_unraw(v))
    if b == "VARBINARY":
        # "BINARY type is only supported in CSV file" (D-TYPES BINARY.md).
        raise ConvertError("VARBINARY is only supported in CSV loads")
    if isinstance(v, bool):
        if b in ("CHAR", "VARCHAR"):
            return "1" if v else "0"
        if b == "BOOLEAN" or b in INT_RANGES:
            return 1 if v else 0
        raise ConvertError("invalid value")
    if isinstance(v, RawNumber):
        if b == "BOOLEAN":
            try:
                return 1 if float(v) != 0 else 0
            except ValueError:
                raise ConvertError("invalid boolean")
        if b in ("DATE", "DATETIME"):
            raise ConvertError("invalid date")
        return convert_text(t, str(v))
    if isinstance(v, str):
        return convert_text(t, v)
    # object / array
    if b in ("CHAR", "VARCHAR"):
        return json.dumps(_unraw(v), ensure_ascii=False, separators=(",", ":"))
    raise ConvertError("invalid value")


def byte_length(t, v):
    if t.base == "VARBINARY":
        return len(v) // 2
    return len(v.encode("utf-8"))


def check_length(t, v):
    """True if a string/binary value fits the declared byte length (behaviour 22)."""
    if t.base in ("CHAR", "VARCHAR", "VARBINARY"):
        return byte_length(t, v) <= t.length
    return True


# ---------------------------------------------------------------- rendering

def _float_text(v, single):
    if v == int(v) and abs(v) < 1e16:
        return str(int(v))
    if single:
        for p in range(1, 10):
            s = "%.*g" % (p, v)
            try:
                if struct.unpack("<f", struct.pack("<f", float(s)))[0] == v:
                    return s
            except OverflowError:
                continue  # a short form of a value near FLT_MAX rounds past it: try more digits
    return repr(v)


def render(t, v):
    """Text of a stored value in a MySQL-protocol result set (None = SQL NULL)."""
    if v is None:
        return None
    b = t.base
    if b in ("FLOAT", "DOUBLE"):
        return _float_text(v, b == "FLOAT")
    if b == "VARBINARY":
        return bytes.fromhex(v)
    return str(v)


def render_sql_literal(t, v):
    """How SHOW CREATE TABLE prints a DEFAULT."""
    return '"%s"' % str(v).replace('"', '\\"')


def compare_key(t, v):
    """Sort key for ORDER BY (NULLs first, as StarRocks does for ASC)."""
    if v is None:
        return (0, 0)
    if t.base == "DECIMAL":
        return (1, decimal.Decimal(v))
    return (1, v)


def default_value(col_type, default):
    """Value of a column DEFAULT for a new row (None if no default)."""
    if default is None:
        return None
    if isinstance(default, dict) and default.get("expr") == "CURRENT_TIMESTAMP":
        import datetime
        return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return convert_text(col_type, default)


# Widening allowed by MODIFY COLUMN (StarRocks SchemaChangeHandler / ColumnType.isSchemaChangeAllowed):
# integer widening, VARCHAR length increase, CHAR->VARCHAR of >= length, DECIMAL precision
# increase with the same scale, FLOAT->DOUBLE, DATE->DATETIME.
_INT_ORDER = ["TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT"]


def modify_allowed(old, new):
    if old == new:
        return True
    if old.base in _INT_ORDER and new.base in _INT_ORDER:
        return _INT_ORDER.index(new.base) >= _INT_ORDER.index(old.base)
    if old.base in _INT_ORDER and new.base == "VARCHAR":
        return True
    if old.base == "VARCHAR" and new.base == "VARCHAR":
        return new.length >= old.length
    if old.base == "CHAR" and new.base == "VARCHAR":
        return new.length >= old.length
    if old.base == "DECIMAL" and new.base == "DECIMAL":
        return new.scale == old.scale and new.precision >= old.precision
    if old.base == "FLOAT" and new.base == "DOUBLE":
        return True
    if old.base == "DATE" and new.base == "DATETIME":
        return True
    return False


def convert_stored(old, new, v):
    """Re-encode a stored value after an allowed MODIFY COLUMN."""
    if v is None:
        return None
    if new.base == "VARCHAR" and old.base != "VARCHAR":
        return render(old, v) if old.base != "CHAR" else v
    if new.base == "DATETIME" and old.base == "DATE":
        return v + " 00:00:00"
    return v
