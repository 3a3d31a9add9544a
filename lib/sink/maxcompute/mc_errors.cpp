#include "sink/maxcompute/mc_errors.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "sink/maxcompute/mc_signature.hpp"
#include "sink/maxcompute/mc_xml.hpp"

namespace dbsync::maxcompute {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool Has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Either the Code or the ODPS-04xxxxx number of the message names the case;
// the tunnel reports authentication failures as Code Unauthorized with the
// REST number in its message (1.5).
bool Is(const ServiceError& e, std::initializer_list<std::string_view> codes, std::string_view number) {
  for (std::string_view code : codes)
    if (e.code == code) return true;
  return !number.empty() && e.message.rfind(number, 0) == 0;
}

std::optional<double> Number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) return std::strtod(it->get<std::string>().c_str(), nullptr);
  return std::nullopt;
}

// A wait the service asks for, bounded to [0, 1 h]: the client caps it at
// 10 s anyway (mc_client.cpp), and a wild value (1e300, -1, NaN) must not
// overflow the conversion to an integer.
milliseconds Hold(double millis) {
  if (!(millis > 0)) return milliseconds(0);
  return milliseconds(long(std::min(millis, 3600.0 * 1000)));
}

std::string JsonText(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// "...,now_date:2024-01-01T00:20:00.000Z" (pyodps' sample of the message, 1.5).
std::optional<std::chrono::system_clock::time_point> ServiceNow(const ServiceError& e, const ErrorContext& c) {
  size_t at = e.message.find("now_date:");
  if (at != std::string::npos) {
    std::tm utc{};
    // Bounded as ParseHttpDate's: the instant must fit system_clock's nanoseconds.
    if (std::sscanf(e.message.c_str() + at + 9, "%4d-%2d-%2dT%2d:%2d:%2d", &utc.tm_year, &utc.tm_mon,
                    &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec) == 6 &&
        utc.tm_year >= 1900 && utc.tm_year <= 2200) {
      utc.tm_year -= 1900;
      utc.tm_mon -= 1;
      return std::chrono::system_clock::from_time_t(timegm(&utc));
    }
  }
  if (auto date = ParseHttpDate(c.server_date); date.ok()) return *date;
  return std::nullopt;
}

std::string ClockAdvice(const ServiceError& e, const ErrorContext& c) {
  std::string how_far = "by more than the 15 minutes MaxCompute allows";
  if (auto now = ServiceNow(e, c)) {
    long skew = long(duration_cast<seconds>(c.signed_at - *now).count());
    // Both clocks are read to the second, a moment apart: minutes are what matters.
    std::string amount = std::labs(skew) < 60 ? std::to_string(std::labs(skew)) + " s"
                                               : std::to_string((std::labs(skew) + 30) / 60) + " min";
    how_far = std::string(skew >= 0 ? "ahead of MaxCompute's" : "behind MaxCompute's") + " by " + amount +
              " (MaxCompute allows 15 min)";
  }
  return "the clock of this machine is " + how_far +
         ": requests are signed with the local time; synchronise the clock with NTP (chrony, "
         "systemd-timesyncd) and try again";
}

std::string Advice(const ServiceError& e, const ErrorContext& c) {
  if (Is(e, {"RequestTimeTooSkewd", "RequestTimeTooSkewed"}, "ODPS-0410031")) return ClockAdvice(e, c);
  if (Is(e, {"InvalidAccessKeyId"}, "ODPS-0410051"))
    return "MaxCompute does not know the AccessKey ID '" + c.access_id +
           "'; fix destination.access_id and destination.access_key";
  if (Is(e, {"SignatureNotMatch", "InvalidAuthorization"}, "ODPS-0410042"))
    return "the AccessKey secret does not belong to the AccessKey ID '" + c.access_id +
           "' (or a proxy changed the request); fix destination.access_key (and destination.access_id)";
  if (Is(e, {"Unauthorized"}, "ODPS-041"))
    return "MaxCompute refused the request's credentials; check destination.access_id and destination.access_key";
  if (Is(e, {"NoSuchProject"}, "") || Has(e.message, "Project not found"))
    return "there is no project '" + c.project + "' at " + c.endpoint +
           "; check destination.project and destination.endpoint (the project's region)";
  if (Is(e, {"NoPermission", "AccessDenied"}, "ODPS-0420095") || e.http_status == 403)
    return "the AccessKey '" + c.access_id + "' lacks this privilege in project '" + c.project +
           "'; have a project owner grant it (e.g. GRANT ... ON TABLE ... TO USER ...) or use another AccessKey";
  if (Is(e, {"StatusConflict"}, ""))
    return "the session was committed (its rows are in the table) or has expired after 24 h (upload its "
           "batch again in a new session); either way it takes no more blocks nor commits";
  return "";
}

StatusCode CodeOf(const ServiceError& e) {
  if (Is(e, {"Unauthorized", "InvalidAccessKeyId", "SignatureNotMatch", "InvalidAuthorization",
             "RequestTimeTooSkewd", "RequestTimeTooSkewed", "InvalidSignatureMethod"},
         "ODPS-041") ||
      e.http_status == 401)
    return StatusCode::kUnauthenticated;
  if (Is(e, {"NoPermission", "AccessDenied"}, "ODPS-0420095") || e.http_status == 403)
    return StatusCode::kPermissionDenied;
  if (IsTransient(e)) return StatusCode::kUnavailable;
  if (Is(e, {"MalformedDataStream", "CorruptedDataStream"}, "")) return StatusCode::kCorruption;
  if (e.code.rfind("NoSuch", 0) == 0 || Has(e.code, "NotFound") || e.http_status == 404) return StatusCode::kNotFound;
  return StatusCode::kFailedPrecondition;
}

}  // namespace

