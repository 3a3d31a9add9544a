// sync_mode (full_and_realtime, realtime_only, full_only), tables[].full_initialization
// and `sync start --from-position`, through the CLI from real MariaDB into PostgreSQL.

#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

SyncEnvironment& E() {
  static SyncEnvironment env;
  return env;
}

void MakeTable(const std::string& table, int rows) {
  E().mysql.Exec("CREATE TABLE shop." + table + " (id INT PRIMARY KEY, v VARCHAR(20))");
  if (rows > 0)
    E().mysql.Exec("INSERT INTO shop." + table + " SELECT seq, CONCAT('v', seq) FROM seq.seq_1_to_" +
                   std::to_string(rows));
}

std::string Spec(const std::string& name, const std::string& tables, const std::string& extra, int server_id) {
  return TaskYaml(name, E().mysql, E().pg, "repl", "repl-pw", tables, server_id) +
         "runtime: { batch_rows: 200, flush_ms: 200, failover: { max_backoff_seconds: 1 } }\n" + extra;
}

std::string Create(const std::string& file, const std::string& yaml) {
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(file, yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  return created.out.substr(0, created.out.find('\n'));
}

std::optional<std::vector<std::string>> Dest(const std::string& table) {
  auto conn = postgres::Connection::Connect({"127.0.0.1", E().pg.port(), "dw", "postgres",
                                             PostgresServer::kSuperPassword, 5});
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query("SELECT id, v FROM shop." + table + " ORDER BY id");
  if (!r.ok()) return std::nullopt;
  return JoinedLines(r->rows);
}

std::vector<std::string> Source(const std::string& table, const std::string& where = "TRUE") {
  auto r = E().mysql.Admin().Query("SELECT id, v FROM shop." + table + " WHERE " + where + " ORDER BY id");
  REQUIRE(r.ok());
  return JoinedLines(r->rows);
}

bool DestEquals(const std::string& table, const std::function<std::vector<std::string>()>& expected) {
  return WaitConverged(
      {table}, [&](const std::string&) { return std::optional(expected()); },
      [&](const std::string& t) { return Dest(t); }, 60s);
}

// Purges every binary log but the newest, whose name it returns.
std::string PurgeAllButNewest() {
  auto logs = E().mysql.Admin().Query("SHOW BINARY LOGS");
  REQUIRE(logs.ok());
  const std::string newest = *logs->rows.back()[0];
  // A log a replica connection still reads is kept: the stopped worker's
  // connection may linger a moment at the server.
  for (int i = 0; i < 100; ++i) {
    E().mysql.Exec("PURGE BINARY LOGS TO '" + newest + "'");
    auto left = E().mysql.Admin().Query("SHOW BINARY LOGS");
    if (left.ok() && left->rows.size() == 1) break;
    std::this_thread::sleep_for(100ms);
  }
  return newest;
}

json TaskStatus(const std::string& id) { return json::parse(E().cli.Run({"status", id, "-o", "json"}).out, nullptr, false); }

}  // namespace

