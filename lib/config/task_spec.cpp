#include "config/task_spec.hpp"

#include "core/text_util.hpp"

namespace dbsync::config {

const char* DdlPolicyName(DdlPolicy p) {
  switch (p) {
    case DdlPolicy::kNormal: return "normal";
    case DdlPolicy::kIgnore: return "ignore";
    case DdlPolicy::kAlert: return "alert";
    case DdlPolicy::kError: return "error";
  }
  return "?";
}

bool SameMapping(MappingSpec a, MappingSpec b) {
  for (MappingSpec* m : {&a, &b}) {
    for (auto& r : m->rules) r.line = 0;
    for (auto& r : m->schema_rules) r.line = 0;
    for (auto& [name, rules] : m->variables)
      for (auto& r : rules) r.line = 0;
  }
  return a == b;
}

const char* ConflictPolicyName(ConflictPolicy p) {
  switch (p) {
    case ConflictPolicy::kReplace: return "replace";
    case ConflictPolicy::kUpdate: return "update";
    case ConflictPolicy::kIgnore: return "ignore";
  }
  return "?";
}

bool IsCopiedTable(const TaskSpec& spec, const TableSpec* settings) {
  return spec.sync_mode != SyncMode::kRealtimeOnly && (!settings || settings->full_initialization);
}

const TableSpec* FindTableSpec(const TaskSpec& spec, const std::string& db, const std::string& table) {
  std::string full = db + "." + table;
  for (const auto& t : spec.tables)
    if (GlobMatch(t.match, full)) return &t;
  return nullptr;
}

namespace {

bool SelectedDirectly(const SourceSpec& source, const std::string& full) {
  bool included = false;
  for (const auto& p : source.tables) included = included || GlobMatch(p, full);
  if (!included) return false;
  for (const auto& p : source.exclude)
    if (GlobMatch(p, full)) return false;
  return true;
}

}  // namespace

bool IsTableSelected(const SourceSpec& source, const std::string& db, const std::string& table) {
  if (SelectedDirectly(source, db + "." + table)) return true;
  for (const auto& pattern : source.shadow_tables) {
    size_t at = pattern.find("{table}");
    if (at == std::string::npos) continue;
    std::string prefix = pattern.substr(0, at), suffix = pattern.substr(at + 7);
    if (table.size() <= prefix.size() + suffix.size() || table.compare(0, prefix.size(), prefix) != 0 ||
        table.compare(table.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string shadowed = table.substr(prefix.size(), table.size() - prefix.size() - suffix.size());
    if (SelectedDirectly(source, db + "." + shadowed)) return true;
  }
  return false;
}

bool ChangesOnlyTables(const TaskSpec& current, const TaskSpec& next,
                       const std::vector<std::pair<std::string, std::string>>& kept) {
  auto rest = [](TaskSpec s) {
    s.source.tables.clear();
    s.source.exclude.clear();
    s.source.shadow_tables.clear();
    s.tables.clear();
    s.mapping = {};  // compared below, where its rules are written aside
    return s;
  };
  if (!(rest(current) == rest(next)) || !SameMapping(current.mapping, next.mapping)) return false;
  for (const auto& [db, table] : kept) {
    const TableSpec* a = FindTableSpec(current, db, table);
    const TableSpec* b = FindTableSpec(next, db, table);
    if (!a || !b) {
      if (a != b) return false;
      continue;
    }
    TableSpec x = *a, y = *b;
    x.line = y.line = 0;
    x.match = y.match;  // another glob that picks the same settings is the same
    if (!(x == y)) return false;
  }
  return true;
}

}  // namespace dbsync::config
