#include "net/mysql_client.hpp"

#include <errmsg.h>
#include <fcntl.h>
#include <mysqld_error.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace dbsync::mysql {

bool IsConnectionLost(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    // A connection reset in the middle of a packet: what was read is cut short.
    case CR_MALFORMED_PACKET:
    case CR_COMMANDS_OUT_OF_SYNC:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    case CR_ERR_NET_UNCOMPRESS:
    case CR_STMT_CLOSED:  // the statement's connection was closed under it
      return true;
    default:
      return false;
  }
}

namespace {

Status ClassifyError(unsigned code, const std::string& message, const std::string& where, const std::string& what,
                     const std::string& credentials) {
  std::string text = what + " (" + where + "): " + message;
  if (IsConnectionLost(code))
    return Status::Unavailable(text + "; check that the server is running and reachable at " + where);
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return Status::Unauthenticated(text + "; check " + credentials);
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
      return Status::PermissionDenied(text);
    case ER_NO_SUCH_TABLE:
    case ER_BAD_DB_ERROR:
      return Status::NotFound(text);
    default:
      return Status::FailedPrecondition(text);
  }
}

// Connector/C 3.3 takes a connection for secure when TLS was asked for, not
// when it was negotiated (is_connection_secure() in its
// plugins/auth/caching_sha2_pw.c): in the modes that let it fall back to
// plain (all but disabled and verify_identity), with a server offering no
// TLS, it answers caching_sha2_password's "perform full authentication" (an
// account not in the server's cache: after a restart or FLUSH PRIVILEGES)
// with the password in clear, which MySQL refuses off TLS
// (sql/auth/sha2_password.cc) with the error of a wrong password. The hint
// says so; empty for any other failure, and for MariaDB, which has no
// caching_sha2_password and greets without CLIENT_MYSQL.
std::string PlainFallbackLoginHint(MYSQL* m, const TlsOptions& tls, const std::string& setting) {
  const bool mysql_server = m->server_capabilities & CLIENT_MYSQL;
  const bool offered_no_tls = mysql_server && !(m->server_capabilities & CLIENT_SSL);
  const bool falls_back = tls.mode != TlsMode::kDisabled && tls.mode != TlsMode::kVerifyIdentity;
  if (mysql_errno(m) != ER_ACCESS_DENIED_ERROR || !falls_back || !offered_no_tls) return "";
  const std::string fix = tls.mode == TlsMode::kPreferred
                              ? "set " + setting + ".mode: disabled (the password then goes RSA-encrypted with the "
                                "server's public key), or give the server a certificate (ssl_cert, ssl_key)"
                              : "give the server a certificate (ssl_cert, ssl_key): " + setting + ".mode " +
                                    TlsModeName(tls.mode) + " wants TLS";
  return "; if the password is right: the server offers no TLS, and a MySQL 8 account using caching_sha2_password "
         "that is not in the server's cache (after a restart or FLUSH PRIVILEGES) is then refused, because the "
         "client library sent its password unencrypted; " + fix;
}

// Reads (and drops) what the server still sends, such as a TLS close_notify,
// until it closes the connection, an error, or `limit`: a server that is gone
// or cut off costs at most that.
void AwaitServerClose(int fd, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[512];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, int(left.count())) <= 0) return;
    const ssize_t got = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) return;
  }
}

}  // namespace

void ConnectionCloser::operator()(MYSQL* m) const {
  const int socket = await_server ? int(mysql_get_socket(m)) : -1;
  const int watch = socket < 0 ? -1 : fcntl(socket, F_DUPFD_CLOEXEC, 0);
  mysql_close(m);
  if (watch < 0) return;
  AwaitServerClose(watch, std::chrono::milliseconds(200));
  close(watch);
}

