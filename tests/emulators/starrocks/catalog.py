"""Catalog of the emulated StarRocks cluster: databases, tables (schema + rows keyed by
primary key), the transaction/label registry and schema-change jobs, with atomic persistence.

Persistence (brief: "every committed change ... is written atomically before the reply"):
the committed state is one JSON document, written to a temp file, fsync'ed, renamed over
state.json and the directory fsync'ed. A Primary Key table's rows live beside it in a
journal, rows-<table id>.<generation>.jsonl, one `[key, row]` line per row written (`row`
null for a delete): a commit appends the keys it changed and fsyncs them, then state.json
records the journal's new length. Lines past that length (a crash between the two writes)
are cut off when the state is loaded, so a kill -9 still leaves either the previous or the
new state, never a mix; a commit costs what it changed, not the table's size. A journal
much longer than its table is rewritten as a new generation. The rows of a transaction
prepared or committed but not yet published go to txn-<id>.ops.json once, when it enters
that state, and state.json names the file. Running (uncommitted) loads live only in memory; PREPARED
2PC transactions are part of the state (they survive restarts in StarRocks, §1.12).
"""

import json
import os
import threading
import time

from values import TypeSpec

STATE_FILE = "state.json"


class TrackedRows(dict):
    """A Primary Key table's rows (key -> row) that remember which keys changed since the
    last save, so that a save journals those only. Rows are replaced, never changed in
    place; operations that would escape the tracking are refused."""

    def __init__(self, *args):
        super().__init__(*args)
        self.changed = set()

    def __setitem__(self, key, row):
        super().__setitem__(key, row)
        self.changed.add(key)

    def __delitem__(self, key):
        super().__delitem__(key)
        self.changed.add(key)

    def pop(self, key, *default):
        self.changed.add(key)
        return super().pop(key, *default)

    def _untracked(self, *args, **kwargs):
        raise TypeError("assign Table.rows instead")

    clear = update = setdefault = popitem = _untracked


def _fsync_dir(path):
    dfd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Column:
    __slots__ = ("name", "type", "nullable", "default", "comment", "is_key")

    def __init__(self, name, type_, nullable=True, default=None, comment="", is_key=False):
        self.name = name
        self.type = type_
        self.nullable = nullable
        self.default = default      # None | str literal | {"expr": "CURRENT_TIMESTAMP"}
        self.comment = comment
        self.is_key = is_key

    def to_json(self):
        return {"name": self.name, "type": self.type.to_json(), "nullable": self.nullable,
                "default": self.default, "comment": self.comment, "is_key": self.is_key}

    @staticmethod
    def from_json(d):
        return Column(d["name"], TypeSpec.from_json(d["type"]), d["nullable"], d["default"],
                      d.get("comment", ""), d.get("is_key", False))

    def copy(self):
        return Column.from_json(self.to_json())


