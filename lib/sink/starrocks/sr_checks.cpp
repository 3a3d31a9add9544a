#include "sink/starrocks/sr_checks.hpp"

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>

#include "check/source_checks.hpp"
#include "core/text_util.hpp"
#include "net/http_client.hpp"
#include "net/mysql_client.hpp"
#include "pipeline/table_binding.hpp"
#include "sink/starrocks/sr_endpoint.hpp"
#include "sink/starrocks/sr_types.hpp"

namespace dbsync::starrocks {
namespace {

using check::Verdict;

// A failed TLS handshake: the connection's item points at the TLS item,
// which carries the message (with its fix, tls_options.hpp).
void AddTlsFailure(const std::string& connect_item, const std::string& tls_item, const std::string& message,
                   check::CheckReport& report) {
  report.Add(connect_item, Verdict::kFail, "the TLS handshake failed (see " + tls_item + ")",
             "fix destination.tls or the FE's TLS setup");
  report.Add(tls_item, Verdict::kFail, message,
             "fix destination.tls (mode, ca, cert, key) or the FE's certificate, as the message says");
}

// What Stream Load's two legs negotiate: to the FE (https with
// destination.https_port) and to the BE it redirects to, which real
// StarRocks always names as http:// (sr_endpoint.hpp). Plain is a warning
// unless the spec asks for no TLS: neither the mode nor sync can encrypt it.
void AddStreamLoadTlsItem(const config::DestinationSpec& d, const net::HttpResponse& fe_reply,
                          const std::string& be, check::CheckReport& report) {
  const bool fe_tls = d.https_port > 0;
  const bool be_tls = be.rfind("https://", 0) == 0;
  std::string text = "to the FE at " + FeHttpBase(d) + ": " +
                     (fe_tls ? DescribeTls(fe_reply.tls, d.tls, d.host) : std::string("not encrypted (plain HTTP)")) +
                     "; to the BE at " + be + ": " + (be_tls ? "encrypted" : "not encrypted (plain HTTP)");
  if (fe_tls && be_tls) {
    report.Add("destination.tls.stream_load", Verdict::kPass, text);
    return;
  }
  if (d.tls.mode == TlsMode::kDisabled) {
    report.Add("destination.tls.stream_load", Verdict::kPass, text + " (destination.tls.mode is disabled)");
    return;
  }
  report.Add("destination.tls.stream_load", Verdict::kWarn,
             text + ". Rows, destination.user and destination.password cross the network unencrypted to the BE: "
                    "StarRocks serves Stream Load on the BE's HTTP port without TLS and its FE redirects loads to "
                    "http://; destination.tls covers the FE's MySQL connection" +
                 (fe_tls ? std::string(" and its HTTPS port") : std::string()),
             "keep the FE's and the BEs' HTTP ports on a private network or an encrypted tunnel (WireGuard, IPsec)" +
                 (fe_tls ? std::string() : std::string("; on StarRocks 4.0+ destination.https_port encrypts the FE leg")));
}

// The FE's HTTP port: Stream Load goes there. A redirect proves the
// credentials were accepted (the FE authenticates before it redirects,
// specs/starrocks.md 1.3); the BE it names must be reachable from here too,
// which a cluster advertising internal addresses breaks.
void CheckHttp(const sink::CheckInput& in, const std::string& db, check::CheckReport& report) {
  const auto& d = in.spec.destination;
  const std::string port_key = d.https_port > 0 ? "destination.https_port (the FE's https_port, 8443 by default)"
                                                : "destination.http_port (the FE's http_port, 8030 by default)";
  net::HttpRequest r;
  r.method = "PUT";
  r.url = FeHttpBase(d) + "/api/" + db + "/sync_check_probe/_stream_load";
  r.user = d.user;
  r.password = in.secret;
  r.tls = d.tls;
  r.follow_redirects = false;
  r.expect_continue = true;
  r.connect_timeout_ms = d.connect_timeout_seconds * 1000;
  r.timeout_ms = 30000;
  auto got = net::HttpCall(r);
  if (!got.ok() && IsTlsFailure(got.status().message())) {
    AddTlsFailure("destination.http", "destination.tls.stream_load", got.status().message(), report);
    return;
  }
  if (!got.ok()) {
    report.Add("destination.http", Verdict::kFail, got.status().message(),
               "check " + port_key + " and that no firewall blocks it");
    return;
  }
  if (got->status == 401) {
    report.Add("destination.http", Verdict::kFail, "the FE's HTTP port refused user " + d.user + " (HTTP 401)",
               "fix destination.user / destination.password");
    return;
  }
  if (got->status != 307 || !got->headers.count("location")) {
    report.Add("destination.http", Verdict::kWarn,
               "the FE answered a probe load with HTTP " + std::to_string(got->status) + ": " + got->body.substr(0, 300),
               "check that " + port_key + " is the FE's");
    return;
  }
  report.Add("destination.http", Verdict::kPass, "the FE at " + FeHttpBase(d) + " accepts " + d.user +
                                                     " and redirects loads");
  std::string location = got->headers["location"];
  static const std::regex kBase(R"(^(https?://[^/]+))");
  std::smatch m;
  std::string be = std::regex_search(location, m, kBase) ? m[1].str() : location;
  net::HttpRequest probe;
  probe.url = be + "/api/health";
  probe.connect_timeout_ms = d.connect_timeout_seconds * 1000;
  probe.timeout_ms = 15000;
  auto reached = net::HttpCall(probe);
  if (!reached.ok()) {
    report.Add("destination.backend", Verdict::kFail,
               "the FE sends loads to the BE at " + be + ", which cannot be reached from here: " +
                   reached.status().message(),
               "make the BE's HTTP port reachable from this host, or register the BE under an address that is "
               "(priority_networks in be.conf)");
    return;
  }
  report.Add("destination.backend", Verdict::kPass, "the BE at " + be + " that loads are redirected to answers");
  AddStreamLoadTlsItem(d, *got, be, report);
}

// `partitioned`: a table has tables[].partition, which takes column
// expression partitioning (3.1).
void CheckVersion(mysql::Connection& conn, bool partitioned, check::CheckReport& report) {
  auto v = conn.Query("SELECT current_version()");
  std::string text = v.ok() ? v->Scalar() : "";
  int major = std::atoi(text.c_str());
  size_t dot = text.find('.');
  int minor = dot == std::string::npos ? 0 : std::atoi(text.c_str() + dot + 1);
  if (text.empty())
    report.Add("destination.version", Verdict::kWarn, "current_version() did not answer; is this StarRocks?",
               "point destination.host and destination.port at a StarRocks FE (query port, 9030 by default)");
  else if (major < 3)
    report.Add("destination.version", Verdict::kFail, "StarRocks " + text + " is older than 3.0",
               "upgrade to StarRocks 3.0 or later (the Stream Load transaction interface, RENAME COLUMN)");
  else if (partitioned && major == 3 && minor < 1)
    report.Add("destination.version", Verdict::kFail,
               "StarRocks " + text + " cannot partition a table by a column's values (tables[].partition), which "
               "StarRocks does from 3.1 on",
               "upgrade to StarRocks 3.1 or later, or remove tables[].partition");
  else
    report.Add("destination.version", Verdict::kPass, "StarRocks " + text);
}

// Grants are roles and privileges in StarRocks 3.x' own syntax; the common
// cases are recognised, anything else is a warning with the grants to give.
void CheckPrivileges(mysql::Connection& conn, const config::DestinationSpec& d, check::CheckReport& report) {
  auto r = conn.Query("SHOW GRANTS");
  std::string grants;  // the Grants column only: UserIdentity names the user, who may be called root
  int at = r.ok() ? r->ColumnIndex("Grants") : -1;
  if (r.ok())
    for (const auto& row : r->rows)
      if (at >= 0 && size_t(at) < row.size()) grants += " " + ToLower(row[at].value_or(""));
  // The built-in roles, granted as GRANT 'root' TO ... (not the user's name,
  // which may be root too).
  bool admin = grants.find("grant 'root' to") != std::string::npos ||
               grants.find("grant 'db_admin' to") != std::string::npos ||
               grants.find("all privileges") != std::string::npos;
  bool creates = grants.find("create database") != std::string::npos || grants.find("create table") != std::string::npos;
  bool loads = grants.find("insert") != std::string::npos;
  if (admin || (creates && loads)) {
    report.Add("destination.privileges", Verdict::kPass, "user " + d.user + " may create tables and load into them");
    return;
  }
  report.Add("destination.privileges", Verdict::kWarn,
             "cannot tell from SHOW GRANTS that user " + d.user + " may create databases and tables and load (" +
                 (r.ok() ? grants.substr(0, 300) : r.status().message()) + ")",
             "GRANT CREATE DATABASE ON CATALOG default_catalog TO USER " + d.user +
                 "; and CREATE TABLE, INSERT, UPDATE, DELETE, ALTER, DROP, SELECT on its databases");
}

// Every selected table as StarRocks would get it: database names StarRocks
// accepts, key types it can hold.
void CheckTables(const sink::CheckInput& in, check::CheckReport& report) {
  static const std::regex kDbName(R"(^[a-zA-Z]\w{0,255}$|^_[a-zA-Z0-9]\w{0,254}$)");
  std::vector<std::string> problems;
  std::set<std::string> bad_dbs;
  for (const auto& t : in.tables) {
    if (t.schema.columns.empty()) continue;  // unreadable: the source items said so
    sink::TableBinding b = pipeline::BindTable(in.spec, t.schema);
    if (!std::regex_match(b.dest_schema, kDbName)) bad_dbs.insert(b.dest_schema);
    if (b.key.empty()) continue;  // source.primary_keys says what to do
    auto mapped = MapColumns(b.source, b.key);
    if (!mapped.ok()) problems.push_back(mapped.status().message());
  }
  for (const auto& db : bad_dbs)
    problems.push_back("database name '" + db + "' is not one StarRocks accepts (a letter first, then letters, "
                       "digits and _); map it to another name with mapping.schema");
  if (problems.empty()) {
    report.Add("destination.tables", Verdict::kPass, "every selected table maps to a StarRocks Primary Key table");
    return;
  }
  report.Add("destination.tables", Verdict::kFail, Join(problems, "; "),
             "set tables[].primary_key or mapping.schema as each problem says");
}

}  // namespace

void CheckStarRocks(const sink::CheckInput& in, check::CheckReport& report) {
  const auto& d = in.spec.destination;
  if (Status https = HttpsPortTakesTls(d); !https.ok()) {
    report.Add("destination.tls", Verdict::kFail, https.message(), "remove destination.https_port or change destination.tls.mode");
    return;
  }
  auto conn = mysql::Connection::Connect(FeEndpoint(d, in.secret, 60));
  if (!conn.ok() && IsTlsFailure(conn.status().message())) {
    AddTlsFailure("destination.connect", "destination.tls", conn.status().message(), report);
    return;
  }
  if (!conn.ok()) {
    std::string fix = conn.status().code() == StatusCode::kUnauthenticated
                          ? "fix destination.user / destination.password"
                          : "check destination.host and destination.port (the FE's query port, 9030 by default), "
                            "that the FE runs, and that no firewall blocks it";
    report.Add("destination.connect", Verdict::kFail, conn.status().message(), fix);
    return;
  }
  report.Add("destination.connect", Verdict::kPass,
             "logged in to the StarRocks FE at " + d.host + ":" + std::to_string(d.port) + " as " + d.user);
  check::AddTlsItem("destination.tls", conn->Tls(), d.tls, d.host,
                    "the FE's MySQL connection (DDL, checkpoints, reads; Stream Load: destination.tls.stream_load): ",
                    report);
  if (in.scope == check::CheckScope::kConnectivity) return;
  const bool partitioned =
      std::any_of(in.spec.tables.begin(), in.spec.tables.end(), [](const auto& t) { return t.partition.has_value(); });
  CheckVersion(*conn, partitioned, report);
  std::string db = d.database;
  for (const auto& t : in.tables)
    if (!t.schema.columns.empty()) {
      db = pipeline::BindTable(in.spec, t.schema).dest_schema;
      break;
    }
  CheckHttp(in, db, report);
  CheckPrivileges(*conn, d, report);
  CheckTables(in, report);
}

}  // namespace dbsync::starrocks
