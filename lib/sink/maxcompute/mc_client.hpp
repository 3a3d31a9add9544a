#pragma once
// A client of MaxCompute (ODPS), specs/maxcompute.md 1-3: signed requests to
// the service endpoint (SQL instances, table metadata, tunnel discovery) and
// to the Table Tunnel (batch upload sessions, in mc_upload.cpp).
//
// Every request carries Date, User-Agent, x-odps-user-agent and
// curr_project=<project>, is signed with the AccessKey (V2, 1.3), and its
// refusal becomes a Status that keeps the service's code and text and says
// what to fix (mc_errors.hpp). Transport failures, 5xx and throttling are
// retried with exponential backoff (and the wait the service asks for) on
// calls that may be repeated: every call this client makes is such a call
// (an instance carries a Guid, a block id replaces its block, a commit
// recognises one that already happened, a duplicate upload session is only
// an empty session that expires).
//
// Thread-safety: a Client may be shared by threads; its only mutable state is
// the discovered tunnel endpoint, behind a mutex. The AccessKey secret is
// never logged nor put in a message.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "core/tls_options.hpp"
#include "net/http_client.hpp"
#include "sink/maxcompute/mc_errors.hpp"
#include "sink/maxcompute/mc_signature.hpp"
#include "sink/maxcompute/mc_upload.hpp"

namespace dbsync::maxcompute {

struct RetryPolicy {
  int attempts = 5;  // tries of one call, the first included
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
};

struct ClientOptions {
  std::string endpoint;  // service endpoint with its path, e.g. https://service.cn-hangzhou.maxcompute.aliyun.com/api
  std::string project;
  AccessKey key;
  std::string tunnel_endpoint;  // e.g. https://dt.cn-hangzhou.maxcompute.aliyun.com; discovered when empty (1.1)
  std::string user_agent = "sync-maxcompute/1";
  RetryPolicy retry;
  // SQL instances and upsert commits are polled from the first interval,
  // doubling up to the second, until done or their timeout (2.2, 4.2 item 6).
  std::chrono::milliseconds poll_first{100}, poll_max{2000};
  std::chrono::seconds sql_timeout{3600};
  std::chrono::seconds upsert_commit_timeout{120};
  int request_timeout_ms = 600000;
  TlsOptions tls;  // destination.tls, for https endpoints (the service's and the tunnel's)
  int deflate_level = 1;  // zlib level of deflated blocks: speed first, varints compress well anyway
  // The time requests are signed with (tests skew it); system_clock::now when empty.
  std::function<std::chrono::system_clock::time_point()> clock;
  // Told about each retry (never sees the secret); silent when empty.
  std::function<void(const std::string&)> log;
};

using SqlSettings = std::map<std::string, std::string>;

// Sent with every statement unless the caller overrides them: the 2.0 type
// system and DECIMAL(p,s) (2.3, 5.1), and full scans of partitioned tables,
// which the replicator's rebuild and merge statements do on purpose (4.3).
SqlSettings DefaultSqlSettings();

struct TableColumn {
  std::string name;
  std::string type;  // as MaxCompute spells it, e.g. "bigint", "decimal(10,2)", "varchar(20)"
  std::string comment;
  bool nullable = true;
};

struct TableInfo {
  std::string name;
  std::vector<TableColumn> columns;
  std::vector<TableColumn> partition_keys;
  bool transactional = false;
  std::vector<std::string> primary_key;
  std::string schema_version;
};

// The <Schema> of a <Table format="json"> reply (GET .../tables/<t>): pyodps'
// shape, with the table's properties as JSON text under "Reserved".
// kCorruption when it is not that.
Result<TableInfo> ParseTableInfo(const std::string& xml, const std::string& table);

enum class Endpoint { kService, kTunnel };

// One signed call. Resource and query are plain text: the client encodes them.
struct Call {
  Endpoint endpoint = Endpoint::kService;
  std::string method = "GET";
  std::string resource;  // relative to the endpoint, e.g. "/projects/p1/tables/t1"
  std::vector<std::pair<std::string, std::string>> query;  // "" sends a bare key
  std::string_view body;                                   // must outlive the call
  HeaderList headers;  // besides the common ones: Content-Type, Content-Encoding, odps-tunnel-*
  bool retry = true;   // false for a call that must not be repeated
  std::string what;    // for messages: "creating an upload session for table t1"
};

// The zlib-wrapped deflate (RFC 1950) of a record stream, sent with
// Content-Encoding: deflate (3.4).
Result<std::string> Deflate(std::string_view records, int level);

class Client {
 public:
  explicit Client(ClientOptions options);

