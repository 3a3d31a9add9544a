// Rendering of check reports, shared by `create` (pre-check) and `check`.

#include <fmt/format.h>

#include <ostream>

#include "commands.hpp"

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

}  // namespace dbsync::app