TEST_CASE("full_only: the task copies every table and ends; later changes are not applied") {
  MakeTable("once", 500);
  const std::string id = Create("once.yaml", Spec("once", "[shop.once]", "sync_mode: full_only\n", 7501));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  json st;
  for (int i = 0; i < 300; ++i) {
    st = TaskStatus(id);
    if (st.value("lifecycle", "") == "stopped") break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(st.value("lifecycle", "") == "stopped");
  CHECK(st.contains("completed_at"));
  CHECK(st["steps"]["realtime_sync"].value("state", "") == "skipped");
  CHECK(st.value("failovers", 0) == 0);
  CHECK(Dest("once") == Source("once"));
  E().mysql.Exec("UPDATE shop.once SET v = 'later' WHERE id <= 10");
  std::this_thread::sleep_for(1500ms);
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.once WHERE v = 'later'", "dw") == "0");
}

TEST_CASE("realtime_only and full_initialization: false: no copy, every change from the start on, through a SIGKILL") {
  MakeTable("live", 300);     // realtime only: its 300 rows are never copied
  MakeTable("copied", 200);   // the other table of the same task is copied
  const std::string id = Create(
      "live.yaml", Spec("live", "[shop.live, shop.copied]",
                        "tables:\n  - match: shop.live\n    full_initialization: false\n", 7502));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  REQUIRE(DestEquals("copied", [] { return Source("copied"); }));
  REQUIRE(E().cli.WaitStreaming(id));
  CHECK(Dest("live")->empty());
  E().mysql.Exec("INSERT INTO shop.live SELECT seq, 'new' FROM seq.seq_1001_to_1020");
  E().mysql.Exec("UPDATE shop.live SET v = 'touched' WHERE id IN (5, 6)");
  E().mysql.Exec("DELETE FROM shop.live WHERE id IN (6, 1005)");
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  E().mysql.Exec("UPDATE shop.live SET v = 'after kill' WHERE id IN (7, 1010)");
  E().mysql.Exec("UPDATE shop.copied SET v = 'after kill' WHERE id <= 3");
  // The destination holds what changed since the start: rows written since,
  // and the updated rows' new images; a deleted row is gone.
  CHECK(DestEquals("live", [] { return Source("live", "id > 1000 OR id IN (5, 7)"); }));
  CHECK(DestEquals("copied", [] { return Source("copied"); }));
  const std::string log = E().cli.Run({"logs", "-n", "100", id}).out;
  CHECK_MESSAGE(log.find("full initialization of shop.live skipped (tables[].full_initialization: false)") !=
                std::string::npos, log);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("--from-position: changes since the position arrive; a purged, unknown or repeated one is refused first") {
  MakeTable("from", 0);
  E().mysql.Exec("INSERT INTO shop.from VALUES (1, 'before the position')");
  auto status = E().mysql.Admin().Query("SHOW MASTER STATUS");
  REQUIRE(status.ok());
  const std::string position = *status->rows[0][0] + ":" + *status->rows[0][1];
  E().mysql.Exec("INSERT INTO shop.from VALUES (2, 'after'), (3, 'after')");
  const std::string id = Create("from.yaml", Spec("from", "[shop.from]", "sync_mode: realtime_only\n", 7503));
  // Not FILE:POS; a file the source does not have.
  auto bad = E().cli.Run({"start", id, "--from-position", "binlog"});
  CHECK(bad.exit_code != 0);
  CHECK_MESSAGE(bad.err.find("expected FILE:POS") != std::string::npos, bad.err);
  bad = E().cli.Run({"start", id, "--from-position", "binlog.999999:4"});
  CHECK(bad.exit_code != 0);
  CHECK_MESSAGE(bad.err.find("the source has no binary log binlog.999999") != std::string::npos, bad.err);
  REQUIRE(E().cli.Run({"start", id, "--from-position", position}).exit_code == 0);
  E().mysql.Exec("INSERT INTO shop.from VALUES (4, 'after start')");
  CHECK(DestEquals("from", [] { return Source("from", "id > 1"); }));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  auto again = E().cli.Run({"start", id, "--from-position", position});
  CHECK(again.exit_code != 0);
  CHECK_MESSAGE(again.err.find("has started before") != std::string::npos, again.err);
  // A task whose every table is copied has no use for a position.
  const std::string copied = Create("copy-all.yaml", Spec("copy-all", "[shop.from]", "", 7504));
  auto useless = E().cli.Run({"start", copied, "--from-position", position});
  CHECK(useless.exit_code != 0);
  CHECK_MESSAGE(useless.err.find("this task copies every table") != std::string::npos, useless.err);
  // Purged: the position's file is gone from the source.
  E().mysql.Exec("FLUSH BINARY LOGS");
  const std::string newest = PurgeAllButNewest();
  const std::string late = Create("late.yaml", Spec("late", "[shop.from]", "sync_mode: realtime_only\n", 7505));
  auto purged = E().cli.Run({"start", late, "--from-position", position});
  CHECK(purged.exit_code != 0);
  CHECK_MESSAGE(purged.err.find("is purged from the source; the oldest binary log it has is " + newest) !=
                std::string::npos, purged.err);
}

TEST_CASE("--from-time: the first transaction from the time on, found across binary logs; bad times refused first") {
  MakeTable("ft", 0);
  E().mysql.Exec("INSERT INTO shop.ft VALUES (1, 'before the time')");
  E().mysql.Exec("FLUSH BINARY LOGS");
  const long long before = std::stoll(E().mysql.Scalar("SELECT UNIX_TIMESTAMP()"));
  std::this_thread::sleep_for(1100ms);
  const long long at = before + 1;  // later than row 1's transaction, not later than row 2's
  E().mysql.Exec("INSERT INTO shop.ft VALUES (2, 'at the time')");
  E().mysql.Exec("FLUSH BINARY LOGS");
  E().mysql.Exec("INSERT INTO shop.ft VALUES (3, 'after')");
  std::time_t t = at;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char iso[32];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);

  const std::string id = Create("ft.yaml", Spec("ft", "[shop.ft]", "sync_mode: realtime_only\n", 7506));
  auto bad = E().cli.Run({"start", id, "--from-time", "yesterday"});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("--from-time 'yesterday': expected a time like") != std::string::npos, bad.err);
  bad = E().cli.Run({"start", id, "--from-time", "@" + std::to_string(before + 3600)});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("is still to come on the source's clock") != std::string::npos, bad.err);
  bad = E().cli.Run({"start", id, "--from-time", "2001-01-01T00:00:00Z"});
  CHECK(bad.exit_code == 4);
  CHECK_MESSAGE(bad.err.find("the binlog of 2001-01-01 00:00:00 UTC is purged from the source") != std::string::npos,
                bad.err);
  bad = E().cli.Run({"start", id, "--rerun"});  // a realtime_only task copies nothing to copy again
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("sync_mode is realtime_only, which copies none") != std::string::npos, bad.err);
  bad = E().cli.Run({"start", id, "--from-time", iso, "--from-position", "binlog.000001:4"});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("give one") != std::string::npos, bad.err);

  auto started = E().cli.Run({"start", id, "--from-time", iso});
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  E().mysql.Exec("INSERT INTO shop.ft VALUES (4, 'after start')");
  CHECK(DestEquals("ft", [] { return Source("ft", "id > 1"); }));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  // The same moment as seconds since the epoch finds the same place.
  const std::string epoch = Create("ft-epoch.yaml", Spec("ft-epoch", "[shop.ft]", "sync_mode: realtime_only\n", 7507));
  REQUIRE(E().cli.Run({"start", epoch, "--from-time", "@" + std::to_string(at)}).exit_code == 0);
  CHECK(E().cli.WaitStreaming(epoch));
  CHECK(E().cli.Run({"stop", epoch}).exit_code == 0);
  auto st = TaskStatus(epoch);
  auto first = TaskStatus(id);
  CHECK(st["start_from"] == first["start_from"]);
}

