#include "sink/postgres/pg_exec.hpp"

#include <cstdlib>
#include <memory>

#include "core/text_util.hpp"
#include "sink/postgres/pg_stall_watch.hpp"

namespace dbsync::postgres {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

Status ErrorStatus(PGconn* conn, const PGresult* res) {
  if (auto cut = StallWatch::CutReason(conn)) return Status::Unavailable(*cut + "; the batch will be retried");
  std::string msg = Trim(res ? PQresultErrorMessage(res) : "");
  if (msg.empty()) msg = Trim(PQerrorMessage(conn));
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  msg = "PostgreSQL: " + msg;
  if (auto lost = SessionLost(conn, sqlstate))
    return Status::Unavailable(msg + " (" + *lost + "; the batch will be retried)");
  if (sqlstate == "42501") return Status::PermissionDenied(msg + "; grant the destination user the privilege");
  // Serialization failures and deadlocks succeed when retried.
  if (sqlstate == "40001" || sqlstate == "40P01") return Status::Unavailable(msg);
  // Data exceptions, NOT NULL and CHECK violations: a row the destination refuses.
  if (sqlstate.starts_with("22") || sqlstate == "23502" || sqlstate == "23514") return Status::DataRejected(msg);
  return Status::FailedPrecondition(msg);
}

// Drains the results after a command; the first error wins.
Result<long> Finish(PGconn* conn) {
  StallWatch::Waiting waiting(conn);
  Status first;
  long rows = 0;
  while (PGresult* r = PQgetResult(conn)) {
    ResultPtr guard(r, PQclear);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      rows += std::atol(PQcmdTuples(r));
    } else if (first.ok()) {
      first = ErrorStatus(conn, r);
    }
  }
  if (!first.ok()) return first;
  return rows;
}

}  // namespace

Result<long> ExecParams(PGconn* conn, const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  StallWatch::Waiting waiting(conn);
  ResultPtr res(PQexecParams(conn, sql.c_str(), int(values.size()), nullptr, values.empty() ? nullptr : values.data(),
                             nullptr, nullptr, 0),
                PQclear);
  ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorStatus(conn, res.get());
  return std::atol(PQcmdTuples(res.get()));
}

Result<CopyIn> CopyIn::Start(PGconn* conn, const std::string& copy_sql) {
  StallWatch::Waiting waiting(conn);
  ResultPtr res(PQexec(conn, copy_sql.c_str()), PQclear);
  if (PQresultStatus(res.get()) != PGRES_COPY_IN) {
    Status s = ErrorStatus(conn, res.get());
    res.reset();
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
    return s;
  }
  return CopyIn(conn);
}

CopyIn::~CopyIn() {
  if (!conn_) return;
  StallWatch::Waiting waiting(conn_);
  // An abandoned copy fails the transaction on the server; the owner rolls back.
  if (PQputCopyEnd(conn_, "abandoned by sync") == 1)
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
}

Status CopyIn::Put(const std::string& data) {
  if (data.empty()) return Status::Ok();
  StallWatch::Waiting waiting(conn_);  // a full send buffer blocks
  if (PQputCopyData(conn_, data.data(), int(data.size())) != 1) return ErrorStatus(conn_, nullptr);
  return Status::Ok();
}

Result<long> CopyIn::End() {
  PGconn* conn = conn_;
  conn_ = nullptr;
  StallWatch::Waiting waiting(conn);
  if (PQputCopyEnd(conn, nullptr) != 1) return ErrorStatus(conn, nullptr);
  return Finish(conn);
}

Status DeferredStatement::Send(PGconn* conn, const std::string& sql, std::string what, const Params& params) {
  SYNC_RETURN_IF_ERROR(Settle());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  StallWatch::Waiting waiting(conn);  // a large statement fills the send buffer
  const int sent = params.empty() ? PQsendQuery(conn, sql.c_str())
                                  : PQsendQueryParams(conn, sql.c_str(), int(values.size()), nullptr, values.data(),
                                                      nullptr, nullptr, 0);
  if (sent != 1) return ErrorStatus(conn, nullptr).WithContext(what);
  conn_ = conn;
  what_ = std::move(what);
  return Status::Ok();
}

Status DeferredStatement::Settle() {
  if (!conn_) return Status::Ok();
  auto done = Finish(conn_);
  conn_ = nullptr;
  return done.ok() ? Status::Ok() : done.status().WithContext(what_);
}

Transaction::Transaction(PGconn* conn) : conn_(conn) {
  auto r = ExecParams(conn_, "BEGIN");
  if (!r.ok()) begin_status_ = r.status();
}

Transaction::~Transaction() {
  if (done_ || !begin_status_.ok()) return;
  // Nothing to report: the caller already returns the error that got us here.
  StallWatch::Waiting waiting(conn_);
  PGresult* r = PQexec(conn_, "ROLLBACK");
  PQclear(r);
}

Status Transaction::Commit() {
  done_ = true;
  StallWatch::Waiting waiting(conn_);
  ResultPtr res(PQexec(conn_, "COMMIT"), PQclear);
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) return ErrorStatus(conn_, res.get());
  // COMMIT of a transaction that already failed answers ROLLBACK, not an error.
  if (std::string(PQcmdStatus(res.get())) == "ROLLBACK")
    return Status::FailedPrecondition("PostgreSQL rolled the transaction back (an earlier statement failed)");
  return Status::Ok();
}

}  // namespace dbsync::postgres
