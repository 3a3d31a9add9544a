#include "check/check_report.hpp"

namespace dbsync::check {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "pass";
    case Verdict::kWarn: return "warn";
    case Verdict::kFail: return "fail";
    case Verdict::kSkip: return "skip";
  }
  return "?";
}

void CheckReport::Add(std::string name, Verdict v, std::string reason, std::string fix) {
  items.push_back({std::move(name), v, std::move(reason), std::move(fix)});
}

int CheckReport::Count(Verdict v) const {
  int n = 0;
  for (const auto& i : items) n += i.verdict == v;
  return n;
}

bool CheckReport::ConnectFailed() const {
  for (const auto& i : items)
    if (i.verdict == Verdict::kFail && i.name.ends_with(".connect")) return true;
  return false;
}

bool CheckReport::Passed(bool strict) const {
  return Count(Verdict::kFail) == 0 && (!strict || Count(Verdict::kWarn) == 0);
}

nlohmann::json CheckReport::ToJson() const {
  nlohmann::json j;
  j["scope"] = scope == CheckScope::kFull ? "full" : "connectivity";
  j["checked_at"] = checked_at;
  j["summary"] = {{"pass", Count(Verdict::kPass)},
                  {"warn", Count(Verdict::kWarn)},
                  {"fail", Count(Verdict::kFail)},
                  {"skip", Count(Verdict::kSkip)}};
  j["items"] = nlohmann::json::array();
  for (const auto& i : items) {
    nlohmann::json item = {{"name", i.name}, {"result", VerdictName(i.verdict)}, {"reason", i.reason}};
    if (!i.fix.empty()) item["fix"] = i.fix;
    j["items"].push_back(item);
  }
  return j;
}

CheckReport CheckReport::FromJson(const nlohmann::json& j) {
  CheckReport r;
  r.scope = j.value("scope", "full") == "full" ? CheckScope::kFull : CheckScope::kConnectivity;
  r.checked_at = j.value("checked_at", "");
  for (const auto& item : j.value("items", nlohmann::json::array())) {
    std::string v = item.value("result", "skip");
    Verdict verdict = v == "pass" ? Verdict::kPass : v == "warn" ? Verdict::kWarn : v == "fail" ? Verdict::kFail
                                                                                               : Verdict::kSkip;
    r.Add(item.value("name", ""), verdict, item.value("reason", ""), item.value("fix", ""));
  }
  return r;
}

}  // namespace dbsync::check
