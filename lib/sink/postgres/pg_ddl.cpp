#include "sink/postgres/pg_ddl.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/text_util.hpp"
#include "sink/postgres/pg_partitions.hpp"

namespace dbsync::postgres {
namespace {

bool HasColumn(const std::vector<PgColumn>& columns, const std::string& name) {
  return std::any_of(columns.begin(), columns.end(), [&](const PgColumn& c) { return c.name == name; });
}

Status CheckColumns(const sink::TableBinding& table, const std::vector<PgColumn>& columns,
                    const std::vector<std::string>& names, const std::string& what) {
  for (const auto& n : names)
    if (!HasColumn(columns, n))
      return Status::InvalidArgument(what + " names column '" + n + "', which " + table.SourceName() +
                                     " does not have; fix tables[] in the task spec");
  return Status::Ok();
}

// '"a","B c"' for a property value; a clustering entry may carry ":asc"/":desc".
std::string PropertyColumns(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back(QuoteIdentifier(n));
  return Join(quoted, ",");
}

std::string Property(const std::string& qualified, const std::string& name, const std::string& value) {
  return "CALL set_table_property(" + QuoteLiteral(qualified) + ", " + QuoteLiteral(name) + ", " +
         QuoteLiteral(value) + ")";
}

}  // namespace

std::string QualifiedName(const std::string& schema, const std::string& table) {
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(table);
}

Result<TableDdl> RenderCreateTable(const sink::TableBinding& table, const std::vector<PgColumn>& columns,
                                   Dialect dialect) {
  SYNC_RETURN_IF_ERROR(CheckColumns(table, columns, table.key, "the primary key"));
  const config::TableSpec* s = table.settings;
  TableDdl ddl;
  std::string qualified = QualifiedName(table.dest_schema, table.dest_table);
  ddl.create_schema = "CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(table.dest_schema);
  std::string sql = "CREATE TABLE IF NOT EXISTS " + qualified + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    const PgColumn& c = columns[i];
    bool in_key = std::find(table.key.begin(), table.key.end(), c.name) != table.key.end();
    sql += (i ? ",\n  " : "\n  ") + QuoteIdentifier(c.name) + " " + c.type + (c.not_null || in_key ? " NOT NULL" : "");
  }
  if (!table.key.empty()) sql += ",\n  PRIMARY KEY (" + PropertyColumns(table.key) + ")";
  ddl.create_table = sql + "\n)";
  if (s && s->partition) {
    auto it = std::find_if(columns.begin(), columns.end(), [&](const PgColumn& c) { return c.name == s->partition->field; });
    if (it == columns.end())
      return Status::InvalidArgument("tables[].partition names column '" + s->partition->field + "', which " +
                                     table.SourceName() + " does not have");
    if (!PartitionableColumn(*it, dialect))
      return Status::InvalidArgument("tables[].partition of " + table.SourceName() + ": the column " + it->name +
                                     " is " + it->type + ", and a partition column is text, varchar, " +
                                     (dialect == Dialect::kHologres ? "integer" : "an integer") + " or a date; give "
                                     "it one with tables[].column_types (" + it->name + ": text)");
    ddl.create_table += " PARTITION BY LIST (" + QuoteIdentifier(it->name) + ")";
  }
  if (dialect != Dialect::kHologres) return ddl;

  std::string storage = s && !s->storage.empty() ? s->storage : "column";
  if (storage != "column" && storage != "row" && storage != "row,column")
    return Status::InvalidArgument("tables[].storage '" + storage + "' is not one of column, row, row,column");
  ddl.properties.push_back(Property(qualified, "orientation", storage));
  std::vector<std::string> distribution = s && !s->distribution_key.empty() ? s->distribution_key : table.key;
  SYNC_RETURN_IF_ERROR(CheckColumns(table, columns, distribution, "tables[].distribution_key"));
  if (!distribution.empty())
    ddl.properties.push_back(Property(qualified, "distribution_key", PropertyColumns(distribution)));
  if (s && !s->clustering_key.empty()) {
    std::vector<std::string> entries;
    for (const auto& k : s->clustering_key) {
      size_t colon = k.rfind(':');
      std::string name = k, order;
      if (colon != std::string::npos && (k.substr(colon) == ":asc" || k.substr(colon) == ":desc")) {
        name = k.substr(0, colon);
        order = k.substr(colon);
      }
      SYNC_RETURN_IF_ERROR(CheckColumns(table, columns, {name}, "tables[].clustering_key"));
      entries.push_back(QuoteIdentifier(name) + order);
    }
    ddl.properties.push_back(Property(qualified, "clustering_key", Join(entries, ",")));
  }
  if (s && !s->event_time_column.empty()) {
    SYNC_RETURN_IF_ERROR(CheckColumns(table, columns, {s->event_time_column}, "tables[].event_time_column"));
    ddl.properties.push_back(Property(qualified, "event_time_column", QuoteIdentifier(s->event_time_column)));
  }
  if (!s) return ddl;
  for (const auto& [key, entries] : {std::pair{"bitmap_columns", &s->bitmap_columns},
                                     {"dictionary_encoding_columns", &s->dictionary_encoding_columns}}) {
    if (entries->empty()) continue;
    std::vector<std::string> rendered;
    for (const auto& e : *entries) {
      size_t colon = e.rfind(':');
      std::string name = e, state;
      if (colon != std::string::npos && (e.substr(colon) == ":on" || e.substr(colon) == ":off")) {
        name = e.substr(0, colon);
        state = e.substr(colon);
      }
      SYNC_RETURN_IF_ERROR(CheckColumns(table, columns, {name}, std::string("tables[].") + key));
      rendered.push_back(QuoteIdentifier(name) + state);
    }
    ddl.properties.push_back(Property(qualified, key, Join(rendered, ",")));
  }
  if (!s->binlog_level.empty()) ddl.properties.push_back(Property(qualified, "binlog.level", s->binlog_level));
  if (s->binlog_ttl > 0) ddl.properties.push_back(Property(qualified, "binlog.ttl", std::to_string(s->binlog_ttl)));
  if (s->time_to_live_in_seconds > 0)
    ddl.properties.push_back(Property(qualified, "time_to_live_in_seconds", std::to_string(s->time_to_live_in_seconds)));
  return ddl;
}

