"""Table Tunnel: batch upload sessions (spec maxcompute.md 3), stream upload
sessions (4.1) and upsert sessions (4.2).  Errors are JSON (3.8).

Batch upload life cycle: create (POST ?uploads) -> PUT blocks (each a full
record stream, verified and stored durably, a re-upload of a block id
replaces it) -> commit (POST ?uploadid, empty body) makes every listed block
visible at once.  Sessions live 24 h; open sessions and their blocks survive
a restart, so a client can resume and commit after kill -9.
"""

import json
import os
import re
import time
import uuid
import zlib

import catalog as cat
import datatypes as dt
import errors as E
import record_format as rf
import sql_engine as se
import upsert_hash
from http_messages import Response, http_date

SESSION_LIFETIME = 24 * 3600
MAX_BLOCK_ID = 19999
HIDDEN_UPSERT_COLUMNS = [
    ("__version", "bigint"), ("__app_version", "bigint"), ("__operation", "tinyint"),
    ("__key_cols", "array<bigint>"), ("__value_cols", "array<bigint>"),
]
OP_UPSERT = 85   # 'U'
OP_DELETE = 68   # 'D'
DEFAULT_BUCKETS = 16


def new_session_id():
    # Looks like the service's ids: creation time then random hex (spec 3.2).
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + uuid.uuid4().hex[:18]


def _truthy_flag(req, name):
    """create_partition is sent as '', 'true' (pyodps/Go) - presence counts
    unless the value says false."""
    if not req.has_param(name):
        return False
    return req.param(name).lower() not in ("false", "0")


