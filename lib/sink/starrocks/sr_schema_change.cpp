#include "sink/starrocks/sr_schema_change.hpp"

#include "sink/schema_migration_log.hpp"

#include <algorithm>
#include <thread>

#include "core/text_util.hpp"
#include "sink/change_helpers.hpp"
#include "sink/starrocks/sr_state.hpp"
#include "sink/starrocks/sr_types.hpp"

namespace dbsync::starrocks {
namespace {

bool Mentions(const Status& s, std::initializer_list<const char*> parts) {
  for (const char* p : parts)
    if (s.message().find(p) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string QualifiedName(const std::string& db, const std::string& table) {
  return QuoteIdentifier(db) + "." + QuoteIdentifier(table);
}

Status SchemaChanger::CreateTable(const sink::TableBinding& t) {
  SYNC_ASSIGN_OR_RETURN(auto columns, MapColumns(t.source, t.key));
  const std::string create_db = "CREATE DATABASE IF NOT EXISTS " + QuoteIdentifier(t.dest_schema);
  SYNC_RETURN_IF_ERROR(conn_.Execute(create_db));
  std::string partition_column = t.settings && t.settings->partition ? t.settings->partition->field : "";
  const std::string create_table = CreateTableSql(t.dest_schema, t.dest_table, columns, options_, partition_column);
  SYNC_RETURN_IF_ERROR(conn_.Execute(create_table));
  sink::SchemaMigrationLog::Instance().Record(t.SourceName(), {"ensured", {create_db, create_table}});
  return Status::Ok();
}

Status SchemaChanger::WaitForAlter(const std::string& db, const std::string& table) {
  auto deadline = std::chrono::steady_clock::now() + alter_timeout_;
  auto pause = std::chrono::milliseconds(100);
  while (true) {
    // The newest job by JobId, as the Flink connector asks: CreateTime has
    // one-second resolution, so two changes within a second tie on it.
    SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SHOW ALTER TABLE COLUMN FROM " + QuoteIdentifier(db) +
                                              " WHERE TableName = " + mysql::QuoteString(table) +
                                              " ORDER BY JobId DESC LIMIT 1"));
    if (r.rows.empty()) return Status::Ok();
    int state_at = r.ColumnIndex("State"), msg_at = r.ColumnIndex("Msg");
    std::string state = state_at >= 0 ? r.rows[0][state_at].value_or("") : "";
    if (state == "FINISHED") return Status::Ok();
    if (state == "CANCELLED")
      return Status::FailedPrecondition("StarRocks cancelled the schema change of " + db + "." + table + ": " +
                                        (msg_at >= 0 ? r.rows[0][msg_at].value_or("") : "") +
                                        "; make the change by hand, then restart the task");
    CrashPoint("starrocks.ddl_wait");
    if (std::chrono::steady_clock::now() > deadline)
      return Status::Unavailable("the schema change of " + db + "." + table + " is still " + state + " after " +
                                 std::to_string(alter_timeout_.count()) + " s; see SHOW ALTER TABLE COLUMN");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(3000));
  }
}

Status SchemaChanger::Alter(const std::string& db, const std::string& table, const std::string& clause) {
  // One schema change per table at a time (2.4): one left running (by a
  // crashed worker, or the previous step) is waited for first.
  SYNC_RETURN_IF_ERROR(WaitForAlter(db, table));
  SYNC_RETURN_IF_ERROR(conn_.Execute("ALTER TABLE " + QualifiedName(db, table) + " " + clause));
  return WaitForAlter(db, table);
}

Status SchemaChanger::ModifyColumn(const sink::SchemaChangeStep& step) {
  const auto& c = step.change;
  if (!c.after || !c.before) return Status::Ok();
  SYNC_ASSIGN_OR_RETURN(SrColumn after, MapColumn(*c.after, sink::IsKeyColumn(*step.table, c.column)));
  SYNC_ASSIGN_OR_RETURN(SrColumn before, MapColumn(*c.before, sink::IsKeyColumn(step.old_table ? *step.old_table : *step.table, c.column)));
  if (after.type == before.type) return Status::Ok();  // nullability, charset or position only
  if (after.key)
    return Status::FailedPrecondition("the type of key column " + c.column + " of " + c.db + "." + c.table +
                                      " changed; StarRocks cannot change a primary key column: recreate " +
                                      step.table->dest_schema + "." + step.table->dest_table +
                                      " and re-run the task's full initialization");
  Status s = Alter(step.table->dest_schema, step.table->dest_table,
                   "MODIFY COLUMN " + QuoteIdentifier(c.column) + " " + after.type + " NULL");
  if (!s.ok())
    return Status::FailedPrecondition("StarRocks cannot change column " + c.column + " of " +
                                      step.table->dest_schema + "." + step.table->dest_table + " from " + before.type +
                                      " to " + after.type + " (" + s.message() +
                                      "); change it by hand or recreate the table, then restart the task");
  return s;
}

Result<bool> SchemaChanger::AlreadyThere(const sink::SchemaChangeStep& step) {
  const auto& c = step.change;
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                                            mysql::QuoteString(step.table->dest_schema) + " AND TABLE_NAME = " +
                                            mysql::QuoteString(step.table->dest_table)));
  auto has = [&](const std::string& name) {
    for (const auto& row : r.rows)
      if (row[0] && ToLower(*row[0]) == ToLower(name)) return true;  // StarRocks column names ignore case
    return false;
  };
  switch (c.kind) {
    case SchemaChangeKind::kColumnAdded: return has(c.column);
    case SchemaChangeKind::kColumnDropped: return !has(c.column);
    case SchemaChangeKind::kColumnRenamed: return has(c.column) && !has(c.old_column);
    default: return false;
  }
}

