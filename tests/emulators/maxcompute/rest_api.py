"""REST (service endpoint, ``/api``) handlers: projects, tables metadata,
tunnel endpoint discovery and SQL instances (spec maxcompute.md 1.1, 2).
Errors are XML (1.5).

Instances run on one worker thread in submission order.  A poll reports
``Running`` at least ``--instance-running-polls`` times (default 1) before
``Terminated`` so clients exercise their wait loop (section 6 #10).  The
statement's effect and the instance id are written to the project file in
one atomic rename; the instance file follows, and a restart adopts the
outcome from the project file (or re-runs an instance that never applied).
"""

import base64
import json
import os
import queue
import threading
import time
import uuid
import xml.etree.ElementTree as ET

import catalog as cat
import errors as E
import sql_engine as se
from http_messages import Response, http_date, xml_escape

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
TASK_TYPES = ("SQL",)


def new_instance_id():
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "%03d" % (int(time.time() * 1000) % 1000) \
        + uuid.uuid4().hex[:14]


class InstanceManager:
    def __init__(self, store, cfg, log):
        self.store = store
        self.cfg = cfg
        self.log = log
        self.instances = {}
        self.guids = {}
        self.queue = queue.Queue()
        self._load()
        self.worker = threading.Thread(target=self._run, name="instance-worker", daemon=True)
        self.worker.start()

    def path(self, iid):
        return self.store.path("instances", iid + ".json")

    def _load(self):
        d = self.store.path("instances")
        if not os.path.isdir(d):
            return
        pending = []
        for fn in os.listdir(d):
            if not fn.endswith(".json"):
                continue
            inst = cat.read_json(os.path.join(d, fn))
            self.instances[inst["id"]] = inst
            if inst.get("guid"):
                self.guids[(inst["project"], inst["guid"])] = inst["id"]
            if inst["status"] == "Running":
                p = self.store.get_project(inst["project"])
                marker = p.txns.get(inst["id"]) if p else None
                if marker is not None:
                    # applied before the crash; adopt the outcome
                    for t in inst["tasks"]:
                        t["status"] = marker.get("status", "Success")
                        t["result"] = marker.get("result", "")
                        t["end"] = time.time()
                    inst["status"] = "Terminated"
                    inst["end"] = time.time()
                    cat.atomic_write_json(self.path(inst["id"]), inst)
                else:
                    pending.append(inst)
        for inst in sorted(pending, key=lambda i: i["created"]):
            self.queue.put(inst["id"])

    def save(self, inst):
        cat.atomic_write_json(self.path(inst["id"]), inst)

    def submit(self, project, owner, principal, job):
        with cat.LOCK:
            if job.get("guid"):
                existing = self.guids.get((project.name, job["guid"]))
                if existing:
                    return self.instances[existing]
            iid = new_instance_id()
            now = time.time()
            inst = {"id": iid, "project": project.name, "owner": owner,
                    "principal": {"name": principal["name"], "read_only": principal["read_only"]},
                    "status": "Running", "created": now, "start": now, "end": None,
                    "priority": job["priority"], "guid": job.get("guid"), "name": job.get("name"),
                    "polls": 0, "executed": False,
                    "tasks": [{"name": t["name"], "type": t["type"], "query": t["query"],
                               "settings": t["settings"], "status": "Waiting", "result": "",
                               "start": None, "end": None} for t in job["tasks"]]}
            self.save(inst)
            self.instances[iid] = inst
            if job.get("guid"):
                self.guids[(project.name, job["guid"])] = iid
        self.queue.put(iid)
        return inst

    def _run(self):
        while True:
            iid = self.queue.get()
            if iid is None:
                return
            try:
                self.execute(iid)
            except Exception as e:  # keep the worker alive; report the failure
                import traceback
                traceback.print_exc()
                with cat.LOCK:
                    inst = self.instances.get(iid)
                    if inst is not None and inst["status"] == "Running":
                        for t in inst["tasks"]:
                            if t["status"] in ("Waiting", "Running"):
                                t["status"] = "Failed"
                                t["result"] = "ODPS-0010000:System internal error - %s" % e
                        inst["status"] = "Terminated"
                        inst["end"] = time.time()
                        self.save(inst)

    def execute(self, iid):
        with cat.LOCK:
            inst = self.instances.get(iid)
            if inst is None or inst["status"] != "Running":
                return
            project = self.store.get_project(inst["project"])
            failed = False
            for i, t in enumerate(inst["tasks"]):
                t["start"] = time.time()
                if failed:
                    t["status"] = "Cancelled"
                    t["end"] = time.time()
                    continue
                txn = iid if len(inst["tasks"]) == 1 else "%s/%d" % (iid, i)
                status, result = se.execute(self.store, project, t["query"], t["settings"],
                                            inst["principal"], txn_id=txn)
                t["status"] = status
                t["result"] = result
                t["end"] = time.time()
                failed = status != "Success"
            inst["executed"] = True
            inst["status"] = "Terminated"
            inst["end"] = time.time()
            self.save(inst)

    def observed_status(self, inst):
        """What a poll sees: Running for the first N polls (section 6 #10)."""
        with cat.LOCK:
            if inst["status"] == "Terminated" and inst["polls"] < self.cfg.instance_running_polls:
                inst["polls"] += 1
                self.save(inst)
                return "Running", True
            if inst["status"] == "Running":
                inst["polls"] += 1
            return inst["status"], False

    def terminate(self, inst):
        with cat.LOCK:
            if inst["status"] == "Running" and not inst.get("executed"):
                for t in inst["tasks"]:
                    if t["status"] in ("Waiting", "Running"):
                        t["status"] = "Cancelled"
                        t["end"] = time.time()
                inst["status"] = "Terminated"
                inst["end"] = time.time()
                self.save(inst)

    def stop(self):
        self.queue.put(None)


