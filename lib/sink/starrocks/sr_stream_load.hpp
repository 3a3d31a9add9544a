#pragma once
// The StarRocks Stream Load transaction interface (specs/starrocks.md 1.12):
// begin, load (any number of bodies), prepare, then commit or rollback,
// each sent to the FE's HTTP port, which redirects to the BE that holds the
// transaction. Bodies are JSON arrays of row objects with `__op` (1.7, 3.3).
//
// Outcomes that decide what the sink does are typed (TxnOutcome); anything
// else is an error whose message carries StarRocks' own text and, for
// filtered rows, the first lines of the error log behind ErrorURL (1.8).
// Begin, commit, rollback and state queries are retried on transport errors
// and 5xx with backoff: the label makes them idempotent. A load is never
// retried inside a transaction (the body could land twice).

#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "core/tls_options.hpp"
#include "net/http_client.hpp"

namespace dbsync::starrocks {

struct HttpEndpoint {
  std::string base;  // the FE's HTTP API: "http://fe:8030", or "https://fe:8443" (4.0+ enable_https)
  std::string user;
  std::string password;
  // A transaction must be prepared this long after it begins (the begin
  // `timeout` header): a chunk or a large source transaction loads in it.
  int timeout_seconds = 3600;
  TlsOptions tls;  // destination.tls, for an https base (the BEs loads are redirected to are http://)
};

enum class TxnOutcome {
  kDone,              // begun / prepared / committed / rolled back as asked
  kAlreadyCommitted,  // the label's transaction committed earlier
  kAlreadyAborted,    // the label's transaction was rolled back or timed out
  kRunning,           // begin: the label belongs to a transaction still open
  kUnknown,           // no transaction has the label (never begun, or forgotten)
};

class StreamLoadClient {
 public:
  explicit StreamLoadClient(HttpEndpoint fe) : fe_(std::move(fe)) {}

  Result<TxnOutcome> Begin(const std::string& db, const std::string& table, const std::string& label);
  // Sends one body (a JSON array of row objects) into the open transaction.
  // With `partial_columns` (a `columns` list), a partial update: rows set
  // those columns and leave the others as they are (1.6; every load of one
  // transaction must say the same).
  Status Load(const std::string& db, const std::string& table, const std::string& label, std::string_view body,
              const std::string& partial_columns = "");
  Result<TxnOutcome> Prepare(const std::string& db, const std::string& table, const std::string& label);
  Result<TxnOutcome> Commit(const std::string& db, const std::string& table, const std::string& label);
  Result<TxnOutcome> Rollback(const std::string& db, const std::string& table, const std::string& label);
  // GET /api/{db}/get_load_state: UNKNOWN, PREPARE, PREPARED, COMMITTED, VISIBLE or ABORTED.
  Result<std::string> LoadState(const std::string& db, const std::string& label);

 private:
  Result<net::HttpResponse> Send(const std::string& op, const std::string& db, const std::string& table,
                                 const std::string& label, std::string_view body, bool retry,
                                 const std::string& partial_columns = "");
  Result<TxnOutcome> Finish(const std::string& op, const std::string& db, const std::string& table,
                            const std::string& label);

  HttpEndpoint fe_;
};

// The first `lines` lines of a load's error log (its ErrorURL), for messages.
std::string ErrorLogHead(const std::string& url, int lines);

// What a transaction API or get_load_state reply says (1.12): the members
// that decide the outcome, "" when absent or not text. Any bytes are read: a
// body that is not a JSON object reads as all empty.
struct TxnReply {
  std::string status;               // Status: OK, Success, LABEL_ALREADY_EXISTS, TXN_NOT_EXISTS, FAILED, ...
  std::string message;              // Message
  std::string existing_job_status;  // ExistingJobStatus (begin of a used label)
  std::string error_url;            // ErrorURL (rows filtered)
  std::string state;                // state (get_load_state)
};
TxnReply ParseTxnReply(std::string_view body);
// The outcome a begin reply reports; nullopt for a refusal.
std::optional<TxnOutcome> BeginOutcome(const TxnReply& reply);
// The outcome a prepare, commit or rollback (`op`) reply reports; nullopt for a refusal.
std::optional<TxnOutcome> FinishOutcome(std::string_view op, const TxnReply& reply);
// Whether a load reply accepted the body.
bool LoadAccepted(const TxnReply& reply);
// A refusal as a Status: rows StarRocks filtered are kDataRejected, a table,
// database or grant gone kFailedPrecondition, anything else kUnavailable.
Status RefusalStatus(const std::string& text);

}  // namespace dbsync::starrocks