Result<Connection> Connection::Connect(const Endpoint& ep) {
  MYSQL* m = mysql_init(nullptr);
  if (!m) return Status::Internal("out of memory creating a MySQL connection");
  unsigned connect_timeout = unsigned(ep.connect_timeout_seconds);
  unsigned read_timeout = unsigned(ep.read_timeout_seconds);
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Connector/C 3.3 uses TLS once any TLS option is set, falls back to plain
  // when the server offers none unless the certificate is to be verified,
  // checks the chain when a CA is given, and the host name only with
  // VERIFY_SERVER_CERT. Mode required is enforced below, after the login.
  const TlsOptions& tls = ep.tls;
  if (tls.mode != TlsMode::kDisabled) {
    my_bool on = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
    if (!tls.ca.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CA, tls.ca.c_str());
    if (!tls.cert.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_CERT, tls.cert.c_str());
    if (!tls.key.empty()) mysql_optionsv(m, MYSQL_OPT_SSL_KEY, tls.key.c_str());
    if (tls.mode == TlsMode::kVerifyIdentity) mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  }
  // Never read ~/.my.cnf: the task spec is the only configuration.
  std::string where = ep.host + ":" + std::to_string(ep.port);
  Connection conn(m, where, ep.credentials);
  if (!mysql_real_connect(m, ep.host.c_str(), ep.user.c_str(), ep.password.c_str(), nullptr,
                          unsigned(ep.port), nullptr, CLIENT_MULTI_RESULTS)) {
    std::string what = "cannot connect to " + ep.server_kind + " as '" + ep.user + "'";
    if (mysql_errno(m) == CR_SSL_CONNECTION_ERROR)
      return Status::FailedPrecondition(what + " (" + where + "): " +
                                        TlsFailureText(mysql_error(m), tls, ep.tls_setting, ep.host));
    Status refused = conn.LastError(what);
    // Without TLS on the server the login failed for want of it, not of a client certificate.
    const std::string hint = PlainFallbackLoginHint(m, tls, ep.tls_setting);
    if (!hint.empty()) return Status::Unauthenticated(refused.message() + hint);
    // The server says "access denied" alike for a wrong password and for an
    // account that requires a client certificate it was not shown.
    if (refused.code() == StatusCode::kUnauthenticated && tls.cert.empty() && tls.mode != TlsMode::kDisabled)
      return Status::Unauthenticated(refused.message() + " (or, if the account REQUIREs X509, a SUBJECT or an ISSUER, "
                                     "set " + ep.tls_setting + ".cert and " + ep.tls_setting + ".key)");
    return refused;
  }
  if (tls.mode != TlsMode::kDisabled && tls.mode != TlsMode::kPreferred && !conn.Tls().encrypted)
    return Status::FailedPrecondition("cannot connect to " + ep.server_kind + " (" + where + "): " +
                                      TlsFailureText("the server offers no TLS", tls, ep.tls_setting, ep.host));
  return conn;
}

Status Connection::LastError(const std::string& what) {
  return ClassifyError(mysql_errno(handle_.get()), mysql_error(handle_.get()), where_, what, credentials_);
}

Result<QueryResult> Connection::Query(const std::string& sql) {
  if (mysql_real_query(handle_.get(), sql.data(), sql.size()) != 0) return LastError("query failed: " + sql);
  QueryResult out;
  MYSQL_RES* res = mysql_store_result(handle_.get());
  if (!res) {
    // A result set cut short by a lost connection comes back as no result
    // set at all: Connector/C clears the field count as it closes the
    // connection, and only the error (CR_SERVER_LOST) tells.
    if (mysql_field_count(handle_.get()) != 0 || mysql_errno(handle_.get()) != 0)
      return LastError("cannot read result of: " + sql);
    return out;
  }
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> guard(res, mysql_free_result);
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned i = 0; i < n; ++i) out.columns.emplace_back(fields[i].name);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* lengths = mysql_fetch_lengths(res);
    TextRow r(n);
    for (unsigned i = 0; i < n; ++i)
      if (row[i]) r[i] = std::string(row[i], lengths[i]);
    out.rows.push_back(std::move(r));
  }
  return out;
}

Status Connection::Execute(const std::string& sql) {
  auto r = Query(sql);
  return r.ok() ? Status::Ok() : r.status();
}

std::string Connection::ServerVersion() const { return mysql_get_server_info(handle_.get()); }

TlsState Connection::Tls() const {
  TlsState state;
  const char* cipher = mysql_get_ssl_cipher(handle_.get());
  if (!cipher) return state;
  state.encrypted = true;
  state.cipher = cipher;
  const char* version = nullptr;
  if (mariadb_get_infov(handle_.get(), MARIADB_CONNECTION_TLS_VERSION, &version) == 0 && version) state.version = version;
  return state;
}

bool Connection::IsMariaDB() const { return ServerVersion().find("MariaDB") != std::string::npos; }

std::string QuoteString(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string QuoteIdentifier(const std::string& s) {
  std::string out = "`";
  for (char c : s) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

}  // namespace dbsync::mysql
