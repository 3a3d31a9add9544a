#include "source/mysql/schema_reader.hpp"

#include <algorithm>

#include "core/text_util.hpp"

namespace dbsync::mysql {

Result<std::vector<TableName>> ListAllTables(Connection& conn) {
  // Database by database with SHOW FULL TABLES, which reads names and types
  // without opening any table or view. A scan of information_schema.TABLES
  // across every database opens views (the sys schema's too), and MariaDB
  // 10.11 crashed (ha_maria::drop_table under create_tmp_table_for_schema,
  // seen twice in the test suite) when a client died while such a query
  // opened a view.
  SYNC_ASSIGN_OR_RETURN(auto dbs, conn.Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1"));
  std::vector<TableName> out;
  for (const auto& db_row : dbs.rows) {
    const std::string db = db_row[0].value_or("");
    if (db == "mysql" || db == "information_schema" || db == "performance_schema" || db == "sys") continue;
    SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SHOW FULL TABLES FROM " + QuoteIdentifier(db) +
                                             " WHERE Table_type = 'BASE TABLE'"));
    std::vector<std::string> names;
    for (const auto& row : r.rows) names.push_back(row[0].value_or(""));
    std::sort(names.begin(), names.end());
    for (auto& name : names) out.push_back({db, std::move(name)});
  }
  return out;
}

Result<std::vector<TableName>> ListSelectedTables(Connection& conn, const config::SourceSpec& source) {
  SYNC_ASSIGN_OR_RETURN(auto all, ListAllTables(conn));
  std::vector<TableName> out;
  for (auto& t : all)
    if (config::IsTableSelected(source, t.db, t.table)) out.push_back(std::move(t));
  return out;
}

Result<TableSchema> ReadTableSchema(Connection& conn, const std::string& db, const std::string& table) {
  std::string where = " WHERE c.TABLE_SCHEMA=" + QuoteString(db) + " AND c.TABLE_NAME=" + QuoteString(table);
  SYNC_ASSIGN_OR_RETURN(
      auto cols,
      conn.Query("SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE, co.ID, c.NUMERIC_PRECISION, "
                 "c.NUMERIC_SCALE, c.DATETIME_PRECISION, c.CHARACTER_SET_NAME, c.COLLATION_NAME FROM information_schema.COLUMNS c "
                 "LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME" +
                 where + " ORDER BY c.ORDINAL_POSITION"));
  if (cols.rows.empty())
    return Status::NotFound("table " + db + "." + table + " does not exist or the user has no privilege on it");
  TableSchema schema;
  schema.db = db;
  schema.table = table;
  for (const auto& row : cols.rows) {
    ColumnSchema c;
    c.name = *row[0];
    c.data_type = ToLower(row[1].value_or(""));
    c.column_type = row[2].value_or("");
    c.is_unsigned = ToLower(c.column_type).find("unsigned") != std::string::npos;
    c.nullable = row[3].value_or("YES") == "YES";
    c.collation = static_cast<uint16_t>(std::atoi(row[4].value_or("0").c_str()));
    if (c.data_type == "binary" || c.data_type == "varbinary" || c.data_type.ends_with("blob")) c.collation = 63;
    c.precision = std::atoi(row[5].value_or("0").c_str());
    c.scale = std::atoi(row[6].value_or("0").c_str());
    c.fsp = std::atoi(row[7].value_or("0").c_str());
    c.charset = row[8].value_or("");
    c.collation_name = row[9].value_or("");
    if (c.data_type == "enum" || c.data_type == "set") c.enum_values = ParseEnumMembers(c.column_type);
    if (c.data_type == "bit") c.precision = std::atoi(c.column_type.c_str() + c.column_type.find('(') + 1);
    schema.columns.push_back(std::move(c));
  }
  SYNC_ASSIGN_OR_RETURN(auto pk, conn.Query("SELECT COLUMN_NAME FROM information_schema.STATISTICS c" + where +
                                            " AND c.INDEX_NAME='PRIMARY' ORDER BY c.SEQ_IN_INDEX"));
  for (const auto& row : pk.rows) schema.primary_key.push_back(*row[0]);
  return schema;
}

}  // namespace dbsync::mysql
