"""The binary logs the emulated primary holds: a MySQL-written fixture file, cut into
transactions, and the GTID sets that follow from it.

A binlog file is the 4-byte magic and a sequence of events, each with the v4 common header
(timestamp 4, type 1, server_id 4, event_size 4, log_pos 4, flags 2). A transaction starts at
its GTID_LOG_EVENT (33) or ANONYMOUS_GTID_LOG_EVENT (34) and ends where the next one starts,
or at a trailing ROTATE (4) / STOP (3). Only the first `committed` transactions are visible:
the rest are "not written yet", so a test decides when the fixture's changes happen.
"""

import struct
import zlib

MAGIC = b"\xfebin"
HEADER_LEN = 19
ROTATE_EVENT, FORMAT_DESCRIPTION_EVENT, HEARTBEAT_EVENT = 4, 15, 27
GTID_EVENT, ANONYMOUS_GTID_EVENT, PREVIOUS_GTIDS_EVENT = 33, 34, 35
LOG_EVENT_BINLOG_IN_USE_F = 0x1
LOG_EVENT_ARTIFICIAL_F = 0x20


def format_uuid(raw):
    h = raw.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


class GtidSet:
    """uuid -> sorted, merged [start, end) intervals (the on-disk form is end-exclusive)."""

    def __init__(self):
        self.sids = {}

    @staticmethod
    def parse_text(text):
        s = GtidSet()
        for part in text.replace("\n", "").split(","):
            part = part.strip()
            if not part:
                continue
            fields = part.split(":")
            uuid = fields[0].lower()
            for iv in fields[1:]:
                a, _, b = iv.partition("-")
                s.add(uuid, int(a), int(b or a) + 1)
        return s

    @staticmethod
    def parse_binary(data, i=0):
        """The encoding of PREVIOUS_GTIDS and of COM_BINLOG_DUMP_GTID's data."""
        s = GtidSet()
        (n_sids,) = struct.unpack_from("<Q", data, i)
        i += 8
        for _ in range(n_sids):
            uuid = format_uuid(data[i:i + 16])
            (n,) = struct.unpack_from("<Q", data, i + 16)
            i += 24
            for _ in range(n):
                a, b = struct.unpack_from("<qq", data, i)
                i += 16
                s.add(uuid, a, b)
        return s

    def encode(self):
        out = struct.pack("<Q", len(self.sids))
        for uuid in sorted(self.sids):
            out += bytes.fromhex(uuid.replace("-", "")) + struct.pack("<Q", len(self.sids[uuid]))
            for a, b in self.sids[uuid]:
                out += struct.pack("<qq", a, b)
        return out

    def add(self, uuid, start, end):
        ivs = sorted(self.sids.get(uuid, []) + [(start, end)])
        merged = []
        for a, b in ivs:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self.sids[uuid] = merged

    def union(self, other):
        out = GtidSet()
        for src in (self, other):
            for uuid, ivs in src.sids.items():
                for a, b in ivs:
                    out.add(uuid, a, b)
        return out

    def contains(self, uuid, gno):
        return any(a <= gno < b for a, b in self.sids.get(uuid, []))

    def minus(self, other):
        out = GtidSet()
        for uuid, ivs in self.sids.items():
            for a, b in ivs:
                for gno in range(a, b):
                    if not other.contains(uuid, gno):
                        out.add(uuid, gno, gno + 1)
        return out

    def is_empty(self):
        return not any(self.sids.values())

    def __str__(self):
        parts = []
        for uuid in sorted(self.sids):
            ivs = ":".join(str(a) if b == a + 1 else "%d-%d" % (a, b - 1) for a, b in self.sids[uuid])
            parts.append("%s:%s" % (uuid, ivs))
        return ",\n".join(parts)  # MySQL prints a multi-uuid set one uuid per line


class Event:
    def __init__(self, offset, raw):
        self.offset = offset
        self.raw = raw
        self.type = raw[4]
        self.end = offset + len(raw)

    def gtid(self):
        """(uuid, gno) of a GTID_LOG_EVENT: flags 1, sid 16, gno 8."""
        body = self.raw[HEADER_LEN:]
        return format_uuid(body[1:17]), struct.unpack_from("<q", body, 17)[0]


def with_checksum(raw, crc32):
    return raw + struct.pack("<I", zlib.crc32(raw)) if crc32 else raw