class Table:
    def __init__(self, tid, name):
        self.id = tid
        self.name = name
        self.columns = []
        self.keys_type = "PRIMARY"          # PRIMARY | DUPLICATE
        self.key_names = []
        self.distribution = {"type": "HASH", "cols": [], "buckets": None}
        self.partition = None               # None | {"type": "RANGE"|"EXPR", ...}
        self.order_by = []
        self.properties = {}
        self.comment = ""
        self.state = "NORMAL"               # NORMAL | SCHEMA_CHANGE (§2.4)
        self.rows = {}                      # PK tables: json(key list) -> {col: value}
        self.rows_file = None               # the journal of rows (module docstring)
        self.rows_len = 0                   # its committed length in bytes
        self.journal_lines = 0
        self.dup_rows = []                  # DUPLICATE KEY tables: list of {col: value}
        self.create_time = time.time()
        self.auto_partitions = []           # expression partitioning: names created on load

    @property
    def rows(self):
        return self._rows

    @rows.setter
    def rows(self, rows):
        # Replaced wholesale (truncate, UPDATE, a schema change): journaled whole.
        self._rows = TrackedRows(rows)
        self.rewrite = True

    # column lookup is case-insensitive in StarRocks (§2.2 Names)
    def col(self, name):
        ln = name.lower()
        for c in self.columns:
            if c.name.lower() == ln:
                return c
        return None

    def key_columns(self):
        return [self.col(k) for k in self.key_names]

    def is_pk(self):
        return self.keys_type == "PRIMARY"

    def row_key(self, row):
        return json.dumps([row.get(k) for k in self.key_names])

    def all_rows(self):
        if self.is_pk():
            return list(self.rows.values())
        return list(self.dup_rows)

    def to_json(self):
        return {"id": self.id, "name": self.name, "columns": [c.to_json() for c in self.columns],
                "keys_type": self.keys_type, "key_names": self.key_names,
                "distribution": self.distribution, "partition": self.partition,
                "order_by": self.order_by, "properties": self.properties, "comment": self.comment,
                "state": self.state, "rows_file": self.rows_file, "rows_len": self.rows_len,
                "journal_lines": self.journal_lines, "dup_rows": self.dup_rows,
                "create_time": self.create_time, "auto_partitions": self.auto_partitions}

    def persist_rows(self, data_dir, generation):
        """Journals the rows changed since the last call (all of them on a rewrite) and
        fsyncs; returns the file a rewrite replaced, to delete once state.json no longer
        names it."""
        if self.journal_lines > 2 * len(self._rows) + 1000:
            self.rewrite = True
        if self.rewrite:
            keys, replaced = list(self._rows.keys()), self.rows_file
            self.rows_file, self.rows_len, self.journal_lines = "rows-%d.%d.jsonl" % (self.id, generation), 0, 0
        elif self._rows.changed:
            keys, replaced = list(self._rows.changed), None
        else:
            return None
        data = "".join(json.dumps([k, self._rows.get(k)], ensure_ascii=False) + "\n" for k in keys).encode("utf-8")
        path = os.path.join(data_dir, self.rows_file)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if self.rewrite else 0), 0o644)
        try:
            os.lseek(fd, self.rows_len, os.SEEK_SET)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if self.rewrite:
            _fsync_dir(data_dir)
        self.rows_len += len(data)
        self.journal_lines += len(keys)
        self._rows.changed.clear()
        self.rewrite = False
        return replaced

    def load_rows(self, data_dir):
        """Replays the journal up to its committed length and cuts off the rest."""
        rows = {}
        if self.rows_file:
            path = os.path.join(data_dir, self.rows_file)
            with open(path, "rb+") as f:
                data = f.read(self.rows_len)
                f.truncate(self.rows_len)
            for line in data.decode("utf-8").splitlines():
                key, row = json.loads(line)
                if row is None:
                    rows.pop(key, None)
                else:
                    rows[key] = row
        self._rows = TrackedRows(rows)
        self.rewrite = False

    @staticmethod
    def from_json(d, data_dir):
        t = Table(d["id"], d["name"])
        t.columns = [Column.from_json(c) for c in d["columns"]]
        t.keys_type = d["keys_type"]
        t.key_names = d["key_names"]
        t.distribution = d["distribution"]
        t.partition = d["partition"]
        t.order_by = d["order_by"]
        t.properties = d["properties"]
        t.comment = d["comment"]
        t.state = d["state"]
        t.create_time = d.get("create_time", time.time())
        t.auto_partitions = d.get("auto_partitions", [])
        t.rows_file, t.rows_len, t.journal_lines = d["rows_file"], d["rows_len"], d["journal_lines"]
        t.load_rows(data_dir)
        t.dup_rows = d.get("dup_rows", [])
        return t


