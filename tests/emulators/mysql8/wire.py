"""MySQL client/server protocol as a MySQL 8.0 server speaks it (README.md cites the pages).

Packets (3-byte length, sequence id), Protocol::HandshakeV10 announcing
caching_sha2_password, the SSLRequest and TLS, HandshakeResponse41, AuthSwitchRequest, the
account's exchange (auth.py) then OK or ERR 1045, OK/ERR/EOF
packets, text result sets with or without CLIENT_DEPRECATE_EOF.
"""

import hashlib
import os
import struct
import sys

# The packet layer (framing, length-encoded values, mysql_native_password) is the one the
# StarRocks emulator's MySQL port uses: MySQL 8.0 frames packets the same way.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "starrocks"))
from mysql_protocol import PacketIO, err_packet, lenenc_int, lenenc_str, read_lenenc_int  # noqa: E402,F401
from mysql_protocol import native_password_ok as native_ok  # noqa: E402

CLIENT_LONG_PASSWORD = 1
CLIENT_CONNECT_WITH_DB = 1 << 3
CLIENT_COMPRESS = 1 << 5
CLIENT_SSL = 1 << 11
CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_PLUGIN_AUTH_LENENC = 1 << 21
CLIENT_SESSION_TRACK = 1 << 23
CLIENT_DEPRECATE_EOF = 1 << 24
CLIENT_ZSTD = 1 << 26
CLIENT_QUERY_ATTRIBUTES = 1 << 27
# MySQL 8.0.40 announces every flag of the low 28 bits; this server has no compressed
# protocol, so it leaves out CLIENT_COMPRESS and zstd, and CLIENT_SSL unless it has a
# certificate (--ssl-cert), as a real server without one.
SERVER_CAPS = ((1 << 28) - 1) & ~(CLIENT_SSL | CLIENT_COMPRESS | CLIENT_ZSTD)
SERVER_STATUS_AUTOCOMMIT = 0x2
UTF8MB4_0900_AI_CI = 255

T_LONG, T_LONGLONG, T_VAR_STRING = 3, 8, 253
CLIENT_OPTIONAL_RESULTSET_METADATA = 1 << 25


def sha256(b):
    return hashlib.sha256(b).digest()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


