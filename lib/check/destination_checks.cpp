#include "check/destination_checks.hpp"

#include <set>

#include "core/text_util.hpp"
#include "pipeline/name_mapping.hpp"
#include "sink/postgres/pg_connection.hpp"

namespace dbsync::check {
namespace {

void CheckPostgres(const config::TaskSpec& spec, const std::string& password, const std::vector<SourceTable>& tables,
                   CheckScope scope, CheckReport& report) {
  const auto& d = spec.destination;
  postgres::Endpoint ep{d.host, d.port, d.database, d.user, password, d.connect_timeout_seconds};
  auto conn = postgres::Connection::Connect(ep);
  if (!conn.ok()) {
    std::string fix = conn.status().code() == StatusCode::kUnauthenticated
                          ? "fix destination.user / destination.password"
                      : conn.status().code() == StatusCode::kNotFound
                          ? "create the database or fix destination.database"
                          : "check destination.host and destination.port, that the server runs, and that no "
                            "firewall blocks it";
    report.Add("destination.connect", Verdict::kFail, conn.status().message(), fix);
    return;
  }
  report.Add("destination.connect", Verdict::kPass,
             "logged in to " + d.host + ":" + std::to_string(d.port) + "/" + d.database + " as " + d.user);
  if (scope == CheckScope::kConnectivity) return;

  auto version = conn->Query("SELECT version()");
  std::string text = version.ok() ? version->Scalar() : "";
  bool is_hologres = text.find("Hologres") != std::string::npos;
  int number = conn->ServerVersionNumber();
  if (d.type == config::DestinationType::kHologres && !is_hologres) {
    report.Add("destination.version", Verdict::kWarn,
               "the server is not Hologres (" + text.substr(0, text.find(" on ")) +
                   "); Hologres table properties (orientation, distribution key) will not be set",
               "use destination.type: postgres for a plain PostgreSQL server");
  } else if (!is_hologres && number < 110000) {
    report.Add("destination.version", Verdict::kFail, "PostgreSQL " + std::to_string(number) + " is too old",
               "use PostgreSQL 11 or later");
  } else {
    report.Add("destination.version", Verdict::kPass, text.substr(0, text.find(" on ")));
  }

  std::set<std::string> schemas;
  for (const auto& t : tables) schemas.insert(pipeline::MapTableName(spec, t.db, t.table).schema);
  auto can_create_schema = conn->Query("SELECT has_database_privilege(current_user, current_database(), 'CREATE')");
  bool db_create = can_create_schema.ok() && can_create_schema->Scalar() == "t";
  std::vector<std::string> blocked;
  for (const auto& s : schemas) {
    auto r = conn->Query(
        "SELECT has_schema_privilege(current_user, n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = $1", {s});
    bool exists = r.ok() && !r->rows.empty();
    bool ok = exists ? r->Scalar() == "t" : db_create;
    if (!ok) blocked.push_back(s + (exists ? " (exists, no CREATE privilege)" : " (missing, cannot create schemas)"));
  }
  if (!blocked.empty()) {
    report.Add("destination.privileges", Verdict::kFail,
               "user " + d.user + " cannot create tables in schema " + Join(blocked, ", "),
               "GRANT CREATE ON DATABASE " + postgres::QuoteIdentifier(d.database) + " TO " +
                   postgres::QuoteIdentifier(d.user) + ", or GRANT CREATE ON SCHEMA <schema> TO the user");
  } else if (schemas.empty() && !db_create) {
    report.Add("destination.privileges", Verdict::kWarn,
               "user " + d.user + " cannot create schemas in " + d.database +
                   " (the destination schemas are unknown until the source can be read)",
               "GRANT CREATE ON DATABASE " + postgres::QuoteIdentifier(d.database) + " TO " +
                   postgres::QuoteIdentifier(d.user));
  } else {
    report.Add("destination.privileges", Verdict::kPass,
               schemas.empty() ? "user " + d.user + " may create schemas"
                               : "user " + d.user + " may create tables in " + Join({schemas.begin(), schemas.end()}, ", "));
  }
}

}  // namespace

void RunDestinationChecks(const config::TaskSpec& spec, const std::string& password,
                          const std::vector<SourceTable>& tables, CheckScope scope, CheckReport& report) {
  switch (spec.destination.type) {
    case config::DestinationType::kHologres:
    case config::DestinationType::kPostgres:
      CheckPostgres(spec, password, tables, scope, report);
      return;
    case config::DestinationType::kStarRocks:
    case config::DestinationType::kMaxCompute:
      report.Add("destination.connect", Verdict::kWarn,
                 std::string("checks for ") + config::DestinationTypeName(spec.destination.type) +
                     " destinations are not available in this version; only the source was checked",
                 "verify the destination by hand");
      return;
  }
}

}  // namespace dbsync::check
