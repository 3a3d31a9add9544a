"""Error replies of the two endpoints (spec maxcompute.md 1.5 and 3.8).

REST (service endpoint, /api): XML
  <?xml version="1.0" encoding="UTF-8"?>
  <Error><Code>..</Code><Message><![CDATA[..]]></Message>
  <RequestId>..</RequestId><HostId>..</HostId></Error>
Tunnel: JSON {"Code": "..", "Message": ".."} (+ optional HoldClientMillis).
Both carry the header x-odps-request-id.
"""

import json

HOST_ID = "maxcompute-emulator"


def cdata(text):
    # ']]>' cannot appear inside CDATA; split it the usual way.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class RestError(Exception):
    """An error of the REST API, rendered as XML."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, request_id):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                "<Error><Code>%s</Code><Message>%s</Message>"
                "<RequestId>%s</RequestId><HostId>%s</HostId></Error>"
                % (self.code, cdata(self.message), request_id, HOST_ID)).encode("utf-8")

    content_type = "application/xml"


class TunnelError(Exception):
    """An error of the Tunnel endpoint, rendered as JSON."""

    def __init__(self, status, code, message, headers=None, hold_millis=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.hold_millis = hold_millis

    def body(self, request_id):
        obj = {"Code": self.code, "Message": self.message, "RequestId": request_id}
        if self.hold_millis is not None:
            obj["HoldClientMillis"] = self.hold_millis
        return json.dumps(obj).encode("utf-8")

    content_type = "application/json"


# ---------------------------------------------------------------------------
# Authentication failures are detected before we know which endpoint format
# to use, so they are described once and rendered per endpoint.

class AuthFailure(Exception):
    """status/code/message for REST; tunnel replies JSON 'Unauthorized' (spec
    1.5: the Tunnel FAQ documents Unauthorized for a bad or missing header and
    for clock skew), keeping the ODPS-041xxxx text as the message."""

    def __init__(self, status, rest_code, message):
        super().__init__(message)
        self.status = status
        self.rest_code = rest_code
        self.message = message

    def as_rest(self):
        return RestError(self.status, self.rest_code, self.message)

    def as_tunnel(self):
        return TunnelError(401, "Unauthorized", self.message)


def missing_auth():
    return AuthFailure(400, "Unauthorized",
                       "ODPS-0410001:Missing authentication parameters - "
                       "The request authorization header is invalid or missing")


def invalid_auth(detail):
    return AuthFailure(400, "InvalidAuthorization",
                       "ODPS-0410011:Invalid authentication parameters - " + detail)


def invalid_sign_method(detail):
    return AuthFailure(400, "InvalidSignatureMethod",
                       "ODPS-0410021:Invalid signature method - " + detail)


def skewed(expire_iso, now_iso):
    # Message shape copied from pyodps' test of RequestTimeTooSkewed (1.5),
    # including the service's double space and the 'Skewd' spelling.
    return AuthFailure(400, "RequestTimeTooSkewd",
                       "ODPS-0410031:Authentication request expired - the expire time "
                       "interval  exceeds the max limitation: 900000, "
                       "max_interval_date:900000,expire_date:%s,now_date:%s"
                       % (expire_iso, now_iso))


def signature_mismatch():
    return AuthFailure(401, "SignatureNotMatch",
                       "ODPS-0410042:Invalid signature value - User signature does not match")


def unknown_access_id(access_id):
    return AuthFailure(401, "InvalidAccessKeyId",
                       "ODPS-0410051:Invalid credentials - accessKeyId not found: %s"
                       % access_id)


# ---------------------------------------------------------------------------
# Common REST errors

def rest_bad_xml(detail):
    return RestError(400, "InvalidXmlRequest",
                     "ODPS-0420031:Invalid xml in HTTP request body - " + detail)


def rest_missing_param(detail):
    return RestError(400, "MissingParameter",
                     "ODPS-0420041:Missing parameter in HTTP request - " + detail)


def rest_invalid_param(detail):
    return RestError(400, "InvalidParameter",
                     "ODPS-0420061:Invalid parameter in HTTP request - " + detail)


def rest_no_project(project):
    return RestError(404, "NoSuchProject",
                     "ODPS-0420111:Project not found - '%s'." % project)


def rest_no_table(project, table):
    return RestError(404, "NoSuchTable",
                     "ODPS-0130131:Table not found - table %s.%s cannot be resolved"
                     % (project, table))


def rest_no_instance(instance_id):
    return RestError(404, "NoSuchObject",
                     "ODPS-0420111:Instance not found - '%s'." % instance_id)


def rest_no_privilege(privilege, resource):
    return RestError(403, "NoPermission",
                     "ODPS-0420095:Access Denied - Authorization Failed [4019], You have "
                     "NO privilege '%s' on {%s}." % (privilege, resource))


def rest_not_found(path):
    return RestError(404, "NoSuchObject", "ODPS-0420111:Object not found - %s" % path)


def rest_method_not_allowed(method):
    return RestError(405, "MethodNotAllowed",
                     "The specified method %s is not allowed against this resource." % method)


# ---------------------------------------------------------------------------
# Common tunnel errors (codes from spec 3.8; statuses as recommended there)

def t_malformed(detail):
    return TunnelError(400, "MalformedDataStream", detail)


def t_invalid_argument(detail):
    return TunnelError(400, "InvalidArgument", detail)


def t_missing_partition():
    return TunnelError(400, "MissingPartitionSpec",
                       "You need to specify a partitionspec along with the specified table.")


def t_invalid_partition(detail):
    return TunnelError(400, "InvalidPartitionSpec",
                       "The specified partition spec is not valid. " + detail)


def t_no_partition():
    return TunnelError(404, "NoSuchPartition", "The specified partition does not exist")


def t_no_project(project):
    return TunnelError(404, "NoSuchProject",
                       "The specified project name does not exist: %s" % project)


def t_no_table(table):
    return TunnelError(404, "NoSuchTable", "The specified table name does not exist: %s" % table)


def t_no_upload(upload_id):
    return TunnelError(404, "NoSuchUpload", "The specified upload id does not exist: %s" % upload_id)


def t_invalid_block(detail):
    return TunnelError(400, "InvalidBlockID", "The specified block id is not valid. " + detail)


def t_status_conflict(detail):
    return TunnelError(409, "StatusConflict",
                       "You cannot complete the specified operation under the current "
                       "upload or download status. " + detail)


def t_no_permission(privilege, resource):
    return TunnelError(403, "NoPermission",
                       "ODPS-0420095:Access Denied - Authorization Failed [4019], You have "
                       "NO privilege '%s' on {%s}." % (privilege, resource))
