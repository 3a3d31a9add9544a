#pragma once
// MaxCompute tables made and changed by SQL instances (specs/maxcompute.md
// 2.3): a keyed table is a Delta table (PRIMARY KEY, 'transactional' =
// 'true'); with write_mode log a plain table with the change-log fields
// (mc_change_log.hpp). Source DDL is applied as MaxCompute allows (ADD COLUMNS, DROP
// COLUMNS, CHANGE COLUMN ... RENAME TO, RENAME TO, TRUNCATE); a type change
// or a change of a key column stops the task with what to do. A statement
// replayed after a crash finds its effect in the table's schema and is taken
// as applied.

#include <string>

#include "config/task_spec.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/sink.hpp"

namespace dbsync::maxcompute {

// CREATE TABLE IF NOT EXISTS of a Delta table with `columns` (key columns
// NOT NULL and in the PRIMARY KEY, in key order), partitioned by
// `partition_column` when one is given (mc_partitions.hpp), taking partial
// updates when `partial_updates` (on_conflict update and ignore, mc_conflict.hpp).
std::string CreateTableSql(const std::string& table, const std::vector<McColumn>& columns,
                           const std::vector<std::string>& key, const std::string& partition_column = "",
                           bool partial_updates = false);
// " PARTITIONED BY (`column` STRING)", or nothing for no column.
std::string PartitionedBy(const std::string& partition_column);
// " LIFECYCLE n" when destination.lifecycle is set, else "".
std::string LifecycleClause(const config::DestinationSpec& destination);

class SchemaChanger {
 public:
  // `destination` chooses each table's write mode (mc_change_log.hpp).
  SchemaChanger(const Client& client, config::DestinationSpec destination)
      : client_(client), destination_(std::move(destination)) {}

  // Creates the destination table of `table` unless it exists: a Delta
  // table, or a change log (write_mode log).
  Status CreateTable(const sink::TableBinding& table);
  Status Apply(const sink::SchemaChangeStep& step);

 private:
  Status Run(const std::string& sql) { return client_.RunSql(sql).status(); }
  // Whether a column change is already in the table (a replay, or by hand).
  Result<bool> AlreadyThere(const sink::SchemaChangeStep& step);
  Status ModifyColumn(const sink::SchemaChangeStep& step);

  const Client& client_;
  config::DestinationSpec destination_;
};

}  // namespace dbsync::maxcompute
