"""Load transactions and the label registry (specs/starrocks.md §1.10, §1.12; behaviours 10-15,
39-48).

Transaction states follow StarRocks' TransactionStatus: PREPARE (running) -> PREPARED (2PC,
after /api/transaction/prepare) -> COMMITTED -> VISIBLE, or ABORTED.

* Running (PREPARE) transactions exist only in memory: a restart loses them, as a BE restart
  loses its stream-load contexts (the brief: "running loads do not" survive).
* PREPARED, COMMITTED, VISIBLE and ABORTED records are part of the persisted state; a PREPARED
  record carries the buffered row operations so that it can be committed after a restart.
* Labels are per database (§1.10). A label whose latest txn is ABORTED may be reused
  (behaviour 12); finished labels are forgotten after label_keep_max_second (behaviour 15)
  or when more than label_keep_max_num finished records exist.
"""

import re
import threading
import time
import uuid

import values

LABEL_RE = re.compile(r"^[-\w]{1,128}$", re.ASCII)   # FeNameFormat.LABEL_REGEX
LABEL_REGEX_TEXT = "^[-\\w]{1,128}$"


class LabelAlreadyExists(Exception):
    def __init__(self, label, job_status, txn_id=None):
        Exception.__init__(self, "Label [%s] has already been used." % label)
        self.label = label
        self.job_status = job_status     # RUNNING | FINISHED
        self.txn_id = txn_id


class TxnError(Exception):
    pass


class RunningTxn:
    """An in-memory PREPARE transaction: a Stream Load in progress, an INSERT, or a 2PC
    transaction between begin and prepare."""

    def __init__(self, txn_id, db, table, label, kind, timeout_s, idle_timeout_s=None):
        self.txn_id = txn_id
        self.db = db
        self.table = table
        self.label = label
        self.kind = kind              # stream | txn | insert
        self.state = "PREPARE"
        self.begin_time = time.time()
        self.last_activity = self.begin_time
        self.timeout_s = timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.ops = []
        self.counters = {"total": 0, "loaded": 0, "filtered": 0, "unselected": 0}
        self.load_bytes = 0
        self.error_lines = []
        self.error_url = ""
        self.busy = False             # a request is being processed (TXN_IN_PROCESSING)
        self.data_sent = False
        self.max_filter_ratio = 0.0
        self.format_key = None
        self.failed = None            # reason once a load inside the txn failed
        self.load_id = uuid.uuid4().hex

    def record(self, state, reason=""):
        return {"txn_id": self.txn_id, "db": self.db, "table": self.table, "label": self.label,
                "kind": self.kind, "state": state, "create_time": self.begin_time,
                "finish_time": time.time(), "reason": reason, "ops": [],
                "counters": dict(self.counters), "load_bytes": self.load_bytes,
                "prepared_timeout_s": None}


