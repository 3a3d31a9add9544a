#pragma once
// The child tables of a partitioned destination table (tables[].partition):
// PARTITION BY LIST on one column, one child per value, created on demand
// and named <parent>_<value> as holo-client and DataWorks name them (with a
// hash of the value instead when that would not be a plain identifier of at
// most 63 bytes). Children are found by their bounds in the catalog, so a
// child made by hand or renamed with its parent is found too.
//
// Hologres takes rows into children only (specs/hologres.md 3.1: COPY into a
// parent fails; INSERT ... VALUES into one is routed), and cannot create a
// table in a transaction that writes rows (4.6): the caller creates children
// before its transaction begins.

#include <map>
#include <set>
#include <string>

#include "core/status.hpp"
#include "sink/postgres/pg_connection.hpp"
#include "sink/postgres/pg_types.hpp"

namespace dbsync::postgres {

// Whether `column` may partition a table: text and character types, dates,
// and integers (Hologres: integer only, specs/hologres.md 3.1).
bool PartitionableColumn(const PgColumn& column, Dialect dialect);

// The child's name for `value` of `parent`.
std::string ChildTableName(const std::string& parent, const std::string& value);

class PartitionChildren {
 public:
  PartitionChildren() = default;
  PartitionChildren(std::string schema, std::string parent) : schema_(std::move(schema)), parent_(std::move(parent)) {}

  // The children the catalog has now.
  Status Load(Connection& conn);
  // The child table holding `value` (its text form, ValueEncoder::ParameterText), or nullptr.
  const std::string* ChildOf(const std::string& value) const;
  // `values` without a child yet.
  std::set<std::string> Missing(const std::set<std::string>& values) const;
  // Creates a child for each of `values` on `conn` as it is (in a
  // transaction or not). A child another connection made meanwhile is taken;
  // a table of the child's name that is no child of the value is an error.
  Status Create(Connection& conn, const std::set<std::string>& values);

 private:
  std::string schema_, parent_;
  std::map<std::string, std::string> children_;  // value -> child table
};

}  // namespace dbsync::postgres
