// sync metrics and the supervisor's metrics files, read by Prometheus' own
// parser (python3-prometheus-client, /usr/bin/python3): a task from real
// MariaDB into PostgreSQL copies, applies inserts, updates and deletes,
// loses its worker to a SIGKILL and stops; the metrics say each of these
// with the right names, types, labels and values.

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

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

// The exposition parsed: sample name -> [{labels, value, type}]. A format
// error fails the parse, and with it the test.
json Parse(const std::string& exposition) {
  const char* script =
      "import json, sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "out = {}\n"
      "for family in text_string_to_metric_families(sys.stdin.read()):\n"
      "    for s in family.samples:\n"
      "        out.setdefault(s.name, []).append({'labels': s.labels, 'value': s.value, 'type': family.type})\n"
      "print(json.dumps(out))\n";
  auto r = RunProcess({"/usr/bin/python3", "-c", script}, {.stdin_text = exposition});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err << "\n" << exposition);
  return json::parse(r.out);
}

// The value of `name` whose labels include `labels`; NaN when there is none.
double Value(const json& metrics, const std::string& name, const json& labels) {
  if (!metrics.contains(name)) return std::nan("");
  for (const auto& s : metrics[name]) {
    bool match = true;
    for (const auto& [k, v] : labels.items()) match = match && s["labels"].value(k, "") == v.get<std::string>();
    if (match) return s["value"].get<double>();
  }
  return std::nan("");
}

}  // namespace

TEST_CASE("sync metrics: copies, applied changes by operation, lag, a failover and the end, in Prometheus' format") {
  E().mysql.Exec("CREATE TABLE shop.mt (id INT PRIMARY KEY, v VARCHAR(20))");
  E().mysql.Exec("INSERT INTO shop.mt SELECT seq, CONCAT('v', seq) FROM seq.seq_1_to_500");
  const std::string dir = MakeTempDir("metrics");
  ::chmod(dir.c_str(), 0755);
  const std::string collected = dir + "/sync_mt.prom";
  std::string yaml = E().Yaml("mt", "[shop.mt]", "", E().pg, "postgres", 7708);
  // E().Yaml writes a runtime section of its own: the key joins it.
  const std::string failover = "failover: { max_backoff_seconds: 1 }";
  REQUIRE(yaml.find(failover) != std::string::npos);
  yaml.replace(yaml.find(failover), failover.size(), failover + ", metrics_file: " + collected);
  const std::string id = CreateAndStartTask(E().cli, "mt.yaml", yaml);
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("INSERT INTO shop.mt SELECT seq, 'new' FROM seq.seq_501_to_510");
  E().mysql.Exec("UPDATE shop.mt SET v = CONCAT(v, '!') WHERE id <= 5");
  E().mysql.Exec("DELETE FROM shop.mt WHERE id BETWEEN 6 AND 8");

  json m;
  const json table = {{"task", id}, {"table", "shop.mt"}};
  for (int i = 0; i < 100; ++i) {
    m = Parse(E().cli.Run({"metrics", id}).out);
    if (Value(m, "sync_rows_applied_total", {{"table", "shop.mt"}, {"op", "delete"}}) == 3) break;
    std::this_thread::sleep_for(200ms);
  }
  CHECK(Value(m, "sync_up", {{"task", id}}) == 1);
  CHECK(Value(m, "sync_task_state", {{"task", id}, {"state", "running"}}) == 1);
  CHECK(Value(m, "sync_task_state", {{"task", id}, {"state", "failed"}}) == 0);
  CHECK(Value(m, "sync_task_info", {{"task", id}, {"name", "mt"}, {"destination_type", "postgres"}}) == 1);
  CHECK(Value(m, "sync_rows_copied_total", table) == 500);
  CHECK(Value(m, "sync_table_copy_ratio", table) == 1);
  CHECK(Value(m, "sync_rows_applied_total", {{"table", "shop.mt"}, {"op", "insert"}}) == 10);
  CHECK(Value(m, "sync_rows_applied_total", {{"table", "shop.mt"}, {"op", "update"}}) == 5);
  CHECK(Value(m, "sync_rows_applied_total", {{"table", "shop.mt"}, {"op", "delete"}}) == 3);
  CHECK(m["sync_rows_applied_total"][0]["type"] == "counter");
  CHECK(Value(m, "sync_realtime_lag_seconds", {{"task", id}}) >= 0);
  CHECK(Value(m, "sync_checkpoint_age_seconds", {{"task", id}}) >= 0);
  CHECK(Value(m, "sync_worker_heartbeat_age_seconds", {{"task", id}}) < 5);
  CHECK(Value(m, "sync_source_bytes_read_total", {{"task", id}}) > 0);
  CHECK(Value(m, "sync_failovers_total", {{"task", id}}) == 0);
  CHECK(Value(m, "sync_ddl_statements_total", {{"task", id}, {"outcome", "applied"}}) == 0);

  // A failover, seen in the file the supervisor writes (every 5 s), 0644 for a collector.
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  REQUIRE(WorkerPid(E().cli, id, pid) > 0);
  json file;
  for (int i = 0; i < 100; ++i) {
    file = Parse(ReadText(collected));
    if (Value(file, "sync_failovers_total", {{"task", id}}) == 1) break;
    std::this_thread::sleep_for(200ms);
  }
  CHECK(Value(file, "sync_failovers_total", {{"task", id}}) == 1);
  struct stat st;
  REQUIRE(::stat(collected.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  const std::string own = E().cli.home() + "/tasks/" + id + "/metrics.prom";
  REQUIRE(::stat(own.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Value(Parse(ReadText(own)), "sync_up", {{"task", id}}) == 1);

  // Stopped: the supervisor's last write says so.
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  json last = Parse(ReadText(collected));
  CHECK(Value(last, "sync_up", {{"task", id}}) == 0);
  CHECK(Value(last, "sync_task_state", {{"task", id}, {"state", "stopped"}}) == 1);
  // Every task at once, and an unknown one.
  CHECK(Value(Parse(E().cli.Run({"metrics"}).out), "sync_up", {{"task", id}}) == 0);
  CHECK(E().cli.Run({"metrics", "no-such-task"}).exit_code == 3);
  RemoveTree(dir);
}
