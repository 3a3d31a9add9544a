"""COM_REGISTER_SLAVE, COM_BINLOG_DUMP and COM_BINLOG_DUMP_GTID as MySQL 8.0's
Binlog_sender serves them (sql/rpl_binlog_sender.cc): a fake ROTATE (timestamp 0, log_pos
0, LOG_EVENT_ARTIFICIAL_F) naming the file and start position, the file's
FORMAT_DESCRIPTION_EVENT with LOG_EVENT_BINLOG_IN_USE_F cleared (and log_pos and created
zeroed, checksum recomputed, when the start skips the file's beginning), then the file's
events byte for byte; the next file the same way after a ROTATE. At the end of what is
written: EOF for BINLOG_DUMP_NON_BLOCK (flag 1) or server_id 0, else wait for new events,
sending a HEARTBEAT_LOG_EVENT every @master_heartbeat_period nanoseconds.
With the GTID protocol, transactions whose GTID the replica sent are skipped, and a
heartbeat carries the position past them, as Binlog_sender::send_events does.
"""

import select
import socket
import ssl
import struct
import time

from binlog_files import (GTID_EVENT, HEARTBEAT_EVENT, HEADER_LEN,
                          LOG_EVENT_ARTIFICIAL_F, LOG_EVENT_BINLOG_IN_USE_F, ROTATE_EVENT, GtidSet, with_checksum)

BINLOG_DUMP_NON_BLOCK = 1
ER_MASTER_FATAL_ERROR_READING_BINLOG = 1236


def register_replica(app, session, payload, peer):
    server_id = struct.unpack_from("<I", payload, 0)[0]
    i = 4
    host = payload[i + 1:i + 1 + payload[i]].decode(errors="replace")
    i += 1 + payload[i]
    i += 1 + payload[i]  # user
    i += 1 + payload[i]  # password
    port = struct.unpack_from("<H", payload, i)[0] if i + 2 <= len(payload) else 0
    with app.lock:
        app.replicas[id(session)] = (server_id, host or peer, port)
    session.ok()


class DumpRequest:
    def __init__(self, flags, server_id, file_name, position, exclude=None):
        self.flags, self.server_id, self.file_name, self.position, self.exclude = \
            flags, server_id, file_name, position, exclude

    @staticmethod
    def parse_dump(p):
        pos, flags, server_id = struct.unpack_from("<IHI", p, 0)
        return DumpRequest(flags, server_id, p[10:].decode(), pos)

    @staticmethod
    def parse_dump_gtid(p):
        flags, server_id, name_len = struct.unpack_from("<HII", p, 0)
        name = p[10:10 + name_len].decode()
        i = 10 + name_len
        (pos,) = struct.unpack_from("<Q", p, i)
        i += 8
        (size,) = struct.unpack_from("<I", p, i)
        exclude = GtidSet.parse_binary(p, i + 4) if size else GtidSet()
        return DumpRequest(flags, server_id, name, pos, exclude)


