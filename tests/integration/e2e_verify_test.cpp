// sync verify against real MariaDB and PostgreSQL: a converged task is
// identical (every column type of the type matrix, a numeric key, a text key
// in latin1, a table without a key); rows changed, deleted and added by hand
// at the destination, and changed at the source while the task is stopped,
// are found by key; a running write load is no difference; and a task that
// cannot be verified says why.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "harness/servers.hpp"
#include "harness/type_matrix.hpp"
#include "harness/verify_report.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

PostgresAndHologresEnvironment& E() {
  static PostgresAndHologresEnvironment env;
  return env;
}

const char* kChurnColumns = "(id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), created DATETIME)";

// Waits until the row with key `n` of `table`, written at the source after
// everything else, has reached `dest`: every earlier change is applied by then.
void WaitRow(const PostgresServer& dest, const std::string& table, int n) {
  bool arrived = false;
  for (int i = 0; i < 300 && !arrived; ++i) {
    auto lines = DestinationLines(dest, "SELECT count(*) FROM shop." + table + " WHERE id = " + std::to_string(n));
    arrived = lines && lines->size() == 1 && (*lines)[0] == "1";
    if (!arrived) std::this_thread::sleep_for(100ms);
  }
  REQUIRE_MESSAGE(arrived, "row " << n << " of " << table << " did not reach the destination");
}

void WaitFence(const std::string& fence_table, int n) {
  E().mysql.Exec("INSERT INTO shop." + fence_table + " VALUES (" + std::to_string(n) + ")");
  WaitRow(E().pg, fence_table, n);
}

}  // namespace

