#!/usr/bin/env python3
"""A MySQL 8.0 primary for replication tests: it answers the handshake and the queries a
replication client sends, and serves a MySQL-written binlog fixture through COM_BINLOG_DUMP
and COM_BINLOG_DUMP_GTID (README.md says what is emulated and on what authority).

  python3 tests/emulators/mysql8/emulator.py --binlog FILE [--binlog-name NAME] [--port 0]
      [--user repl --password repl-pw] [--auth-plugin caching_sha2_password] [--empty-auth-cache]
      [--ssl-cert PEM --ssl-key PEM]
      [--database test ...] [--seed-table DB ...] [--committed 0] [--version 8.0.40] [--server-id 1] [--ports-file F]

--committed N: how many of the fixture's transactions are written at start (-1: all); the
rest are written when a client runs SET GLOBAL emulator_committed_transactions = N.
--empty-auth-cache: the caching_sha2_password cache starts empty, as after a restart, so
each account's first login is a full authentication (TLS or the RSA key).
--ssl-cert/--ssl-key: the server has a certificate and offers TLS (CLIENT_SSL).
"""

import argparse
import json
import os
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import auth  # noqa: E402
import catalog  # noqa: E402
import replication  # noqa: E402
import wire  # noqa: E402
from binlog_files import BinlogHistory  # noqa: E402
from queries import QueryEngine  # noqa: E402

COM_QUIT, COM_INIT_DB, COM_QUERY, COM_PING = 0x01, 0x02, 0x03, 0x0e
COM_BINLOG_DUMP, COM_REGISTER_SLAVE, COM_BINLOG_DUMP_GTID, COM_RESET_CONNECTION = 0x12, 0x15, 0x1e, 0x1f
COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_CLOSE, COM_STMT_RESET = 0x16, 0x17, 0x19, 0x1a


