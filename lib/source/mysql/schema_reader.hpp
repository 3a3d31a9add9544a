#pragma once
// Table definitions and the table list, from information_schema.

#include <string>
#include <vector>

#include "config/task_spec.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "net/mysql_client.hpp"

namespace dbsync::mysql {

struct TableName {
  std::string db, table;
};

// Base tables (no views, no system schemas) that the spec's include/exclude select.
Result<std::vector<TableName>> ListSelectedTables(Connection& conn, const config::SourceSpec& source);
// Every base table outside the system schemas.
Result<std::vector<TableName>> ListAllTables(Connection& conn);
// One table's columns, types and primary key. NotFound when it does not exist
// or the user has no privilege on it.
Result<TableSchema> ReadTableSchema(Connection& conn, const std::string& db, const std::string& table);

}  // namespace dbsync::mysql
