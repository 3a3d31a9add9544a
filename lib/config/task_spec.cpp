#include "config/task_spec.hpp"

#include "core/text_util.hpp"

namespace dbsync::config {

const char* DestinationTypeName(DestinationType t) {
  switch (t) {
    case DestinationType::kHologres: return "hologres";
    case DestinationType::kPostgres: return "postgres";
    case DestinationType::kStarRocks: return "starrocks";
    case DestinationType::kMaxCompute: return "maxcompute";
  }
  return "?";
}

const char* DdlPolicyName(DdlPolicy p) {
  switch (p) {
    case DdlPolicy::kNormal: return "normal";
    case DdlPolicy::kIgnore: return "ignore";
    case DdlPolicy::kAlert: return "alert";
    case DdlPolicy::kError: return "error";
  }
  return "?";
}

const TableSpec* FindTableSpec(const TaskSpec& spec, const std::string& db, const std::string& table) {
  std::string full = db + "." + table;
  for (const auto& t : spec.tables)
    if (GlobMatch(t.match, full)) return &t;
  return nullptr;
}

bool IsTableSelected(const SourceSpec& source, const std::string& db, const std::string& table) {
  std::string full = db + "." + table;
  bool included = false;
  for (const auto& p : source.tables) included = included || GlobMatch(p, full);
  if (!included) return false;
  for (const auto& p : source.exclude)
    if (GlobMatch(p, full)) return false;
  return true;
}

}  // namespace dbsync::config
