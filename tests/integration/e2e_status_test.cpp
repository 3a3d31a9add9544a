// sync status in depth against real MariaDB and PostgreSQL: every member of
// `sync status -o json` is one man sync-status(1) documents (JSON FIELDS),
// through a copy, DDL, a row the destination refuses, a SIGKILL and a stop;
// the worker's CPU, memory and threads, step durations, schema migration
// with its DDL, the failover history and dirty records are there; and the
// progress of `sync start --foreground` and `sync status --watch` is
// timestamped lines when stdout is not a terminal.

#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "core/text_util.hpp"
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

// The member paths man sync-status(1) documents in JSON FIELDS.
std::vector<std::string> DocumentedPaths() {
  std::ifstream in(std::string(SYNC_SOURCE_DIR) + "/man/sync-status.1");
  REQUIRE(in.good());
  std::vector<std::string> paths;
  std::string line, previous;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind(".SH", 0) == 0) in_section = line == ".SH \"JSON FIELDS\"";
    if (in_section && previous == ".TP" && line.rfind(".B ", 0) == 0) paths.push_back(line.substr(3));
    previous = line;
  }
  REQUIRE(paths.size() > 50);
  return paths;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '.') {
      out.push_back(cur);
      cur.clear();
    } else if (path.compare(i, 2, "[]") == 0) {
      out.push_back(cur);
      cur = "[]";
      ++i;
    } else {
      cur += path[i];
    }
  }
  out.push_back(cur);
  return out;
}

bool SegmentsMatch(const std::vector<std::string>& doc, const std::vector<std::string>& got, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (doc[i] != "*" && doc[i] != got[i]) return false;
  return true;
}

// Every member of `j` as its path's segments (an array's elements as "[]").
void Flatten(const json& j, std::vector<std::string>& path, std::set<std::vector<std::string>>& out) {
  if (!path.empty()) out.insert(path);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) {
      path.push_back(k);
      Flatten(v, path, out);
      path.pop_back();
    }
  if (j.is_array())
    for (const auto& v : j) {
      path.push_back("[]");
      Flatten(v, path, out);
      path.pop_back();
    }
}

// The printed members no documented path covers. A documented path with no
// documented members below it (a check report) covers what is below it.
std::vector<std::string> Undocumented(const json& status, const std::vector<std::string>& documented) {
  std::vector<std::vector<std::string>> docs;
  for (const auto& d : documented) docs.push_back(Segments(d));
  auto opaque = [&](const std::vector<std::string>& d) {
    for (const auto& other : docs)
      if (other.size() > d.size() && SegmentsMatch(d, other, d.size())) return false;
    return true;
  };
  std::set<std::vector<std::string>> printed;
  std::vector<std::string> root;
  Flatten(status, root, printed);
  std::vector<std::string> missing;
  for (const auto& got : printed) {
    bool covered = false;
    for (const auto& d : docs)
      covered = covered || (d.size() == got.size() && SegmentsMatch(d, got, d.size())) ||
                (d.size() < got.size() && SegmentsMatch(d, got, d.size()) && opaque(d));
    if (!covered) missing.push_back(Join(got, "/"));
  }
  return missing;
}

