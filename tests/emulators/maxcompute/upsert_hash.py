"""Upsert bucket hashing, default hasher (spec maxcompute.md 4.2 item 4).

Java/C++ semantics (odps-sdk-core tunnel/hasher/DefaultHashFactory.java):
32-bit wrap, arithmetic shifts, string bytes as *signed* Java bytes.  The
emulator only uses it to log rows a client put in the wrong bucket (the spec
says it is unknown whether the service rejects them, so it accepts them).
"""

import struct


def _i32(n):
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


def _i64(n):
    n &= 0xFFFFFFFFFFFFFFFF
    return n - (1 << 64) if n & 0x8000000000000000 else n


def long_hash(l):
    l = _i64(l)
    l = _i64(~l + (l << 18))
    l ^= l >> 31                   # arithmetic shift on a signed value
    l = _i64(l * 21)
    l ^= l >> 11
    l = _i64(l + (l << 6))
    l ^= l >> 22
    return _i32(l)


def string_hash(data):
    h = 0
    for b in data:
        sb = b - 256 if b > 127 else b    # signed Java byte
        h = _i32(h + sb)
        h = _i32(h + (h << 10))
        h = _i32(h ^ (h >> 6))        # Java '>>' on an int: arithmetic
    h = _i32(h + (h << 3))
    h = _i32(h ^ (h >> 11))
    h = _i32(h + (h << 15))
    return h


def column_hash(value, t):
    k = t.kind
    if k in ("tinyint", "smallint", "int", "bigint"):
        return long_hash(value)
    if k in ("string", "varchar", "char", "json"):
        return string_hash(value.encode("utf-8", "surrogateescape"))
    if k == "binary":
        return string_hash(value)
    if k == "boolean":
        return 0x172BA9C7 if value else -0x3A59CB12
    if k == "double":
        return long_hash(struct.unpack("<q", struct.pack("<d", value))[0])
    if k == "float":
        return long_hash(struct.unpack("<i", struct.pack("<f", value))[0])
    if k == "date":
        return long_hash(value * 86400)
    if k == "datetime":
        return long_hash(value)
    if k == "decimal":
        scale = t.scale if t.scale is not None else 18
        n = int(value.scaleb(scale))
        if (t.precision or 54) > 18:
            lo = _i64(n)
            hi = _i64(n >> 64)
            return _i32(long_hash(lo) + long_hash(hi))
        return long_hash(n)
    if k in ("timestamp", "timestamp_ntz"):
        return long_hash((value[0] << 30) | value[1])   # Java TimestampHasher
    return 0


def record_hash(values, types):
    s = 0
    for v, t in zip(values, types):
        if v is not None:
            s = _i32(s + column_hash(v, t))
    return _i32(s ^ (s >> 8))


def bucket_of(values, types, buckets):
    return record_hash(values, types) % buckets
