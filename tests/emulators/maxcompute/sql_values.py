"""Value conversions, parsing and formatting for the SQL subset.

Representation of values: see datatypes.py.  DATETIME is an instant (UTC
epoch ms) that SQL parses and prints in the session time zone
(``odps.sql.timezone``, spec 5.1 and the DATETIME quirk of 3.6); DATE and
TIMESTAMP_NTZ are zone-less; TIMESTAMP is an instant shown in the session
time zone as well.
"""

import datetime as _dt
import decimal
import math
import re
import struct

import datatypes as dt

EPOCH = _dt.datetime(1970, 1, 1)
EPOCH_DATE = _dt.date(1970, 1, 1)

try:
    import zoneinfo
except ImportError:  # pragma: no cover
    zoneinfo = None


class ConversionError(ValueError):
    pass


def get_timezone(name):
    """A tzinfo for 'UTC', 'Asia/Shanghai', 'GMT+8', '+08:00'."""
    if not name or name.upper() in ("UTC", "GMT", "Z"):
        return _dt.timezone.utc
    m = re.match(r"^(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$", name.strip(), re.I)
    if m:
        off = _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return _dt.timezone(off if m.group(1) == "+" else -off)
    if zoneinfo is not None:
        try:
            return zoneinfo.ZoneInfo(name)
        except Exception:
            pass
    raise ConversionError("unknown time zone %s" % name)


# ---------------------------------------------------------------------------
# days / ms / (sec, nanos) <-> text

def days_to_date(days):
    return EPOCH_DATE + _dt.timedelta(days=days)


def date_to_days(d):
    return (d - EPOCH_DATE).days


def format_date(days):
    d = days_to_date(days)
    return "%04d-%02d-%02d" % (d.year, d.month, d.day)


def _naive_from_utc_ms(ms, tz):
    secs, msec = divmod(ms, 1000)
    base = EPOCH + _dt.timedelta(seconds=secs)
    if tz is not _dt.timezone.utc:
        aware = base.replace(tzinfo=_dt.timezone.utc).astimezone(tz)
        base = aware.replace(tzinfo=None)
    return base, msec


def format_datetime(ms, tz=_dt.timezone.utc, with_ms=None):
    """'YYYY-MM-DD HH:MM:SS' (+ '.mmm' when non-zero or with_ms)."""
    base, msec = _naive_from_utc_ms(ms, tz)
    s = "%04d-%02d-%02d %02d:%02d:%02d" % (base.year, base.month, base.day,
                                          base.hour, base.minute, base.second)
    if with_ms or (with_ms is None and msec):
        s += ".%03d" % msec
    return s


def format_timestamp(v, tz=_dt.timezone.utc):
    secs, nanos = v
    base, _ = _naive_from_utc_ms(secs * 1000, tz)
    s = "%04d-%02d-%02d %02d:%02d:%02d" % (base.year, base.month, base.day,
                                          base.hour, base.minute, base.second)
    if nanos:
        s += "." + ("%09d" % nanos).rstrip("0")
    return s


_DT_RE = re.compile(r"^\s*(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?\s*$")


def _parse_parts(text):
    m = _DT_RE.match(text)
    if not m:
        raise ConversionError("invalid date/time text %r" % text)
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    h = int(m.group(4) or 0)
    mi = int(m.group(5) or 0)
    s = int(m.group(6) or 0)
    frac = m.group(7) or ""
    nanos = int((frac + "000000000")[:9]) if frac else 0
    try:
        naive = _dt.datetime(y, mo, d, h, mi, s)
    except ValueError as e:
        raise ConversionError("invalid date/time text %r: %s" % (text, e))
    return naive, nanos, bool(m.group(4))


def _naive_to_utc_seconds(naive, tz):
    if tz is _dt.timezone.utc:
        delta = naive - EPOCH
    else:
        aware = naive.replace(tzinfo=tz)
        delta = aware.astimezone(_dt.timezone.utc).replace(tzinfo=None) - EPOCH
    return delta.days * 86400 + delta.seconds


def parse_date(text):
    naive, _, has_time = _parse_parts(text)
    if has_time:
        raise ConversionError("invalid date text %r" % text)
    return date_to_days(naive.date())


def parse_datetime(text, tz=_dt.timezone.utc):
    naive, nanos, _ = _parse_parts(text)
    return _naive_to_utc_seconds(naive, tz) * 1000 + nanos // 1000000


def parse_timestamp(text, tz=_dt.timezone.utc):
    naive, nanos, _ = _parse_parts(text)
    return (_naive_to_utc_seconds(naive, tz), nanos)


# ---------------------------------------------------------------------------
# number formatting

def format_double(v):
    if v != v:
        return "NaN"
    if v == math.inf:
        return "Infinity"
    if v == -math.inf:
        return "-Infinity"
    r = repr(v)
    if "e" in r or "E" in r:
        m, e = r.lower().split("e")
        if "." not in m:
            m += ".0"
        return "%sE%d" % (m, int(e))
    return r


