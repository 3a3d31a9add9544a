#pragma once
// The task spec: what the user writes in task.yaml, as typed structs.
// sync-task(5) documents every field; keep the two in step.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/tls_options.hpp"

namespace dbsync::config {

struct SourceSpec {
  std::string type = "mysql";
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;  // literal or ${env:NAME} / ${file:PATH}; resolve with ResolveSecret
  uint32_t server_id = 0;
  std::vector<std::string> tables;   // include patterns "db.table", globs allowed
  std::vector<std::string> exclude;  // exclude patterns, applied after include
  // Shadow tables of online schema change tools followed with the tables they
  // shadow: names with one {table}, e.g. "_{table}_new" (pt-online-schema-change),
  // "_{table}_gho" (gh-ost). Such a table is selected when the table it names is.
  std::vector<std::string> shadow_tables;
  int connect_timeout_seconds = 10;
  TlsOptions tls;  // source.tls: the SQL and the replication connections alike
  bool operator==(const SourceSpec&) const = default;
};

struct DestinationSpec {
  // A type in the destination registry (sink/registry.hpp), which says which
  // of the fields below it uses, their defaults, and which one is the secret.
  std::string type = "postgres";
  std::string host;
  int port = 0;
  std::string database;      // hologres/postgres/starrocks database
  std::string user;
  std::string password;      // as SourceSpec::password
  int http_port = 8030;      // starrocks: FE HTTP port for Stream Load
  int https_port = 0;        // starrocks: FE HTTPS port (4.0+), used instead of http_port when set
  int replication_num = 0;   // starrocks: replicas of new tables (0: the cluster's default)
  int buckets = 0;           // starrocks: hash buckets of new tables (0: StarRocks chooses)
  std::string endpoint;      // maxcompute: service endpoint URL
  std::string project;       // maxcompute project
  std::string access_id;     // maxcompute AccessKey id
  std::string access_key;    // maxcompute AccessKey secret (a secret, like password)
  std::string tunnel_endpoint;  // maxcompute: optional explicit Tunnel endpoint
  // maxcompute: upsert (Delta tables) or log (change-log tables) for every
  // table without tables[].write_mode; empty: upsert where the table has a
  // key, log where it has none.
  std::string write_mode;
  int lifecycle = 0;         // maxcompute: days a new table's data is kept (0: for ever)
  int connect_timeout_seconds = 10;
  // postgres, hologres: a statement without a reply for this long is checked
  // from a second connection and abandoned unless the server is running it.
  int stall_timeout_seconds = 30;
  TlsOptions tls;  // destination.tls: postgres, hologres, maxcompute, starrocks (sync-task(5))
  bool operator==(const DestinationSpec&) const = default;
};

struct MappingRule {
  // Either prefix replacement (prefix -> with) or a regex rename (match -> to).
  std::string prefix, with;
  std::string match, to;
  int line = 0;
  bool operator==(const MappingRule&) const = default;
};

// The variables mapping.schema and mapping.table expand.
inline const std::vector<std::string> kMappingVariables = {"DB_NAME_SRC", "TABLE_NAME_SRC", "DATASOURCE_NAME_SRC",
                                                           "DB_NAME_DEST"};

struct MappingSpec {
  std::string schema = "${DB_NAME_SRC}";
  std::string table = "${TABLE_NAME_SRC}";
  std::vector<MappingRule> rules;         // on the table name
  std::vector<MappingRule> schema_rules;  // on the schema name
  // Rules on a variable's value before the templates expand it (DataWorks'
  // DB_NAME_SRC_TRANSED, say): kMappingVariables only.
  std::map<std::string, std::vector<MappingRule>> variables;
  bool operator==(const MappingSpec&) const = default;
};

struct PartitionSpec {
  std::string field;
  std::string value;
  bool operator==(const PartitionSpec&) const = default;
};

struct ExtraField {
  std::string name, type, value;
  bool operator==(const ExtraField&) const = default;
};

enum class DmlAction { kNormal, kIgnore, kFilter, kLogicalDelete };
struct DmlPolicy {
  DmlAction action = DmlAction::kNormal;
  std::string condition;  // kFilter: apply the changes whose row matches this condition (expr/row_condition.hpp)
  // kLogicalDelete (delete only): the row stays, `column` says it is deleted
  // (`value`; live rows hold `live_value`), `time_column` (optional) when.
  std::string column = "_deleted";
  std::string value = "1";
  std::string live_value = "0";
  std::string time_column;
  bool operator==(const DmlPolicy&) const = default;
};

// new: sync creates and alters the destination table; existing: the user
// made it, and sync only checks that it fits, never alters it.
enum class TableMode { kNew, kExisting };

// What a keyed write does when the destination already has a row with its
// key (a row another writer put there, or one kept by keep_existing_rows):
// replace it whole (columns the source lacks return to their default),
// update the source's columns only, or (inserts and copied rows) leave it.
enum class ConflictPolicy { kReplace, kUpdate, kIgnore };
const char* ConflictPolicyName(ConflictPolicy p);

struct TableSpec {
  std::string match;                 // glob on source db.table
  TableMode mode = TableMode::kNew;
  std::vector<std::string> primary_key;
  std::string storage;               // hologres orientation: column | row | row,column
  std::vector<std::string> distribution_key;
  std::vector<std::string> clustering_key;
  std::string event_time_column;
  // More Hologres table properties: "col" or "col:on|off" entries; binlog
  // "replica" or "none" with its TTL; the rows' TTL (0: not set).
  std::vector<std::string> bitmap_columns;
  std::vector<std::string> dictionary_encoding_columns;
  std::string binlog_level;
  int64_t binlog_ttl = 0;
  int64_t time_to_live_in_seconds = 0;
  std::optional<PartitionSpec> partition;
  std::vector<ExtraField> extra_fields;
  std::map<std::string, DmlPolicy> dml;  // insert | update | delete
  std::string write_mode;                // maxcompute: upsert | log (DestinationSpec::write_mode)
  bool full_initialization = true;       // false: not copied; its changes are followed from the start position
  // The source tables this entry merges into one destination table never
  // share a key value (shards with disjoint ids): sync check allows the merge.
  bool disjoint_keys = false;
  ConflictPolicy on_conflict = ConflictPolicy::kReplace;
  // The destination's type of a column instead of the mapped one, by column
  // name, and by the source's DATA_TYPE for the others (bigint: text); the
  // types tables[].extra_fields takes.
  std::map<std::string, std::string> column_types;
  std::map<std::string, std::string> type_overrides;
  // Source columns the destination does not get, and destination names of
  // source columns (by source name).
  std::vector<std::string> exclude_columns;
  std::map<std::string, std::string> column_names;
  // Full initialization splits the table into chunks by this column instead
  // of its key (a NOT NULL column of a keyed table), or not at all.
  std::string split_column;
  bool no_split = false;
  // Full initialization writes over the rows already at the destination
  // (with on_conflict) instead of emptying the table first.
  bool keep_existing_rows = false;
  int line = 0;
  bool operator==(const TableSpec&) const = default;
};

enum class DdlPolicy { kNormal, kIgnore, kAlert, kError };
const char* DdlPolicyName(DdlPolicy p);
// Whether two mappings name every table alike (where their rules are written aside).
bool SameMapping(MappingSpec a, MappingSpec b);

struct FailoverSpec {
  int max_times = 100;
  int window_minutes = 5;
  int max_backoff_seconds = 10;  // restart delays double from 0.5 s up to this
  bool operator==(const FailoverSpec&) const = default;
};

// The fewest source connections a worker can run with: real-time sync's
// catalog and binlog connections, and two to plan a copy beside them.
inline constexpr int kMinSourceConnections = 4;

struct RuntimeSpec {
  int snapshot_parallelism = 4;
  // Caps the connections the worker holds to the source at once; a copy
  // reads with fewer than snapshot_parallelism when real-time sync holds
  // some (pipeline/full_init.hpp).
  int max_source_connections = 8;
  int batch_rows = 10000;
  int flush_ms = 1000;
  FailoverSpec failover;
  // Where the supervisor also writes the task's metrics (Prometheus text,
  // 0644): node_exporter's textfile collector directory, for one. Absolute, *.prom.
  std::string metrics_file;
  bool operator==(const RuntimeSpec&) const = default;
};

// One alert rule (man sync-task(5) ALERTS): which events it sends, and how.
struct AlertSpec {
  std::string on;  // status | delay | failover | unsupported_ddl | ddl_notice | dirty_data | heartbeat
  int over_seconds = 0;  // delay: the lag, heartbeat: the silence, above which it fires (0: the default)
  std::string run;       // a command, run with /bin/sh -c, the event's JSON on stdin
  std::string webhook;   // a URL to POST to (a secret reference like a password: ${env:NAME}, ...)
  std::string webhook_format = "json";  // json | slack | dingtalk | lark
  int timeout_seconds = 10;             // per attempt
  int retries = 3;                      // attempts after the first
  int min_interval_seconds = 300;       // the same alert at most once per interval; repeats are counted
  int line = 0;                         // in the spec file, for messages
  bool operator==(const AlertSpec&) const = default;
};

// The defaults of over_seconds when a rule leaves it 0.
inline constexpr int kDefaultDelaySeconds = 300;
inline constexpr int kDefaultHeartbeatSeconds = 60;

// What a task does: copy the tables then follow the binlog (the default),
// only follow the binlog from now (or `sync start --from-position`), or only
// copy and stop.
enum class SyncMode { kFullAndRealtime, kRealtimeOnly, kFullOnly };

struct TaskSpec {
  std::string name;
  SyncMode sync_mode = SyncMode::kFullAndRealtime;
  SourceSpec source;
  DestinationSpec destination;
  MappingSpec mapping;
  std::vector<TableSpec> tables;
  std::map<std::string, DdlPolicy> ddl;  // every kind in kDdlKinds, defaults filled in
  RuntimeSpec runtime;
  std::vector<AlertSpec> alerts;
  bool operator==(const TaskSpec&) const = default;
};

inline const std::vector<std::string> kDdlKinds = {
    "create_table", "drop_table",    "rename_table",  "add_column",
    "drop_column",  "rename_column", "modify_column", "truncate_table"};

// Whether the table is copied by full initialization (sync_mode and
// tables[].full_initialization).
bool IsCopiedTable(const TaskSpec& spec, const TableSpec* settings);

// The first TableSpec whose `match` glob matches "db.table", or nullptr.
const TableSpec* FindTableSpec(const TaskSpec& spec, const std::string& db, const std::string& table);
// Whether the source selection (tables minus exclude) includes db.table.
// Whether source.tables (less source.exclude) selects db.table, directly or as
// the shadow table (source.shadow_tables) of a table it selects.
bool IsTableSelected(const SourceSpec& source, const std::string& db, const std::string& table);
// Whether a running worker can take `next` in place of `current` without
// starting over: the specs differ only in the table selection (source.tables,
// source.exclude) and in tables[] entries that matter to no table of `kept`
// (db, table), which must find equal settings (or none) in both.
bool ChangesOnlyTables(const TaskSpec& current, const TaskSpec& next,
                       const std::vector<std::pair<std::string, std::string>>& kept);

}  // namespace dbsync::config
