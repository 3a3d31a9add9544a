"""Projects, tables, committed rows, and their durable storage.

Durability rule (brief + spec 3.5 "data becomes visible atomically"): every
committed change is written with temp file + fsync + rename (+ fsync of the
directory) before the HTTP reply is sent.  One JSON file per project holds
every table's schema, the name of the file holding its rows, and a set of
applied transaction ids (upload sessions, upsert sessions, SQL instances); a
commit writes the rows files of the tables it changed under new names, then
rewrites the project's file in one rename, so a change and its "already
applied" marker can never be torn apart by kill -9 (Store).
"""

import base64
import decimal
import json
import re
import os
import threading
import time
import uuid

import datatypes as dt

LOCK = threading.RLock()   # one lock for all state; the emulator is small


# ---------------------------------------------------------------------------
# file helpers

def atomic_write(path, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    tmp = "%s.tmp.%d.%s" % (path, os.getpid(), uuid.uuid4().hex[:8])
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(d)


def fsync_dir(d):
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_json(path, obj):
    atomic_write(path, json.dumps(obj, separators=(",", ":"), sort_keys=True))


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


# ---------------------------------------------------------------------------
# value <-> JSON (storage form; typed by the column)

def value_to_json(v, t):
    if v is None:
        return None
    k = t.kind
    if k in ("float", "double"):
        if v != v or v in (float("inf"), float("-inf")):
            return {"f": repr(v)}
        return v
    if k == "binary":
        return base64.b64encode(v).decode("ascii")
    if k == "decimal":
        return format(v, "f")
    if k in ("timestamp", "timestamp_ntz", "interval_day_time"):
        return [v[0], v[1]]
    if k == "array":
        return [value_to_json(e, t.elem) for e in v]
    if k == "map":
        return [[value_to_json(a, t.key), value_to_json(b, t.value)] for a, b in v]
    if k == "struct":
        return [value_to_json(fv, ft) for fv, (_, ft) in zip(v, t.fields)]
    return v


def value_from_json(j, t):
    if j is None:
        return None
    k = t.kind
    if k in ("float", "double"):
        if isinstance(j, dict):
            return float(j["f"])
        return float(j)
    if k == "binary":
        return base64.b64decode(j)
    if k == "decimal":
        return decimal.Decimal(j)
    if k in ("timestamp", "timestamp_ntz", "interval_day_time"):
        return (j[0], j[1])
    if k == "boolean":
        return bool(j)
    if k == "array":
        return [value_from_json(e, t.elem) for e in j]
    if k == "map":
        return [(value_from_json(a, t.key), value_from_json(b, t.value)) for a, b in j]
    if k == "struct":
        return [value_from_json(fv, ft) for fv, (_, ft) in zip(j, t.fields)]
    return j


# ---------------------------------------------------------------------------
# model

class Column:
    __slots__ = ("name", "type", "comment", "nullable", "default")

    def __init__(self, name, type_, comment="", nullable=True, default=None):
        self.name = name
        self.type = type_
        self.comment = comment or ""
        self.nullable = nullable
        self.default = default

    def to_json(self):
        return {"name": self.name, "type": str(self.type), "comment": self.comment,
                "nullable": self.nullable, "default": self.default}

    @classmethod
    def from_json(cls, j):
        return cls(j["name"], dt.parse_type(j["type"], extended_scale=True),
                   j.get("comment", ""), j.get("nullable", True), j.get("default"))


class Table:
    def __init__(self, name, columns, partition_keys=(), primary_key=(),
                 transactional=False, lifecycle=None, comment="", properties=None,
                 owner=""):
        now = time.time()
        self.name = name
        self.columns = list(columns)
        self.partition_keys = list(partition_keys)
        self.primary_key = list(primary_key)
        self.transactional = transactional
        self.lifecycle = lifecycle
        self.comment = comment or ""
        self.properties = dict(properties or {})
        self.owner = owner
        self.table_id = uuid.uuid4().hex
        self.created = now
        self.last_ddl = now
        self.last_modified = now
        self.schema_version = 0
        # partition key (tuple of canonical value strings; () when not
        # partitioned) -> list of rows (lists in column order)
        self.partitions = {} if self.partition_keys else {(): []}

    # --- names
    def column_index(self, name):
        lname = name.lower()
        for i, c in enumerate(self.columns):
            if c.name.lower() == lname:
                return i
        return None

    def partition_index(self, name):
        lname = name.lower()
        for i, c in enumerate(self.partition_keys):
            if c.name.lower() == lname:
                return i
        return None

    @property
    def is_partitioned(self):
        return bool(self.partition_keys)

    @property
    def is_delta(self):
        """PK Delta table (spec 4.2): PRIMARY KEY + transactional."""
        return self.transactional and bool(self.primary_key)

    def all_rows(self):
        for key, rows in self.partitions.items():
            for r in rows:
                yield key, r

    def row_count(self):
        return sum(len(r) for r in self.partitions.values())

    def touch_data(self):
        self.last_modified = time.time()

    def touch_schema(self):
        self.last_ddl = time.time()
        self.schema_version += 1

    # --- persistence
    def rows_to_json(self):
        types = [c.type for c in self.columns]
        parts = []
        for key, rows in self.partitions.items():
            parts.append({"key": list(key),
                          "rows": [[value_to_json(v, t) for v, t in zip(r, types)]
                                   for r in rows]})
        return parts

    def rows_identity(self):
        """What the rows are made of: every change of rows (SQL, commits,
        flushes, ALTERs that rewrite rows) builds new row lists and swaps them
        in, never changing a stored list in place; so the same lists, column
        types and partition keys mean the rows last saved.  Holds the lists,
        so that their ids cannot be reused while it is kept."""
        return (tuple(str(c.type) for c in self.columns),
                tuple((key, rows, len(rows)) for key, rows in self.partitions.items()))

    @staticmethod
    def same_rows(a, b):
        """Whether two rows_identity() name the same lists (by identity: equal
        values of another list may still be written differently)."""
        return (a[0] == b[0] and len(a[1]) == len(b[1]) and
                all(ka == kb and ra is rb and na == nb for (ka, ra, na), (kb, rb, nb) in zip(a[1], b[1])))

    def to_json(self, rows_file=None):
        """With rows_file, the rows are in that file (Store.save_project);
        without, inline under "partitions"."""
        j = {
            "name": self.name, "columns": [c.to_json() for c in self.columns],
            "partition_keys": [c.to_json() for c in self.partition_keys],
            "primary_key": self.primary_key, "transactional": self.transactional,
            "lifecycle": self.lifecycle, "comment": self.comment,
            "properties": self.properties, "owner": self.owner,
            "table_id": self.table_id, "created": self.created,
            "last_ddl": self.last_ddl, "last_modified": self.last_modified,
            "schema_version": self.schema_version,
        }
        if rows_file is None:
            j["partitions"] = self.rows_to_json()
        else:
            j["rows_file"] = rows_file
        return j

    @classmethod
    def from_json(cls, j):
        t = cls(j["name"], [Column.from_json(c) for c in j["columns"]],
                [Column.from_json(c) for c in j["partition_keys"]], j["primary_key"],
                j["transactional"], j["lifecycle"], j["comment"], j["properties"],
                j.get("owner", ""))
        t.table_id = j["table_id"]
        t.created = j["created"]
        t.last_ddl = j["last_ddl"]
        t.last_modified = j["last_modified"]
        t.schema_version = j["schema_version"]
        types = [c.type for c in t.columns]
        t.partitions = {}
        for p in j["partitions"]:
            t.partitions[tuple(p["key"])] = [
                [value_from_json(v, ty) for v, ty in zip(r, types)] for r in p["rows"]]
        if not t.partition_keys and () not in t.partitions:
            t.partitions[()] = []
        return t


class Project:
    def __init__(self, name, type_system="2"):
        self.name = name
        self.type_system = type_system     # "1" or "2" (spec 5.2 editions)
        self.tables = {}                   # lower name -> Table
        self.txns = {}                     # applied transaction id -> info

    def get_table(self, name):
        return self.tables.get(name.lower())

    def to_json(self):
        return {"name": self.name, "type_system": self.type_system,
                "tables": [t.to_json() for t in self.tables.values()],
                "txns": self.txns}

    @classmethod
    def from_json(cls, j):
        p = cls(j["name"], j.get("type_system", "2"))
        for tj in j["tables"]:
            t = Table.from_json(tj)
            p.tables[t.name.lower()] = t
        p.txns = j.get("txns", {})
        return p


class Store:
    """The data directory layout:
        projects/<name>.json            committed catalog + txn markers; each
                                        table names the file of its rows
        rows/<name>/<table id>-<n>.json a table's rows as of some commit
        uploads/<id>/session.json       batch upload sessions (open or closed)
        uploads/<id>/block_<n>.json     uploaded block metadata -> data file
        uploads/<id>/block_<n>_<v>.bin  decoded (uncompressed) record stream
        upserts/<id>/...                upsert sessions and their packs
        streams/<id>/session.json       stream upload sessions
        instances/<id>.json             SQL instances

    A save writes the rows file of each table whose rows changed since the
    last save (durably, under a new name), then the project file in one
    rename: that rename is the commit, as when the project file held the
    rows; then the files no longer named are removed.  A table's rows are
    not written again when another table changes.
    """

    def __init__(self, root):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        self.projects = {}
        self._saved = {}    # project name -> {table_id: (rows file, Table.rows_identity())}
        self._load_projects()

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def _load_projects(self):
        d = self.path("projects")
        if not os.path.isdir(d):
            return
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".json"):
                p = self.load_project(fn[:-len(".json")])
                self.projects[p.name] = p
                self._remove_unnamed_rows(p.name)

    def load_project(self, name):
        """The project as last saved (a new object; self.projects unchanged)."""
        j = read_json(self.path("projects", name + ".json"))
        saved = {}
        for tj in j["tables"]:
            if "rows_file" in tj:
                tj["partitions"] = read_json(self.path("rows", j["name"], tj["rows_file"]))
        p = Project.from_json(j)
        for tj in j["tables"]:
            if "rows_file" in tj:
                t = p.get_table(tj["name"])
                saved[t.table_id] = (tj["rows_file"], t.rows_identity())
        self._saved[p.name] = saved
        return p

    def ensure_project(self, name, type_system="2"):
        with LOCK:
            p = self.projects.get(name)
            if p is None:
                p = Project(name, type_system)
                self.projects[name] = p
                self.save_project(p)
            return p

    def save_project(self, project):
        with LOCK:
            before = self._saved.get(project.name, {})
            saved = {}
            tables = []
            for t in project.tables.values():
                identity = t.rows_identity()
                old = before.get(t.table_id)
                if old is not None and Table.same_rows(old[1], identity):
                    fname = old[0]
                else:
                    fname = "%s-%s.json" % (t.table_id, uuid.uuid4().hex[:12])
                    atomic_write_json(self.path("rows", project.name, fname), t.rows_to_json())
                saved[t.table_id] = (fname, identity)
                tables.append(t.to_json(rows_file=fname))
            atomic_write_json(self.path("projects", project.name + ".json"),
                              {"name": project.name, "type_system": project.type_system,
                               "tables": tables, "txns": project.txns})
            self._saved[project.name] = saved
            self._remove_unnamed_rows(project.name)

    def _remove_unnamed_rows(self, name):
        d = self.path("rows", name)
        if not os.path.isdir(d):
            return
        named = {f for f, _ in self._saved.get(name, {}).values()}
        for fn in os.listdir(d):
            if fn not in named:
                remove_quietly(os.path.join(d, fn))

    def get_project(self, name):
        return self.projects.get(name)