TEST_CASE("sync verify: identical when converged; finds by key what was changed by hand at either side") {
  E().mysql.Exec(std::string("CREATE TABLE shop.vn ") + kChurnColumns);
  E().mysql.Exec("INSERT INTO shop.vn SELECT seq, CONCAT('n', seq), seq / 4, '2024-01-01 10:00:00' FROM seq.seq_1_to_3000");
  E().mysql.Exec("CREATE TABLE shop.vs (code VARCHAR(20) PRIMARY KEY, note VARCHAR(40)) CHARACTER SET latin1");
  E().mysql.Exec("INSERT INTO shop.vs SELECT CONCAT('c', seq, '\xC3\xA9'), CONCAT('caf\xC3\xA9 ', seq) FROM seq.seq_1_to_700");
  E().mysql.Exec("CREATE TABLE shop.vk (a INT, b VARCHAR(10))");
  E().mysql.Exec("INSERT INTO shop.vk SELECT seq % 7, 'x' FROM seq.seq_1_to_50");
  E().mysql.Exec(std::string("CREATE TABLE shop.vt (") + kTypeMatrixColumnsDdl + ", PRIMARY KEY (id))");
  TypeMatrixRows gen(20261207, 20000);
  for (int id = 1; id <= 300; ++id) E().mysql.Exec(TypeMatrixInsert("vt", id, gen));
  E().mysql.Exec("CREATE TABLE shop.vfence (id INT PRIMARY KEY)");
  const std::string id =
      CreateAndStartTask(E().cli, "v1.yaml", E().Yaml("v1", "[shop.vn, shop.vs, shop.vk, shop.vt, shop.vfence]", "", E().pg,
                                                      "postgres", 7801));
  REQUIRE(E().cli.WaitStreaming(id));
  std::mt19937 rng(7);
  Churn(E().mysql, "vn", 400, rng, 3000);
  TypeMatrixChurn(E().mysql, "vt", 200, gen, 300);
  E().mysql.Exec("UPDATE shop.vs SET note = NULL WHERE code LIKE 'c1%'");
  WaitFence("vfence", 1);

  // Converged: identical, chunked (the numeric key by range), exit 0.
  json same = VerifyJson(E().cli, id, {"--chunk-rows", "250"}, 0);
  CHECK(same["identical"] == true);
  CHECK(same["differences"] == 0);
  CHECK(same["task_running"] == true);
  CHECK(TableIn(same, "shop.vn")["chunks"].get<int>() >= 12);
  CHECK(TableIn(same, "shop.vt")["rows"].get<int>() > 200);
  CHECK(TableIn(same, "shop.vk")["rows"] == 50);
  auto text = E().cli.Run({"verify", id});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("shop.vt -> shop.vt: ") != std::string::npos);
  CHECK(text.out.find("identical\n") != std::string::npos);

  // By hand at the destination: a changed value, a deleted row, an added
  // row, in each keyed table; and one more row in the keyless one.
  const std::string vn_changed = E().pg.Scalar("SELECT min(id) FROM shop.vn", "dw");
  E().pg.Exec("UPDATE shop.vn SET amount = amount + 1 WHERE id = " + vn_changed, "dw");
  E().pg.Exec("DELETE FROM shop.vn WHERE id = (SELECT min(id) FROM shop.vn WHERE id > 2000)", "dw");
  const std::string deleted = E().pg.Scalar("SELECT min(id) FROM shop.vn WHERE id > 2000", "dw");
  E().pg.Exec("INSERT INTO shop.vn VALUES (999999, 'by hand', 1, now())", "dw");
  E().pg.Exec("UPDATE shop.vs SET note = 'by hand' WHERE code = 'c5\xC3\xA9'", "dw");
  E().pg.Exec("DELETE FROM shop.vs WHERE code = 'c6\xC3\xA9'", "dw");
  E().pg.Exec("INSERT INTO shop.vs VALUES ('zz-extra', 'by hand')", "dw");
  E().pg.Exec("INSERT INTO shop.vk VALUES (1, 'x')", "dw");
  const std::string vt_changed = E().pg.Scalar("SELECT min(id) FROM shop.vt WHERE d <> 0", "dw");
  E().pg.Exec("UPDATE shop.vt SET d = d * 2 WHERE id = " + vt_changed, "dw");

  json found = VerifyJson(E().cli, id, {"--chunk-rows", "250"}, 1);
  CHECK(found["identical"] == false);
  std::vector<std::string> vn = Shown(found, "shop.vn");
  REQUIRE(vn.size() == 3);
  CHECK(vn[0] == "changed id=" + vn_changed + " amount");
  CHECK(vn[1] == "extra id=999999");
  CHECK(vn[2].rfind("missing id=", 0) == 0);
  CHECK(Shown(found, "shop.vs") ==
        std::vector<std::string>{"changed code=c5\xC3\xA9 note", "extra code=zz-extra", "missing code=c6\xC3\xA9"});
  CHECK(TableIn(found, "shop.vk")["differences"] == 1);
  CHECK(Shown(found, "shop.vt") == std::vector<std::string>{"changed id=" + vt_changed + " d"});
  CHECK(found["tables_differing"] == 4);
  auto listed = E().cli.Run({"verify", id, "--table", "shop.vs"});
  CHECK(listed.exit_code == 1);
  CHECK(listed.out.find("missing  code=c6\xC3\xA9") != std::string::npos);
  CHECK(listed.out.find("shop.vn") == std::string::npos);
  (void)deleted;

  // Stopped, the source changes: each change is a difference until the task runs again.
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
  const std::string src_changed = SourceLines(E().mysql, "SELECT min(id) FROM shop.vn WHERE id > 100")[0];
  E().mysql.Exec("UPDATE shop.vn SET name = 'while stopped' WHERE id = " + src_changed);
  E().mysql.Exec("INSERT INTO shop.vn VALUES (7777, 'while stopped', 1, NOW())");
  const std::string src_deleted = SourceLines(E().mysql, "SELECT min(id) FROM shop.vn WHERE id > 1000")[0];
  E().mysql.Exec("DELETE FROM shop.vn WHERE id = " + src_deleted);
  json stopped = VerifyJson(E().cli, id, {"--table", "shop.vn"}, 1);
  CHECK(stopped["task_running"] == false);
  std::vector<std::string> after_stop = Shown(stopped, "shop.vn");
  CHECK(std::find(after_stop.begin(), after_stop.end(), "changed id=" + src_changed + " name") != after_stop.end());
  CHECK(std::find(after_stop.begin(), after_stop.end(), "missing id=7777") != after_stop.end());
  CHECK(std::find(after_stop.begin(), after_stop.end(), "extra id=" + src_deleted) != after_stop.end());
  CHECK(TableIn(stopped, "shop.vn")["differences"] == 6);

  // Running again, the source's changes arrive; the hand edits remain.
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  REQUIRE(E().cli.WaitStreaming(id));
  WaitFence("vfence", 2);
  CHECK(VerifyJson(E().cli, id, {"--table", "shop.vn"}, 1)["differences"] == 3);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("sync verify: a task under a running write load verifies identical") {
  E().mysql.Exec(std::string("CREATE TABLE shop.vw ") + kChurnColumns);
  E().mysql.Exec("INSERT INTO shop.vw SELECT seq, CONCAT('w', seq), seq, NOW() FROM seq.seq_1_to_2000");
  const std::string id = CreateAndStartTask(E().cli, "v2.yaml", E().Yaml("v2", "[shop.vw]", "", E().pg, "postgres", 7802));
  REQUIRE(E().cli.WaitStreaming(id));
  VerifyUnderLoad(E().cli, E().mysql, id, "vw", 2000);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("sync verify: what it cannot compare, it says") {
  E().mysql.Exec(std::string("CREATE TABLE shop.vx ") + kChurnColumns);
  E().mysql.Exec(std::string("CREATE TABLE shop.vy ") + kChurnColumns);
  const std::string settings = "tables:\n  - match: shop.vy\n    dml: { delete: ignore }\n";
  const std::string id = CreateTask(E().cli, "v3.yaml", E().Yaml("v3", "[shop.vx, shop.vy]", settings, E().pg, "postgres", 7803));
  auto never = E().cli.Run({"verify", id});
  CHECK(never.exit_code == 4);
  CHECK(never.err.find("never started") != std::string::npos);
  CHECK(never.err.find("sync status " + id) != std::string::npos);

  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  REQUIRE(E().cli.WaitStreaming(id));
  auto none = E().cli.Run({"verify", id, "--table", "shop.nothing*"});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("no table of task") != std::string::npos);
  auto r = E().cli.Run({"verify", id});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("shop.vy -> shop.vy: skipped (tables[].dml delete: ignore") != std::string::npos);
  CHECK(r.out.find("(1 skipped)") != std::string::npos);
  auto missing = E().cli.Run({"verify", "no-such-task"});
  CHECK(missing.exit_code == 3);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("sync verify: a Hologres destination (the fixture) reads back in the same canonical form") {
  E().mysql.Exec(std::string("CREATE TABLE shop.vh (") + kTypeMatrixColumnsDdl + ", PRIMARY KEY (id))");
  TypeMatrixRows gen(5, 20000);
  for (int id = 1; id <= 120; ++id) E().mysql.Exec(TypeMatrixInsert("vh", id, gen));
  const std::string id = CreateAndStartTask(E().cli, "v4.yaml", E().Yaml("v4", "[shop.vh]", "", E().holo, "hologres", 7804));
  REQUIRE(E().cli.WaitStreaming(id));
  TypeMatrixChurn(E().mysql, "vh", 100, gen, 120);
  // The fence: one more row, applied after every change above.
  E().mysql.Exec(TypeMatrixInsert("vh", 100000, gen));
  WaitRow(E().holo, "vh", 100000);
  json same = VerifyJson(E().cli, id, {}, 0);
  CHECK(TableIn(same, "shop.vh")["rows"].get<int>() > 100);
  const std::string changed = E().holo.Scalar("SELECT min(id) FROM shop.vh WHERE vc IS NOT NULL", "dw");
  E().holo.Exec("UPDATE shop.vh SET vc = vc || '!' WHERE id = " + changed, "dw");
  CHECK(Shown(VerifyJson(E().cli, id, {}, 1), "shop.vh") == std::vector<std::string>{"changed id=" + changed + " vc"});
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}