ServiceError ParseServiceError(const net::HttpResponse& reply) {
  ServiceError e;
  e.http_status = reply.status;
  auto header = [&](const char* name) {
    auto it = reply.headers.find(name);
    return it == reply.headers.end() ? std::string() : it->second;
  };
  e.request_id = header("x-odps-request-id");
  if (std::string after = header("retry-after"); !after.empty())
    e.hold = Hold(std::strtod(after.c_str(), nullptr) * 1000);  // seconds
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object()) {
    e.code = JsonText(json, "Code");
    e.message = JsonText(json, "Message");
    if (e.request_id.empty()) e.request_id = JsonText(json, "RequestId");
    if (auto hold = Number(json, "HoldClientMillis")) e.hold = Hold(*hold);
  } else if (auto code = XmlText(reply.body, "Code")) {
    e.code = *code;
    e.message = XmlText(reply.body, "Message").value_or("");
    if (e.request_id.empty()) e.request_id = XmlText(reply.body, "RequestId").value_or("");
  } else {
    e.message = reply.body.substr(0, 300);
  }
  return e;
}

bool IsTransient(const ServiceError& e) {
  if (e.http_status >= 500 || e.http_status == 429) return true;
  if (e.http_status == 409 && e.hold) return true;
  return e.code == "FlowExceeded" || e.code == "SlotExceeded" || e.code == "QPSExceeded" ||
         e.code == "DataUnderReplication" || e.code == "InternalServerError";
}

Status ServiceErrorStatus(const ServiceError& e, const ErrorContext& c) {
  std::string text = c.what + ": MaxCompute answered HTTP " + std::to_string(e.http_status);
  if (!e.code.empty()) text += " " + e.code;
  if (!e.message.empty()) text += ": " + e.message;
  if (!e.request_id.empty()) text += " (request id " + e.request_id + ")";
  if (std::string advice = Advice(e, c); !advice.empty()) text += "; " + advice;
  return Status(CodeOf(e), text);
}

Status SqlErrorStatus(const std::string& result_text, const std::string& instance_id, const std::string& sql) {
  std::string statement = sql.size() > 300 ? sql.substr(0, 300) + "..." : sql;
  std::string text = "MaxCompute SQL failed (instance " + instance_id + "): " + result_text + "; the statement: " +
                     statement;
  auto starts = [&](const char* number) { return result_text.rfind(number, 0) == 0; };
  if (starts("ODPS-0130013") || Has(result_text, "NO privilege"))
    return Status::PermissionDenied(text + "; have a project owner grant the privilege or use another AccessKey");
  if (starts("ODPS-0130131")) return Status::NotFound(text);
  if (Has(result_text, "already exists")) return Status::AlreadyExists(text);
  // System errors (pyodps' InternalServerError codes) may pass on a later try.
  if (starts("ODPS-0010000") || starts("ODPS-0420153")) return Status::Unavailable(text);
  return Status::FailedPrecondition(text);
}

}  // namespace dbsync::maxcompute
