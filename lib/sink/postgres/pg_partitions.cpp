#include "sink/postgres/pg_partitions.hpp"

#include <cstdio>

#include "sink/postgres/pg_ddl.hpp"

namespace dbsync::postgres {
namespace {

constexpr size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1: longer names are cut by the server

bool PlainWord(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

// The value inside "FOR VALUES IN ('v')" or "FOR VALUES IN (5)".
std::string BoundValue(const std::string& bound) {
  size_t open = bound.find("IN (");
  size_t close = bound.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open + 4) return "";
  std::string inner = bound.substr(open + 4, close - open - 4);
  if (inner.size() < 2 || inner.front() != '\'') return inner;
  size_t end = inner.rfind('\'');  // a cast may follow: '2024-01-01'::date
  std::string out;
  for (size_t i = 1; i < end; ++i) {
    out += inner[i];
    if (inner[i] == '\'' && i + 1 < end && inner[i + 1] == '\'') ++i;
  }
  return out;
}

}  // namespace

bool PartitionableColumn(const PgColumn& column, Dialect dialect) {
  switch (column.kind) {
    case PgKind::kInteger:
      return dialect == Dialect::kPostgres || column.base_type == "integer";
    case PgKind::kText:
    case PgKind::kDate:
      return true;
    default:
      return false;
  }
}

std::string ChildTableName(const std::string& parent, const std::string& value) {
  if (PlainWord(value) && parent.size() + 1 + value.size() <= kMaxIdentifier) return parent + "_" + value;
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : value) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return parent.substr(0, kMaxIdentifier - 17) + "_" + hex;
}

Status PartitionChildren::Load(Connection& conn) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid) "
                                           "FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c "
                                           "ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass",
                                           {QualifiedName(schema_, parent_)}));
  children_.clear();
  for (const auto& row : r.rows) children_[BoundValue(row[1].value_or(""))] = row[0].value_or("");
  return Status::Ok();
}

const std::string* PartitionChildren::ChildOf(const std::string& value) const {
  auto it = children_.find(value);
  return it == children_.end() ? nullptr : &it->second;
}

std::set<std::string> PartitionChildren::Missing(const std::set<std::string>& values) const {
  std::set<std::string> out;
  for (const auto& v : values)
    if (!children_.count(v)) out.insert(v);
  return out;
}

Status PartitionChildren::Create(Connection& conn, const std::set<std::string>& values) {
  for (const auto& v : Missing(values)) {
    std::string child = ChildTableName(parent_, v);
    Status s = conn.Execute("CREATE TABLE " + QualifiedName(schema_, child) + " PARTITION OF " +
                            QualifiedName(schema_, parent_) + " FOR VALUES IN (" + QuoteLiteral(v) + ")");
    if (!s.ok()) {
      // Another writer of the task may have made it (holo-client retries the same way).
      SYNC_RETURN_IF_ERROR(Load(conn));
      if (!children_.count(v))
        return s.WithContext("creating the partition " + schema_ + "." + child + " of " + schema_ + "." + parent_ +
                             " for " + v);
      continue;
    }
    children_[v] = child;
  }
  return Status::Ok();
}

}  // namespace dbsync::postgres
