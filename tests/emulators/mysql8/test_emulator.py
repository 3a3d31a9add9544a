"""The MySQL 8 emulator's own tests: it is a test oracle, so it is checked against real
clients (Debian's mariadb and mariadb-binlog) and against the MySQL behaviour README.md
cites, before `sync` is tested with it. Skipped without the shared binlog fixtures.

  python3 -m unittest tests/emulators/mysql8/test_emulator.py
"""

import hashlib
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import wire  # noqa: E402
from binlog_files import GtidSet  # noqa: E402

SHARED = os.environ.get("SYNC_SHARED_DIR", os.path.join(HERE, "../../../../shared"))
FIXTURES = os.path.join(SHARED, "fixtures", "binlog")
MDEV = os.path.join(FIXTURES, "mariadb-test-data/std_data/mdev35643_mysql_80_binlog.000001")
ENUM_SET = os.path.join(FIXTURES, "rust_mysql_common/mysql-enum-string-set.000001")
ENUM_SET_UUID = "93e95066-a2f4-11ec-9b69-9657f0ae95e2"


class Emulator:
    def __init__(self, binlog, *args):
        self.dir = tempfile.mkdtemp(prefix="mysql8-emulator-")
        ports = os.path.join(self.dir, "ports.json")
        self.log = open(os.path.join(self.dir, "emulator.log"), "w")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "emulator.py"), "--binlog", binlog,
                                      "--ports-file", ports] + list(args), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not os.path.exists(ports):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(open(self.log.name).read())
            time.sleep(0.05)
        with open(ports) as f:
            self.port = json.load(f)["port"]

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir)

    def mariadb(self, sql, password="repl-pw", *options):
        return subprocess.run(["mariadb", "-h127.0.0.1", "-P%d" % self.port, "-urepl", "-p" + password, "-N", "-B"] +
                              list(options) + ["-e", sql], capture_output=True, text=True, timeout=30)

    def log_text(self):
        with open(self.log.name) as f:
            return f.read()

    def wait_for_log(self, text, seconds=10):
        """Whether the log says `text` within `seconds` (the server may log after the client has gone)."""
        deadline = time.time() + seconds
        while text not in self.log_text():
            if time.time() > deadline:
                return False
            time.sleep(0.05)
        return True


