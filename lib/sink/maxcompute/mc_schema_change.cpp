#include "sink/maxcompute/mc_schema_change.hpp"

#include "sink/schema_migration_log.hpp"

#include "sink/maxcompute/mc_conflict.hpp"

#include "core/text_util.hpp"
#include "sink/change_helpers.hpp"
#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_partitions.hpp"
#include "sink/maxcompute/mc_state.hpp"

namespace dbsync::maxcompute {
namespace {

std::string Refusal(const sink::SchemaChangeStep& step, const std::string& what) {
  return "the " + what + " of " + step.change.db + "." + step.change.table + " cannot be made in MaxCompute table " +
         step.table->dest_table + "; recreate it and re-run the task's full initialization";
}

}  // namespace

std::string CreateTableSql(const std::string& table, const std::vector<McColumn>& columns,
                           const std::vector<std::string>& key, const std::string& partition_column,
                           bool partial_updates) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QuoteName(table) + " (";
  for (const auto& c : columns) sql += QuoteName(c.name) + " " + c.type + (c.key ? " NOT NULL" : "") + ", ";
  std::string keys;
  for (const auto& k : key) keys += (keys.empty() ? "" : ", ") + QuoteName(k);
  return sql + "PRIMARY KEY (" + keys + ")) COMMENT 'created by sync'" + PartitionedBy(partition_column) +
         " TBLPROPERTIES ('transactional'='true'" +
         (partial_updates ? ", 'acid.partial.fields.update.enable'='true')" : ")");
}

std::string PartitionedBy(const std::string& partition_column) {
  return partition_column.empty() ? "" : " PARTITIONED BY (" + QuoteName(partition_column) + " STRING)";
}

std::string LifecycleClause(const config::DestinationSpec& destination) {
  return destination.lifecycle > 0 ? " LIFECYCLE " + std::to_string(destination.lifecycle) : "";
}

Status SchemaChanger::CreateTable(const sink::TableBinding& t) {
  SYNC_RETURN_IF_ERROR(CheckTableName(t.dest_table));
  SYNC_ASSIGN_OR_RETURN(WriteMode mode, WriteModeOf(t, destination_));
  SYNC_ASSIGN_OR_RETURN(auto partitioning, PartitioningOf(t));
  std::string sql;
  if (mode == WriteMode::kLog) {
    SYNC_ASSIGN_OR_RETURN(sql, CreateLogTableSql(t));
  } else {
    SYNC_ASSIGN_OR_RETURN(auto columns, MapColumns(t.source, t.key));
    sql = partitioning ? CreateTableSql(t.dest_table, WithoutPartitionColumn(*partitioning, std::move(columns)),
                                        KeyWithoutPartitionColumn(*partitioning, t.key), partitioning->column,
                                        WritesPartially(t))
                       : CreateTableSql(t.dest_table, columns, t.key, "", WritesPartially(t));
  }
  sql += LifecycleClause(destination_);
  SYNC_RETURN_IF_ERROR(Run(sql));
  sink::SchemaMigrationLog::Instance().Record(t.SourceName(), {"ensured", {sql}});
  return Status::Ok();
}

Result<bool> SchemaChanger::AlreadyThere(const sink::SchemaChangeStep& step) {
  const auto& c = step.change;
  SYNC_ASSIGN_OR_RETURN(auto info, client_.GetTable(step.table->dest_table));
  auto has = [&](const std::string& name) {
    if (!info) return false;
    for (const auto& col : info->columns)
      if (ToLower(col.name) == ToLower(name)) return true;  // MaxCompute column names ignore case
    return false;
  };
  switch (c.kind) {
    case SchemaChangeKind::kColumnAdded: return has(c.column);
    case SchemaChangeKind::kColumnDropped: return !has(c.column);
    case SchemaChangeKind::kColumnRenamed: return has(c.column) && !has(c.old_column);
    default: return false;
  }
}

