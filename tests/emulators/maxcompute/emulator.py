#!/usr/bin/env python3
"""MaxCompute (ODPS) emulator: a strict test oracle for the REST service
endpoint, SQL instances and the Table Tunnel (spec maxcompute.md).

One HTTP port serves three path spaces:
  /api/...          REST service endpoint   (XML errors, spec 1.5)
  /projects/...     Tunnel endpoint         (JSON errors, spec 3.8); the spec
                    lets the tunnel endpoint be any host:port without a path
                    (1.1: discovery returns host[:port], the client prepends the
                    service scheme), so the same port works
  /__emulator/...   admin + fault hooks for tests (no authentication)

Usage:
  python3 tests/emulators/maxcompute/emulator.py --data-dir DIR [--port 0]
      [--project p[:1|:2]]... [--access-id ID --access-key KEY]
      [--ro-access-id ID --ro-access-key KEY] [--ports-file FILE] ...
"""

import argparse
import ssl
import email.utils
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import catalog as cat  # noqa: E402
import errors as E  # noqa: E402
import signing  # noqa: E402
import sql_engine as se  # noqa: E402
import sql_values as sv  # noqa: E402
from http_messages import Request, Response  # noqa: E402
from rest_api import InstanceManager, RestApi  # noqa: E402
from tunnel import TunnelService  # noqa: E402

MAX_SKEW_MS = 900000          # spec 1.5: 15 minutes
RFC1123 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d{2}:\d{2}:\d{2} GMT$")
MAX_BODY = 256 * 1024 * 1024  # generous; blocks are bounded by the codec anyway


def log(msg):
    sys.stderr.write("[maxcompute-emulator] %s\n" % msg)
    sys.stderr.flush()


class Config:
    pass


# ---------------------------------------------------------------------------
# authentication (spec 1.3 - 1.5)

def authenticate(app, req, endpoint_kind):
    """Returns the principal dict or raises errors.AuthFailure."""
    auth = req.header("Authorization")
    if auth is None or auth.strip() == "":
        raise E.missing_auth()
    try:
        parsed = signing.parse_authorization(auth)
    except signing.SignatureMethodError as e:
        raise E.invalid_sign_method(str(e))
    except signing.AuthParseError as e:
        raise E.invalid_auth(str(e))
    date_text = req.header("Date")
    if not date_text:
        raise E.missing_auth()
    if not RFC1123.match(date_text):
        # spec 1.2: RFC 1123 in GMT, e.g. 'Mon, 01 Jan 2024 00:00:00 GMT'
        raise E.invalid_auth("invalid Date header %r, expected RFC 1123 in GMT" % date_text)
    try:
        date = email.utils.parsedate_to_datetime(date_text)
        if date.tzinfo is None:
            raise ValueError("no time zone")
        date_ts = date.timestamp()
    except (TypeError, ValueError, IndexError):
        raise E.invalid_auth("invalid Date header %r" % date_text)
    principal = app.principals.get(parsed.access_id)
    if principal is None:
        raise E.unknown_access_id(parsed.access_id)
    now = time.time()
    if abs(now - date_ts) * 1000 > MAX_SKEW_MS:
        def iso(ts):
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % (int(ts * 1000) % 1000)
        raise E.skewed(iso(date_ts + MAX_SKEW_MS / 1000.0), iso(now))
    path = req.path
    if endpoint_kind == "rest":
        path = path[len("/api"):]      # spec 1.1: the endpoint's /api is not signed
    canonical = signing.canonical_string(req.method, req.headers, path, req.query_pairs)
    if parsed.is_v4:
        if parsed.v4_region != app.cfg.region:
            raise E.signature_mismatch()
        if parsed.v4_date != time.strftime("%Y%m%d", time.gmtime(date_ts)):
            raise E.signature_mismatch()
        expected = signing.sign_v4(principal["secret"], parsed.v4_date, parsed.v4_region, canonical)
    else:
        expected = signing.sign_v2(principal["secret"], canonical)
    if not signing.constant_time_equal(expected, parsed.signature):
        if app.cfg.log_canonical:
            log("signature mismatch; server canonical string: %r" % canonical)
        raise E.signature_mismatch()
    md5 = req.header("Content-MD5")
    if md5:
        import base64
        import hashlib
        digest = hashlib.md5(req.body).digest()
        if md5.strip() not in (digest.hex(), base64.b64encode(digest).decode("ascii")):
            err = ("Content-MD5 %s does not match the request body" % md5)
            if endpoint_kind == "rest":
                raise E.rest_invalid_param(err)
            raise E.t_invalid_argument(err)
    return principal


