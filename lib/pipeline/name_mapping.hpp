#pragma once
// Destination names from the task's mapping section: templates with DataWorks'
// variables, then prefix and regex rules applied to the table name in order.
// Several source tables may map to one destination table (sharded tables merge).

#include <map>
#include <string>

#include "config/task_spec.hpp"

namespace dbsync::pipeline {

struct DestinationName {
  std::string schema;
  std::string table;
};

// Replaces ${NAME} for every NAME in `vars`; other text, including unknown
// variables such as per-row ${column:format}, is kept as written.
std::string ExpandVariables(const std::string& text, const std::map<std::string, std::string>& vars);

// `name` after `rules` in order, each applied to the previous one's result.
// A match rule whose pattern gave up on the name (PCRE2's backtracking limit:
// core/name_pattern.hpp) counts as not matching; CheckedMapTableName says
// so instead, for sync check (item mapping.rules), which refuses the task.
std::string ApplyRules(const std::vector<config::MappingRule>& rules, std::string name);
DestinationName MapTableName(const config::TaskSpec& spec, const std::string& db, const std::string& table);
Result<DestinationName> CheckedMapTableName(const config::TaskSpec& spec, const std::string& db,
                                            const std::string& table);

}  // namespace dbsync::pipeline
