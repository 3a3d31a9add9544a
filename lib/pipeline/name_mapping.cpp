#include "pipeline/name_mapping.hpp"

#include "core/name_pattern.hpp"

namespace dbsync::pipeline {

std::string ExpandVariables(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = text.find("${", i);
    if (start == std::string::npos) break;
    size_t end = text.find('}', start);
    if (end == std::string::npos) break;
    out.append(text, i, start - i);
    auto it = vars.find(text.substr(start + 2, end - start - 2));
    out += it != vars.end() ? it->second : text.substr(start, end - start + 1);
    i = end + 1;
  }
  out.append(text, i, std::string::npos);
  return out;
}

namespace {

// `name` after `rules`; a rule whose match gave up counts as not matching,
// and the first such failure is kept in `*failed`.
std::string ApplyRulesNoting(const std::vector<config::MappingRule>& rules, std::string name, Status* failed) {
  for (const auto& rule : rules) {
    if (!rule.prefix.empty()) {
      if (name.rfind(rule.prefix, 0) == 0) name = rule.with + name.substr(rule.prefix.size());
      continue;
    }
    auto pattern = NamePattern::Compile(rule.match);  // valid: checked when the spec was parsed
    auto rewritten = pattern.ok() ? pattern->Rewrite(name, rule.to) : Result<std::optional<std::string>>(pattern.status());
    if (!rewritten.ok()) {
      if (failed->ok()) *failed = rewritten.status().WithContext("mapping rule of line " + std::to_string(rule.line));
      continue;
    }
    if (*rewritten) name = std::move(**rewritten);
  }
  return name;
}

DestinationName MapNoting(const config::TaskSpec& spec, const std::string& db, const std::string& table,
                          Status* failed) {
  std::map<std::string, std::string> vars = {{"DB_NAME_SRC", db},
                                             {"TABLE_NAME_SRC", table},
                                             {"DATASOURCE_NAME_SRC", spec.source.host},
                                             {"DB_NAME_DEST", spec.destination.database}};
  for (const auto& [name, rules] : spec.mapping.variables) vars[name] = ApplyRulesNoting(rules, vars[name], failed);
  DestinationName out;
  out.schema = ApplyRulesNoting(spec.mapping.schema_rules, ExpandVariables(spec.mapping.schema, vars), failed);
  out.table = ApplyRulesNoting(spec.mapping.rules, ExpandVariables(spec.mapping.table, vars), failed);
  return out;
}

}  // namespace

std::string ApplyRules(const std::vector<config::MappingRule>& rules, std::string name) {
  Status ignored;
  return ApplyRulesNoting(rules, std::move(name), &ignored);
}

DestinationName MapTableName(const config::TaskSpec& spec, const std::string& db, const std::string& table) {
  Status ignored;
  return MapNoting(spec, db, table, &ignored);
}

Result<DestinationName> CheckedMapTableName(const config::TaskSpec& spec, const std::string& db,
                                            const std::string& table) {
  Status failed;
  DestinationName out = MapNoting(spec, db, table, &failed);
  if (!failed.ok()) return failed;
  return out;
}

}  // namespace dbsync::pipeline
