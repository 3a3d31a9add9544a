"""BE HTTP server (default port 8040): executes Stream Load and the transaction interface
(specs/starrocks.md §1.5, §1.8, §1.12; behaviours 5-9, 10-46).

Every Stream Load reply is HTTP 200 with a pretty-printed JSON body whose keys follow
StreamLoadContext::to_json (§1.8). Transaction-interface replies follow to_resp_json.
"""

import json
import os
import threading
import time
import urllib.parse
import uuid

import stream_load
from http_common import Handler, parse_basic
from stream_load import LoadFail
from transactions import LabelAlreadyExists, RunningTxn, TxnError

# Headers that shape how a load's rows are read and applied (txn_load).
TXN_FORMAT_HEADERS = ("format", "columns", "jsonpaths", "json_root", "strip_outer_array", "partial_update",
                      "partial_update_mode", "merge_condition", "column_separator", "row_delimiter")


def _ms(t0):
    return int((time.time() - t0) * 1000)


def stream_load_json(ctx):
    """Key order of StreamLoadContext::to_json (behaviour 9)."""
    d = {"TxnId": ctx["txn_id"], "Label": ctx["label"], "Status": ctx["status"]}
    if ctx["status"] == "Label Already Exists":
        d["ExistingJobStatus"] = ctx["existing"]
    d["Message"] = ctx["message"]
    d["NumberTotalRows"] = ctx.get("total", 0)
    d["NumberLoadedRows"] = ctx.get("loaded", 0)
    d["NumberFilteredRows"] = ctx.get("filtered", 0)
    d["NumberUnselectedRows"] = ctx.get("unselected", 0)
    d["LoadBytes"] = ctx.get("bytes", 0)
    d["LoadTimeMs"] = ctx.get("load_ms", 0)
    d["BeginTxnTimeMs"] = ctx.get("begin_ms", 0)
    d["StreamLoadPlanTimeMs"] = ctx.get("plan_ms", 0)
    d["ReadDataTimeMs"] = ctx.get("read_ms", 0)
    d["WriteDataTimeMs"] = ctx.get("write_ms", 0)
    d["CommitAndPublishTimeMs"] = ctx.get("commit_ms", 0)
    if ctx.get("error_url"):
        d["ErrorURL"] = ctx["error_url"]
    return d


