"""HTTP plumbing shared by the FE and BE servers: Basic auth parsing, JSON replies, manual
`100 Continue` handling (behaviour 7) and lingering close for connections whose request body
was not read (behaviour 4: the FE answers 307 without consuming the body)."""

import base64
import http.server
import json
import socket
import socketserver
import sys
import time


def parse_basic(header):
    """-> (user, password) or None."""
    if not header:
        return None
    parts = header.strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "basic":
        return None
    try:
        raw = base64.b64decode(parts[1].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    if ":" not in raw:
        return None
    user, pw = raw.split(":", 1)
    return user, pw


def log(msg):
    sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, app):
        self.app = app
        http.server.HTTPServer.__init__(self, addr, handler)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "StarRocksEmulator"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def handle_expect_100(self):
        # Never answer 100 Continue automatically: the BE sends it only after the header phase
        # succeeded (behaviour 7) and the FE never sends it (behaviour 4).
        self._continue_sent = False
        return True

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        # one line per request; never the Authorization header
        log("%s %s %s -> %s" % (self.server.app.name, self.command, self.path, code))

    @property
    def app(self):
        return self.server.app

    def header(self, name):
        return self.headers.get(name)

    def expects_continue(self):
        return (self.headers.get("Expect") or "").lower() == "100-continue"

    def send_continue(self):
        if self.expects_continue() and not getattr(self, "_continue_sent", False):
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            self._continue_sent = True

    def reply(self, status, body=b"", ctype="application/json", close=False, extra=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def reply_json(self, status, obj, pretty=False, close=False, extra=None):
        if pretty:
            text = json.dumps(obj, indent=4, ensure_ascii=False)
        else:
            text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        self.reply(status, text, close=close, extra=extra)

    def read_body(self, deadline=None):
        """Read the request body (Content-Length or chunked). Returns (bytes, complete)."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    return bytes(out), False
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        tl = self.rfile.readline(65537)
                        if tl in (b"\r\n", b"\n", b""):
                            break
                    return bytes(out), True
                chunk = self.rfile.read(size)
                out += chunk
                self.rfile.readline(3)
                if len(chunk) < size:
                    return bytes(out), False
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", True
        n = int(cl)
        data = bytearray()
        while len(data) < n:
            chunk = self.rfile.read(min(1 << 20, n - len(data)))
            if not chunk:
                break
            data += chunk
        return bytes(data), len(data) == n

    def content_length(self):
        cl = self.headers.get("Content-Length")
        try:
            return int(cl) if cl is not None else None
        except ValueError:
            return None

    def finish(self):
        # Lingering close: if we close with unread request bytes the kernel sends RST and the
        # client may lose our response; drain briefly after half-closing.
        try:
            http.server.BaseHTTPRequestHandler.finish(self)
        finally:
            if self.close_connection:
                try:
                    self.connection.shutdown(socket.SHUT_WR)
                    self.connection.settimeout(0.5)
                    end = time.time() + 1.0
                    while time.time() < end:
                        if not self.connection.recv(65536):
                            break
                except OSError:
                    pass
