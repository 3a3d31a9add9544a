#include "sink/postgres/pg_schema_change.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/text_util.hpp"
#include "sink/postgres/pg_ddl.hpp"

namespace dbsync::postgres {
namespace {


std::string Qualified(const sink::TableBinding& t) { return QualifiedName(t.dest_schema, t.dest_table); }

// "character varying(20)" -> 20; -1 for anything else.
int VarcharLength(const std::string& catalog_type) {
  const std::string prefix = "character varying(";
  if (!catalog_type.starts_with(prefix)) return -1;
  return std::atoi(catalog_type.c_str() + prefix.size());
}

Status HologresCannot(const sink::TableBinding& t, const std::string& what) {
  return Status::FailedPrecondition(
      "Hologres cannot " + what + " (destination table " + DestinationDisplayName(t) + ", for " + t.SourceName() +
      "); recreate the destination table in the new shape and copy its rows again (drop it and recreate the task "
      "for a fresh full initialization), or change it by hand and start the task again");
}

}  // namespace

std::string CatalogTypeName(const std::string& type) {
  if (type.starts_with("varchar(")) return "character varying" + type.substr(7);
  return type;
}

std::string CastExpression(const std::string& quoted, const PgColumn& from, const PgColumn& to) {
  if (from.kind == PgKind::kText && to.kind == PgKind::kBytea) return "convert_to(" + quoted + ", 'UTF8')";
  if (from.kind == PgKind::kBytea && to.kind == PgKind::kText)
    return "convert_from(" + quoted + ", 'UTF8')::" + to.type;
  // A plain bit(n) cast pads and truncates on the right; MySQL keeps the number.
  if (from.kind == PgKind::kBit && to.kind == PgKind::kBit) {
    std::string w = std::to_string(to.bit_width);
    return "right(lpad(" + quoted + "::text, " + w + ", '0'), " + w + ")::" + to.type;
  }
  // Without an explicit zone the cast would follow the session's TimeZone.
  if ((from.kind == PgKind::kTimestamp && to.kind == PgKind::kTimestamptz) ||
      (from.kind == PgKind::kTimestamptz && to.kind == PgKind::kTimestamp))
    return "(" + quoted + " AT TIME ZONE 'UTC')::" + to.type;
  return quoted + "::" + to.type;
}

Result<std::vector<std::string>> SchemaChangePlanner::Plan(const SchemaChange& change,
                                                           const sink::TableBinding& table,
                                                           const sink::TableBinding* old_table) {
  const std::string qualified = Qualified(table);
  switch (change.kind) {
    case SchemaChangeKind::kTableCreated:
      return PlanCreate(table);
    case SchemaChangeKind::kTableDropped: {
      SYNC_ASSIGN_OR_RETURN(bool exists, TableExists(conn_, table.dest_schema, table.dest_table));
      if (!exists) return std::vector<std::string>{};
      return std::vector<std::string>{"DROP TABLE IF EXISTS " + qualified};
    }
    case SchemaChangeKind::kTableRenamed:
      if (!old_table) return Status::InvalidArgument("a table rename needs the binding before it (old_table)");
      return PlanRename(table, *old_table);
    case SchemaChangeKind::kTableTruncated: {
      SYNC_ASSIGN_OR_RETURN(bool exists, TableExists(conn_, table.dest_schema, table.dest_table));
      if (!exists)
        return Status::FailedPrecondition("destination table " + DestinationDisplayName(table) + " (for " + table.SourceName() +
                                          ") does not exist, so its TRUNCATE cannot be applied; recreate the task "
                                          "to copy the table again");
      // A mode: existing table counts as truncated when it is empty.
      if (table.existing()) {
        SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT EXISTS (SELECT 1 FROM " + qualified + ")"));
        if (r.Scalar() == "f") return std::vector<std::string>{};
      }
      return std::vector<std::string>{"TRUNCATE " + qualified};
    }
    case SchemaChangeKind::kColumnAdded:
      return PlanAddColumn(change, table);
    case SchemaChangeKind::kColumnDropped: {
      SYNC_ASSIGN_OR_RETURN(DestColumn have, FindColumn(qualified, change.column));
      if (have.type.empty()) return std::vector<std::string>{};
      return std::vector<std::string>{"ALTER TABLE " + qualified + " DROP COLUMN IF EXISTS " +
                                      QuoteIdentifier(change.column)};
    }
    case SchemaChangeKind::kColumnRenamed:
      return PlanRenameColumn(change, table);
    case SchemaChangeKind::kColumnModified:
      return PlanModifyColumn(change, table);
    case SchemaChangeKind::kPrimaryKeyChanged:
      return PlanPrimaryKey(table);
    case SchemaChangeKind::kPartitionDataChanged:
      break;
  }
  return Status::InvalidArgument(std::string("no destination DDL for a ") +
                                 SchemaChangeKindName(change.kind) + " change");
}

Result<PgColumn> SchemaChangePlanner::MapChecked(const ColumnSchema& col, const sink::TableBinding& table) {
  auto mapped = MapColumn(col, dialect_);
  if (!mapped.ok()) return mapped.status().WithContext("table " + table.SourceName());
  if (!mapped->charset.empty()) {
    Status s = charsets_.CheckSupported(mapped->charset);
    if (!s.ok()) return s.WithContext(table.SourceName() + " column " + col.name);
  }
  return mapped;
}

Result<SchemaChangePlanner::DestColumn> SchemaChangePlanner::FindColumn(const std::string& qualified,
                                                                        const std::string& column) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT format_type(atttypid, atttypmod), attnotnull FROM "
                                            "pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attname = $2 "
                                            "AND attnum > 0 AND NOT attisdropped",
                                            {qualified, column}));
  DestColumn out;
  if (r.rows.empty()) return out;
  out.type = r.rows[0][0].value_or("");
  out.not_null = r.rows[0][1].value_or("") == "t";
  return out;
}

