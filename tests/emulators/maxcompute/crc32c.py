"""CRC-32C (Castagnoli), table driven.

The Tunnel record format (spec maxcompute.md section 3.6) checksums every
record and the whole block with CRC-32C: reflected polynomial 0x82F63B78,
initial value 0xFFFFFFFF, final xor 0xFFFFFFFF.  Python's zlib only has the
IEEE CRC-32, so it is implemented here.  Slicing-by-4 tables keep the pure
Python loop fast enough for blocks of a few megabytes.
"""

_POLY = 0x82F63B78


def _make_tables():
    t0 = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t0.append(c)
    tables = [t0]
    for _ in range(3):
        prev = tables[-1]
        tables.append([(prev[n] >> 8) ^ t0[prev[n] & 0xFF] for n in range(256)])
    return tables


_T0, _T1, _T2, _T3 = _make_tables()


def crc32c_update(state, data):
    """Feed bytes into a running (not yet finalised) register value."""
    crc = state
    mv = memoryview(data)
    n = len(mv)
    i = 0
    t0, t1, t2, t3 = _T0, _T1, _T2, _T3
    end4 = n - (n % 4)
    while i < end4:
        crc ^= mv[i] | (mv[i + 1] << 8) | (mv[i + 2] << 16) | (mv[i + 3] << 24)
        crc = (t3[crc & 0xFF] ^ t2[(crc >> 8) & 0xFF]
               ^ t1[(crc >> 16) & 0xFF] ^ t0[crc >> 24])
        i += 4
    while i < n:
        crc = t0[(crc ^ mv[i]) & 0xFF] ^ (crc >> 8)
        i += 1
    return crc


def crc32c(data, value=0):
    """CRC-32C of data; pass a previous result as value to continue it."""
    return crc32c_update(value ^ 0xFFFFFFFF, data) ^ 0xFFFFFFFF


class Crc32c:
    """Incremental CRC-32C, the shape the SDKs use (update / getValue / reset)."""

    __slots__ = ("_state",)

    def __init__(self):
        self._state = 0xFFFFFFFF

    def update(self, data):
        self._state = crc32c_update(self._state, data)

    def value(self):
        return self._state ^ 0xFFFFFFFF

    def reset(self):
        self._state = 0xFFFFFFFF
