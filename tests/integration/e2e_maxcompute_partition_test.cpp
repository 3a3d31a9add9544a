// tables[].partition end to end into MaxCompute: real MariaDB, the MaxCompute
// emulator (which refuses a session on a partition that does not exist
// unless it is asked to make it, and partition values MaxCompute refuses),
// the sync binary. A Delta table partitioned by a month computed from a date
// column, one by a source column, and a change log partitioned by a source
// column: full initialization through a SIGKILL between the partitions'
// commits of a chunk, then rows into new partitions, rows that move between
// partitions, a transaction applied in pieces that reaches three new months,
// a SIGKILL between a batch's commits. Every row must be at the destination
// in the partition its value names, once; a value MaxCompute cannot take
// stops the task naming the row.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "harness/maxcompute_emulator.hpp"
#include "harness/servers.hpp"
#include "harness/workload.hpp"
#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_state.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Env {
  MariaDbServer mysql;
  MaxComputeEmulator maxcompute;
  SyncCli cli;
  Env() { PrepareShopSource(mysql); }
};

Env& E() {
  static Env env;
  return env;
}

RunOptions McEnv() { return {.env = {{"MC_KEY", MaxComputeEmulator::kAccessKey}}}; }

std::string Spec(const std::string& name, const std::string& tables, const std::string& settings) {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: 8801\n  tables: " + tables +
         "\ndestination:\n  type: maxcompute\n  endpoint: " + E().maxcompute.endpoint() + "\n  project: p1\n"
         "  access_id: " + MaxComputeEmulator::kAccessId + "\n  access_key: \"${env:MC_KEY}\"\n"
         "runtime: { batch_rows: 500, flush_ms: 300, snapshot_parallelism: 2, failover: { max_backoff_seconds: 1 } }\n" +
         settings;
}

// The rows of a query through the emulator's admin SQL, or nullopt.
std::optional<std::vector<std::string>> McRows(const std::string& query) {
  auto rows = E().maxcompute.Query(query);
  if (!rows) return std::nullopt;
  return JoinedLines(*rows);
}

std::vector<std::string> SourceRows(const std::string& query) {
  auto r = E().mysql.Admin().Query(query);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return JoinedLines(r->rows);
}

bool Converges(const std::string& source_query, const std::string& dest_query) {
  return WaitConverged(
      {"rows"}, [&](const std::string&) { return std::optional(SourceRows(source_query)); },
      [&](const std::string&) { return McRows(dest_query); }, 120s);
}