# ---------------------------------------------------------------------------

def _text(el, name):
    x = el.find(name)
    return None if x is None else (x.text or "")


def parse_job(body):
    """Instance XML of spec 2.1 -> job dict; raises RestError."""
    if not body or not body.strip():
        raise E.rest_bad_xml("empty request body")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise E.rest_bad_xml(str(e))
    if root.tag != "Instance":
        raise E.rest_bad_xml("root element must be Instance, got %s" % root.tag)
    job = root.find("Job")
    if job is None:
        raise E.rest_missing_param("Instance/Job")
    pr = _text(job, "Priority")
    priority = 9
    if pr is not None and pr.strip() != "":
        try:
            priority = int(pr)
        except ValueError:
            raise E.rest_invalid_param("Priority must be an integer, got %r" % pr)
        if not 0 <= priority <= 9:
            raise E.rest_invalid_param("Priority must be between 0 and 9, got %d" % priority)
    tasks_el = job.find("Tasks")
    if tasks_el is None or len(tasks_el) == 0:
        raise E.rest_missing_param("Instance/Job/Tasks")
    tasks = []
    names = set()
    for tel in tasks_el:
        if tel.tag not in TASK_TYPES:
            raise E.rest_invalid_param("unsupported task type %s (this emulator runs SQL tasks)" % tel.tag)
        name = _text(tel, "Name")
        if not name:
            raise E.rest_missing_param("Task/Name")
        if name in names:
            raise E.rest_invalid_param("duplicate task name %s" % name)
        names.add(name)
        query = _text(tel, "Query")
        if query is None or not query.strip():
            raise E.rest_missing_param("Task/Query")
        settings = {}
        cfg = tel.find("Config")
        if cfg is not None:
            for prop in cfg.findall("Property"):
                pname = _text(prop, "Name")
                pval = _text(prop, "Value") or ""
                if pname == "settings":
                    try:
                        obj = json.loads(pval) if pval.strip() else {}
                    except ValueError as e:
                        raise E.rest_invalid_param("settings is not valid JSON: %s" % e)
                    if not isinstance(obj, dict):
                        raise E.rest_invalid_param("settings must be a JSON object")
                    settings.update({str(k): str(v) for k, v in obj.items()})
        tasks.append({"name": name, "type": tel.tag, "query": query, "settings": settings})
    dag = job.find("DAG")
    if dag is not None:
        mode = _text(dag, "RunMode")
        if mode not in (None, "", "Sequence"):
            raise E.rest_invalid_param("unsupported DAG RunMode %s" % mode)
    return {"priority": priority, "tasks": tasks, "guid": _text(job, "Guid"),
            "name": _text(job, "Name")}