class Certificates:
    """A CA and a server certificate it signed for 127.0.0.1 (EC P-256), as the C++ harness's
    tls_certs makes them, with the openssl command line."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mysql8-emulator-certs-")
        self.ca, self.ca_key = self.path("ca.pem"), self.path("ca.key")
        self.cert, self.key = self.path("server.pem"), self.path("server.key")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        self.openssl(["req", "-x509"] + ec + ["-keyout", self.ca_key, "-out", self.ca, "-subj", "/CN=emulator test CA",
                                              "-days", "2"])
        self.openssl(["req"] + ec + ["-keyout", self.key, "-out", self.path("server.csr"), "-subj", "/CN=localhost"])
        with open(self.path("san"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        self.openssl(["x509", "-req", "-in", self.path("server.csr"), "-CA", self.ca, "-CAkey", self.ca_key,
                      "-CAcreateserial", "-out", self.cert, "-days", "2", "-extfile", self.path("san")])

    def path(self, name):
        return os.path.join(self.dir, name)

    @staticmethod
    def openssl(args):
        subprocess.run(["openssl"] + args, check=True, capture_output=True)

    def close(self):
        shutil.rmtree(self.dir)


class Client:
    """A replica speaking the protocol by hand: caching_sha2_password, COM_QUERY, dumps."""

    def __init__(self, port, password="repl-pw", full_authentication=None, tls_ca=None):
        """full_authentication(client, password) answers a "perform full authentication" (0x01 0x04);
        with tls_ca, an SSLRequest, then TLS verified against that CA."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.io = wire.PacketIO(self.sock)
        greeting = self.io.read()
        p = greeting.index(b"\x00", 1) + 5
        self.scramble = greeting[p:p + 8] + greeting[p + 27:p + 39]
        self.plugin = greeting[p + 40:greeting.index(b"\x00", p + 40)].decode()
        stage1 = hashlib.sha256(password.encode()).digest()
        resp = wire.xor(stage1, hashlib.sha256(hashlib.sha256(stage1).digest() + self.scramble).digest())
        caps = wire.CLIENT_PROTOCOL_41 | wire.CLIENT_SECURE_CONNECTION | wire.CLIENT_PLUGIN_AUTH
        if tls_ca:
            caps |= wire.CLIENT_SSL
            self.io.write(struct.pack("<IIB", caps, 1 << 24, 255) + b"\x00" * 23)
            self.sock = ssl.create_default_context(cafile=tls_ca).wrap_socket(self.sock, server_hostname="127.0.0.1")
            self.io.sock = self.sock
        self.io.write(struct.pack("<IIB", caps, 1 << 24, 255) + b"\x00" * 23 + b"repl\x00" + bytes([len(resp)]) +
                      resp + b"caching_sha2_password\x00")
        self.auth_packets = [self.io.read()]
        if self.auth_packets[0] == b"\x01\x04" and full_authentication:
            full_authentication(self, password)
            self.auth_packets.append(self.io.read())
        elif self.auth_packets[0] == b"\x01\x03":
            self.auth_packets.append(self.io.read())

    def rsa_full_authentication(self, password):
        """What libmysqlclient does with get_server_public_key: ask for the key (0x02), then
        send the password and its NUL XOR the scramble, RSA-OAEP encrypted."""
        self.io.write(b"\x02")
        key = self.io.read()
        self.auth_packets.append(key)
        masked = bytes(b ^ self.scramble[i % 20] for i, b in enumerate(password.encode() + b"\x00"))
        with tempfile.NamedTemporaryFile() as pem:
            pem.write(key[1:])
            pem.flush()
            cipher = subprocess.run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pem.name, "-pkeyopt",
                                     "rsa_padding_mode:oaep"], input=masked, capture_output=True, check=True).stdout
        self.io.write(cipher)

    def clear_full_authentication(self, password):
        """The password in clear, as a client may only send it over TLS."""
        self.io.write(password.encode() + b"\x00")

    def query(self, sql):
        self.io.seq = 0
        self.io.write(b"\x03" + sql.encode())
        first = self.io.read()
        if first[0] in (0x00, 0xff):
            return first
        for _ in range(first[0]):
            self.io.read()  # column definitions
        self.io.read()  # EOF
        rows = []
        while True:
            p = self.io.read()
            if p[0] == 0xfe and len(p) < 9:
                return rows
            row, i = [], 0
            while i < len(p):
                n, i = wire.read_lenenc_int(p, i)
                row.append(p[i:i + n].decode())
                i += n
            rows.append(row)

    def prepare_and_execute(self, sql):
        """COM_STMT_PREPARE + COM_STMT_EXECUTE -> (column types, rows decoded from the binary protocol)."""
        self.io.seq = 0
        self.io.write(b"\x16" + sql.encode())
        ok = self.io.read()
        if ok[0] == 0xff:
            raise RuntimeError(ok[9:].decode())
        stmt_id, ncols = struct.unpack_from("<IH", ok, 1)
        for _ in range(ncols + 1):
            self.io.read()  # column definitions, EOF
        self.io.seq = 0
        self.io.write(b"\x17" + struct.pack("<IBI", stmt_id, 0, 1))
        ncols = self.io.read()[0]
        types = [self.io.read()[-6] for _ in range(ncols)]
        self.io.read()  # EOF
        rows = []
        while True:
            p = self.io.read()
            if p[0] == 0xfe:
                return types, rows
            bitmap, i, row = p[1:1 + (ncols + 9) // 8], 1 + (ncols + 9) // 8, []
            for c in range(ncols):
                if bitmap[(c + 2) // 8] & (1 << ((c + 2) % 8)):
                    row.append(None)
                elif types[c] == wire.T_LONG:
                    row.append(struct.unpack_from("<i", p, i)[0])
                    i += 4
                else:
                    n, i = wire.read_lenenc_int(p, i)
                    row.append(p[i:i + n].decode())
                    i += n
            rows.append(row)

    def dump_gtid(self, exclude, flags=0):
        data = exclude.encode()
        self.io.seq = 0
        self.io.write(b"\x1e" + struct.pack("<HII", flags, 99, 0) + struct.pack("<QI", 4, len(data)) + data)

    def dump(self, name, pos, flags=0):
        self.io.seq = 0
        self.io.write(b"\x12" + struct.pack("<IHI", pos, flags, 99) + name.encode())

    def events(self):
        """(type, log_pos, raw) until EOF; an ERR packet raises."""
        while True:
            p = self.io.read()
            if p[0] == 0xfe:
                return
            if p[0] == 0xff:
                raise RuntimeError(p[9:].decode())
            yield p[5], struct.unpack_from("<I", p, 14)[0], p[1:]


@unittest.skipUnless(os.path.exists(MDEV) and os.path.exists(ENUM_SET),
                     "skipped: no shared binlog fixtures at %s (set SYNC_SHARED_DIR)" % FIXTURES)
@unittest.skipUnless(shutil.which("mariadb") and shutil.which("mariadb-binlog"),
                     "skipped: the mariadb client and mariadb-binlog are not installed (Debian: mariadb-client)")
class Mysql8EmulatorTest(unittest.TestCase):
    def client(self, em):
        c = Client(em.port)
        self.addCleanup(c.sock.close)
        return c

    def start(self, binlog, *args):
        em = Emulator(binlog, *args)
        self.addCleanup(em.close)
        return em

    def test_mariadb_client_logs_in_with_caching_sha2_and_reads_the_status_queries(self):
        em = self.start(MDEV, "--binlog-name", "master-bin.000001", "--committed", "-1")
        r = em.mariadb("SELECT @@version, @@global.gtid_mode, @@global.binlog_checksum; SHOW MASTER STATUS; "
                       "SHOW BINARY LOGS")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["8.0.40\tOFF\tCRC32", "master-bin.000002\t157\t\t\t",
                                                 "master-bin.000001\t4438\tNo", "master-bin.000002\t157\tNo"])

    def test_a_wrong_password_is_mysqls_error_1045(self):
        em = self.start(MDEV)
        r = em.mariadb("SELECT 1", password="wrong")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ERROR 1045 (28000): Access denied for user 'repl'@'localhost' (using password: YES)", r.stderr)

    def test_mysql_native_password_accounts_switch_the_client_over(self):
        em = self.start(MDEV, "--auth-plugin", "mysql_native_password")
        self.assertEqual(em.mariadb("SELECT @@server_id").stdout.strip(), "1")
        self.assertEqual(em.mariadb("SELECT 1", password="nope").returncode, 1)

    def tls_emulator(self, *args):
        certs = Certificates()
        self.addCleanup(certs.close)
        return certs, self.start(MDEV, "--ssl-cert", certs.cert, "--ssl-key", certs.key, *args)

    def test_tls_with_the_certificate_verified_and_a_first_login_authenticating_fully_over_it(self):
        certs, em = self.tls_emulator("--empty-auth-cache")
        tls = ["--ssl", "--ssl-ca=" + certs.ca, "--ssl-verify-server-cert"]
        r = em.mariadb("SELECT @@version", "repl-pw", *tls)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "8.0.40"), r.stderr)
        log = em.log_text()
        self.assertRegex(log, r"conn 7: TLS TLSv1\.[23] ")
        self.assertIn("conn 7: caching_sha2_password full authentication over TLS", log)
        # Now in the cache: the next login is fast, over TLS or not.
        self.assertEqual(em.mariadb("SELECT @@server_id", "repl-pw", *tls).returncode, 0)
        self.assertEqual(em.mariadb("SELECT @@server_id", "repl-pw", "--skip-ssl").returncode, 0)
        self.assertEqual(em.log_text().count("full authentication"), 1)
        r = em.mariadb("SELECT 1", "wrong", *tls)
        self.assertIn("ERROR 1045 (28000): Access denied for user 'repl'@'localhost' (using password: YES)", r.stderr)

    def test_a_client_checking_the_certificate_against_another_ca_refuses_it(self):
        certs, em = self.tls_emulator()
        other = Certificates()
        self.addCleanup(other.close)
        r = em.mariadb("SELECT 1", "repl-pw", "--ssl", "--ssl-ca=" + other.ca, "--ssl-verify-server-cert")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ERROR 2026", r.stderr)
        self.assertTrue(em.wait_for_log("TLS handshake failed"), em.log_text())

    def test_a_blocking_gtid_dump_over_tls_sends_the_events_and_heartbeats(self):
        certs = Certificates()
        self.addCleanup(certs.close)
        em = self.start(ENUM_SET, "--committed", "-1", "--ssl-cert", certs.cert, "--ssl-key", certs.key)
        c = Client(em.port, tls_ca=certs.ca)
        self.addCleanup(c.sock.close)
        self.assertEqual(c.auth_packets[0], b"\x01\x03")
        c.query("SET @master_binlog_checksum = @@global.binlog_checksum")
        c.query("SET @master_heartbeat_period = 100000000")
        c.dump_gtid(GtidSet.parse_text(ENUM_SET_UUID + ":1-3"))
        stream = c.events()
        gtids = []
        t = None
        while t != 27 or len(gtids) < 2:  # the GTIDs of 4 and 5, then a heartbeat at the end
            t, _, raw = next(stream)
            if t == 33:
                gtids.append(struct.unpack_from("<q", raw, 19 + 17)[0])
        self.assertEqual(gtids, [4, 5])
        c.sock.close()
        self.assertTrue(em.wait_for_log("conn 7: TLS TLSv1."))

    def test_an_ssl_request_to_a_server_without_a_certificate_is_a_bad_handshake(self):
        em = self.start(MDEV)
        sock = socket.create_connection(("127.0.0.1", em.port), timeout=10)
        self.addCleanup(sock.close)
        io = wire.PacketIO(sock)
        greeting = io.read()
        caps = struct.unpack_from("<H", greeting, greeting.index(b"\x00", 1) + 5 + 9)[0]
        self.assertFalse(caps & wire.CLIENT_SSL)
        io.write(struct.pack("<IIB", wire.CLIENT_PROTOCOL_41 | wire.CLIENT_SSL, 1 << 24, 255) + b"\x00" * 23)
        reply = io.read()
        self.assertEqual(struct.unpack_from("<H", reply, 1)[0], 1043)
        self.assertIn(b"Bad handshake", reply)

    def test_mariadb_skipping_tls_asks_for_the_rsa_key_on_a_first_login_and_after_flush_privileges(self):
        em = self.start(MDEV, "--empty-auth-cache")
        r = em.mariadb("SELECT @@server_id", "wrong", "--skip-ssl")
        self.assertIn("ERROR 1045 (28000): Access denied for user 'repl'@'localhost' (using password: YES)", r.stderr)
        r = em.mariadb("SELECT @@version", "repl-pw", "--skip-ssl")
        self.assertEqual(r.stdout.strip(), "8.0.40", r.stderr)
        log = em.log_text()
        self.assertEqual(log.count("full authentication: sent the RSA public key"), 2)
        self.assertEqual(log.count("full authentication with the RSA key"), 2)
        self.assertEqual(em.mariadb("FLUSH PRIVILEGES", "repl-pw", "--skip-ssl").returncode, 0)  # a fast login
        self.assertEqual(em.mariadb("SELECT @@server_id", "repl-pw", "--skip-ssl").returncode, 0)
        self.assertEqual(em.log_text().count("full authentication with the RSA key"), 3)

    def test_mariadb_wanting_tls_from_a_server_without_sends_the_password_in_clear_and_is_denied(self):
        # Connector/C's is_connection_secure() (plugins/auth/caching_sha2_pw.c) trusts the
        # use_ssl option, not the connection: asked for TLS (the mariadb client's default) by
        # a server offering none, it falls back to plain TCP and answers "perform full
        # authentication" with the password in clear, which MySQL refuses off a secure transport.
        em = self.start(MDEV, "--empty-auth-cache")
        r = em.mariadb("SELECT @@server_id", "repl-pw", "--ssl")
        self.assertIn("ERROR 1045 (28000): Access denied for user 'repl'@'localhost' (using password: YES)", r.stderr)
        self.assertIn("a 8-byte answer is no RSA cipher", em.log_text())

    def test_full_authentication_over_plain_tcp_takes_the_rsa_cipher_and_refuses_a_clear_password(self):
        em = self.start(MDEV, "--empty-auth-cache")
        c = Client(em.port, full_authentication=Client.rsa_full_authentication)
        self.addCleanup(c.sock.close)
        self.assertEqual(c.auth_packets[0], b"\x01\x04")
        self.assertTrue(c.auth_packets[1].startswith(b"\x01-----BEGIN PUBLIC KEY-----"))
        self.assertEqual(c.auth_packets[2][0], 0x00)
        self.assertEqual(c.query("SELECT @@server_id"), [["1"]])
        # MySQL takes a clear password only over a secure transport: over TCP the answer must be
        # an RSA cipher of the key's length (sha2_password.cc), so this is denied, as is a
        # wrong scramble whatever the cache holds (it leads to full authentication too).
        self.assertEqual(em.mariadb("FLUSH PRIVILEGES").returncode, 0)
        clear = Client(em.port, full_authentication=Client.clear_full_authentication)
        self.addCleanup(clear.sock.close)
        self.assertEqual(clear.auth_packets[0], b"\x01\x04")
        self.assertEqual(struct.unpack_from("<H", clear.auth_packets[1], 1)[0], 1045)
        wrong = Client(em.port, "wrong", full_authentication=Client.rsa_full_authentication)
        self.addCleanup(wrong.sock.close)
        self.assertEqual(struct.unpack_from("<H", wrong.auth_packets[2], 1)[0], 1045)

    def test_the_fast_authentication_path_is_announced_before_ok(self):
        em = self.start(MDEV)
        c = self.client(em)
        self.assertEqual(c.plugin, "caching_sha2_password")
        self.assertEqual(c.auth_packets[0], b"\x01\x03")
        self.assertEqual(c.auth_packets[1][0], 0x00)

    def test_the_seed_table_is_in_information_schema_and_read_by_a_prepared_statement(self):
        em = self.start(MDEV, "--seed-table", "test")
        r = em.mariadb("SHOW FULL TABLES FROM `test` WHERE Table_type = 'BASE TABLE'; "
                       "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, co.ID FROM information_schema.COLUMNS c "
                       "LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME "
                       "WHERE c.TABLE_SCHEMA='test' AND c.TABLE_NAME='seed' ORDER BY c.ORDINAL_POSITION; "
                       "SELECT COLUMN_NAME FROM information_schema.STATISTICS c WHERE c.TABLE_SCHEMA='test' AND "
                       "c.TABLE_NAME='seed' AND c.INDEX_NAME='PRIMARY' ORDER BY c.SEQ_IN_INDEX")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["seed\tBASE TABLE", "id\tint\tNO\tNULL",
                                                 "note\tvarchar(40)\tYES\t255", "id"])
        c = self.client(em)
        types, rows = c.prepare_and_execute("SELECT `id`, `note` FROM `test`.`seed`")
        self.assertEqual(types, [wire.T_LONG, wire.T_VAR_STRING])
        self.assertEqual(rows, [[1, "copied by the snapshot"], [2, None]])
        self.assertEqual(c.prepare_and_execute("SELECT `id` FROM `test`.`seed` ORDER BY `id` LIMIT 1 OFFSET 1999")[1],
                         [])
        with self.assertRaisesRegex(RuntimeError, "Table 'test.nope' doesn't exist"):
            c.prepare_and_execute("SELECT `id` FROM `test`.`nope`")

    def test_an_unknown_statement_is_an_error_naming_it(self):
        em = self.start(MDEV)
        r = em.mariadb("SELECT frobnicate()")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not know this statement", r.stderr)
        self.assertIn("SELECT frobnicate()", r.stderr)
        r = em.mariadb("SELECT @@global.character_set_collations")  # MariaDB 11.2's, not MySQL's
        self.assertIn("ERROR 1193 (HY000) at line 1: Unknown system variable 'character_set_collations'", r.stderr)

    def test_mariadb_binlog_refuses_a_mysql_8_version_as_it_would_a_real_server(self):
        em = self.start(MDEV, "--committed", "-1")
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run(["mariadb-binlog", "--read-from-remote-server", "--raw", "-h127.0.0.1",
                                "-P%d" % em.port, "-urepl", "-prepl-pw", "--result-file=%s/" % out,
                                os.path.basename(MDEV)], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unrecognized MariaDB version '8.0.40'", r.stderr)

    def raw_fetch(self, binlog, name):
        # mariadb-binlog knows server versions up to 5.x and MariaDB's 10+: the sender is the same.
        em = self.start(binlog, "--binlog-name", name, "--committed", "-1", "--version", "5.7.44-log")
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run(["mariadb-binlog", "--read-from-remote-server", "--raw", "-h127.0.0.1",
                                "-P%d" % em.port, "-urepl", "-prepl-pw", "--result-file=%s/" % out, name],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, name), "rb") as f:
                return f.read()

    def test_mariadb_binlog_raw_fetches_the_fixture_byte_for_byte(self):
        with open(MDEV, "rb") as f:
            self.assertEqual(self.raw_fetch(MDEV, "master-bin.000001"), f.read())

    def test_the_sender_clears_the_in_use_flag_of_the_format_description_as_mysql_does(self):
        with open(ENUM_SET, "rb") as f:
            original = bytearray(f.read())
        self.assertEqual(original[4 + 17] & 1, 1)  # written while the file was open
        original[4 + 17] &= ~1
        self.assertEqual(self.raw_fetch(ENUM_SET, "binlog.000001"), bytes(original))

    def test_dump_gtid_skips_the_transactions_the_replica_has(self):
        em = self.start(ENUM_SET, "--committed", "-1")
        c = self.client(em)
        c.query("SET @master_binlog_checksum = @@global.binlog_checksum")
        have = GtidSet.parse_text(ENUM_SET_UUID + ":1-3")
        c.dump_gtid(have, flags=1)
        events = list(c.events())
        types = [t for t, _, _ in events]
        self.assertEqual(types[:3], [4, 15, 35])          # fake ROTATE, FDE, PREVIOUS_GTIDS
        self.assertEqual(events[1][1], 0)                  # FDE log_pos cleared: its first GTID is skipped
        gtids = [struct.unpack_from("<q", raw, 19 + 17)[0] for t, _, raw in events if t == 33]
        self.assertEqual(gtids, [4, 5])
        # A heartbeat carries the position past 1-3: where the GTID event of 4 starts.
        self.assertEqual(types[3], 27)
        _, gtid4_end, gtid4 = events[4]
        self.assertEqual(events[3][1], gtid4_end - len(gtid4))

    def test_dump_gtid_lacking_purged_transactions_is_refused_naming_them(self):
        em = self.start(ENUM_SET, "--committed", "4")
        c = self.client(em)
        c.query("SET GLOBAL emulator_purged_transactions = 3")
        c.query("SET @master_binlog_checksum = @@global.binlog_checksum")
        c.dump_gtid(GtidSet.parse_text(ENUM_SET_UUID + ":1"), flags=1)
        with self.assertRaisesRegex(RuntimeError, "Cannot replicate because the source purged required binary logs.*"
                                    "the missing transactions are '%s:2-3'" % ENUM_SET_UUID):
            list(c.events())
        self.assertEqual(self.client(em).query("SELECT @@global.gtid_purged"), [[ENUM_SET_UUID + ":1-3"]])

    def test_dump_gtid_is_refused_with_gtid_mode_off(self):
        em = self.start(MDEV, "--committed", "-1")
        c = self.client(em)
        c.query("SET @master_binlog_checksum = 'CRC32'")
        c.dump_gtid(GtidSet(), flags=1)
        with self.assertRaisesRegex(RuntimeError, "Request to dump GTID when @@GLOBAL.GTID_MODE <> ON."):
            list(c.events())

    def test_a_blocking_dump_waits_with_heartbeats_and_sends_what_is_written_later(self):
        em = self.start(ENUM_SET, "--committed", "2")
        c = self.client(em)
        c.query("SET @master_binlog_checksum = @@global.binlog_checksum")
        c.query("SET @master_heartbeat_period = 200000000")
        end = int(c.query("SHOW MASTER STATUS")[0][1])
        c.dump(os.path.basename(ENUM_SET), end)
        stream = c.events()
        self.assertEqual([next(stream)[0] for _ in range(2)], [4, 15])
        heartbeat = next(stream)
        self.assertEqual((heartbeat[0], heartbeat[1]), (27, end))
        admin = self.client(em)
        admin.query("SET GLOBAL emulator_committed_transactions = 3")
        t, pos, raw = next(stream)
        while t == 27:
            t, pos, raw = next(stream)
        self.assertEqual((t, struct.unpack_from("<q", raw, 19 + 17)[0]), (33, 3))

    def test_a_missing_checksum_setting_is_refused_as_mysql_refuses_it(self):
        em = self.start(ENUM_SET, "--committed", "-1")
        c = self.client(em)
        c.dump(os.path.basename(ENUM_SET), 4, flags=1)
        with self.assertRaisesRegex(RuntimeError, "Slave can not handle replication events with the checksum"):
            list(c.events())


if __name__ == "__main__":
    unittest.main()