class BinlogSender:
    def __init__(self, app, session, user_vars, request, sock):
        self.app, self.session, self.request, self.sock = app, session, request, sock
        self.history = app.history
        self.crc = self.history.first.crc32
        self.heartbeat_ns = int(user_vars.get("master_heartbeat_period", "0") or 0)
        self.replica_checksum = user_vars.get("master_binlog_checksum")  # None: a replica unaware of checksums
        self.blocking = not (request.flags & BINLOG_DUMP_NON_BLOCK or request.server_id == 0)
        self.server_id = app.server_id

    def error(self, msg):
        self.session.err(ER_MASTER_FATAL_ERROR_READING_BINLOG, "HY000", msg)

    def send_event(self, raw):
        self.session.io.write(b"\x00" + raw)

    def artificial(self, type_code, log_pos, flags, body, crc):
        size = HEADER_LEN + len(body) + (4 if crc else 0)
        return with_checksum(struct.pack("<IBIIIH", 0, type_code, self.server_id, size, log_pos, flags) + body, crc)

    def start_file(self):
        """Which file and position to start from, or an error message."""
        h, r = self.history, self.request
        if self.crc and self.replica_checksum is None:
            return None, 0, ("Slave can not handle replication events with the checksum that master is "
                             "configured to log")
        if r.exclude is None:
            f = h.find(r.file_name)
            if f is None:
                return None, 0, "Could not find first log file name in binary log index file"
            if r.position < 4:
                return None, 0, "Client requested master to start replication from position < 4"
            if r.position > h.end_of(f):
                return None, 0, "Client requested master to start replication from position > file size"
            return f, r.position, None
        if not h.gtid_mode:
            return None, 0, "Request to dump GTID when @@GLOBAL.GTID_MODE <> ON."
        missing = h.purged.minus(r.exclude)
        if not missing.is_empty():
            return None, 0, ("Cannot replicate because the source purged required binary logs. Replicate the "
                             "missing transactions from elsewhere, or provision a new replica from backup. Consider "
                             "increasing the source's binary log expiration period. The GTID set sent by the replica "
                             "is '%s', and the missing transactions are '%s'" % (r.exclude, missing))
        # find_first_log_not_in_gtid_set: the newest file whose PREVIOUS_GTIDS the replica holds.
        start = h.visible_files()[0]
        for f in h.visible_files():
            if f.previous_gtids.minus(r.exclude).is_empty():
                start = f
        return start, 4, None

    def run(self):
        f, pos, problem = self.start_file()
        if problem:
            self.error(problem)
            return
        files = self.history.visible_files
        while True:
            # Sent before any FDE is read: with the checksum the replica asked for.
            replica_crc = (self.replica_checksum or "").upper() == "CRC32"
            self.send_event(self.artificial(ROTATE_EVENT, 0, LOG_EVENT_ARTIFICIAL_F, struct.pack("<Q", pos) +
                                            f.name.encode(), replica_crc))
            self.send_fde(f, pos)
            pos = max(pos, f.fde.end)
            while True:
                pos = self.send_from(f, pos)
                if pos is None:
                    return
                later = files()[files().index(f) + 1:] if f in files() else []
                if later and pos >= self.history.end_of(f):
                    f, pos = later[0], 4
                    break
                if not self.blocking:
                    self.session.eof()
                    return
                if not self.wait_for_events(f, pos):
                    return

    def send_fde(self, f, pos):
        clear = pos > 4
        if self.request.exclude is not None:
            first = next((f.transaction_gtid(i) for i in range(len(f.transactions))), None)
            clear = first is not None and self.request.exclude.contains(*first)
        raw = bytearray(f.fde.raw)
        raw[17] &= ~LOG_EVENT_BINLOG_IN_USE_F & 0xff
        if clear:
            struct.pack_into("<I", raw, 13, 0)
            struct.pack_into("<I", raw, HEADER_LEN + 2 + 50, 0)
            raw = bytearray(with_checksum(bytes(raw[:-4] if self.crc else raw), self.crc))
        self.send_event(bytes(raw))

    def send_from(self, f, pos):
        """Sends what is written of `f` from `pos`; returns the new position."""
        end = self.history.end_of(f)
        skipped_to = 0
        in_excluded = False
        for ev in f.events_between(pos, end):
            if ev.offset < pos:
                continue
            if self.request.exclude is not None and ev.type != ROTATE_EVENT:
                if ev.type == GTID_EVENT:
                    in_excluded = self.request.exclude.contains(*ev.gtid())
                if in_excluded:
                    skipped_to = ev.end
                    pos = ev.end
                    continue
            if skipped_to:
                self.send_event(self.heartbeat(f, skipped_to))
                skipped_to = 0
            self.send_event(ev.raw)
            pos = ev.end
        if skipped_to:
            self.send_event(self.heartbeat(f, skipped_to))
        return max(pos, end)

    def heartbeat(self, f, log_pos):
        return self.artificial(HEARTBEAT_EVENT, log_pos, 0, f.name.encode(), self.crc)

    def wait_for_events(self, f, pos):
        """Blocks until more is written (True) or the replica went away (False)."""
        period = self.heartbeat_ns / 1e9 if self.heartbeat_ns else None
        while True:
            deadline = time.monotonic() + (period or 3600)
            while time.monotonic() < deadline:
                if self.history.end_of(f) > pos or (f in self.history.visible_files() and
                                                    self.history.visible_files()[-1] is not f):
                    return True
                if replica_gone(self.sock):
                    return False
                with self.app.changed:
                    self.app.changed.wait(0.05)
            if period:
                self.send_event(self.heartbeat(f, pos))


def replica_gone(sock):
    """Whether the replica closed the connection: a dump reads nothing from it, so whatever
    makes it readable is its end (EOF, or over TLS a close_notify or a reset)."""
    readable, _, _ = select.select([sock], [], [], 0.05)
    if not readable:
        return False
    if not isinstance(sock, ssl.SSLSocket):
        return not sock.recv(1, socket.MSG_PEEK)
    # TLS records cannot be peeked at; a record that carries no data (a TLS 1.3 ticket or
    # key update) leaves nothing to read and the replica connected.
    sock.setblocking(False)
    try:
        return not sock.recv(1)
    except ssl.SSLWantReadError:
        return False
    except (ssl.SSLError, OSError):
        return True
    finally:
        sock.setblocking(True)


def dump(app, session, user_vars, payload, sock, gtid):
    request = DumpRequest.parse_dump_gtid(payload) if gtid else DumpRequest.parse_dump(payload)
    app.log("  from %s:%d flags %d server_id %d%s" % (request.file_name or "''", request.position, request.flags,
                                                   request.server_id,
                                                   "" if request.exclude is None else " gtids %s" % request.exclude))
    try:
        BinlogSender(app, session, user_vars, request, sock).run()
    finally:
        with app.lock:
            app.replicas.pop(id(session), None)