# ---------------------------------------------------------------------------
# admin endpoints

def table_rows_json(table, tz, partition=None):
    cols = table.columns
    out = []
    for key, rows in sorted(table.partitions.items()):
        if partition is not None and key != partition:
            continue
        for r in rows:
            obj = {}
            for v, c in zip(r, cols):
                obj[c.name] = json_value(v, c.type, tz)
            for v, c in zip(key, table.partition_keys):
                obj[c.name] = int(v) if c.type.is_integer else v
            out.append(obj)
    return out


def json_value(v, t, tz):
    """Admin JSON rendering: numbers as JSON numbers (BIGINT exact), DECIMAL
    as its plain text, DATETIME/TIMESTAMP as 'YYYY-MM-DD HH:MM:SS[.fff]' in UTC,
    DATE as 'YYYY-MM-DD', BINARY as lower-case hex, NaN/Inf as strings."""
    if v is None:
        return None
    k = t.kind
    if k in ("float", "double"):
        if v != v or v in (float("inf"), float("-inf")):
            return sv.format_double(v)
        return v
    if k == "binary":
        return v.hex()
    if k == "decimal":
        return format(v, "f")
    if k == "date":
        return sv.format_date(v)
    if k == "datetime":
        return sv.format_datetime(v, with_ms=True)
    if k in ("timestamp", "timestamp_ntz"):
        return sv.format_datetime(v[0] * 1000) + ".%09d" % v[1]
    if k == "array":
        return [json_value(e, t.elem, tz) for e in v]
    if k == "map":
        return [[json_value(a, t.key, tz), json_value(b, t.value, tz)] for a, b in v]
    if k == "struct":
        return {n: json_value(fv, ft, tz) for fv, (n, ft) in zip(v, t.fields)}
    if k == "string":
        return v
    return v


class Faults:
    """Injected failures: each rule matches method/endpoint/path regex, lets
    the first `after` matching requests pass, then fires `count` times
    (-1 = forever)."""

    def __init__(self):
        self.rules = []
        self.lock = threading.Lock()

    def add(self, rule):
        r = {"method": None, "endpoint": None, "path_regex": None, "query_regex": None,
             "status": 500, "code": "InternalServerError", "message": "injected fault",
             "count": 1, "after": 0, "headers": {}, "action": "error", "delay_ms": 0, "body": None}
        r.update(rule)
        r["id"] = uuid.uuid4().hex[:8]
        with self.lock:
            self.rules.append(r)
        return r

    def clear(self):
        with self.lock:
            self.rules = []

    def match(self, req, endpoint):
        with self.lock:
            for r in self.rules:
                if r["count"] == 0:
                    continue
                if r["method"] and r["method"].upper() != req.method:
                    continue
                if r["endpoint"] and r["endpoint"] != endpoint:
                    continue
                if r["path_regex"] and not re.search(r["path_regex"], req.path):
                    continue
                if r["query_regex"] and not re.search(r["query_regex"], req.raw_query or ""):
                    continue
                if r["after"] > 0:
                    r["after"] -= 1
                    continue
                if r["count"] > 0:
                    r["count"] -= 1
                return dict(r)
        return None


