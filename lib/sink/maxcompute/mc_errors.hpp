#pragma once
// MaxCompute's refusals turned into a Status a person can act on
// (specs/maxcompute.md 1.5, 2.2, 3.8).
//
// The service endpoint answers errors in XML (<Error><Code>, <Message>,
// <RequestId>), the tunnel in JSON ({"Code", "Message", "HoldClientMillis"});
// both name the request in x-odps-request-id. Every message keeps the
// service's own code and text and the request id, says which call failed,
// and ends with what to do: fix destination.access_id / access_key, fix the
// clock, check the project or endpoint, grant a privilege. No message ever
// contains the AccessKey secret.
//
// Codes: authentication failures (wrong key, bad signature, clock skew) are
// kUnauthenticated; missing privileges kPermissionDenied; a missing project,
// table, partition or session kNotFound; a block the tunnel cannot decode
// kCorruption; 5xx and throttling kUnavailable (retryable); anything else
// kFailedPrecondition.

#include <chrono>
#include <optional>
#include <string>

#include "core/status.hpp"
#include "net/http_client.hpp"

namespace dbsync::maxcompute {

struct ServiceError {
  long http_status = 0;
  std::string code;        // e.g. SignatureNotMatch, NoSuchProject, StatusConflict
  std::string message;     // the service's text, e.g. "ODPS-0410042:Invalid signature value - ..."
  std::string request_id;  // x-odps-request-id (or the body's RequestId)
  // How long the service asks the client to wait before trying again
  // (Retry-After, HoldClientMillis), when it says so.
  std::optional<std::chrono::milliseconds> hold;
};

// Reads an error reply of either endpoint (XML, JSON, or plain text).
ServiceError ParseServiceError(const net::HttpResponse& reply);

// 5xx, 429, the tunnel's throttling codes, and a 409 that carries
// Retry-After (an instance submission refused under load, 2.1).
bool IsTransient(const ServiceError& error);

// Who asked what, for the message.
struct ErrorContext {
  std::string what;      // e.g. "creating an upload session for table t1"
  std::string access_id;
  std::string project;
  std::string endpoint;
  // The Date the request was signed with: compared with the service's clock
  // on a clock-skew refusal.
  std::chrono::system_clock::time_point signed_at;
  std::string server_date;  // the reply's Date header, when it has one
};

Status ServiceErrorStatus(const ServiceError& error, const ErrorContext& context);

// The failure of a SQL task (its result text, "ODPS-01CCCCX:..." 2.2) as a
// Status: no permission, no such table, already exists, or failed precondition.
Status SqlErrorStatus(const std::string& result_text, const std::string& instance_id, const std::string& sql);

}  // namespace dbsync::maxcompute
