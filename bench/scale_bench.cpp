// What many tables cost (issue 16 items 3 and 4): one task over N small
// tables, MariaDB -> PostgreSQL through the CLI, for each N given (default
// 200 and 2000, so that growth faster than linear shows as a per-table cost
// that rises with N).
//
// For each N:
//   1. Schema migration and full initialization: from `sync start` until the
//      status says real-time sync runs. Peer, the physical limit measured in
//      the same run: psql creating the same N tables (with their keys) in one
//      session and loading the same rows with one multi-row INSERT each.
//   2. Real-time: T single-row transactions spread round robin over every
//      table, against T over one table of the same task: a per-table cost in
//      the apply path (lookups, status, checkpoint) shows as a ratio above 1.
//   3. The worker's peak memory, and the task's state files.
//   4. Command latency, best of 3: `sync status`, `sync status -o json`,
//      `sync check --connectivity`, against the same commands on a one-table
//      task in the same home; and `sync list`.
//
// Usage: scale_bench [table_counts=200,2000] [transactions=2000]

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::bench;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kRowsPerTable = 10;

std::string TableName(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "t%05d", i);
  return name;
}

std::string Columns() { return "(id INT PRIMARY KEY, v VARCHAR(32), n INT, at DATETIME)"; }

std::string Rows(int table) {
  std::string rows;
  for (int r = 1; r <= kRowsPerTable; ++r)
    rows += (r > 1 ? ", " : "") + std::string("(") + std::to_string(r) + ", 'row " + std::to_string(r) + " of " +
            std::to_string(table) + "', " + std::to_string(r * table) + ", '2024-01-01 00:00:00')";
  return rows;
}

// Database `db` with `n` tables of kRowsPerTable rows at the source.
void CreateSourceTables(const MariaDbServer& my, const std::string& db, int n) {
  my.Exec("CREATE DATABASE " + db);
  std::string script = "USE " + db + ";\n";
  for (int i = 1; i <= n; ++i)
    script += "CREATE TABLE " + TableName(i) + " " + Columns() + ";\nINSERT INTO " + TableName(i) + " VALUES " +
              Rows(i) + ";\n";
  const std::string file = MakeTempDir("scale") + "/source.sql";
  WriteText(file, script);
  TimeShell("mariadb -h 127.0.0.1 -P " + std::to_string(my.port()) + " -u root -p" + MariaDbServer::kRootPassword +
                " < " + file,
            "creating the source tables");
}

// The peer: the same tables and rows made by psql in one session, in schema `schema` of dw.
double PsqlCreateTables(const PostgresServer& pg, const std::string& schema, int n) {
  std::string script = "CREATE SCHEMA " + schema + ";\n";
  for (int i = 1; i <= n; ++i)
    script += "CREATE TABLE " + schema + "." + TableName(i) +
              " (id integer PRIMARY KEY, v varchar(32), n integer, at timestamp);\nINSERT INTO " + schema + "." +
              TableName(i) + " VALUES " + Rows(i) + ";\n";
  const std::string file = MakeTempDir("scale-peer") + "/peer.sql";
  WriteText(file, script);
  return TimeShell("PGPASSWORD=" + std::string(PostgresServer::kSuperPassword) + " psql -q -h 127.0.0.1 -p " +
                       std::to_string(pg.port()) + " -U postgres -d dw -v ON_ERROR_STOP=1 -f " + file + " > /dev/null",
                   "psql creating the peer tables");
}

double BestOf3(const SyncCli& cli, const std::vector<std::string>& args) {
  double best = 1e9;
  for (int i = 0; i < 3; ++i) {
    auto start = Clock::now();
    auto r = cli.Run(args);
    const double s = Seconds(start);
    if (r.exit_code != 0 && args[0] != "check") throw std::runtime_error(args[0] + " failed: " + r.err);
    best = std::min(best, s);
  }
  return best;
}

// Seconds until `transactions` single-row inserts (round robin over tables
// first..first+spread-1 of `db`) are applied by the task.
double RealtimeRun(const MariaDbServer& my, const CliTask& task, const std::string& db, int spread, int transactions,
                   int key_base) {
  std::string script = "USE " + db + ";\n";
  for (int t = 0; t < transactions; ++t)
    script += "INSERT INTO " + TableName(1 + t % spread) + " VALUES (" + std::to_string(key_base + t) +
              ", 'live', 1, NOW());\n";
  const std::string file = MakeTempDir("scale-rt") + "/rt.sql";
  WriteText(file, script);
  const long before = task.RowsApplied();
  auto start = Clock::now();
  TimeShell("mariadb -h 127.0.0.1 -P " + std::to_string(my.port()) + " -u root -p" + MariaDbServer::kRootPassword +
                " < " + file,
            "the real-time load");
  while (task.RowsApplied() - before < transactions) {
    if (Seconds(start) > 1800) throw std::runtime_error("the real-time load was not applied in 30 minutes");
    std::this_thread::sleep_for(50ms);
  }
  return Seconds(start);
}

