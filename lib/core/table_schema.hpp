#pragma once
// A source table's definition as read from information_schema: what the
// snapshot reader needs to type its values, and what fills in the binlog's
// TABLE_MAP where the server leaves metadata out (MariaDB and MySQL < 8 write
// no column names, signedness or ENUM labels).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dbsync {

struct ColumnSchema {
  std::string name;
  std::string data_type;    // lower case information_schema DATA_TYPE: "int", "varchar", "enum", ...
  std::string column_type;  // full declaration: "int(10) unsigned", "enum('a','b')"
  bool is_unsigned = false;
  bool nullable = true;
  uint16_t collation = 0;   // collation id (63 = binary); 0 for non-character columns
  std::string charset;      // CHARACTER_SET_NAME, e.g. "utf8mb4"; empty for non-character columns
  std::string collation_name;
  int precision = 0;        // DECIMAL precision, or BIT width
  int scale = 0;            // DECIMAL scale
  int fsp = 0;              // fractional seconds of TIME/DATETIME/TIMESTAMP
  std::vector<std::string> enum_values;  // ENUM or SET members, in declaration order

  bool operator==(const ColumnSchema&) const = default;
};

struct TableSchema {
  std::string db;
  std::string table;
  std::vector<ColumnSchema> columns;
  std::vector<std::string> primary_key;  // column names in key order; empty if none

  // Index of a column by name, or -1.
  int ColumnIndex(const std::string& name) const {
    for (size_t i = 0; i < columns.size(); ++i)
      if (columns[i].name == name) return int(i);
    return -1;
  }
  std::string FullName() const { return db + "." + table; }
  bool operator==(const TableSchema&) const = default;
};

// For saving the tracked schema with the worker's state.
nlohmann::json TableSchemaToJson(const TableSchema& schema);
TableSchema TableSchemaFromJson(const nlohmann::json& j);

// ENUM/SET members from a COLUMN_TYPE such as "enum('a','it''s')".
std::vector<std::string> ParseEnumMembers(const std::string& column_type);

}  // namespace dbsync
