#pragma once
// A MySQL-protocol client: RAII over a MariaDB Connector/C handle, used for
// the MySQL source and for destinations that speak the protocol (the
// StarRocks FE query port). Errors come back as Status with a
// message that says what to do: a wrong password is kUnauthenticated, an
// unreachable server kUnavailable, a missing privilege kPermissionDenied.

#include <mysql.h>

#include <memory>
#include <string>

#include "core/query_result.hpp"
#include "core/status.hpp"
#include "core/tls_options.hpp"

namespace dbsync::mysql {

struct Endpoint {
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;  // resolved value; never logged
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 60;
  std::string server_kind = "MySQL";  // how messages name the server ("the StarRocks FE")
  std::string credentials = "the user and password in the task spec";  // where a refused login is fixed
  TlsOptions tls;                         // preferred: TLS when the server offers it
  std::string tls_setting = "source.tls";  // where the TLS settings are fixed, for messages
};

// Whether a client error code means the connection broke (refused, reset,
// cut mid-packet): a new connection may succeed, so the caller retries.
bool IsConnectionLost(unsigned client_error_code);

// mysql_close sends COM_QUIT and returns at once, while the server's thread
// (counted by max_user_connections and shown in PROCESSLIST) ends a moment
// later. The closer waits, briefly, for the server to close its end, so a
// connection closed before the next opens is gone from the server's count
// (runtime.max_source_connections).
struct ConnectionCloser {
  bool await_server = true;
  void operator()(MYSQL* m) const;
};

class Connection {
 public:
  static Result<Connection> Connect(const Endpoint& endpoint);

  Result<QueryResult> Query(const std::string& sql);
  Status Execute(const std::string& sql);
  // "10.11.19-MariaDB-0+deb12u1" and the like.
  std::string ServerVersion() const;
  bool IsMariaDB() const;
  // Whether the connection is encrypted, with which protocol and cipher.
  TlsState Tls() const;
  MYSQL* handle() { return handle_.get(); }
  // For a connection that reads no more commands (a binlog dump): closing it
  // then does not wait for the server to see COM_QUIT.
  void CloseWithoutWaiting() { handle_.get_deleter().await_server = false; }

 private:
  Connection(MYSQL* m, std::string where, std::string credentials)
      : handle_(m), where_(std::move(where)), credentials_(std::move(credentials)) {}
  Status LastError(const std::string& what);

  std::unique_ptr<MYSQL, ConnectionCloser> handle_;
  std::string where_;        // "host:port" for messages
  std::string credentials_;  // where a refused login is fixed
};

// Single-quoted SQL string literal with backslashes and quotes escaped.
std::string QuoteString(const std::string& s);
// Backquoted identifier, doubling embedded backquotes.
std::string QuoteIdentifier(const std::string& s);

}  // namespace dbsync::mysql