Status SchemaChanger::Apply(const sink::SchemaChangeStep& step) {
  const auto& c = step.change;
  const sink::TableBinding& t = *step.table;
  const std::string& db = t.dest_schema;
  const std::string& table = t.dest_table;
  bool existing = t.existing() || (step.old_table && step.old_table->existing());
  if (existing && c.kind != SchemaChangeKind::kTableTruncated) {
    // Never altered, but a change made there by hand lets the task go on.
    SYNC_ASSIGN_OR_RETURN(bool done, AlreadyThere(step));
    return done ? Status::Ok() : sink::RefuseOnExistingTable(step);
  }
  switch (c.kind) {
    case SchemaChangeKind::kTableCreated:
      if (step.recopy) SYNC_RETURN_IF_ERROR(conn_.Execute("DROP TABLE IF EXISTS " + QualifiedName(db, table) + " FORCE"));
      return CreateTable(t);
    case SchemaChangeKind::kTableDropped:
      return conn_.Execute("DROP TABLE IF EXISTS " + QualifiedName(db, table) + " FORCE");
    case SchemaChangeKind::kTableTruncated:
      SYNC_RETURN_IF_ERROR(WaitForAlter(db, table));
      return conn_.Execute("TRUNCATE TABLE " + QualifiedName(db, table));
    case SchemaChangeKind::kTableRenamed: {
      const sink::TableBinding& from = step.old_table ? *step.old_table : t;
      if (from.dest_schema != db)
        return Status::FailedPrecondition("source table " + c.old_db + "." + c.old_table + " was renamed to " + c.db +
                                          "." + c.table + ", which maps to another StarRocks database (" +
                                          from.dest_schema + " -> " + db + "); StarRocks cannot move a table between "
                                          "databases: map both names to one database, or re-run the full initialization");
      if (from.dest_table == table) return Status::Ok();
      Status s = conn_.Execute("ALTER TABLE " + QualifiedName(db, from.dest_table) + " RENAME " + QuoteIdentifier(table));
      if (!s.ok() && Mentions(s, {"Unknown table", "does not exist", "not exist"})) return Status::Ok();  // a replay
      return s;
    }
    case SchemaChangeKind::kColumnAdded: {
      if (!c.after) return Status::Ok();
      SYNC_ASSIGN_OR_RETURN(SrColumn col, MapColumn(*c.after, false));
      Status s = Alter(db, table, "ADD COLUMN " + QuoteIdentifier(col.name) + " " + col.type + " NULL");
      if (!s.ok() && Mentions(s, {"Duplicate column", "already exists"})) return Status::Ok();  // a replay
      return s;
    }
    case SchemaChangeKind::kColumnDropped: {
      const sink::TableBinding& before = step.old_table ? *step.old_table : t;
      if (sink::IsKeyColumn(before, c.column))
        return Status::FailedPrecondition("key column " + c.column + " of " + c.db + "." + c.table +
                                          " was dropped; StarRocks cannot drop a primary key column: recreate " + db +
                                          "." + table + " and re-run the task's full initialization");
      Status s = Alter(db, table, "DROP COLUMN " + QuoteIdentifier(c.column));
      if (!s.ok() && Mentions(s, {"Unknown column", "does not exist", "not exist"})) return Status::Ok();
      return s;
    }
    case SchemaChangeKind::kColumnRenamed: {
      const sink::TableBinding& before = step.old_table ? *step.old_table : t;
      if (sink::IsKeyColumn(before, c.old_column))
        return Status::FailedPrecondition("key column " + c.old_column + " of " + c.db + "." + c.table +
                                          " was renamed; StarRocks cannot rename a primary key column: recreate " +
                                          db + "." + table + " and re-run the task's full initialization");
      Status s = Alter(db, table, "RENAME COLUMN " + QuoteIdentifier(c.old_column) + " TO " + QuoteIdentifier(c.column));
      if (!s.ok() && Mentions(s, {"Unknown column", "does not exist", "not exist"})) return Status::Ok();
      return s;
    }
    case SchemaChangeKind::kColumnModified:
      return ModifyColumn(step);
    case SchemaChangeKind::kPrimaryKeyChanged:
      return Status::FailedPrecondition("the primary key of " + c.db + "." + c.table + " changed; a StarRocks Primary "
                                        "Key table keeps its key: recreate " + db + "." + table + " with the new key "
                                        "and re-run the task's full initialization");
    case SchemaChangeKind::kPartitionDataChanged:
      break;
  }
  return Status::FailedPrecondition("StarRocks cannot apply " + std::string(SchemaChangeKindName(c.kind)) + " on " +
                                    c.db + "." + c.table + "; make the change at " + db + "." + table +
                                    " by hand and restart the task, or set the ddl policy for it");
}

}  // namespace dbsync::starrocks