Result<bool> SchemaChangePlanner::HasNulls(const std::string& qualified, const std::string& column) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT EXISTS (SELECT 1 FROM " + qualified + " WHERE " +
                                            QuoteIdentifier(column) + " IS NULL)"));
  return r.Scalar() == "t";
}

Result<std::vector<std::string>> SchemaChangePlanner::PlanCreate(const sink::TableBinding& table) {
  SYNC_ASSIGN_OR_RETURN(auto columns, MapColumns(table.source, dialect_));
  for (const auto& c : columns) {
    if (c.charset.empty()) continue;
    Status s = charsets_.CheckSupported(c.charset);
    if (!s.ok()) return s.WithContext(table.SourceName() + " column " + c.name);
  }
  if (dialect_ == Dialect::kHologres && table.key.empty())
    return Status::FailedPrecondition(
        table.SourceName() + " has no primary key, and Hologres applies real-time changes only to tables with one; "
                             "set tables[].primary_key for it in the task spec, or exclude the table");
  SYNC_ASSIGN_OR_RETURN(TableDdl ddl, RenderCreateTable(table, columns, dialect_));
  SYNC_ASSIGN_OR_RETURN(bool exists, TableExists(conn_, table.dest_schema, table.dest_table));
  if (table.existing() || exists) {
    Status s = ValidateExistingTable(conn_, table, columns);
    if (!s.ok() && !table.existing())
      return s.WithContext("the destination table already exists and does not fit the created table; drop it or "
                           "fix it, then start the task again");
    if (!s.ok()) return s;
    return std::vector<std::string>{};
  }
  std::vector<std::string> out = {ddl.create_schema, ddl.create_table};
  out.insert(out.end(), ddl.properties.begin(), ddl.properties.end());
  return out;
}