class RestApi:
    def __init__(self, store, cfg, instances, log):
        self.store = store
        self.cfg = cfg
        self.instances = instances
        self.log = log

    def handle(self, req, parts):
        """parts: segments after /api."""
        if not parts or parts[0] != "projects":
            raise E.rest_not_found(req.path)
        if len(parts) == 1:
            raise E.rest_method_not_allowed(req.method)
        project = self.store.get_project(parts[1])
        if project is None:
            raise E.rest_no_project(parts[1])
        rest = parts[2:]
        m = req.method
        if not rest:
            if m in ("GET", "HEAD"):
                return self.project_xml(project)
            raise E.rest_method_not_allowed(m)
        if rest[0] == "tunnel" and len(rest) == 1:
            if m != "GET":
                raise E.rest_method_not_allowed(m)
            if not req.has_param("service"):
                raise E.rest_missing_param("service")
            return Response(200, "%s:%d" % (self.cfg.host, self.cfg.port), "text/plain")
        if rest[0] == "schemas" and len(rest) >= 3 and rest[2] == "tables":
            if rest[1].lower() != "default":
                raise E.RestError(404, "NoSuchSchema", "ODPS-0420111:Schema not found - '%s'." % rest[1])
            rest = rest[2:]
        if rest[0] == "tables":
            if len(rest) == 1:
                if m != "GET":
                    raise E.rest_method_not_allowed(m)
                return self.list_tables(req, project)
            if len(rest) == 2:
                if m not in ("GET", "HEAD"):
                    raise E.rest_method_not_allowed(m)
                with cat.LOCK:
                    t = project.get_table(rest[1])
                    if t is None:
                        raise E.rest_no_table(project.name, rest[1])
                    return self.table_xml(project, t)
        if rest[0] == "instances":
            if len(rest) == 1:
                if m == "POST":
                    return self.submit(req, project)
                if m == "GET":
                    return self.list_instances(req, project)
                raise E.rest_method_not_allowed(m)
            if len(rest) == 2:
                inst = self.instances.instances.get(rest[1])
                if inst is None or inst["project"] != project.name:
                    raise E.rest_no_instance(rest[1])
                if m == "GET":
                    return self.instance_get(req, inst)
                if m == "PUT":
                    return self.instance_put(req, inst)
                raise E.rest_method_not_allowed(m)
        raise E.rest_not_found(req.path)

    # ---- projects / tables
    def project_xml(self, p):
        props = [("odps.sql.type.system.odps2", "true" if p.type_system == "2" else "false"),
                 ("odps.sql.decimal.odps2", "true" if p.type_system == "2" else "false"),
                 ("odps.sql.hive.compatible", "false"),
                 ("odps.sql.timezone", se.project_timezone(p))]
        body = (XML_HEAD + "<Project><Name>%s</Name><Type>managed</Type><Comment></Comment>"
                "<Owner>%s</Owner><State>AVAILABLE</State><CreationTime>%s</CreationTime>"
                "<LastModifiedTime>%s</LastModifiedTime><ProjectGroupName></ProjectGroupName>"
                "<Properties>%s</Properties></Project>") % (
            xml_escape(p.name), xml_escape(self.cfg.owner), http_date(self.cfg.started),
            http_date(self.cfg.started),
            "".join("<Property><Name>%s</Name><Value>%s</Value></Property>" % (k, xml_escape(v))
                    for k, v in props))
        return Response.xml(body)

    def table_schema_json(self, p, t):
        def col(c):
            return {"name": c.name, "type": str(c.type), "comment": c.comment,
                    "isNullable": c.nullable, "label": ""}
        reserved = {"Transactional": "true" if t.transactional else "false",
                    "schema_version": str(t.schema_version),
                    "IsolationMin": "0"}
        if t.primary_key:
            reserved["PrimaryKey"] = list(t.primary_key)
        if "write.bucket.num" in t.properties:
            reserved["write.bucket.num"] = t.properties["write.bucket.num"]
        return {"tableName": t.name, "comment": t.comment, "owner": t.owner or self.cfg.owner,
                "createTime": int(t.created), "lastModifiedTime": int(t.last_modified),
                "lastDDLTime": int(t.last_ddl), "isVirtualView": False,
                "isMaterializedView": False, "lifecycle": t.lifecycle if t.lifecycle else -1,
                "size": 0, "isArchived": False, "recordNum": t.row_count(),
                "columns": [col(c) for c in t.columns],
                "partitionKeys": [col(c) for c in t.partition_keys],
                "tableProperties": json.dumps(t.properties),
                "Reserved": json.dumps(reserved)}

    def table_xml(self, p, t):
        schema = json.dumps(self.table_schema_json(p, t))
        body = (XML_HEAD + '<Table format="json"><Name>%s</Name><TableId>%s</TableId>'
                "<Schema>%s</Schema><Owner>%s</Owner><Type>MANAGED_TABLE</Type>"
                "<CreationTime>%s</CreationTime><LastModifiedTime>%s</LastModifiedTime>"
                "<LastAccessTime>%s</LastAccessTime></Table>") % (
            xml_escape(t.name), t.table_id, E.cdata(schema), xml_escape(t.owner or self.cfg.owner),
            http_date(t.created), http_date(t.last_modified), http_date(t.last_modified))
        return Response.xml(body)

    def list_tables(self, req, p):
        prefix = (req.param("name") or "").lower()
        with cat.LOCK:
            names = sorted(t.name for t in p.tables.values() if t.name.lower().startswith(prefix))
            items = "".join("<Table><Name>%s</Name><Owner>%s</Owner><Type>MANAGED_TABLE</Type></Table>"
                            % (xml_escape(n), xml_escape(self.cfg.owner)) for n in names)
        return Response.xml(XML_HEAD + "<Tables><Marker></Marker><MaxItems>%d</MaxItems>%s</Tables>"
                            % (len(names), items))

    # ---- instances
    def submit(self, req, project):
        job = parse_job(req.body)
        inst = self.instances.submit(project, req.principal["owner"], req.principal, job)
        location = "%s/projects/%s/instances/%s" % (self.cfg.endpoint, project.name, inst["id"])
        return Response(201, b"", None, {"Location": location})

    def list_instances(self, req, p):
        with cat.LOCK:
            items = [i for i in self.instances.instances.values() if i["project"] == p.name]
            items.sort(key=lambda i: i["created"])
            body = "".join("<Instance><Name>%s</Name><Owner>%s</Owner><StartTime>%s</StartTime>"
                           "<Status>%s</Status></Instance>"
                           % (i["id"], xml_escape(i["owner"]), http_date(i["start"]), i["status"])
                           for i in items)
        return Response.xml(XML_HEAD + "<Instances><Marker></Marker><MaxItems>%d</MaxItems>%s</Instances>"
                            % (len(items), body))

    def _headers(self, inst, status):
        h = {"x-odps-owner": inst["owner"], "x-odps-start-time": http_date(inst["start"])}
        if status == "Terminated" and inst["end"]:
            h["x-odps-end-time"] = http_date(inst["end"])
        return h

    def instance_get(self, req, inst):
        if req.has_param("result"):
            status, masked = self.instances.observed_status(inst)
            tasks = []
            for t in inst["tasks"]:
                text = "" if masked or status != "Terminated" else t["result"]
                if self.cfg.base64_results:
                    res = '<Result Transform="Base64" Format="text">%s</Result>' % E.cdata(
                        base64.b64encode(text.encode("utf-8")).decode("ascii"))
                else:
                    res = '<Result Format="text">%s</Result>' % E.cdata(text)
                tasks.append('<Task Type="%s"><Name>%s</Name>%s</Task>' % (t["type"], xml_escape(t["name"]), res))
            return Response.xml(XML_HEAD + "<Instance><Tasks>%s</Tasks></Instance>" % "".join(tasks),
                                headers=self._headers(inst, status))
        if req.has_param("taskstatus"):
            status, masked = self.instances.observed_status(inst)
            tasks = []
            for t in inst["tasks"]:
                tstatus = "Running" if masked and t["status"] in ("Success", "Failed", "Cancelled") else t["status"]
                parts = ['<Task Type="%s"><Name>%s</Name>' % (t["type"], xml_escape(t["name"]))]
                if t["start"]:
                    parts.append("<StartTime>%s</StartTime>" % http_date(t["start"]))
                if t["end"] and not masked:
                    parts.append("<EndTime>%s</EndTime>" % http_date(t["end"]))
                parts.append("<Status>%s</Status><Histories/></Task>" % tstatus)
                tasks.append("".join(parts))
            return Response.xml(XML_HEAD + "<Instance><Status>%s</Status><Tasks>%s</Tasks></Instance>"
                                % (status, "".join(tasks)), headers=self._headers(inst, status))
        if any(req.has_param(k) for k in ("instancesummary", "instanceprogress", "instancedetail",
                                          "source", "taskdetail", "detail")):
            raise E.rest_invalid_param("this instance sub-resource is not emulated")
        status, _ = self.instances.observed_status(inst)
        return Response.xml(XML_HEAD + "<Instance><Status>%s</Status></Instance>" % status,
                            headers=self._headers(inst, status))

    def instance_put(self, req, inst):
        try:
            root = ET.fromstring(req.body or b"")
        except ET.ParseError as e:
            raise E.rest_bad_xml(str(e))
        if root.tag != "Instance" or _text(root, "Status") != "Terminated":
            raise E.rest_invalid_param("only <Instance><Status>Terminated</Status></Instance> is supported")
        if req.principal.get("read_only") and req.principal["owner"] != inst["owner"]:
            raise E.rest_no_privilege("odps:Write", "acs:odps:*:projects/%s/instances/%s"
                                      % (inst["project"], inst["id"]))
        self.instances.terminate(inst)
        return Response(200, b"")
