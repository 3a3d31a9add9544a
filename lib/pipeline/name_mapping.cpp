#include "pipeline/name_mapping.hpp"

#include <regex>

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

std::string ApplyRules(const std::vector<config::MappingRule>& rules, std::string name) {
  for (const auto& rule : rules) {
    if (!rule.prefix.empty()) {
      if (name.rfind(rule.prefix, 0) == 0) name = rule.with + name.substr(rule.prefix.size());
    } else {
      std::regex re(rule.match);  // validated when the spec was parsed
      if (std::regex_match(name, re)) name = std::regex_replace(name, re, rule.to);
    }
  }
  return name;
}

DestinationName MapTableName(const config::TaskSpec& spec, const std::string& db, const std::string& table) {
  std::map<std::string, std::string> vars = {{"DB_NAME_SRC", db},
                                             {"TABLE_NAME_SRC", table},
                                             {"DATASOURCE_NAME_SRC", spec.source.host},
                                             {"DB_NAME_DEST", spec.destination.database}};
  for (const auto& [name, rules] : spec.mapping.variables) vars[name] = ApplyRules(rules, vars[name]);
  DestinationName out;
  out.schema = ApplyRules(spec.mapping.schema_rules, ExpandVariables(spec.mapping.schema, vars));
  out.table = ApplyRules(spec.mapping.rules, ExpandVariables(spec.mapping.table, vars));
  return out;
}

}  // namespace dbsync::pipeline
