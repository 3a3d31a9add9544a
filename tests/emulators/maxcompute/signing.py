"""Request signing, server side (spec maxcompute.md sections 1.3 - 1.5).

V2: Base64(HMAC-SHA1(secret, canonical string)), header
``Authorization: ODPS <AccessKeyId>:<signature>``.
V4: the same canonical string signed with a key derived by HMAC-SHA256
chains from ``"aliyun_v4" + secret``, date, region, "odps",
"aliyun_v4_request"; header
``ODPS <AccessKeyId>/<yyyymmdd>/<region>/odps/aliyun_v4_request:<sig>``.

The canonical string is built from what the server received: method, the
signed headers (Content-MD5, Content-Type, Date, every x-odps-*), and the
URL-decoded path relative to the endpoint plus the sorted, decoded query.
"""

import base64
import hashlib
import hmac
from urllib.parse import unquote

V4_PREFIX = "aliyun_v4"


def parse_query(raw_query):
    """Split a raw query string into decoded (key, value) pairs.

    Percent-decoding only; '+' stays '+' (spec 1.3: the Java SDK encodes a
    space as %20, so '+' is never a space on the wire).  A parameter sent as
    ``k`` or ``k=`` has the value ''.
    """
    pairs = []
    if not raw_query:
        return pairs
    for part in raw_query.split("&"):
        if part == "":
            continue
        if "=" in part:
            k, v = part.split("=", 1)
        else:
            k, v = part, ""
        pairs.append((unquote(k), unquote(v)))
    return pairs


def canonical_resource(decoded_path, query_pairs):
    """Path plus '?k=v&k2' with parameters sorted by key (spec 1.3 step 4)."""
    if not query_pairs:
        return decoded_path
    items = sorted(query_pairs, key=lambda kv: kv[0])
    return decoded_path + "?" + "&".join(k if v == "" else "%s=%s" % (k, v)
                                         for k, v in items)


def canonical_string(method, headers, decoded_path, query_pairs):
    """headers: iterable of (name, value) as received (names any case).
    Multi-valued headers are joined with ',' (spec 1.3 step 3)."""
    signed = {}
    for name, value in headers:
        lk = name.lower()
        if lk in ("content-type", "content-md5", "date") or lk.startswith("x-odps-"):
            if lk in signed:
                signed[lk] = signed[lk] + "," + value
            else:
                signed[lk] = value
    # Java/Python copy x-odps-* query parameters into the signed map (1.3 step 2);
    # the service is the Java side, so the emulator does the same.
    for k, v in query_pairs:
        if k.startswith("x-odps-"):
            signed[k] = v
    for k in ("content-type", "content-md5"):
        signed.setdefault(k, "")
    signed.setdefault("date", "")
    lines = [method.upper()]
    for k in sorted(signed):
        if k.startswith("x-odps-"):
            lines.append("%s:%s" % (k, signed[k]))
        else:
            lines.append(signed[k])
    lines.append(canonical_resource(decoded_path, query_pairs))
    return "\n".join(lines)


def sign_v2(secret, canonical):
    mac = hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def v4_signing_key(secret, date_yyyymmdd, region):
    k = (V4_PREFIX + secret).encode("utf-8")
    for part in (date_yyyymmdd, region, "odps", V4_PREFIX + "_request"):
        k = hmac.new(k, part.encode("utf-8"), hashlib.sha256).digest()
    return k


def sign_v4(secret, date_yyyymmdd, region, canonical):
    mac = hmac.new(v4_signing_key(secret, date_yyyymmdd, region),
                   canonical.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def authorization_v2(access_id, secret, canonical):
    return "ODPS %s:%s" % (access_id, sign_v2(secret, canonical))


def authorization_v4(access_id, secret, date_yyyymmdd, region, canonical):
    return "ODPS %s/%s/%s/odps/%s_request:%s" % (
        access_id, date_yyyymmdd, region, V4_PREFIX,
        sign_v4(secret, date_yyyymmdd, region, canonical))


class AuthHeader:
    """Parsed Authorization header."""

    def __init__(self, access_id, signature, v4_date=None, v4_region=None):
        self.access_id = access_id
        self.signature = signature
        self.v4_date = v4_date
        self.v4_region = v4_region

    @property
    def is_v4(self):
        return self.v4_date is not None


class AuthParseError(ValueError):
    pass


class SignatureMethodError(ValueError):
    pass


def parse_authorization(value):
    """'ODPS id:sig' or 'ODPS id/date/region/odps/aliyun_v4_request:sig'."""
    value = value.strip()
    if " " not in value:
        raise AuthParseError("malformed Authorization header")
    scheme, rest = value.split(" ", 1)
    if scheme != "ODPS":
        raise SignatureMethodError("unsupported signature method %s" % scheme)
    rest = rest.strip()
    if ":" not in rest:
        raise AuthParseError("malformed Authorization header")
    cred, sig = rest.rsplit(":", 1)
    if not cred or not sig:
        raise AuthParseError("malformed Authorization header")
    if "/" in cred:
        parts = cred.split("/")
        if (len(parts) != 5 or parts[3] != "odps"
                or parts[4] != V4_PREFIX + "_request"
                or len(parts[1]) != 8 or not parts[1].isdigit() or not parts[2]):
            raise AuthParseError("malformed V4 credential scope")
        return AuthHeader(parts[0], sig, parts[1], parts[2])
    return AuthHeader(cred, sig)


def constant_time_equal(a, b):
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
