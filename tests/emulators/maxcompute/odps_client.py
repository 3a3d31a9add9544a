"""A small signing HTTP client used by the emulator's tests.

It speaks exactly the protocol of the spec (signed headers, /api-relative
canonical resource, tunnel headers) with http.client, so the tests can also
send things the SDKs never would (wrong CRCs, skewed dates, raw deflate,
chunked bodies, Expect: 100-continue).
"""

import email.utils
import http.client
import json
import time
import zlib
from urllib.parse import quote

import signing


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return "Reply(%d, %r)" % (self.status, self.body[:300])


def encode_query(params):
    """params: list of (k, v) with v None for 'k' without '='."""
    out = []
    for k, v in params:
        if v is None:
            out.append(quote(k, safe=""))
        else:
            out.append("%s=%s" % (quote(k, safe=""), quote(str(v), safe="")))
    return "&".join(out)


class Client:
    def __init__(self, host, port, access_id="testAccessId", secret="testAccessKeySecret",
                 project="p1", user_agent="emulator-tests"):
        self.host = host
        self.port = port
        self.access_id = access_id
        self.secret = secret
        self.project = project
        self.user_agent = user_agent

    # ---- raw
    def raw(self, method, path, body=b"", headers=None, chunked=False, expect_continue=False,
            timeout=30):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
            hdrs = list(headers or [])
            for k, v in hdrs:
                conn.putheader(k, v)
            if chunked:
                conn.putheader("Transfer-Encoding", "chunked")
            elif body is not None and not any(k.lower() == "content-length" for k, _ in hdrs):
                conn.putheader("Content-Length", str(len(body)))
            if expect_continue:
                conn.putheader("Expect", "100-continue")
            conn.endheaders()
            got_continue = False
            if expect_continue:
                # wait for the interim "100 Continue" before sending the body
                conn.sock.settimeout(timeout)
                buf = b""
                while not buf.endswith(b"\r\n\r\n"):
                    ch = conn.sock.recv(1)
                    if not ch:
                        break
                    buf += ch
                got_continue = buf.startswith(b"HTTP/1.1 100")
            if chunked:
                step = 7
                for i in range(0, len(body), step):
                    part = body[i:i + step]
                    conn.send(b"%x\r\n%s\r\n" % (len(part), part))
                conn.send(b"0\r\n\r\n")
            elif body:
                conn.send(body)
            resp = conn.getresponse()
            data = resp.read()
            reply = Reply(resp.status, resp.getheaders(), data)
            reply.got_continue = got_continue
            return reply
        finally:
            conn.close()

    # ---- signed
    def sign_headers(self, method, signed_path, params, headers, date=None, secret=None,
                     access_id=None, v4_region=None, sign_date=None):
        date = date or email.utils.formatdate(usegmt=True)
        hdrs = [("Date", date), ("x-odps-user-agent", self.user_agent),
                ("User-Agent", self.user_agent)] + list(headers or [])
        signed = [(k, v) for k, v in hdrs]
        if sign_date is not None:
            signed = [("Date", sign_date) if k == "Date" else (k, v) for k, v in signed]
        qpairs = [(k, "" if v is None else str(v)) for k, v in params]
        canonical = signing.canonical_string(method, signed, signed_path, qpairs)
        sec = self.secret if secret is None else secret
        aid = self.access_id if access_id is None else access_id
        if v4_region:
            d = time.strftime("%Y%m%d", time.gmtime(email.utils.parsedate_to_datetime(date).timestamp()))
            auth = signing.authorization_v4(aid, sec, d, v4_region, canonical)
        else:
            auth = signing.authorization_v2(aid, sec, canonical)
        return hdrs + [("Authorization", auth)], canonical

    def rest(self, method, resource, params=(), body=b"", headers=(), **kw):
        params = list(params)
        if self.project and not kw.pop("no_curr_project", False):
            params.append(("curr_project", self.project))
        hdrs, _ = self.sign_headers(method, resource, params, headers, **kw)
        q = encode_query(params)
        return self.raw(method, "/api" + quote(resource) + ("?" + q if q else ""), body, hdrs)

    def tunnel(self, method, resource, params=(), body=b"", headers=(), version="6",
               chunked=False, expect_continue=False, **kw):
        params = list(params)
        if self.project:
            params.append(("curr_project", self.project))
        headers = list(headers)
        if version is not None:
            headers.append(("x-odps-tunnel-version", version))
        headers.append(("odps-tunnel-date-transform", "v1"))
        hdrs, _ = self.sign_headers(method, resource, params, headers, **kw)
        q = encode_query(params)
        return self.raw(method, quote(resource) + ("?" + q if q else ""), body, hdrs,
                        chunked=chunked, expect_continue=expect_continue)

    # ---- SQL
    def submit_sql(self, query, settings=None, guid=None, project=None):
        settings = settings if settings is not None else {
            "odps.sql.type.system.odps2": "true", "odps.sql.decimal.odps2": "true"}
        from xml.sax.saxutils import escape
        job = ('<?xml version="1.0" encoding="utf-8"?>\n<Instance><Job>'
               + ("<Guid>%s</Guid>" % guid if guid else "")
               + "<Priority>9</Priority><Tasks><SQL><Name>AnonymousSQLTask</Name><Config>"
               "<Property><Name>uuid</Name><Value>00000000-0000-0000-0000-000000000000</Value></Property>"
               "<Property><Name>settings</Name><Value>%s</Value></Property></Config>"
               "<Query><![CDATA[%s]]></Query></SQL></Tasks><DAG><RunMode>Sequence</RunMode></DAG>"
               "</Job></Instance>") % (escape(json.dumps(settings)), query)
        r = self.rest("POST", "/projects/%s/instances" % (project or self.project),
                      body=job.encode("utf-8"), headers=[("Content-Type", "application/xml")])
        return r

    def wait_instance(self, iid, project=None, timeout=20):
        import xml.etree.ElementTree as ET
        res = "/projects/%s/instances/%s" % (project or self.project, iid)
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.rest("GET", res)
            st = ET.fromstring(r.body).find("Status").text
            seen.append(st)
            if st == "Terminated":
                break
            time.sleep(0.02)
        r = self.rest("GET", res, [("taskstatus", None)])
        task = ET.fromstring(r.body).find("Tasks/Task")
        tstatus = task.find("Status").text
        r = self.rest("GET", res, [("result", None)])
        rel = ET.fromstring(r.body).find("Tasks/Task/Result")
        text = rel.text or ""
        if rel.get("Transform") == "Base64":
            import base64
            text = base64.b64decode(text).decode("utf-8")
        return seen, tstatus, text

    def sql(self, query, settings=None, project=None):
        r = self.submit_sql(query, settings, project=project)
        assert r.status == 201, r
        iid = r.header("Location").rsplit("/", 1)[1]
        _, status, text = self.wait_instance(iid, project)
        return status, text


def zlib_compress(data, level=6):
    return zlib.compress(data, level)