Result<std::vector<std::string>> SchemaChangePlanner::PlanRename(const sink::TableBinding& table,
                                                                 const sink::TableBinding& old_table) {
  if (old_table.dest_schema == table.dest_schema && old_table.dest_table == table.dest_table)
    return std::vector<std::string>{};  // the name mapping sends both names to one table
  SYNC_ASSIGN_OR_RETURN(bool old_exists, TableExists(conn_, old_table.dest_schema, old_table.dest_table));
  SYNC_ASSIGN_OR_RETURN(bool new_exists, TableExists(conn_, table.dest_schema, table.dest_table));
  if (!old_exists && new_exists) return std::vector<std::string>{};  // renamed already
  if (!old_exists || new_exists)
    return Status::FailedPrecondition(
        "renaming destination table " + DestinationDisplayName(old_table) + " to " + DestinationDisplayName(table) + " (source " +
        old_table.SourceName() + " -> " + table.SourceName() + "): " +
        (old_exists ? "both tables exist; drop the one that should not be there"
                    : "neither table exists; recreate the task to copy the table again") +
        ", then start the task again");
  bool move = old_table.dest_schema != table.dest_schema;
  if (move && dialect_ == Dialect::kHologres)
    return HologresCannot(old_table, "move a table to another schema (to " + DestinationDisplayName(table) + ")");
  std::vector<std::string> out;
  if (move) out.push_back("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(table.dest_schema));
  if (old_table.dest_table != table.dest_table)
    out.push_back("ALTER TABLE " + Qualified(old_table) + " RENAME TO " + QuoteIdentifier(table.dest_table));
  if (move)
    out.push_back("ALTER TABLE " + QualifiedName(old_table.dest_schema, table.dest_table) + " SET SCHEMA " +
                  QuoteIdentifier(table.dest_schema));
  return out;
}

Result<std::vector<std::string>> SchemaChangePlanner::PlanAddColumn(const SchemaChange& change,
                                                                    const sink::TableBinding& table) {
  if (!change.after) return Status::InvalidArgument("an added column without its definition");
  SYNC_ASSIGN_OR_RETURN(PgColumn col, MapChecked(*change.after, table));
  std::string qualified = Qualified(table);
  SYNC_ASSIGN_OR_RETURN(DestColumn have, FindColumn(qualified, col.name));
  if (have.type.empty())
    return std::vector<std::string>{"ALTER TABLE " + qualified + " ADD COLUMN IF NOT EXISTS " +
                                    QuoteIdentifier(col.name) + " " + col.type};
  if (have.type == CatalogTypeName(col.type)) return std::vector<std::string>{};
  return Status::FailedPrecondition("destination table " + DestinationDisplayName(table) + " already has a column " + col.name +
                                    " of type " + have.type + ", but " + table.SourceName() + " added it as " +
                                    col.type + "; drop or fix the destination column, then start the task again");
}

Result<std::vector<std::string>> SchemaChangePlanner::PlanRenameColumn(const SchemaChange& change,
                                                                       const sink::TableBinding& table) {
  std::string qualified = Qualified(table);
  SYNC_ASSIGN_OR_RETURN(DestColumn old_col, FindColumn(qualified, change.old_column));
  SYNC_ASSIGN_OR_RETURN(DestColumn new_col, FindColumn(qualified, change.column));
  if (old_col.type.empty() && !new_col.type.empty()) return std::vector<std::string>{};  // renamed already
  if (old_col.type.empty() || !new_col.type.empty())
    return Status::FailedPrecondition(
        "renaming column " + change.old_column + " to " + change.column + " of destination table " + DestinationDisplayName(table) +
        ": " + (old_col.type.empty() ? "it has neither column" : "it has both columns already") +
        "; fix the destination table by hand, then start the task again");
  return std::vector<std::string>{"ALTER TABLE " + qualified + " RENAME COLUMN " +
                                  QuoteIdentifier(change.old_column) + " TO " + QuoteIdentifier(change.column)};
}

Result<std::vector<std::string>> SchemaChangePlanner::PlanModifyColumn(const SchemaChange& change,
                                                                       const sink::TableBinding& table) {
  if (!change.after) return Status::InvalidArgument("a modified column without its new definition");
  SYNC_ASSIGN_OR_RETURN(PgColumn to, MapChecked(*change.after, table));
  std::string qualified = Qualified(table);
  std::string column = QuoteIdentifier(to.name);
  SYNC_ASSIGN_OR_RETURN(DestColumn have, FindColumn(qualified, to.name));
  if (have.type.empty())
    return Status::FailedPrecondition("destination table " + DestinationDisplayName(table) + " has no column " + to.name +
                                      " to modify; add it by hand (" + to.type + "), then start the task again");
  std::vector<std::string> out;
  if (have.type != CatalogTypeName(to.type)) {
    if (dialect_ == Dialect::kHologres) {
      int from_len = VarcharLength(have.type), to_len = VarcharLength(CatalogTypeName(to.type));
      bool widening = from_len >= 0 && (to.type == "text" || to_len > from_len);
      if (!widening) return HologresCannot(table, "change column " + to.name + " from " + have.type + " to " + to.type);
      out.push_back("ALTER TABLE " + qualified + " ALTER COLUMN " + column + " TYPE " + to.type);
    } else {
      std::string cast = column + "::" + to.type;
      if (change.before) {
        auto from = MapColumn(*change.before, dialect_);
        if (from.ok()) cast = CastExpression(column, *from, to);
      }
      out.push_back("ALTER TABLE " + qualified + " ALTER COLUMN " + column + " TYPE " + to.type + " USING " + cast);
    }
  }
  bool in_key = std::find(table.key.begin(), table.key.end(), to.name) != table.key.end();
  if (have.not_null && !to.not_null && !in_key) {
    if (dialect_ == Dialect::kHologres) return HologresCannot(table, "drop NOT NULL of column " + to.name);
    out.push_back("ALTER TABLE " + qualified + " ALTER COLUMN " + column + " DROP NOT NULL");
  } else if (!have.not_null && to.not_null && dialect_ == Dialect::kPostgres) {
    // Rows that predate an ADD COLUMN hold NULL here but the source's default
    // there; the source enforces NOT NULL on every row sync writes, so the
    // column stays NULL-able rather than failing the task.
    SYNC_ASSIGN_OR_RETURN(bool nulls, HasNulls(qualified, to.name));
    if (!nulls) out.push_back("ALTER TABLE " + qualified + " ALTER COLUMN " + column + " SET NOT NULL");
  }
  return out;
}

Result<std::vector<std::string>> SchemaChangePlanner::PlanPrimaryKey(const sink::TableBinding& table) {
  // tables[].primary_key fixes the destination key whatever the source does.
  if (table.settings && !table.settings->primary_key.empty()) return std::vector<std::string>{};
  std::string qualified = Qualified(table);
  SYNC_ASSIGN_OR_RETURN(auto primary, PrimaryKeyOf(conn_, qualified));
  const std::string& constraint = primary.name;
  const std::vector<std::string>& have = primary.columns;
  if (have == table.key) return std::vector<std::string>{};
  if (dialect_ == Dialect::kHologres)
    return HologresCannot(table, "change a primary key (from (" + Join(have, ", ") + ") to (" +
                                     Join(table.key, ", ") + "))");
  std::vector<std::string> out;
  if (!constraint.empty())
    out.push_back("ALTER TABLE " + qualified + " DROP CONSTRAINT " + QuoteIdentifier(constraint));
  if (!table.key.empty()) {
    std::vector<std::string> cols;
    for (const auto& k : table.key) cols.push_back(QuoteIdentifier(k));
    out.push_back("ALTER TABLE " + qualified + " ADD PRIMARY KEY (" + Join(cols, ", ") + ")");
  }
  return out;
}

}  // namespace dbsync::postgres
