#!/usr/bin/env python3
"""Tests of the StarRocks emulator: one test per behaviour of specs/starrocks.md §4
(test_b01 .. test_b55) plus restart/persistence, the real `mariadb` client and curl.

Run from the repository root:
  python3 -m unittest -v tests/emulators/starrocks/test_emulator.py
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "emulator.py")
USER, PASSWORD = "root", "s3cret"


# ---------------------------------------------------------------- process control

class Emulator:
    def __init__(self, data_dir=None, extra=()):
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="sr-emu-")
        self.extra = list(extra)
        self.proc = None

    def start(self):
        pf = os.path.join(self.data_dir, "ports.json")
        if os.path.exists(pf):
            os.unlink(pf)
        self.log = open(os.path.join(self.data_dir, "emulator.log"), "ab")
        self.proc = subprocess.Popen([sys.executable, EMULATOR, "--data-dir", self.data_dir, "--password", PASSWORD,
                                      "--ports-file", pf, "--alter-delay-ms", "300"] + self.extra,
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while not os.path.exists(pf):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("emulator did not start; see %s/emulator.log" % self.data_dir)
            time.sleep(0.02)
        with open(pf) as f:
            self.ports = json.load(f)
        return self

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def fe(self):
        return self.ports["http_port"]

    @property
    def be(self):
        return self.ports["be_http_port"]

    @property
    def qport(self):
        return self.ports["query_port"]


# ---------------------------------------------------------------- minimal MySQL client

class MySQLError(Exception):
    def __init__(self, code, state, msg):
        Exception.__init__(self, "%d (%s): %s" % (code, state, msg))
        self.code, self.state, self.msg = code, state, msg


class MySQL:
    def __init__(self, port, user=USER, password=PASSWORD, db=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.seq = 0
        hs = self._read()
        assert hs[0] == 10
        i = hs.index(b"\0", 1)
        self.server_version = hs[1:i].decode()
        i += 1 + 4
        s1 = hs[i:i + 8]
        i += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
        s2 = hs[i:i + 12]
        scramble = s1 + s2
        if password:
            h1 = hashlib.sha1(password.encode()).digest()
            h3 = hashlib.sha1(scramble + hashlib.sha1(h1).digest()).digest()
            auth = bytes(a ^ b for a, b in zip(h1, h3))
        else:
            auth = b""
        caps = 0x1 | 0x200 | 0x8000 | 0x80000 | (0x8 if db else 0)
        p = struct.pack("<IIB", caps, 1 << 24, 33) + b"\0" * 23 + user.encode() + b"\0" + bytes([len(auth)]) + auth
        if db:
            p += db.encode() + b"\0"
        p += b"mysql_native_password\0"
        self._write(p)
        r = self._read()
        if r[0] == 0xff:
            self.sock.close()
            raise self._err(r)

    def _read(self):
        def exact(n):
            b = b""
            while len(b) < n:
                c = self.sock.recv(n - len(b))
                if not c:
                    raise EOFError()
                b += c
            return b
        h = exact(4)
        self.seq = h[3] + 1
        return exact(h[0] | h[1] << 8 | h[2] << 16)

    def _write(self, p):
        self.sock.sendall(struct.pack("<I", len(p))[:3] + bytes([self.seq & 0xff]) + p)
        self.seq += 1

    @staticmethod
    def _err(r):
        code = struct.unpack_from("<H", r, 1)[0]
        return MySQLError(code, r[4:9].decode(), r[9:].decode())

    @staticmethod
    def _lenenc(d, i):
        c = d[i]
        if c < 251:
            return c, i + 1
        if c == 0xfb:
            return None, i + 1
        if c == 0xfc:
            return struct.unpack_from("<H", d, i + 1)[0], i + 3
        if c == 0xfd:
            return int.from_bytes(d[i + 1:i + 4], "little"), i + 4
        return struct.unpack_from("<Q", d, i + 1)[0], i + 9

    def query(self, sql):
        """-> list of rows (lists of str|None) for result sets, or the OK info dict."""
        self.seq = 0
        self._write(b"\x03" + sql.encode())
        r = self._read()
        if r[0] == 0xff:
            raise self._err(r)
        if r[0] == 0x00:
            aff, i = self._lenenc(r, 1)
            return {"affected": aff}
        n, _ = self._lenenc(r, 0)
        self.columns = []
        for _ in range(n):
            cd = self._read()
            i = 0
            parts = []
            for _ in range(6):
                ln, i = self._lenenc(cd, i)
                parts.append(cd[i:i + ln].decode())
                i += ln
            self.columns.append(parts[4])
        assert self._read()[0] == 0xfe
        rows = []
        while True:
            r = self._read()
            if r[0] == 0xfe and len(r) < 9:
                return rows
            row, i = [], 0
            while i < len(r):
                ln, i = self._lenenc(r, i)
                if ln is None:
                    row.append(None)
                else:
                    row.append(r[i:i + ln].decode("utf-8", errors="replace"))
                    i += ln
            rows.append(row)

    def close(self):
        try:
            self.seq = 0
            self._write(b"\x01")
        finally:
            self.sock.close()


# ---------------------------------------------------------------- raw HTTP client

def auth_header(user=USER, password=PASSWORD):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class Resp:
    def __init__(self, status, headers, body, got_continue):
        self.status, self.headers, self.body, self.got_continue = status, headers, body, got_continue

    def json(self):
        return json.loads(self.body.decode())


def _read_head(f):
    line = f.readline()
    if not line:
        raise EOFError("connection closed")
    parts = line.decode().split(" ", 2)
    status = int(parts[1])
    headers = {}
    raw = []
    while True:
        l = f.readline().decode()
        if l in ("\r\n", "\n", ""):
            break
        k, v = l.split(":", 1)
        headers[k.strip().lower()] = v.strip()
        raw.append(k.strip())
    headers["__order__"] = raw
    return status, headers


def http(port, method, path, headers=None, body=b"", expect=False, version="HTTP/1.1", send_body=True,
         content_length=None, timeout=10, body_chunks=None):
    """Raw HTTP request. With expect=True the body is sent only after `100 Continue`."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    f = s.makefile("rb")
    if isinstance(body, str):
        body = body.encode()
    h = dict(headers or {})
    if body_chunks is None:
        h.setdefault("Content-Length", str(len(body) if content_length is None else content_length))
    if expect:
        h["Expect"] = "100-continue"
    req = "%s %s %s\r\nHost: 127.0.0.1:%d\r\n" % (method, path, version, port)
    req += "".join("%s: %s\r\n" % (k, v) for k, v in h.items()) + "\r\n"
    got_continue = False
    try:
        if not expect:
            s.sendall(req.encode() + (body if send_body and body_chunks is None else b""))
            if body_chunks is not None:
                for delay, chunk in body_chunks:
                    time.sleep(delay)
                    s.sendall(chunk)
            status, hd = _read_head(f)
        else:
            s.sendall(req.encode())
            status, hd = _read_head(f)
            if status == 100:
                got_continue = True
                if send_body:
                    s.sendall(body)
                status, hd = _read_head(f)
        n = int(hd.get("content-length", "0"))
        data = f.read(n) if n else b""
        return Resp(status, hd, data, got_continue)
    finally:
        f.close()
        s.close()


# ---------------------------------------------------------------- the tests