def format_float(v):
    # shortest repr that round-trips through binary32
    if v != v or v in (math.inf, -math.inf):
        return format_double(v)
    for digits in range(1, 18):
        s = "%.*g" % (digits, v)
        # near FLT_MAX a short decimal rounds past it: not a binary32 value
        if to_float32(float(s)) == v:
            f = float(s)
            return format_double(f)
    return format_double(v)


def to_float32(v):
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        return math.inf if v > 0 else -math.inf


# ---------------------------------------------------------------------------
# text rendering of a typed value (CAST AS STRING, SELECT results)

def to_text(v, t, tz=_dt.timezone.utc):
    if v is None:
        return None
    k = t.kind
    if k == "boolean":
        return "true" if v else "false"
    if k in dt.INTEGER_RANGES or k == "interval_year_month":
        return str(v)
    if k == "double":
        return format_double(v)
    if k == "float":
        return format_float(v)
    if k == "decimal":
        return format(v, "f")
    if k in ("string", "varchar", "char", "json"):
        return v
    if k == "binary":
        return v.decode("utf-8", "replace")
    if k == "date":
        return format_date(v)
    if k == "datetime":
        return format_datetime(v, tz)
    if k == "timestamp":
        return format_timestamp(v, tz)
    if k == "timestamp_ntz":
        return format_timestamp(v)
    if k == "interval_day_time":
        return "%d %09d" % v
    if k == "array":
        return "[" + ",".join("NULL" if e is None else _quote_nested(to_text(e, t.elem, tz), t.elem)
                              for e in v) + "]"
    if k == "map":
        return "{" + ",".join("%s:%s" % (_quote_nested(to_text(a, t.key, tz), t.key),
                                         "NULL" if b is None else _quote_nested(to_text(b, t.value, tz), t.value))
                              for a, b in v) + "}"
    if k == "struct":
        return "{" + ",".join("%s:%s" % (n, "NULL" if fv is None else _quote_nested(to_text(fv, ft, tz), ft))
                              for fv, (n, ft) in zip(v, t.fields)) + "}"
    return str(v)


def _quote_nested(s, t):
    if t.is_text:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


# ---------------------------------------------------------------------------
# conversion between types (CAST and implicit conversion on write)

def _to_int(v, t_from, target, strict):
    k = t_from.kind
    if k in dt.INTEGER_RANGES:
        n = v
    elif k == "boolean":
        n = 1 if v else 0
    elif k in ("float", "double"):
        if v != v or v in (math.inf, -math.inf):
            raise ConversionError("cannot convert %s to %s" % (v, target))
        n = int(v)          # truncates toward zero, like Java's (long) cast
    elif k == "decimal":
        n = int(v)
    elif k in ("string", "varchar", "char"):
        s = v.strip()
        try:
            n = int(s, 10)
        except ValueError:
            try:
                n = int(decimal.Decimal(s))
            except (decimal.InvalidOperation, ValueError):
                if strict:
                    raise ConversionError("cannot convert %r to %s" % (v, target))
                return None
    elif k == "datetime":
        n = v // 1000
    else:
        raise ConversionError("cannot convert %s to %s" % (t_from, target))
    lo, hi = dt.INTEGER_RANGES[target.kind]
    if not lo <= n <= hi:
        raise ConversionError("%s value %s out of range" % (target, n))
    return n