# ---------------------------------------------------------------------------
# partition specs (spec 3.1: 'k1=v1,k2=v2', every level, quotes stripped)

class PartitionSpecError(ValueError):
    pass


PARTITION_KEY_TYPES = ("string", "varchar", "char", "tinyint", "smallint", "int", "bigint")


# A partition value (MaxCompute's answer to "Invalid partition value",
# https://developer.aliyun.com/ask/634052): no double-byte characters; letters,
# digits, space and : _ $ # . ! @; at most 128 bytes; other characters'
# behaviour is undefined, so the emulator refuses them. (The same answer says
# a value starts with a letter, which the documentation's own ds='20170601'
# contradicts: not enforced.)
PARTITION_VALUE_RE = re.compile(r"^[A-Za-z0-9 :_$#.!@]{1,128}$")


def canonical_partition_value(value, col):
    if value == "":
        raise PartitionSpecError("empty value for partition column %s" % col.name)
    if not col.type.is_integer and not PARTITION_VALUE_RE.match(value):
        raise PartitionSpecError("Invalid partition value: %s" % value)
    if col.type.is_integer:
        try:
            n = int(value, 10)
        except ValueError:
            raise PartitionSpecError("partition value %r is not a valid %s"
                                     % (value, col.type))
        lo, hi = dt.INTEGER_RANGES[col.type.kind]
        if not lo <= n <= hi:
            raise PartitionSpecError("partition value %r out of range for %s"
                                     % (value, col.type))
        return str(n)
    if col.type.kind in ("varchar", "char") and len(value) > col.type.length:
        raise PartitionSpecError("partition value %r longer than %s" % (value, col.type))
    return value