class TunnelService:
    def __init__(self, store, cfg, log):
        self.store = store
        self.cfg = cfg
        self.log = log
        self.uploads = {}
        self.streams = {}
        self.upserts = {}
        self.decoded = {}     # (upload id, block id) -> (data file, rows), memory only
        self._load()

    # ------------------------------------------------------------------ load
    def _load(self):
        for kind, target in (("uploads", self.uploads), ("streams", self.streams),
                             ("upserts", self.upserts)):
            d = self.store.path(kind)
            if not os.path.isdir(d):
                continue
            for sid in sorted(os.listdir(d)):
                f = os.path.join(d, sid, "session.json")
                if not os.path.exists(f):
                    continue
                s = cat.read_json(f)
                p = self.store.get_project(s["project"])
                if p is not None and sid in p.txns and s["status"] in ("normal", "committing"):
                    # committed (the project file says so) but the session file
                    # was not rewritten before the crash: repair it
                    s["status"] = "closed" if kind == "uploads" else "committed"
                    cat.atomic_write_json(f, s)
                if kind == "uploads":
                    s["blocks"] = self._load_blocks(sid)
                target[sid] = s

    def _load_blocks(self, sid):
        d = self.store.path("uploads", sid)
        blocks = {}
        for fn in os.listdir(d):
            m = re.match(r"^block_(\d+)\.json$", fn)
            if m:
                b = cat.read_json(os.path.join(d, fn))
                if os.path.exists(os.path.join(d, b["data"])):
                    blocks[int(m.group(1))] = b
        return blocks

    def now(self):
        return time.time()

    # --------------------------------------------------------------- routing
    def handle(self, req, parts):
        """parts: path segments after 'projects'."""
        # /projects/{p}/tables/{t}[/streams|/upserts]
        # /projects/{p}/schemas/{s}/tables/{t}[...]
        if len(parts) >= 4 and parts[1] == "schemas":
            schema = parts[2]
            if schema.lower() != "default":
                raise E.TunnelError(404, "NoSuchSchema", "The specified schema does not exist: %s" % schema)
            parts = [parts[0]] + parts[3:]
        if len(parts) < 3 or parts[1] != "tables" or len(parts) > 4:
            raise E.TunnelError(404, "InvalidResourceSpec", "Unknown tunnel resource %s" % req.path)
        project_name, table_name = parts[0], parts[2]
        sub = parts[3] if len(parts) == 4 else None
        self.check_version(req)
        project = self.store.get_project(project_name)
        if project is None:
            raise E.t_no_project(project_name)
        m = req.method
        if sub is None:
            if m == "POST" and req.has_param("uploads"):
                return self.create_upload(req, project, table_name)
            if req.has_param("downloads") or req.has_param("downloadid"):
                raise E.TunnelError(400, "InvalidArgument",
                                    "Download sessions are not emulated by this server")
            if req.has_param("uploadid"):
                if m == "GET":
                    return self.reload_upload(req, project, table_name)
                if m == "PUT":
                    return self.put_block(req, project, table_name)
                if m == "POST":
                    return self.commit_upload(req, project, table_name)
            raise E.TunnelError(400, "InvalidArgument",
                                "Unsupported %s request on table resource" % m)
        if sub == "streams":
            return self.handle_stream(req, project, table_name)
        if sub == "upserts":
            return self.handle_upsert(req, project, table_name)
        raise E.TunnelError(404, "InvalidResourceSpec", "Unknown tunnel resource %s" % req.path)

    def check_version(self, req):
        v = req.header("x-odps-tunnel-version")
        if v is None:
            raise E.t_invalid_argument("Missing header x-odps-tunnel-version")
        if v.strip() not in ("5", "6"):
            raise E.t_invalid_argument("Unsupported tunnel version %s (5 and 6 are accepted)" % v)

    # -------------------------------------------------------------- helpers
    def table_or_error(self, project, name):
        t = project.get_table(name)
        if t is None:
            raise E.t_no_table(name)
        return t

    def check_privilege(self, req, project, table, privilege):
        if req.principal and req.principal.get("read_only"):
            raise E.t_no_permission(privilege, "acs:odps:*:projects/%s/tables/%s" % (project.name, table))

    def resolve_partition(self, req, table, create_allowed):
        """Returns (key tuple or (), spec text, created?)."""
        spec = req.param("partition")
        if not table.is_partitioned:
            if spec:
                raise E.t_invalid_partition("Table %s is not partitioned." % table.name)
            return (), "", False
        if not spec:
            raise E.t_missing_partition()
        try:
            pairs = cat.parse_partition_spec(spec)
            key = cat.resolve_partition(table, pairs, require_full=True)
        except cat.PartitionSpecError as e:
            raise E.t_invalid_partition(str(e))
        return key, cat.partition_spec_text(table, key), False

    def decode_body(self, req):
        enc = (req.header("Content-Encoding") or "").strip().lower()
        body = req.body
        if enc in ("", "identity"):
            return body
        if enc == "deflate":
            # spec 3.4: zlib-wrapped deflate (RFC 1950); raw DEFLATE is an error
            d = zlib.decompressobj()
            try:
                out = d.decompress(body)
                out += d.flush()
            except zlib.error as e:
                raise E.t_malformed("Invalid deflate (zlib) body: %s" % e)
            if not d.eof:
                raise E.t_malformed("Truncated deflate (zlib) body")
            if d.unused_data:
                raise E.t_malformed("Trailing bytes after the deflate (zlib) stream")
            return out
        raise E.t_invalid_argument("Unsupported Content-Encoding '%s' (this emulator decodes "
                                   "only deflate)" % enc)

    def session_columns(self, table):
        return [c.to_json() for c in table.columns]

    @staticmethod
    def schema_json(columns, partition_keys, with_ids=False):
        def col(c, i):
            return {"name": c["name"], "type": c["type"], "comment": c.get("comment", ""),
                    "nullable": c.get("nullable", True),
                    "column_id": str(i) if with_ids else "", "default_value": c.get("default") or ""}
        return {"IsVirtualView": False,
                "columns": [col(c, i) for i, c in enumerate(columns)],
                "partitionKeys": [col(c, i) for i, c in enumerate(partition_keys)]}

    def check_table_unchanged(self, s, project):
        t = project.get_table(s["table"])
        if t is None:
            raise E.t_no_table(s["table"])
        if t.table_id != s["table_id"]:
            raise E.TunnelError(409, "TableModified",
                                "The specified table has been modified since the session was created")
        if t.schema_version != s["schema_version"]:
            raise E.TunnelError(409, "SchemaModified",
                                "The table schema has been modified since the session was created",
                                headers={"odps-tunnel-latest-schema-version": str(t.schema_version)})
        return t

    def expired(self, s, lifetime=SESSION_LIFETIME):
        return self.now() - s["created"] > lifetime

    def session_path(self, kind, sid, *more):
        return self.store.path(kind, sid, *more)

    def save_session(self, kind, s):
        data = {k: v for k, v in s.items() if k != "blocks"}
        cat.atomic_write_json(self.session_path(kind, s["id"], "session.json"), data)

    def same_resource(self, req, s, project, table_name, kind):
        if s["project"] != project.name or s["table"].lower() != table_name.lower():
            raise E.TunnelError(400, "InvalidResourceSpec",
                                "The project, table or partition does not match the %s session" % kind)
        # Every SDK repeats the session's partition on each call (3.1); the
        # resource of a call is project + table + partition.
        spec = req.param("partition") or ""
        if s["partition"] is None:
            if spec:
                raise E.TunnelError(400, "InvalidResourceSpec",
                                    "The table of this %s session is not partitioned" % kind)
            return
        if not spec:
            raise E.t_missing_partition()
        t = project.get_table(s["table"])
        if t is None:
            raise E.t_no_table(s["table"])
        try:
            given = cat.resolve_partition(t, cat.parse_partition_spec(spec))
        except cat.PartitionSpecError as e:
            raise E.t_invalid_partition(str(e))
        if list(given) != list(s["partition"]):
            raise E.TunnelError(400, "InvalidResourceSpec",
                                "The partition does not match the %s session" % kind)

    # ---------------------------------------------------------------- create
    def create_upload(self, req, project, table_name):
        with cat.LOCK:
            t = self.table_or_error(project, table_name)
            self.check_privilege(req, project, t.name, "odps:Update")
            key, spec_text, _ = self.resolve_partition(req, t, True)
            overwrite = (req.param("overwrite") or "false").lower() == "true"
            if t.is_partitioned and key not in t.partitions:
                if not _truthy_flag(req, "create_partition"):
                    raise E.t_no_partition()
                t.partitions[key] = []
                t.last_ddl = time.time()
                self.store.save_project(project)
            sid = new_session_id()
            s = {"id": sid, "project": project.name, "table": t.name, "table_id": t.table_id,
                 "schema_version": t.schema_version, "partition": list(key) if t.is_partitioned else None,
                 "partition_text": spec_text, "overwrite": overwrite, "status": "normal",
                 "created": self.now(), "owner": req.principal["owner"],
                 "columns": self.session_columns(t),
                 "partition_keys": [c.to_json() for c in t.partition_keys],
                 "quota": req.param("quotaName") or ""}
            self.save_session("uploads", s)
            s["blocks"] = {}
            self.uploads[sid] = s
            return Response.json(self.upload_json(s))

    def upload_json(self, s, status=None):
        blocks = []
        for bid in sorted(s.get("blocks", {})):
            b = s["blocks"][bid]
            blocks.append({k: b[k] for k in ("BlockID", "CreateTime", "Date", "FileName",
                                             "RawSize", "RecordCount", "Version")})
        st = status or s["status"]
        if st == "normal" and self.expired(s):
            st = "expired"
        return {"UploadID": s["id"], "Status": st, "Owner": s["owner"],
                "Initiated": http_date(s["created"]), "IsOverwrite": s["overwrite"],
                "MaxFieldSize": dt.MAX_FIELD_SIZE, "QuotaName": s.get("quota", ""),
                "Schema": self.schema_json(s["columns"], s["partition_keys"]),
                "UploadedBlockList": blocks}

    def get_upload(self, req, project, table_name):
        sid = req.param("uploadid")
        s = self.uploads.get(sid)
        if s is None:
            raise E.t_no_upload(sid)
        self.same_resource(req, s, project, table_name, "upload")
        return s

    def reload_upload(self, req, project, table_name):
        with cat.LOCK:
            s = self.get_upload(req, project, table_name)
            if s["status"] == "normal" and self.expired(s):
                raise E.t_status_conflict("The upload session is expired.")
            return Response.json(self.upload_json(s))

    def writable_upload(self, s):
        if s["status"] != "normal":
            raise E.t_status_conflict("The upload session is %s." % s["status"])
        if self.expired(s):
            raise E.t_status_conflict("The upload session is expired.")

    # ----------------------------------------------------------------- PUT
    def put_block(self, req, project, table_name):
        raw_id = req.param("blockid")
        if raw_id is None:
            raise E.t_invalid_block("Missing blockid.")
        if not re.fullmatch(r"\d{1,9}", raw_id) or int(raw_id) > MAX_BLOCK_ID:
            raise E.t_invalid_block("Block id must be an integer between 0 and %d, got '%s'."
                                    % (MAX_BLOCK_ID, raw_id))
        bid = int(raw_id)
        with cat.LOCK:
            s = self.get_upload(req, project, table_name)
            self.writable_upload(s)
            self.check_table_unchanged(s, project)
        data = self.decode_body(req)
        cols = [cat.Column.from_json(c) for c in s["columns"]]
        try:
            rows = rf.decode_block(data, [c.type for c in cols], [c.name for c in cols],
                                   not_null=[i for i, c in enumerate(cols) if not c.nullable])
        except rf.MalformedStream as e:
            raise E.t_malformed("Malformed data stream: %s" % e)
        with cat.LOCK:
            # re-check: the session may have been committed meanwhile
            self.writable_upload(s)
            version = int(self.now() * 1000)
            fname = "block_%d_%d_%s.bin" % (bid, version, uuid.uuid4().hex[:6])
            cat.atomic_write(self.session_path("uploads", s["id"], fname), data)
            meta = {"BlockID": bid, "CreateTime": int(self.now()), "Date": http_date(),
                    "FileName": "%d_%d_1" % (bid, version), "RawSize": len(data),
                    "RecordCount": len(rows), "Version": version, "data": fname}
            old = s["blocks"].get(bid)
            cat.atomic_write_json(self.session_path("uploads", s["id"], "block_%d.json" % bid), meta)
            s["blocks"][bid] = meta
            self.decoded[(s["id"], bid)] = (fname, rows)   # spares a re-decode at commit
            if old is not None:
                cat.remove_quietly(self.session_path("uploads", s["id"], old["data"]))
        metrics = json.dumps({"PanguIOCost": 0, "ServerIOCost": 0, "ServerTotalCost": 0,
                              "RateLimitCost": 0})
        return Response(200, b"", None, {"odps-tunnel-metrics": metrics})

    # --------------------------------------------------------------- commit
    def commit_upload(self, req, project, table_name):
        with cat.LOCK:
            s = self.get_upload(req, project, table_name)
            self.writable_upload(s)
            t = self.check_table_unchanged(s, project)
            cols = [cat.Column.from_json(c) for c in s["columns"]]
            types = [c.type for c in cols]
            rows = []
            for bid in sorted(s["blocks"]):
                b = s["blocks"][bid]
                cached = self.decoded.get((s["id"], bid))
                if cached is not None and cached[0] == b["data"]:
                    rows.extend(cached[1])
                    continue
                # after a restart: the stored stream was verified when it was PUT
                with open(self.session_path("uploads", s["id"], b["data"]), "rb") as f:
                    data = f.read()
                rows.extend(rf.decode_block(data, types))
            key = tuple(s["partition"]) if s["partition"] is not None else ()
            if key not in t.partitions:
                if t.is_partitioned:
                    raise E.t_no_partition()
                t.partitions[key] = []
            old = [] if s["overwrite"] else t.partitions[key]
            new_parts = dict(t.partitions)
            new_parts[key] = se.upsert_rows(t, old, rows) if t.is_delta else list(old) + rows
            previous = t.partitions
            t.partitions = new_parts
            t.touch_data()
            project.txns[s["id"]] = {"kind": "upload", "status": "committed"}
            try:
                self.store.save_project(project)
            except Exception:
                t.partitions = previous
                project.txns.pop(s["id"], None)
                raise
            s["status"] = "closed"
            self.save_session("uploads", s)
            for bid, b in s["blocks"].items():
                cat.remove_quietly(self.session_path("uploads", s["id"], b["data"]))
                self.decoded.pop((s["id"], bid), None)
            return Response.json(self.upload_json(s))

    # =============================================================== streams
    def handle_stream(self, req, project, table_name):
        m = req.method
        if m == "POST" and not req.has_param("uploadid"):
            return self.create_stream(req, project, table_name)
        sid = req.param("uploadid")
        if sid is None:
            raise E.t_invalid_argument("Missing uploadid")
        with cat.LOCK:
            s = self.streams.get(sid)
            if s is None:
                raise E.TunnelError(404, "StreamSessionNotFound",
                                    "The stream upload session %s does not exist" % sid)
            self.same_resource(req, s, project, table_name, "stream")
        if m == "GET" or (m == "POST" and req.header("odps-tunnel-routed-server") is None):
            with cat.LOCK:
                return Response.json(self.stream_json(s))
        if m == "POST":
            # pyodps aborts with POST ?uploadid + routed-server header (4.1);
            # flushed data stays, the session closes
            with cat.LOCK:
                s["status"] = "closed"
                self.save_session("streams", s)
                return Response.json(self.stream_json(s))
        if m == "PUT":
            return self.put_stream(req, project, s)
        raise E.t_invalid_argument("Unsupported %s on streams" % m)

    def slot_addr(self):
        return "%s:%d" % (self.cfg.host, self.cfg.port)

    def create_stream(self, req, project, table_name):
        with cat.LOCK:
            t = self.table_or_error(project, table_name)
            self.check_privilege(req, project, t.name, "odps:Update")
            if req.param("dynamic_partition", "false").lower() == "true":
                raise E.t_invalid_argument("dynamic_partition is not emulated")
            key, spec_text, _ = self.resolve_partition(req, t, True)
            if t.is_partitioned and key not in t.partitions:
                if not _truthy_flag(req, "create_partition"):
                    raise E.t_no_partition()
                t.partitions[key] = []
                self.store.save_project(project)
            n = req.header("odps-tunnel-slot-num") or req.header("odps-slot-num") or "1"
            try:
                slots = max(1, min(int(n), 64))
            except ValueError:
                raise E.t_invalid_argument("invalid slot number %s" % n)
            sid = new_session_id()
            s = {"id": sid, "project": project.name, "table": t.name, "table_id": t.table_id,
                 "schema_version": t.schema_version, "partition": list(key) if t.is_partitioned else None,
                 "partition_text": spec_text, "status": "normal", "created": self.now(),
                 "owner": req.principal["owner"], "columns": self.session_columns(t),
                 "partition_keys": [c.to_json() for c in t.partition_keys],
                 "slots": [[str(i + 1), self.slot_addr()] for i in range(slots)],
                 "quota": req.param("quotaName") or ""}
            self.save_session("streams", s)
            self.streams[sid] = s
            return Response.json(self.stream_json(s))

    def stream_json(self, s):
        st = s["status"]
        if st == "normal" and self.expired(s):
            st = "expired"
        return {"session_name": s["id"], "status": st, "slots": s["slots"],
                "schema": self.schema_json(s["columns"], s["partition_keys"]),
                "quota_name": s["quota"], "schema_version": s["schema_version"],
                "compress_mode": "", "file_format": ""}

    def put_stream(self, req, project, s):
        slotid = req.param("slotid")
        with cat.LOCK:
            if s["status"] != "normal":
                raise E.t_status_conflict("The stream upload session is %s." % s["status"])
            if self.expired(s):
                raise E.t_status_conflict("The stream upload session is expired.")
            slot = next((x for x in s["slots"] if x[0] == slotid), None)
            if slot is None:
                raise E.t_invalid_argument("Unknown slotid %s" % slotid)
            self.check_table_unchanged(s, project)
        data = self.decode_body(req)
        cols = [cat.Column.from_json(c) for c in s["columns"]]
        try:
            rows = rf.decode_block(data, [c.type for c in cols], [c.name for c in cols],
                                   not_null=[i for i, c in enumerate(cols) if not c.nullable])
        except rf.MalformedStream as e:
            raise E.t_malformed("Malformed data stream: %s" % e)
        rc = req.param("record_count")
        if rc is not None and rc != str(len(rows)):
            raise E.t_malformed("record_count %s does not match the %d records in the body"
                                % (rc, len(rows)))
        with cat.LOCK:
            t = self.check_table_unchanged(s, project)
            key = tuple(s["partition"]) if s["partition"] is not None else ()
            if key not in t.partitions:
                raise E.t_no_partition()
            previous = t.partitions
            new_parts = dict(t.partitions)
            new_parts[key] = (se.upsert_rows(t, t.partitions[key], rows) if t.is_delta
                              else t.partitions[key] + rows)
            t.partitions = new_parts
            t.touch_data()
            try:
                self.store.save_project(project)     # each flush is durable (4.1)
            except Exception:
                t.partitions = previous
                raise
            headers = {"odps-tunnel-routed-server": slot[1],
                       "odps-tunnel-slot-num": str(len(s["slots"]))}
        return Response(200, b"", None, headers)

    # =============================================================== upserts
    def handle_upsert(self, req, project, table_name):
        m = req.method
        if m == "POST" and not req.has_param("upsertid"):
            return self.create_upsert(req, project, table_name)
        uid = req.param("upsertid")
        if uid is None:
            raise E.t_invalid_argument("Missing upsertid")
        with cat.LOCK:
            s = self.upserts.get(uid)
            if s is None:
                raise E.TunnelError(404, "UpsertSessionNotFound",
                                    "The upsert session %s does not exist" % uid)
            self.same_resource(req, s, project, table_name, "upsert")
            if m == "GET":
                self.advance_commit(s, project)
                return Response.json(self.upsert_json(s))
            if m == "POST":
                return self.commit_upsert(s, project)
            if m == "DELETE":
                if s["status"] in ("committing", "committed"):
                    raise E.t_status_conflict("The upsert session is %s." % s["status"])
                s["status"] = "aborted"
                self.save_session("upserts", s)
                return Response.json(self.upsert_json(s))
        if m == "PUT":
            return self.put_upsert(req, project, s)
        raise E.t_invalid_argument("Unsupported %s on upserts" % m)

    def create_upsert(self, req, project, table_name):
        with cat.LOCK:
            t = self.table_or_error(project, table_name)
            self.check_privilege(req, project, t.name, "odps:Update")
            if not t.is_delta:
                raise E.TunnelError(400, "InvalidArgument",
                                    "Upsert sessions need a transactional table with a primary key; "
                                    "table %s is not a Delta table" % t.name)
            key, spec_text, _ = self.resolve_partition(req, t, True)
            if t.is_partitioned and key not in t.partitions:
                if not _truthy_flag(req, "create_partition"):
                    raise E.t_no_partition()
                t.partitions[key] = []
                self.store.save_project(project)
            try:
                nslots = int(req.param("slotnum", "1"))
            except ValueError:
                raise E.t_invalid_argument("invalid slotnum")
            if nslots < 1:
                raise E.t_invalid_argument("slotnum must be positive")
            lifecycle = req.param("lifecycle")
            hours = 24
            if lifecycle is not None:
                try:
                    hours = int(lifecycle)
                except ValueError:
                    raise E.t_invalid_argument("invalid lifecycle")
                if not 1 <= hours <= 24:
                    raise E.t_invalid_argument("lifecycle must be between 1 and 24 hours")
            buckets = int(t.properties.get("write.bucket.num", DEFAULT_BUCKETS))
            nslots = min(nslots, buckets)
            slots = []
            for i in range(nslots):
                slots.append({"slot_id": str(i + 1),
                              "buckets": [b for b in range(buckets) if b % nslots == i],
                              "worker_addr": self.slot_addr()})
            uid = new_session_id()
            s = {"id": uid, "project": project.name, "table": t.name, "table_id": t.table_id,
                 "schema_version": t.schema_version, "partition": list(key) if t.is_partitioned else None,
                 "partition_text": spec_text, "status": "normal", "created": self.now(),
                 "lifetime": hours * 3600, "owner": req.principal["owner"],
                 "columns": self.session_columns(t),
                 "partition_keys": [c.to_json() for c in t.partition_keys],
                 "hash_key": list(t.primary_key), "buckets": buckets, "slots": slots,
                 "partial": t.properties.get("acid.partial.fields.update.enable", "").lower() == "true",
                 "packs": [], "commit_polls": 0, "quota": req.param("quotaName") or ""}
            self.save_session("upserts", s)
            self.upserts[uid] = s
            return Response.json(self.upsert_json(s))

    def upsert_json(self, s):
        st = s["status"]
        if st == "normal" and self.expired(s, s["lifetime"]):
            st = "expired"
        return {"id": s["id"], "status": st,
                "schema": self.schema_json(s["columns"], s["partition_keys"], with_ids=True),
                "hash_key": s["hash_key"], "hasher": "default", "slots": s["slots"],
                "quota_name": s["quota"], "enable_partial_update": bool(s.get("partial"))}

    def put_upsert(self, req, project, s):
        with cat.LOCK:
            if s["status"] != "normal":
                raise E.t_status_conflict("The upsert session is %s." % s["status"])
            if self.expired(s, s["lifetime"]):
                raise E.t_status_conflict("The upsert session is expired.")
            try:
                bucket = int(req.param("bucketid", ""))
            except ValueError:
                raise E.t_invalid_argument("invalid or missing bucketid")
            if not 0 <= bucket < s["buckets"]:
                raise E.t_invalid_argument("bucketid %d out of range 0..%d" % (bucket, s["buckets"] - 1))
            owner = next(x for x in s["slots"] if bucket in x["buckets"])
            routed = req.header("odps-tunnel-routed-server")
            if req.param("slotid") != owner["slot_id"] or routed != owner["worker_addr"]:
                # spec 4.2 item 5: slot reassignment -> 308 + the new server
                return Response(308, b"", None, {"odps-tunnel-routed-server": owner["worker_addr"]})
            self.check_table_unchanged(s, project)
        data = self.decode_body(req)
        cols = [cat.Column.from_json(c) for c in s["columns"]]
        types = [c.type for c in cols] + [dt.parse_type(x) for _, x in HIDDEN_UPSERT_COLUMNS]
        names = [c.name for c in cols] + [n for n, _ in HIDDEN_UPSERT_COLUMNS]
        try:
            rows = rf.decode_block(data, types, names)
        except rf.MalformedStream as e:
            raise E.t_malformed("Malformed data stream: %s" % e)
        rc = req.param("record_count")
        if rc is not None and rc != str(len(rows)):
            raise E.t_malformed("record_count %s does not match the %d records in the body"
                                % (rc, len(rows)))
        n = len(cols)
        pk_idx = [next(i for i, c in enumerate(cols) if c.name == k) for k in s["hash_key"]]
        for i, r in enumerate(rows, 1):
            op = r[n + 2]
            if op not in (OP_UPSERT, OP_DELETE):
                raise E.t_malformed("record %d: __operation must be 85 (U) or 68 (D), got %r" % (i, op))
            if any(r[j] is None for j in pk_idx):
                raise E.t_malformed("record %d: primary key columns must not be NULL" % i)
            value_cols = r[n + 4] or []
            if value_cols and not s.get("partial"):
                raise E.t_malformed("record %d: partial update (__value_cols) is not enabled "
                                    "for this session" % i)
            for cid in value_cols:
                # the column_id values of the session's schema (spec 4.2 item 3)
                if cid is None or not 0 <= cid < n:
                    raise E.t_malformed("record %d: __value_cols names column id %r, which the session's "
                                        "schema does not have" % (i, cid))
            if op == OP_UPSERT:
                for j, c in enumerate(cols):
                    if value_cols and j not in value_cols:
                        continue  # left as it is (or NULL in a new row)
                    if r[j] is None and not c.nullable:
                        raise E.t_malformed("record %d: NULL in NOT NULL column %s" % (i, c.name))
            want = upsert_hash.bucket_of([r[j] for j in pk_idx], [cols[j].type for j in pk_idx],
                                         s["buckets"])
            if want != bucket:
                self.log("upsert %s: record %d hashes to bucket %d but was sent to bucket %d "
                         "(accepted, spec 4.2 item 4)" % (s["id"], i, want, bucket))
        with cat.LOCK:
            if s["status"] != "normal":
                raise E.t_status_conflict("The upsert session is %s." % s["status"])
            seq = len(s["packs"])
            fname = "pack_%06d_%s.bin" % (seq, uuid.uuid4().hex[:6])
            cat.atomic_write(self.session_path("upserts", s["id"], fname), data)
            s["packs"].append({"file": fname, "bucket": bucket, "records": len(rows)})
            self.save_session("upserts", s)
        return Response(200, b"", None, {"odps-tunnel-routed-server": owner["worker_addr"]})

    def commit_upsert(self, s, project):
        if s["status"] == "committed":
            return Response.json(self.upsert_json(s))
        if s["status"] not in ("normal", "committing"):
            raise E.t_status_conflict("The upsert session is %s." % s["status"])
        if s["status"] == "normal":
            if self.expired(s, s["lifetime"]):
                raise E.t_status_conflict("The upsert session is expired.")
            self.check_table_unchanged(s, project)
            s["status"] = "committing"
            s["commit_polls"] = 0
            self.save_session("upserts", s)
            if self.cfg.upsert_commit_polls <= 0:
                self.apply_upsert(s, project)
            return Response.json(self.upsert_json(s))
        self.advance_commit(s, project)
        return Response.json(self.upsert_json(s))

    def advance_commit(self, s, project):
        if s["status"] != "committing":
            return
        s["commit_polls"] += 1
        if s["commit_polls"] >= self.cfg.upsert_commit_polls:
            self.apply_upsert(s, project)
        else:
            self.save_session("upserts", s)

    def apply_upsert(self, s, project):
        t = self.check_table_unchanged(s, project)
        cols = [cat.Column.from_json(c) for c in s["columns"]]
        types = [c.type for c in cols] + [dt.parse_type(x) for _, x in HIDDEN_UPSERT_COLUMNS]
        n = len(cols)
        key = tuple(s["partition"]) if s["partition"] is not None else ()
        rows = list(t.partitions.get(key, []))
        pk_idx = [t.column_index(k) for k in t.primary_key]
        pos = {tuple(se._hashable(r[j]) for j in pk_idx): i for i, r in enumerate(rows)}
        deleted = set()
        for pack in s["packs"]:
            with open(self.session_path("upserts", s["id"], pack["file"]), "rb") as f:
                data = f.read()
            for r in rf.decode_block(data, types):
                k = tuple(se._hashable(r[j]) for j in pk_idx)
                if r[n + 2] == OP_DELETE:
                    if k in pos:
                        deleted.add(pos.pop(k))
                else:
                    # a partial update sets the listed columns; a new row has NULL in the others
                    # (help.aliyun.com .../flink-partial-column-update-write-delta-table, static mode)
                    value_cols = r[n + 4] or []
                    new = list(r[:n])
                    if value_cols:
                        old = rows[pos[k]] if k in pos else [None] * n
                        new = [r[j] if j in value_cols else old[j] for j in range(n)]
                    if k in pos:
                        rows[pos[k]] = new
                    else:
                        pos[k] = len(rows)
                        rows.append(new)
        rows = [r for i, r in enumerate(rows) if i not in deleted]
        previous = t.partitions
        new_parts = dict(t.partitions)
        new_parts[key] = rows
        t.partitions = new_parts
        t.touch_data()
        project.txns[s["id"]] = {"kind": "upsert", "status": "committed"}
        try:
            self.store.save_project(project)
        except Exception:
            t.partitions = previous
            project.txns.pop(s["id"], None)
            raise
        s["status"] = "committed"
        self.save_session("upserts", s)
        for pack in s["packs"]:
            cat.remove_quietly(self.session_path("upserts", s["id"], pack["file"]))

    # ================================================================ admin
    def age_sessions(self, seconds, sid=None):
        with cat.LOCK:
            n = 0
            for kind, group in (("uploads", self.uploads), ("streams", self.streams),
                                ("upserts", self.upserts)):
                for s in group.values():
                    if sid is None or s["id"] == sid:
                        s["created"] -= seconds
                        self.save_session(kind, s)
                        n += 1
            return n

    def move_slot(self, uid, slot_id, worker):
        with cat.LOCK:
            s = self.upserts.get(uid)
            if s is None:
                return None
            for x in s["slots"]:
                if x["slot_id"] == slot_id:
                    x["worker_addr"] = worker
                    self.save_session("upserts", s)
                    return x
            return None
