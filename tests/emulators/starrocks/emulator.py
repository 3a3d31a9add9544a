#!/usr/bin/env python3
"""StarRocks emulator (test oracle) for the `sync` StarRocks sink tests.

  python3 tests/emulators/starrocks/emulator.py --data-dir DIR [--query-port 0] [--http-port 0]
      [--be-http-port 0] [--user root] [--password PW] [--version 3.3.2] [--alive-backends 1]
      [--alter-delay-ms 300] [--ports-file FILE] [--follower-http-port -1]
      [--label-keep-max-second 259200] [--label-keep-max-num 1000]
      [--ssl-cert PEM --ssl-key PEM [--https-port -1]]

Ports 0 = pick a free port on 127.0.0.1. Once every listener accepts, the chosen ports are
written atomically to --ports-file as JSON. See README.md for what is emulated.
"""

import argparse
import ssl
import json
import os
import signal
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import stream_load                              # noqa: E402
from alter_jobs import AlterScheduler          # noqa: E402
from catalog import State                      # noqa: E402
from http_be import BeHandler                  # noqa: E402
from http_common import Server, log            # noqa: E402
from http_fe import FeHandler                  # noqa: E402
from mysql_protocol import MySQLServer         # noqa: E402
from sql_executor import Session               # noqa: E402
from transactions import TxnManager            # noqa: E402


