#include "harness/verify_report.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "harness/workload.hpp"

namespace dbsync::testing {

using nlohmann::json;

json VerifyJson(const SyncCli& cli, const std::string& task, const std::vector<std::string>& extra,
                int expected_exit) {
  std::vector<std::string> args = {"verify", task, "-o", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = cli.Run(args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == expected_exit);
  return json::parse(r.out);
}

const json& TableIn(const json& report, const std::string& source) {
  for (const auto& t : report["tables"])
    if (t["source"] == source) return t;
  FAIL("no table " << source << " in " << report.dump());
  static json none;
  return none;
}

std::vector<std::string> Shown(const json& report, const std::string& source) {
  std::vector<std::string> out;
  for (const auto& d : TableIn(report, source)["shown"]) {
    std::string line = d["kind"].get<std::string>() + " " + d["key"].get<std::string>();
    if (d.contains("columns"))
      for (const auto& c : d["columns"]) line += " " + c.get<std::string>();
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

json VerifyUnderLoad(const SyncCli& cli, const MariaDbServer& mysql, const std::string& task,
                     const std::string& table, int key_space) {
  std::atomic<bool> stop{false};
  std::atomic<int> changes{0};
  std::thread load([&] {
    std::mt19937 rng(11);
    while (!stop) {
      Churn(mysql, table, 20, rng, key_space);
      changes += 20;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto r = cli.Run({"verify", task, "--chunk-rows", "200", "-o", "json"});
  stop = true;
  load.join();
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  json report = json::parse(r.out, nullptr, false);
  REQUIRE(!report.is_discarded());
  const json& verdict = TableIn(report, "shop." + table);
  CHECK(report["differences"] == 0);
  CHECK(verdict["chunks"].get<int>() >= 10);
  MESSAGE("changes during verify: " << changes.load() << ", keys rechecked: " << verdict["rechecked"]);
  CHECK(changes.load() >= 200);
  return report;
}

}  // namespace dbsync::testing
