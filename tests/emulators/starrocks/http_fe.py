"""FE HTTP server (default port 8030): it only routes (specs/starrocks.md §1.3, §1.12).

* PUT /api/{db}/{table}/_stream_load: auth (401), Expect check, 307 to the BE (behaviours 1-5).
* POST|PUT /api/transaction/{op}: auth, header checks, commit/rollback of PREPARED txns by the
  FE itself, otherwise 307 to the coordinator BE (behaviours 41-47).
* GET /api/{db}/get_load_state?label=L (behaviour 48).
* /_emulator/...: admin and fault-injection hooks for tests (not part of StarRocks).

A "follower" instance (--follower-http-port) answers every /api request with a 307 to the
leader FE, as a non-leader FE does (behaviour 47, redirectToLeader).
"""

import json
import urllib.parse

from http_common import Handler, parse_basic


class FeHandler(Handler):

    def _auth(self):
        """RestBaseAction: missing/wrong credentials -> 401 + WWW-Authenticate (behaviours 1-2)."""
        auth = parse_basic(self.header("Authorization"))
        if auth is None:
            msg = "Need auth information."
        elif auth[0] != self.app.user or auth[1] != self.app.password:
            msg = "Access denied for %s@%s" % (auth[0], self.client_address[0])
        else:
            return True
        self.reply_json(401, {"status": "FAILED", "code": "1", "msg": msg, "message": msg},
                        extra={"WWW-Authenticate": 'Basic realm=""'}, close=True)
        return False

    def _split(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, u.query, [urllib.parse.unquote(p) for p in u.path.split("/")]

    def _redirect(self, port, path_and_query):
        address = "%s:%d" % (self.app.host, port)
        if port == self.app.be_port and self.app.be_advertised_address:
            address = self.app.be_advertised_address
        # "http" even on the HTTPS port: redirectTo builds new URI("http", ...) and the BE's
        # EvHttpServer has no TLS.
        loc = "http://%s%s" % (address, path_and_query)
        # F-REST redirectTo: 307, empty body, forced close; body never read (behaviour 4)
        self.reply(307, b"", ctype=None, close=True, extra={"Location": loc})

    def _not_found(self):
        self.reply(404, "Not Found", ctype="text/plain", close=True)

    def _dispatch(self):
        path, query, parts = self._split()
        if path.startswith("/_emulator/"):
            return self.admin(path, query)
        http_error = self.app.take_fault("fe_http_error") if path.startswith("/api/") else None
        if http_error is not None:
            # Admin hook: an FE that answers 5xx (restarting, overloaded,
            # behind a proxy); the body is drained so the client sees the status.
            if self.command in ("PUT", "POST") and not self.expects_continue():
                self.read_body()
            code = int(http_error) if http_error.isdigit() else 503
            return self.reply(code, "injected HTTP %d" % code, ctype="text/plain", close=True)
        if self.app.follower:
            if path.startswith("/api/"):
                return self._redirect(self.app.leader_port, self.path)
            return self._not_found()
        if len(parts) == 5 and parts[1] == "api" and parts[4] == "_stream_load":
            if self.command != "PUT":
                return self._not_found()   # only PUT is registered (behaviour 5) [FE status unverified]
            return self.stream_load(parts[2], parts[3])
        if len(parts) == 4 and parts[1] == "api" and parts[2] == "transaction":
            if self.command not in ("PUT", "POST"):
                return self._not_found()
            return self.transaction(parts[3])
        if len(parts) == 4 and parts[1] == "api" and parts[3] == "get_load_state" and self.command == "GET":
            return self.get_load_state(parts[2], query)
        return self._not_found()

    do_PUT = do_POST = do_GET = do_DELETE = _dispatch

    def do_HEAD(self):
        self._not_found()

    # ------------------------------------------------------------------ stream load
    def stream_load(self, db, table):
        if not self._auth():
            return
        # LoadAction: HTTP/1.1 requests must carry Expect: 100-continue (behaviour 3)
        if self.request_version != "HTTP/1.0" and not self.expects_continue():
            return self.reply_json(200, {"Status": "FAILED",
                                         "Message": "class com.starrocks.common.DdlException: There is no 100-continue header"},
                                   close=True)
        if not db:
            return self.reply_json(200, {"Status": "FAILED", "Message": "class com.starrocks.common.DdlException: No database selected."}, close=True)
        if not table:
            return self.reply_json(200, {"Status": "FAILED", "Message": "class com.starrocks.common.DdlException: No table selected."}, close=True)
        if self.app.alive_backends < 1:
            return self.reply_json(200, {"Status": "FAILED", "Message": "class com.starrocks.common.DdlException: No backend alive."}, close=True)
        self._redirect(self.app.be_port, self.path)

    # ------------------------------------------------------------------ transactions
    def _txn_result(self, status, msg, extra=None):
        d = {"Status": status, "Message": msg}
        d.update(extra or {})
        self.reply_json(200, d, close=True)

    def _txn_fail(self, msg):
        self._txn_result("FAILED", "class %s: %s" % (self.app.fe_exception_class, msg))

    def transaction(self, op):
        app = self.app
        if not self._auth():
            return
        if op not in ("begin", "load", "prepare", "commit", "rollback"):
            return self._txn_fail("Unknown transaction operation: %s" % op)
        db = (self.header("db") or "").strip()
        if not db:
            return self._txn_fail("No database selected.")
        label = (self.header("label") or "").strip()
        if not label:
            return self._txn_fail("Empty label.")
        if app.alive_backends < 1:
            return self._txn_fail("No backend alive.")
        with app.state.lock:
            if app.state.get_db(db) is None:
                return self._txn_fail("Database[%s] does not exist." % db)
            t = app.txns.lookup(db, label)
            running = t is not None and not isinstance(t, dict)
            if op in ("begin", "load"):
                return self._redirect(app.be_port, self.path)
            if not running and t is None:
                return self._txn_fail("No transaction found with db[%s] and label[%s]" % (db, label))
            if op == "prepare" or running:
                # still PREPARE: the coordinator BE handles it (§1.12 routing 3, 4)
                return self._redirect(app.be_port, self.path)
            st = t["state"]
            tid = t["txn_id"]
            if op == "commit":
                injected = app.take_fault("fail_next_fe_commit") if st == "PREPARED" else None
                if injected is not None:
                    # Admin hook: the FE fails before committing (a crash or an
                    # outage between two commits); the txn stays PREPARED.
                    return self._txn_fail(injected or "injected failure")
                if st == "PREPARED":
                    app.txns.commit_prepared(t)
                    return self._txn_result("OK", "", {"TxnId": tid, "Label": label})
                if st in ("COMMITTED", "VISIBLE"):
                    return self._txn_result("OK", "Transaction %d has already committed, label is %s" % (tid, label),
                                            {"TxnId": tid, "Label": label})
                return self._txn_fail("Can not commit %s transaction %d, label is %s" % (st, tid, label))
            # rollback
            if st == "PREPARED":
                app.txns.abort_prepared(t)
                return self._txn_result("OK", "", {"TxnId": tid, "Label": label})
            if st == "ABORTED":
                return self._txn_result("OK", "Transaction %d has already aborted, label is %s" % (tid, label),
                                        {"TxnId": tid, "Label": label})
            return self._txn_fail("Can not abort %s transaction %d, label is %s" % (st, tid, label))

    # ------------------------------------------------------------------ label state
    def get_load_state(self, db, query):
        if not self._auth():
            return
        q = urllib.parse.parse_qs(query)
        label = (q.get("label") or [""])[0]

        def failed(msg):
            self.reply_json(200, {"status": "FAILED", "code": "1", "msg": msg, "message": msg})
        if not db:
            return failed("No database selected.")
        if not label:
            return failed("No label selected.")
        if self.app.state.get_db(db) is None:
            return failed("unknown database, database=%s" % db)
        state, reason = self.app.txns.label_state(db, label)
        # Gson writes the subclass fields (state, reason) before RestBaseResult's; null omitted
        d = {"state": state}
        if reason:
            d["reason"] = reason
        d.update({"status": "OK", "code": "0", "msg": "Success", "message": "OK"})
        self.reply_json(200, d)

    # ------------------------------------------------------------------ admin hooks
    def admin(self, path, query):
        app = self.app
        body = b""
        if self.command in ("POST", "PUT"):
            body, _ = self.read_body()
        try:
            args = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError:
            return self.reply_json(400, {"error": "body must be JSON"})
        q = urllib.parse.parse_qs(query)
        parts = [urllib.parse.unquote(p) for p in path.split("/")][2:]
        if parts[0] == "tables" and len(parts) == 3:
            rows = app.table_rows(parts[1], parts[2])
            if rows is None:
                return self.reply_json(404, {"error": "no such table"})
            return self.reply_json(200, rows)
        if parts[0] == "fault" and len(parts) == 2 and self.command == "POST":
            app.add_fault(parts[1], args.get("message", ""), int(args.get("count", 1)), int(args.get("after", 0)))
            return self.reply_json(200, {"ok": True})
        if parts[0] == "config" and self.command == "POST":
            app.set_config(args)
            return self.reply_json(200, app.get_config())
        if parts[0] == "config":
            return self.reply_json(200, app.get_config())
        if parts[0] == "txns":
            with app.state.lock:
                recs = [{k: v for k, v in r.items() if k != "ops"} for r in app.state.txns]
                live = [{"txn_id": r.txn_id, "label": r.label, "db": r.db, "table": r.table,
                         "state": r.state, "kind": r.kind} for r in app.txns.running.values()]
            return self.reply_json(200, {"finished_or_prepared": recs, "running": live})
        return self.reply_json(404, {"error": "unknown admin path", "query": q})