TEST_CASE("--from-gtid: the first transaction the set lacks, found across binary logs; bad or purged sets refused") {
  MakeTable("fg", 0);
  E().mysql.Exec("INSERT INTO shop.fg VALUES (1, 'in the set')");
  const std::string set = E().mysql.Scalar("SELECT @@gtid_binlog_pos");
  REQUIRE(!set.empty());
  E().mysql.Exec("FLUSH BINARY LOGS");
  E().mysql.Exec("FLUSH BINARY LOGS");
  E().mysql.Exec("INSERT INTO shop.fg VALUES (2, 'first one after')");
  E().mysql.Exec("FLUSH BINARY LOGS");
  E().mysql.Exec("INSERT INTO shop.fg VALUES (3, 'after')");

  const std::string id = Create("fg.yaml", Spec("fg", "[shop.fg]", "sync_mode: realtime_only\n", 7508));
  auto bad = E().cli.Run({"start", id, "--from-gtid", "0-1"});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("'0-1' is not a MariaDB GTID") != std::string::npos, bad.err);
  bad = E().cli.Run({"start", id, "--from-gtid", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("is a MySQL GTID set, and the source is MariaDB") != std::string::npos, bad.err);
  auto started = E().cli.Run({"start", id, "--from-gtid", set});
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  E().mysql.Exec("INSERT INTO shop.fg VALUES (4, 'after start')");
  CHECK(DestEquals("fg", [] { return Source("fg", "id > 1"); }));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);

  // Once the binlogs before the set's transactions are purged, an older set is refused.
  PurgeAllButNewest();
  const std::string late = Create("fg-late.yaml", Spec("fg-late", "[shop.fg]", "sync_mode: realtime_only\n", 7509));
  auto purged = E().cli.Run({"start", late, "--from-gtid", set});
  CHECK(purged.exit_code == 4);
  CHECK_MESSAGE(purged.err.find("transactions that GTID set " + set + " lacks are purged from the source") !=
                    std::string::npos,
                purged.err);
}