class Session:
    """One client connection: what was negotiated, and how to answer."""

    def __init__(self, io, caps):
        self.io = io
        self.caps = caps

    def ok(self, affected=0, info="", header=b"\x00"):
        p = header + lenenc_int(affected) + lenenc_int(0) + struct.pack("<HH", SERVER_STATUS_AUTOCOMMIT, 0)
        if self.caps & CLIENT_SESSION_TRACK:
            p += lenenc_str(info)
        elif info:
            p += info.encode()
        self.io.write(p)

    def err(self, code, state, msg):
        self.io.write(err_packet(code, state, msg))

    def eof(self):
        if self.caps & CLIENT_DEPRECATE_EOF:
            self.ok(header=b"\xfe")
        else:
            self.io.write(b"\xfe" + struct.pack("<HH", 0, SERVER_STATUS_AUTOCOMMIT))

    def column_definitions(self, columns):
        """columns: names (VAR_STRING utf8mb4, as SHOW statements return them) or (name, type code)."""
        for col in columns:
            name, tcode = (col, T_VAR_STRING) if isinstance(col, str) else col
            charset = 63 if tcode in (T_LONG, T_LONGLONG) else UTF8MB4_0900_AI_CI
            display_length = {T_LONG: 11, T_LONGLONG: 20}.get(tcode, 1024)
            self.io.write(lenenc_str("def") + lenenc_str("") + lenenc_str("") + lenenc_str("") + lenenc_str(name) +
                          lenenc_str(name) + b"\x0c" + struct.pack("<HIBHB", charset, display_length, tcode, 0, 0) +
                          b"\x00\x00")
        if columns and not self.caps & CLIENT_DEPRECATE_EOF:
            self.io.write(b"\xfe" + struct.pack("<HH", 0, SERVER_STATUS_AUTOCOMMIT))

    def rows(self, columns, rows):
        """A text-protocol result set (COM_QUERY)."""
        self.io.write(lenenc_int(len(columns)))
        self.column_definitions(columns)
        for row in rows:
            self.io.write(b"".join(b"\xfb" if v is None else lenenc_str(str(v) if isinstance(v, int) else v)
                                   for v in row))
        self.eof()

    def prepare_ok(self, stmt_id, columns):
        """COM_STMT_PREPARE_OK: no parameters, the result's columns."""
        p = b"\x00" + struct.pack("<IHHBH", stmt_id, len(columns), 0, 0, 0)
        if self.caps & CLIENT_OPTIONAL_RESULTSET_METADATA:
            p += b"\x01"  # RESULTSET_METADATA_FULL
        self.io.write(p)
        self.column_definitions(columns)

    def binary_rows(self, columns, rows):
        """A binary-protocol result set (COM_STMT_EXECUTE): a NULL bitmap with offset 2, then
        LONG values as 4 bytes and every other value as a length-encoded string."""
        self.io.write(lenenc_int(len(columns)))
        self.column_definitions(columns)
        types = [T_VAR_STRING if isinstance(c, str) else c[1] for c in columns]
        for row in rows:
            bitmap = bytearray((len(row) + 7 + 2) // 8)
            values = b""
            for i, v in enumerate(row):
                if v is None:
                    bitmap[(i + 2) // 8] |= 1 << ((i + 2) % 8)
                elif types[i] == T_LONG:
                    values += struct.pack("<i", int(v))
                else:
                    values += lenenc_str(v)
            self.io.write(b"\x00" + bytes(bitmap) + values)
        self.eof()


def parse_handshake_response(p):
    """HandshakeResponse41 -> (caps, user, auth_response, database, plugin)."""
    caps = struct.unpack_from("<I", p, 0)[0]
    i = 32
    end = p.index(b"\x00", i)
    user = p[i:end].decode("utf-8", "replace")
    i = end + 1
    if caps & CLIENT_PLUGIN_AUTH_LENENC:
        n, i = read_lenenc_int(p, i)
    else:
        n, i = p[i], i + 1
    auth, i = p[i:i + n], i + n
    db = plugin = None
    if caps & CLIENT_CONNECT_WITH_DB and i < len(p):
        end = p.index(b"\x00", i)
        db, i = p[i:end].decode(), end + 1
    if caps & CLIENT_PLUGIN_AUTH and i < len(p):
        end = p.find(b"\x00", i)
        plugin = p[i:end if end >= 0 else len(p)].decode()
    return caps, user, auth, db, plugin


def greeting(conn_id, version, caps, plugin, scramble):
    return (b"\x0a" + version.encode() + b"\x00" + struct.pack("<I", conn_id) + scramble[:8] + b"\x00" +
            struct.pack("<HBHH", caps & 0xffff, UTF8MB4_0900_AI_CI, SERVER_STATUS_AUTOCOMMIT, caps >> 16) +
            bytes([21]) + b"\x00" * 10 + scramble[8:] + b"\x00" + plugin.encode() + b"\x00")


def handshake(sock, conn_id, version, accounts, peer_host, log):
    """Greets, switches to TLS on an SSLRequest, authenticates; returns (Session, user) or
    None after an ERR. `accounts`: auth.Accounts."""
    io = PacketIO(sock)
    scramble = bytes((b % 94) + 33 for b in os.urandom(20))  # printable, no NUL, as MySQL's
    server_caps = SERVER_CAPS | (CLIENT_SSL if accounts.tls else 0)
    io.write(greeting(conn_id, version, server_caps, accounts.plugin, scramble))
    response = io.read()
    secure = False
    if struct.unpack_from("<I", response, 0)[0] & CLIENT_SSL:
        # An SSLRequest (the response's first 32 bytes): TLS, then the whole response over it.
        if not accounts.tls:
            io.write(err_packet(1043, "08S01", "Bad handshake"))
            return None
        io.sock = accounts.tls.wrap_socket(sock, server_side=True)
        log("conn %d: TLS %s %s" % (conn_id, io.sock.version(), io.sock.cipher()[0]))
        secure = True
        response = io.read()
    caps, user, auth, _db, plugin = parse_handshake_response(response)
    session = Session(io, caps & server_caps)
    if plugin != accounts.plugin:  # the account's plugin decides, as on MySQL
        io.write(b"\xfe" + accounts.plugin.encode() + b"\x00" + scramble + b"\x00")
        auth = io.read()
    if not accounts.verify(io, secure, conn_id, user, scramble, auth):
        session.err(1045, "28000", "Access denied for user '%s'@'%s' (using password: %s)"
                    % (user, peer_host, "YES" if auth not in (b"", b"\x00") else "NO"))
        return None
    session.ok()  # a database named at login needs no check: every statement names its own
    return session, user
