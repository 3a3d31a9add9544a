#pragma once
// RAII over libpq's PGconn for PostgreSQL and Hologres (which speaks the same
// protocol). Errors are Status values whose message says what to do.

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/query_result.hpp"
#include "core/status.hpp"
#include "core/tls_options.hpp"

namespace dbsync::postgres {

struct Endpoint {
  std::string host;
  int port = 5432;
  std::string database;
  std::string user;
  std::string password;  // resolved value; never logged
  int connect_timeout_seconds = 10;
  // A call without a reply for this long is checked (pg_stall_watch.hpp); 0: never.
  int stall_timeout_seconds = 0;
  TlsOptions tls;  // libpq's sslmode and files; preferred is libpq's default, prefer
  std::string tls_setting = "destination.tls";  // where the TLS settings are fixed, for messages
};

class Connection {
 public:
  static Result<Connection> Connect(const Endpoint& endpoint);

  // Runs one statement; `params` are bound as text ($1, $2, ...).
  Result<QueryResult> Query(const std::string& sql, const std::vector<std::string>& params = {});
  Status Execute(const std::string& sql, const std::vector<std::string>& params = {});
  // server_version, e.g. 150018 for 15.18.
  int ServerVersionNumber() const { return PQserverVersion(conn_.get()); }
  // Whether the connection is encrypted, with which protocol and cipher.
  TlsState Tls() const;
  PGconn* handle() { return conn_.get(); }

 private:
  struct Closer {
    void operator()(PGconn* c) const;
  };
  Connection(PGconn* c, std::string where) : conn_(c), where_(std::move(where)) {}

  std::unique_ptr<PGconn, Closer> conn_;
  std::string where_;
};

// Why the session of a failed statement is gone, when it is: the connection
// broke (class 08, or libpq saw it close), or the server ended or cancelled
// it (class 57: a shutdown or restart, pg_terminate_backend, a cancel). The
// FATAL of an ended session arrives before libpq has seen the socket close,
// so the state alone misses it. nullopt: the session is still usable. A
// lost session is retried on a new connection; any other error is not.
std::optional<std::string> SessionLost(PGconn* conn, const std::string& sqlstate);

// Double-quoted identifier, doubling embedded quotes: safe for any name.
std::string QuoteIdentifier(const std::string& name);
// Single-quoted literal (standard_conforming_strings on), doubling quotes.
std::string QuoteLiteral(const std::string& value);

}  // namespace dbsync::postgres
