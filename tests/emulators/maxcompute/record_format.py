"""Tunnel record stream codec (spec maxcompute.md section 3.6), strict.

A block is ``record* trailer``.  A record is, for each non-NULL column in
schema order, ``tag(i+1, wire_type) value``, then ``tag(END_RECORD, 0)`` and
the record's CRC-32C as a uint32 varint.  The trailer is
``tag(META_COUNT, 0) zigzag64(count)`` and ``tag(META_CHECKSUM, 0)
uint32(crc of the record CRCs)``; nothing may follow.

The decoder is schema driven because TIMESTAMP and complex types use wire
type 2 without a length prefix (spec 3.6 "Quirks").  Every violation listed
in spec 3.7 raises MalformedStream; the tunnel turns it into HTTP 400
``MalformedDataStream``.
"""

import decimal
import json
import re
import struct

from crc32c import crc32c
import datatypes as dt

END_RECORD = 33553408
SCHEMA_END = 33553920      # download streams only
METRICS_END = 33554176     # download streams only
META_COUNT = 33554430
META_CHECKSUM = 33554431

WT_VARINT, WT_FIXED64, WT_LENGTH, WT_FIXED32 = 0, 1, 2, 5

_U64 = (1 << 64) - 1
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class MalformedStream(ValueError):
    """The block body violates the record format or a column limit."""


def wire_type(t):
    k = t.kind
    if k in ("boolean", "tinyint", "smallint", "int", "bigint", "date",
             "datetime", "interval_year_month"):
        return WT_VARINT
    if k == "float":
        return WT_FIXED32
    if k == "double":
        return WT_FIXED64
    return WT_LENGTH


# ---------------------------------------------------------------------------
# primitives

def zigzag_encode(n, bits=64):
    return ((n << 1) ^ (n >> (bits - 1))) & ((1 << bits) - 1)


def zigzag_decode(n):
    return (n >> 1) ^ -(n & 1)


def encode_varint(n):
    if n < 0:
        raise ValueError("varint of a negative number")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_tag(field, wt):
    return encode_varint((field << 3) | wt)


class _Reader:
    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf):
        self.buf = buf
        self.pos = 0
        self.end = len(buf)

    def at_end(self):
        return self.pos >= self.end

    def varint(self, what, max_bits=64):
        buf = self.buf
        result = 0
        shift = 0
        pos = self.pos
        while True:
            if pos >= self.end:
                raise MalformedStream("truncated stream while reading %s" % what)
            b = buf[pos]
            pos += 1
            if shift == 63 and b > 1:
                raise MalformedStream("malformed varint for %s" % what)
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise MalformedStream("malformed varint for %s" % what)
        self.pos = pos
        if max_bits < 64 and result >> max_bits:
            raise MalformedStream("%s does not fit in %d bits" % (what, max_bits))
        return result

    def raw(self, n, what):
        if n > self.end - self.pos:
            raise MalformedStream("truncated stream while reading %s" % what)
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return bytes(out)


def _i64(v):
    return struct.pack("<q", v)


# ---------------------------------------------------------------------------
# decoding

def _read_signed(r, what):
    v = zigzag_decode(r.varint(what))
    return v


