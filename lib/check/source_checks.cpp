#include "check/source_checks.hpp"
#include "check/mapping_plan.hpp"
#include "pipeline/name_mapping.hpp"
#include "pipeline/table_binding.hpp"
#include "sink/shaping/shaping_sink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <set>

#include "core/text_util.hpp"
#include "net/mysql_client.hpp"
#include "sink/registry.hpp"
#include "source/mysql/schema_reader.hpp"
#include "source/mysql/source_endpoint.hpp"

namespace dbsync::check {
namespace {

using mysql::Connection;

// Column types the binlog decoder and snapshot reader turn into typed values.
const std::set<std::string> kSupportedTypes = {
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double",
    "real", "bit", "year", "date", "time", "datetime", "timestamp", "char", "varchar", "binary", "varbinary",
    "tinyblob", "blob", "mediumblob", "longblob", "tinytext", "text", "mediumtext", "longtext", "enum", "set",
    "json", "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
    "geometrycollection", "geomcollection", "boolean", "bool"};

std::map<std::string, std::string> GlobalVariables(Connection& conn, const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back(mysql::QuoteString(n));
  std::map<std::string, std::string> out;
  auto r = conn.Query("SHOW GLOBAL VARIABLES WHERE Variable_name IN (" + Join(quoted, ",") + ")");
  if (!r.ok()) return out;
  for (const auto& row : r->rows)
    if (row.size() >= 2 && row[0] && row[1]) out[ToLower(*row[0])] = *row[1];
  return out;
}

void CheckVersion(Connection& conn, CheckReport& report) {
  std::string v = conn.ServerVersion();
  bool mariadb = conn.IsMariaDB();
  if (IsSupportedServerVersion(v, mariadb)) {
    report.Add("source.version", Verdict::kPass, std::string(mariadb ? "MariaDB " : "MySQL ") + v);
  } else {
    report.Add("source.version", Verdict::kWarn, "server version " + v + " is older than supported",
               "use MySQL 5.7 or later, or MariaDB 10.3 or later");
  }
}

void CheckBinlogSettings(Connection& conn, CheckReport& report) {
  auto vars = GlobalVariables(conn, {"log_bin", "binlog_format", "binlog_row_image", "binlog_expire_logs_seconds",
                                     "expire_logs_days"});
  if (vars.empty()) {
    report.Add("source.log_bin", Verdict::kFail, "cannot read the server's variables (SHOW GLOBAL VARIABLES failed)",
               "check that the user may run SHOW GLOBAL VARIABLES");
    return;
  }
  std::string log_bin = vars["log_bin"];
  if (log_bin == "ON" || log_bin == "1") {
    report.Add("source.log_bin", Verdict::kPass, "binary logging is on");
  } else {
    report.Add("source.log_bin", Verdict::kFail, "binary logging is off (log_bin=" + log_bin + ")",
               "start the server with log_bin (e.g. log_bin=mysql-bin in my.cnf [mysqld]) and restart it");
  }
  std::string format = vars["binlog_format"];
  if (format == "ROW") {
    report.Add("source.binlog_format", Verdict::kPass, "binlog_format is ROW");
  } else {
    report.Add("source.binlog_format", Verdict::kFail,
               "binlog_format is " + format + "; row changes can only be read from ROW events",
               "set binlog_format=ROW in my.cnf [mysqld] and run SET GLOBAL binlog_format='ROW'; "
               "sessions already open keep their old format until they reconnect");
  }
  std::string image = vars["binlog_row_image"];
  if (image.empty() || image == "FULL") {
    report.Add("source.binlog_row_image", Verdict::kPass, "binlog_row_image is FULL");
  } else {
    report.Add("source.binlog_row_image", Verdict::kFail,
               "binlog_row_image is " + image + "; updates would lack the columns they did not change",
               "set binlog_row_image=FULL in my.cnf [mysqld] and run SET GLOBAL binlog_row_image='FULL'");
  }
  long long seconds = std::atoll(vars["binlog_expire_logs_seconds"].c_str());
  if (seconds == 0) seconds = static_cast<long long>(std::atof(vars["expire_logs_days"].c_str()) * 86400);
  const char* fix = "keep binlogs for at least 3 days: SET GLOBAL binlog_expire_logs_seconds=259200 "
                    "(and the same in my.cnf), so a stopped task can resume without a new full initialization";
  if (seconds == 0) {
    report.Add("source.binlog_retention", Verdict::kPass, "binlogs are never purged automatically");
  } else if (seconds < 3600) {
    report.Add("source.binlog_retention", Verdict::kFail,
               fmt::format("binlogs are purged after {} seconds; a full initialization or a short outage "
                           "would outlive them",
                           seconds),
               fix);
  } else if (seconds < 3 * 86400) {
    report.Add("source.binlog_retention", Verdict::kWarn,
               fmt::format("binlogs are purged after {:.1f} hours; an outage longer than that forces a new "
                           "full initialization",
                           seconds / 3600.0),
               fix);
  } else {
    report.Add("source.binlog_retention", Verdict::kPass, fmt::format("binlogs are kept {:.1f} days", seconds / 86400.0));
  }
}

void CheckReplicationPrivileges(Connection& conn, CheckReport& report) {
  auto grants = conn.Query("SHOW GRANTS FOR CURRENT_USER()");
  if (!grants.ok()) {
    report.Add("source.privileges.replication", Verdict::kWarn,
               "cannot read the user's grants: " + grants.status().message(),
               "check manually that the user has REPLICATION SLAVE and REPLICATION CLIENT");
    return;
  }
  bool slave = false, client = false;
  for (const auto& row : grants->rows) {
    std::string g = row.empty() || !row[0] ? "" : *row[0];
    if (g.find(" ON *.* ") == std::string::npos) continue;
    bool all = g.find("ALL PRIVILEGES") != std::string::npos;
    // "REPLICATION SLAVE ADMIN" (MariaDB) is a different privilege.
    size_t at = g.find("REPLICATION SLAVE");
    bool plain_slave = at != std::string::npos && g.compare(at, 23, "REPLICATION SLAVE ADMIN") != 0;
    slave = slave || all || plain_slave || g.find("REPLICATION SLAVE,") != std::string::npos;
    client = client || all || g.find("REPLICATION CLIENT") != std::string::npos ||
             g.find("BINLOG MONITOR") != std::string::npos || g.find("SUPER") != std::string::npos;
  }
  std::vector<std::string> missing;
  if (!slave) missing.push_back("REPLICATION SLAVE");
  if (!client) missing.push_back("REPLICATION CLIENT");
  if (missing.empty()) {
    report.Add("source.privileges.replication", Verdict::kPass, "the user has REPLICATION SLAVE and REPLICATION CLIENT");
  } else {
    report.Add("source.privileges.replication", Verdict::kFail,
               "the user lacks " + Join(missing, " and ") + ", needed to read the binlog",
               "GRANT " + Join(missing, ", ") + " ON *.* TO <user>");
  }
}

void CheckServerId(Connection& conn, const config::SourceSpec& src, CheckReport& report) {
  auto own_id = conn.Query("SELECT @@server_id");
  std::string own = own_id.ok() ? own_id->Scalar() : "";
  std::string ours = std::to_string(src.server_id);
  if (own == ours) {
    report.Add("source.server_id", Verdict::kFail, "server_id " + ours + " is the source server's own server_id",
               "choose another source.server_id, unique among the source's replicas");
    return;
  }
  // A replica that just disconnected (e.g. this task's own worker, stopped a
  // moment ago) stays listed until the source's dump thread notices at its
  // next heartbeat, so a match is re-checked for a few seconds.
  Result<QueryResult> hosts = Status::Internal("not run");
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    hosts = conn.Query("SHOW REPLICAS");  // MySQL 8.0.22+; 8.4 removed SHOW SLAVE HOSTS
    if (!hosts.ok()) hosts = conn.Query("SHOW SLAVE HOSTS");
    if (!hosts.ok()) {
      report.Add("source.server_id", Verdict::kWarn,
                 "cannot list the source's replicas to compare server ids: " + hosts.status().message(),
                 "grant REPLICATION MASTER ADMIN (MariaDB) or REPLICATION SLAVE (MySQL) so the check can see replicas");
      return;
    }
    int col = hosts->ColumnIndex("Server_id") >= 0 ? hosts->ColumnIndex("Server_id") : hosts->ColumnIndex("Server_Id");
    bool taken = false;
    for (const auto& row : hosts->rows) taken = taken || (col >= 0 && row[size_t(col)] && *row[size_t(col)] == ours);
    if (!taken) break;
    if (attempt == 3) {
      report.Add("source.server_id", Verdict::kFail, "a replica with server_id " + ours + " is already connected",
                 "choose another source.server_id; two replicas with one id disconnect each other");
      return;
    }
  }
  report.Add("source.server_id", Verdict::kPass,
             "server_id " + ours + " is unused (" + std::to_string(hosts->rows.size()) + " replicas connected)");
}

std::vector<SourceTable> CheckTables(Connection& conn, const config::SourceSpec& src, CheckReport& report) {
  std::vector<SourceTable> selected;
  auto all = mysql::ListAllTables(conn);
  if (!all.ok()) {
    report.Add("source.tables", Verdict::kFail, "cannot list tables: " + all.status().message(),
               "grant SELECT on the selected tables to the user");
    return selected;
  }
  std::vector<std::string> unmatched;
  for (const auto& pattern : src.tables) {
    bool hit = false;
    for (const auto& t : *all) hit = hit || GlobMatch(pattern, t.db + "." + t.table);
    if (!hit) unmatched.push_back(pattern);
  }
  for (const auto& t : *all)
    if (config::IsTableSelected(src, t.db, t.table)) selected.push_back({t.db, t.table, {}});
  // A named table that is missing is an error; a glob that matches nothing
  // yet is fine as long as something is selected (tables created later are
  // picked up from the binlog).
  std::vector<std::string> missing_names, empty_globs;
  for (const auto& p : unmatched) (p.find_first_of("*?") == std::string::npos ? missing_names : empty_globs).push_back(p);
  if (!missing_names.empty()) {
    report.Add("source.tables", Verdict::kFail,
               "no table " + Join(missing_names, ", ") + " (or the user has no privilege on it)",
               "fix source.tables, create the table, or grant SELECT on it to the user");
  } else if (selected.empty()) {
    report.Add("source.tables", Verdict::kFail,
               unmatched.empty() ? "source.exclude removes every table that source.tables selects"
                                 : "no table matches " + Join(empty_globs, ", "),
               unmatched.empty() ? "narrow source.exclude" : "fix source.tables or create the tables first");
  } else if (!empty_globs.empty()) {
    report.Add("source.tables", Verdict::kWarn,
               fmt::format("{} tables selected; {} matches no table yet (tables created later are synced)",
                           selected.size(), Join(empty_globs, ", ")),
               "check the pattern for typos");
  } else {
    report.Add("source.tables", Verdict::kPass, fmt::format("{} tables selected", selected.size()));
  }
  return selected;
}

void CheckSelectPrivilege(Connection& conn, const std::vector<SourceTable>& tables, CheckReport& report) {
  std::vector<std::string> denied;
  for (const auto& t : tables) {
    auto r = conn.Query("SELECT * FROM " + mysql::QuoteIdentifier(t.db) + "." + mysql::QuoteIdentifier(t.table) +
                        " LIMIT 0");
    if (!r.ok()) denied.push_back(t.db + "." + t.table);
  }
  if (denied.empty()) {
    report.Add("source.privileges.select", Verdict::kPass, "the user can read every selected table");
  } else {
    report.Add("source.privileges.select", Verdict::kFail, "the user cannot SELECT from " + Join(denied, ", "),
               "GRANT SELECT ON <db>.* TO <user> for each database listed");
  }
}

// information_schema rows about `tables`, one query per database: an equality
// on TABLE_SCHEMA lets the server open that database's tables only, where a
// (schema, table) IN list makes it open every table and view it has.
// `sql` is the statement up to its WHERE clause's conditions on the names.
Result<std::vector<TextRow>> PerDatabase(Connection& conn, const std::string& sql,
                                         const std::vector<SourceTable>& tables) {
  std::map<std::string, std::vector<std::string>> by_db;
  for (const auto& t : tables) by_db[t.db].push_back(mysql::QuoteString(t.table));
  std::vector<TextRow> rows;
  for (const auto& [db, names] : by_db) {
    SYNC_ASSIGN_OR_RETURN(auto r, conn.Query(sql + " TABLE_SCHEMA = " + mysql::QuoteString(db) + " AND TABLE_NAME IN (" +
                                             Join(names, ",") + ") ORDER BY TABLE_NAME"));
    for (auto& row : r.rows) rows.push_back(std::move(row));
  }
  return rows;
}

void CheckPrimaryKeys(Connection& conn, const config::TaskSpec& spec, const std::vector<SourceTable>& tables,
                      CheckReport& report) {
  if (tables.empty()) return;
  // STATISTICS rather than TABLE_CONSTRAINTS: MariaDB hides constraints from
  // users that hold only SELECT, but shows their indexes.
  auto r = PerDatabase(conn, "SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME FROM information_schema.STATISTICS "
                      "WHERE INDEX_NAME='PRIMARY' AND", tables);
  if (!r.ok()) {
    report.Add("source.primary_keys", Verdict::kWarn, "cannot read primary keys: " + r.status().message());
    return;
  }
  std::set<std::string> with_pk;
  for (const auto& row : *r) with_pk.insert(*row[0] + "." + *row[1]);
  std::vector<std::string> without;
  for (const auto& t : tables) {
    const config::TableSpec* ts = config::FindTableSpec(spec, t.db, t.table);
    if (!with_pk.count(t.db + "." + t.table) && !(ts && !ts->primary_key.empty())) without.push_back(t.db + "." + t.table);
  }
  const sink::Traits& traits = sink::DestinationOf(spec.destination).traits;
  bool needs_key = traits.needs_primary_key;
  if (without.empty()) {
    report.Add("source.primary_keys", Verdict::kPass, "every selected table has a primary key");
  } else if (needs_key) {
    report.Add("source.primary_keys", Verdict::kFail,
               "no primary key on " + Join(without, ", ") + "; " +
                   spec.destination.type + " needs one to apply updates and deletes",
               "add a primary key to the table, set tables[].primary_key for it, or exclude it");
  } else {
    report.Add("source.primary_keys", Verdict::kWarn,
               "no primary key on " + Join(without, ", ") + "; " + traits.keyless_tables,
               "add a primary key to the table or set tables[].primary_key for it");
  }
}

void CheckColumnTypes(Connection& conn, const std::vector<SourceTable>& tables, CheckReport& report) {
  if (tables.empty()) return;
  auto r = PerDatabase(conn, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE",
                       tables);
  if (!r.ok()) {
    report.Add("source.column_types", Verdict::kWarn, "cannot read column types: " + r.status().message());
    return;
  }
  std::vector<std::string> unsupported;
  for (const auto& row : *r) {
    std::string type = ToLower(row[3].value_or(""));
    if (!kSupportedTypes.count(type)) unsupported.push_back(*row[0] + "." + *row[1] + "." + *row[2] + " (" + type + ")");
  }
  if (unsupported.empty()) {
    report.Add("source.column_types", Verdict::kPass, fmt::format("{} columns, all of supported types", r->size()));
  } else {
    report.Add("source.column_types", Verdict::kFail, "unsupported column types: " + Join(unsupported, ", "),
               "change the column to a supported type (e.g. INET6/UUID to CHAR/BINARY) or exclude the table");
  }
}

// tables[].dml conditions and tables[].extra_fields against each table they
// apply to: a misspelt column or variable fails here, before anything runs.
void CheckRowShaping(const config::TaskSpec& spec, const std::vector<SourceTable>& tables, CheckReport& report) {
  if (!sink::SpecShapesRows(spec)) return;
  std::vector<std::string> problems;
  size_t shaped = 0;
  for (const auto& t : tables) {
    const config::TableSpec* settings = config::FindTableSpec(spec, t.db, t.table);
    if (!settings || t.schema.columns.empty() || !sink::ShapesRows(*settings)) continue;
    ++shaped;
    auto shape = ShapeOf(spec, t);
    if (!shape.ok()) problems.push_back(shape.status().message());
  }
  if (problems.empty()) {
    report.Add("tables.dml_and_fields", Verdict::kPass,
               fmt::format("the DML policies and added fields of {} tables fit their columns", shaped));
  } else {
    report.Add("tables.dml_and_fields", Verdict::kFail, Join(problems, "; "),
               "fix tables[].dml, extra_fields, column_types or partition in the spec (sync-task(5)), then sync apply "
               "it");
  }
}

// tables[].on_conflict against how the tables are written.
void CheckConflictPolicies(const config::TaskSpec& spec, CheckReport& report) {
  bool set = std::any_of(spec.tables.begin(), spec.tables.end(), [](const config::TableSpec& t) {
    return t.on_conflict != config::ConflictPolicy::kReplace;
  });
  if (!set) return;
  Status s = sink::ValidateTableSettings(spec);
  if (s.ok())
    report.Add("tables.on_conflict", Verdict::kPass, "every tables[].on_conflict applies to keyed writes");
  else
    report.Add("tables.on_conflict", Verdict::kFail, s.message(),
               "set on_conflict: replace, or write_mode: upsert, for those tables");
}

// mapping's match rules against every selected name: a pattern that gives up
// on a name (PCRE2's backtracking limit) would leave that name unmapped.
void CheckMappingRules(const config::TaskSpec& spec, const std::vector<SourceTable>& tables, CheckReport& report) {
  auto has_match = [](const std::vector<config::MappingRule>& rules) {
    return std::any_of(rules.begin(), rules.end(), [](const config::MappingRule& r) { return !r.match.empty(); });
  };
  bool any = has_match(spec.mapping.rules) || has_match(spec.mapping.schema_rules);
  for (const auto& [name, rules] : spec.mapping.variables) any = any || has_match(rules);
  if (!any) return;
  std::set<std::string> problems;
  for (const auto& t : tables) {
    auto mapped = pipeline::CheckedMapTableName(spec, t.db, t.table);
    if (!mapped.ok()) problems.insert(mapped.status().message());
  }
  if (problems.empty()) {
    report.Add("mapping.rules", Verdict::kPass,
               fmt::format("the match rules decide every one of {} table names", tables.size()));
  } else {
    report.Add("mapping.rules", Verdict::kFail, Join(std::vector<std::string>(problems.begin(), problems.end()), "; "),
               "rewrite the pattern without nested repetition (mapping rules in sync-task(5)), then sync apply it");
  }
}

// Source tables that mapping merges into one destination table must keep
// their rows apart: a key column whose value names the source (an added
// field), or the user's word that their keys never overlap.
void CheckMergedTables(const config::TaskSpec& spec, const std::vector<SourceTable>& tables, CheckReport& report) {
  std::map<std::string, std::vector<const PlannedTable*>> merges;
  std::vector<PlannedTable> plan = PlanMapping(spec, tables);
  for (const auto& p : plan)
    if (p.merge != MergeKind::kNone) merges[p.destination].push_back(&p);
  if (merges.empty()) return;
  std::vector<std::string> problems;
  for (const auto& [destination, members] : merges) {
    if (members.front()->merge != MergeKind::kCollision) continue;
    std::vector<std::string> names;
    for (const PlannedTable* p : members) names.push_back(p->source);
    problems.push_back(Join(names, ", ") + " all go to " + destination + ", and their key (" +
                       Join(members.front()->key, ", ") +
                       ") does not tell their rows apart: a row of one overwrites (or deletes) the row of another "
                       "with the same key");
  }
  if (problems.empty()) {
    report.Add("mapping.merged_tables", Verdict::kPass,
               fmt::format("{} destination tables merge several source tables, each keeping its rows apart",
                           merges.size()));
  } else {
    report.Add("mapping.merged_tables", Verdict::kFail, Join(problems, "; "),
               "add a field that names the source to the key, e.g. extra_fields: [{ name: src_table, type: "
               "varchar(128), value: '${DB_NAME_SRC}.${TABLE_NAME_SRC}' }] with primary_key: [id, src_table]; or, "
               "if the tables' keys never overlap, set disjoint_keys: true in their tables[] entry");
  }
}

}  // namespace