class BinlogFile:
    """One binlog file: its name, header events, transactions and trailer (ROTATE/STOP)."""

    def __init__(self, name, data):
        if data[:4] != MAGIC:
            raise ValueError("%s is not a binlog file (no \\xfebin magic)" % name)
        self.name = name
        self.data = data
        events = []
        p = 4
        while p < len(data):
            (size,) = struct.unpack_from("<I", data, p + 9)
            events.append(Event(p, data[p:p + size]))
            p += size
        if not events or events[0].type != FORMAT_DESCRIPTION_EVENT:
            raise ValueError("%s does not start with a FORMAT_DESCRIPTION_EVENT" % name)
        self.fde = events[0]
        # FDE body: binlog_version 2, server_version 50, created 4, header_len 1, post-header
        # lengths..., checksum_alg 1, crc 4 (MySQL 5.6.1+).
        self.crc32 = events[0].raw[-5] == 1
        self.previous_gtids = GtidSet()
        self.header, self.transactions, self.trailer = [], [], []
        for ev in events:
            if ev.type in (GTID_EVENT, ANONYMOUS_GTID_EVENT):
                self.transactions.append([ev])
            elif ev.type in (ROTATE_EVENT, 3) and self.transactions:
                self.trailer.append(ev)
            elif self.transactions and not self.trailer:
                self.transactions[-1].append(ev)
            else:
                self.header.append(ev)
                if ev.type == PREVIOUS_GTIDS_EVENT:
                    self.previous_gtids = GtidSet.parse_binary(ev.raw, HEADER_LEN)
        rotate = [e for e in self.trailer if e.type == ROTATE_EVENT]
        self.rotates_to = None
        if rotate:
            end = len(rotate[0].raw) - (4 if self.crc32 else 0)
            self.rotates_to = rotate[0].raw[HEADER_LEN + 8:end].decode()

    def transaction_gtid(self, i):
        first = self.transactions[i][0]
        return first.gtid() if first.type == GTID_EVENT else None

    def end_of(self, committed):
        """The file's end once `committed` transactions (None = all) are written."""
        if committed is None or committed >= len(self.transactions):
            return len(self.data)
        if committed == 0:
            return self.header[-1].end
        return self.transactions[committed - 1][-1].end

    def events_between(self, start, end):
        for ev in self.header[1:] + [e for t in self.transactions for e in t] + self.trailer:
            if start <= ev.offset and ev.end <= end:
                yield ev

    @staticmethod
    def successor(previous, name, previous_gtids):
        """The file a real server opens after a rotate: its FDE and PREVIOUS_GTIDS."""
        fde = bytearray(previous.fde.raw[:-4] if previous.crc32 else previous.fde.raw)
        fde[17] &= ~LOG_EVENT_BINLOG_IN_USE_F & 0xff
        struct.pack_into("<I", fde, 13, 4 + len(previous.fde.raw))
        fde = with_checksum(bytes(fde), previous.crc32)
        body = previous_gtids.encode()
        size = HEADER_LEN + len(body) + (4 if previous.crc32 else 0)
        header = struct.pack("<IBIIIH", 0, PREVIOUS_GTIDS_EVENT, struct.unpack_from("<I", fde, 5)[0], size,
                             4 + len(fde) + size, 0x80)
        prev = with_checksum(header + body, previous.crc32)
        return BinlogFile(name, MAGIC + fde + prev)


class BinlogHistory:
    """The server's binary logs: the fixture, and the file it rotated to if it ends with a
    ROTATE (what the server writes next: only its FDE and PREVIOUS_GTIDS)."""

    def __init__(self, fixture_path, name):
        with open(fixture_path, "rb") as f:
            first = BinlogFile(name, f.read())
        self.files = [first]
        self.first = first
        self.committed = 0   # how many of the fixture's transactions are written
        self.purged = first.previous_gtids
        gtids = [first.transaction_gtid(i) for i in range(len(first.transactions))]
        self.gtid_mode = any(g is not None for g in gtids)
        all_gtids = GtidSet().union(first.previous_gtids)
        for g in gtids:
            if g:
                all_gtids.add(g[0], g[1], g[1] + 1)
        if first.rotates_to:
            self.files.append(BinlogFile.successor(first, first.rotates_to, all_gtids))
        self.server_uuid = next((g[0] for g in gtids if g), None) or next(iter(first.previous_gtids.sids), None)

    def set_committed(self, n):
        total = len(self.first.transactions)
        self.committed = total if n is None or n < 0 else min(n, total)

    def purge(self, n):
        """The binary logs that held the first `n` written transactions are gone: their GTIDs
        join gtid_purged (as PURGE BINARY LOGS makes them), and a replica lacking one is refused."""
        for i in range(min(n, self.committed)):
            g = self.first.transaction_gtid(i)
            if g:
                self.purged.add(g[0], g[1], g[1] + 1)

    def all_committed(self):
        return self.committed >= len(self.first.transactions)

    def visible_files(self):
        return self.files if self.all_committed() else self.files[:1]

    def end_of(self, f):
        return f.end_of(self.committed) if f is self.first else len(f.data)

    def executed(self):
        s = GtidSet().union(self.first.previous_gtids)
        for i in range(self.committed):
            g = self.first.transaction_gtid(i)
            if g:
                s.add(g[0], g[1], g[1] + 1)
        return s

    def find(self, name):
        return next((f for f in self.visible_files() if f.name == name), None)
