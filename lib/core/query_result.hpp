#pragma once
// Rows of a text-protocol query result, shared by the MySQL and PostgreSQL clients
// for metadata queries (checks, introspection). Bulk data never goes through this.

#include <optional>
#include <string>
#include <vector>

namespace dbsync {

using TextRow = std::vector<std::optional<std::string>>;

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<TextRow> rows;

  // Index of a column by name, or -1.
  int ColumnIndex(const std::string& name) const {
    for (size_t i = 0; i < columns.size(); ++i)
      if (columns[i] == name) return int(i);
    return -1;
  }
  // The first row's first value, or "" when there is none or it is NULL.
  std::string Scalar() const {
    if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
    return *rows[0][0];
  }
};

}  // namespace dbsync