class App:
    host = "127.0.0.1"

    def __init__(self, args):
        self.user = args.user
        self.password = args.password
        self.version = args.version
        self.full_version = "%s-emulator" % args.version
        try:
            self.version_tuple = tuple(int(x) for x in args.version.split("-")[0].split(".")[:3])
        except ValueError:
            self.version_tuple = (3, 3, 2)
        self.handshake_version = "5.1.0"
        stream_load.VERSION = self.version_tuple  # which automatic-partition limits apply
        self.fe_exception_class = ("com.starrocks.common.StarRocksException" if self.version_tuple >= (3, 4)
                                   else "com.starrocks.common.UserException")
        self.alive_backends = args.alive_backends
        self.publish_delay_s = 0.5
        self.data_dir = os.path.abspath(args.data_dir)
        self.error_dir = os.path.join(self.data_dir, "error_log")
        os.makedirs(self.error_dir, exist_ok=True)
        self.state = State(self.data_dir)
        self.config = {"label_keep_max_second": args.label_keep_max_second,
                       "label_keep_max_num": args.label_keep_max_num}
        self.txns = TxnManager(self.state, self.config)
        self.alter = AlterScheduler(self.state, args.alter_delay_ms)
        self.faults = {}
        self.fault_lock = threading.Lock()
        self.start_time_text = time.strftime("%Y-%m-%d %H:%M:%S")
        self.be_port = None
        # Where the FE's redirects send loads: a cluster whose BEs registered
        # under an address the client cannot reach (priority_networks) is
        # modelled by setting another one (config be_advertised_address).
        self.be_advertised_address = None
        # What SHOW GRANTS answers (a user with fewer privileges); privileges
        # are not enforced, README "admin hooks".
        self.grants = None
        self.name = "?"
        self.follower = False

    # -------------------------------------------------------------- sessions / data
    def new_session(self, user, conn_id):
        return Session(self, user, conn_id)

    def table_rows(self, db, table):
        with self.state.lock:
            t = self.state.get_table(db, table)
            if t is None:
                return None
            return {"columns": [c.name for c in t.columns], "state": t.state,
                    "rows": sorted(t.all_rows(), key=lambda r: json.dumps([r.get(k) for k in t.key_names], default=str))}

    def write_error_log(self, lines):
        name = "error_log_%s_%s" % (uuid.uuid4().hex[:16], uuid.uuid4().hex[:16])
        path = os.path.join(self.error_dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return "http://%s:%d/api/_load_error_log?file=%s" % (self.host, self.be_port, name)

    def read_error_log(self, name):
        if not name.startswith("error_log_") or "/" in name or ".." in name:
            return None
        path = os.path.join(self.error_dir, name)
        if not os.path.exists(path):
            return None
        with open(path, "r", encoding="utf-8") as f:
            return f.read()

    # -------------------------------------------------------------- fault injection
    def add_fault(self, kind, message, count=1, after=0):
        # `after` requests of the kind pass untouched first (None entries), so a
        # test can fail the second commit of a batch, not the first.
        with self.fault_lock:
            self.faults.setdefault(kind, []).extend([None] * after + [message] * count)

    def take_fault(self, kind):
        with self.fault_lock:
            lst = self.faults.get(kind)
            if lst:
                return lst.pop(0)
        return None

    def set_config(self, d):
        for k, v in d.items():
            if k in ("label_keep_max_second", "label_keep_max_num"):
                self.config[k] = float(v) if k == "label_keep_max_second" else int(v)
            elif k == "alive_backends":
                self.alive_backends = int(v)
            elif k == "alter_delay_ms":
                self.alter.delay_s = int(v) / 1000.0
            elif k == "publish_delay_ms":
                self.publish_delay_s = int(v) / 1000.0
            elif k == "be_advertised_address":
                self.be_advertised_address = v or None
            elif k == "grants":
                self.grants = list(v) if v else None
            elif k in stream_load.PARTITION_LIMITS:  # the FE's automatic-partition limits
                stream_load.PARTITION_LIMITS[k] = int(v)

    def get_config(self):
        c = dict(self.config)
        c.update(alive_backends=self.alive_backends, alter_delay_ms=int(self.alter.delay_s * 1000),
                 publish_delay_ms=int(self.publish_delay_s * 1000),
                 be_advertised_address=self.be_advertised_address, grants=self.grants,
                 **stream_load.PARTITION_LIMITS)
        return c


class View:
    """Per-listener view of the app (name for logs, follower flag)."""

    def __init__(self, app, name, follower=False, leader_port=None):
        self.__dict__["_app"] = app
        self.__dict__["name"] = name
        self.__dict__["follower"] = follower
        self.__dict__["leader_port"] = leader_port

    def __getattr__(self, k):
        return getattr(self._app, k)

    def __setattr__(self, k, v):
        setattr(self._app, k, v)


def tls_setup(app, args):
    """The TLS contexts the options ask for, on app; a refusal text when the version lacks them."""
    app.mysql_tls = app.https_tls = None
    if bool(args.ssl_cert) != bool(args.ssl_key):
        return "--ssl-cert and --ssl-key go together"
    if args.https_port >= 0 and not args.ssl_cert:
        return "--https-port needs --ssl-cert/--ssl-key (enable_https reads ssl_keystore_location)"
    if not args.ssl_cert:
        return None
    # docs.starrocks.io administration/user_privs/ssl_authentication: "From v3.4.1 onwards".
    if app.version_tuple < (3, 4, 1):
        return "StarRocks %s has no TLS on the MySQL port (new in 3.4.1)" % app.version
    # FE_configuration: enable_https, https_port "Introduced in: v4.0".
    if args.https_port >= 0 and app.version_tuple < (4, 0):
        return "StarRocks %s has no HTTPS server (enable_https is new in 4.0)" % app.version
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2   # SSLContextLoader: ssl_protocol defaults to TLSv1.2
    context.load_cert_chain(args.ssl_cert, args.ssl_key)
    app.mysql_tls = context
    if args.https_port >= 0:
        app.https_tls = context
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="StarRocks emulator")
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--query-port", type=int, default=0)
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--be-http-port", type=int, default=0)
    ap.add_argument("--follower-http-port", type=int, default=-1,
                    help="also run a non-leader FE HTTP listener that redirects to the leader (-1 = off)")
    ap.add_argument("--user", default="root")
    ap.add_argument("--password", default="")
    ap.add_argument("--version", default="3.3.2")
    ap.add_argument("--alive-backends", type=int, default=1)
    ap.add_argument("--alter-delay-ms", type=int, default=300)
    ap.add_argument("--label-keep-max-second", type=float, default=259200)
    ap.add_argument("--label-keep-max-num", type=int, default=1000)
    ap.add_argument("--ports-file")
    # fe.conf ssl_keystore_location/ssl_keystore_password/ssl_key_password, as PEM files.
    ap.add_argument("--ssl-cert", help="TLS on the MySQL port (3.4.1+) with this PEM certificate (needs --ssl-key)")
    ap.add_argument("--ssl-key")
    ap.add_argument("--https-port", type=int, default=-1,
                    help="fe.conf enable_https + https_port (4.0+): the FE's HTTP API over TLS as well (-1: off)")
    args = ap.parse_args(argv)

    app = App(args)
    tls_refusal = tls_setup(app, args)
    if tls_refusal:
        sys.exit(tls_refusal)
    host = App.host
    be = Server((host, args.be_http_port), BeHandler, View(app, "BE"))
    app.be_port = be.server_address[1]
    fe = Server((host, args.http_port), FeHandler, View(app, "FE"))
    my = MySQLServer((host, args.query_port), View(app, "MySQL"))
    servers = [be, fe, my]
    https = None
    if args.https_port >= 0:
        # HttpServer's SSL pipeline: the same handlers; redirects still name http://BE (RestBaseAction.redirectTo).
        https = Server((host, args.https_port), FeHandler, View(app, "FE-https"))
        https.socket = app.https_tls.wrap_socket(https.socket, server_side=True)
        servers.append(https)
    follower = None
    if args.follower_http_port >= 0:
        follower = Server((host, args.follower_http_port), FeHandler,
                          View(app, "FE-follower", follower=True, leader_port=fe.server_address[1]))
        servers.append(follower)
    app.txns.publish_all_committed()
    app.alter.start()
    threads = []
    for s in servers:
        th = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        th.start()
        threads.append(th)

    stop = threading.Event()

    def reaper():
        while not stop.wait(0.2):
            try:
                app.txns.reap()
            except Exception as e:
                log("reaper error: %r" % (e,))
    threading.Thread(target=reaper, daemon=True).start()

    ports = {"query_port": my.server_address[1], "http_port": fe.server_address[1],
             "be_http_port": be.server_address[1], "pid": os.getpid()}
    if https is not None:
        ports["https_port"] = https.server_address[1]
    if follower is not None:
        ports["follower_http_port"] = follower.server_address[1]
    if args.ports_file:
        tmp = args.ports_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(ports, f)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, args.ports_file)
    log("StarRocks emulator %s ready: %s (data dir %s)" % (app.full_version, json.dumps(ports), app.data_dir))

    def on_term(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not stop.wait(0.5):
        pass
    log("shutting down")
    app.alter.stop()
    for s in servers:
        s.shutdown()
        s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
