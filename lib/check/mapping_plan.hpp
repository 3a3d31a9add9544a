#pragma once
// The source -> destination map of a task as sync start would bind it, for
// `sync check --plan` and the mapping.merged_tables check item: each selected
// table's destination, key, mode and added fields, and for tables merged
// into one destination whether their rows stay apart.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check/source_checks.hpp"
#include "config/task_spec.hpp"
#include "core/status.hpp"
#include "sink/shaping/table_shape.hpp"

namespace dbsync::check {

// How the rows of source tables merged into one destination table stay apart.
enum class MergeKind {
  kNone,          // the only source table of its destination
  kKeyNamesSource,  // a key column's value names each source (an added field)
  kDisjointKeys,  // tables[].disjoint_keys: the user's word
  kCollision,     // neither: a row of one overwrites the row of another
};
const char* MergeKindName(MergeKind kind);

struct PlannedTable {
  std::string source;       // db.table
  std::string destination;  // schema.table
  std::vector<std::string> key;           // the destination's key (added fields included); empty: keyless
  std::vector<std::string> added_fields;  // tables[].extra_fields names
  std::string mode = "new";               // tables[].mode
  bool copied = true;                     // full initialization copies it
  std::vector<std::string> merged_with;   // the other source tables of its destination
  MergeKind merge = MergeKind::kNone;
  std::string problem;  // why its shape could not be made (bad dml or extra_fields), if so
};

// Every table of `tables` (as RunSourceChecks found them), in source order.
std::vector<PlannedTable> PlanMapping(const config::TaskSpec& spec, const std::vector<SourceTable>& tables);
nlohmann::json PlanToJson(const std::vector<PlannedTable>& plan);

// A table as the destination sees it: its binding and its shape.
Result<std::shared_ptr<const sink::TableShape>> ShapeOf(const config::TaskSpec& spec, const SourceTable& t);

}  // namespace dbsync::check