class TxnManager:
    def __init__(self, state, config):
        self.state = state
        self.config = config          # dict with label_keep_max_second, label_keep_max_num
        self.running = {}             # (db, label) -> RunningTxn
        self.cond = threading.Condition(state.lock)

    # ------------------------------------------------------------ lookup

    def _expire(self):
        """Forget finished labels past retention (label_keep_max_second / _num, §1.10)."""
        now = time.time()
        keep_s = self.config["label_keep_max_second"]
        keep_n = self.config["label_keep_max_num"]
        txns = self.state.txns
        finished = [r for r in txns if r["state"] in ("VISIBLE", "ABORTED")]
        drop = set()
        for r in finished:
            if now - r["finish_time"] > keep_s:
                drop.add(r["txn_id"])
        remaining = [r for r in finished if r["txn_id"] not in drop]
        if len(remaining) > keep_n:
            remaining.sort(key=lambda r: r["finish_time"])
            for r in remaining[:len(remaining) - keep_n]:
                drop.add(r["txn_id"])
        if drop:
            self.state.txns = [r for r in txns if r["txn_id"] not in drop]
        # PREPARED txns past prepared_timeout are aborted (§1.12 prepared_timeout).
        changed = bool(drop)
        for r in self.state.txns:
            if r["state"] == "PREPARED" and r.get("prepared_timeout_s") is not None:
                if now - r["prepared_time"] > r["prepared_timeout_s"]:
                    r["state"] = "ABORTED"
                    r["reason"] = "timeout by txn manager"
                    r["finish_time"] = now
                    r["ops"] = []
                    changed = True
        return changed

    def lookup(self, db, label):
        """Latest transaction for (db, label): RunningTxn, a record dict, or None."""
        with self.state.lock:
            if self._expire():
                self.state.save()
            rt = self.running.get((db, label))
            if rt is not None:
                return rt
            recs = [r for r in self.state.txns if r["db"] == db and r["label"] == label]
            if not recs:
                return None
            return max(recs, key=lambda r: r["txn_id"])

    def label_state(self, db, label):
        t = self.lookup(db, label)
        if t is None:
            return "UNKNOWN", None
        if isinstance(t, RunningTxn):
            return "PREPARE", None
        return t["state"], (t.get("reason") or None)

    # ------------------------------------------------------------ begin

    def check_label(self, label):
        if not label or not LABEL_RE.match(label):
            raise TxnError("Label format error. regex: %s, label: %s" % (LABEL_REGEX_TEXT, label))

    def begin(self, db, table, label, kind, timeout_s, idle_timeout_s=None):
        with self.state.lock:
            self.check_label(label)
            t = self.lookup(db, label)
            if t is not None:
                st = t.state if isinstance(t, RunningTxn) else t["state"]
                tid = t.txn_id if isinstance(t, RunningTxn) else t["txn_id"]
                if st in ("PREPARE", "PREPARED"):
                    raise LabelAlreadyExists(label, "RUNNING", tid)
                if st in ("COMMITTED", "VISIBLE"):
                    raise LabelAlreadyExists(label, "FINISHED", tid)
                # ABORTED: reusable (behaviour 12)
            rt = RunningTxn(self.state.new_txn_id(), db, table, label, kind, timeout_s, idle_timeout_s)
            self.running[(db, label)] = rt
            # next_txn_id is persisted so ids stay unique across restarts
            self.state.save()
            return rt

    @staticmethod
    def new_label():
        return str(uuid.uuid4())

    # ------------------------------------------------------------ finish

    def abort(self, rt, reason):
        with self.state.lock:
            if self.running.get((rt.db, rt.label)) is rt:
                del self.running[(rt.db, rt.label)]
            rt.state = "ABORTED"
            rec = rt.record("ABORTED", reason)
            rec.pop("ops")
            rec["ops"] = []
            self.state.txns.append(rec)
            self.state.save()

    def commit(self, rt, publish_delay_s=None):
        """Commit a running txn: apply its ops and persist before returning (visible on
        return, behaviour 39). With publish_delay_s the txn is COMMITTED and becomes VISIBLE
        later (the "Publish Timeout" outcome)."""
        with self.state.lock:
            if self.running.get((rt.db, rt.label)) is rt:
                del self.running[(rt.db, rt.label)]
            if publish_delay_s is None:
                self._apply(rt.db, rt.table, rt.ops)
                rt.state = "VISIBLE"
                self.state.txns.append(rt.record("VISIBLE"))
                self.state.save()
            else:
                rt.state = "COMMITTED"
                rec = rt.record("COMMITTED")
                rec["ops"] = rt.ops
                self.state.txns.append(rec)
                self.state.save()
                timer = threading.Timer(publish_delay_s, self.publish, args=(rec["txn_id"],))
                timer.daemon = True
                timer.start()

    def publish(self, txn_id):
        with self.state.lock:
            for r in self.state.txns:
                if r["txn_id"] == txn_id and r["state"] == "COMMITTED":
                    self._apply(r["db"], r["table"], r["ops"])
                    r["state"] = "VISIBLE"
                    r["ops"] = []
                    r["finish_time"] = time.time()
                    self.state.save()

    def publish_all_committed(self):
        """On startup: COMMITTED txns whose publish was pending become VISIBLE."""
        with self.state.lock:
            for r in list(self.state.txns):
                if r["state"] == "COMMITTED":
                    self.publish(r["txn_id"])

    def prepare(self, rt, prepared_timeout_s):
        with self.state.lock:
            if self.running.get((rt.db, rt.label)) is rt:
                del self.running[(rt.db, rt.label)]
            rt.state = "PREPARED"
            rec = rt.record("PREPARED")
            rec["ops"] = rt.ops
            rec["prepared_time"] = time.time()
            rec["prepared_timeout_s"] = prepared_timeout_s
            self.state.txns.append(rec)
            self.state.save()
            return rec

    def commit_prepared(self, rec):
        with self.state.lock:
            self._apply(rec["db"], rec["table"], rec["ops"])
            rec["state"] = "VISIBLE"
            rec["ops"] = []
            rec["finish_time"] = time.time()
            self.state.save()

    def abort_prepared(self, rec, reason="User Aborted"):
        with self.state.lock:
            rec["state"] = "ABORTED"
            rec["ops"] = []
            rec["reason"] = reason
            rec["finish_time"] = time.time()
            self.state.save()

    def reap(self):
        """Abort running txns past their timeout / idle timeout (behaviour 40, §1.12)."""
        now = time.time()
        with self.state.lock:
            for rt in list(self.running.values()):
                if rt.busy:
                    continue
                if rt.kind == "txn":
                    if now - rt.begin_time > rt.timeout_s:
                        self.abort(rt, "transaction is aborted by timeout.")
                    elif rt.idle_timeout_s and now - rt.last_activity > rt.idle_timeout_s:
                        self.abort(rt, "transaction is aborted by idle timeout.")
            if self._expire():
                self.state.save()

    # ------------------------------------------------------------ apply

    def _apply(self, db, table, ops):
        t = self.state.get_table(db, table)
        if t is None:
            return
        apply_ops(t, ops)


def _fill_new_row(t, row):
    """Complete a row for the current schema: drop columns that no longer exist, fill
    columns added since the load with their default / NULL."""
    out = {}
    for c in t.columns:
        if c.name in row:
            out[c.name] = row[c.name]
        else:
            try:
                out[c.name] = values.default_value(c.type, c.default)
            except values.ConvertError:
                out[c.name] = None
    return out


def apply_ops(t, ops):
    """Apply row operations in order; for one key the last op wins (behaviour 35).
    op = {"op": "upsert"|"delete"|"partial", "row": {...}, "cols": [...], "merge": col}"""
    for op in ops:
        row = op["row"]
        if not t.is_pk():
            t.dup_rows.append(_fill_new_row(t, row))
            continue
        key = t.row_key(row)
        if op["op"] == "delete":
            t.rows.pop(key, None)
            continue
        existing = t.rows.get(key)
        mc = op.get("merge")
        if mc and existing is not None and t.col(mc) is not None:
            c = t.col(mc)
            old, new = existing.get(c.name), row.get(c.name)
            if new is None or (old is not None and values.compare_key(c.type, new) < values.compare_key(c.type, old)):
                continue   # merge_condition: apply only if new >= stored (behaviour 38)
        if op["op"] == "partial" and existing is not None:
            upd = dict(existing)
            for cn in op["cols"]:
                if cn in row:
                    upd[cn] = row[cn]
            t.rows[key] = _fill_new_row(t, upd)
        else:
            t.rows[key] = _fill_new_row(t, row)