def _read_value(r, t, crc, max_field_size, what):
    """Read one value of type t (no tag), append its CRC bytes to crc."""
    k = t.kind
    if k == "boolean":
        b = r.varint(what)
        if b not in (0, 1):
            raise MalformedStream("%s: boolean varint must be 0 or 1, got %d" % (what, b))
        crc += b"\x01" if b else b"\x00"
        return bool(b)
    if k in dt.INTEGER_RANGES:
        v = _read_signed(r, what)
        crc += _i64(v)
        return _checked(v, t, max_field_size, what)
    if k in ("date", "datetime", "interval_year_month"):
        v = _read_signed(r, what)
        crc += _i64(v)
        return _checked(v, t, max_field_size, what)
    if k == "float":
        raw = r.raw(4, what)
        crc += raw
        return struct.unpack("<f", raw)[0]
    if k == "double":
        raw = r.raw(8, what)
        crc += raw
        return struct.unpack("<d", raw)[0]
    if k in ("timestamp", "timestamp_ntz", "interval_day_time"):
        secs = _read_signed(r, what)
        nanos_raw = r.varint(what + " nanos", max_bits=32)
        nanos = zigzag_decode(nanos_raw)
        crc += _i64(secs) + struct.pack("<i", nanos)
        if k == "interval_day_time":
            if not 0 <= abs(nanos) <= 999999999:
                raise MalformedStream("%s: nanos %d out of range" % (what, nanos))
            return (secs, nanos)
        return _checked((secs, nanos), t, max_field_size, what)
    if k in ("string", "binary", "varchar", "char", "json", "decimal"):
        n = r.varint(what + " length", max_bits=32)
        limit = max_field_size if k != "decimal" else 1024
        if n > limit:
            raise MalformedStream("%s: value of %d bytes exceeds the field size limit %d"
                                  % (what, n, limit))
        raw = r.raw(n, what)
        crc += raw
        if k == "binary":
            return raw
        if k == "decimal":
            text = raw.decode("ascii", "replace")
            if not _DECIMAL_TEXT.match(text):
                raise MalformedStream("%s: invalid decimal text %r" % (what, text))
            return _checked(decimal.Decimal(text), t, max_field_size, what)
        if k == "string":
            return raw.decode("utf-8", "surrogateescape")
        try:
            s = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedStream("%s: %s value is not valid UTF-8" % (what, k))
        if k == "json":
            try:
                json.loads(s)
            except ValueError:
                raise MalformedStream("%s: invalid JSON text" % what)
            return s
        return _checked(s, t, max_field_size, what)
    if k == "array":
        return _read_array(r, t.elem, crc, max_field_size, what)
    if k == "map":
        keys = _read_array(r, t.key, crc, max_field_size, what + " keys")
        values = _read_array(r, t.value, crc, max_field_size, what + " values")
        if len(keys) != len(values):
            raise MalformedStream("%s: map has %d keys but %d values"
                                  % (what, len(keys), len(values)))
        if any(key is None for key in keys):
            raise MalformedStream("%s: map key must not be NULL" % what)
        return list(zip(keys, values))
    if k == "struct":
        out = []
        for fname, ftype in t.fields:
            out.append(_read_nullable(r, ftype, crc, max_field_size,
                                      "%s.%s" % (what, fname)))
        return out
    raise MalformedStream("%s: unsupported type %s" % (what, t))


def _read_nullable(r, t, crc, max_field_size, what):
    flag = r.varint(what + " null flag")
    if flag == 1:
        return None
    if flag != 0:
        raise MalformedStream("%s: null flag must be 0 or 1, got %d" % (what, flag))
    return _read_value(r, t, crc, max_field_size, what)


def _read_array(r, elem, crc, max_field_size, what):
    count = r.varint(what + " element count", max_bits=31)
    if count > r.end - r.pos:   # every element needs at least its null flag
        raise MalformedStream("truncated stream while reading %s" % what)
    return [_read_nullable(r, elem, crc, max_field_size, "%s[%d]" % (what, i))
            for i in range(count)]


def _checked(v, t, max_field_size, what):
    try:
        return dt.check_value(v, t, max_field_size)
    except dt.ValueError_ as e:
        raise MalformedStream("%s: %s" % (what, e))


def decode_block(data, types, names=None, max_field_size=dt.MAX_FIELD_SIZE,
                 not_null=None):
    """Decode a complete block for the column types; returns a list of rows
    (lists with None for NULL).  Raises MalformedStream on any violation."""
    r = _Reader(memoryview(data) if not isinstance(data, (bytes, bytearray)) else data)
    ncols = len(types)
    wts = [wire_type(t) for t in types]
    names = names or ["column %d" % (i + 1) for i in range(ncols)]
    rows = []
    record_crcs = bytearray()
    row = [None] * ncols
    crc = bytearray()
    last_field = 0
    while True:
        if r.at_end():
            raise MalformedStream("truncated stream: the block trailer is missing")
        tag = r.varint("tag", max_bits=32)
        field, wt = tag >> 3, tag & 7
        if field == END_RECORD:
            if wt != WT_VARINT:
                raise MalformedStream("invalid wire type %d for the record end tag" % wt)
            got = r.varint("record checksum", max_bits=32)
            want = crc32c(bytes(crc))
            if got != want:
                raise MalformedStream("Checksum invalid: record %d has CRC %d, computed %d"
                                      % (len(rows) + 1, got, want))
            if not_null:
                for i in not_null:
                    if row[i] is None:
                        raise MalformedStream("record %d: NULL in NOT NULL column %s"
                                              % (len(rows) + 1, names[i]))
            rows.append(row)
            record_crcs += struct.pack("<I", got)
            row = [None] * ncols
            crc = bytearray()
            last_field = 0
            continue
        if field == META_COUNT:
            if wt != WT_VARINT:
                raise MalformedStream("invalid wire type %d for the record count tag" % wt)
            if last_field:
                raise MalformedStream("record %d is not terminated before the trailer"
                                      % (len(rows) + 1))
            count = zigzag_decode(r.varint("record count"))
            if count != len(rows):
                raise MalformedStream("record count does not match: trailer says %d, stream has %d"
                                      % (count, len(rows)))
            if r.at_end():
                raise MalformedStream("truncated stream: the block checksum is missing")
            tag2 = r.varint("tag", max_bits=32)
            if tag2 != (META_CHECKSUM << 3) | WT_VARINT:
                raise MalformedStream("expected the block checksum tag after the record count")
            got = r.varint("block checksum", max_bits=32)
            want = crc32c(bytes(record_crcs))
            if got != want:
                raise MalformedStream("Checksum invalid: block checksum %d, computed %d"
                                      % (got, want))
            if not r.at_end():
                raise MalformedStream("Expect at the end of stream: %d trailing bytes"
                                      % (r.end - r.pos))
            return rows
        if field < 1 or field > ncols:
            raise MalformedStream("Invalid protobuf tag: field number %d (table has %d columns)"
                                  % (field, ncols))
        if field <= last_field:
            raise MalformedStream("field %d out of order or repeated in record %d"
                                  % (field, len(rows) + 1))
        i = field - 1
        if wt != wts[i]:
            raise MalformedStream("invalid wire type %d for column %s of type %s (expected %d)"
                                  % (wt, names[i], types[i], wts[i]))
        crc += struct.pack("<i", field)
        row[i] = _read_value(r, types[i], crc, max_field_size, names[i])
        last_field = field


