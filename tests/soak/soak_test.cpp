// The randomized soak (issue 15 item 6): a task streams database shop from
// MariaDB to PostgreSQL (or Hologres, the fixture) through a fault proxy on
// each side while a random workload runs at the source (the type matrix,
// tables with and without a key, large transactions, DDL) and faults come
// one after another: the worker SIGKILLed, connections cut, links stalled or
// refused, the source and the destination restarted. Then the faults and the
// workload stop, a fence row shows the task caught up, and both `sync
// verify` and the harness's own digests must find 0 differences.
//
// SYNC_SOAK_SECONDS: how long faults and workload run (default 120).
// SYNC_SOAK_SEED: the seed of the workload and the faults (default random).
// SYNC_SOAK_DESTINATION: postgres (default) or hologres.
// A failure prints the command that runs the same soak again.

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "harness/fault_proxy.hpp"
#include "harness/servers.hpp"
#include "harness/workload.hpp"
#include "soak/soak_compare.hpp"
#include "soak/soak_faults.hpp"
#include "soak/soak_workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct SoakConfig {
  uint32_t seed = 0;
  int seconds = 120;
  std::string destination = "postgres";

  static SoakConfig FromEnvironment() {
    SoakConfig c;
    c.seed = std::random_device{}();
    if (const char* s = std::getenv("SYNC_SOAK_SEED")) c.seed = uint32_t(std::stoul(s));
    if (const char* s = std::getenv("SYNC_SOAK_SECONDS")) c.seconds = std::stoi(s);
    if (const char* s = std::getenv("SYNC_SOAK_DESTINATION")) c.destination = s;
    REQUIRE_MESSAGE((c.destination == "postgres" || c.destination == "hologres"),
                    "SYNC_SOAK_DESTINATION is postgres or hologres, not " << c.destination);
    return c;
  }

  std::string ReproduceCommand() const {
    char self[4096] = {};
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
    return "SYNC_SOAK_SEED=" + std::to_string(seed) + " SYNC_SOAK_SECONDS=" + std::to_string(seconds) +
           " SYNC_SOAK_DESTINATION=" + destination + " " + (n > 0 ? std::string(self, size_t(n)) : "soak_test");
  }
};

std::string SpecYaml(const std::string& destination, int source_port, int destination_port) {
  return "name: soak\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(source_port) +
         "\n  user: repl\n  password: repl-pw\n  server_id: 7990\n  tables: [shop.*]\n"
         "destination:\n  type: " + destination + "\n  host: 127.0.0.1\n  port: " + std::to_string(destination_port) +
         "\n  database: dw\n  user: loader\n  password: loader-pw\n"
         "ddl: { create_table: normal, drop_table: normal, rename_table: normal, add_column: normal,\n"
         "       drop_column: normal, rename_column: normal, modify_column: normal, truncate_table: normal }\n"
         // The soak's faults are failovers by the hundred: the supervisor must never give up.
         "runtime: { batch_rows: 500, flush_ms: 200, snapshot_parallelism: 2,\n"
         "           failover: { max_times: 1000000, window_minutes: 1, max_backoff_seconds: 1 } }\n";
}

std::string Lifecycle(const SyncCli& cli, const std::string& task) {
  auto s = json::parse(cli.Run({"status", task, "-o", "json"}).out, nullptr, false);
  return s.is_object() ? s.value("lifecycle", "") : "";
}

// True for `seconds`, then false; false at once when the task ends by
// itself (then it failed). The task's status is read every 2 s.
std::function<bool()> Budget(int seconds, const SyncCli& cli, const std::string& task) {
  const auto now = std::chrono::steady_clock::now();
  return [&cli, task, until = now + std::chrono::seconds(seconds), next_look = now]() mutable {
    const auto at = std::chrono::steady_clock::now();
    if (at >= until) return false;
    if (at < next_look) return true;
    next_look = at + 2s;
    const std::string lifecycle = Lifecycle(cli, task);
    return lifecycle != "failed" && lifecycle != "stopped";
  };
}

std::string Position(const SyncCli& cli, const std::string& task) {
  auto s = json::parse(cli.Run({"status", task, "-o", "json"}).out, nullptr, false);
  if (!s.is_object() || !s.contains("steps") || !s["steps"].contains("realtime_sync")) return "";
  return s["steps"]["realtime_sync"].value("position", "");
}

// Writes the fence row and waits until it is at the destination: every
// change before it is applied then. The backlog of a long run takes its
// time: gives up only when the task's position stays put for `stuck`.
bool CaughtUp(const MariaDbServer& mysql, const PostgresServer& dest, const SyncCli& cli, const std::string& task,
              std::chrono::seconds stuck) {
  mysql.Exec(std::string("INSERT INTO shop.") + kFenceTable + " VALUES (1)");
  std::string position = Position(cli, task);
  auto moved_at = std::chrono::steady_clock::now();
  for (int polls = 1;; ++polls) {
    auto lines = DestinationLines(dest, std::string("SELECT count(*) FROM shop.") + kFenceTable + " WHERE id = 1");
    if (lines && lines->size() == 1 && (*lines)[0] == "1") return true;
    if (polls % 10 == 0) {
      const std::string now = Position(cli, task);
      if (now != position) {
        position = now;
        moved_at = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - moved_at > stuck) {
        return false;
      }
    }
    std::this_thread::sleep_for(200ms);
  }
}