Result<bool> TableExists(Connection& conn, const std::string& schema, const std::string& table) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                                           "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
                                           "AND c.relkind IN ('r', 'p', 'f')",
                                           {schema, table}));
  return !r.rows.empty();
}

Result<std::vector<std::string>> TableColumnNames(Connection& conn, const std::string& schema, const std::string& table) {
  SYNC_ASSIGN_OR_RETURN(auto cols, conn.Query("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = "
                                              "$1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                                              {QualifiedName(schema, table)}));
  std::vector<std::string> names;
  for (const auto& row : cols.rows) names.push_back(row[0].value_or(""));
  return names;
}

Result<std::map<std::string, std::string>> TableColumnTypes(Connection& conn, const std::string& schema,
                                                            const std::string& table) {
  SYNC_ASSIGN_OR_RETURN(auto cols, conn.Query("SELECT attname, atttypid::regtype::text FROM pg_catalog.pg_attribute "
                                              "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                                              {QualifiedName(schema, table)}));
  std::map<std::string, std::string> types;
  for (const auto& row : cols.rows) types[row[0].value_or("")] = row[1].value_or("");
  return types;
}

Result<bool> HasKeyIndex(Connection& conn, const std::string& qualified, const std::vector<std::string>& key) {
  SYNC_ASSIGN_OR_RETURN(auto idx, conn.Query("SELECT i.indexrelid::text, a.attname FROM pg_catalog.pg_index i "
                                             "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND "
                                             "a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND "
                                             "i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL",
                                             {qualified}));
  std::map<std::string, std::set<std::string>> indexes;
  for (const auto& row : idx.rows) indexes[row[0].value_or("")].insert(row[1].value_or(""));
  const std::set<std::string> wanted(key.begin(), key.end());
  for (const auto& [oid, names] : indexes)
    if (names == wanted) return true;
  return false;
}

Result<PrimaryKeyConstraint> PrimaryKeyOf(Connection& conn, const std::string& qualified) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT c.conname, a.attname FROM pg_catalog.pg_constraint c JOIN "
                                           "pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = "
                                           "ANY(c.conkey) WHERE c.conrelid = $1::regclass AND c.contype = 'p' "
                                           "ORDER BY array_position(c.conkey, a.attnum)",
                                           {qualified}));
  PrimaryKeyConstraint key;
  for (const auto& row : r.rows) {
    key.name = row[0].value_or("");
    key.columns.push_back(row[1].value_or(""));
  }
  return key;
}

Status MissingKeyIndex(const sink::TableBinding& table) {
  std::string qualified = QualifiedName(table.dest_schema, table.dest_table);
  return Status::FailedPrecondition("destination table " + DestinationDisplayName(table) +
                                    " has no primary key or unique index on (" + Join(table.key, ", ") +
                                    "), which applying updates and deletes needs; add one (ALTER TABLE " + qualified +
                                    " ADD PRIMARY KEY (" + PropertyColumns(table.key) +
                                    ")) or set tables[].primary_key to its key");
}

Status ValidateExistingTable(Connection& conn, const sink::TableBinding& table, const std::vector<PgColumn>& columns,
                             KeyCheck key_check) {
  std::string qualified = QualifiedName(table.dest_schema, table.dest_table);
  std::string display = DestinationDisplayName(table);
  SYNC_ASSIGN_OR_RETURN(bool exists, TableExists(conn, table.dest_schema, table.dest_table));
  if (!exists)
    return Status::NotFound("destination table " + display + " (for " + table.SourceName() +
                            ") does not exist; create it, or set mode: new in tables[] so that sync creates it");
  SYNC_ASSIGN_OR_RETURN(auto names, TableColumnNames(conn, table.dest_schema, table.dest_table));
  std::set<std::string> present(names.begin(), names.end());
  std::vector<std::string> missing;
  for (const auto& c : columns)
    if (!present.count(c.name)) missing.push_back(c.name + " " + c.type);
  if (!missing.empty())
    return Status::FailedPrecondition("destination table " + display + " lacks column(s) " + Join(missing, ", ") +
                                      " of " + table.SourceName() +
                                      "; add them (sync never alters a mode: existing table) or exclude the table");
  if (table.key.empty()) return Status::Ok();
  SYNC_ASSIGN_OR_RETURN(bool keyed, HasKeyIndex(conn, qualified, table.key));
  if (keyed) return Status::Ok();
  if (key_check == KeyCheck::kMayBeBuiltLater) {
    SYNC_ASSIGN_OR_RETURN(auto primary, PrimaryKeyOf(conn, qualified));
    if (primary.columns.empty()) return Status::Ok();
  }
  return MissingKeyIndex(table);
}

}  // namespace dbsync::postgres
