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

DestinationName MapTableName(const config::TaskSpec& spec, const std::string& db, const std::string& table) {
  std::map<std::string, std::string> vars = {{"DB_NAME_SRC", db},
                                             {"TABLE_NAME_SRC", table},
                                             {"DATASOURCE_NAME_SRC", spec.source.host},
                                             {"DB_NAME_DEST", spec.destination.database}};
  DestinationName out;
  out.schema = ExpandVariables(spec.mapping.schema, vars);
  out.table = ExpandVariables(spec.mapping.table, vars);
  for (const auto& rule : spec.mapping.rules) {
    if (!rule.prefix.empty()) {
      if (out.table.rfind(rule.prefix, 0) == 0) out.table = rule.with + out.table.substr(rule.prefix.size());
    } else {
      std::regex re(rule.match);  // validated when the spec was parsed
      if (std::regex_match(out.table, re)) out.table = std::regex_replace(out.table, re, rule.to);
    }
  }
  return out;
}

}  // namespace dbsync::pipeline
