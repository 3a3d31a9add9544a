"""MySQL client/server protocol for the emulated FE query port (default 9030), §2.1.

TLS as StarRocks 3.4.1+ does it (MysqlProto.negotiate): with a certificate configured
(fe.conf ssl_keystore_location; here --ssl-cert/--ssl-key) the handshake carries CLIENT_SSL;
a first reply with CLIENT_SSL set (an SSLRequest, MysqlAuthPacket.isSSLConnRequest) switches
the connection to TLS and the real handshake response follows over it. An SSLRequest to an FE
without a certificate is answered ERR 5400 "Failed to change to SSL connection".

Handshake v10 as StarRocks' MysqlHandshakePacket writes it (server version "5.1.0",
charset 33, mysql_native_password with a 20-byte scramble), HandshakeResponse41 parsing,
AuthSwitchRequest when the client proposes another plugin, text-protocol result sets with
EOF packets (no CLIENT_DEPRECATE_EOF), OK/ERR packets with SQLSTATE. Commands: COM_QUIT,
COM_INIT_DB, COM_QUERY, COM_FIELD_LIST, COM_PING, COM_RESET_CONNECTION; COM_STMT_PREPARE ->
ERR 1295; anything else -> ERR 1047 "Unknown command".
"""

import hashlib
import os
import socket
import socketserver
import ssl
import struct
import threading

from http_common import log

# Capability flags (MysqlCapability.DEFAULT_CAPABILITY of StarRocks, without SSL)
CLIENT_LONG_PASSWORD = 0x1
CLIENT_FOUND_ROWS = 0x2
CLIENT_LONG_FLAG = 0x4
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SSL = 0x800
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_CONNECT_ATTRS = 0x100000
CLIENT_PLUGIN_AUTH_LENENC = 0x200000
SERVER_CAPS = (CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_CONNECT_WITH_DB |
               CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS |
               CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC)
SERVER_STATUS_AUTOCOMMIT = 0x2

# Column types
T_TINY, T_SHORT, T_LONG, T_FLOAT, T_DOUBLE, T_NULL = 1, 2, 3, 4, 5, 6
T_LONGLONG, T_DATE, T_DATETIME, T_NEWDECIMAL, T_BLOB, T_VAR_STRING = 8, 10, 12, 246, 252, 253


