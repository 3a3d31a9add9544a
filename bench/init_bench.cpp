// Full initialization, MariaDB -> PostgreSQL, on three table shapes (issue 16
// items 1 and 5), each against two peers measured in the same run:
//   - sync: the real CLI and worker (`sync create`, `sync start`), timed from
//     `sync start` until the destination holds every chunk of the plan the
//     worker saved and the table has its primary key (sync_state.
//     snapshot_chunks, pg_constraint and the plan file, polled every 20 ms; `sync status`, a process of its own, is asked every 500 ms);
//   - pgloader migrating the shape's source database (its defaults);
//   - psql `\copy` of a TSV file exported beforehand (export not timed) into
//     an empty table of the shape sync creates, with its primary key, and
//     into the table without it followed by ADD PRIMARY KEY;
//   - sync as before its key-after-load lever (SYNC_PG_KEY_AFTER_LOAD=0:
//     the key kept during the load), to measure what the lever buys.
// Shapes: narrow (BIGINT key + 2 integers), wide (14 mixed-type columns, three
// secondary indexes at the source), text (a VARCHAR(200), ~400-byte TEXT,
// short text with tabs and newlines, a non-ASCII note).
// Each shape runs `rounds` times (the three contenders in turn); the best of
// each is compared. The worker's VmHWM and the load average are printed per run.
//
// Usage: init_bench [rows=1000000] [rounds=3] [shapes=narrow,wide,text] [runtime]
//   runtime: the task's runtime settings, e.g. '{snapshot_parallelism: 2, batch_rows: 20000}'.
// Each contender's CPU (PostgreSQL's processes, mariadbd, and psql, pgloader
// or the worker) is printed with the shortest time sync's CPU allows on this
// machine's cores. SYNC_BENCH_LOG=DIR saves each sync run's worker log;
// SYNC_BENCH_PERF=FILE profiles the machine while sync copies (below).

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace dbsync::bench;
using namespace std::chrono_literals;

namespace {

struct Shape {
  std::string name;      // also the source database (pgloader migrates all of it)
  std::string table;     // the table in it
  std::string mysql_ddl; // columns and indexes
  std::string fill;      // SELECT list over seq.seq_1_to_N (column `seq`)
  std::string export_select;  // SELECT list whose mariadb -B output COPY's text format reads
  std::string pg_ddl;    // the table sync creates (docs/type_mapping.md), for the \copy peer
};

const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> shapes = {
      {"narrow", "narrow", "(id BIGINT PRIMARY KEY, a INT NOT NULL, b BIGINT NOT NULL)", "seq, seq % 1000, seq * 3",
       "id, a, b", "(id bigint PRIMARY KEY, a integer NOT NULL, b bigint NOT NULL)"},
      {"wide", "wide",
       "(id BIGINT PRIMARY KEY, i INT, u INT UNSIGNED, d DECIMAL(12,2), f DOUBLE, s VARCHAR(64), t TEXT,"
       " dt DATETIME(3), ts TIMESTAMP NULL, e ENUM('a','b','c'), dd DATE, b TINYINT, n BIGINT, bl VARBINARY(16),"
       " KEY (i), KEY (s), KEY (dt, u))",
       "seq, seq % 1000, seq * 7, seq / 3, seq / 7.0, CONCAT('name-', seq), REPEAT('t', 40),"
       " '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL seq SECOND, ELT(1 + seq % 3, 'a', 'b', 'c'),"
       " '2000-01-01' + INTERVAL (seq % 9000) DAY, seq % 100, seq * 1000003, UNHEX(MD5(seq))",
       "id, i, u, d, f, s, t, dt, ts, e, dd, b, n, CONCAT('\\\\x', HEX(bl))",
       "(id bigint PRIMARY KEY, i integer, u bigint, d numeric(12,2), f double precision, s varchar(64), t text,"
       " dt timestamp(3) without time zone, ts timestamp(0) with time zone, e text, dd date, b smallint, n bigint,"
       " bl bytea)"},
      {"text", "doc",
       "(id BIGINT PRIMARY KEY, title VARCHAR(200) NOT NULL, body TEXT NOT NULL, tag VARCHAR(32), note TEXT)"
       " DEFAULT CHARSET=utf8mb4",
       "seq, CONCAT('title of document ', seq, ' ', MD5(seq)), REPEAT(CONCAT(MD5(seq), ' '), 12),"
       " ELT(1 + seq % 4, 'alpha', 'beta', 'gamma', 'delta'),"
       " CONCAT('line one\\tcol\\nline two \\\\ ', seq, ' naïve café')",
       "id, title, body, tag, note",
       "(id bigint PRIMARY KEY, title varchar(200) NOT NULL, body text NOT NULL, tag varchar(32), note text)"},
  };
  return shapes;
}

