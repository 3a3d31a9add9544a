#include "core/table_schema.hpp"

namespace dbsync {

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