class App:
    def __init__(self, cfg):
        self.cfg = cfg
        self.store = cat.Store(cfg.data_dir)
        for name, ts in cfg.projects:
            existing = self.store.get_project(name)
            if existing is None:
                self.store.ensure_project(name, ts)
            elif existing.type_system != ts and cfg.explicit_type_system.get(name):
                existing.type_system = ts
                self.store.save_project(existing)
        for name in self.store.projects:
            se.set_project_timezone(name, cfg.timezone)
        self.principals = {
            cfg.access_id: {"name": cfg.access_id, "secret": cfg.access_key, "read_only": False,
                            "owner": "ALIYUN$%s" % cfg.access_id}}
        if cfg.ro_access_id:
            self.principals[cfg.ro_access_id] = {
                "name": cfg.ro_access_id, "secret": cfg.ro_access_key, "read_only": True,
                "owner": "ALIYUN$%s" % cfg.ro_access_id}
        self.tunnel = TunnelService(self.store, cfg, log)
        self.instances = InstanceManager(self.store, cfg, log)
        self.rest = RestApi(self.store, cfg, self.instances, log)
        self.faults = Faults()
        self.recent = []
        self.recent_lock = threading.Lock()

    def remember(self, entry):
        with self.recent_lock:
            self.recent.append(entry)
            if len(self.recent) > 2000:
                del self.recent[:1000]

    # ---- admin
    def admin(self, req, parts):
        m = req.method
        if parts == ["health"]:
            return Response.json({"ok": True, "pid": os.getpid()})
        if len(parts) == 3 and parts[0] == "tables" and m == "GET":
            p = self.store.get_project(parts[1])
            if p is None:
                return Response.json({"error": "NoSuchProject"}, 404)
            with cat.LOCK:
                t = p.get_table(parts[2])
                if t is None:
                    return Response.json({"error": "NoSuchTable"}, 404)
                part = None
                if req.param("partition"):
                    try:
                        part = cat.resolve_partition(t, cat.parse_partition_spec(req.param("partition")))
                    except cat.PartitionSpecError as e:
                        return Response.json({"error": str(e)}, 400)
                body = {"project": p.name, "table": t.name,
                        "columns": [{"name": c.name, "type": str(c.type), "nullable": c.nullable,
                                     "comment": c.comment} for c in t.columns],
                        "partition_keys": [{"name": c.name, "type": str(c.type)} for c in t.partition_keys],
                        "primary_key": t.primary_key, "transactional": t.transactional,
                        "lifecycle": t.lifecycle, "comment": t.comment, "properties": t.properties,
                        "schema_version": t.schema_version,
                        "partitions": [cat.partition_spec_text(t, k) for k in sorted(t.partitions)]
                        if t.is_partitioned else [],
                        "rows": table_rows_json(t, None, part)}
            return Response.json(body)
        if len(parts) == 2 and parts[0] == "tables" and m == "GET":
            p = self.store.get_project(parts[1])
            if p is None:
                return Response.json({"error": "NoSuchProject"}, 404)
            with cat.LOCK:
                return Response.json({"tables": sorted(t.name for t in p.tables.values())})
        if parts == ["sql"] and m == "POST":
            obj = json.loads(req.body or b"{}")
            p = self.store.get_project(obj.get("project", ""))
            if p is None:
                return Response.json({"error": "NoSuchProject"}, 404)
            status, result = se.execute(self.store, p, obj["query"], obj.get("settings") or {},
                                        {"name": "admin", "read_only": False},
                                        txn_id="admin-" + uuid.uuid4().hex)
            return Response.json({"status": status, "result": result})
        if parts == ["sessions"] and m == "GET":
            with cat.LOCK:
                t = self.tunnel
                return Response.json({
                    "uploads": [{"id": s["id"], "project": s["project"], "table": s["table"],
                                 "partition": s["partition_text"], "status": s["status"],
                                 "overwrite": s["overwrite"], "blocks": sorted(s["blocks"])}
                                for s in t.uploads.values()],
                    "streams": [{"id": s["id"], "table": s["table"], "status": s["status"]}
                                for s in t.streams.values()],
                    "upserts": [{"id": s["id"], "table": s["table"], "status": s["status"],
                                 "packs": len(s["packs"])} for s in t.upserts.values()]})
        if parts == ["sessions", "age"] and m == "POST":
            secs = float(req.param("seconds", "0"))
            n = self.tunnel.age_sessions(secs, req.param("id"))
            return Response.json({"aged": n})
        if len(parts) == 3 and parts[0] == "upserts" and parts[2] == "move-slot" and m == "POST":
            default = "127.0.0.2:%d" % self.cfg.port
            slot = self.tunnel.move_slot(parts[1], req.param("slot", "1"), req.param("worker", default))
            if slot is None:
                return Response.json({"error": "no such upsert session or slot"}, 404)
            return Response.json(slot)
        if parts == ["faults"]:
            if m == "POST":
                return Response.json(self.faults.add(json.loads(req.body or b"{}")))
            if m == "DELETE":
                self.faults.clear()
                return Response.json({"cleared": True})
            if m == "GET":
                return Response.json({"rules": self.faults.rules})
        if parts == ["config"] and m == "POST":
            # switch result encoding / poll counts at run time (tests)
            if req.param("base64_results") is not None:
                self.cfg.base64_results = req.param("base64_results").lower() == "true"
            if req.param("instance_running_polls") is not None:
                self.cfg.instance_running_polls = int(req.param("instance_running_polls"))
            if req.param("upsert_commit_polls") is not None:
                self.cfg.upsert_commit_polls = int(req.param("upsert_commit_polls"))
            return Response.json({"base64_results": self.cfg.base64_results,
                                  "instance_running_polls": self.cfg.instance_running_polls,
                                  "upsert_commit_polls": self.cfg.upsert_commit_polls})
        if parts == ["requests"] and m == "GET":
            limit = int(req.param("limit", "100"))
            with self.recent_lock:
                return Response.json({"requests": self.recent[-limit:]})
        if parts == ["requests"] and m == "DELETE":
            with self.recent_lock:
                self.recent = []
            return Response.json({"cleared": True})
        if len(parts) == 2 and parts[0] == "principals" and m == "POST":
            pr = self.principals.get(parts[1])
            if pr is None:
                return Response.json({"error": "unknown access id"}, 404)
            pr["read_only"] = req.param("read_only", "true").lower() == "true"
            return Response.json({"access_id": parts[1], "read_only": pr["read_only"]})
        return Response.json({"error": "unknown admin endpoint %s %s" % (m, req.path)}, 404)

    # ---- dispatch
    def dispatch(self, req):
        path = req.path
        if path.startswith("/__emulator/") or path == "/__emulator":
            parts = [p for p in path.split("/")[2:] if p]
            return self.admin(req, parts), "admin"
        if path == "/api" or path.startswith("/api/"):
            kind = "rest"
        elif path.startswith("/projects/"):
            kind = "tunnel"
        else:
            return E.rest_not_found(path), "rest"
        fault = self.faults.match(req, kind)
        if fault is not None:
            if fault["delay_ms"]:
                time.sleep(fault["delay_ms"] / 1000.0)
            if fault["action"] == "close":
                r = Response(0)
                r.close = True
                return r, kind
            if fault["action"] == "error":
                if fault["body"] is not None:
                    return Response(fault["status"], fault["body"], "text/plain", fault["headers"]), kind
                cls = E.RestError if kind == "rest" else E.TunnelError
                return cls(fault["status"], fault["code"], fault["message"], fault["headers"]), kind
        try:
            req.principal = authenticate(self, req, kind)
        except E.AuthFailure as a:
            return (a.as_rest() if kind == "rest" else a.as_tunnel()), kind
        except E.RestError as e:
            return e, kind
        except E.TunnelError as e:
            return e, kind
        parts = [unquote(p) for p in req.raw_path.split("/") if p]
        try:
            if kind == "rest":
                return self.rest.handle(req, parts[1:]), kind
            return self.tunnel.handle(req, parts[1:]), kind
        except (E.RestError, E.TunnelError) as e:
            return e, kind
        except Exception as e:
            traceback.print_exc()
            if kind == "rest":
                return E.RestError(500, "InternalServerError",
                                   "ODPS-0010000:System internal error - %s" % e), kind
            return E.TunnelError(500, "InternalServerError", "Service internal error: %s" % e), kind