// CPU seconds a contender cost each process, from /proc and getrusage: the
// profile that says whether a ratio is out of reach on this machine's cores.
struct Cpu {
  double postgres = 0, mariadb = 0, client = 0;  // client: psql, pgloader, or sync's worker
  double Total() const { return postgres + mariadb + client; }
  std::string Describe(const std::string& client_name) const {
    char text[200];
    std::snprintf(text, sizeof text, "postgres %.2f, mariadbd %.2f, %s %.2f: %.2f CPU-s", postgres, mariadb,
                  client_name.c_str(), client, Total());
    return text;
  }
};

// Where a sync run's time went, from its worker's log (seconds from `sync
// start`): the worker's start, the chunk plan, the last chunk, the key.
struct Phases {
  double started = 0, planned = 0, copied = 0, keyed = 0;
  std::string Describe() const {
    char text[200];
    std::snprintf(text, sizeof text, "worker up %.2f s, planned +%.2f s, copied +%.2f s, key built +%.2f s", started,
                  planned - started, copied - planned, keyed > 0 ? keyed - copied : 0.0);
    return text;
  }
};

// "2026-12-08T01:05:57.231Z INFO ..." -> seconds since the epoch; 0 if not a log line.
double LogLineTime(const std::string& line) {
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(line.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &millis) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return double(timegm(&tm)) + millis / 1000.0;
}

Phases PhasesFromLog(const std::string& log, double started_at) {
  Phases p;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const double at = LogLineTime(line) - started_at;
    if (line.find(" starting, run ") != std::string::npos) p.started = at;
    if (line.find(" chunks, ") != std::string::npos && p.planned == 0) p.planned = at;
    if (line.find(" rows copied in this run") != std::string::npos) p.copied = at;
    if (line.find("built the primary key") != std::string::npos) p.keyed = at;
  }
  return p;
}

struct Run {
  Cpu copy_cpu, pgloader_cpu, sync_cpu;
  Phases phases;
  double sync_s = 0, sync_status_s = 0, pgloader_s = 0, copy_s = 0, worker_hwm_mb = 0;
  double keyed_sync_s = 0;  // sync with SYNC_PG_KEY_AFTER_LOAD=0: the key kept during the load, as before
  double copy_key_after_s = 0;  // \copy without the key, then ADD PRIMARY KEY
};

struct Env {
  MariaDbServer my{{"--innodb-buffer-pool-size=512M", "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0",
                    "--character-set-server=utf8mb4"}};
  PostgresServer pg;
  SyncCli cli;
  int rows = 0;
  int task_number = 0;
  std::string runtime;  // the tasks' runtime settings (YAML flow mapping), if any

  int postmaster = 0, mariadbd = 0;

  std::string MariaDb() const {
    return "mariadb --quick -B -N --default-character-set=utf8mb4 -h127.0.0.1 -P" + std::to_string(my.port()) +
           " -uroot -p" + MariaDbServer::kRootPassword + " --init-command=\"SET time_zone='+00:00'\"";
  }
  std::string Psql(const std::string& db) const {
    return "PGPASSWORD=" + std::string(PostgresServer::kSuperPassword) +
           " PGTZ=UTC PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
           std::to_string(pg.port()) + " -U postgres -d " + db;
  }
};

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