# ---------------------------------------------------------------------------
# encoding (used by the tests and by anything that needs reference blocks)

def _encode_value(v, t, out, crc):
    k = t.kind
    if k == "boolean":
        out += b"\x01" if v else b"\x00"
        crc += b"\x01" if v else b"\x00"
    elif k in dt.INTEGER_RANGES or k in ("date", "datetime", "interval_year_month"):
        out += encode_varint(zigzag_encode(v))
        crc += _i64(v)
    elif k == "float":
        raw = struct.pack("<f", v)
        out += raw
        crc += raw
    elif k == "double":
        raw = struct.pack("<d", v)
        out += raw
        crc += raw
    elif k in ("timestamp", "timestamp_ntz", "interval_day_time"):
        secs, nanos = v
        out += encode_varint(zigzag_encode(secs))
        out += encode_varint(zigzag_encode(nanos, 32))
        crc += _i64(secs) + struct.pack("<i", nanos)
    elif k in ("string", "varchar", "char", "json", "binary", "decimal"):
        if k == "binary":
            raw = bytes(v)
        elif k == "decimal":
            raw = (v if isinstance(v, str) else format(v, "f")).encode("ascii")
        else:
            raw = v.encode("utf-8", "surrogateescape")
        out += encode_varint(len(raw))
        out += raw
        crc += raw
    elif k == "array":
        _encode_array(v, t.elem, out, crc)
    elif k == "map":
        _encode_array([kv[0] for kv in v], t.key, out, crc)
        _encode_array([kv[1] for kv in v], t.value, out, crc)
    elif k == "struct":
        for fv, (_, ft) in zip(v, t.fields):
            if fv is None:
                out += b"\x01"
            else:
                out += b"\x00"
                _encode_value(fv, ft, out, crc)
    else:
        raise ValueError("cannot encode type %s" % t)


def _encode_array(values, elem, out, crc):
    out += encode_varint(len(values))
    for e in values:
        if e is None:
            out += b"\x01"
        else:
            out += b"\x00"
            _encode_value(e, elem, out, crc)


def encode_record(row, types):
    """Encode one record; returns (bytes, crc)."""
    out = bytearray()
    crc = bytearray()
    for i, (v, t) in enumerate(zip(row, types)):
        if v is None:
            continue
        out += encode_tag(i + 1, wire_type(t))
        crc += struct.pack("<i", i + 1)
        _encode_value(v, t, out, crc)
    c = crc32c(bytes(crc))
    out += encode_tag(END_RECORD, WT_VARINT)
    out += encode_varint(c)
    return bytes(out), c


def encode_block(rows, types):
    out = bytearray()
    crcs = bytearray()
    for row in rows:
        rec, c = encode_record(row, types)
        out += rec
        crcs += struct.pack("<I", c)
    out += encode_tag(META_COUNT, WT_VARINT)
    out += encode_varint(zigzag_encode(len(rows)))
    out += encode_tag(META_CHECKSUM, WT_VARINT)
    out += encode_varint(crc32c(bytes(crcs)))
    return bytes(out)