long DirBytes(const std::string& dir) {
  long total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) total += long(e.file_size());
  return total;
}

void RunScale(SyncEnvironment& env, int n, int transactions, int run) {
  const std::string db = "s" + std::to_string(n);
  CreateSourceTables(env.mysql, db, n);
  const double peer_s = PsqlCreateTables(env.pg, "peer" + std::to_string(n), n);

  CliTask task{env.cli, "scale" + std::to_string(n)};
  task.poll = 200ms;
  const std::string yaml = TaskYaml(task.name, env.mysql, env.pg, "root", MariaDbServer::kRootPassword,
                                    "[" + db + ".*]", 7100 + run);
  const double init_s = task.CreateAndStart(yaml);
  const double peak_after_init = task.WorkerPeakMb();

  const double spread_s = RealtimeRun(env.mysql, task, db, n, transactions, 1000000);
  const double single_s = RealtimeRun(env.mysql, task, db, 1, transactions, 2000000);
  const double peak_mb = task.WorkerPeakMb();

  auto status = task.Status();
  const std::string task_dir = env.cli.home() + "/tasks/" + status.value("id", "");
  const long state_bytes = std::filesystem::exists(task_dir) ? DirBytes(task_dir) : -1;

  std::printf("\n== %d tables of %d rows (%d rows) ==\n", n, kRowsPerTable, n * kRowsPerTable);
  std::printf("schema migration + full initialization: sync %.2f s (%.2f ms/table); psql creating and filling "
              "them in one session %.2f s (%.2f ms/table); ratio %.2fx\n",
              init_s, 1000 * init_s / n, peer_s, 1000 * peer_s / n, init_s / peer_s);
  std::printf("real-time: %d single-row transactions over %d tables %.2f s (%.0f tx/s); over 1 table %.2f s "
              "(%.0f tx/s); ratio %.2fx\n",
              transactions, n, spread_s, transactions / spread_s, single_s, transactions / single_s,
              spread_s / single_s);
  std::printf("worker peak memory (VmHWM): %.1f MB after the copy, %.1f MB after the real-time runs\n",
              peak_after_init, peak_mb);
  std::printf("task state directory: %.1f KB\n", state_bytes / 1024.0);
  // sync list has no task to compare: it lists the home's tasks (this one, the one-table task, earlier runs').
  std::printf("sync %-28s %7.3f s with this task of %d tables in the home\n", "list", BestOf3(env.cli, {"list"}), n);
  for (const auto& args : std::vector<std::vector<std::string>>{{"status", task.name},
                                                                {"status", task.name, "-o", "json"},
                                                                {"check", task.name, "--connectivity"}}) {
    std::vector<std::string> one = args;
    for (auto& a : one)
      if (a == task.name) a = "one";
    const double many = BestOf3(env.cli, args);
    const double single = BestOf3(env.cli, one);
    std::string label;
    for (const auto& a : args) label += (label.empty() ? "" : " ") + (a == task.name ? std::string("TASK") : a);
    std::printf("sync %-28s %7.3f s with %d tables; %7.3f s with 1 table; ratio %.2fx\n", label.c_str(), many, n,
                single, many / single);
  }
  (void)env.cli.Run({"stop", task.name});
  // SYNC_BENCH_LOG=DIR: the worker's log of each count, to see where a table's time goes.
  if (const char* dir = std::getenv("SYNC_BENCH_LOG"))
    std::ofstream(std::string(dir) + "/scale-" + std::to_string(n) + ".log")
        << env.cli.Run({"logs", "-n", "1000000", task.name}).out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<int> counts = argc > 1 ? IntList(argv[1]) : std::vector<int>{200, 2000};
  const int transactions = argc > 2 ? std::atoi(argv[2]) : 2000;
  try {
    SyncEnvironment env;
    // The one-table task the commands are compared with.
    env.mysql.Exec("CREATE DATABASE one");
    env.mysql.Exec("CREATE TABLE one.t " + Columns());
    CliTask one{env.cli, "one"};
    one.CreateAndStart(TaskYaml("one", env.mysql, env.pg, "root", MariaDbServer::kRootPassword, "[one.t]", 7099));
    (void)env.cli.Run({"stop", "one"});
    int run = 0;
    for (int n : counts) RunScale(env, n, transactions, run++);
  } catch (const std::exception& e) {
    std::cerr << "scale_bench failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