// Counts the CPU the servers and this process's reaped children use from its
// construction to Read(); a daemon such as sync's worker is added by the caller.
class CpuMeter {
 public:
  explicit CpuMeter(const Env& env)
      : env_(env), postgres_(ProcessTreeCpuSeconds(env.postmaster)), mariadb_(ProcessCpuSeconds(env.mariadbd)),
        children_(ReapedChildrenCpuSeconds()) {}
  Cpu Read() const {
    return {ProcessTreeCpuSeconds(env_.postmaster) - postgres_, ProcessCpuSeconds(env_.mariadbd) - mariadb_,
            ReapedChildrenCpuSeconds() - children_};
  }

 private:
  const Env& env_;
  double postgres_, mariadb_, children_;
};

// A fingerprint of a destination table's rows: count and the sum of each row's text hash.
std::string Fingerprint(const Env& env, const std::string& database, const std::string& table) {
  return env.pg.Scalar("SELECT count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) FROM " + table + " t",
                       database);
}

// `\copy` into the table with its key; or, when `key_after`, into the table
// without it, then ALTER TABLE ADD PRIMARY KEY (what building the index
// after the load would buy), timed together.
double CopyPeer(Env& env, const Shape& shape, const std::string& tsv, bool key_after = false, Cpu* cpu = nullptr) {
  const std::string table = shape.name + "." + shape.table + (key_after ? "_key_after" : "");
  std::string ddl = shape.pg_ddl;
  if (key_after) ddl.replace(ddl.find("PRIMARY KEY"), 11, "NOT NULL");
  env.pg.Exec("DROP TABLE IF EXISTS " + table, "cp");
  env.pg.Exec("CREATE TABLE " + table + " " + ddl, "cp");
  env.pg.Exec("CHECKPOINT");
  CpuMeter meter(env);
  double seconds = TimeShell(env.Psql("cp") + " -c \"\\copy " + table + " FROM '" + tsv + "'\"" +
                                 (key_after ? " -c 'ALTER TABLE " + table + " ADD PRIMARY KEY (id)'" : ""),
                             "psql \\copy");
  if (cpu) *cpu = meter.Read();
  return seconds;
}

// pgloader with its defaults; when they fail (its heap runs out on wide
// rows), again with fewer rows prefetched, as postgres_bench does.
double PgloaderPeer(Env& env, const Shape& shape, Cpu* cpu) {
  const std::string dir = env.cli.dir() + "/pgloader-" + shape.name;
  const std::string urls = " mysql://root:" + std::string(MariaDbServer::kRootPassword) + "@127.0.0.1:" +
                           std::to_string(env.my.port()) + "/" + shape.name + " postgresql://postgres:" +
                           PostgresServer::kSuperPassword + "@127.0.0.1:" + std::to_string(env.pg.port()) + "/pgl > " +
                           dir + ".out 2>&1";
  for (const std::string with : {"", "--with 'prefetch rows = 10000' "}) {
    env.pg.Exec("DROP SCHEMA IF EXISTS " + shape.name + " CASCADE", "pgl");
    env.pg.Exec("CHECKPOINT");
    try {
      CpuMeter meter(env);
      double seconds = TimeShell("pgloader --root-dir " + dir + " --no-ssl-cert-verification --quiet " + with + urls, "pgloader");
      *cpu = meter.Read();
      return seconds;
    } catch (const std::exception& e) {
      if (!with.empty()) throw std::runtime_error(std::string(e.what()) + ReadText(dir + ".out").substr(0, 3000));
      std::cout << "  pgloader with its defaults failed: " << ReadText(dir + ".out").substr(0, 1500)
                << "\n  retrying with prefetch rows = 10000" << std::endl;
    }
  }
  return 0;
}

// SYNC_BENCH_PERF=FILE: `perf record -a -g` of the whole machine while sync
// copies (the default format only), into FILE.<shape>; `perf report --sort
// comm,dso` then says which process the time goes to.
class MachineProfile {
 public:
  explicit MachineProfile(const std::string& shape) {
    const char* file = std::getenv("SYNC_BENCH_PERF");
    if (!file) return;
    const std::string out = std::string(file) + "." + shape;
    std::vector<std::string> args = {"perf", "record", "-a", "-g", "-q", "-o", out};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "perf", nullptr, nullptr, argv.data(), environ) != 0) pid_ = 0;
    std::this_thread::sleep_for(500ms);  // perf attaches to every CPU before the copy starts
  }
  ~MachineProfile() {
    if (!pid_) return;
    kill(pid_, SIGINT);
    int status = 0;
    waitpid(pid_, &status, 0);
  }

 private:
  pid_t pid_ = 0;
};