def convert(v, t_from, t_to, tz=_dt.timezone.utc, strict=False):
    """Convert a non-NULL value.  strict=False mimics CAST (unparsable text
    becomes NULL); strict=True is used for implicit conversions on write."""
    if v is None:
        return None
    kf, kt = t_from.kind, t_to.kind
    if str(t_from) == str(t_to):
        return v
    if kt in dt.INTEGER_RANGES:
        return _to_int(v, t_from, t_to, strict)
    if kt in ("double", "float"):
        if kf in dt.INTEGER_RANGES or kf in ("double", "float", "decimal"):
            f = float(v)
        elif kf == "boolean":
            f = 1.0 if v else 0.0
        elif kf in ("string", "varchar", "char"):
            try:
                f = float(v.strip())
            except ValueError:
                if strict:
                    raise ConversionError("cannot convert %r to %s" % (v, t_to))
                return None
        else:
            raise ConversionError("cannot convert %s to %s" % (t_from, t_to))
        return to_float32(f) if kt == "float" else f
    if kt == "decimal":
        if kf in dt.INTEGER_RANGES:
            d = decimal.Decimal(v)
        elif kf in ("double", "float"):
            if v != v or v in (math.inf, -math.inf):
                raise ConversionError("cannot convert %s to decimal" % v)
            d = decimal.Decimal(repr(v))
        elif kf == "decimal":
            d = v
        elif kf in ("string", "varchar", "char"):
            try:
                d = decimal.Decimal(v.strip())
            except decimal.InvalidOperation:
                if strict:
                    raise ConversionError("cannot convert %r to %s" % (v, t_to))
                return None
        elif kf == "boolean":
            d = decimal.Decimal(1 if v else 0)
        else:
            raise ConversionError("cannot convert %s to %s" % (t_from, t_to))
        try:
            return dt.quantize_decimal(d, t_to)
        except dt.ValueError_ as e:
            raise ConversionError(str(e))
    if kt in ("string", "varchar", "char", "json"):
        if kf == "binary":
            s = v.decode("utf-8", "surrogateescape")
        else:
            s = to_text(v, t_from, tz)
        if kt in ("varchar", "char") and len(s) > t_to.length and not strict:
            s = s[:t_to.length]     # CAST to VARCHAR(n)/CHAR(n) truncates; writes are
        return s                    # checked by datatypes.check_value instead
    if kt == "binary":
        if kf in ("string", "varchar", "char"):
            return v.encode("utf-8", "surrogateescape")
        raise ConversionError("cannot convert %s to binary" % t_from)
    if kt == "boolean":
        if kf in ("string", "varchar", "char"):
            s = v.strip().lower()
            if s == "true":
                return True
            if s == "false":
                return False
            if strict:
                raise ConversionError("cannot convert %r to boolean" % v)
            return None
        if t_from.is_numeric:
            return v != 0
        raise ConversionError("cannot convert %s to boolean" % t_from)
    if kt == "date":
        if kf in ("string", "varchar", "char"):
            try:
                return parse_date(v)
            except ConversionError:
                try:
                    naive, _, _ = _parse_parts(v)
                    return date_to_days(naive.date())
                except ConversionError:
                    if strict:
                        raise
                    return None
        if kf == "datetime":
            base, _ = _naive_from_utc_ms(v, tz)
            return date_to_days(base.date())
        if kf in ("timestamp", "timestamp_ntz"):
            base, _ = _naive_from_utc_ms(v[0] * 1000, tz if kf == "timestamp" else _dt.timezone.utc)
            return date_to_days(base.date())
        raise ConversionError("cannot convert %s to date" % t_from)
    if kt == "datetime":
        if kf in ("string", "varchar", "char"):
            try:
                return parse_datetime(v, tz)
            except ConversionError:
                if strict:
                    raise
                return None
        if kf == "date":
            return _naive_to_utc_seconds(_dt.datetime.combine(days_to_date(v), _dt.time()), tz) * 1000
        if kf == "timestamp":
            return v[0] * 1000 + v[1] // 1000000
        if kf == "timestamp_ntz":
            return v[0] * 1000 + v[1] // 1000000
        raise ConversionError("cannot convert %s to datetime" % t_from)
    if kt in ("timestamp", "timestamp_ntz"):
        zone = tz if kt == "timestamp" else _dt.timezone.utc
        if kf in ("string", "varchar", "char"):
            try:
                return parse_timestamp(v, zone)
            except ConversionError:
                if strict:
                    raise
                return None
        if kf == "datetime":
            return (v // 1000, (v % 1000) * 1000000)
        if kf == "date":
            return (_naive_to_utc_seconds(_dt.datetime.combine(days_to_date(v), _dt.time()), zone), 0)
        if kf in ("timestamp", "timestamp_ntz"):
            return v
        raise ConversionError("cannot convert %s to %s" % (t_from, t_to))
    if kt == "array" and kf == "array":
        return [None if e is None else convert(e, t_from.elem, t_to.elem, tz, strict) for e in v]
    if kt == "map" and kf == "map":
        return [(convert(a, t_from.key, t_to.key, tz, strict),
                 None if b is None else convert(b, t_from.value, t_to.value, tz, strict)) for a, b in v]
    if kt == "struct" and kf == "struct" and len(t_from.fields) == len(t_to.fields):
        return [None if fv is None else convert(fv, ft, tt, tz, strict)
                for fv, (_, ft), (_, tt) in zip(v, t_from.fields, t_to.fields)]
    raise ConversionError("cannot convert %s to %s" % (t_from, t_to))


def can_implicitly_write(t_from, t_to):
    """Whether INSERT/MERGE may store a t_from value into a t_to column
    without CAST (decision documented in README: numeric <-> numeric with a
    run-time range check, text -> numeric/date/time, anything scalar -> text;
    complex types need equal shapes)."""
    kf, kt = t_from.kind, t_to.kind
    if str(t_from) == str(t_to):
        return True
    if kf == "void":
        return True
    if t_to.is_numeric:
        return t_from.is_numeric or kf in ("string", "varchar", "char")
    if kt in ("string", "varchar", "char"):
        return not t_from.is_complex and kf != "binary" and kf != "boolean" or kf in ("string", "varchar", "char")
    if kt == "json":
        return kf in ("string", "varchar", "char", "json")
    if kt == "binary":
        return kf in ("binary", "string")
    if kt == "boolean":
        return kf == "boolean"
    if kt in ("date", "datetime", "timestamp", "timestamp_ntz"):
        return kf in ("string", "varchar", "char", "date", "datetime", "timestamp", "timestamp_ntz")
    if kt == "array" and kf == "array":
        return can_implicitly_write(t_from.elem, t_to.elem)
    if kt == "map" and kf == "map":
        return can_implicitly_write(t_from.key, t_to.key) and can_implicitly_write(t_from.value, t_to.value)
    if kt == "struct" and kf == "struct":
        return len(t_from.fields) == len(t_to.fields) and all(
            can_implicitly_write(a, b) for (_, a), (_, b) in zip(t_from.fields, t_to.fields))
    return False