void AddTlsItem(const std::string& item, const TlsState& state, const TlsOptions& tls, const std::string& host,
                const std::string& which, CheckReport& report) {
  const std::string setting = item;  // the item is named like its spec block: source.tls, destination.tls
  std::string text = which + DescribeTls(state, tls, host);
  if (!state.encrypted && tls.mode == TlsMode::kPreferred) {
    report.Add(item, Verdict::kWarn, text,
               "enable TLS on the server and set " + setting + ".mode: verify_identity with " + setting +
                   ".ca, or set " + setting + ".mode: disabled to accept a plain connection");
    return;
  }
  report.Add(item, Verdict::kPass, text);
}

bool IsSupportedServerVersion(const std::string& version, bool mariadb) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return mariadb ? (major > 10 || (major == 10 && minor >= 3)) : (major > 5 || (major == 5 && minor >= 7));
}

std::vector<SourceTable> RunSourceChecks(const config::TaskSpec& spec, const std::string& password,
                                         CheckScope scope, CheckReport& report) {
  const auto& src = spec.source;
  mysql::Endpoint ep = mysql::EndpointOf(src, password, 60);
  auto conn = Connection::Connect(ep);
  if (!conn.ok() && IsTlsFailure(conn.status().message())) {
    report.Add("source.connect", Verdict::kFail, "the TLS handshake failed (see source.tls)",
               "fix source.tls or the server's TLS setup");
    report.Add("source.tls", Verdict::kFail, conn.status().message(),
               "fix source.tls (mode, ca, cert, key) or the server's certificate, as the message says");
    return {};
  }
  if (!conn.ok()) {
    report.Add("source.connect", Verdict::kFail, conn.status().message(),
               conn.status().code() == StatusCode::kUnauthenticated
                   ? "fix source.user / source.password (or the user's host in MySQL's grants)"
                   : "check source.host and source.port, that the server runs, and that no firewall blocks it");
    return {};
  }
  report.Add("source.connect", Verdict::kPass,
             "logged in to " + src.host + ":" + std::to_string(src.port) + " as " + src.user);
  AddTlsItem("source.tls", conn->Tls(), src.tls, src.host,
             "the SQL and the replication connections (alike): ", report);
  if (scope == CheckScope::kConnectivity) return {};
  CheckVersion(*conn, report);
  CheckBinlogSettings(*conn, report);
  CheckReplicationPrivileges(*conn, report);
  CheckServerId(*conn, src, report);
  auto tables = CheckTables(*conn, src, report);
  if (!tables.empty()) CheckSelectPrivilege(*conn, tables, report);
  CheckPrimaryKeys(*conn, spec, tables, report);
  CheckColumnTypes(*conn, tables, report);
  // The definitions, for destination items that ask whether each table fits.
  for (auto& t : tables) {
    auto schema = mysql::ReadTableSchema(*conn, t.db, t.table);
    if (schema.ok()) t.schema = std::move(schema).value();
  }
  CheckRowShaping(spec, tables, report);
  CheckConflictPolicies(spec, report);
  CheckMappingRules(spec, tables, report);
  CheckMergedTables(spec, tables, report);
  return tables;
}

}  // namespace dbsync::check