def lenenc_int(n):
    if n < 251:
        return bytes([n])
    if n < (1 << 16):
        return b"\xfc" + struct.pack("<H", n)
    if n < (1 << 24):
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def lenenc_str(b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return lenenc_int(len(b)) + b


def read_lenenc_int(data, i):
    c = data[i]
    if c < 251:
        return c, i + 1
    if c == 0xfc:
        return struct.unpack_from("<H", data, i + 1)[0], i + 3
    if c == 0xfd:
        return int.from_bytes(data[i + 1:i + 4], "little"), i + 4
    if c == 0xfe:
        return struct.unpack_from("<Q", data, i + 1)[0], i + 9
    return 0, i + 1


def native_password_ok(password, scramble, response):
    """mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))."""
    if password == "":
        return len(response) == 0
    if len(response) != 20:
        return False
    h1 = hashlib.sha1(password.encode("utf-8")).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(scramble + h2).digest()
    expect = bytes(a ^ b for a, b in zip(h1, h3))
    return expect == response


class PacketIO:
    def __init__(self, sock):
        self.sock = sock
        self.seq = 0

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError()
            buf += chunk
        return bytes(buf)

    def read(self):
        payload = bytearray()
        while True:
            hdr = self._recv_exact(4)
            ln = hdr[0] | (hdr[1] << 8) | (hdr[2] << 16)
            self.seq = (hdr[3] + 1) & 0xff
            payload += self._recv_exact(ln)
            if ln < 0xffffff:
                return bytes(payload)

    def write(self, payload):
        out = bytearray()
        while True:
            chunk = payload[:0xffffff]
            payload = payload[0xffffff:]
            out += struct.pack("<I", len(chunk))[:3] + bytes([self.seq]) + chunk
            self.seq = (self.seq + 1) & 0xff
            if len(chunk) < 0xffffff:
                break
        self.sock.sendall(bytes(out))


def ok_packet(affected=0, info="", status=SERVER_STATUS_AUTOCOMMIT):
    p = b"\x00" + lenenc_int(affected) + lenenc_int(0) + struct.pack("<HH", status, 0)
    if info:
        p += lenenc_str(info)   # libmariadb reads the info as a length-encoded string
    return p


def err_packet(code, state, msg):
    return b"\xff" + struct.pack("<H", code) + b"#" + state.encode("ascii")[:5] + msg.encode("utf-8")


def eof_packet(status=SERVER_STATUS_AUTOCOMMIT):
    return b"\xfe" + struct.pack("<HH", 0, status)


def column_def(name, type_code, table="", db="", length=255, decimals=0, flags=0, charset=33):
    return (lenenc_str("def") + lenenc_str(db) + lenenc_str(table) + lenenc_str(table) +
            lenenc_str(name) + lenenc_str(name) + b"\x0c" +
            struct.pack("<HIBHB", charset, length, type_code, flags, decimals) + b"\x00\x00")


class Result:
    """What a statement returns: kind 'ok' | 'rows' | 'err'."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)

    @staticmethod
    def ok(affected=0, info=""):
        return Result("ok", affected=affected, info=info)

    @staticmethod
    def rows(columns, rows):
        """columns: [(name, type_code)], rows: lists of str|bytes|None."""
        return Result("rows", columns=columns, rows=rows)

    @staticmethod
    def err(code, state, msg):
        return Result("err", code=code, state=state, msg=msg)


class MySQLHandler(socketserver.BaseRequestHandler):
    conn_counter = [0]
    counter_lock = threading.Lock()

    def handle(self):
        app = self.server.app
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        io = PacketIO(sock)
        with self.counter_lock:
            self.conn_counter[0] += 1
            conn_id = self.conn_counter[0]
        scramble = bytes((b % 94) + 33 for b in os.urandom(20))   # printable, no NUL
        # MysqlHandshakePacket adds CLIENT_SSL when an SSL context is loaded.
        caps = SERVER_CAPS | (CLIENT_SSL if app.mysql_tls is not None else 0)
        hs = (b"\x0a" + app.handshake_version.encode() + b"\x00" + struct.pack("<I", conn_id) + scramble[:8] +
              b"\x00" + struct.pack("<H", caps & 0xffff) + bytes([33]) +
              struct.pack("<H", SERVER_STATUS_AUTOCOMMIT) + struct.pack("<H", caps >> 16) +
              bytes([21]) + b"\x00" * 10 + scramble[8:] + b"\x00" + b"mysql_native_password\x00")
        try:
            io.seq = 0
            io.write(hs)
            resp = io.read()
            if len(resp) >= 4 and struct.unpack_from("<I", resp, 0)[0] & CLIENT_SSL:
                if app.mysql_tls is None:
                    io.write(err_packet(5400, "XX000", "Failed to change to SSL connection"))
                    return
                io.sock = app.mysql_tls.wrap_socket(sock, server_side=True)
                log("mysql conn %d: TLS %s" % (conn_id, io.sock.version()))
                resp = io.read()
            user, auth_resp, db, plugin = self._parse_handshake_response(resp)
            if plugin and plugin != "mysql_native_password":
                io.write(b"\xfe" + b"mysql_native_password\x00" + scramble + b"\x00")
                auth_resp = io.read()
            if user != app.user or not native_password_ok(app.password, scramble, auth_resp):
                log("mysql conn %d: access denied for user %r" % (conn_id, user))
                io.write(err_packet(1045, "28000", "Access denied for user '%s' (using password: %s)"
                                    % (user, "YES" if auth_resp else "NO")))
                return
            session = app.new_session(user, conn_id)
            if db:
                r = session.execute("USE `%s`" % db.replace("`", "``"))
                if r.kind == "err":
                    io.write(err_packet(r.code, r.state, r.msg))
                    return
            io.write(ok_packet())
            log("mysql conn %d: user %s connected" % (conn_id, user))
            while True:
                try:
                    pkt = io.read()
                except EOFError:
                    return
                if not pkt:
                    return
                cmd = pkt[0]
                io.seq = 1
                if cmd == 0x01:      # COM_QUIT
                    return
                if cmd == 0x0e:      # COM_PING
                    io.write(ok_packet())
                    continue
                if cmd == 0x02:      # COM_INIT_DB
                    name = pkt[1:].decode("utf-8", errors="replace")
                    self._send(io, session.execute("USE `%s`" % name.replace("`", "``")))
                    continue
                if cmd == 0x03:      # COM_QUERY
                    sql = pkt[1:].decode("utf-8", errors="replace")
                    log("mysql conn %d: %s" % (conn_id, _redact(sql)[:300]))
                    self._send(io, session.execute(sql))
                    continue
                if cmd == 0x04:      # COM_FIELD_LIST
                    io.write(eof_packet())
                    continue
                if cmd == 0x1f:      # COM_RESET_CONNECTION (mysql_reset_connection)
                    session.vars = {}
                    io.write(ok_packet())
                    continue
                if cmd == 0x16:      # COM_STMT_PREPARE
                    io.write(err_packet(1295, "HY000",
                                        "This command is not supported in the prepared statement protocol yet"))
                    continue
                io.write(err_packet(1047, "08S01", "Unknown command"))
        except (EOFError, ConnectionError, OSError) as e:   # ssl.SSLError too: a client refused the certificate
            if isinstance(e, ssl.SSLError):
                log("mysql conn %d: TLS handshake failed: %s" % (conn_id, e))
            return

    def _parse_handshake_response(self, p):
        caps = struct.unpack_from("<I", p, 0)[0]
        i = 4 + 4 + 1 + 23
        end = p.index(b"\x00", i)
        user = p[i:end].decode("utf-8", errors="replace")
        i = end + 1
        if caps & CLIENT_PLUGIN_AUTH_LENENC:
            n, i = read_lenenc_int(p, i)
            auth = p[i:i + n]
            i += n
        elif caps & CLIENT_SECURE_CONNECTION:
            n = p[i]
            auth = p[i + 1:i + 1 + n]
            i += 1 + n
        else:
            end = p.index(b"\x00", i)
            auth = p[i:end]
            i = end + 1
        db = None
        if caps & CLIENT_CONNECT_WITH_DB and i < len(p):
            end = p.find(b"\x00", i)
            end = len(p) if end < 0 else end
            db = p[i:end].decode("utf-8", errors="replace") or None
            i = end + 1
        plugin = None
        if caps & CLIENT_PLUGIN_AUTH and i < len(p):
            end = p.find(b"\x00", i)
            end = len(p) if end < 0 else end
            plugin = p[i:end].decode("utf-8", errors="replace")
        return user, auth, db, plugin

    def _send(self, io, r):
        if r.kind == "ok":
            io.write(ok_packet(r.affected, r.info))
        elif r.kind == "err":
            io.write(err_packet(r.code, r.state, r.msg))
        else:
            io.write(lenenc_int(len(r.columns)))
            for name, tcode in r.columns:
                io.write(column_def(name, tcode))
            io.write(eof_packet())
            for row in r.rows:
                out = bytearray()
                for v in row:
                    out += b"\xfb" if v is None else lenenc_str(v if isinstance(v, (bytes, str)) else str(v))
                io.write(bytes(out))
            io.write(eof_packet())


def _redact(sql):
    # never log passwords (SET PASSWORD / IDENTIFIED BY)
    low = sql.lower()
    if "password" in low or "identified" in low:
        return "<statement with a password redacted>"
    return sql.replace("\n", " ")


class MySQLServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, app):
        self.app = app
        socketserver.TCPServer.__init__(self, addr, MySQLHandler)