TEST_CASE("--rerun-table copies one table afresh while the others stream on; the request is carried out once") {
  MakeTable("rr_a", 3000);
  MakeTable("rr_b", 300);
  const std::string id = Create("rerun.yaml", Spec("rerun", "[shop.rr_a, shop.rr_b]", "", 7504));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  REQUIRE(E().cli.WaitStreaming(id));
  REQUIRE(DestEquals("rr_a", [] { return Source("rr_a"); }));
  REQUIRE(DestEquals("rr_b", [] { return Source("rr_b"); }));
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);

  // The destination drifts from the source behind sync's back (rows lost and
  // changed by hand), and the source moves on while the task is stopped.
  E().pg.Exec("DELETE FROM shop.rr_a WHERE id % 3 = 0", "dw");
  E().pg.Exec("UPDATE shop.rr_a SET v = 'drift' WHERE id % 5 = 0", "dw");
  E().pg.Exec("UPDATE shop.rr_b SET v = 'drift' WHERE id = 7", "dw");
  E().mysql.Exec("UPDATE shop.rr_a SET v = 'while stopped' WHERE id <= 100");

  // A request that cannot work is refused before anything runs.
  auto bad = E().cli.Run({"start", id, "--rerun-table", "rr_a"});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("--rerun-table 'rr_a': expected db.table") != std::string::npos, bad.err);

  REQUIRE(E().cli.Run({"start", id, "--rerun-table", "shop.rr_a"}).exit_code == 0);
  // Changes to both tables while rr_a is copied again: rr_a catches up from its new snapshot.
  for (int i = 0; i < 30; ++i) {
    E().mysql.Exec("UPDATE shop.rr_a SET v = 'during " + std::to_string(i) + "' WHERE id = " + std::to_string(200 + i));
    E().mysql.Exec("INSERT INTO shop.rr_b VALUES (" + std::to_string(1000 + i) + ", 'new')");
  }
  E().mysql.Exec("DELETE FROM shop.rr_a WHERE id > 2900");
  CHECK(DestEquals("rr_a", [] { return Source("rr_a"); }));
  // rr_b was not copied again: its drifted row stays, its changes arrive.
  CHECK(DestEquals("rr_b", [] {
    auto rows = Source("rr_b");
    for (auto& r : rows)
      if (r == "7|v7") r = "7|drift";
    return rows;
  }));
  auto logs = E().cli.Run({"logs", id});
  CHECK(logs.out.find("--rerun: shop.rr_a is copied afresh") != std::string::npos);
  CHECK(logs.out.find("--rerun: shop.rr_b") == std::string::npos);

  // Carried out once: a failover (SIGKILL) does not copy the table again.
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  REQUIRE(WorkerPid(E().cli, id, pid) > 0);
  E().mysql.Exec("UPDATE shop.rr_a SET v = 'after kill' WHERE id = 1");
  CHECK(DestEquals("rr_a", [] { return Source("rr_a"); }));
  logs = E().cli.Run({"logs", id});
  size_t first = logs.out.find("--rerun: shop.rr_a");
  CHECK(first != std::string::npos);
  CHECK(logs.out.find("--rerun: shop.rr_a", first + 1) == std::string::npos);
  CHECK_FALSE(TaskStatus(id).contains("rerun"));

  // A pattern that names no table of the task fails the worker with what to do.
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
  REQUIRE(E().cli.Run({"start", id, "--rerun-table", "shop.nothing_*"}).exit_code == 0);
  std::string errors;
  for (int i = 0; i < 200 && errors.find("matches none") == std::string::npos; ++i) {
    std::this_thread::sleep_for(100ms);
    errors = TaskStatus(id).dump();
  }
  CHECK_MESSAGE(errors.find("--rerun: 'shop.nothing_*' matches none of the task's tables") != std::string::npos,
                errors);
  (void)E().cli.Run({"stop", id});
  // Started without --rerun, the task runs again.
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  E().mysql.Exec("UPDATE shop.rr_a SET v = 'last' WHERE id = 2");
  CHECK(DestEquals("rr_a", [] { return Source("rr_a"); }));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  // --rerun copies every table: rr_b's drifted row is the source's again.
  REQUIRE(E().cli.Run({"start", id, "--rerun"}).exit_code == 0);
  CHECK(DestEquals("rr_b", [] { return Source("rr_b"); }));
  CHECK(DestEquals("rr_a", [] { return Source("rr_a"); }));
  CHECK(E().cli.Run({"logs", id}).out.find("--rerun: shop.rr_b is copied afresh") != std::string::npos);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("split_column chunks a copy by another column, no_split copies in one chunk; a bad column is named") {
  // 5000 rows, batch_rows 200: chunks of 2000 rows. g repeats each value 700
  // times, so chunk bounds fall inside runs of equal values.
  E().mysql.Exec("CREATE TABLE shop.split_g (id INT PRIMARY KEY, g INT NOT NULL, v VARCHAR(20), n INT)");
  E().mysql.Exec("INSERT INTO shop.split_g SELECT seq, seq DIV 700, CONCAT('v', seq), seq FROM seq.seq_1_to_5000");
  MakeTable("split_none", 5000);
  const std::string id = Create("split.yaml", Spec("split", "[shop.split_g, shop.split_none]",
                                                   "tables:\n  - { match: shop.split_g, split_column: g }\n"
                                                   "  - { match: shop.split_none, no_split: true }\n", 7311));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  CHECK(DestEquals("split_g", [] { return Source("split_g"); }));
  CHECK(DestEquals("split_none", [] { return Source("split_none"); }));
  const std::string log = E().cli.Run({"logs", "-n", "50", id}).out;
  CHECK_MESSAGE(log.find("full initialization of shop.split_g: 3 chunks by g") != std::string::npos, log);
  CHECK_MESSAGE(log.find("full initialization of shop.split_none: 1 chunks") != std::string::npos, log);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);

  // A nullable column would leave its NULL rows out of every chunk: refused, naming it.
  const std::string bad = Create("split-bad.yaml", Spec("split-bad", "[shop.split_g]",
                                                        "tables:\n  - { match: shop.split_g, split_column: v }\n", 7312));
  REQUIRE(E().cli.Run({"start", bad}).exit_code == 0);
  std::string message = WaitLastError(E().cli, bad);
  CHECK_MESSAGE(message.find("tables[].split_column of shop.split_g: column v may be NULL") != std::string::npos,
                message);
  (void)E().cli.Run({"stop", bad});

  // A column the table does not have: the nearest one named.
  const std::string typo = Create("split-typo.yaml", Spec("split-typo", "[shop.split_g]",
                                                          "tables:\n  - { match: shop.split_g, split_column: gg }\n", 7313));
  REQUIRE(E().cli.Run({"start", typo}).exit_code == 0);
  message = WaitLastError(E().cli, typo);
  CHECK_MESSAGE(message.find("tables[].split_column of shop.split_g names column 'gg', which the table does not have; "
                             "did you mean 'g'?") != std::string::npos, message);
  (void)E().cli.Run({"stop", typo});
  // A keyless table is copied in one snapshot: chunks by any column are refused, with the way out.
  E().mysql.Exec("CREATE TABLE shop.split_keyless (g INT NOT NULL, v VARCHAR(20))");
  E().mysql.Exec("INSERT INTO shop.split_keyless SELECT seq DIV 7, 'x' FROM seq.seq_1_to_100");
  const std::string keyless = Create("split-keyless.yaml", Spec("split-keyless", "[shop.split_keyless]",
                                                                "tables:\n  - { match: shop.split_keyless, split_column: g }\n",
                                                                7314));
  REQUIRE(E().cli.Run({"start", keyless}).exit_code == 0);
  message = WaitLastError(E().cli, keyless);
  CHECK_MESSAGE(message.find("tables[].split_column of shop.split_keyless: a table without a key is copied whole") !=
                    std::string::npos, message);
  CHECK(message.find("remove split_column or set tables[].primary_key") != std::string::npos);
  (void)E().cli.Run({"stop", keyless});
}

