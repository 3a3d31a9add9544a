#pragma once
// Schema migration for PostgreSQL and Hologres: the DDL that creates a
// destination table, and the validation of an existing one (mode: existing).
//
// Hologres dialect: table properties are set with CALL set_table_property in
// the same transaction as CREATE TABLE, the form every Hologres version
// accepts ("CREATE TABLE", all-versions syntax:
// https://www.alibabacloud.com/help/en/hologres/developer-reference/create-tables
// and https://www.alibabacloud.com/help/en/hologres/latest/set-table-property).
// The V2.1+ `WITH (...)` form would be shorter but fails on older instances.
// Properties: orientation = tables[].storage (default column); distribution_key
// = tables[].distribution_key, default the key; clustering_key and
// event_time_column when given. Every identifier is double-quoted, in SQL and
// inside the property values, so upper case, spaces and quotes survive.

#include <map>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "sink/postgres/pg_connection.hpp"
#include "sink/postgres/pg_types.hpp"
#include "sink/sink.hpp"

namespace dbsync::postgres {

// "schema.table" of the destination table, unquoted, for messages.
inline std::string DestinationDisplayName(const sink::TableBinding& t) { return t.dest_schema + "." + t.dest_table; }

struct TableDdl {
  std::string create_schema;             // CREATE SCHEMA IF NOT EXISTS ...
  std::string create_table;              // CREATE TABLE IF NOT EXISTS ... (columns, PRIMARY KEY)
  std::vector<std::string> properties;   // Hologres: CALL set_table_property(...); empty for PostgreSQL
};

// "schema"."table", quoted.
std::string QualifiedName(const std::string& schema, const std::string& table);

// The DDL for `table`. kInvalidArgument when a key, distribution, clustering or
// event-time column is not a column of the table, or the storage is unknown.
Result<TableDdl> RenderCreateTable(const sink::TableBinding& table, const std::vector<PgColumn>& columns,
                                   Dialect dialect);

// What ValidateExistingTable asks of a keyed binding's key.
enum class KeyCheck {
  kRequired,         // a primary key or unique index on exactly the key columns
  kMayBeBuiltLater,  // that, or no primary key at all: a table of sync's own
                     // whose copy loads it keyless (PgSink::BuildKeys adds it)
};

// Checks that the destination table exists, has every mapped column, and (for
// a keyed binding) a primary key or unique index on exactly the key columns,
// which upserts need. Never alters anything. kFailedPrecondition with what is
// missing and what to do; kNotFound when the table does not exist.
Status ValidateExistingTable(Connection& conn, const sink::TableBinding& table,
                             const std::vector<PgColumn>& columns, KeyCheck key_check = KeyCheck::kRequired);

// Whether the table has a primary key or unique index on exactly `key` (any
// order; not partial, not on expressions): what ON CONFLICT (key) needs.
Result<bool> HasKeyIndex(Connection& conn, const std::string& qualified, const std::vector<std::string>& key);

// The table's primary key constraint: its name and columns in key order
// (both empty when it has none).
struct PrimaryKeyConstraint {
  std::string name;
  std::vector<std::string> columns;
};
Result<PrimaryKeyConstraint> PrimaryKeyOf(Connection& conn, const std::string& qualified);

// The error for a keyed binding whose destination table lacks the index
// HasKeyIndex looks for: what is missing and the statement that adds it.
Status MissingKeyIndex(const sink::TableBinding& table);

// Whether the destination table exists.
Result<bool> TableExists(Connection& conn, const std::string& schema, const std::string& table);
// The names of the table's columns, in the catalog's order.
Result<std::vector<std::string>> TableColumnNames(Connection& conn, const std::string& schema, const std::string& table);
// Each column's type without modifiers, by column name (`regtype` text:
// "character varying", "timestamp with time zone").
Result<std::map<std::string, std::string>> TableColumnTypes(Connection& conn, const std::string& schema,
                                                            const std::string& table);

}  // namespace dbsync::postgres
