#include "sink/postgres/postgres_destination.hpp"

#include <set>

#include "check/source_checks.hpp"
#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "pipeline/name_mapping.hpp"
#include "sink/postgres/pg_connection.hpp"
#include "sink/postgres/pg_endpoint.hpp"
#include "sink/postgres/pg_hologres.hpp"
#include "sink/postgres/pg_readback.hpp"
#include "sink/readback.hpp"
#include "sink/postgres/pg_sink.hpp"

namespace dbsync::postgres {
namespace {

// The destination.* check items of both dialects.
void CheckPostgres(const sink::CheckInput& in, check::CheckReport& report, Dialect dialect) {
  const auto& spec = in.spec;
  const auto& d = spec.destination;
  const auto& password = in.secret;
  Endpoint ep = EndpointOf(d, password, d.port);
  auto conn = Connection::Connect(ep);
  if (!conn.ok() && IsTlsFailure(conn.status().message())) {
    report.Add("destination.connect", check::Verdict::kFail, "the TLS handshake failed (see destination.tls)",
               "fix destination.tls or the server's TLS setup");
    report.Add("destination.tls", check::Verdict::kFail, conn.status().message(),
               "fix destination.tls (mode, ca, cert, key) or the server's certificate, as the message says");
    return;
  }
  if (!conn.ok()) {
    std::string fix = conn.status().code() == StatusCode::kUnauthenticated
                          ? "fix destination.user / destination.password"
                      : conn.status().code() == StatusCode::kNotFound
                          ? "create the database or fix destination.database"
                          : "check destination.host and destination.port, that the server runs, and that no "
                            "firewall blocks it";
    report.Add("destination.connect", check::Verdict::kFail, conn.status().message(), fix);
    return;
  }
  report.Add("destination.connect", check::Verdict::kPass,
             "logged in to " + d.host + ":" + std::to_string(d.port) + "/" + d.database + " as " + d.user);
  check::AddTlsItem("destination.tls", conn->Tls(), d.tls, d.host, "", report);
  if (in.scope == check::CheckScope::kConnectivity) return;

  // hg_version() names a Hologres engine from V0.10; version() before.
  auto version = conn->Query("SELECT hg_version()");
  if (!version.ok()) version = conn->Query("SELECT version()");
  std::string text = version.ok() ? version->Scalar() : "";
  std::optional<HologresVersion> hologres = ParseHologresVersion(text);
  bool is_hologres = hologres.has_value();
  auto session = hologres ? HologresSessionSetup(*hologres) : Result<std::vector<std::string>>(std::vector<std::string>{});
  int number = conn->ServerVersionNumber();
  if (!session.ok()) {
    report.Add("destination.version", check::Verdict::kFail, session.status().message(),
               "upgrade the Hologres instance to V2.0 or later");
  } else if (dialect == Dialect::kHologres && !is_hologres) {
    report.Add("destination.version", check::Verdict::kWarn,
               "the server is not Hologres (" + text.substr(0, text.find(" on ")) +
                   "); schema migration will fail there: it sets Hologres table properties with "
                   "set_table_property, which PostgreSQL does not have",
               "use destination.type: postgres for a plain PostgreSQL server");
  } else if (!is_hologres && number < 110000) {
    report.Add("destination.version", check::Verdict::kFail, "PostgreSQL " + std::to_string(number) + " is too old",
               "use PostgreSQL 11 or later");
  } else {
    report.Add("destination.version", check::Verdict::kPass, text.substr(0, text.find(" on ")));
  }

  std::set<std::string> schemas;
  for (const auto& t : in.tables) schemas.insert(pipeline::MapTableName(spec, t.db, t.table).schema);
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
    report.Add("destination.privileges", check::Verdict::kFail,
               "user " + d.user + " cannot create tables in schema " + Join(blocked, ", "),
               "GRANT CREATE ON DATABASE " + QuoteIdentifier(d.database) + " TO " +
                   QuoteIdentifier(d.user) + ", or GRANT CREATE ON SCHEMA <schema> TO the user");
  } else if (schemas.empty() && !db_create) {
    report.Add("destination.privileges", check::Verdict::kWarn,
               "user " + d.user + " cannot create schemas in " + d.database +
                   " (the destination schemas are unknown until the source can be read)",
               "GRANT CREATE ON DATABASE " + QuoteIdentifier(d.database) + " TO " +
                   QuoteIdentifier(d.user));
  } else {
    report.Add("destination.privileges", check::Verdict::kPass,
               schemas.empty() ? "user " + d.user + " may create schemas"
                               : "user " + d.user + " may create tables in " + Join({schemas.begin(), schemas.end()}, ", "));
  }
}

Result<std::unique_ptr<sink::Sink>> OpenPgSink(const config::TaskSpec& spec, const std::string& task_id,
                                               Dialect dialect, int default_port) {
  const config::DestinationSpec& d = spec.destination;
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(d.password));
  Endpoint ep = EndpointOf(d, password, default_port);
  SYNC_ASSIGN_OR_RETURN(auto sink, PgSink::Open(ep, dialect, task_id));
  return std::unique_ptr<sink::Sink>(std::move(sink));
}

sink::Destination Entry(std::string type, std::string summary, int default_port, Dialect dialect) {
  using Field = sink::SpecField;
  using config::DestinationSpec;
  sink::Destination d;
  d.type = std::move(type);
  d.summary = std::move(summary);
  d.fields = {{"host", Field::Kind::kText, true, "", &DestinationSpec::host},
              {"port", Field::Kind::kPort, false, "", nullptr, &DestinationSpec::port, default_port},
              {"database", Field::Kind::kText, true, "", &DestinationSpec::database},
              {"user", Field::Kind::kText, true, "", &DestinationSpec::user},
              {"password", Field::Kind::kSecret, false, "use ${env:NAME} or ${file:PATH}", &DestinationSpec::password}};
  d.secret = &DestinationSpec::password;
  d.takes_tls = true;
  // One transaction holds a batch's rows of every table and its checkpoint;
  // COPY and set-wise upserts make small batches cheap.
  d.traits.exactly_once = sink::ExactlyOnce::kTransactional;
  d.traits.open_transaction_across_pieces = true;
  // PostgreSQL applies keyless tables (a delete removes exactly one equal row);
  // Hologres applies real-time changes only to tables with a primary key.
  d.traits.needs_primary_key = dialect == Dialect::kHologres;
  if (dialect == Dialect::kHologres) d.traits.refused_ddl.insert(SchemaChangeKind::kPrimaryKeyChanged);
  d.traits.eager_flush = true;
  d.url = [type = d.type](const DestinationSpec& s) {
    return type + "://" + s.user + "@" + s.host + ":" + std::to_string(s.port) + "/" + s.database;
  };
  d.check = [dialect](const sink::CheckInput& in, check::CheckReport& report) { CheckPostgres(in, report, dialect); };
  d.open = [dialect, default_port](const config::TaskSpec& spec, const std::string& task_id) {
    return OpenPgSink(spec, task_id, dialect, default_port);
  };
  d.open_readback = [dialect, default_port](const config::TaskSpec& spec) {
    return OpenPgReadback(spec, dialect, default_port);
  };
  d.checkpoint_record = "the destination's sync_state.checkpoint";
  d.bookkeeping = "its sync_state rows";
  return d;
}

}  // namespace

std::vector<sink::Destination> Destinations() {
  return {Entry("hologres", "Alibaba Cloud Hologres (PostgreSQL protocol)", 80, Dialect::kHologres),
          Entry("postgres", "PostgreSQL 11 or later", 5432, Dialect::kPostgres)};
}

}  // namespace dbsync::postgres