def log(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


class App:
    def __init__(self, args):
        self.version = args.version
        self.server_id = args.server_id
        tls = auth.server_tls_context(args.ssl_cert, args.ssl_key) if args.ssl_cert else None
        self.accounts = auth.Accounts({args.user: args.password, "root": args.password}, args.auth_plugin,
                                      not args.empty_auth_cache, tls, log)
        self.databases = args.database or ["test"]
        self.tables = [catalog.seed_table(db) for db in args.seed_table or []]
        self.history = BinlogHistory(args.binlog, args.binlog_name or os.path.basename(args.binlog))
        self.history.set_committed(args.committed)
        self.server_uuid = self.history.server_uuid or str(uuid.uuid5(uuid.NAMESPACE_URL, args.binlog))
        self.lock = threading.Lock()
        self.changed = threading.Condition()
        self.replicas = {}
        self.current_user = args.user
        self.next_conn_id = 7
        self.log = log

    def commit(self, n):
        with self.changed:
            self.history.set_committed(None if n < 0 else n)
            self.changed.notify_all()
        log("committed %d of %d transactions" % (self.history.committed, len(self.history.first.transactions)))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        app = self.server.app
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with app.lock:
            conn_id = app.next_conn_id
            app.next_conn_id += 1
        peer = "localhost" if self.client_address[0] == "127.0.0.1" else self.client_address[0]
        try:
            greeted = wire.handshake(sock, conn_id, app.version, app.accounts, peer, log)
            if greeted is None:
                log("conn %d: access denied" % conn_id)
                return
            session, user = greeted
            log("conn %d: %s connected" % (conn_id, user))
            user_vars = {}
            engine = QueryEngine(app, user_vars)
            statements = {}  # prepared statements: id -> SQL
            while True:
                pkt = session.io.read()
                cmd, payload = pkt[0], pkt[1:]
                session.io.seq = 1
                if cmd == COM_QUIT:
                    return
                if cmd in (COM_PING, COM_RESET_CONNECTION):
                    session.ok()
                elif cmd == COM_INIT_DB:
                    session.ok()
                elif cmd == COM_QUERY:
                    self.query(session, engine, conn_id, payload)
                elif cmd in (COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_CLOSE, COM_STMT_RESET):
                    self.statement(session, engine, conn_id, cmd, payload, statements)
                elif cmd == COM_REGISTER_SLAVE:
                    replication.register_replica(app, session, payload, self.client_address[0])
                elif cmd in (COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID):
                    log("conn %d: %s" % (conn_id, "COM_BINLOG_DUMP_GTID" if cmd == COM_BINLOG_DUMP_GTID
                                         else "COM_BINLOG_DUMP"))
                    replication.dump(app, session, user_vars, payload, session.io.sock, cmd == COM_BINLOG_DUMP_GTID)
                    return
                else:
                    session.err(1047, "08S01", "Unknown command")
        except (EOFError, ConnectionError, OSError) as e:  # ssl.SSLError too: a client refused the certificate
            if isinstance(e, ssl.SSLError):
                log("conn %d: TLS handshake failed: %s" % (conn_id, e))
            return

    @staticmethod
    def statement(session, engine, conn_id, cmd, payload, statements):
        """Prepared statements without parameters (a snapshot's reads): the statement runs
        at prepare time for its columns and again at execute for its rows."""
        if cmd == COM_STMT_PREPARE:
            sql = payload.decode("utf-8", errors="replace")
            log("conn %d: prepare %s" % (conn_id, " ".join(sql.split())[:300]))
            a = engine.execute(sql)
            if a.kind == "err":
                log("conn %d: ERROR %d %s" % (conn_id, a.code, a.msg))
                session.err(a.code, a.state, a.msg)
                return
            stmt_id = len(statements) + 1
            statements[stmt_id] = sql
            session.prepare_ok(stmt_id, a.columns or [])
            return
        stmt_id = struct.unpack_from("<I", payload, 0)[0]
        if cmd == COM_STMT_CLOSE:
            statements.pop(stmt_id, None)  # no response, as MySQL
            return
        if stmt_id not in statements:
            session.err(1243, "HY000", "Unknown prepared statement handler (%d) given to mysqld_stmt_execute" % stmt_id)
        elif cmd == COM_STMT_RESET:
            session.ok()
        else:
            a = engine.execute(statements[stmt_id])
            if a.kind == "rows":
                session.binary_rows(a.columns, a.rows)
            elif a.kind == "ok":
                session.ok()
            else:
                session.err(a.code, a.state, a.msg)

    @staticmethod
    def query(session, engine, conn_id, payload):
        if session.caps & wire.CLIENT_QUERY_ATTRIBUTES:
            # parameter_count, parameter_set_count (1); no attributes are ever sent by these clients
            count, i = wire.read_lenenc_int(payload, 0)
            _, i = wire.read_lenenc_int(payload, i)
            if count:
                session.err(1235, "42000", "This version of MySQL doesn't yet support 'query attributes'")
                return
            payload = payload[i:]
        sql = payload.decode("utf-8", errors="replace")
        log("conn %d: %s" % (conn_id, " ".join(sql.split())[:300]))
        a = engine.execute(sql)
        if a.kind == "ok":
            session.ok()
        elif a.kind == "err":
            log("conn %d: ERROR %d %s" % (conn_id, a.code, a.msg))
            session.err(a.code, a.state, a.msg)
        else:
            session.rows(a.columns, a.rows)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, app):
        self.app = app
        socketserver.TCPServer.__init__(self, addr, Handler)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binlog", required=True, help="the MySQL-written binlog file to serve")
    p.add_argument("--binlog-name", help="its name on the server (default: the file's own)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user", default="repl")
    p.add_argument("--password", default="repl-pw")
    p.add_argument("--auth-plugin", default="caching_sha2_password",
                   choices=["caching_sha2_password", "mysql_native_password"])
    p.add_argument("--empty-auth-cache", action="store_true",
                   help="caching_sha2_password's cache starts empty: first logins authenticate fully")
    p.add_argument("--ssl-cert", help="the server certificate (PEM): TLS is offered")
    p.add_argument("--ssl-key", help="its private key (PEM)")
    p.add_argument("--database", action="append", help="a database that exists (default: test)")
    p.add_argument("--seed-table", action="append", metavar="DB",
                   help="DB.seed exists before the binlog, with two rows (catalog.py)")
    p.add_argument("--committed", type=int, default=0)
    p.add_argument("--version", default="8.0.40")
    p.add_argument("--server-id", type=int, default=1)
    p.add_argument("--ports-file")
    args = p.parse_args()
    if bool(args.ssl_cert) != bool(args.ssl_key):
        p.error("--ssl-cert and --ssl-key go together")
    app = App(args)
    # SIGTERM (the harness's stop) exits through the handlers below, so the RSA keys are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = Server(("127.0.0.1", args.port), app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    log("MySQL %s emulator on 127.0.0.1:%d serving %s (%d transactions, gtid_mode %s, %d committed, TLS %s, "
        "auth cache %s)" % (app.version, port, args.binlog, len(app.history.first.transactions),
                            "ON" if app.history.gtid_mode else "OFF", app.history.committed,
                            "on" if args.ssl_cert else "off", "empty" if args.empty_auth_cache else "warm"))
    if args.ports_file:
        tmp = args.ports_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"port": port}, f)
        os.replace(tmp, args.ports_file)
    try:
        threading.Event().wait()
    finally:
        app.accounts.rsa.remove()


if __name__ == "__main__":
    main()
