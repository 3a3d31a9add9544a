// Outages against real MariaDB and PostgreSQL, through a fault-injecting
// proxy (tests/harness/fault_proxy.hpp) where the network is at fault: a
// source that is gone or silent is seen in the log and in `sync status`
// (reconnecting since, attempts, last error) while the lag grows; `sync stop`
// ends the task within 2 s whatever the worker waits on (a reconnect, a
// destination that stalled); a destination that stalls while the task runs
// is given up after destination.stall_timeout_seconds unless the server is
// still running the statement; a connection cut during full initialization
// fails over; and every case converges with nothing lost or doubled.

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/fault_proxy.hpp"
#include "harness/servers.hpp"
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

json StatusOf(const std::string& task) { return TaskStatus(E().cli, task); }

json WaitStatus(const std::string& task, std::chrono::seconds limit, const std::function<bool(const json&)>& ready) {
  return WaitTaskStatus(E().cli, task, limit, ready);
}

bool Reconnecting(const json& s) { return s["steps"]["realtime_sync"].contains("reconnecting"); }

// `sync stop`, timed.
double TimedStop(const std::string& task) {
  auto begin = std::chrono::steady_clock::now();
  auto r = E().cli.Run({"stop", task});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
  MESSAGE("sync stop " << task << ": " << seconds << " s");
  return seconds;
}

// Rows of shop.`table` in the same text on both sides: id|v|n.
bool SameRows(const std::string& table) {
  return QueriesConverge(E().mysql, E().pg,
                         {{"SELECT id, v, n FROM shop." + table + " ORDER BY id",
                           "SELECT id, v, n FROM shop." + table + " ORDER BY id"}},
                         std::chrono::seconds(120));
}

void CreateTable(const std::string& table, int rows) {
  E().mysql.Exec("CREATE TABLE shop." + table + " (id INT PRIMARY KEY, v VARCHAR(40), n INT)");
  if (rows > 0)
    E().mysql.Exec("INSERT INTO shop." + table + " SELECT seq, CONCAT('v', seq), seq FROM seq.seq_1_to_" +
                   std::to_string(rows));
}

}  // namespace

