"""Asynchronous schema-change jobs (ALTER TABLE ADD/DROP/MODIFY COLUMN), §2.4, behaviours 52-54.

A job is submitted with the new schema already validated; the table enters state
SCHEMA_CHANGE (a second ALTER or a TRUNCATE now fails, behaviour 52). The job walks
PENDING -> WAITING_TXN -> RUNNING -> FINISHED over --alter-delay-ms; only at FINISHED does the
new schema become the table's schema (so loads keep using the old one until then, behaviour 53).
Jobs are persisted: a restart resumes unfinished jobs.
"""

import threading
import time

import values
from catalog import Column


class AlterScheduler:
    def __init__(self, state, delay_ms):
        self.state = state
        self.delay_s = delay_ms / 1000.0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="alter-jobs", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self._stop.set()

    def submit(self, db, table, new_columns, timeout_s, renames=None):
        """Called with state.lock held, after validation."""
        job = {"job_id": self.state.new_id(), "db": db.name, "table": table.name, "table_id": table.id,
               "create_time": time.time(), "finish_time": None, "state": "PENDING", "msg": "",
               "timeout": timeout_s, "new_columns": [c.to_json() for c in new_columns],
               "renames": renames or {}, "txn_id": self.state.new_txn_id(),
               "schema_version": 1 + sum(1 for j in self.state.jobs if j["table_id"] == table.id)}
        self.state.jobs.append(job)
        table.state = "SCHEMA_CHANGE"
        return job

    def _run(self):
        while not self._stop.wait(0.02):
            try:
                self.tick()
            except Exception as e:   # never let the scheduler die
                import sys
                sys.stderr.write("alter scheduler error: %r\n" % (e,))

    def tick(self):
        now = time.time()
        with self.state.lock:
            changed = False
            for job in self.state.jobs:
                if job["state"] in ("FINISHED", "CANCELLED"):
                    continue
                frac = (now - job["create_time"]) / self.delay_s if self.delay_s > 0 else 1.0
                new_state = "PENDING" if frac < 0.2 else "WAITING_TXN" if frac < 0.4 else "RUNNING" if frac < 1.0 else "FINISHED"
                if new_state == job["state"]:
                    continue
                if new_state == "FINISHED":
                    self._finish(job)
                else:
                    job["state"] = new_state
                changed = True
            if changed:
                self.state.save()

    def _finish(self, job):
        db = self.state.get_db(job["db"])
        table = None
        if db is not None:
            for t in db.tables.values():
                if t.id == job["table_id"]:
                    table = t
        if table is None:
            job["state"] = "CANCELLED"
            job["msg"] = "table does not exist"
            job["finish_time"] = time.time()
            return
        new_cols = [Column.from_json(c) for c in job["new_columns"]]
        old_by_name = {c.name: c for c in table.columns}
        renames = job.get("renames") or {}
        rows = table.all_rows()
        new_rows = []
        for r in rows:
            nr = {}
            for c in new_cols:
                src = renames.get(c.name, c.name)
                if src in old_by_name and src in r:
                    nr[c.name] = values.convert_stored(old_by_name[src].type, c.type, r[src])
                else:
                    try:
                        nr[c.name] = values.default_value(c.type, c.default)
                    except values.ConvertError:
                        nr[c.name] = None
            new_rows.append(nr)
        table.columns = new_cols
        if table.is_pk():
            table.rows = {}
            for r in new_rows:
                table.rows[table.row_key(r)] = r
        else:
            table.dup_rows = new_rows
        table.state = "NORMAL"
        job["state"] = "FINISHED"
        job["finish_time"] = time.time()