// One task copying the shape into its own destination database; returns its
// times and memory. `worker_env` is added to the worker's environment (the
// variables that select the code path of before: SYNC_PG_KEY_AFTER_LOAD=0).
Run SyncRun(Env& env, const Shape& shape, const std::map<std::string, std::string>& worker_env = {}) {
  const int n = ++env.task_number;
  const std::string name = "init" + std::to_string(n);
  const std::string database = "dw" + std::to_string(n);
  env.pg.Exec("CREATE DATABASE " + database);
  env.pg.Exec("GRANT CREATE ON DATABASE " + database + " TO loader");
  std::string yaml = TaskYaml(name, env.my, env.pg, "root", MariaDbServer::kRootPassword,
                              "[" + shape.name + "." + shape.table + "]", 6100 + n);
  yaml.replace(yaml.find("database: dw"), 12, "database: " + database);
  if (!env.runtime.empty()) yaml += "runtime: " + env.runtime + "\n";
  auto created = env.cli.Run({"create", "--no-check", "-f", env.cli.WriteSpec(name + ".yaml", yaml)});
  if (created.exit_code != 0) throw std::runtime_error("sync create: " + created.err);
  const std::string plan_file = env.cli.dir() + "/home/tasks/" + created.out.substr(0, created.out.find('\n')) +
                                "/snapshot/" + shape.name + "." + shape.table + ".plan.json";
  bench::CliTask task{env.cli, name};
  env.pg.Exec("CHECKPOINT");
  auto dest = env.pg.Admin(database);
  Run run;
  std::optional<MachineProfile> profile;
  if (worker_env.empty()) profile.emplace(shape.name);
  CpuMeter meter(env);
  auto start = Clock::now();
  const double started_at = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  RunOptions options;
  for (const auto& [name, value] : worker_env) options.env[name] = value;
  auto started = env.cli.Run({"start", name}, options);
  if (started.exit_code != 0) throw std::runtime_error("sync start: " + started.out + started.err);
  int pid = 0, chunks_total = 0;
  // `sync status` is a process of its own (tens of ms of CPU): asked every
  // 500 ms for the chunk count and the end; the destination's chunk records every 20 ms.
  auto asked = start - 1s;
  while (true) {
    if (Seconds(asked) >= 0.5) {
      asked = Clock::now();
      auto st = task.Status();
      if (!st.is_discarded() && st.contains("worker")) pid = st["worker"].value("pid", pid);
      if (!st.is_discarded() && st["steps"]["full_initialization"].value("state", "") == "done") break;
    }
    if (chunks_total == 0) {
      // The worker saves the chunk plan before it copies any chunk.
      auto plan = nlohmann::json::parse(ReadText(plan_file), nullptr, false);
      if (!plan.is_discarded() && plan.contains("chunks")) chunks_total = int(plan["chunks"].size());
    }
    if (chunks_total > 0 && run.sync_s == 0) {
      // Done when every chunk is in and the table has its key: the worker
      // may load it keyless and build the key afterwards.
      auto done = dest.Query("SELECT count(*) FROM sync_state.snapshot_chunks WHERE EXISTS (SELECT 1 FROM "
                             "pg_catalog.pg_constraint WHERE conrelid = '" + shape.name + "." + shape.table +
                             "'::regclass AND contype = 'p')");
      if (done.ok() && std::atoi(done->Scalar().c_str()) >= chunks_total) {
        run.sync_s = Seconds(start);
        run.sync_cpu = meter.Read();  // the servers' share; the CLI's status polls are the bench's, not sync's
      }
    }
    if (Seconds(start) > 3600) throw std::runtime_error("full initialization did not finish in an hour");
    std::this_thread::sleep_for(20ms);
  }
  run.sync_status_s = Seconds(start);
  profile.reset();
  if (run.sync_s == 0) run.sync_s = run.sync_status_s;
  run.worker_hwm_mb = pid ? ProcStatusKb(pid, "VmHWM") / 1024.0 : 0;
  run.sync_cpu.client = pid ? ProcessCpuSeconds(pid) : 0;  // its whole life: checks, schema, plan, copy
  const std::string log = env.cli.Run({"logs", "-n", "100000", name}).out;
  run.phases = PhasesFromLog(log, started_at);
  // SYNC_BENCH_LOG=DIR: the worker's log of each run.
  if (const char* dir = std::getenv("SYNC_BENCH_LOG"))
    std::ofstream(std::string(dir) + "/init-" + name + "-" + shape.name + ".log") << log;
  env.cli.Run({"stop", name});
  const std::string synced = Fingerprint(env, database, shape.name + "." + shape.table);
  const std::string copied = Fingerprint(env, "cp", shape.name + "." + shape.table);
  if (synced != copied)
    throw std::runtime_error(shape.name + ": sync's rows differ from \\copy's (count:sum of row hashes " + synced +
                             " vs " + copied + ")");
  env.pg.Exec("DROP DATABASE " + database + " WITH (FORCE)");
  return run;
}