  const ClientOptions& options() const { return options_; }

  // Runs one statement as a SQL instance and waits for it (2.1, 2.2). The
  // result text (CSV for a SELECT, usually empty for DDL/DML), or the task's
  // failure with the service's message (SqlErrorStatus). `settings` are
  // merged over DefaultSqlSettings(). A ';' is appended when missing.
  Result<std::string> RunSql(const std::string& sql, const SqlSettings& settings = {}) const;

  // GET /projects/{p}/tables/{t}: nullopt when the table does not exist.
  Result<std::optional<TableInfo>> GetTable(const std::string& table) const;

  // The configured tunnel endpoint, or the one the service names (1.1),
  // asked once and kept.
  Result<std::string> TunnelEndpoint() const;

  // Batch upload (3.2-3.5), see mc_upload.hpp for the session's states.
  Result<UploadSession> CreateUploadSession(const UploadTarget& target, const UploadOptions& options = {}) const;
  // The session as the tunnel sees it now: status and blocks uploaded, to
  // resume after a crash.
  Result<UploadSession> GetUploadSession(const UploadTarget& target, const std::string& upload_id) const;
  // Sends one block: `records` is a complete record stream (3.6), deflated
  // here (zlib, Content-Encoding: deflate) when `deflate`. Sending a block id
  // again replaces that block.
  Status UploadBlock(const UploadSession& session, int64_t block_id, std::string_view records, bool deflate) const;
  // Checks that the tunnel holds exactly `block_ids`, then commits: the rows
  // of every block become visible at once. kAlreadyCommitted when the session
  // had been committed before (e.g. by an attempt whose answer was lost);
  // kFailedPrecondition when blocks are missing or extra (upload them again,
  // the message lists them) or the session expired.
  Result<CommitOutcome> CommitUploadSession(const UploadSession& session, const std::vector<int64_t>& block_ids) const;

  // Sends `call` with the common headers and signature; retries transient
  // failures when call.retry. Replies below 400 are returned (the caller
  // handles 3xx); others become ServiceErrorStatus.
  Result<net::HttpResponse> Send(const Call& call) const;
  // Like Send, but any HTTP reply is returned once retries are done, for
  // callers that act on a particular refusal (ParseServiceError).
  Result<net::HttpResponse> Exchange(const Call& call) const;
  // The Status of a refused reply to `call`.
  Status Refusal(const Call& call, const net::HttpResponse& reply) const;
  // A call of the tunnel on a table (`suffix` "" or "/upserts"), with the
  // common tunnel headers and the partition, which every call of a session
  // repeats (3.1).
  Call TunnelCall(const std::string& method, const UploadTarget& target,
                  std::vector<std::pair<std::string, std::string>> query, std::string what,
                  const std::string& suffix = "") const;

 private:
  Result<net::HttpResponse> SendOnce(const Call& call, std::chrono::system_clock::time_point* signed_at) const;
  std::chrono::milliseconds Backoff(int attempt) const;
  Result<std::string> SubmitInstance(const std::string& sql, const SqlSettings& settings) const;
  Status WaitForInstance(const std::string& instance_id) const;
  Result<std::string> InstanceResult(const std::string& instance_id, bool* succeeded) const;
  Result<UploadSession> UploadSessionCall(const UploadTarget& target, const std::string& method,
                                          std::vector<std::pair<std::string, std::string>> query,
                                          const std::string& what) const;

  ClientOptions options_;
  mutable std::mutex tunnel_mu_;
  mutable std::string discovered_tunnel_;  // guarded by tunnel_mu_
};

}  // namespace dbsync::maxcompute
