#include "sink/postgres/pg_connection.hpp"

#include "core/text_util.hpp"
#include "sink/postgres/pg_stall_watch.hpp"

namespace dbsync::postgres {
namespace {

bool IsLibpqTlsError(const std::string& message) {
  for (const char* s : {"SSL", "certificate", "does not match host name", "sslmode", "root.crt"})
    if (message.find(s) != std::string::npos && message.find("SSL SYSCALL") == std::string::npos) return true;
  return false;
}

Status ClassifyConnectError(const std::string& message, const Endpoint& ep, const std::string& where) {
  std::string text = "cannot connect to PostgreSQL (" + where + ") as '" + ep.user + "': " + message;
  if (IsLibpqTlsError(message))
    return Status::FailedPrecondition("cannot connect to PostgreSQL (" + where + ") as '" + ep.user +
                                      "': " + TlsFailureText(message, ep.tls, ep.tls_setting, ep.host));
  if (message.find("password authentication failed") != std::string::npos ||
      message.find("no password supplied") != std::string::npos)
    return Status::Unauthenticated(text + "; check the user and password in the task spec");
  if (message.find("does not exist") != std::string::npos && message.find("database") != std::string::npos)
    return Status::NotFound(text + "; create the database (CREATE DATABASE " + QuoteIdentifier(ep.database) +
                            ") or fix destination.database");
  return Status::Unavailable(text + "; check that the server is running and reachable at " + where);
}

}  // namespace

Result<Connection> Connection::Connect(const Endpoint& ep) {
  std::string port = std::to_string(ep.port);
  std::string timeout = std::to_string(ep.connect_timeout_seconds);
  static const char* const kSslModes[] = {"disable", "prefer", "require", "verify-ca", "verify-full"};
  std::vector<const char*> keys = {"host", "port", "dbname", "user", "password", "connect_timeout",
                                   "application_name", "client_encoding", "sslmode"};
  std::vector<const char*> values = {ep.host.c_str(), port.c_str(), ep.database.c_str(), ep.user.c_str(),
                                     ep.password.c_str(), timeout.c_str(), "sync", "UTF8",
                                     kSslModes[static_cast<size_t>(ep.tls.mode)]};
  for (const auto& [key, value] : {std::pair{"sslrootcert", &ep.tls.ca}, std::pair{"sslcert", &ep.tls.cert},
                                   std::pair{"sslkey", &ep.tls.key}}) {
    if (value->empty()) continue;
    keys.push_back(key);
    values.push_back(value->c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 0);
  std::string where = ep.host + ":" + port + "/" + ep.database;
  Connection conn(c, where);
  if (!c) return Status::Internal("out of memory creating a PostgreSQL connection");
  if (PQstatus(c) != CONNECTION_OK) return ClassifyConnectError(Trim(PQerrorMessage(c)), ep, where);
  StallWatch::Watch(c, ep, ep.stall_timeout_seconds);
  return conn;
}

TlsState Connection::Tls() const {
  TlsState state;
  if (PQsslInUse(conn_.get()) == 0) return state;
  state.encrypted = true;
  const char* version = PQsslAttribute(conn_.get(), "protocol");
  const char* cipher = PQsslAttribute(conn_.get(), "cipher");
  state.version = version ? version : "";
  state.cipher = cipher ? cipher : "";
  return state;
}

void Connection::Closer::operator()(PGconn* c) const {
  StallWatch::Forget(c);
  PQfinish(c);
}

Result<QueryResult> Connection::Query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  StallWatch::Waiting waiting(conn_.get());
  PGresult* res = PQexecParams(conn_.get(), sql.c_str(), int(values.size()), nullptr,
                               values.empty() ? nullptr : values.data(), nullptr, nullptr, 0);
  std::unique_ptr<PGresult, decltype(&PQclear)> guard(res, PQclear);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    const char* state_field = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state_field ? state_field : "";
    std::string msg = "PostgreSQL (" + where_ + "): " + Trim(PQerrorMessage(conn_.get()));
    if (auto cut = StallWatch::CutReason(conn_.get())) return Status::Unavailable(*cut);
    if (auto lost = SessionLost(conn_.get(), sqlstate)) return Status::Unavailable(msg + " (" + *lost + ")");
    if (sqlstate == "42501") return Status::PermissionDenied(msg);
    return Status::FailedPrecondition(msg);
  }
  QueryResult out;
  int cols = PQnfields(res);
  for (int i = 0; i < cols; ++i) out.columns.emplace_back(PQfname(res, i));
  int rows = PQntuples(res);
  out.rows.reserve(size_t(rows));
  for (int r = 0; r < rows; ++r) {
    TextRow row(static_cast<size_t>(cols));
    for (int i = 0; i < cols; ++i)
      if (!PQgetisnull(res, r, i)) row[static_cast<size_t>(i)] = std::string(PQgetvalue(res, r, i), static_cast<size_t>(PQgetlength(res, r, i)));
    out.rows.push_back(std::move(row));
  }
  return out;
}

Status Connection::Execute(const std::string& sql, const std::vector<std::string>& params) {
  auto r = Query(sql, params);
  return r.ok() ? Status::Ok() : r.status();
}

std::optional<std::string> SessionLost(PGconn* conn, const std::string& sqlstate) {
  if (PQstatus(conn) != CONNECTION_OK || sqlstate.starts_with("08")) return "the connection was lost";
  if (sqlstate.starts_with("57")) return "the server ended or cancelled the session";
  return std::nullopt;
}

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace dbsync::postgres
