#include "core/table_schema.hpp"

namespace dbsync {

nlohmann::json TableSchemaToJson(const TableSchema& t) {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : t.columns)
    cols.push_back({{"name", c.name}, {"data_type", c.data_type}, {"column_type", c.column_type},
                    {"unsigned", c.is_unsigned}, {"nullable", c.nullable}, {"collation", c.collation},
                    {"charset", c.charset}, {"collation_name", c.collation_name}, {"precision", c.precision},
                    {"scale", c.scale}, {"fsp", c.fsp}, {"members", c.enum_values}});
  return {{"db", t.db}, {"table", t.table}, {"columns", cols}, {"primary_key", t.primary_key}};
}

TableSchema TableSchemaFromJson(const nlohmann::json& j) {
  TableSchema t;
  t.db = j.value("db", "");
  t.table = j.value("table", "");
  t.primary_key = j.value("primary_key", std::vector<std::string>{});
  for (const auto& c : j.value("columns", nlohmann::json::array())) {
    ColumnSchema col;
    col.name = c.value("name", "");
    col.data_type = c.value("data_type", "");
    col.column_type = c.value("column_type", "");
    col.is_unsigned = c.value("unsigned", false);
    col.nullable = c.value("nullable", true);
    col.collation = c.value("collation", uint16_t{0});
    col.charset = c.value("charset", "");
    col.collation_name = c.value("collation_name", "");
    col.precision = c.value("precision", 0);
    col.scale = c.value("scale", 0);
    col.fsp = c.value("fsp", 0);
    col.enum_values = c.value("members", std::vector<std::string>{});
    t.columns.push_back(std::move(col));
  }
  return t;
}

std::vector<std::string> ParseEnumMembers(const std::string& column_type) {
  std::vector<std::string> out;
  size_t i = column_type.find('(');
  if (i == std::string::npos) return out;
  for (++i; i < column_type.size(); ++i) {
    if (column_type[i] != '\'') continue;
    std::string member;
    for (++i; i < column_type.size(); ++i) {
      char c = column_type[i];
      if (c == '\'' && i + 1 < column_type.size() && column_type[i + 1] == '\'') {
        member += '\'';  // '' is an escaped quote inside the member
        ++i;
      } else if (c == '\\' && i + 1 < column_type.size()) {
        member += column_type[++i];
      } else if (c == '\'') {
        break;
      } else {
        member += c;
      }
    }
    out.push_back(member);
  }
  return out;
}

}  // namespace dbsync