Status SchemaChanger::ModifyColumn(const sink::SchemaChangeStep& step) {
  const auto& c = step.change;
  if (!c.after || !c.before) return Status::Ok();
  const sink::TableBinding& before_table = step.old_table ? *step.old_table : *step.table;
  SYNC_ASSIGN_OR_RETURN(McColumn after, MapColumn(*c.after, sink::IsKeyColumn(*step.table, c.column)));
  SYNC_ASSIGN_OR_RETURN(McColumn before, MapColumn(*c.before, sink::IsKeyColumn(before_table, c.column)));
  if (after.type == before.type) return Status::Ok();  // nullability, charset or position only
  return Status::FailedPrecondition(Refusal(step, "type change of column " + c.column + " (" + before.type + " to " +
                                                      after.type + ")"));
}

Status SchemaChanger::Apply(const sink::SchemaChangeStep& step) {
  const auto& c = step.change;
  const sink::TableBinding& t = *step.table;
  const std::string table = QuoteName(t.dest_table);
  bool existing = t.existing() || (step.old_table && step.old_table->existing());
  if (existing && c.kind != SchemaChangeKind::kTableTruncated) {
    SYNC_ASSIGN_OR_RETURN(bool done, AlreadyThere(step));
    return done ? Status::Ok() : sink::RefuseOnExistingTable(step);
  }
  const sink::TableBinding& before = step.old_table ? *step.old_table : t;
  switch (c.kind) {
    case SchemaChangeKind::kTableCreated:
      if (step.recopy) SYNC_RETURN_IF_ERROR(Run("DROP TABLE IF EXISTS " + table));
      return CreateTable(t);
    case SchemaChangeKind::kTableDropped:
      return Run("DROP TABLE IF EXISTS " + table);
    case SchemaChangeKind::kTableTruncated:
      return Run("TRUNCATE TABLE " + table);
    case SchemaChangeKind::kTableRenamed: {
      if (before.dest_table == t.dest_table) return Status::Ok();
      SYNC_ASSIGN_OR_RETURN(auto old_info, client_.GetTable(before.dest_table));
      if (!old_info) return Status::Ok();  // a replay: renamed already
      return Run("ALTER TABLE " + QuoteName(before.dest_table) + " RENAME TO " + table);
    }
    case SchemaChangeKind::kColumnAdded: {
      if (!c.after) return Status::Ok();
      SYNC_ASSIGN_OR_RETURN(bool done, AlreadyThere(step));
      if (done) return Status::Ok();
      SYNC_ASSIGN_OR_RETURN(McColumn col, MapColumn(*c.after, false));
      return Run("ALTER TABLE " + table + " ADD COLUMNS (" + QuoteName(col.name) + " " + col.type + ")");
    }
    case SchemaChangeKind::kColumnDropped: {
      if (sink::IsKeyColumn(before, c.column)) return Status::FailedPrecondition(Refusal(step, "drop of key column " + c.column));
      SYNC_ASSIGN_OR_RETURN(bool done, AlreadyThere(step));
      return done ? Status::Ok() : Run("ALTER TABLE " + table + " DROP COLUMNS " + QuoteName(c.column));
    }
    case SchemaChangeKind::kColumnRenamed: {
      if (sink::IsKeyColumn(before, c.old_column))
        return Status::FailedPrecondition(Refusal(step, "rename of key column " + c.old_column));
      SYNC_ASSIGN_OR_RETURN(bool done, AlreadyThere(step));
      return done ? Status::Ok()
                  : Run("ALTER TABLE " + table + " CHANGE COLUMN " + QuoteName(c.old_column) + " RENAME TO " +
                        QuoteName(c.column));
    }
    case SchemaChangeKind::kColumnModified:
      return ModifyColumn(step);
    case SchemaChangeKind::kPrimaryKeyChanged:
      return Status::FailedPrecondition(Refusal(step, "primary key change"));
    case SchemaChangeKind::kPartitionDataChanged:
      break;
  }
  return Status::FailedPrecondition(Refusal(step, SchemaChangeKindName(c.kind)));
}

}  // namespace dbsync::maxcompute