TEST_CASE("runtime.max_source_connections caps the worker's source connections, beside real-time sync too") {
  MakeTable("conn_first", 200000);
  MakeTable("conn_later", 100000);
  auto yaml = [](const std::string& tables, int max_connections) {
    return TaskYaml("conns", E().mysql, E().pg, "repl", "repl-pw", tables, 7507) +
           "runtime: { batch_rows: 200, flush_ms: 200, snapshot_parallelism: 4, max_source_connections: " +
           std::to_string(max_connections) + ", failover: { max_backoff_seconds: 1 } }\n";
  };
  // Below the floor: refused with the reason, line and column.
  auto low = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("conns-low.yaml", yaml("[shop.conn_first]", 3))});
  CHECK(low.exit_code != 0);
  CHECK_MESSAGE(low.err.find("runtime.max_source_connections (3) must be at least 4: real-time sync holds two") !=
                    std::string::npos, low.err);

  // The server enforces the cap: a fifth connection of the user is refused
  // (ER_TOO_MANY_USER_CONNECTIONS), so a worker that overshoots fails in its
  // log. PROCESSLIST cannot measure it: a closed connection stays listed a
  // moment after the server released it from the user's count (MDEV-37797).
  E().mysql.Exec("ALTER USER 'repl'@'%' WITH MAX_USER_CONNECTIONS 4");
  struct Uncap {
    ~Uncap() { E().mysql.Exec("ALTER USER 'repl'@'%' WITH MAX_USER_CONNECTIONS 0"); }
  } uncap;
  const std::string id = Create("conns.yaml", yaml("[shop.conn_first]", 4));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);  // its checks' connections are closed when it returns
  // Every connection of the task's source user, sampled as the worker runs:
  // the copy's parallel reading shows.
  std::atomic<int> peak{0};
  std::jthread sampler([&](std::stop_token sampling) {  // stopped and joined on a failed REQUIRE too
    auto conn = E().mysql.Admin();
    while (!sampling.stop_requested()) {
      auto r = conn.Query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'repl'");
      if (r.ok()) peak = std::max(peak.load(), std::atoi(r->Scalar().c_str()));
      std::this_thread::sleep_for(2ms);
    }
  });
  REQUIRE(E().cli.WaitStreaming(id));
  CHECK(DestEquals("conn_first", [] { return Source("conn_first"); }));
  const int copy_peak = peak.exchange(0);
  CHECK(copy_peak >= 2);  // the copy did read in parallel

  // A table added to the running task is copied beside the stream, whose
  // catalog and binlog connections leave two of the four for the copy.
  E().mysql.Exec("UPDATE shop.conn_first SET v = 'streamed' WHERE id <= 10");
  auto applied = E().cli.Run({"apply", id, "-f", E().cli.WriteSpec("conns2.yaml", yaml("[shop.conn_first, shop.conn_later]", 4))});
  REQUIRE_MESSAGE(applied.exit_code == 0, applied.err);
  CHECK(DestEquals("conn_later", [] { return Source("conn_later"); }));
  CHECK(DestEquals("conn_first", [] { return Source("conn_first"); }));
  sampler.request_stop();
  sampler.join();
  const std::string log = E().cli.Run({"logs", "-n", "200", id}).out;
  CHECK_MESSAGE(log.find("max_user_connections") == std::string::npos, log);
  CHECK_MESSAGE(log.find(" ERROR ") == std::string::npos, log);
  CHECK_MESSAGE(log.find("full initialization reads with 2 source connection(s) instead of 4: "
                         "runtime.max_source_connections is 4, and real-time sync holds 2") != std::string::npos, log);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}
