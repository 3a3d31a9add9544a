#include "sink/starrocks/sr_stream_load.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace dbsync::starrocks {
namespace {

using nlohmann::json;

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string Field(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

// Rows StarRocks refused are the data's problem, and a table or a grant gone
// is a person's: retrying cannot help. Any
// other refusal (no backend alive, too many running transactions, a
// transaction in processing, an FE restarting) may pass: the worker fails
// over and resumes from its checkpoint.
Status RefusalStatus(const std::string& text) {
  if (Contains(text, "filtered rows")) return Status::DataRejected(text);
  if (Contains(text, "Label format error") || Contains(text, "does not exist") ||
      Contains(text, "Unknown table") || Contains(text, "Unknown database") || Contains(text, "Access denied"))
    return Status::FailedPrecondition(text);
  return Status::Unavailable(text);
}

TxnReply ParseTxnReply(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  return {Field(j, "Status"), Field(j, "Message"), Field(j, "ExistingJobStatus"), Field(j, "ErrorURL"),
          Field(j, "state")};
}

std::optional<TxnOutcome> BeginOutcome(const TxnReply& reply) {
  if (reply.status == "OK") return TxnOutcome::kDone;
  if (reply.status == "LABEL_ALREADY_EXISTS" || reply.status == "Label Already Exists")
    return reply.existing_job_status == "FINISHED" ? TxnOutcome::kAlreadyCommitted : TxnOutcome::kRunning;
  return std::nullopt;
}

std::optional<TxnOutcome> FinishOutcome(std::string_view op, const TxnReply& reply) {
  const std::string& status = reply.status;
  const std::string& message = reply.message;
  if (status == "OK") {
    if (Contains(message, "already committed")) return TxnOutcome::kAlreadyCommitted;
    if (Contains(message, "already aborted")) return TxnOutcome::kAlreadyAborted;
    return TxnOutcome::kDone;
  }
  if (status == "TXN_NOT_EXISTS" || Contains(message, "No transaction found") || Contains(message, "not exist"))
    return TxnOutcome::kUnknown;
  if (Contains(message, "ABORTED") || Contains(message, "aborted")) return TxnOutcome::kAlreadyAborted;
  if (op == "rollback" && (Contains(message, "COMMITTED") || Contains(message, "VISIBLE")))
    return TxnOutcome::kAlreadyCommitted;
  return std::nullopt;
}

bool LoadAccepted(const TxnReply& reply) { return reply.status == "OK" || reply.status == "Success"; }

std::string ErrorLogHead(const std::string& url, int lines) {
  net::HttpRequest r;
  r.url = url;
  r.timeout_ms = 10000;
  auto got = net::HttpCall(r);
  if (!got.ok() || got->status != 200) return "";
  std::istringstream in(got->body);
  std::string line, out;
  for (int i = 0; i < lines && std::getline(in, line); ++i) out += (out.empty() ? "" : "\n") + line.substr(0, 500);
  return out;
}

Result<net::HttpResponse> StreamLoadClient::Send(const std::string& op, const std::string& db,
                                                 const std::string& table, const std::string& label,
                                                 std::string_view body, bool retry,
                                                 const std::string& partial_columns) {
  net::HttpRequest r;
  r.method = op == "load" ? "PUT" : "POST";
  r.url = fe_.base + "/api/transaction/" + op;
  r.tls = fe_.tls;
  r.user = fe_.user;
  r.password = fe_.password;
  r.expect_continue = true;  // the FE requires it (1.3) and it spares a refused body
  r.body = body;
  r.timeout_ms = (fe_.timeout_seconds + 30) * 1000;
  r.headers = {{"label", label}, {"db", db}, {"table", table}};
  if (op == "begin") r.headers.push_back({"timeout", std::to_string(fe_.timeout_seconds)});
  if (op == "load") {
    r.headers.push_back({"format", "json"});
    r.headers.push_back({"strip_outer_array", "true"});
    r.headers.push_back({"ignore_json_size", "true"});
    if (!partial_columns.empty()) {
      r.headers.push_back({"partial_update", "true"});
      r.headers.push_back({"columns", partial_columns});
    }
  }
  const std::string what = "StarRocks " + op + " of " + db + "." + table + " (label " + label + ")";
  Status last;
  for (int attempt = 0; attempt < (retry ? 4 : 1); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
    auto got = net::HttpCall(r);
    if (!got.ok()) {
      last = got.status().WithContext(what);
      if (got.status().code() == StatusCode::kUnavailable) continue;
      return last;
    }
    if (got->status == 401)
      return Status::Unauthenticated(what + ": StarRocks refused the user '" + fe_.user +
                                     "' or its password (HTTP 401); check destination.user and destination.password");
    if (got->status >= 500) {
      last = Status::Unavailable(what + ": HTTP " + std::to_string(got->status) + " " + got->body.substr(0, 300));
      continue;
    }
    if (got->status != 200)
      return Status::FailedPrecondition(what + ": unexpected HTTP " + std::to_string(got->status) + " " +
                                        got->body.substr(0, 300));
    return got;
  }
  return last;
}

Result<TxnOutcome> StreamLoadClient::Begin(const std::string& db, const std::string& table, const std::string& label) {
  SYNC_ASSIGN_OR_RETURN(auto reply, Send("begin", db, table, label, {}, true));
  const TxnReply parsed = ParseTxnReply(reply.body);
  if (auto outcome = BeginOutcome(parsed)) return *outcome;
  return RefusalStatus("StarRocks refused to begin a load into " + db + "." + table + ": " + parsed.status + " " +
                       parsed.message);
}

Status StreamLoadClient::Load(const std::string& db, const std::string& table, const std::string& label,
                              std::string_view body, const std::string& partial_columns) {
  SYNC_ASSIGN_OR_RETURN(auto reply, Send("load", db, table, label, body, false, partial_columns));
  const TxnReply parsed = ParseTxnReply(reply.body);
  if (LoadAccepted(parsed)) return Status::Ok();
  std::string text = "StarRocks refused rows for " + db + "." + table + ": " + parsed.status + " " + parsed.message;
  if (!parsed.error_url.empty()) text += "\n" + ErrorLogHead(parsed.error_url, 5);
  return RefusalStatus(text);
}

Result<TxnOutcome> StreamLoadClient::Finish(const std::string& op, const std::string& db, const std::string& table,
                                            const std::string& label) {
  SYNC_ASSIGN_OR_RETURN(auto reply, Send(op, db, table, label, {}, true));
  const TxnReply parsed = ParseTxnReply(reply.body);
  if (auto outcome = FinishOutcome(op, parsed)) return *outcome;
  std::string text = "StarRocks could not " + op + " the load into " + db + "." + table + " (label " + label +
                     "): " + parsed.status + " " + parsed.message;
  if (!parsed.error_url.empty()) text += "\n" + ErrorLogHead(parsed.error_url, 5);
  return RefusalStatus(text);
}

Result<TxnOutcome> StreamLoadClient::Prepare(const std::string& db, const std::string& table,
                                             const std::string& label) {
  return Finish("prepare", db, table, label);
}

Result<TxnOutcome> StreamLoadClient::Commit(const std::string& db, const std::string& table,
                                            const std::string& label) {
  return Finish("commit", db, table, label);
}

Result<TxnOutcome> StreamLoadClient::Rollback(const std::string& db, const std::string& table,
                                              const std::string& label) {
  return Finish("rollback", db, table, label);
}

Result<std::string> StreamLoadClient::LoadState(const std::string& db, const std::string& label) {
  net::HttpRequest r;
  r.url = fe_.base + "/api/" + db + "/get_load_state?label=" + label;
  r.tls = fe_.tls;
  r.user = fe_.user;
  r.password = fe_.password;
  r.timeout_ms = 30000;
  SYNC_ASSIGN_OR_RETURN(auto reply, net::HttpCall(r));
  if (reply.status == 401)
    return Status::Unauthenticated("StarRocks refused the user '" + fe_.user + "' (HTTP 401); check destination.user "
                                   "and destination.password");
  std::string state = ParseTxnReply(reply.body).state;
  if (state.empty()) return Status::FailedPrecondition("StarRocks get_load_state answered: " + reply.body.substr(0, 300));
  return state;
}


}  // namespace dbsync::starrocks
