#!/usr/bin/env python3
"""A webhook receiver for the alert tests: records every POST and answers
HTTP 500 to the first N of each path (to exercise retries), 200 after.

usage: http_receiver.py PORT_FILE RECORD_FILE [FAIL_FIRST_PER_PATH]
Each request is appended to RECORD_FILE as one JSON line:
{"path": "/x?y", "content_type": "...", "body": "<text>", "answered": 200}
"""
import http.server
import json
import sys
import threading

port_file, record_file = sys.argv[1], sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8", "replace")
        path = self.path.split("?")[0]
        with lock:
            seen[path] = seen.get(path, 0) + 1
            status = 500 if seen[path] <= fail_first else 200
            with open(record_file, "a") as f:
                f.write(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type", ""),
                                    "body": body, "answered": status}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"try again")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