// The CPU each contender cost, and the shortest wall time sync's CPU allows
// on this machine's cores: a ratio below that bound is out of reach for any
// schedule of the same work.
void PrintCpu(const Run& run, int cores) {
  const double floor_s = run.sync_cpu.Total() / cores;
  std::printf("    CPU: \\copy %s; pgloader %s; sync %s, so at least %.2f s on %d cores (%.2fx \\copy's time)\n",
              run.copy_cpu.Describe("psql").c_str(), run.pgloader_cpu.Describe("pgloader").c_str(),
              run.sync_cpu.Describe("worker").c_str(), floor_s, cores, floor_s / run.copy_s);
  std::printf("    sync's time: %s\n", run.phases.Describe().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : 1000000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string wanted = argc > 3 ? argv[3] : "narrow,wide,text";
  try {
    std::cout << "starting MariaDB and PostgreSQL..." << std::endl;
    Env env;
    env.rows = rows;
    if (argc > 4) env.runtime = argv[4];
    env.my.Exec("CREATE DATABASE seq");
    env.pg.Exec("CREATE ROLE loader LOGIN PASSWORD 'loader-pw'");
    env.pg.Exec("CREATE DATABASE cp");
    env.pg.Exec("CREATE DATABASE pgl");
    env.postmaster = PidFromFile(env.pg.Scalar("SHOW data_directory") + "/postmaster.pid");
    env.mariadbd = PidFromFile(env.my.Scalar("SELECT @@pid_file"));
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::string> summary;
    for (const auto& shape : Shapes()) {
      if (("," + wanted + ",").find("," + shape.name + ",") == std::string::npos) continue;
      std::cout << "\n" << shape.name << ": loading " << rows << " rows..." << std::endl;
      env.my.Exec("CREATE DATABASE " + shape.name);
      env.my.Exec("CREATE TABLE " + shape.name + "." + shape.table + " " + shape.mysql_ddl);
      env.my.Exec("INSERT INTO " + shape.name + "." + shape.table + " SELECT " + shape.fill +
                  " FROM seq.seq_1_to_" + std::to_string(rows));
      env.pg.Exec("CREATE SCHEMA " + shape.name, "cp");
      const std::string tsv = env.cli.dir() + "/" + shape.name + ".tsv";
      const std::string query = env.cli.WriteSpec(shape.name + ".sql", "SELECT " + shape.export_select + " FROM " +
                                                                            shape.name + "." + shape.table +
                                                                            " ORDER BY id\n");
      double export_s = TimeShell(env.MariaDb() + " < " + query + " > " + tsv, "mariadb export");
      std::printf("  exported to %s in %.2f s (not timed below)\n", tsv.c_str(), export_s);
      Run best;
      best.sync_s = best.sync_status_s = best.pgloader_s = best.copy_s = best.keyed_sync_s = 1e9;
      for (int r = 0; r < rounds; ++r) {
        Run run;
        std::string load = LoadAverage();
        run.copy_s = CopyPeer(env, shape, tsv, false, &run.copy_cpu);
        run.copy_key_after_s = CopyPeer(env, shape, tsv, true);
        run.pgloader_s = PgloaderPeer(env, shape, &run.pgloader_cpu);
        run.keyed_sync_s = SyncRun(env, shape, {{"SYNC_PG_KEY_AFTER_LOAD", "0"}}).sync_s;
        Run synced = SyncRun(env, shape);
        run.sync_s = synced.sync_s;
        run.sync_status_s = synced.sync_status_s;
        run.worker_hwm_mb = synced.worker_hwm_mb;
        run.sync_cpu = synced.sync_cpu;
        run.phases = synced.phases;
        std::printf("  round %d (load average %s): sync %.2f s (status done %.2f s, worker VmHWM %.0f MB), "
                    "sync keeping the key %.2f s, pgloader %.2f s, \\copy %.2f s (without the key, then ADD "
                    "PRIMARY KEY: %.2f s): %.2fx faster than pgloader, %.2fx the time of \\copy\n",
                    r + 1, load.c_str(), run.sync_s, run.sync_status_s, run.worker_hwm_mb, run.keyed_sync_s,
                    run.pgloader_s, run.copy_s, run.copy_key_after_s, run.pgloader_s / run.sync_s,
                    run.sync_s / run.copy_s);
        PrintCpu(run, cores);
        std::cout << std::flush;
        best.sync_s = std::min(best.sync_s, run.sync_s);
        best.sync_status_s = std::min(best.sync_status_s, run.sync_status_s);
        best.pgloader_s = std::min(best.pgloader_s, run.pgloader_s);
        best.copy_s = std::min(best.copy_s, run.copy_s);
        best.keyed_sync_s = std::min(best.keyed_sync_s, run.keyed_sync_s);
        best.worker_hwm_mb = std::max(best.worker_hwm_mb, run.worker_hwm_mb);
        if (run.sync_s <= best.sync_s) {
          best.sync_cpu = run.sync_cpu;
          best.phases = run.phases;
        }
        if (run.copy_s <= best.copy_s) best.copy_cpu = run.copy_cpu;
        if (run.pgloader_s <= best.pgloader_s) best.pgloader_cpu = run.pgloader_cpu;
      }
      char line[768];
      std::snprintf(line, sizeof line,
                    "%-6s %d rows: sync %.2f s, pgloader %.2f s, \\copy %.2f s: %.2fx faster than pgloader "
                    "(target >= 5x), %.2fx the time of \\copy (target < 1.0); worker VmHWM %.0f MB; "
                    "keeping the key during the load %.2f s (%.2fx, %.2fx)",
                    shape.name.c_str(), rows, best.sync_s, best.pgloader_s, best.copy_s,
                    best.pgloader_s / best.sync_s, best.sync_s / best.copy_s, best.worker_hwm_mb, best.keyed_sync_s,
                    best.pgloader_s / best.keyed_sync_s, best.keyed_sync_s / best.copy_s);
      summary.push_back(line);
      std::snprintf(line, sizeof line,
                    "       CPU of those runs: \\copy %.2f s (postgres %.2f); sync %.2f s (postgres %.2f, mariadbd "
                    "%.2f, worker %.2f): on %d cores sync needs at least %.2f s, %.2fx \\copy's time",
                    best.copy_cpu.Total(), best.copy_cpu.postgres, best.sync_cpu.Total(), best.sync_cpu.postgres,
                    best.sync_cpu.mariadb, best.sync_cpu.client, cores, best.sync_cpu.Total() / cores,
                    best.sync_cpu.Total() / cores / best.copy_s);
      summary.push_back(line);
      summary.push_back("       sync's time in that run: " + best.phases.Describe());
      env.my.Exec("DROP DATABASE " + shape.name);
      std::remove(tsv.c_str());
    }
    std::printf("\nRATIOS (best of %d runs each):\n", rounds);
    for (const auto& s : summary) std::printf("  %s\n", s.c_str());
  } catch (const std::exception& e) {
    std::cerr << "init_bench failed: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
