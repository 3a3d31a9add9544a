"""Request/response objects shared by the REST, tunnel and admin handlers."""

import email.utils
import json
import time


class Request:
    def __init__(self, method, raw_path, path, raw_query, query_pairs, headers, body,
                 request_id, client):
        self.method = method
        self.raw_path = raw_path          # as received (percent-encoded)
        self.path = path                  # percent-decoded
        self.raw_query = raw_query
        self.query_pairs = query_pairs    # decoded (key, value) list, wire order
        self.headers = headers            # list of (name, value) as received
        self.body = body
        self.request_id = request_id
        self.client = client
        self.principal = None             # set by authentication
        self.query = {}
        for k, v in query_pairs:
            self.query.setdefault(k, v)

    def header(self, name, default=None):
        lname = name.lower()
        vals = [v for k, v in self.headers if k.lower() == lname]
        if not vals:
            return default
        return ",".join(vals)

    def has_param(self, name):
        return name in self.query

    def param(self, name, default=None):
        return self.query.get(name, default)


class Response:
    def __init__(self, status=200, body=b"", content_type=None, headers=None):
        self.status = status
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.headers = dict(headers or {})
        if content_type:
            self.headers["Content-Type"] = content_type
        self.close = False                # drop the connection without a reply

    @classmethod
    def json(cls, obj, status=200, headers=None):
        return cls(status, json.dumps(obj), "application/json", headers)

    @classmethod
    def xml(cls, text, status=200, headers=None):
        return cls(status, text, "application/xml", headers)


def http_date(ts=None):
    return email.utils.formatdate(time.time() if ts is None else ts, usegmt=True)


def xml_escape(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