json StatusOf(const std::string& task) {
  auto r = E().cli.Run({"status", task, "-o", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return json::parse(r.out);
}

// Waits until the status satisfies `ready` (up to ~60 s); the last status either way.
json WaitStatus(const std::string& task, const std::function<bool(const json&)>& ready) {
  json s;
  for (int i = 0; i < 600; ++i) {
    s = StatusOf(task);
    if (ready(s)) break;
    std::this_thread::sleep_for(100ms);
  }
  return s;
}

// Waits until a worker other than `old_pid` streams with its tables bound.
json WaitNewWorkerStreaming(const std::string& task, int old_pid) {
  return WaitStatus(task, [&](const json& j) {
    return j.contains("worker") && j["worker"].value("pid", 0) != old_pid &&
           j["steps"]["realtime_sync"].value("state", "") == "running" && !j.value("tables", json::object()).empty();
  });
}

}  // namespace

TEST_CASE("sync status -o json: every member documented, in depth through DDL, dirty data, a failover and a stop") {
  const std::vector<std::string> documented = DocumentedPaths();
  E().mysql.Exec("CREATE TABLE shop.st (id INT PRIMARY KEY, v VARCHAR(20), n INT)");
  E().mysql.Exec("INSERT INTO shop.st SELECT seq, CONCAT('v', seq), seq FROM seq.seq_1_to_20000");
  const std::string id = CreateAndStartTask(E().cli, "st.yaml", E().Yaml("st", "[shop.st]", "", E().pg, "postgres", 7901));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("ALTER TABLE shop.st ADD COLUMN extra INT");
  E().mysql.Exec("UPDATE shop.st SET n = n + 1 WHERE id <= 10");

  json s = WaitStatus(id, [](const json& j) {
    return j.contains("ddl_records") && j["tables"]["shop.st"]["applied"].value("update", 0) == 10 &&
           j["worker"].contains("cpu_percent");
  });
  INFO(s.dump(1));
  CHECK_MESSAGE(Undocumented(s, documented).empty(), Join(Undocumented(s, documented), ", "));
  CHECK(s["sync_mode"] == "full_and_realtime");
  for (const char* step : {"schema_migration", "full_initialization"}) {
    CHECK(s["steps"][step]["state"] == "done");
    CHECK(s["steps"][step].contains("finished_at"));
    CHECK(s["steps"][step]["duration_seconds"].get<int>() >= 0);
  }
  CHECK(s["steps"]["realtime_sync"]["state"] == "running");
  CHECK_FALSE(s["steps"]["realtime_sync"].contains("finished_at"));
  const json& table = s["tables"]["shop.st"];
  CHECK(table["destination"] == "shop.st");
  CHECK(table["schema_migration"]["outcome"] == "created");
  CHECK(table["schema_migration"]["ddl"].dump().find("CREATE TABLE") != std::string::npos);
  CHECK(table["rows"] == 20000);
  REQUIRE(s["ddl_records"].size() == 1);
  CHECK(s["ddl_records"][0]["outcome"] == "applied");
  CHECK(s["ddl_records"][0]["statement"].get<std::string>().find("ADD COLUMN extra") != std::string::npos);
  CHECK(s["ddl_records"][0]["position"].get<std::string>().find(':') != std::string::npos);
  const json& worker = s["worker"];
  CHECK(worker["rss_bytes"].get<int64_t>() > 1000000);
  CHECK(worker["threads"].get<int>() >= 2);
  CHECK(worker["cpu_percent"].get<double>() >= 0);
  auto first_text = E().cli.Run({"status", id});
  CHECK(first_text.out.find(" applied at ") != std::string::npos);
  CHECK(first_text.out.find("  schema migration created: ") != std::string::npos);
  CHECK(first_text.out.find("  applied 0 inserts, 10 updates, 0 deletes") != std::string::npos);

  // A row the destination refuses: dirty data, and the task fails on it
  // (a restart cannot fix it); the text output says so.
  E().pg.Exec("ALTER TABLE shop.st ADD CONSTRAINT small_n CHECK (n < 1000000)", "dw");
  E().mysql.Exec("INSERT INTO shop.st (id, v, n) VALUES (30000, 'big', 5000000)");
  s = WaitStatus(id, [](const json& j) { return j.contains("dirty_records") && j["lifecycle"] == "failed"; });
  INFO(s.dump(1));
  CHECK_MESSAGE(Undocumented(s, documented).empty(), Join(Undocumented(s, documented), ", "));
  REQUIRE(s.contains("dirty_records"));
  CHECK(s["dirty_records"]["count"] == 1);
  CHECK(s["dirty_records"]["last"][0]["message"].get<std::string>().find("small_n") != std::string::npos);
  auto dirty = E().cli.Run({"status", id});
  CHECK(dirty.out.find("dirty data:  1 rows refused by the destination") != std::string::npos);
  CHECK(dirty.out.find("step:        real-time sync: failed (lag ") != std::string::npos);
  E().pg.Exec("ALTER TABLE shop.st DROP CONSTRAINT small_n", "dw");

  // Started again: a lost destination connection and a SIGKILL are failovers, with their reasons.
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  REQUIRE(E().cli.WaitStreaming(id));
  const int first_pid = WorkerPid(E().cli, id);
  E().pg.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'loader'");
  E().mysql.Exec("UPDATE shop.st SET n = n + 1 WHERE id = 1");
  s = WaitStatus(id, [](const json& j) { return j.value("failovers", 0) >= 1 && j.contains("failover_history"); });
  REQUIRE(s.contains("failover_history"));
  CHECK(s["failover_history"][0]["reason"].get<std::string>().find("worker exited with status") != std::string::npos);
  CHECK(s["failover_history"][0].contains("error"));
  s = WaitNewWorkerStreaming(id, first_pid);
  const int pid = s["worker"].value("pid", 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  s = WaitStatus(id, [&](const json& j) { return j.value("failovers", 0) >= 2; });
  INFO(s.dump(1));
  CHECK_MESSAGE(Undocumented(s, documented).empty(), Join(Undocumented(s, documented), ", "));
  REQUIRE(s["failover_history"].size() == 2);
  CHECK(s["failover_history"][1]["reason"] == "worker killed by signal 9");
  CHECK_FALSE(s["failover_history"][1].contains("error"));
  WaitNewWorkerStreaming(id, pid);
  auto text = E().cli.Run({"status", id});
  CHECK(text.exit_code == 0);
  for (const char* expected : {"worker:      pid ", "step:        schema migration: done, took ",
                               "table:       shop.st -> shop.st: ", "  schema migration kept", "failover:    ",
                               "worker killed by signal 9", "worker exited with status"})
    CHECK_MESSAGE(text.out.find(expected) != std::string::npos, expected << "\n" << text.out);

  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
  s = StatusOf(id);
  CHECK_MESSAGE(Undocumented(s, documented).empty(), Join(Undocumented(s, documented), ", "));
  CHECK(s["steps"]["realtime_sync"]["state"] == "stopped");
  CHECK(s.contains("stopped_at"));
}

TEST_CASE("progress without a terminal: sync start --foreground and sync status --watch print timestamped lines") {
  E().mysql.Exec("CREATE TABLE shop.sp (id INT PRIMARY KEY, v VARCHAR(40))");
  E().mysql.Exec("INSERT INTO shop.sp SELECT seq, REPEAT('x', 30) FROM seq.seq_1_to_100000");
  const std::string id = CreateTask(E().cli, "sp.yaml", E().Yaml("sp", "[shop.sp]", "", E().pg, "postgres", 7902));
  const std::string out_file = E().cli.dir() + "/foreground.out";
  ChildProcess foreground = ChildProcess::Spawn({SYNC_BINARY, "--home", E().cli.home(), "start", id, "--foreground"},
                                                {.stdout_file = out_file});
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("UPDATE shop.sp SET v = 'changed' WHERE id <= 100");
  auto watched = RunProcess({"timeout", "3", SYNC_BINARY, "--home", E().cli.home(), "status", id, "--watch", "--interval", "0.5"});
  CHECK(watched.exit_code == 124);  // ended by timeout, not by an error
  CHECK(watched.out.find("task:        " + id) != std::string::npos);
  CHECK(watched.out.find("\033[") == std::string::npos);  // no terminal control without a terminal
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
  CHECK(foreground.Wait() == 0);

  const std::string printed = ReadText(out_file);
  INFO(printed);
  CHECK(printed.find("\033[") == std::string::npos);
  const std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ )");
  std::istringstream lines(printed);
  std::string line;
  int stamped = 0;
  while (std::getline(lines, line)) stamped += std::regex_search(line, stamp);
  CHECK(stamped >= 4);
  CHECK(std::regex_search(printed, std::regex(R"(Z full_initialization done \(took \d+ s\))")));
  CHECK(std::regex_search(printed, std::regex(R"(Z shop\.sp done 100000 rows)")));
  CHECK(std::regex_search(printed, std::regex(R"(Z realtime_sync running)")));
}

TEST_CASE("progress on a terminal: sync status --watch redraws in place with the real-time line") {
  E().mysql.Exec("CREATE TABLE shop.sw (id INT PRIMARY KEY, v VARCHAR(40))");
  E().mysql.Exec("INSERT INTO shop.sw SELECT seq, 'x' FROM seq.seq_1_to_1000");
  const std::string id = CreateAndStartTask(E().cli, "sw.yaml", E().Yaml("sw", "[shop.sw]", "", E().pg, "postgres", 7903));
  REQUIRE(E().cli.WaitStreaming(id));
  // script(1) gives the command a pseudo-terminal, as a person's shell would.
  const std::string command = std::string("timeout 3 ") + SYNC_BINARY + " --home " + E().cli.home() + " status " + id +
                              " --watch --interval 0.5";
  auto r = RunProcess({"script", "-qec", command, "/dev/null"});
  INFO(r.out);
  CHECK(r.exit_code == 124);
  size_t redraws = 0;
  for (size_t at = r.out.find("\033[H\033[J"); at != std::string::npos; at = r.out.find("\033[H\033[J", at + 1)) ++redraws;
  CHECK(redraws >= 3);
  CHECK(r.out.find("real-time sync running: lag ") != std::string::npos);
  CHECK(r.out.find("table:       shop.sw -> shop.sw: done 1000 rows") != std::string::npos);
  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
}
