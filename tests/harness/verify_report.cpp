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
  // Deletes in the load shrink the table below its key space, so the number of
  // chunks follows the rows read, not the rows created.
  const int rows = verdict["rows"].get<int>();
  CHECK(rows >= key_space / 2);
  CHECK(verdict["chunks"].get<int>() >= (rows + 199) / 200);
  MESSAGE("changes during verify: " << changes.load() << ", keys rechecked: " << verdict["rechecked"]);
  CHECK(changes.load() >= 200);
  return report;
}

const char* const kVerifyChurnColumns = "(id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), created DATETIME)";

void CreateChurnTable(const MariaDbServer& mysql, const std::string& table, int rows) {
  mysql.Exec("CREATE TABLE shop." + table + " " + kVerifyChurnColumns);
  mysql.Exec("INSERT INTO shop." + table + " SELECT seq, CONCAT('w', seq), seq / 4, '2024-01-01 10:00:00' FROM seq.seq_1_to_" +
             std::to_string(rows));
}

std::string VerifyTables::List() const { return "shop." + n + ", shop." + s + ", shop." + t + ", shop." + fence; }

void VerifyTables::Create(const MariaDbServer& mysql, TypeMatrixRows& gen) const {
  CreateChurnTable(mysql, n, 3000);
  mysql.Exec("CREATE TABLE shop." + s + " (code VARCHAR(20) PRIMARY KEY, note VARCHAR(40)) CHARACTER SET latin1");
  mysql.Exec("INSERT INTO shop." + s +
             " SELECT CONCAT('c', seq, '\xC3\xA9'), CONCAT('caf\xC3\xA9 ', seq) FROM seq.seq_1_to_700");
  mysql.Exec("CREATE TABLE shop." + t + " (" + kTypeMatrixColumnsDdl + ", PRIMARY KEY (id))");
  auto conn = mysql.Admin();
  for (int id = 1; id <= 300; ++id) REQUIRE(conn.Execute(TypeMatrixInsert(t, id, gen)).ok());
  mysql.Exec("CREATE TABLE shop." + fence + " (id INT PRIMARY KEY)");
}

void VerifyTables::Churn(const MariaDbServer& mysql, TypeMatrixRows& gen) const {
  std::mt19937 rng(7);
  testing::Churn(mysql, n, 400, rng, 3000);
  TypeMatrixChurn(mysql, t, 200, gen, 300);
}

json VerifyTables::CheckIdentical(const SyncCli& cli, const std::string& task) const {
  json same = VerifyJson(cli, task, {"--chunk-rows", "250"}, 0);
  CHECK(same["identical"] == true);
  CHECK(same["differences"] == 0);
  CHECK(same["task_running"] == true);
  CHECK(TableIn(same, "shop." + n)["chunks"].get<int>() >= 12);
  CHECK(TableIn(same, "shop." + s)["rows"] == 700);
  CHECK(TableIn(same, "shop." + t)["rows"].get<int>() > 200);
  return same;
}

void CheckHandEditsFound(const SyncCli& cli, const std::string& task, const VerifyTables& tables,
                         const HandEdits& edits) {
  json found = VerifyJson(cli, task, {"--chunk-rows", "250"}, 1);
  CHECK(found["identical"] == false);
  CHECK(Shown(found, "shop." + tables.n) == std::vector<std::string>{"changed id=" + edits.changed + " amount",
                                                                     "extra id=999999", "missing id=" + edits.deleted});
  CHECK(Shown(found, "shop." + tables.s) ==
        std::vector<std::string>{"changed code=c5\xC3\xA9 note", "extra code=zz-extra", "missing code=c6\xC3\xA9"});
  CHECK(Shown(found, "shop." + tables.t) == std::vector<std::string>{"changed id=" + edits.vt_changed + " dtm vc lb"});
  CHECK(found["tables_differing"] == 3);
}

}  // namespace dbsync::testing
