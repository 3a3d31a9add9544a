// sync verify into StarRocks: real MariaDB, the StarRocks emulator
// (tests/emulators/starrocks/), the sync binary. A converged task is
// identical (every column type of the type matrix, a numeric key); rows
// changed, deleted and added by hand at the destination, through the FE's
// query port, are found by key; a running write load is no difference.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "harness/servers.hpp"
#include "harness/starrocks_emulator.hpp"
#include "harness/verify_report.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Env {
  MariaDbServer mysql;
  StarRocksEmulator starrocks;
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
         "\ndestination:\n  type: starrocks\n  host: 127.0.0.1\n  port: " + std::to_string(E().starrocks.query_port()) +
         "\n  http_port: " + std::to_string(E().starrocks.http_port()) + "\n  database: shop\n  user: root\n"
         "  password: " + StarRocksEmulator::kPassword + "\n  replication_num: 1\n"
         "runtime: { batch_rows: 500, flush_ms: 200, snapshot_parallelism: 2, failover: { max_backoff_seconds: 1 } }\n";
}

// The first value of `sql` at StarRocks ("" when there is none).
std::string SrScalar(const std::string& sql) {
  auto r = E().starrocks.Admin().Query(sql);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r->rows.empty() || !r->rows[0][0] ? "" : *r->rows[0][0];
}

// Inserts row `n` into the fence table and waits until StarRocks has it:
// every change written at the source before it is applied by then.
void WaitFence(int n) {
  E().mysql.Exec("INSERT INTO shop.svfence VALUES (" + std::to_string(n) + ")");
  bool arrived = false;
  for (int i = 0; i < 600 && !arrived; ++i) {
    auto r = E().starrocks.Admin().Query("SELECT id FROM shop.svfence WHERE id = " + std::to_string(n));
    arrived = r.ok() && r->rows.size() == 1;
    if (!arrived) std::this_thread::sleep_for(100ms);
  }
  REQUIRE_MESSAGE(arrived, "fence row " << n << " did not reach StarRocks");
}

}  // namespace

TEST_CASE("sync verify StarRocks: identical when converged; finds by key what was changed by hand there") {
  const VerifyTables tables("sv");
  TypeMatrixRows gen(20261207, 350000);  // blobs within what a VARCHAR of hex holds (sr_types.hpp)
  tables.Create(E().mysql, gen);
  const std::string id = CreateAndStartTask(E().cli, "sv1.yaml", Spec("sv1", "[" + tables.List() + "]", 7811));
  REQUIRE(E().cli.WaitStreaming(id));
  tables.Churn(E().mysql, gen);
  WaitFence(1);

  // Converged: identical, chunked by key range or by keys, exit 0.
  tables.CheckIdentical(E().cli, id);
  auto text = E().cli.Run({"verify", id});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("shop.svt -> shop.svt: ") != std::string::npos);

  // By hand at StarRocks: a changed value, a deleted row, an added row, by a
  // numeric and a text key; a changed text, DATETIME and blob (hex) in the
  // type matrix.
  HandEdits edits;
  edits.changed = SrScalar("SELECT id FROM shop.svn ORDER BY id LIMIT 1");
  E().starrocks.Exec("UPDATE shop.svn SET amount = amount + 1 WHERE id = " + edits.changed);
  edits.deleted = SrScalar("SELECT id FROM shop.svn WHERE id > 2000 ORDER BY id LIMIT 1");
  E().starrocks.Exec("DELETE FROM shop.svn WHERE id = " + edits.deleted);
  E().starrocks.Exec("INSERT INTO shop.svn VALUES (999999, 'by hand', 1, '2024-01-01 00:00:00')");
  E().starrocks.Exec("UPDATE shop.svs SET note = 'by hand' WHERE code = 'c5\xC3\xA9'");
  E().starrocks.Exec("DELETE FROM shop.svs WHERE code = 'c6\xC3\xA9'");
  E().starrocks.Exec("INSERT INTO shop.svs VALUES ('zz-extra', 'by hand')");
  edits.vt_changed = SrScalar("SELECT id FROM shop.svt WHERE vc IS NOT NULL ORDER BY id LIMIT 1");
  E().starrocks.Exec("UPDATE shop.svt SET vc = concat(vc, '!'), dtm = '2001-02-03 04:05:06', lb = '000102' WHERE id = " +
                     edits.vt_changed);
  CheckHandEditsFound(E().cli, id, tables, edits);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("sync verify StarRocks: a task under a running write load verifies identical") {
  CreateChurnTable(E().mysql, "svw", 2000);
  const std::string id = CreateAndStartTask(E().cli, "sv2.yaml", Spec("sv2", "[shop.svw]", 7812));
  REQUIRE(E().cli.WaitStreaming(id));
  VerifyUnderLoad(E().cli, E().mysql, id, "svw", 2000);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}
