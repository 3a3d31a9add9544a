// sync verify into MaxCompute: real MariaDB, the MaxCompute emulator
// (tests/emulators/maxcompute/) as a new project is (Asia/Shanghai), the
// sync binary. A converged task is identical (every column type of the type
// matrix in a Delta table, a numeric key); rows changed, deleted and added
// by hand at the destination, with MaxCompute SQL, are found by key; a
// running write load is no difference; a change log is skipped.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "harness/maxcompute_emulator.hpp"
#include "harness/servers.hpp"
#include "harness/verify_report.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Env {
  MariaDbServer mysql;
  MaxComputeEmulator maxcompute;  // as a new project: Asia/Shanghai
  SyncCli cli;
  Env() { PrepareShopSource(mysql); }
};

Env& E() {
  static Env env;
  return env;
}

std::string Spec(const std::string& name, const std::string& tables, int server_id) {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: " + std::to_string(server_id) + "\n  tables: " + tables +
         "\ndestination:\n  type: maxcompute\n  endpoint: " + E().maxcompute.endpoint() + "\n  project: p1\n"
         "  access_id: " + MaxComputeEmulator::kAccessId + "\n  access_key: " + MaxComputeEmulator::kAccessKey + "\n"
         "runtime: { batch_rows: 500, flush_ms: 300, snapshot_parallelism: 2, failover: { max_backoff_seconds: 1 } }\n";
}

// `sql` at MaxCompute (types 2.0); its rows. A failed statement fails the test.
std::vector<std::vector<std::optional<std::string>>> McSql(const std::string& sql) {
  auto rows = E().maxcompute.Query(sql);
  REQUIRE_MESSAGE(rows, "MaxCompute refused: " << sql);
  return *rows;
}

std::string McScalar(const std::string& sql) {
  auto rows = McSql(sql);
  return rows.empty() || !rows[0][0] ? "" : *rows[0][0];
}

// Inserts row `n` into the fence table and waits until MaxCompute has it:
// every change written at the source before it is applied by then.
void WaitFence(int n) {
  E().mysql.Exec("INSERT INTO shop.mvfence VALUES (" + std::to_string(n) + ")");
  bool arrived = false;
  for (int i = 0; i < 600 && !arrived; ++i) {
    auto rows = E().maxcompute.Query("SELECT id FROM mvfence WHERE id = " + std::to_string(n));
    arrived = rows && rows->size() == 1;
    if (!arrived) std::this_thread::sleep_for(100ms);
  }
  REQUIRE_MESSAGE(arrived, "fence row " << n << " did not reach MaxCompute");
}

}  // namespace

TEST_CASE("sync verify MaxCompute: identical when converged; finds by key what was changed by hand there") {
  const VerifyTables tables("mv");
  TypeMatrixRows gen(20261207);
  gen.set_bigint_min("-9223372036854775807");  // MaxCompute's BIGINT minimum (specs/maxcompute.md 5.1)
  tables.Create(E().mysql, gen);
  E().mysql.Exec("CREATE TABLE shop.mvlog (id INT PRIMARY KEY, v INT)");
  std::string yaml = Spec("mv1", "[" + tables.List() + ", shop.mvlog]", 7821);
  yaml += "tables:\n  - match: shop.mvlog\n    write_mode: log\n";
  const std::string id = CreateAndStartTask(E().cli, "mv1.yaml", yaml);
  REQUIRE(E().cli.WaitStreaming(id));
  tables.Churn(E().mysql, gen);
  WaitFence(1);

  // Converged: identical, chunked by key range or by keys, exit 0; the
  // change log skipped; chunks over 1000 rows read in pages of 1000 by key.
  json same = tables.CheckIdentical(E().cli, id);
  CHECK(TableIn(same, "shop.mvlog")["skipped"].get<std::string>().find("write_mode log") != std::string::npos);
  CHECK(TableIn(VerifyJson(E().cli, id, {"--chunk-rows", "2500", "--table", "shop.mvn"}, 0), "shop.mvn")["chunks"] == 2);

  // By hand at MaxCompute: a changed value, a deleted row, an added row, by
  // a numeric and a text key; a changed text, DATETIME and BINARY in the
  // type matrix.
  HandEdits edits;
  edits.changed = McScalar("SELECT id FROM mvn ORDER BY id LIMIT 1");
  McSql("UPDATE mvn SET amount = amount + 1 WHERE id = " + edits.changed);
  edits.deleted = McScalar("SELECT id FROM mvn WHERE id > 2000 ORDER BY id LIMIT 1");
  McSql("DELETE FROM mvn WHERE id = " + edits.deleted);
  McSql("INSERT INTO mvn VALUES (999999, 'by hand', CAST('1' AS DECIMAL(10,2)), DATETIME '2024-01-01 00:00:00')");
  McSql("UPDATE mvs SET note = 'by hand' WHERE code = 'c5\xC3\xA9'");
  McSql("DELETE FROM mvs WHERE code = 'c6\xC3\xA9'");
  McSql("INSERT INTO mvs VALUES ('zz-extra', 'by hand')");
  edits.vt_changed = McScalar("SELECT id FROM mvt WHERE vc IS NOT NULL ORDER BY id LIMIT 1");
  McSql("UPDATE mvt SET vc = concat(vc, '!'), dtm = DATETIME '2001-02-03 04:05:06', lb = unbase64('AAEC') WHERE id = " +
        edits.vt_changed);
  CheckHandEditsFound(E().cli, id, tables, edits);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("sync verify MaxCompute: a task under a running write load verifies identical") {
  CreateChurnTable(E().mysql, "mvw", 2000);
  const std::string id = CreateAndStartTask(E().cli, "mv2.yaml", Spec("mv2", "[shop.mvw]", 7822));
  REQUIRE(E().cli.WaitStreaming(id));
  VerifyUnderLoad(E().cli, E().mysql, id, "mvw", 2000);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}