TEST_CASE("the source server gone while streaming: logged, in sync status, stoppable at once, and converges after") {
  CreateTable("og", 1000);
  const std::string id = CreateAndStartTask(E().cli, "og.yaml", E().Yaml("og", "[shop.og]", "", E().pg, "postgres", 7951));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("UPDATE shop.og SET n = n + 1 WHERE id <= 10");
  REQUIRE(SameRows("og"));

  E().mysql.Stop();
  json s = WaitStatus(id, 30s, [](const json& j) {
    return Reconnecting(j) && j["steps"]["realtime_sync"]["reconnecting"].value("attempts", 0) >= 2;
  });
  INFO(s.dump(1));
  REQUIRE(Reconnecting(s));
  const json& r = s["steps"]["realtime_sync"]["reconnecting"];
  CHECK(r["last_error"].get<std::string>().find("cannot connect") != std::string::npos);
  CHECK(r["since"].get<std::string>().size() == 20);
  CHECK(s["lifecycle"] == "running");
  auto logs = E().cli.Run({"logs", id});
  CHECK(logs.out.find("lost the source's binlog stream") != std::string::npos);
  CHECK(logs.out.find("reconnecting to the source: attempt 1 failed: ") != std::string::npos);
  auto text = E().cli.Run({"status", id});
  CHECK(text.out.find("reconnecting: since ") != std::string::npos);

  // The lag keeps growing while the source is away.
  const int64_t lag = s["steps"]["realtime_sync"].value("lag_seconds", int64_t{-1});
  json later = WaitStatus(id, 10s, [&](const json& j) {
    return j["steps"]["realtime_sync"].value("lag_seconds", int64_t{-1}) >= lag + 2;
  });
  CHECK(later["steps"]["realtime_sync"].value("lag_seconds", int64_t{-1}) >= lag + 2);

  const double took = TimedStop(id);
  CHECK_MESSAGE(took < 3.0, "sync stop took " << took << " s");
  CHECK(StatusOf(id)["lifecycle"] == "stopped");

  E().mysql.Start();
  E().mysql.Exec("UPDATE shop.og SET n = n + 100 WHERE id BETWEEN 100 AND 200");
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  CHECK(SameRows("og"));
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("a silent source (half-open link through the proxy) is detected, reconnected after, and converges") {
  CreateTable("os", 1000);
  FaultProxy proxy(E().mysql.port());
  const std::string id = CreateAndStartTask(
      E().cli, "os.yaml",
      ViaProxy(E().Yaml("os", "[shop.os]", "", E().pg, "postgres", 7952), E().mysql.port(), proxy.port()));
  REQUIRE(E().cli.WaitStreaming(id));
  proxy.SetStalled(true);
  const auto stalled_at = std::chrono::steady_clock::now();
  json s = WaitStatus(id, 30s, Reconnecting);
  const double detected = std::chrono::duration<double>(std::chrono::steady_clock::now() - stalled_at).count();
  INFO(s.dump(1));
  REQUIRE(Reconnecting(s));
  // The stream reads with a 10 s timeout and the source sends a heartbeat every second.
  CHECK_MESSAGE(detected < 15, "a silent source was noticed after " << detected << " s");
  MESSAGE("a silent source noticed after " << detected << " s");
  E().mysql.Exec("UPDATE shop.os SET v = 'during the stall' WHERE id <= 50");
  proxy.SetStalled(false);
  s = WaitStatus(id, 60s, [](const json& j) { return !Reconnecting(j); });
  CHECK_FALSE(Reconnecting(s));
  CHECK(SameRows("os"));
  CHECK(E().cli.Run({"logs", id}).out.find("binlog stream reconnected at") != std::string::npos);
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("a destination that stalls mid-write: sync stop ends the worker within 2 s; restarted, it converges") {
  CreateTable("od", 2000);
  FaultProxy proxy(E().pg.port());
  const std::string id = CreateAndStartTask(
      E().cli, "od.yaml", ViaProxy(E().Yaml("od", "[shop.od]", "", E().pg, "postgres", 7953), E().pg.port(), proxy.port()));
  REQUIRE(E().cli.WaitStreaming(id));
  proxy.SetStalled(true);
  E().mysql.Exec("UPDATE shop.od SET n = n * 2 WHERE id <= 500");
  std::this_thread::sleep_for(1500ms);  // the batch is on its way into the stalled connection
  const double took = TimedStop(id);
  CHECK_MESSAGE(took < 3.0, "sync stop took " << took << " s");
  CHECK(E().cli.Run({"logs", id}).out.find("leaves without finishing its batch") != std::string::npos);
  proxy.SetStalled(false);
  proxy.CutAll();
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  CHECK(SameRows("od"));
  CHECK(TimedStop(id) < 3.0);
}

// The task's spec with destination.stall_timeout_seconds set.
std::string WithStallTimeout(std::string yaml, int seconds) {
  const std::string at = "  password: loader-pw\n";
  REQUIRE(yaml.find(at) != std::string::npos);
  return yaml.insert(yaml.find(at) + at.size(), "  stall_timeout_seconds: " + std::to_string(seconds) + "\n");
}

TEST_CASE("a destination that stalls while streaming: noticed after stall_timeout_seconds, failed over, converges") {
  CreateTable("ost", 2000);
  FaultProxy proxy(E().pg.port());
  std::string yaml = ViaProxy(E().Yaml("ost", "[shop.ost]", "", E().pg, "postgres", 7959), E().pg.port(), proxy.port());
  const std::string id = CreateAndStartTask(E().cli, "ost.yaml", WithStallTimeout(yaml, 3));
  REQUIRE(E().cli.WaitStreaming(id));
  const int failovers_before = StatusOf(id).value("failovers", 0);
  proxy.SetStalled(true);
  const auto stalled_at = std::chrono::steady_clock::now();
  E().mysql.Exec("UPDATE shop.ost SET n = n * 2 WHERE id <= 500");
  // The stall is noticed while it lasts: the worker gives up the connection.
  json s = WaitStatus(id, 60s, [&](const json& j) { return j.value("failovers", 0) > failovers_before; });
  const double noticed = std::chrono::duration<double>(std::chrono::steady_clock::now() - stalled_at).count();
  MESSAGE("a stalled destination noticed after " << noticed << " s (stall_timeout_seconds 3)");
  INFO(E().cli.Run({"logs", id}).out);
  REQUIRE(s.value("failovers", 0) > failovers_before);
  CHECK(noticed < 20.0);
  auto logs = E().cli.Run({"logs", id}).out;
  CHECK_MESSAGE(logs.find("did not answer for") != std::string::npos, logs);
  CHECK(logs.find("destination.stall_timeout_seconds is 3") != std::string::npos);
  E().mysql.Exec("UPDATE shop.ost SET v = 'during the stall' WHERE id BETWEEN 400 AND 900");
  proxy.SetStalled(false);
  CHECK(SameRows("ost"));
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("a destination statement that waits on a lock is slow, not stalled: it is not cut") {
  CreateTable("ol", 200);
  const std::string id =
      CreateAndStartTask(E().cli, "ol.yaml", WithStallTimeout(E().Yaml("ol", "[shop.ol]", "", E().pg, "postgres", 7958), 2));
  REQUIRE(E().cli.WaitStreaming(id));
  REQUIRE(SameRows("ol"));
  const int failovers_before = StatusOf(id).value("failovers", 0);
  {
    // Another session holds the row the task's next batch updates, for
    // three times the stall timeout.
    auto blocker = E().pg.Admin("dw");
    REQUIRE(blocker.Execute("BEGIN").ok());
    REQUIRE(blocker.Execute("SELECT * FROM shop.ol WHERE id = 7 FOR UPDATE").ok());
    E().mysql.Exec("UPDATE shop.ol SET n = -7 WHERE id = 7");
    auto waiting = [&] {
      return E().pg.Scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'dw'") != "0";
    };
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!waiting() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
    REQUIRE(waiting());
    std::this_thread::sleep_for(6s);  // three stall timeouts: the watch asks, and is told the statement runs
    CHECK(waiting());
    REQUIRE(blocker.Execute("ROLLBACK").ok());
  }
  CHECK(SameRows("ol"));
  CHECK(StatusOf(id).value("failovers", 0) == failovers_before);
  CHECK(E().cli.Run({"logs", id}).out.find("did not answer for") == std::string::npos);
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("the source connection cut during full initialization: the worker fails over and the copy converges") {
  CreateTable("oc", 300000);
  FaultProxy proxy(E().mysql.port());
  std::string yaml = ViaProxy(E().Yaml("oc", "[shop.oc]", "", E().pg, "postgres", 7954), E().mysql.port(), proxy.port());
  proxy.SetLatency(10ms);  // a copy slow enough to be cut in the middle
  const std::string id = CreateAndStartTask(E().cli, "oc.yaml", yaml);
  json s = WaitStatus(id, 60s, [](const json& j) {
    return j.contains("tables") && j["tables"].contains("shop.oc") && j["tables"]["shop.oc"].value("rows", 0) > 0;
  });
  REQUIRE(s["tables"]["shop.oc"]["state"] == "copying");
  proxy.CutAll();
  proxy.SetLatency(0ms);
  E().mysql.Exec("UPDATE shop.oc SET n = -n WHERE id % 1000 = 0");
  s = WaitStatus(id, 60s, [](const json& j) { return j.value("failovers", 0) >= 1; });
  INFO(E().cli.Run({"logs", id}).out);
  CHECK(s.value("failovers", 0) >= 1);
  CHECK(SameRows("oc"));
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.oc", "dw") == "300000");
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("the source restarts while streaming: the stream reconnects by itself and converges") {
  CreateTable("or", 1000);
  const std::string id = CreateAndStartTask(E().cli, "or.yaml", E().Yaml("or", "[shop.or]", "", E().pg, "postgres", 7955));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("UPDATE shop.or SET n = n + 1 WHERE id <= 100");
  E().mysql.Stop();
  E().mysql.Start();
  E().mysql.Exec("UPDATE shop.or SET v = 'after the restart' WHERE id BETWEEN 500 AND 600");
  E().mysql.Exec("INSERT INTO shop.or SELECT seq, 'new', seq FROM seq.seq_1001_to_1100");
  CHECK(SameRows("or"));
  json s = WaitStatus(id, 30s, [](const json& j) { return !Reconnecting(j); });
  CHECK_FALSE(Reconnecting(s));
  CHECK(s["lifecycle"] == "running");
  CHECK(E().cli.Run({"logs", id}).out.find("binlog stream reconnected at") != std::string::npos);
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("the source restarts during full initialization: the copy resumes and converges without duplicates") {
  CreateTable("ob", 300000);
  FaultProxy proxy(E().mysql.port());
  proxy.SetLatency(10ms);  // a copy slow enough to be in the middle of it
  const std::string id = CreateAndStartTask(
      E().cli, "ob.yaml",
      ViaProxy(E().Yaml("ob", "[shop.ob]", "", E().pg, "postgres", 7956), E().mysql.port(), proxy.port()));
  json s = WaitStatus(id, 60s, [](const json& j) {
    return j.contains("tables") && j["tables"].contains("shop.ob") && j["tables"]["shop.ob"].value("rows", 0) > 0;
  });
  REQUIRE(s["tables"]["shop.ob"]["state"] == "copying");
  E().mysql.Stop();
  E().mysql.Start();
  proxy.SetLatency(0ms);
  E().mysql.Exec("DELETE FROM shop.ob WHERE id % 997 = 0");
  CHECK(SameRows("ob"));
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ob", "dw") == E().mysql.Scalar("SELECT count(*) FROM shop.ob"));
  MESSAGE("failovers: " << StatusOf(id).value("failovers", 0));
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("the destination connection lost in the middle of a large transaction: rolled back, replayed, converges") {
  CreateTable("ot", 100000);
  FaultProxy proxy(E().pg.port());
  const std::string id = CreateAndStartTask(
      E().cli, "ot.yaml", ViaProxy(E().Yaml("ot", "[shop.ot]", "", E().pg, "postgres", 7957), E().pg.port(), proxy.port()));
  REQUIRE(E().cli.WaitStreaming(id));
  proxy.SetLatency(5ms);  // its pieces arrive slowly enough to cut between them
  E().mysql.Exec("UPDATE shop.ot SET n = n + 1, v = 'one transaction'");  // 100,000 rows in one transaction
  // Cut once the destination transaction has written rows (it has a transaction id).
  bool writing = false;
  for (int i = 0; i < 600 && !writing; ++i) {
    writing = E().pg.Scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = 'loader' AND backend_xid IS NOT NULL") != "0";
    if (!writing) std::this_thread::sleep_for(50ms);
  }
  CHECK(writing);
  proxy.CutAll();
  proxy.SetLatency(0ms);
  json s = WaitStatus(id, 60s, [](const json& j) { return j.value("failovers", 0) >= 1; });
  MESSAGE("failovers: " << s.value("failovers", 0));
  CHECK(SameRows("ot"));
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ot WHERE v = 'one transaction'", "dw") == "100000");
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("the destination connection cut while it runs a DDL: the DDL takes effect once and the task converges") {
  CreateTable("oddl", 300000);
  FaultProxy proxy(E().pg.port());
  const std::string id = CreateAndStartTask(
      E().cli, "oddl.yaml",
      ViaProxy(E().Yaml("oddl", "[shop.oddl]", "", E().pg, "postgres", 7960), E().pg.port(), proxy.port()));
  REQUIRE(E().cli.WaitStreaming(id));
  // A type change rewrites the 300,000 rows at the destination: long enough
  // to cut the connection while the server runs it.
  E().mysql.Exec("ALTER TABLE shop.oddl MODIFY n BIGINT");
  bool altering = false;
  for (int i = 0; i < 3000 && !altering; ++i) {
    altering = E().pg.Scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = 'loader' AND state = 'active' "
                             "AND query ILIKE 'ALTER TABLE%'") != "0";
    if (!altering) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(altering);
  proxy.CutAll();
  E().mysql.Exec("UPDATE shop.oddl SET n = n + 5000000000 WHERE id <= 1000");  // fits BIGINT only
  json s = WaitStatus(id, 60s, [](const json& j) { return j.value("failovers", 0) >= 1; });
  MESSAGE("failovers: " << s.value("failovers", 0));
  CHECK(SameRows("oddl"));
  CHECK(E().pg.Scalar("SELECT data_type FROM information_schema.columns WHERE table_schema = 'shop' AND "
                      "table_name = 'oddl' AND column_name = 'n'",
                      "dw") == "bigint");
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("full initialization over a slow link (bandwidth-limited source): progress is reported and the copy converges") {
  CreateTable("obw", 20000);
  FaultProxy proxy(E().mysql.port());
  proxy.SetBandwidth(200 * 1024);  // 200 KiB/s each way
  const auto began = std::chrono::steady_clock::now();
  const std::string id = CreateAndStartTask(
      E().cli, "obw.yaml",
      ViaProxy(E().Yaml("obw", "[shop.obw]", "", E().pg, "postgres", 7961), E().mysql.port(), proxy.port()));
  json s = WaitStatus(id, 60s, [](const json& j) {
    return j.contains("tables") && j["tables"].contains("shop.obw") && j["tables"]["shop.obw"].value("rows", 0) > 0;
  });
  INFO(s.dump(1));
  CHECK(s["tables"]["shop.obw"]["state"] == "copying");
  CHECK(SameRows("obw"));
  // About 400 KB of rows (20,000 x ~20 bytes) cannot cross a 200 KiB/s link
  // in under a second: the limit was in the path.
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  MESSAGE("20,000 rows over a 200 KiB/s link in " << took << " s");
  CHECK(took > 1.0);
  proxy.SetBandwidth(0);
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("a replica with the same GTID history takes over at the source's address: resumed by GTID, nothing lost or doubled") {
  CreateTable("ogt", 2000);
  MariaDbServer replica({"--server-id=2", "--log-slave-updates"});
  replica.Exec("CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " + std::to_string(E().mysql.port()) +
               ", MASTER_USER = 'root', MASTER_PASSWORD = 'root-pw', MASTER_USE_GTID = slave_pos");
  replica.Exec("START SLAVE");
  auto caught_up = [&] {
    const std::string pos = E().mysql.Scalar("SELECT @@gtid_binlog_pos");
    REQUIRE(replica.Scalar("SELECT MASTER_GTID_WAIT('" + pos + "', 60)") == "0");
  };
  caught_up();
  FaultProxy proxy(E().mysql.port());
  const std::string id = CreateAndStartTask(
      E().cli, "ogt.yaml",
      ViaProxy(E().Yaml("ogt", "[shop.ogt]", "", E().pg, "postgres", 7958), E().mysql.port(), proxy.port()));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("UPDATE shop.ogt SET n = n + 1 WHERE id <= 300");
  E().mysql.Exec("INSERT INTO shop.ogt SELECT seq, 'on the primary', seq FROM seq.seq_2001_to_2100");
  REQUIRE(SameRows("ogt"));
  caught_up();

  // The primary goes; the replica is promoted behind the same address.
  replica.Exec("STOP SLAVE");
  proxy.SetTarget(replica.port());
  E().mysql.Stop();
  proxy.CutAll();
  replica.Exec("ALTER TABLE shop.ogt ADD COLUMN note VARCHAR(20)");  // a DDL at a position lower than the old server's
  replica.Exec("UPDATE shop.ogt SET v = 'on the replica', note = 'r' WHERE id BETWEEN 1000 AND 1200");
  replica.Exec("DELETE FROM shop.ogt WHERE id > 2050");
  replica.Exec("INSERT INTO shop.ogt (id, v, n) SELECT seq, 'new on the replica', seq FROM seq.seq_3001_to_3050");
  const bool converged = QueriesConverge(replica, E().pg,
                                         {{"SELECT id, v, n FROM shop.ogt ORDER BY id",
                                           "SELECT id, v, n FROM shop.ogt ORDER BY id"}},
                                         std::chrono::seconds(60));
  auto logs = E().cli.Run({"logs", id});
  CHECK_MESSAGE(converged, logs.out);
  CHECK_MESSAGE(logs.out.find("resuming by GTID") != std::string::npos, logs.out);
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ogt", "dw") == replica.Scalar("SELECT count(*) FROM shop.ogt"));
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ogt WHERE note = 'r'", "dw") == "201");
  CHECK(TimedStop(id) < 3.0);
  E().mysql.Start();
}