class EmulatorTest(unittest.TestCase):
    emu = None
    counter = [0]

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(extra=["--follower-http-port", "0"]).start()
        cls.sql = MySQL(cls.emu.qport)

    @classmethod
    def tearDownClass(cls):
        cls.sql.close()
        cls.emu.cleanup()

    # helpers ---------------------------------------------------------------
    def q(self, sql):
        return self.sql.query(sql)

    def q_err(self, sql):
        with self.assertRaises(MySQLError) as cm:
            self.sql.query(sql)
        return cm.exception

    def fresh_db(self):
        self.counter[0] += 1
        db = "d%d_%s" % (self.counter[0], self._testMethodName[5:8])
        self.q("CREATE DATABASE %s" % db)
        return db

    def pk_table(self, db, name="t", extra_cols="", props='"replication_num" = "1"', extra=""):
        self.q("CREATE TABLE `%s`.`%s` (id BIGINT NOT NULL, name VARCHAR(10) NULL, score INT NULL%s) "
               "PRIMARY KEY (id) %s DISTRIBUTED BY HASH (id) BUCKETS 2 PROPERTIES (%s)" % (db, name, extra_cols, extra, props))

    def rows(self, db, table):
        r = http(self.emu.fe, "GET", "/_emulator/tables/%s/%s" % (db, table))
        return r.json()["rows"]

    def be_load(self, db, table, body, headers=None, expect=False, label=None):
        h = {"Authorization": auth_header()}
        if label is not None:
            h["label"] = label
        h.update(headers or {})
        return http(self.emu.be, "PUT", "/api/%s/%s/_stream_load" % (db, table), h, body, expect=expect)

    def load(self, db, table, body, headers=None, label=None):
        """Through the FE: 307 then the BE, as libcurl with CURLOPT_FOLLOWLOCATION does. -> JSON dict."""
        h = {"Authorization": auth_header()}
        if label is not None:
            h["label"] = label
        h.update(headers or {})
        path = "/api/%s/%s/_stream_load" % (urllib.parse.quote(db), urllib.parse.quote(table))
        r = http(self.emu.fe, "PUT", path, h, body, expect=True)
        self.assertEqual(r.status, 307, r.body)
        loc = urllib.parse.urlsplit(r.headers["location"])
        r2 = http(loc.port, "PUT", loc.path + ("?" + loc.query if loc.query else ""), h, body, expect=True)
        self.assertEqual(r2.status, 200)
        return r2.json()

    def txn(self, op, db, table, label, body=b"", via_fe=True, headers=None, method="POST"):
        h = {"Authorization": auth_header(), "label": label, "db": db, "table": table}
        h.update(headers or {})
        if op == "load":
            method = "PUT"
        port = self.emu.fe if via_fe else self.emu.be
        r = http(port, method, "/api/transaction/%s" % op, h, body, expect=True)
        if r.status == 307:
            loc = urllib.parse.urlsplit(r.headers["location"])
            r = http(loc.port, method, loc.path, h, body, expect=True)
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def load_state(self, db, label):
        r = http(self.emu.fe, "GET", "/api/%s/get_load_state?label=%s" % (db, label), {"Authorization": auth_header()})
        return r.json()

    def error_log(self, url):
        u = urllib.parse.urlsplit(url)
        r = http(u.port, "GET", u.path + "?" + u.query)
        self.assertEqual(r.status, 200)
        return r.body.decode()

    # ------------------------------------------------------------ transport / routing
    def test_b01_fe_without_authorization_is_401(self):
        db = self.fresh_db()
        self.pk_table(db)
        r = http(self.emu.fe, "PUT", "/api/%s/t/_stream_load" % db, {"label": "b01"}, b"1\ta\t1\n", expect=True)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers.get("www-authenticate"), 'Basic realm=""')
        self.assertFalse(r.got_continue)
        self.assertEqual(r.json()["status"], "FAILED")
        self.assertEqual(self.rows(db, "t"), [])

    def test_b02_fe_wrong_password_is_401(self):
        db = self.fresh_db()
        self.pk_table(db)
        r = http(self.emu.fe, "PUT", "/api/%s/t/_stream_load" % db,
                 {"Authorization": auth_header(password="nope")}, b"1\ta\t1\n", expect=True)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers.get("www-authenticate"), 'Basic realm=""')

    def test_b03_fe_requires_expect_100_continue(self):
        r = http(self.emu.fe, "PUT", "/api/x/t/_stream_load", {"Authorization": auth_header()}, b"1\ta\t1\n")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["Status"], "FAILED")
        self.assertIn("There is no 100-continue header", r.json()["Message"])
        self.assertEqual(r.headers.get("connection"), "close")

    def test_b04_fe_redirects_307_without_reading_body(self):
        r = http(self.emu.fe, "PUT", "/api/db1/t1/_stream_load?foo=bar&x=1",
                 {"Authorization": auth_header(), "label": "b04"}, b"1\ta\n", expect=True)
        self.assertEqual(r.status, 307)
        self.assertFalse(r.got_continue)          # no 100 Continue: the body was never requested
        self.assertEqual(r.headers["location"],
                         "http://127.0.0.1:%d/api/db1/t1/_stream_load?foo=bar&x=1" % self.emu.be)
        self.assertEqual(r.headers.get("connection"), "close")
        self.assertEqual(r.headers.get("content-length"), "0")

    def test_b05_only_put_is_registered(self):
        r = http(self.emu.be, "GET", "/api/db/t/_stream_load", {"Authorization": auth_header()})
        self.assertEqual((r.status, r.body), (404, b"Not Found"))
        r = http(self.emu.be, "POST", "/api/db/t/_stream_load", {"Authorization": auth_header()}, b"x")
        self.assertEqual((r.status, r.body), (404, b"Not Found"))
        r = http(self.emu.be, "GET", "/nothing/here")
        self.assertEqual(r.status, 404)
        r = http(self.emu.fe, "GET", "/api/db/t/_stream_load", {"Authorization": auth_header()})
        self.assertEqual(r.status, 404)

    def test_b06_be_accepts_direct_request_without_expect(self):
        db = self.fresh_db()
        self.pk_table(db)
        r = self.be_load(db, "t", b"1\ta\t10\n", label="b06")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": "a", "score": 10}])

    def test_b07_be_sends_100_continue_only_after_header_phase(self):
        db = self.fresh_db()
        self.pk_table(db)
        bad = self.be_load(db, "t", b"1\ta\t1\n", {"format": "xml"}, expect=True, label="b07a")
        self.assertFalse(bad.got_continue)
        self.assertEqual(bad.status, 200)
        self.assertEqual(bad.json()["Status"], "Fail")
        good = self.be_load(db, "t", b"1\ta\t1\n", expect=True, label="b07b")
        self.assertTrue(good.got_continue)
        self.assertEqual(good.json()["Status"], "Success")
        dup = self.be_load(db, "t", b"1\ta\t1\n", expect=True, label="b07b")
        self.assertFalse(dup.got_continue)
        self.assertEqual(dup.json()["Status"], "Label Already Exists")

    def test_b08_every_be_reply_is_200_json(self):
        for db, table, hdr in (("nodb", "t", {}), ("x", "y", {"format": "bogus"}), ("x", "y", {"timeout": "abc"})):
            r = self.be_load(db, table, b"1\n", hdr)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["content-type"], "application/json")
            self.assertEqual(r.json()["Status"], "Fail")
        r = http(self.emu.be, "PUT", "/api/x/y/_stream_load", {}, b"1\n")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["Message"], "no valid Basic authorization")

    def test_b09_response_keys_in_exact_order(self):
        db = self.fresh_db()
        self.pk_table(db)
        r = self.be_load(db, "t", b"1\ta\t1\n", label="b09")
        keys = list(json.loads(r.body.decode(), object_pairs_hook=lambda kv: kv))
        self.assertEqual([k for k, _ in keys],
                         ["TxnId", "Label", "Status", "Message", "NumberTotalRows", "NumberLoadedRows",
                          "NumberFilteredRows", "NumberUnselectedRows", "LoadBytes", "LoadTimeMs", "BeginTxnTimeMs",
                          "StreamLoadPlanTimeMs", "ReadDataTimeMs", "WriteDataTimeMs", "CommitAndPublishTimeMs"])
        self.assertEqual(r.json()["Message"], "OK")
        self.assertTrue(r.body.decode().startswith('{\n    "TxnId": '))   # rapidjson PrettyWriter, 4 spaces
        bad = self.be_load(db, "t", b"1\tx\n", label="b09b")
        keys = [k for k, _ in json.loads(bad.body.decode(), object_pairs_hook=lambda kv: kv)]
        self.assertEqual(keys[-1], "ErrorURL")
        dup = self.be_load(db, "t", b"1\ta\t1\n", label="b09")
        keys = [k for k, _ in json.loads(dup.body.decode(), object_pairs_hook=lambda kv: kv)]
        self.assertEqual(keys[:5], ["TxnId", "Label", "Status", "ExistingJobStatus", "Message"])

    # ------------------------------------------------------------ labels
    def test_b10_reused_finished_label(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.assertEqual(self.load(db, "t", "1\ta\t1\n", label="L10")["Status"], "Success")
        r = self.be_load(db, "t", b"2\tb\t2\n", label="L10", expect=True)
        self.assertFalse(r.got_continue)           # body not read
        j = r.json()
        self.assertEqual(j["Status"], "Label Already Exists")
        self.assertEqual(j["ExistingJobStatus"], "FINISHED")
        self.assertEqual(j["Message"], "Label [L10] has already been used.")
        self.assertEqual(j["NumberLoadedRows"], 0)
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": "a", "score": 1}])

    def test_b11_reused_running_label(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.assertEqual(self.txn("begin", db, "t", "L11")["Status"], "OK")
        j = self.load(db, "t", "1\ta\t1\n", label="L11")
        self.assertEqual((j["Status"], j["ExistingJobStatus"]), ("Label Already Exists", "RUNNING"))
        self.txn("load", db, "t", "L11", b"1\ta\t1\n")
        self.assertEqual(self.txn("prepare", db, "t", "L11")["Status"], "OK")
        j = self.load(db, "t", "1\ta\t1\n", label="L11")
        self.assertEqual((j["Status"], j["ExistingJobStatus"]), ("Label Already Exists", "RUNNING"))
        self.txn("rollback", db, "t", "L11")

    def test_b12_label_of_failed_load_is_reusable(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", "1\ta\n", label="L12")
        self.assertEqual((j["Status"], j["Message"]), ("Fail", "too many filtered rows"))
        j = self.load(db, "t", "1\ta\t5\n", label="L12")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": "a", "score": 5}])

    def test_b13_label_format(self):
        db = self.fresh_db()
        self.pk_table(db)
        for bad in ("bad label", "x" * 129, "caf\u00e9", "a.b"):
            r = self.be_load(db, "t", b"1\ta\t1\n", {"label": urllib.parse.quote(bad) if not bad.isascii() else bad})
            j = r.json()
            self.assertEqual(j["Status"], "Fail")
            self.assertIn("Label format error", j["Message"])
        self.assertEqual(self.load(db, "t", "1\ta\t1\n", label="ok-label_" + "y" * 119)["Status"], "Success")

    def test_b14_missing_label_gets_uuid(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", "1\ta\t1\n")
        self.assertEqual(j["Status"], "Success")
        self.assertRegex(j["Label"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

    def test_b15_label_retention(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.assertEqual(self.load(db, "t", "1\ta\t1\n", label="L15")["Status"], "Success")
        http(self.emu.fe, "POST", "/_emulator/config", {}, json.dumps({"label_keep_max_second": 0.5}))
        try:
            time.sleep(0.7)
            j = self.load(db, "t", "2\tb\t2\n", label="L15")
            self.assertEqual(j["Status"], "Success")
        finally:
            http(self.emu.fe, "POST", "/_emulator/config", {}, json.dumps({"label_keep_max_second": 259200}))
        self.assertEqual(len(self.rows(db, "t")), 2)

    # ------------------------------------------------------------ data quality
    def test_b16_csv_field_count_mismatch(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", "1\ta\t1\n2\tb\n3\tc\t3\t9\n", label="L16")
        self.assertEqual((j["Status"], j["Message"]), ("Fail", "too many filtered rows"))
        self.assertEqual((j["NumberTotalRows"], j["NumberFilteredRows"]), (3, 2))
        log = self.error_log(j["ErrorURL"])
        self.assertIn("Value count does not match column count", log)
        self.assertRegex(j["ErrorURL"], r"^http://127\.0\.0\.1:\d+/api/_load_error_log\?file=error_log_[0-9a-f]+_[0-9a-f]+$")
        self.assertEqual(self.rows(db, "t"), [])

    def test_b17_max_filter_ratio(self):
        db = self.fresh_db()
        self.pk_table(db)
        body = "1\ta\t1\n2\tb\n3\tc\t3\n"
        j = self.load(db, "t", body, {"max_filter_ratio": "0.3"}, label="L17a")
        self.assertEqual(j["Status"], "Fail")      # 1/3 > 0.3
        j = self.load(db, "t", body, {"max_filter_ratio": "0.34"}, label="L17b")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual((j["NumberLoadedRows"], j["NumberFilteredRows"]), (2, 1))
        self.assertIn("ErrorURL", j)
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [1, 3])

    def test_b18_where_rows_are_unselected(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", "1\ta\t1\n2\tb\t20\n3\tc\t30\n", {"where": "score > 10"}, label="L18")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual((j["NumberUnselectedRows"], j["NumberFilteredRows"], j["NumberLoadedRows"]), (1, 0, 2))
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [2, 3])

    def test_b19_counters_invariant(self):
        db = self.fresh_db()
        self.pk_table(db)
        body = "1\ta\t1\n2\tb\n3\tc\t30\n4\td\t40\nx\te\t50\n"
        j = self.load(db, "t", body, {"where": "score >= 30", "max_filter_ratio": "1"}, label="L19")
        self.assertEqual(j["NumberTotalRows"], j["NumberLoadedRows"] + j["NumberFilteredRows"] + j["NumberUnselectedRows"])
        self.assertEqual((j["NumberTotalRows"], j["NumberLoadedRows"], j["NumberFilteredRows"], j["NumberUnselectedRows"]),
                         (5, 2, 2, 1))

    def test_b20_strict_mode_and_conversion(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (id INT NOT NULL, a TINYINT NULL, b TINYINT NOT NULL DEFAULT '0') PRIMARY KEY(id) "
               "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        j = self.load(db, "t", "1\tabc\t1\n2\t2000\t1\n3\t\\N\t1\n", label="L20a")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("Success", 3))
        self.assertEqual([r["a"] for r in self.rows(db, "t")], [None, None, None])
        j = self.load(db, "t", "4\t1\tabc\n", label="L20b")     # NOT NULL column -> NULL -> filtered
        self.assertEqual((j["Status"], j["NumberFilteredRows"]), ("Fail", 1))
        j = self.load(db, "t", "5\tabc\t1\n6\t\\N\t1\n", {"strict_mode": "true", "max_filter_ratio": "1"}, label="L20c")
        self.assertEqual((j["NumberFilteredRows"], j["NumberLoadedRows"]), (1, 1))
        self.assertIn("Error: The field (name = a, pos = 1) is out of range. Type: TINYINT, Value length: 3, "
                      "Value: abc. Row: 5\tabc\t1", self.error_log(j["ErrorURL"]))
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [1, 2, 3, 6])

    def test_b21_null_in_not_null_column(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (id INT NOT NULL, v VARCHAR(5) NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
               "PROPERTIES('replication_num'='1')" % db)
        j = self.load(db, "t", '[{"id": 1}, {"id": 2, "v": null}]', {"format": "json", "strip_outer_array": "true"}, label="L21")
        self.assertEqual((j["Status"], j["NumberFilteredRows"]), ("Fail", 2))
        self.assertIn("NULL value in non-nullable column", self.error_log(j["ErrorURL"]))

    def test_b22_string_byte_length(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (id INT NOT NULL, v VARCHAR(5) NULL, c CHAR(2) NULL) PRIMARY KEY(id) "
               "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        j = self.load(db, "t", "1\tabcde\tab\n2\tabcdef\tab\n3\t\u65e5\u672c\tab\n4\ta\tabc\n",
                      {"max_filter_ratio": "1"}, label="L22")
        self.assertEqual((j["NumberLoadedRows"], j["NumberFilteredRows"]), (1, 3))   # 日本 = 6 bytes
        log = self.error_log(j["ErrorURL"])
        self.assertIn("String 'abcdef'(length=6) is too long. The max length of 'v' is 5", log)

    def test_b23_partitions(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.r (dt DATE NOT NULL, id INT NOT NULL) PRIMARY KEY(dt, id) "
               "PARTITION BY RANGE(dt) (PARTITION p1 VALUES LESS THAN ('2024-02-01'), "
               "PARTITION p2 VALUES LESS THAN ('2024-03-01')) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        j = self.load(db, "r", "2024-01-15\t1\n2024-05-01\t2\n", {"max_filter_ratio": "1"}, label="L23a")
        self.assertEqual((j["NumberLoadedRows"], j["NumberFilteredRows"]), (1, 1))
        self.assertIn("The row is out of partition ranges. Please add a new partition.", self.error_log(j["ErrorURL"]))
        self.q("CREATE TABLE %s.e (dt DATE NOT NULL, id INT NOT NULL) PRIMARY KEY(dt, id) "
               "PARTITION BY date_trunc('day', dt) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        j = self.load(db, "e", "2024-01-15\t1\n2031-05-01\t2\n", label="L23b")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("Success", 2))
        parts = [r[1] for r in self.q("SHOW PARTITIONS FROM %s.e" % db)]
        self.assertEqual(sorted(parts), ["p20240115", "p20310501"])

    def test_b23_column_expression_partitions(self):
        # PARTITION BY (col) on a PK table (3.1+): a partition per value, named as
        # AnalyzerUtils.getFormatPartitionValue writes it; the column must be a key
        # column of a type ListPartitionDesc accepts.
        db = self.fresh_db()
        self.q("CREATE TABLE %s.c (id INT NOT NULL, region VARCHAR(20) NOT NULL, v INT) PRIMARY KEY(id, region) "
               "PARTITION BY (region) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        j = self.load(db, "c", "1\teu\t1\n2\tsa-east 1/x\t2\n3\teu\t3\n4\t-x.y\t4\n", label="L23c")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("Success", 4))
        parts = sorted(r[1] for r in self.q("SHOW PARTITIONS FROM %s.c" % db))
        self.assertEqual(parts, ["p_x2ey", "peu", "psaeast12fx"])
        e = self.q_err("CREATE TABLE %s.nk (id INT NOT NULL, region VARCHAR(20) NOT NULL) PRIMARY KEY(id) "
                       "PARTITION BY (region) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        self.assertIn("The partition column could not be aggregated column and unique table's partition column must "
                      "be key column", e.msg)
        e = self.q_err("CREATE TABLE %s.fl (id INT NOT NULL, f DOUBLE NOT NULL) DUPLICATE KEY(id) "
                       "PARTITION BY (f) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        self.assertIn("Invalid partition column 'f': invalid data type double", e.msg)

    def test_b23_automatic_partition_limit(self):
        # 3.3: max_automatic_partition_number bounds the table's partitions; a row
        # past it is filtered with the FE's reason (FrontendServiceImpl.createPartitionProcess).
        db = self.fresh_db()
        self.q("CREATE TABLE %s.c (id INT NOT NULL, k INT NOT NULL) PRIMARY KEY(id, k) "
               "PARTITION BY (k) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        http(self.emu.fe, "POST", "/_emulator/config", {}, json.dumps({"max_automatic_partition_number": 3}))
        try:
            j = self.load(db, "c", "1\t1\n2\t2\n3\t3\n4\t4\n", {"max_filter_ratio": "1"}, label="L23d")
        finally:
            http(self.emu.fe, "POST", "/_emulator/config", {}, json.dumps({"max_automatic_partition_number": 4096}))
        self.assertEqual((j["NumberLoadedRows"], j["NumberFilteredRows"]), (3, 1))
        self.assertIn("The row create partition failed since Runtime error:  Automatically created partitions exceeded "
                      "the maximum limit: 3.", self.error_log(j["ErrorURL"]))

    def test_b24_invalid_utf8_and_blank_lines(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.be_load(db, "t", b"1\ta\t1\n\n2\t\xff\xfe\t2\n\n3\tc\t3\n", {"max_filter_ratio": "1"}, label="L24").json()
        self.assertEqual((j["NumberTotalRows"], j["NumberLoadedRows"], j["NumberFilteredRows"]), (3, 2, 1))
        self.assertIn("Invalid UTF-8 row", self.error_log(j["ErrorURL"]))

    def test_b25_json_array_vs_strip_outer_array(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", '[{"id": 1}]', {"format": "json"}, label="L25a")
        self.assertEqual(j["Status"], "Fail")
        self.assertIn("The value is array type in json document stream, you can set strip_outer_array=true",
                      self.error_log(j["ErrorURL"]))
        j = self.load(db, "t", '{"id": 1}', {"format": "json", "strip_outer_array": "true"}, label="L25b")
        self.assertEqual(j["Status"], "Fail")
        self.assertIn("the value should be array type with strip_outer_array=true", self.error_log(j["ErrorURL"]))
        j = self.load(db, "t", '{"id": 1, "name": "x"} {"id": 2}', {"format": "json"}, label="L25c")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("Success", 2))

    def test_b26_json_unknown_keys_ignored_missing_null(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", '[{"id": 1, "bogus": 5, "score": 7}]', {"format": "json", "strip_outer_array": "true"}, label="L26")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": None, "score": 7}])

    def test_b27_json_over_100mb_fails_before_body(self):
        db = self.fresh_db()
        self.pk_table(db)
        r = self.be_load(db, "t", b"", {"format": "json", "Content-Length": str(100 * 1024 * 1024 + 1)},
                         expect=True, label="L27")
        self.assertFalse(r.got_continue)
        j = r.json()
        self.assertEqual(j["Status"], "Fail")
        self.assertEqual(j["Message"], "The size of this batch exceed the max size [104857600]  of json type data  "
                                       "data [ 104857601 ]. Set ignore_json_size to skip the check, although it may "
                                       "lead huge memory consuming.")
        # with ignore_json_size the header phase passes: 100 Continue is sent
        s = socket.create_connection(("127.0.0.1", self.emu.be), timeout=10)
        s.sendall(("PUT /api/%s/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nlabel: L27b\r\n"
                   "format: json\r\nignore_json_size: true\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                   % (db, auth_header(), 100 * 1024 * 1024 + 1)).encode())
        self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 100 Continue"))
        s.close()

    def test_b28_empty_body(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", "", label="L28")
        self.assertEqual((j["Status"], j["Message"]), ("Fail", "all partitions have no load data"))
        self.assertEqual(self.load_state(db, "L28")["state"], "ABORTED")

    def test_b29_unknown_format(self):
        j = self.be_load("x", "y", b"1\n", {"format": "xml"}).json()
        self.assertEqual((j["Status"], j["Message"]), ("Fail", "unknown data format, format=xml"))

    def test_b30_invalid_boolean_headers(self):
        db = self.fresh_db()
        self.pk_table(db)
        for h, text in (("strict_mode", "Invalid strict mode format"), ("partial_update", "Invalid partial update flag format"),
                        ("trim_space", "Invalid trim space format")):
            j = self.load(db, "t", "1\ta\t1\n", {h: "yes"}, label="L30" + h)
            self.assertEqual(j["Status"], "Fail")
            self.assertIn(text, j["Message"])
            self.assertEqual(self.load_state(db, "L30" + h)["state"], "ABORTED")

    # ------------------------------------------------------------ primary key semantics
    def test_b31_upsert_replaces_whole_row(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.load(db, "t", "1\ta\t1\n", label="L31a")
        self.load(db, "t", '[{"id": 1, "name": "b"}, {"id": 2, "name": "c", "score": 3}]',
                  {"format": "json", "strip_outer_array": "true"}, label="L31b")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": "b", "score": None}, {"id": 2, "name": "c", "score": 3}])

    def test_b32_op_delete(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.load(db, "t", "1\ta\t1\n2\tb\t2\n", label="L32a")
        j = self.load(db, "t", '[{"id": 1, "__op": 1}, {"id": 99, "__op": 1}]',
                      {"format": "json", "strip_outer_array": "true"}, label="L32b")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("Success", 2))
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [2])
        j = self.load(db, "t", "2\tb\t2\t1\n", {"columns": "`id`,`name`,`score`,__op"}, label="L32c")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [])

    def test_b33_columns_op_delete_constant(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.load(db, "t", "1\ta\t1\n2\tb\t2\n3\tc\t3\n", label="L33a")
        j = self.load(db, "t", "1\ta\t1\n3\tc\t3\n", {"columns": "id,name,score,__op='delete'"}, label="L33b")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [2])

    def test_b34_json_without_op_is_upsert(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", '[{"id": 1, "name": "a"}]', {"format": "json", "strip_outer_array": "true"}, label="L34")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": "a", "score": None}])

    def test_b35_last_op_wins_within_a_load(self):
        db = self.fresh_db()
        self.pk_table(db)
        body = ('[{"id": 1, "name": "a", "__op": 0}, {"id": 1, "name": "a", "__op": 1}, {"id": 1, "name": "z", "__op": 0},'
                ' {"id": 2, "name": "b", "__op": 0}, {"id": 2, "name": "b", "__op": 1}]')
        j = self.load(db, "t", body, {"format": "json", "strip_outer_array": "true"}, label="L35")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("Success", 5))
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": "z", "score": None}])

    def test_b36_delete_rows_are_validated(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (id INT NOT NULL, v VARCHAR(5) NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
               "PROPERTIES('replication_num'='1')" % db)
        self.load(db, "t", "1\tx\n", label="L36a")
        j = self.load(db, "t", '[{"id": 1, "__op": 1}]', {"format": "json", "strip_outer_array": "true"}, label="L36b")
        self.assertEqual((j["Status"], j["NumberFilteredRows"]), ("Fail", 1))
        self.assertEqual(len(self.rows(db, "t")), 1)
        j = self.load(db, "t", '[{"id": 1, "v": "x", "__op": 1}]', {"format": "json", "strip_outer_array": "true"}, label="L36c")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [])

    def test_b37_partial_update(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (id INT NOT NULL, a VARCHAR(5) NULL, b INT NULL DEFAULT '7') PRIMARY KEY(id) "
               "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        self.load(db, "t", "1\tx\t1\n", label="L37a")
        j = self.load(db, "t", "1\t5\n2\t6\n", {"partial_update": "true", "columns": "id,b"}, label="L37b")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "a": "x", "b": 5}, {"id": 2, "a": None, "b": 6}])

    def test_b37_partial_update_in_a_transaction(self):
        # JSON rows set the listed columns; a key not there gets the other columns' defaults
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (id INT NOT NULL, a VARCHAR(5) NULL, b INT NULL DEFAULT '7') PRIMARY KEY(id) "
               "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        self.load(db, "t", "1\tx\t1\n", label="L37t0")
        partial = {"format": "json", "strip_outer_array": "true", "partial_update": "true", "columns": "`id`,`a`"}
        self.txn("begin", db, "t", "L37t")
        j = self.txn("load", db, "t", "L37t", b'[{"id":1,"a":"y"},{"id":2,"a":"z"}]', headers=partial)
        self.assertEqual(j["Status"], "OK")
        # D-TXN: every load of one transaction uses the same format parameters
        whole = {"format": "json", "strip_outer_array": "true"}
        j = self.txn("load", db, "t", "L37t", b'[{"id":3,"a":"w"}]', headers=whole)
        self.assertEqual(j["Status"], "INTERNAL_ERROR")
        self.assertIn("same format parameters (columns, partial_update)", j["Message"])
        self.assertEqual(self.load_state(db, "L37t")["state"], "ABORTED")
        self.txn("begin", db, "t", "L37u")
        self.txn("load", db, "t", "L37u", b'[{"id":1,"a":"y"},{"id":2,"a":"z"}]', headers=partial)
        self.txn("load", db, "t", "L37u", b'[{"id":3,"a":"w"}]', headers=partial)
        self.assertEqual(self.txn("commit", db, "t", "L37u")["Status"], "OK")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "a": "y", "b": 1}, {"id": 2, "a": "z", "b": 7},
                                              {"id": 3, "a": "w", "b": 7}])

    def test_case_expressions_in_queries(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.load(db, "t", "1\ta\t10\n2\tb\t20\n3\tc\t30\n", label="Lcase")
        rows = self.q("SELECT CASE WHEN id = 1 THEN 0 WHEN id = 3 AND name = 'c' THEN 7 END FROM %s.t "
                      "WHERE (id = 1) OR (id = 3 AND name = 'c') OR (id = 9) ORDER BY id" % db)
        self.assertEqual([r[0] for r in rows], ["0", "7"])
        rows = self.q("SELECT CASE score WHEN 20 THEN 'twenty' ELSE 'other' END AS s FROM %s.t ORDER BY id" % db)
        self.assertEqual([r[0] for r in rows], ["other", "twenty", "other"])
        self.assertEqual(self.q("SELECT CASE WHEN 1 = 2 THEN 1 END"), [[None]])
        # a key list: what the key index finds, the rest of the WHERE still applied
        rows = self.q("SELECT CASE WHEN id = 2 THEN 5 WHEN id = 3 THEN 6 END FROM %s.t WHERE id IN (2, '3', 9) "
                      "ORDER BY id" % db)
        self.assertEqual([r[0] for r in rows], ["5", "6"])
        self.assertEqual(self.q("SELECT id FROM %s.t WHERE id NOT IN (2, 3)" % db), [["1"]])

    def test_cast_and_key_ranges_as_sync_verify_reads(self):
        # docs.starrocks.io sql-functions/cast: cast(input as type); cast('9.5' as DECIMAL(10,2)) is 9.50
        self.assertEqual(self.q("SELECT CAST('9.5' AS DECIMAL(10,2))"), [["9.50"]])
        self.assertEqual(self.q("SELECT CAST(NULL AS INT)"), [[None]])
        self.assertEqual(self.q("SELECT CAST('x' AS INT)"), [[None]])
        db = self.fresh_db()
        self.q("CREATE TABLE %s.d (k VARCHAR(12) NOT NULL, n INT NOT NULL, v VARCHAR(5) NULL) PRIMARY KEY(k, n) "
               "DISTRIBUTED BY HASH(k) PROPERTIES('replication_num'='1')" % db)
        self.load(db, "d", "2.50\t1\ta\n10.0\t1\tb\n10.0\t2\tx\n9\t1\tc\n", label="Lcast")
        # a DECIMAL held as text compares as the number it holds, not as text
        rows = self.q("SELECT k, n FROM %s.d WHERE (CAST(`k` AS DECIMAL(10,2)) > 2.5) AND "
                      "NOT ((CAST(`k` AS DECIMAL(10,2)) > 10) OR (CAST(`k` AS DECIMAL(10,2)) = 10 AND `n` > 1)) "
                      "ORDER BY CAST(`k` AS DECIMAL(10,2)), `n`" % db)
        self.assertEqual(rows, [["9", "1"], ["10.0", "1"]])
        rows = self.q("SELECT k FROM %s.d WHERE ((CAST(`k` AS DECIMAL(10,2)) = 10 AND `n` = 2)) AND NOT (`v` <=> 'y') "
                      "ORDER BY `k` LIMIT 5" % db)
        self.assertEqual(rows, [["10.0"]])
        self.assertEqual(self.q("SELECT k FROM %s.d WHERE NOT (`v` <=> 'x') ORDER BY CAST(`k` AS DECIMAL(10,2)) DESC, "
                                "`n` LIMIT 1" % db), [["10.0"]])

    def test_b38_merge_condition(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (id INT NOT NULL, v VARCHAR(5) NULL, ver INT NULL) PRIMARY KEY(id) "
               "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        self.load(db, "t", "1\ta\t5\n2\tb\t5\n", label="L38a")
        j = self.load(db, "t", "1\told\t4\n2\tnew\t6\n", {"merge_condition": "ver"}, label="L38b")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "v": "a", "ver": 5}, {"id": 2, "v": "new", "ver": 6}])

    # ------------------------------------------------------------ transactions / visibility
    def test_b39_visibility_and_publish_timeout(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.load(db, "t", "1\ta\t1\n", label="L39a")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.q("SELECT id FROM %s.t" % db), [["1"]])
        http(self.emu.fe, "POST", "/_emulator/fault/publish_timeout_next", {}, "{}")
        j = self.load(db, "t", "2\tb\t2\n", label="L39b")
        self.assertEqual(j["Status"], "Publish Timeout")
        self.assertEqual(self.load_state(db, "L39b")["state"], "COMMITTED")
        j = self.load(db, "t", "2\tb\t2\n", label="L39b")
        self.assertEqual((j["Status"], j["ExistingJobStatus"]), ("Label Already Exists", "FINISHED"))
        deadline = time.time() + 3
        while self.load_state(db, "L39b")["state"] != "VISIBLE" and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.q("SELECT id FROM %s.t ORDER BY id" % db), [["1"], ["2"]])

    def test_b40_load_timeout(self):
        db = self.fresh_db()
        self.pk_table(db)
        h = {"Authorization": auth_header(), "label": "L40", "timeout": "1", "Transfer-Encoding": "chunked"}
        r = http(self.emu.be, "PUT", "/api/%s/t/_stream_load" % db, h,
                 body_chunks=[(0, b"6\r\n1\ta\t1\n\r\n"), (1.3, b"0\r\n\r\n")])
        j = r.json()
        self.assertEqual(j["Status"], "Fail")
        self.assertIn("timeout", j["Message"])
        self.assertEqual(self.rows(db, "t"), [])
        self.assertEqual(self.load(db, "t", "1\ta\t1\n", label="L40")["Status"], "Success")

    def test_b41_two_phase_commit(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.txn("begin", db, "t", "L41")
        self.assertEqual(j["Status"], "OK")
        self.assertEqual(list(j), ["Status", "Message", "Label", "TxnId", "BeginTxnTimeMs"])
        j = self.txn("load", db, "t", "L41", b"1\ta\t1\n")
        self.assertEqual((j["Status"], j["LoadBytes"]), ("OK", 6))
        self.txn("load", db, "t", "L41", b"2\tb\t2\n")
        j = self.txn("prepare", db, "t", "L41")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("OK", 2))
        self.assertEqual(self.rows(db, "t"), [])          # not visible before commit
        self.assertEqual(self.load_state(db, "L41")["state"], "PREPARED")
        j = self.txn("commit", db, "t", "L41")
        self.assertEqual(j["Status"], "OK")
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [1, 2])
        self.txn("begin", db, "t", "L41r")
        self.txn("load", db, "t", "L41r", b"3\tc\t3\n")
        self.assertEqual(self.txn("rollback", db, "t", "L41r")["Status"], "OK")
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [1, 2])
        self.assertEqual(self.load_state(db, "L41r")["state"], "ABORTED")
        # commit of a txn never prepared: the FE redirects to the BE, which commits in one phase
        self.txn("begin", db, "t", "L41c")
        self.txn("load", db, "t", "L41c", b"4\td\t4\n")
        h = {"Authorization": auth_header(), "label": "L41c", "db": db, "table": "t"}
        r = http(self.emu.fe, "POST", "/api/transaction/commit", h, expect=True)
        self.assertEqual((r.status, r.headers["location"]),
                         (307, "http://127.0.0.1:%d/api/transaction/commit" % self.emu.be))
        j = self.txn("commit", db, "t", "L41c")
        self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("OK", 1))
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [1, 2, 4])
        # an error inside a load aborts the txn; later ops find no context
        self.txn("begin", db, "t", "L41e")
        j = self.txn("load", db, "t", "L41e", b"5\te\t5\n", headers={"format": "xml"})
        self.assertEqual((j["Status"], j["Message"]), ("INTERNAL_ERROR", "unknown data format, format=xml"))
        self.assertEqual(self.txn("load", db, "t", "L41e", b"5\te\t5\n", via_fe=False)["Status"], "TXN_NOT_EXISTS")

    def test_b41_idle_timeout_discards(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.txn("begin", db, "t", "L41i", headers={"idle_transaction_timeout": "1"})
        self.txn("load", db, "t", "L41i", b"1\ta\t1\n")
        deadline = time.time() + 5
        while self.load_state(db, "L41i")["state"] != "ABORTED":
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.assertEqual(self.txn("prepare", db, "t", "L41i", via_fe=False)["Status"], "TXN_NOT_EXISTS")
        self.assertEqual(self.rows(db, "t"), [])

    def test_b42_begin_with_committed_label(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.load(db, "t", "1\ta\t1\n", label="L42")
        j = self.txn("begin", db, "t", "L42")
        self.assertEqual((j["Status"], j["ExistingJobStatus"]), ("LABEL_ALREADY_EXISTS", "FINISHED"))
        self.assertEqual(list(j)[:3], ["Status", "ExistingJobStatus", "Message"])

    def test_b43_unknown_label_txn_not_exists(self):
        db = self.fresh_db()
        self.pk_table(db)
        j = self.txn("load", db, "t", "nope43", b"1\ta\t1\n", via_fe=False)
        self.assertEqual(j["Status"], "TXN_NOT_EXISTS")
        j = self.txn("prepare", db, "t", "nope43", via_fe=False)
        self.assertEqual(j["Status"], "TXN_NOT_EXISTS")
        j = self.txn("load", db, "t", "nope43", b"1\ta\t1\n", via_fe=True)
        self.assertEqual(j["Status"], "TXN_NOT_EXISTS")

    def test_b44_commit_twice_and_commit_aborted(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.txn("begin", db, "t", "L44")
        self.txn("load", db, "t", "L44", b"1\ta\t1\n")
        self.txn("prepare", db, "t", "L44")
        self.assertEqual(self.txn("commit", db, "t", "L44")["Status"], "OK")
        j = self.txn("commit", db, "t", "L44")
        self.assertEqual(j["Status"], "OK")
        self.assertIn("has already committed", j["Message"])
        self.txn("begin", db, "t", "L44b")
        self.txn("rollback", db, "t", "L44b")
        j = self.txn("commit", db, "t", "L44b")
        self.assertEqual(j["Status"], "FAILED")
        self.assertIn("Can not commit ABORTED transaction", j["Message"])

    def test_b45_rollback_prepared_and_committed(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.txn("begin", db, "t", "L45")
        self.txn("load", db, "t", "L45", b"1\ta\t1\n")
        self.txn("prepare", db, "t", "L45")
        self.assertEqual(self.txn("rollback", db, "t", "L45")["Status"], "OK")
        self.assertEqual(self.rows(db, "t"), [])
        self.assertIn("has already aborted", self.txn("rollback", db, "t", "L45")["Message"])
        self.load(db, "t", "1\ta\t1\n", label="L45c")
        j = self.txn("rollback", db, "t", "L45c")
        self.assertEqual(j["Status"], "FAILED")
        self.assertIn("Can not abort VISIBLE transaction", j["Message"])

    def test_b46_prepare_without_data(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.txn("begin", db, "t", "L46")
        j = self.txn("prepare", db, "t", "L46")
        self.assertEqual(j["Status"], "INTERNAL_ERROR")
        self.assertIn("hasn't send any data yet", j["Message"])
        self.assertEqual(self.load_state(db, "L46")["state"], "ABORTED")

    def test_b47_txn_routing(self):
        db = self.fresh_db()
        self.pk_table(db)
        h = {"Authorization": auth_header(), "label": "L47", "db": db, "table": "t"}
        r = http(self.emu.fe, "POST", "/api/transaction/begin", h, expect=True)
        self.assertEqual(r.status, 307)
        self.assertEqual(r.headers["location"], "http://127.0.0.1:%d/api/transaction/begin" % self.emu.be)
        self.assertEqual(http(self.emu.be, "POST", "/api/transaction/begin", h).json()["Status"], "OK")
        for op in ("load", "prepare"):
            r = http(self.emu.fe, "PUT", "/api/transaction/%s" % op, h, expect=True)
            self.assertEqual((r.status, r.headers["location"]),
                             (307, "http://127.0.0.1:%d/api/transaction/%s" % (self.emu.be, op)))
        fol = self.emu.ports["follower_http_port"]
        r = http(fol, "POST", "/api/transaction/commit", h, expect=True)
        self.assertEqual((r.status, r.headers["location"]),
                         (307, "http://127.0.0.1:%d/api/transaction/commit" % self.emu.fe))
        r = http(self.emu.fe, "POST", "/api/transaction/begin", dict(h, label=""))
        self.assertIn("Empty label.", r.json()["Message"])
        r = http(self.emu.fe, "POST", "/api/transaction/begin", dict(h, db=""))
        self.assertIn("No database selected.", r.json()["Message"])
        self.txn("rollback", db, "t", "L47")

    def test_b48_get_load_state(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.load(db, "t", "1\ta\t1\n", label="L48ok")
        self.load(db, "t", "1\ta\n", label="L48bad")
        self.assertEqual(self.load_state(db, "L48ok")["state"], "VISIBLE")
        self.assertEqual(self.load_state(db, "L48bad")["state"], "ABORTED")
        j = self.load_state(db, "never")
        self.assertEqual((j["state"], j["status"]), ("UNKNOWN", "OK"))

    # ------------------------------------------------------------ DDL
    def test_b49_key_columns_ordered_prefix(self):
        db = self.fresh_db()
        e = self.q_err("CREATE TABLE %s.t (v INT, id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
                       "PROPERTIES('replication_num'='1')" % db)
        self.assertEqual(e.code, 1064)
        self.assertIn("Key columns should be a ordered prefix of the schema.", e.msg)
        e = self.q_err("CREATE TABLE %s.t (a INT NOT NULL, b INT NOT NULL) PRIMARY KEY(b, a) DISTRIBUTED BY HASH(a) "
                       "PROPERTIES('replication_num'='1')" % db)
        self.assertIn("Key columns should be a ordered prefix of the schema.", e.msg)

    def test_b50_pk_type_and_nullability(self):
        db = self.fresh_db()
        for ty in ("DECIMAL(10,2)", "CHAR(5)", "FLOAT", "DOUBLE", "JSON"):
            e = self.q_err("CREATE TABLE %s.t (k %s NOT NULL, v INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) "
                           "PROPERTIES('replication_num'='1')" % (db, ty))
            self.assertIn("primary key column[k] type not supported", e.msg)
        e = self.q_err("CREATE TABLE %s.t (k INT NULL, v INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) "
                       "PROPERTIES('replication_num'='1')" % db)
        self.assertIn("primary key column[k] cannot be nullable", e.msg)

    def test_b51_create_existing(self):
        db = self.fresh_db()
        e = self.q_err("CREATE DATABASE %s" % db)
        self.assertEqual((e.code, e.msg), (1007, "Can't create database '%s'; database exists" % db))
        self.q("CREATE DATABASE IF NOT EXISTS %s" % db)
        self.pk_table(db)
        e = self.q_err("CREATE TABLE %s.t (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)" % db)
        self.assertEqual((e.code, e.msg), (1050, "Table 't' already exists"))
        self.q("CREATE TABLE IF NOT EXISTS %s.t (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)" % db)
        e = self.q_err("USE nosuchdb")
        self.assertEqual((e.code, e.state), (5501, "3F000"))

    def test_update_on_primary_key_tables_only(self):
        # UPDATE ... SET ... WHERE on a Primary Key table (docs UPDATE.md): the
        # sink fills a column added by source DDL this way.
        db = self.fresh_db()
        self.pk_table(db)
        self.q("INSERT INTO %s.t VALUES (1, 'a', NULL), (2, 'b', 5)" % db)
        self.q("UPDATE %s.t SET score = 7 WHERE score IS NULL" % db)
        self.assertEqual(sorted((r["id"], r["score"]) for r in self.rows(db, "t")), [(1, 7), (2, 5)])
        e = self.q_err("UPDATE %s.t SET id = 3 WHERE id = 1" % db)
        self.assertIn("primary key column", e.msg)
        self.q("CREATE TABLE %s.dup (id INT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) "
               "PROPERTIES (\"replication_num\" = \"1\")" % db)
        e = self.q_err("UPDATE %s.dup SET id = 3" % db)
        self.assertIn("non-primary-key", e.msg)

    def test_b52_alter_is_async_and_exclusive(self):
        db = self.fresh_db()
        self.pk_table(db)
        t0 = time.time()
        self.q("ALTER TABLE %s.t ADD COLUMN c1 INT NULL DEFAULT \"0\" AFTER name, ADD COLUMN c2 VARCHAR(30) NULL "
               "PROPERTIES (\"timeout\" = \"600\")" % db)
        self.assertLess(time.time() - t0, 0.25)
        job = self.q("SHOW ALTER TABLE COLUMN FROM %s WHERE TableName = 't' ORDER BY CreateTime DESC LIMIT 1" % db)
        self.assertEqual(self.sql.columns, ["JobId", "TableName", "CreateTime", "FinishTime", "IndexName", "IndexId",
                                            "OriginIndexId", "SchemaVersion", "TransactionId", "State", "Msg",
                                            "Progress", "Timeout"])
        self.assertNotEqual(job[0][9], "FINISHED")
        e = self.q_err("ALTER TABLE %s.t ADD COLUMN c3 INT NULL" % db)
        self.assertEqual(e.code, 1064)
        self.assertIn('A schema change operation is in progress on the table "t"', e.msg)
        e = self.q_err("TRUNCATE TABLE %s.t" % db)
        self.assertIn("schema change operation is in progress", e.msg)
        deadline = time.time() + 5
        while self.q("SHOW ALTER TABLE COLUMN FROM %s ORDER BY JobId DESC LIMIT 1" % db)[0][9] != "FINISHED":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        self.q("ALTER TABLE %s.t ADD COLUMN c3 INT NULL" % db)

    def test_b53_new_column_visible_after_finish(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.q("ALTER TABLE %s.t ADD COLUMN extra VARCHAR(10) NULL" % db)
        hdr = {"format": "json", "strip_outer_array": "true"}
        j = self.load(db, "t", '[{"id": 1, "extra": "early"}]', hdr, label="L53a")
        self.assertEqual(j["Status"], "Success")
        self.assertEqual(self.rows(db, "t"), [{"id": 1, "name": None, "score": None}])
        deadline = time.time() + 5
        while self.q("SHOW ALTER TABLE COLUMN FROM %s LIMIT 1" % db)[0][9] != "FINISHED":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        cols = self.q("SELECT COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS "
                      "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION" % db)
        self.assertEqual(cols[-1], ["extra", "4", "varchar", "varchar(10)"])
        j = self.load(db, "t", '[{"id": 2, "extra": "late"}]', hdr, label="L53b")
        self.assertEqual(self.q("SELECT id, extra FROM %s.t ORDER BY id" % db), [["1", None], ["2", "late"]])

    def test_b54_drop_pk_or_partition_column_rejected(self):
        db = self.fresh_db()
        self.q("CREATE TABLE %s.t (dt DATE NOT NULL, id INT NOT NULL, v INT) PRIMARY KEY(dt, id) "
               "PARTITION BY date_trunc('day', dt) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        e = self.q_err("ALTER TABLE %s.t DROP COLUMN dt" % db)
        self.assertIn("partition column", e.msg)
        e = self.q_err("ALTER TABLE %s.t DROP COLUMN id" % db)
        self.assertIn("Can not drop key column", e.msg)
        self.q("ALTER TABLE %s.t DROP COLUMN v" % db)

    def test_b55_replication_num_above_alive_backends(self):
        db = self.fresh_db()
        e = self.q_err("CREATE TABLE %s.t (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)" % db)
        self.assertEqual(e.code, 1064)
        self.assertIn("Table replication num should be less than or equal to the number of available BE nodes", e.msg)
        self.assertIn("Current alive backend is [10001]", e.msg)
        self.q("CREATE TABLE %s.t (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)

    # ------------------------------------------------------------ SQL surface
    def test_sql_values_rendering_and_queries(self):
        db = self.fresh_db()
        self.q("CREATE TABLE `%s`.`all` (id LARGEINT NOT NULL, b BOOLEAN, ti TINYINT, d DECIMAL(38,10), f FLOAT, "
               "db DOUBLE, dt DATE, ts DATETIME, j JSON, vb VARBINARY(4), s STRING) PRIMARY KEY(id) "
               "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        body = ("170141183460469231731687303715884105727\ttrue\t-128\t1234567890123456789012345678.0123456789\t0.1\t"
                "1e20\t0000-01-01\t9999-12-31 23:59:59.999999\t{\"a\": [1, 2]}\tabcd\tx\n")
        j = self.load(db, "all", body, label="vals")
        self.assertEqual(j["Status"], "Success", j)
        r = self.q("SELECT * FROM %s.`all`" % db)
        self.assertEqual(r, [["170141183460469231731687303715884105727", "1", "-128",
                              "1234567890123456789012345678.0123456789", "0.1", "1e+20", "0000-01-01",
                              "9999-12-31 23:59:59.999999", '{"a": [1, 2]}', "\ufffd\ufffd", "x"]])
        j = self.load(db, "all", "1\t2\t-129\t1\t1\t1\t2024-02-30\t2024-01-01\tnot json\tzz\tx\n", label="vals2")
        self.assertEqual(j["Status"], "Success")
        r = self.q("SELECT b, ti, dt, j, vb FROM %s.`all` WHERE id = 1" % db)
        self.assertEqual(r, [[None, None, None, None, None]])
        self.q("INSERT INTO %s.`all` (id, s) VALUES (5, 'five'), (6, NULL)" % db)
        self.assertEqual(self.q("SELECT count(*) FROM %s.`all`" % db), [["4"]])
        self.q("DELETE FROM %s.`all` WHERE id = 5" % db)
        self.assertEqual(self.q("SELECT id FROM %s.`all` ORDER BY id LIMIT 2" % db), [["1"], ["6"]])
        self.assertEqual(self.q("SELECT id FROM %s.`all` ORDER BY id DESC LIMIT 1" % db), [["170141183460469231731687303715884105727"]])
        self.assertEqual(self.q("select current_version()"), [["3.3.2-emulator"]])
        self.assertEqual(self.q("SELECT @@version, version()"), [["5.1.0", "5.1.0"]])
        self.q("USE %s" % db)
        self.assertIn(["all"], self.q("SHOW TABLES"))
        self.assertEqual(self.q("SHOW GRANTS FOR CURRENT_USER()"), [["'root'@'%'", None, "GRANT 'root' TO 'root'@'%'"]])
        self.assertEqual(self.sql.columns, ["UserIdentity", "Catalog", "Grants"])
        self.assertEqual(len(self.q("SHOW BACKENDS")), 1)
        self.assertEqual(self.q("select SCHEMA_NAME from information_schema.SCHEMATA where SCHEMA_NAME = '%s'" % db), [[db]])
        self.assertEqual(self.q("select TABLE_NAME from information_schema.TABLES where TABLE_SCHEMA = '%s'" % db), [["all"]])
        e = self.q_err("SELEC 1")
        self.assertEqual(e.code, 1064)
        self.assertTrue(e.msg.startswith("Getting syntax error at line 1, column 0."))
        e = self.q_err("CREATE DATABASE select")
        self.assertIn("Unexpected input 'select', the most similar input is {a legal identifier}", e.msg)
        e = self.q_err("CREATE DATABASE `1bad`")
        self.assertEqual(e.code, 1102)
        e = self.q_err("SELECT * FROM %s.nosuch" % db)
        self.assertEqual(e.code, 5502)
        self.q("TRUNCATE TABLE `all`")
        self.assertEqual(self.q("SELECT count(*) FROM `all`"), [["0"]])
        self.q("DROP TABLE `all`")
        self.q("DROP TABLE IF EXISTS `all`")
        e = self.q_err("DROP TABLE `all`")
        self.assertEqual(e.code, 5502)
        self.q("DROP DATABASE %s FORCE" % db)

    def test_value_ranges_per_type(self):
        """Strict-mode loads: the boundary value loads, one past it is filtered."""
        db = self.fresh_db()
        cases = [("TINYINT", "127", "128"), ("TINYINT", "-128", "-129"), ("SMALLINT", "32767", "32768"),
                 ("INT", "-2147483648", "-2147483649"), ("BIGINT", "9223372036854775807", "9223372036854775808"),
                 ("LARGEINT", "-170141183460469231731687303715884105728", "-170141183460469231731687303715884105729"),
                 ("DECIMAL(5,2)", "999.99", "1000.00"), ("DECIMAL(38,0)", "9" * 38, "9" * 39),
                 ("DOUBLE", "1.7976931348623157e308", "1e309"), ("FLOAT", "3.4e38", "3.5e38"),
                 ("BOOLEAN", "true", "2"), ("DATE", "9999-12-31", "2023-02-29"),
                 ("DATETIME", "0000-01-01 00:00:00.000001", "2024-01-01 24:00:00"),
                 ("JSON", '{"a": 1}', "{a: 1}"), ("VARBINARY(2)", "abcd", "abc")]
        for i, (ty, ok, bad) in enumerate(cases):
            t = "v%d" % i
            self.q("CREATE TABLE %s.%s (id INT NOT NULL, v %s NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
                   "PROPERTIES('replication_num'='1')" % (db, t, ty))
            j = self.load(db, t, "1\t%s\n2\t%s\n" % (ok, bad), {"strict_mode": "true", "max_filter_ratio": "1"},
                          label="R%d" % i)
            self.assertEqual((j["NumberLoadedRows"], j["NumberFilteredRows"]), (1, 1), (ty, ok, bad, j))
        # byte lengths: VARCHAR/CHAR count UTF-8 bytes; STRING is VARCHAR(65533)
        self.q("CREATE TABLE %s.s (id INT NOT NULL, c CHAR(3) NULL, s STRING NULL) PRIMARY KEY(id) "
               "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        body = "1\t\u00e9a\t%s\n2\t\u00e9\u00e9\tx\n3\ta\t%s\n" % ("x" * 65533, "x" * 65534)
        j = self.load(db, "s", body, {"max_filter_ratio": "1"}, label="Rs")
        self.assertEqual((j["NumberLoadedRows"], j["NumberFilteredRows"]), (1, 2))
        self.assertEqual([r["id"] for r in self.rows(db, "s")], [1])
        self.assertEqual(self.q("SELECT DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' "
                                "AND TABLE_NAME = 's' AND COLUMN_NAME = 's'" % db), [["varchar", "varchar(65533)"]])
        e = self.q_err("CREATE TABLE %s.bad (id INT NOT NULL, d DECIMAL(39, 2)) PRIMARY KEY(id) "
                       "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        self.assertEqual(e.code, 1064)
        e = self.q_err("CREATE TABLE %s.bad (id INT NOT NULL, d VARCHAR(1048577)) PRIMARY KEY(id) "
                       "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')" % db)
        self.assertEqual(e.code, 1064)

    def test_concurrent_loads_and_queries(self):
        import threading
        db = self.fresh_db()
        self.pk_table(db)
        results, errors = [], []

        def worker(k):
            try:
                body = "".join("%d\tn%d\t%d\n" % (k * 100 + i, i, k) for i in range(50))
                results.append(self.load(db, "t", body, label="C%d" % k)["Status"])
                c = MySQL(self.emu.qport)
                c.query("SELECT count(*) FROM %s.t" % db)
                c.close()
            except Exception as e:   # surfaced below
                errors.append(e)
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(results, ["Success"] * 8)
        self.assertEqual(self.q("SELECT count(*) FROM %s.t" % db), [["400"]])

    def test_admin_fault_hooks(self):
        db = self.fresh_db()
        self.pk_table(db)
        http(self.emu.fe, "POST", "/_emulator/fault/fail_next_load", {}, json.dumps({"message": "boom"}))
        j = self.load(db, "t", "1\ta\t1\n", label="F1")
        self.assertEqual((j["Status"], j["Message"]), ("Fail", "boom"))
        self.assertEqual(self.load(db, "t", "1\ta\t1\n", label="F1")["Status"], "Success")   # label reusable
        http(self.emu.fe, "POST", "/_emulator/fault/fail_next_txn_prepare", {}, json.dumps({"message": "nope"}))
        self.txn("begin", db, "t", "F2")
        self.txn("load", db, "t", "F2", b"2\tb\t2\n")
        j = self.txn("prepare", db, "t", "F2")
        self.assertEqual((j["Status"], j["Message"]), ("INTERNAL_ERROR", "nope"))
        self.assertEqual(self.load_state(db, "F2")["state"], "ABORTED")
        self.assertEqual([r["id"] for r in self.rows(db, "t")], [1])

    def test_admin_hooks_model_other_writers_and_cluster_states(self):
        db = self.fresh_db()
        self.pk_table(db)
        # Another writer took the label first: committed, then still running.
        http(self.emu.fe, "POST", "/_emulator/fault/label_taken_next", {}, json.dumps({"message": "done"}))
        j = self.txn("begin", db, "t", "L1")
        self.assertEqual((j["Status"], j["ExistingJobStatus"]), ("LABEL_ALREADY_EXISTS", "FINISHED"))
        http(self.emu.fe, "POST", "/_emulator/fault/label_taken_next", {}, json.dumps({"message": "running"}))
        self.assertEqual(self.txn("begin", db, "t", "L2")["Status"], "LABEL_ALREADY_EXISTS")
        self.assertEqual(self.txn("rollback", db, "t", "L2")["Status"], "OK")
        self.assertEqual(self.txn("begin", db, "t", "L3")["Status"], "OK")   # one-shot
        self.assertEqual(self.txn("rollback", db, "t", "L3")["Status"], "OK")
        # An FE answering 5xx, twice, then itself again.
        http(self.emu.fe, "POST", "/_emulator/fault/fe_http_error", {}, json.dumps({"message": "503", "count": 2}))
        h = {"Authorization": auth_header(), "label": "L4", "db": db, "table": "t"}
        self.assertEqual(http(self.emu.fe, "POST", "/api/transaction/begin", h).status, 503)
        self.assertEqual(http(self.emu.fe, "POST", "/api/transaction/begin", h).status, 503)
        self.assertEqual(self.txn("begin", db, "t", "L4")["Status"], "OK")
        self.assertEqual(self.txn("rollback", db, "t", "L4")["Status"], "OK")
        # BEs registered under an address clients cannot reach; fewer grants.
        cfg = {"be_advertised_address": "10.255.255.1:8040", "grants": ["GRANT SELECT ON ALL TABLES IN ALL DATABASES TO USER 'root'@'%'"]}
        http(self.emu.fe, "POST", "/_emulator/config", {}, json.dumps(cfg))
        try:
            r = http(self.emu.fe, "PUT", "/api/%s/t/_stream_load" % db, {"Authorization": auth_header()}, b"x", expect=True)
            self.assertEqual((r.status, r.headers["location"]), (307, "http://10.255.255.1:8040/api/%s/t/_stream_load" % db))
            self.assertEqual(self.q("SHOW GRANTS")[0][2], cfg["grants"][0])
        finally:
            http(self.emu.fe, "POST", "/_emulator/config", {}, json.dumps({"be_advertised_address": "", "grants": []}))
        self.assertIn("GRANT 'root'", self.q("SHOW GRANTS")[0][2])

    def test_sql_modify_rename_and_wrong_password(self):
        db = self.fresh_db()
        self.pk_table(db)
        self.load(db, "t", "1\ta\t1\n", label="m1")
        e = self.q_err("ALTER TABLE %s.t MODIFY COLUMN score TINYINT NULL" % db)
        self.assertIn("Can not change INT to TINYINT", e.msg)
        self.q("ALTER TABLE %s.t MODIFY COLUMN score BIGINT NULL" % db)
        deadline = time.time() + 5
        while self.q("SHOW ALTER TABLE COLUMN FROM %s LIMIT 1" % db)[0][9] != "FINISHED":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        self.q("ALTER TABLE %s.t RENAME COLUMN name TO nm" % db)
        self.assertEqual(self.q("SELECT nm, score FROM %s.t" % db), [["a", "1"]])
        self.q("ALTER TABLE %s.t RENAME t2" % db)
        self.assertEqual(self.q("SHOW TABLES FROM %s" % db), [["t2"]])
        with self.assertRaises(MySQLError) as cm:
            MySQL(self.emu.qport, password="wrong")
        self.assertEqual(cm.exception.code, 1045)
        self.assertIn("Access denied for user 'root'", cm.exception.msg)


class OlderVersionPartitionTest(unittest.TestCase):
    """3.0 partitions by time functions only; 3.4 bounds new partitions per load."""

    def test_column_partitions_need_3_1(self):
        emu = Emulator(extra=["--version", "3.0.9"]).start()
        try:
            sql = MySQL(emu.qport)
            sql.query("CREATE DATABASE v")
            with self.assertRaises(MySQLError) as cm:
                sql.query("CREATE TABLE v.c (id INT NOT NULL, r VARCHAR(5) NOT NULL) PRIMARY KEY(id, r) "
                          "PARTITION BY (r) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')")
            self.assertIn("Getting syntax error", cm.exception.msg)
            sql.query("CREATE TABLE v.d (id INT NOT NULL, dt DATE NOT NULL) PRIMARY KEY(id, dt) "
                      "PARTITION BY date_trunc('day', dt) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')")
            sql.close()
        finally:
            emu.cleanup()

    def test_new_partitions_per_load_from_3_4(self):
        emu = Emulator(extra=["--version", "3.4.3"]).start()
        try:
            sql = MySQL(emu.qport)
            sql.query("CREATE DATABASE v")
            sql.query("CREATE TABLE v.c (id INT NOT NULL, k INT NOT NULL) PRIMARY KEY(id, k) "
                      "PARTITION BY (k) DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1')")
            http(emu.fe, "POST", "/_emulator/config", {}, json.dumps({"max_partitions_in_one_batch": 2}))
            h = {"Authorization": auth_header(), "label": "b1", "max_filter_ratio": "1"}
            j = http(emu.be, "PUT", "/api/v/c/_stream_load", h, b"1\t1\n2\t2\n3\t3\n").json()
            self.assertEqual((j["NumberLoadedRows"], j["NumberFilteredRows"]), (2, 1))
            h["label"] = "b2"  # the limit is per load: the next one makes two more
            j = http(emu.be, "PUT", "/api/v/c/_stream_load", h, b"4\t3\n5\t4\n").json()
            self.assertEqual((j["Status"], j["NumberLoadedRows"]), ("Success", 2))
            sql.close()
        finally:
            emu.cleanup()


class RestartTest(unittest.TestCase):
    """kill -9 + restart on the same data dir shows exactly what was committed."""

    def test_kill9_restart_keeps_exactly_committed_state(self):
        emu = Emulator().start()
        try:
            sql = MySQL(emu.qport)
            sql.query("CREATE DATABASE r")
            sql.query("CREATE TABLE r.t (id INT NOT NULL, v VARCHAR(5)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
                      "PROPERTIES('replication_num'='1')")
            h = {"Authorization": auth_header(), "label": "k1"}
            self.assertEqual(http(emu.be, "PUT", "/api/r/t/_stream_load", h, b"1\ta\n2\tb\n").json()["Status"], "Success")
            http(emu.be, "PUT", "/api/r/t/_stream_load", dict(h, label="k2"), b"3\tc\nbad\n")   # fails
            sql.query("INSERT INTO r.t VALUES (4, 'd')")
            # a running 2PC txn (not prepared) must not survive
            th = {"Authorization": auth_header(), "label": "run", "db": "r", "table": "t"}
            http(emu.be, "POST", "/api/transaction/begin", th)
            http(emu.be, "PUT", "/api/transaction/load", th, b"9\tz\n")
            sql.close()
            emu.kill9()
            emu.start()
            sql = MySQL(emu.qport)
            self.assertEqual(sql.query("SELECT id, v FROM r.t ORDER BY id"), [["1", "a"], ["2", "b"], ["4", "d"]])
            st = lambda l: http(emu.fe, "GET", "/api/r/get_load_state?label=%s" % l, {"Authorization": auth_header()}).json()["state"]
            self.assertEqual((st("k1"), st("k2"), st("run")), ("VISIBLE", "ABORTED", "UNKNOWN"))
            r = http(emu.be, "PUT", "/api/r/t/_stream_load", h, b"5\te\n").json()
            self.assertEqual((r["Status"], r["ExistingJobStatus"]), ("Label Already Exists", "FINISHED"))
            sql.close()
        finally:
            emu.cleanup()

    def test_rows_journal_cuts_a_torn_tail_and_compacts(self):
        emu = Emulator().start()
        try:
            sql = MySQL(emu.qport)
            sql.query("CREATE DATABASE j")
            sql.query("CREATE TABLE j.t (id INT NOT NULL, v INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
                      "PROPERTIES('replication_num'='1')")
            h = {"Authorization": auth_header()}
            load = lambda label, body: http(emu.be, "PUT", "/api/j/t/_stream_load", dict(h, label=label),
                                            body.encode()).json()["Status"]
            # 600 loads rewriting the same 10 keys (170 kB of journal lines): compacted.
            for i in range(600):
                self.assertEqual(load("c%d" % i, "".join("%d\t%d\n" % (k, i) for k in range(10))), "Success")
            self.assertEqual(load("nine", "9\t1\n"), "Success")
            sql.query("DELETE FROM j.t WHERE id = 9")
            journals = [n for n in os.listdir(emu.data_dir) if n.startswith("rows-")]
            self.assertEqual(len(journals), 1)   # rewritten generations are deleted
            self.assertLess(os.path.getsize(os.path.join(emu.data_dir, journals[0])), 100000)
            sql.close()
            emu.kill9()
            # A commit's journal lines written, state.json not yet: a torn tail.
            with open(os.path.join(emu.data_dir, journals[0]), "ab") as f:
                f.write(b'["[5]", {"id": 5, "v": 12345}]\n["[6]", {"id"')
            emu.start()
            sql = MySQL(emu.qport)
            self.assertEqual(sql.query("SELECT id, v FROM j.t ORDER BY id"), [[str(k), "599"] for k in range(9)])
            self.assertEqual(load("after", "5\t7\n"), "Success")
            sql.close()
            emu.kill9()
            emu.start()
            sql = MySQL(emu.qport)
            self.assertEqual(sql.query("SELECT v FROM j.t WHERE id = 5"), [["7"]])
            sql.close()
        finally:
            emu.cleanup()

    def test_prepared_2pc_survives_restart_and_commits(self):
        emu = Emulator().start()
        try:
            sql = MySQL(emu.qport)
            sql.query("CREATE DATABASE p")
            sql.query("CREATE TABLE p.t (id INT NOT NULL, v VARCHAR(5)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
                      "PROPERTIES('replication_num'='1')")
            sql.close()
            th = {"Authorization": auth_header(), "label": "prep", "db": "p", "table": "t"}
            self.assertEqual(http(emu.be, "POST", "/api/transaction/begin", th).json()["Status"], "OK")
            http(emu.be, "PUT", "/api/transaction/load", th, b"1\ta\n")
            self.assertEqual(http(emu.be, "POST", "/api/transaction/prepare", th).json()["Status"], "OK")
            emu.kill9()
            emu.start()
            st = http(emu.fe, "GET", "/api/p/get_load_state?label=prep", {"Authorization": auth_header()}).json()
            self.assertEqual(st["state"], "PREPARED")
            # its rows wait in a file of their own, not in every save of state.json
            ops_files = lambda: [n for n in os.listdir(emu.data_dir) if n.startswith("txn-")]
            self.assertEqual(len(ops_files()), 1)
            sql = MySQL(emu.qport)
            self.assertEqual(sql.query("SELECT count(*) FROM p.t"), [["0"]])
            j = http(emu.fe, "POST", "/api/transaction/commit", th).json()
            self.assertEqual(j["Status"], "OK")
            self.assertEqual(sql.query("SELECT id, v FROM p.t"), [["1", "a"]])
            self.assertEqual(ops_files(), [])
            sql.close()
            emu.stop()
            self.assertEqual(emu.proc.returncode, 0)    # clean exit on SIGTERM
        finally:
            emu.cleanup()


def curl_and_table(test, emu, db):
    """The curl binary (the test is skipped without it) and a connection to emu where db.t exists."""
    exe = shutil.which("curl")
    if exe is None:
        test.skipTest("curl not installed (optional)")
    sql = MySQL(emu.qport)
    sql.query("CREATE DATABASE IF NOT EXISTS %s" % db)
    sql.query("CREATE TABLE %s.t (id INT NOT NULL, v VARCHAR(3)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) "
              "PROPERTIES('replication_num'='1')" % db)
    return exe, sql


class ClientBinariesTest(unittest.TestCase):
    """The FE query port works with the real mariadb client; the HTTP ports with curl."""

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator().start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.cleanup()

    def test_mariadb_client(self):
        exe = shutil.which("mariadb")
        self.assertIsNotNone(exe, "the mariadb client is missing: install the Debian package mariadb-client")
        out = subprocess.run([exe, "-h127.0.0.1", "-P%d" % self.emu.qport, "-uroot", "-p" + PASSWORD,
                              "-e", "SELECT current_version()"], capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("3.3.2-emulator", out.stdout)
        out = subprocess.run([exe, "-h127.0.0.1", "-P%d" % self.emu.qport, "-uroot", "-p" + PASSWORD, "-e",
                              "CREATE DATABASE m; CREATE TABLE m.t (id INT NOT NULL, v VARCHAR(3)) PRIMARY KEY(id) "
                              "DISTRIBUTED BY HASH(id) PROPERTIES('replication_num'='1'); "
                              "INSERT INTO m.t VALUES (1,'x'); SELECT v FROM m.t"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ["v", "x"])
        out = subprocess.run([exe, "-h127.0.0.1", "-P%d" % self.emu.qport, "-uroot", "-pwrong", "-e", "SELECT 1"],
                             capture_output=True, text=True, timeout=20)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("ERROR 1045 (28000)", out.stderr)

    def test_curl_stream_load_follows_redirect(self):
        exe, sql = curl_and_table(self, self.emu, "c")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('[{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]')
        try:
            out = subprocess.run([exe, "-s", "--location-trusted", "-u", "root:" + PASSWORD, "-H", "label:curl1",
                                  "-H", "format: json", "-H", "strip_outer_array: true", "-H", "Expect:100-continue",
                                  "-T", f.name, "http://127.0.0.1:%d/api/c/t/_stream_load" % self.emu.fe],
                                 capture_output=True, text=True, timeout=20)
        finally:
            os.unlink(f.name)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["Status"], "Success")
        self.assertEqual(sql.query("SELECT count(*) FROM c.t"), [["2"]])
        sql.close()


def make_certificates(dir):
    """A CA, a server certificate it signed for 127.0.0.1/localhost, and another CA: PEM files in dir."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=dir)
    for ca in ("ca", "wrong_ca"):
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=" + ca, "-keyout", ca + ".key", "-out", ca + ".pem")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=fe",
        "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(dir, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.ext", "-out", "server.pem")
    return {name: os.path.join(dir, name) for name in ("ca.pem", "wrong_ca.pem", "server.pem", "server.key")}


class TlsTest(unittest.TestCase):
    """TLS as StarRocks serves it: the MySQL port upgrades after the handshake (3.4.1+); the FE's
    HTTPS port (4.0+) redirects loads to the BE's plain http:// port."""

    @classmethod
    def setUpClass(cls):
        cls.cert_dir = tempfile.mkdtemp(prefix="sr-emu-tls-")
        cls.certs = make_certificates(cls.cert_dir)
        cls.emu = Emulator(extra=["--version", "4.0.1", "--ssl-cert", cls.certs["server.pem"],
                                  "--ssl-key", cls.certs["server.key"], "--https-port", "0"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.emu.cleanup()
        shutil.rmtree(cls.cert_dir, ignore_errors=True)

    def mariadb(self, ca, *sql):
        exe = shutil.which("mariadb")
        self.assertIsNotNone(exe, "the mariadb client is missing: install the Debian package mariadb-client")
        return subprocess.run([exe, "-h127.0.0.1", "-P%d" % self.emu.qport, "-uroot", "-p" + PASSWORD,
                               "--ssl-ca=" + ca, "--ssl-verify-server-cert", "-e", "; ".join(sql)],
                              capture_output=True, text=True, timeout=20)

    def handshake_caps(self, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            hs = MySQL.__new__(MySQL)
            hs.sock = s
            p = hs._read()
            i = p.index(b"\0", 1) + 1 + 4 + 8 + 1
            return struct.unpack_from("<H", p, i)[0] | struct.unpack_from("<H", p, i + 2 + 1 + 2)[0] << 16

    def test_handshake_offers_ssl_only_with_a_certificate(self):
        self.assertTrue(self.handshake_caps(self.emu.qport) & 0x800)
        plain = Emulator().start()
        try:
            self.assertFalse(self.handshake_caps(plain.qport) & 0x800)
        finally:
            plain.cleanup()

    def test_mariadb_client_verifies_the_certificate(self):
        out = self.mariadb(self.certs["ca.pem"], "SELECT current_version()", "\\s")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("4.0.1-emulator", out.stdout)
        self.assertRegex(out.stdout, r"SSL:\s+Cipher in use is \S+")
        out = self.mariadb(self.certs["wrong_ca.pem"], "SELECT 1")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("2026", out.stderr)   # CR_SSL_CONNECTION_ERROR

    def test_ssl_request_to_an_fe_without_certificate_is_err_5400(self):
        plain = Emulator().start()
        try:
            with socket.create_connection(("127.0.0.1", plain.qport), timeout=10) as s:
                c = MySQL.__new__(MySQL)
                c.sock = s
                c._read()
                c._write(struct.pack("<IIB", 0x200 | 0x8000 | 0x800, 1 << 24, 33) + b"\0" * 23)
                r = c._read()
            self.assertEqual(r[0], 0xff)
            self.assertEqual(struct.unpack_from("<H", r, 1)[0], 5400)
            self.assertIn(b"Failed to change to SSL connection", r)
        finally:
            plain.cleanup()

    def test_stream_load_over_https_is_redirected_to_plain_http_be(self):
        exe, sql = curl_and_table(self, self.emu, "h")
        url = "https://127.0.0.1:%d/api/h/t/_stream_load" % self.emu.ports["https_port"]
        base = [exe, "-s", "--cacert", self.certs["ca.pem"], "-u", "root:" + PASSWORD, "-H", "format: json",
                "-H", "Expect:100-continue", "-T", "-"]
        out = subprocess.run(base + ["-D", "-", "-o", "/dev/null", "-H", "label:https0", url],
                             input='[{"id": 1, "v": "a"}]', capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("307", out.stdout.splitlines()[0])
        self.assertIn("location: http://127.0.0.1:%d/api/h/t/_stream_load" % self.emu.be, out.stdout.lower())
        out = subprocess.run(base + ["--location-trusted", "-H", "label:https1", "-H", "strip_outer_array: true", url],
                             input='[{"id": 1, "v": "a"}]', capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout)["Status"], "Success")
        self.assertEqual(sql.query("SELECT count(*) FROM h.t"), [["1"]])
        out = subprocess.run(base + ["--cacert", self.certs["wrong_ca.pem"], "-H", "label:https2", url],
                             input="[]", capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 60, out.stderr)   # CURLE_PEER_FAILED_VERIFICATION
        sql.close()

    def test_versions_without_tls_refuse_the_options(self):
        for version, extra, refusal in (
                ("3.4.0", [], "no TLS on the MySQL port (new in 3.4.1)"),
                ("3.5.0", ["--https-port", "0"], "no HTTPS server (enable_https is new in 4.0)")):
            with tempfile.TemporaryDirectory() as d:
                out = subprocess.run([sys.executable, EMULATOR, "--data-dir", d, "--version", version,
                                      "--ssl-cert", self.certs["server.pem"], "--ssl-key", self.certs["server.key"]]
                                     + extra, capture_output=True, text=True, timeout=20)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(refusal, out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
