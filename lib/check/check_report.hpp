#pragma once
// The result of a configuration check: one item per thing we verified, each
// pass/warn/fail/skip with the reason and, when not passing, the fix.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dbsync::check {

enum class Verdict { kPass, kWarn, kFail, kSkip };
const char* VerdictName(Verdict v);

struct CheckItem {
  std::string name;    // stable id, e.g. "source.binlog_format"
  Verdict verdict = Verdict::kPass;
  std::string reason;  // what we found
  std::string fix;     // what to do; empty when passing
};

enum class CheckScope { kConnectivity, kFull };

struct CheckReport {
  CheckScope scope = CheckScope::kFull;
  std::string checked_at;
  std::vector<CheckItem> items;

  void Add(std::string name, Verdict v, std::string reason, std::string fix = "");
  int Count(Verdict v) const;
  // A connection item failed: the command exits 5 rather than 1.
  bool ConnectFailed() const;
  // Passing means no failures, and no warnings either when `strict`.
  bool Passed(bool strict) const;

  nlohmann::json ToJson() const;
  static CheckReport FromJson(const nlohmann::json& j);
};

}  // namespace dbsync::check