class Database:
    def __init__(self, did, name):
        self.id = did
        self.name = name
        self.tables = {}   # case-sensitive names (§2.2)

    def to_json(self):
        return {"id": self.id, "name": self.name, "tables": [t.to_json() for t in self.tables.values()]}

    @staticmethod
    def from_json(d, data_dir):
        db = Database(d["id"], d["name"])
        for tj in d["tables"]:
            t = Table.from_json(tj, data_dir)
            db.tables[t.name] = t
        return db


class State:
    """All committed state + the lock that serialises every mutation of it."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.lock = threading.RLock()
        self.dbs = {}
        self.next_id = 10001
        self.next_txn_id = 1000
        self.txns = []          # persisted txn records (dicts), see transactions.py
        self.jobs = []          # schema-change jobs (dicts), see alter_jobs.py
        self._journals = -1     # rows journals named by state.json at the last save
        os.makedirs(data_dir, exist_ok=True)
        self._load()

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def new_txn_id(self):
        self.next_txn_id += 1
        return self.next_txn_id

    def _load(self):
        path = os.path.join(self.data_dir, STATE_FILE)
        if not os.path.exists(path):
            return
        with open(path, "r", encoding="utf-8") as f:
            d = json.load(f)
        self.next_id = d["next_id"]
        self.next_txn_id = d["next_txn_id"]
        for dj in d["dbs"]:
            db = Database.from_json(dj, self.data_dir)
            self.dbs[db.name] = db
        self.txns = d["txns"]
        for r in self.txns:
            if r.get("ops_file"):
                with open(os.path.join(self.data_dir, r["ops_file"]), "r", encoding="utf-8") as f:
                    r["ops"] = json.load(f)
        self.jobs = d["jobs"]

    def save(self):
        """Atomic write: the rows' journals first (fsync'ed), then temp + fsync + rename +
        fsync(dir) of state.json. Called with self.lock held, before the reply that reports
        the change is sent."""
        with self.lock:
            replaced = []
            generation = time.time_ns()
            for db in self.dbs.values():
                for t in db.tables.values():
                    old = t.persist_rows(self.data_dir, generation)
                    if old:
                        replaced.append(old)
            txns = [self._txn_to_json(r, replaced) for r in self.txns]
            doc = {"next_id": self.next_id, "next_txn_id": self.next_txn_id,
                   "dbs": [db.to_json() for db in self.dbs.values()],
                   "txns": txns, "jobs": self.jobs}
            data = json.dumps(doc, ensure_ascii=False).encode("utf-8")
            path = os.path.join(self.data_dir, STATE_FILE)
            tmp = path + ".tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, path)
            _fsync_dir(self.data_dir)
            for name in replaced:
                if name.startswith("txn-"):
                    os.unlink(os.path.join(self.data_dir, name))
            replaced = [n for n in replaced if not n.startswith("txn-")]
            named = {t.rows_file for db in self.dbs.values() for t in db.tables.values()}
            if replaced or len(named) != self._journals:
                # Journals of rewritten or dropped tables, no longer named by state.json.
                for name in os.listdir(self.data_dir):
                    if name.startswith("rows-") and name not in named:
                        os.unlink(os.path.join(self.data_dir, name))
                self._journals = len(named)

    def _txn_to_json(self, r, replaced):
        """A transaction record as state.json holds it: rows waiting to be published are
        written to a file of their own once (fsync'ed), not with every save."""
        if r.get("ops"):
            if not r.get("ops_file"):
                r["ops_file"] = "txn-%d.ops.json" % r["txn_id"]
                fd = os.open(os.path.join(self.data_dir, r["ops_file"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                try:
                    _write_all(fd, json.dumps(r["ops"], ensure_ascii=False).encode("utf-8"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                _fsync_dir(self.data_dir)
            return dict(r, ops=[])
        if r.get("ops_file"):
            replaced.append(r.pop("ops_file"))   # published or aborted: deleted once state.json says so
        return r

    def get_db(self, name):
        return self.dbs.get(name)

    def get_table(self, db, table):
        d = self.dbs.get(db)
        if d is None:
            return None
        return d.tables.get(table)
