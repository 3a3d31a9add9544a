// Rendering of check reports, shared by `create` (pre-check) and `check`.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include "commands.hpp"
#include "core/text_util.hpp"

namespace dbsync::app {

void PrintCheckReport(const check::CheckReport& report, OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::kJson) {
    out << report.ToJson().dump() << "\n";
    return;
  }
  for (const auto& item : report.items) {
    std::string verdict = check::VerdictName(item.verdict);
    for (auto& c : verdict) c = char(std::toupper(static_cast<unsigned char>(c)));
    out << fmt::format("{:<5} {:<32} {}\n", verdict, item.name, item.reason);
    if (!item.fix.empty() && item.verdict != check::Verdict::kPass)
      out << fmt::format("      {:<32} fix: {}\n", "", item.fix);
  }
  out << fmt::format("result: {} passed, {} warnings, {} failed", report.Count(check::Verdict::kPass),
                     report.Count(check::Verdict::kWarn), report.Count(check::Verdict::kFail));
  if (int skipped = report.Count(check::Verdict::kSkip)) out << fmt::format(", {} skipped", skipped);
  out << "\n";
}

void PrintCheckReportWithPlan(const check::CheckReport& report, const std::vector<check::PlannedTable>& plan,
                              OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::kJson) {
    nlohmann::json j = report.ToJson();
    j["plan"] = check::PlanToJson(plan);
    out << j.dump() << "\n";
    return;
  }
  PrintCheckReport(report, format, out);
  std::set<std::string> destinations;
  size_t width = 0;
  for (const auto& p : plan) {
    destinations.insert(p.destination);
    width = std::max(width, p.source.size());
  }
  out << fmt::format("\nplan: {} source tables -> {} destination tables\n", plan.size(), destinations.size());
  for (const auto& p : plan) {
    std::string line = fmt::format("  {:<{}} -> {}", p.source, width, p.destination);
    line += p.key.empty() ? "  (no key)" : "  key (" + Join(p.key, ", ") + ")";
    if (p.mode == "existing") line += "  mode existing";
    if (!p.copied) line += "  not copied";
    if (!p.added_fields.empty()) line += "  added " + Join(p.added_fields, ", ");
    if (!p.merged_with.empty()) {
      static const std::map<check::MergeKind, std::string> kMerge = {
          {check::MergeKind::kKeyNamesSource, "rows kept apart by the key"},
          {check::MergeKind::kDisjointKeys, "disjoint_keys"},
          {check::MergeKind::kCollision, "COLLISION: the key does not tell their rows apart"}};
      line += "  merged with " + Join(p.merged_with, ", ") + " (" + kMerge.at(p.merge) + ")";
    }
    if (!p.problem.empty()) line += "  PROBLEM: " + p.problem;
    out << line << "\n";
  }
}

}  // namespace dbsync::app