# ---------------------------------------------------------------------------
# HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120          # a client that stops sending mid-body gets IncompleteBody
    server_version = "MaxComputeEmulator/1.0"
    app = None

    def log_message(self, fmt, *args):   # one line per request is written below
        pass

    def read_body(self):
        try:
            return self._read_body()
        except OSError as e:          # socket timeout / reset while reading
            raise IncompleteBody(str(e))

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise IncompleteBody("connection closed inside a chunked body")
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise IncompleteBody("invalid chunk size %r" % size_text)
                if size == 0:
                    while True:           # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > MAX_BODY:
                    raise IncompleteBody("body too large")
                data = self.rfile.read(size)
                if len(data) != size:
                    raise IncompleteBody("connection closed inside a chunk")
                chunks.append(data)
                self.rfile.readline(3)
            return b"".join(chunks)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
        except ValueError:
            raise IncompleteBody("invalid Content-Length %r" % cl)
        if n < 0 or n > MAX_BODY:
            raise IncompleteBody("invalid Content-Length %d" % n)
        data = b""
        while len(data) < n:
            part = self.rfile.read(n - len(data))
            if not part:
                raise IncompleteBody("got %d of %d bytes" % (len(data), n))
            data += part
        return data

    def handle_one(self):
        started = time.time()
        app = self.app
        rid = uuid.uuid4().hex[:24].upper()
        raw = self.path
        raw_path, _, raw_query = raw.partition("?")
        path = unquote(raw_path)
        headers = list(self.headers.items())
        endpoint = "admin" if path.startswith("/__emulator") else ("rest" if path.startswith("/api") else "tunnel")
        try:
            body = self.read_body()
        except IncompleteBody as e:
            if endpoint == "tunnel":
                err = E.TunnelError(400, "IncompleteBody",
                                    "You did not provide the number of bytes specified by the "
                                    "Content-Length HTTP header. " + str(e))
            else:
                err = E.rest_invalid_param("incomplete request body: %s" % e)
            self.close_connection = True
            self.send_result(err, rid, started, endpoint, raw)
            return
        req = Request(self.command, raw_path, path, raw_query, signing.parse_query(raw_query),
                      headers, body, rid, self.client_address[0])
        result, endpoint = app.dispatch(req)
        self.send_result(result, rid, started, endpoint, raw, req)

    def send_result(self, result, rid, started, endpoint, raw, req=None):
        code = None
        if isinstance(result, (E.RestError, E.TunnelError)):
            code = result.code
            headers = dict(result.headers)
            resp = Response(result.status, result.body(rid), result.content_type, headers)
        else:
            resp = result
        if resp.close:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.log_line(raw, "dropped", started, None, req, endpoint)
            return
        try:
            self.send_response(resp.status)
            self.send_header("x-odps-request-id", rid)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(resp.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and resp.body:
                self.wfile.write(resp.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        self.log_line(raw, resp.status, started, code, req, endpoint)

    def log_line(self, raw, status, started, code, req, endpoint):
        ms = (time.time() - started) * 1000
        # never log secrets: the Authorization header is not printed
        log("%s %s %s %s%s %.1fms" % (self.client_address[0], self.command, raw, status,
                                      (" " + code) if code else "", ms))
        if endpoint != "admin":
            entry = {"method": self.command, "path": raw.partition("?")[0],
                     "query": raw.partition("?")[2], "status": status, "code": code,
                     "endpoint": endpoint, "time": time.time()}
            if req is not None:
                entry["headers"] = {k: v for k, v in req.headers if k.lower() != "authorization"}
                entry["body_bytes"] = len(req.body)
            self.app.remember(entry)

    def do_GET(self):
        self.handle_one()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET


class IncompleteBody(Exception):
    pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def parse_args(argv):
    ap = argparse.ArgumentParser(description="MaxCompute (ODPS) emulator for tests")
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--project", action="append", default=[],
                    help="project name, optionally NAME:1 or NAME:2 for its type-system edition "
                         "(default 1, as a new project: a client asks for 2.0 per statement); "
                         "repeatable; default 'p1' when none is given")
    ap.add_argument("--access-id", default="testAccessId")
    ap.add_argument("--access-key", default="testAccessKeySecret")
    ap.add_argument("--ro-access-id", default=None, help="a read-only key pair (NoPermission tests)")
    ap.add_argument("--ro-access-key", default=None)
    ap.add_argument("--region", default="cn-hangzhou", help="region accepted in V4 signatures")
    # A new project's zone is its region's (UTC+8 in the China regions), not UTC.
    ap.add_argument("--timezone", default="Asia/Shanghai", help="project odps.sql.timezone default")
    ap.add_argument("--ports-file", default=None)
    # The service's public endpoints are https (https://service.<region>.maxcompute.aliyun.com/api).
    ap.add_argument("--tls-cert", default=None, help="serve HTTPS with this PEM certificate (needs --tls-key)")
    ap.add_argument("--tls-key", default=None)
    ap.add_argument("--instance-running-polls", type=int, default=1,
                    help="polls that still see Running after an instance finished (spec 6 #10)")
    ap.add_argument("--upsert-commit-polls", type=int, default=1,
                    help="commit polls answered 'committing' before an upsert commit applies")
    ap.add_argument("--base64-results", action="store_true",
                    help="send ?result texts as Transform=\"Base64\"")
    ap.add_argument("--log-canonical", action="store_true",
                    help="log the server-side canonical string on a signature mismatch")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config()
    cfg.data_dir = args.data_dir
    cfg.host = args.host
    cfg.region = args.region
    cfg.timezone = args.timezone
    cfg.access_id, cfg.access_key = args.access_id, args.access_key
    cfg.ro_access_id, cfg.ro_access_key = args.ro_access_id, args.ro_access_key
    if bool(cfg.ro_access_id) != bool(cfg.ro_access_key):
        sys.exit("--ro-access-id and --ro-access-key go together")
    cfg.instance_running_polls = args.instance_running_polls
    cfg.upsert_commit_polls = args.upsert_commit_polls
    cfg.base64_results = args.base64_results
    cfg.log_canonical = args.log_canonical
    cfg.owner = "ALIYUN$%s" % args.access_id
    cfg.started = time.time()
    cfg.projects = []
    cfg.explicit_type_system = {}
    for spec in (args.project or ["p1"]):
        name, _, ts = spec.partition(":")
        if ts not in ("", "1", "2"):
            sys.exit("--project %s: edition must be 1 or 2" % spec)
        cfg.projects.append((name, ts or "1"))
        cfg.explicit_type_system[name] = bool(ts)

    server = Server((args.host, args.port), Handler)
    scheme = "http"
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            sys.exit("--tls-cert and --tls-key go together")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    cfg.port = server.server_address[1]
    cfg.endpoint = "%s://%s:%d/api" % (scheme, args.host, cfg.port)
    cfg.tunnel_endpoint = "%s://%s:%d" % (scheme, args.host, cfg.port)
    app = App(cfg)
    Handler.app = app

    stopping = threading.Event()

    def on_term(signum, frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    if args.ports_file:
        cat.atomic_write_json(os.path.abspath(args.ports_file),
                              {"port": cfg.port, "pid": os.getpid(), "endpoint": cfg.endpoint,
                               "tunnel_endpoint": cfg.tunnel_endpoint})
    log("listening on %s (tunnel %s), data dir %s, projects %s"
        % (cfg.endpoint, cfg.tunnel_endpoint, os.path.abspath(args.data_dir),
           ",".join("%s(edition %s)" % p for p in cfg.projects)))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        app.instances.stop()
        server.server_close()
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