int64_t RowsCompared(const json& report) {
  int64_t rows = 0;
  for (const auto& t : report["tables"]) rows += t.value("rows", int64_t{0});
  return rows;
}

}  // namespace

TEST_CASE("soak: a random workload under kills, cuts, stalls and restarts converges with 0 differences") {
  const SoakConfig config = SoakConfig::FromEnvironment();
  std::printf("soak: seed %u, %d s, destination %s\n", config.seed, config.seconds, config.destination.c_str());
  std::fflush(stdout);
  INFO("reproduce with: " << config.ReproduceCommand());

  MariaDbServer mysql;
  PostgresServer pg{PostgresOptions{.hologres_settings = config.destination == "hologres"}};
  SyncCli cli;
  PrepareShopSource(mysql);
  PrepareDestinationDatabase(pg);
  if (config.destination == "hologres") pg.InstallHologresFixture("dw");
  FaultProxy source_proxy(mysql.port()), destination_proxy(pg.port());

  SoakWorkload workload(mysql, config.seed, config.destination == "hologres");
  workload.CreateInitialTables();
  const std::string task = CreateAndStartTask(
      cli, "soak.yaml", SpecYaml(config.destination, source_proxy.port(), destination_proxy.port()));

  // The workload runs from the first copy on; so do the faults.
  const auto began = std::chrono::steady_clock::now();
  std::atomic<bool> stop_writes{false};
  std::thread writer([&] { workload.Run(stop_writes); });
  FaultInjector faults({mysql, pg, source_proxy, destination_proxy, cli, task}, config.seed * 2654435761u + 1);
  faults.Run(Budget(config.seconds, cli, task));  // on this thread: see soak_faults.hpp
  faults.Heal();
  stop_writes = true;
  writer.join();
  const double ran = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  const auto fence_at = std::chrono::steady_clock::now();
  const bool caught_up = CaughtUp(mysql, pg, cli, task, 180s);
  const double catch_up = std::chrono::duration<double>(std::chrono::steady_clock::now() - fence_at).count();
  DigestComparison digests;
  json report;
  ProcessResult verify;
  if (caught_up) {
    digests = CompareDigests(mysql, pg);
    verify = cli.Run({"verify", task, "-o", "json"});
    report = json::parse(verify.out, nullptr, false);
  }

  const FaultCounts& f = faults.counts();
  const WorkloadCounts& w = workload.counts();
  std::string ddl;
  for (const auto& [kind, n] : w.ddl) ddl += (ddl.empty() ? "" : ", ") + kind + " " + std::to_string(n);
  const int64_t verify_differences = report.is_object() ? report.value("differences", int64_t{-1}) : -1;
  std::printf(
      "soak: seed %u, ran %.0f s (budget %d s), %s %.1f s after the fence\n"
      "soak: faults survived: %d kills, %d cuts, %d stalls, %d refusals, %d source restarts, %d destination restarts\n"
      "soak: written: %lld transactions (%lld large), %lld rows, %lld DDL (%s); %lld statements failed under the "
      "faults, %lld reconnects\n"
      "soak: compared: %d tables, %lld rows by digest (%zu differences), %lld rows by sync verify (%lld differences)\n",
      config.seed, ran, config.seconds, caught_up ? "caught up" : "NOT caught up: gave up", catch_up, f.kills.load(), f.cuts.load(), f.stalls.load(), f.refusals.load(),
      f.source_restarts.load(), f.destination_restarts.load(), (long long)w.transactions.load(),
      (long long)w.large_transactions.load(), (long long)w.rows.load(), (long long)w.DdlTotal(), ddl.c_str(),
      (long long)w.failed_statements.load(), (long long)w.reconnects.load(), digests.tables, (long long)digests.rows,
      digests.differences.size(), report.is_object() ? (long long)RowsCompared(report) : -1LL,
      (long long)verify_differences);
  std::fflush(stdout);

  for (const auto& p : faults.problems()) MESSAGE("fault injection: " << p);
  const bool passed = caught_up && digests.differences.empty() && verify.exit_code == 0 && verify_differences == 0;
  if (!passed) {
    std::printf("soak FAILED: seed %u; reproduce with:\n  %s\n", config.seed, config.ReproduceCommand().c_str());
    std::printf("sync status:\n%s\nlast log lines:\n%s\nDDL applied:\n", cli.Run({"status", task}).out.c_str(),
                cli.Run({"logs", "-n", "80", task}).out.c_str());
    const std::string log = cli.Run({"logs", "-n", "100000", task}).out;
    for (size_t at = 0, end; at < log.size(); at = end + 1) {
      end = log.find('\n', at);
      if (end == std::string::npos) end = log.size();
      const std::string line = log.substr(at, end - at);
      if (line.find(" applied at ") != std::string::npos || line.find("DDL") != std::string::npos)
        std::printf("%s\n", line.c_str());
    }
    std::fflush(stdout);
  }
  CHECK_MESSAGE(caught_up, "the fence row did not reach the destination, and the task's position stayed put for 180 s");
  for (const auto& d : digests.differences) FAIL_CHECK("digest: " << d);
  CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);
  CHECK(verify_differences == 0);
  CHECK(f.kills.load() + f.cuts.load() + f.stalls.load() + f.refusals.load() + f.source_restarts.load() +
            f.destination_restarts.load() >
        0);
  CHECK(cli.Run({"stop", task}).exit_code == 0);
}