def parse_partition_spec(text):
    """'ds=1,hh=2' (quotes around values allowed) -> [(key, value)]."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise PartitionSpecError("empty partition spec element in %r" % text)
        if "=" not in part:
            raise PartitionSpecError("partition spec element %r has no '='" % part)
        k, v = part.split("=", 1)
        k = k.strip()
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        out.append((k, v))
    return out


def resolve_partition(table, pairs, require_full=True):
    """Map parsed (key, value) pairs onto the table's partition columns.
    Returns the tuple key when the spec names every level (in order)."""
    if not table.is_partitioned:
        raise PartitionSpecError("table %s is not partitioned" % table.name)
    n = len(table.partition_keys)
    if len(pairs) > n:
        raise PartitionSpecError("too many partition columns in spec")
    values = []
    for i, (k, v) in enumerate(pairs):
        col = table.partition_keys[i]
        if k.lower() != col.name.lower():
            if table.partition_index(k) is None:
                raise PartitionSpecError("unknown partition column %s" % k)
            raise PartitionSpecError("partition columns must be given in the order %s"
                                     % ",".join(c.name for c in table.partition_keys))
        values.append(canonical_partition_value(v, col))
    if require_full and len(values) != n:
        raise PartitionSpecError("the partition spec must name every partition level (%s)"
                                 % ",".join(c.name for c in table.partition_keys))
    return tuple(values)


def partition_spec_text(table, key):
    return ",".join("%s=%s" % (c.name, v) for c, v in zip(table.partition_keys, key))