std::set<std::string> Partitions(const std::string& table) {
  json t = json::parse(E().maxcompute.Get("/__emulator/tables/p1/" + table), nullptr, false);
  std::set<std::string> out;
  for (const auto& p : t.value("partitions", json::array())) out.insert(p.get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("MaxCompute: partitions made as rows arrive, rows moving between them, through SIGKILLs") {
  E().mysql.Exec("CREATE TABLE shop.mcp_orders (id INT PRIMARY KEY, created DATE NOT NULL, amount INT)");
  E().mysql.Exec("INSERT INTO shop.mcp_orders SELECT seq, '2024-01-01' + INTERVAL (seq % 180) DAY, seq % 97 "
                 "FROM seq.seq_1_to_4000");
  E().mysql.Exec("CREATE TABLE shop.mcp_events (id INT PRIMARY KEY, region VARCHAR(20) NOT NULL, v INT)");
  E().mysql.Exec("INSERT INTO shop.mcp_events SELECT seq, ELT(1 + seq % 4, 'eu', 'us', 'ap', 'sa east 1'), seq "
                 "FROM seq.seq_1_to_3000");
  E().mysql.Exec("CREATE TABLE shop.mcp_log (id INT PRIMARY KEY, region VARCHAR(20) NOT NULL, v INT)");
  E().mysql.Exec("INSERT INTO shop.mcp_log SELECT seq, ELT(1 + seq % 2, 'eu', 'us'), seq FROM seq.seq_1_to_1000");
  const std::string settings =
      "tables:\n"
      "  - { match: shop.mcp_orders, partition: { field: month, value: '${created:%Y%m}' } }\n"
      "  - { match: shop.mcp_events, partition: { field: region } }\n"
      "  - { match: shop.mcp_log, write_mode: log, partition: { field: region } }\n";
  auto created = E().cli.Run({"create", "--no-check", "-f",
                              E().cli.WriteSpec("mcp.yaml", Spec("mcp", "[shop.mcp_*]", settings))});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));

  // SYNC_TEST_CRASH_DIR: the worker SIGKILLs itself where a file of the point's name exists.
  const std::string crash_dir = E().cli.dir() + "/mcp-crash";
  std::filesystem::create_directories(crash_dir);
  auto arm = [&](const std::string& point) { std::ofstream(crash_dir + "/" + point) << ""; };
  auto fired = [&](const std::string& point) {
    for (int i = 0; i < 600 && std::filesystem::exists(crash_dir + "/" + point); ++i) std::this_thread::sleep_for(100ms);
    return !std::filesystem::exists(crash_dir + "/" + point);
  };
  RunOptions env = McEnv();
  env.env["SYNC_TEST_CRASH_DIR"] = crash_dir;
  arm("maxcompute.partition_committed");  // one partition's session of a chunk committed, the others not yet
  auto started = E().cli.Run({"start", id}, env);
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  CHECK(fired("maxcompute.partition_committed"));
  REQUIRE(E().cli.WaitStreaming(id));

  arm("maxcompute.between_commits");  // a batch's sessions named by the checkpoint, some committed
  auto admin = E().mysql.Admin();
  for (const std::string& sql : std::vector<std::string>{
           "INSERT INTO shop.mcp_orders VALUES (5001, '2024-07-15', 1), (5002, '2024-07-16', 2)",
           "UPDATE shop.mcp_orders SET created = '2024-09-01' WHERE id = 10",  // into a new partition
           "UPDATE shop.mcp_orders SET created = '2024-02-29' WHERE id = 11",  // into one that exists
           "UPDATE shop.mcp_orders SET amount = amount + 1000 WHERE id <= 50",
           "DELETE FROM shop.mcp_orders WHERE id IN (20, 5002)",
           "UPDATE shop.mcp_events SET region = 'af' WHERE id = 5",
           "INSERT INTO shop.mcp_events VALUES (5001, 'sa east 1', 7), (5002, 'me', 8)",
           "DELETE FROM shop.mcp_events WHERE id = 6",
           "UPDATE shop.mcp_log SET region = 'ap', v = v + 1 WHERE id <= 5",
           "DELETE FROM shop.mcp_log WHERE id = 9",
           "BEGIN", "UPDATE shop.mcp_orders SET id = 9000, created = '2025-01-01' WHERE id = 30",
           "INSERT INTO shop.mcp_orders VALUES (9001, '2025-02-02', 5)", "COMMIT",
           // larger than a batch, so applied in pieces, reaching three months with no partition yet
           "INSERT INTO shop.mcp_orders SELECT 10000 + seq, '2026-01-01' + INTERVAL (seq DIV 3000) MONTH, 1 "
           "FROM seq.seq_0_to_8999"})
    REQUIRE_MESSAGE(admin.Execute(sql).ok(), sql);
  CHECK(fired("maxcompute.between_commits"));

  // In two halves: MaxCompute shows at most 10000 rows of a SELECT.
  for (const std::string where : {"id < 10000", "id >= 10000"})
    CHECK(Converges("SELECT id, created, amount, DATE_FORMAT(created, '%Y%m') FROM shop.mcp_orders WHERE " + where +
                        " ORDER BY id",
                    "SELECT id, created, amount, month FROM mcp_orders WHERE " + where + " ORDER BY id LIMIT 10000"));
  CHECK(Converges("SELECT id, region, v FROM shop.mcp_events ORDER BY id",
                  "SELECT id, region, v FROM mcp_events ORDER BY id LIMIT 10000"));
  // The change log, rebuilt as a user would: the last record of each key (the partition column among them).
  CHECK(Converges("SELECT id, region, v FROM shop.mcp_log ORDER BY id",
                  "SELECT id, region, v FROM (" + maxcompute::RebuildSql("mcp_log", {"id", "region", "v"}, {"id", "region"}) +
                      ") `t` ORDER BY id LIMIT 10000"));
  CHECK(Partitions("mcp_orders") ==
        std::set<std::string>{"month=202401", "month=202402", "month=202403", "month=202404", "month=202405",
                              "month=202406", "month=202407", "month=202409", "month=202501", "month=202502",
                              "month=202601", "month=202602", "month=202603"});
  CHECK(Partitions("mcp_events") == std::set<std::string>{"region=af", "region=ap", "region=eu", "region=me",
                                                          "region=sa east 1", "region=us"});
  CHECK(Partitions("mcp_log") == std::set<std::string>{"region=ap", "region=eu", "region=us"});
  // The partition column is no column of the records, nor of the Delta table's key.
  json orders = json::parse(E().maxcompute.Get("/__emulator/tables/p1/mcp_orders"), nullptr, false);
  CHECK_MESSAGE(orders.dump().find("\"primary_key\":[\"id\"]") != std::string::npos, orders.dump().substr(0, 600));

  // A value MaxCompute cannot take as a partition stops the task naming the row; nothing after it is applied.
  E().mysql.Exec("INSERT INTO shop.mcp_events VALUES (9998, 'ok', 1)");
  E().mysql.Exec("INSERT INTO shop.mcp_events VALUES (9999, 'eu/west', 1)");
  E().mysql.Exec("INSERT INTO shop.mcp_events VALUES (10000, 'after', 1)");
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("the partition column region of shop.mcp_events (tables[].partition), for the row with "
                             "key (id, region)=(9999, 'eu/west'): 'eu/west' is no MaxCompute partition value") !=
                    std::string::npos, message);
  CHECK(Partitions("mcp_events").count("region=after") == 0);
  (void)E().cli.Run({"stop", id});
}

TEST_CASE("MaxCompute: a mode: existing table not partitioned by the partition column stops the task with the fix") {
  E().mysql.Exec("CREATE TABLE shop.mcx_plain (id INT PRIMARY KEY, region VARCHAR(20) NOT NULL, v INT)");
  E().mysql.Exec("INSERT INTO shop.mcx_plain VALUES (1, 'eu', 1)");
  REQUIRE(E().maxcompute.Query("CREATE TABLE mcx_plain (id BIGINT NOT NULL, v BIGINT, PRIMARY KEY (id)) "
                               "TBLPROPERTIES ('transactional'='true')"));
  std::string yaml = Spec("mcx", "[shop.mcx_plain]",
                          "tables:\n  - { match: shop.mcx_plain, mode: existing, partition: { field: region } }\n");
  yaml.replace(yaml.find("server_id: 8801"), 15, "server_id: 8802");
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("mcx.yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));
  REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("MaxCompute table mcx_plain is not partitioned, and tables[].partition of shop.mcx_plain "
                             "partitions it by region; make the table so (PARTITIONED BY (region STRING))") !=
                    std::string::npos, message);
  (void)E().cli.Run({"stop", id});
}