class BeHandler(Handler):

    def _route(self):
        path = urllib.parse.urlsplit(self.path).path
        parts = [urllib.parse.unquote(p) for p in path.split("/")]
        # ['', 'api', db, table, '_stream_load']
        if len(parts) == 5 and parts[1] == "api" and parts[4] == "_stream_load":
            return ("stream_load", parts[2], parts[3])
        if len(parts) == 4 and parts[1] == "api" and parts[2] == "transaction":
            return ("txn", parts[3], None)
        if path == "/api/_load_error_log":
            return ("error_log", None, None)
        return (None, None, None)

    def not_found(self):
        # B-HTTP on_header: unknown path/method -> 404 "Not Found" (behaviour 5)
        self.reply(404, "Not Found", ctype="text/plain", close=True)

    def do_PUT(self):
        kind, a, b = self._route()
        if kind == "stream_load":
            return self.stream_load(a, b)
        if kind == "txn" and a in ("begin", "prepare", "commit", "rollback", "list", "load"):
            return self.txn_op(a)
        self.not_found()

    def do_POST(self):
        kind, a, b = self._route()
        if kind == "txn" and a in ("begin", "prepare", "commit", "rollback", "list"):
            return self.txn_op(a)
        self.not_found()

    def do_GET(self):
        kind, a, b = self._route()
        if kind == "error_log":
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            name = (q.get("file") or [""])[0]
            text = self.app.read_error_log(name)
            if text is None:
                return self.reply(404, "Not Found", ctype="text/plain")
            return self.reply(200, text, ctype="text/plain; charset=utf-8")
        self.not_found()

    def do_DELETE(self):
        self.not_found()

    def do_HEAD(self):
        self.not_found()

    # ------------------------------------------------------------- stream load

    def _check_password(self, auth):
        """Password check done by the FE when the txn begins (loadTxnBegin) [unverified text]."""
        user, pw = auth
        if user != self.app.user or pw != self.app.password:
            raise LoadFail("Access denied for %s@%s." % (user, self.client_address[0]))

    def stream_load(self, db, table):
        app = self.app
        t0 = time.time()
        label = (self.header("label") or "").strip() or str(uuid.uuid4())   # behaviour 14
        ctx = {"txn_id": -1, "label": label, "status": "Fail", "message": ""}
        rt = None
        plan = None
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        try:
            auth = parse_basic(self.header("Authorization"))
            if auth is None:
                raise LoadFail("no valid Basic authorization")
            fmt, timeout = stream_load.pre_begin_checks(hdrs, self.content_length())
            # begin txn (FE loadTxnBegin): password, db, table, label (§1.5 step 8)
            tb = time.time()
            self._check_password(auth)
            with app.state.lock:
                if app.state.get_db(db) is None:
                    raise LoadFail("unknown database, database=%s" % db)
                tbl = app.state.get_table(db, table)
                if tbl is None:
                    raise LoadFail('unknown table "%s.%s"' % (db, table))
                rt = app.txns.begin(db, table, label, "stream", timeout)
                ctx["txn_id"] = rt.txn_id
                ctx["begin_ms"] = _ms(tb)
                tp = time.time()
                plan = stream_load.make_plan(hdrs, fmt, tbl)
                ctx["plan_ms"] = _ms(tp)
        except LabelAlreadyExists as e:
            ctx.update(status="Label Already Exists", existing=e.job_status, message=str(e))
            return self._final(ctx, t0, unread=True)
        except (LoadFail, TxnError) as e:
            if rt is not None:
                app.txns.abort(rt, str(e))
            ctx["message"] = str(e)
            return self._final(ctx, t0, unread=True)
        # header phase succeeded: now (and only now) 100 Continue (behaviour 7)
        rt.busy = True
        try:
            self.send_continue()
            tr = time.time()
            body, complete = self.read_body()
            ctx["read_ms"] = _ms(tr)
            ctx["bytes"] = len(body)
            if not complete:
                app.txns.abort(rt, "receive body don't equal with body bytes")
                ctx["message"] = "receive body don't equal with body bytes"
                return self._final(ctx, t0)
            tw = time.time()
            with app.state.lock:
                tbl = app.state.get_table(db, table)
                if tbl is None:
                    raise LoadFail('unknown table "%s.%s"' % (db, table))
                res = stream_load.process_rows(tbl, plan, body)
            ctx["write_ms"] = _ms(tw)
            ctx.update(total=res.total, loaded=res.loaded, filtered=res.filtered, unselected=res.unselected)
            if res.errors:
                ctx["error_url"] = app.write_error_log(res.errors)
            if time.time() - rt.begin_time > rt.timeout_s:
                # behaviour 40: the FE aborts txns past their timeout [message unverified]
                raise LoadFail("Transaction [%d] is already aborted, abort reason: timeout by txn manager" % rt.txn_id)
            if stream_load.filter_ratio_exceeded(res.total, res.filtered, res.unselected, plan.max_filter_ratio):
                raise LoadFail(stream_load.TOO_MANY_FILTERED)
            if res.loaded == 0:
                raise LoadFail(stream_load.EMPTY_LOAD_MESSAGE)
            injected = app.take_fault("fail_next_load")
            if injected is not None:
                raise LoadFail(injected or "injected failure")
            tc = time.time()
            rt.ops = res.ops
            rt.counters = {"total": res.total, "loaded": res.loaded, "filtered": res.filtered,
                           "unselected": res.unselected}
            rt.load_bytes = len(body)
            with app.state.lock:
                tbl = app.state.get_table(db, table)
                if tbl is not None and res.new_partitions:
                    tbl.auto_partitions.extend(res.new_partitions)
                pt = app.take_fault("publish_timeout_next")
                if pt is not None:
                    app.txns.commit(rt, publish_delay_s=app.publish_delay_s)
                    ctx["status"] = "Publish Timeout"
                    ctx["message"] = "transaction commit successfully, BUT data will be visible later"
                else:
                    app.txns.commit(rt)
                    ctx["status"] = "Success"
                    ctx["message"] = "OK"
            ctx["commit_ms"] = _ms(tc)
        except LoadFail as e:
            if rt.state == "PREPARE":
                app.txns.abort(rt, str(e))
            ctx["status"] = "Fail"
            ctx["message"] = str(e)
        finally:
            rt.busy = False
        return self._final(ctx, t0)

    def _final(self, ctx, t0, unread=False):
        ctx["load_ms"] = _ms(t0)
        # A reply sent before the body was read must close the connection (the body, if the
        # client sends it anyway, is not a next request).
        close = unread and (self.content_length() or "chunked" in (self.header("Transfer-Encoding") or "").lower())
        self.reply_json(200, stream_load_json(ctx), pretty=True, close=bool(close) or self.close_connection)

    # ------------------------------------------------------------- transaction interface

    def _txn_reply(self, op, status, message, rt=None, extra_ok=None, existing=None, error_url=None, unread=False):
        """BE to_resp_json key order (§1.12)."""
        mine = getattr(self, "_holding", None)
        if mine is not None:
            # release the context before replying, as TransactionStreamLoadAction::_finish_and_reply
            # does, so that an immediate next request does not meet TXN_IN_PROCESSING
            mine.busy = False
            mine.last_activity = time.time()
            self._holding = None
        d = {"Status": status}
        if status == "LABEL_ALREADY_EXISTS":
            d["ExistingJobStatus"] = existing or ""
        elif status == "TXN_IN_PROCESSING":
            d["Label"] = rt.label if rt else ""
        d["Message"] = message
        if status == "OK":
            d["Label"] = rt.label if isinstance(rt, RunningTxn) else (rt or {}).get("label", "")
            d.update(extra_ok or {})
        if error_url:
            d["ErrorURL"] = error_url
        close = unread and (self.content_length() or "chunked" in (self.header("Transfer-Encoding") or "").lower())
        self.reply_json(200, d, pretty=True, close=bool(close) or self.close_connection)

    def txn_op(self, op):
        app = self.app
        t0 = time.time()
        label = (self.header("label") or "").strip()
        db = (self.header("db") or "").strip()
        table = (self.header("table") or "").strip()
        auth = parse_basic(self.header("Authorization"))
        # Texts and status names below follow be/src/http/action/transaction_stream_load.cpp and
        # be/src/runtime/stream_load/transaction_mgr.cpp.
        if op == "list":
            return self.txn_list()
        if not label:
            if op == "load":
                return self._txn_reply(op, "INVALID_ARGUMENT", "Invalid label ", unread=True)
            return self._txn_reply(op, "INVALID_ARGUMENT", "empty label", unread=True)
        if op != "load" and self.header("transaction_type"):
            return self._txn_reply(op, "INVALID_ARGUMENT", "Multi-statement transaction requests can only be sent "
                                   "to FE nodes, not BE nodes", unread=True)
        if op == "begin":
            return self.txn_begin(label, db, table, auth, t0)
        with app.state.lock:
            rt = None
            for r in app.txns.running.values():   # contexts are keyed by label on the BE
                if r.label == label and r.kind == "txn":
                    rt = r
            if rt is None:
                # after prepare the BE forgets the context (§1.12)
                text = ("Transaction with label %s not exists" if op == "load"
                        else "transaction with label %s not exists") % label
                return self._txn_reply(op, "TXN_NOT_EXISTS", text, unread=True)
            if rt.db != db:
                text = ("Request database %s not equal transaction database %s" % (db, rt.db) if op == "load"
                        else "request db %s transaction db %s not match" % (db, rt.db))
                return self._txn_reply(op, "INVALID_ARGUMENT", text, unread=True)
            if op == "load" and rt.table != table:
                return self._txn_reply(op, "INVALID_ARGUMENT", "Request table %s not equal transaction table %s"
                                       % (table, rt.table), unread=True)
            if rt.busy:
                return self._txn_reply(op, "TXN_IN_PROCESSING", "Transaction in processing, please retry later",
                                       rt=rt, unread=True)
            rt.busy = True
            rt.last_activity = time.time()
            self._holding = rt
        try:
            if op == "load":
                return self.txn_load(rt, t0)
            if op in ("prepare", "commit"):
                return self.txn_finish(rt, op, t0)
            if op == "rollback":
                app.txns.abort(rt, "User Aborted")
                return self._txn_reply(op, "OK", "", rt=rt)
        finally:
            if getattr(self, "_holding", None) is rt:
                rt.busy = False
                rt.last_activity = time.time()
                self._holding = None

    def txn_list(self):
        """POST /api/transaction/list: one pretty JSON object per live context (debug aid)."""
        out = []
        with self.app.state.lock:
            for r in self.app.txns.running.values():
                if r.kind != "txn":
                    continue
                c = r.counters
                out.append(json.dumps({"Status": "OK", "InProcessing": r.busy, "Label": r.label, "TxnId": r.txn_id,
                                       "NumberTotalRows": c["total"], "NumberLoadedRows": c["loaded"],
                                       "NumberFilteredRows": c["filtered"], "NumberUnselectedRows": c["unselected"],
                                       "LoadBytes": r.load_bytes, "StreamLoadPlanTimeMs": 0, "ReceivedDataTimeMs": 0,
                                       "WriteDataTimeMs": 0, "BeginTimestamp": int(r.begin_time),
                                       "LastActiveTimestamp": int(r.last_activity),
                                       "TransactionTimeoutSec": r.timeout_s,
                                       "IdleTransactionTimeoutSec": r.idle_timeout_s or -1}, indent=4))
        self.reply(200, "".join(out))

    def txn_begin(self, label, db, table, auth, t0):
        app = self.app
        with app.state.lock:
            taken = app.take_fault("label_taken_next")
            if taken is not None and app.state.get_table(db, table) is not None:
                # Admin hook: another writer used this label first, its load
                # still running ("running") or committed (anything else).
                foreign = app.txns.begin(db, table, label, "txn", 600)
                if taken != "running":
                    app.txns.commit(foreign)
            live = app.txns.running.get((db, label))
            if live is not None and live.kind == "txn":
                # context still live on this BE: Status::LabelAlreadyExists("") (transaction_mgr.cpp)
                return self._txn_reply("begin", "LABEL_ALREADY_EXISTS", "", existing="", unread=True)
            timeout, idle = 600, None
            for hname in ("timeout", "idle_transaction_timeout"):
                v = self.header(hname)
                if v:
                    if not v.strip().isdigit():
                        return self._txn_reply("begin", "INVALID_ARGUMENT", "Invalid timeout format", unread=True)
                    if hname == "timeout":
                        timeout = int(v)
                    else:
                        idle = int(v)
            if auth is None:
                return self._txn_reply("begin", "INTERNAL_ERROR", "no valid Basic authorization", unread=True)
            try:
                user, pw = auth
                if user != app.user or pw != app.password:
                    raise LoadFail("Access denied for %s@%s." % (user, self.client_address[0]))
                if not table:
                    raise LoadFail("No table selected.")
                if app.state.get_db(db) is None:
                    raise LoadFail("unknown database, database=%s" % db)
                if app.state.get_table(db, table) is None:
                    raise LoadFail('unknown table "%s.%s"' % (db, table))
                rt = app.txns.begin(db, table, label, "txn", timeout, idle)
            except LabelAlreadyExists as e:
                return self._txn_reply("begin", "LABEL_ALREADY_EXISTS", str(e), existing=e.job_status, unread=True)
            except (LoadFail, TxnError) as e:
                # UserException from FE loadTxnBegin -> ANALYSIS_ERROR [unverified status name]
                return self._txn_reply("begin", "ANALYSIS_ERROR", str(e), unread=True)
        return self._txn_reply("begin", "OK", "", rt=rt,
                               extra_ok={"TxnId": rt.txn_id, "BeginTxnTimeMs": _ms(t0)})

    def txn_load(self, rt, t0):
        app = self.app
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        try:
            if rt.failed:
                raise LoadFail("current transaction is aborted")
            fmt, _ = stream_load.pre_begin_checks(hdrs, self.content_length())
            # D-TXN Limits: every load of a transaction uses the same format
            # parameters (the BE plans the transaction once). What StarRocks
            # answers otherwise is not documented; the text is ours [INFERRED].
            shape = tuple((k, hdrs.get(k)) for k in TXN_FORMAT_HEADERS)
            if getattr(rt, "load_shape", None) is None:
                rt.load_shape = shape
            elif rt.load_shape != shape:
                raise LoadFail("every load of a transaction must use the same format parameters (%s)"
                               % ", ".join(k for k, v in shape if dict(rt.load_shape).get(k) != v))
            tp = time.time()
            with app.state.lock:
                tbl = app.state.get_table(rt.db, rt.table)
                if tbl is None:
                    raise LoadFail("unknown table, table=%s" % rt.table)
                plan = stream_load.make_plan(hdrs, fmt, tbl)
            plan_ms = _ms(tp)
        except LoadFail as e:
            # errors in load abort the txn (§1.12 state machine)
            app.txns.abort(rt, str(e))
            return self._txn_reply("load", e.code, str(e), unread=True)
        self.send_continue()
        tr = time.time()
        body, complete = self.read_body()
        recv_ms = _ms(tr)
        if not complete:
            app.txns.abort(rt, "receive body don't equal with body bytes")
            return self._txn_reply("load", "INTERNAL_ERROR", "receive body don't equal with body bytes")
        with app.state.lock:
            tbl = app.state.get_table(rt.db, rt.table)
            res = stream_load.process_rows(tbl, plan, body)
            rt.ops.extend(res.ops)
            for k, v in (("total", res.total), ("loaded", res.loaded), ("filtered", res.filtered),
                         ("unselected", res.unselected)):
                rt.counters[k] += v
            rt.error_lines.extend(res.errors)
            rt.load_bytes += len(body)
            rt.data_sent = rt.data_sent or len(body) > 0
            rt.max_filter_ratio = plan.max_filter_ratio
            rt.new_partitions = getattr(rt, "new_partitions", []) + res.new_partitions
        return self._txn_reply("load", "OK", "", rt=rt,
                               extra_ok={"TxnId": rt.txn_id, "LoadBytes": len(body),
                                         "StreamLoadPlanTimeMs": plan_ms, "ReceivedDataTimeMs": recv_ms})

    def txn_finish(self, rt, op, t0):
        app = self.app
        c = rt.counters
        error_url = app.write_error_log(rt.error_lines) if rt.error_lines else None
        if not rt.data_sent:
            app.txns.abort(rt, "no data")
            brief = "id=%s, job_id=-1, txn_id: %d, label=%s, db=%s" % (rt.load_id, rt.txn_id, rt.label, rt.db)
            return self._txn_reply(op, "INTERNAL_ERROR", "transaction %s hasn't send any data yet" % brief,
                                   unread=True)
        if stream_load.filter_ratio_exceeded(c["total"], c["filtered"], c["unselected"], rt.max_filter_ratio):
            app.txns.abort(rt, stream_load.TOO_MANY_FILTERED)
            return self._txn_reply(op, "INTERNAL_ERROR", stream_load.TOO_MANY_FILTERED, error_url=error_url,
                                   unread=True)
        injected = app.take_fault("fail_next_txn_" + op)      # admin hook, see README
        if injected is not None:
            app.txns.abort(rt, injected or "injected failure")
            return self._txn_reply(op, "INTERNAL_ERROR", injected or "injected failure", unread=True)
        tc = time.time()
        with app.state.lock:
            tbl = app.state.get_table(rt.db, rt.table)
            if tbl is not None and getattr(rt, "new_partitions", None):
                tbl.auto_partitions.extend(p for p in rt.new_partitions if p not in tbl.auto_partitions)
            if op == "prepare":
                # prepared_timeout exists from v3.5.4 (spec §1.12); before, PREPARED txns never time out
                pt_s = None
                if app.version_tuple >= (3, 5, 4):
                    pt = self.header("prepared_timeout")
                    pt_s = int(pt) if pt and pt.strip().isdigit() else 86400
                app.txns.prepare(rt, pt_s)
            else:
                app.txns.commit(rt)
        extra = {"TxnId": rt.txn_id, "NumberTotalRows": c["total"], "NumberLoadedRows": c["loaded"],
                 "NumberFilteredRows": c["filtered"], "NumberUnselectedRows": c["unselected"],
                 "LoadBytes": rt.load_bytes, "LoadTimeMs": int((time.time() - rt.begin_time) * 1000),
                 "StreamLoadPlanTimeMs": 0, "ReceivedDataTimeMs": 0, "WriteDataTimeMs": 0,
                 "CommitAndPublishTimeMs": _ms(tc)}
        return self._txn_reply(op, "OK", "", rt=rt, extra_ok=extra, error_url=error_url)
