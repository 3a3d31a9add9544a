// The real-time ceiling (issue 16 item 2): the source write rate is raised
// step by step, and each consumer of the same binlog is measured the same
// way: the highest rate at which every transaction of the step became
// visible within 1 s (lag p99 < 1 s), the backlog included.
//
// Consumers, one after the other on the same source (so they do not share
// the two cores):
//   - sync, MariaDB -> PostgreSQL through the CLI;
//   - a MariaDB replica (its SQL thread alone: slave_parallel_threads = 0);
//   - the same replica with slave_parallel_threads = N (optimistic mode).
//
// The workload, the same for each (seeded): transactions of 1 to 20 rows
// over 4 tables, 50% inserts, 30% updates, 20% deletes of existing rows,
// each also inserting its sequence number into w.beat; the consumer's
// max(seq) in w.beat, polled every 20 ms, says when each transaction became
// visible. Each consumer gets its own database (w_sync, w_r0, w_rN), seeded
// without the binlog at the source (and, for the replica, at the replica too)
// so that only the measured steps go through the binlog. At the end each
// database is compared with the source (count and sum of every table).
//
// Usage: realtime_bench [step_seconds=20] [rows_per_second=1000,2000,4000,8000,16000,32000] [threads=4]

#include <algorithm>
#include <atomic>
#include <functional>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::bench;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kTables = 4;
constexpr int kSeedRows = 20000;  // per table

std::vector<std::string> SchemaStatements(const std::string& db) {
  std::vector<std::string> out = {"CREATE DATABASE " + db,
                                  "CREATE TABLE " + db + ".beat (seq BIGINT PRIMARY KEY, at DATETIME(6))"};
  for (int t = 0; t < kTables; ++t)
    out.push_back("CREATE TABLE " + db + ".w" + std::to_string(t) +
                  " (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, v VARCHAR(64), n INT, at DATETIME(6))");
  for (int t = 0; t < kTables; ++t)
    out.push_back("INSERT INTO " + db + ".w" + std::to_string(t) + " SELECT seq, 0, CONCAT('seed-', seq), seq % 97, "
                  "'2024-01-01' FROM seq.seq_1_to_" + std::to_string(kSeedRows));
  return out;
}

// Seeds `db` on `server` without writing the binlog.
void Seed(const MariaDbServer& server, const std::string& db) {
  std::vector<std::string> session = {"SET SESSION sql_log_bin = 0"};
  for (auto& s : SchemaStatements(db)) session.push_back(s);
  server.ExecSession(session);
}

// Where a consumer's max(w.beat.seq) is read.
using SeenQuery = std::function<int64_t()>;

struct Step {
  int offered = 0;        // rows/s
  double achieved = 0;    // rows/s the writer managed
  double p50 = 0, p99 = 0, max = 0;
  int64_t transactions = 0;
  bool caught_up = true;
};

// One step: `rows_per_second` for `seconds`, transactions numbered from
// `*next_seq`; waits (at most 60 s) for the consumer to show the last one.
Step RunStep(const MariaDbServer& source, const std::string& db, int rows_per_second, int seconds, uint32_t seed,
             int64_t* next_seq, int64_t* next_id, const SeenQuery& seen_query) {
  Step step;
  step.offered = rows_per_second;
  const int64_t first = *next_seq;
  std::vector<Clock::time_point> committed(size_t(rows_per_second) * size_t(seconds) + 16);
  std::atomic<int64_t> last{first - 1};
  std::atomic<bool> done{false};
  std::atomic<long> rows_written{0};
  auto start = Clock::now();
  std::thread writer([&] {
    auto conn = source.Admin();
    std::mt19937 rng(seed);
    int64_t seq = first;
    long rows = 0;
    while (Seconds(start) < seconds && size_t(seq - first) < committed.size()) {
      // Pace: the rows so far may not run ahead of the rate.
      const double due = double(rows) / rows_per_second;
      if (Seconds(start) < due) std::this_thread::sleep_for(std::chrono::duration<double>(due - Seconds(start)));
      const int n = 1 + int(rng() % 20);
      // One statement at a time, as an application sends them (the
      // connection takes no multi-statement strings).
      std::vector<std::string> statements = {"BEGIN"};
      for (int r = 0; r < n; ++r) {
        const std::string table = db + ".w" + std::to_string(rng() % kTables);
        const int kind = int(rng() % 10);
        const int64_t existing = 1 + int64_t(rng() % uint64_t(kSeedRows));
        if (kind < 5) {
          statements.push_back("INSERT INTO " + table + " VALUES (" + std::to_string((*next_id)++) + ", " +
                               std::to_string(seq) + ", 'live', " + std::to_string(r) + ", NOW(6))");
        } else if (kind < 8) {
          statements.push_back("UPDATE " + table + " SET seq = " + std::to_string(seq) + ", n = n + 1 WHERE id = " +
                               std::to_string(existing));
        } else {
          statements.push_back("DELETE FROM " + table + " WHERE id = " + std::to_string(existing));
        }
      }
      statements.push_back("INSERT INTO " + db + ".beat VALUES (" + std::to_string(seq) + ", NOW(6))");
      statements.push_back("COMMIT");
      Status s;
      for (const auto& statement : statements)
        if (s = conn.Execute(statement); !s.ok()) break;
      if (!s.ok()) {
        std::cerr << "writer: " << s.message() << "\n";
        break;
      }
      committed[size_t(seq - first)] = Clock::now();
      last = seq;
      ++seq;
      rows += n;
    }
    rows_written = rows;
    done = true;
  });
  std::vector<double> lags;
  int64_t seen = first - 1;
  auto caught_up_by = Clock::time_point::max();
  while (true) {
    const int64_t m = std::min<int64_t>(seen_query(), last.load());
    const auto now = Clock::now();
    for (int64_t k = seen + 1; k <= m; ++k) lags.push_back(Seconds(committed[size_t(k - first)], now));
    seen = std::max(seen, m);
    if (done && caught_up_by == Clock::time_point::max()) caught_up_by = now + 60s;
    if (done && seen >= last) break;
    if (now > caught_up_by) {
      step.caught_up = false;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  writer.join();
  // What was not seen counts as lagging past the step.
  for (int64_t k = seen + 1; k <= last; ++k) lags.push_back(1e9);
  step.transactions = last - first + 1;
  step.achieved = rows_written / std::max(1e-9, Seconds(start, committed[size_t(std::max<int64_t>(0, last - first))]));
  step.p50 = Percentile(lags, 50);
  step.p99 = Percentile(lags, 99);
  step.max = Percentile(lags, 100);
  *next_seq = last + 1;
  return step;
}

// The ramp: each rate in turn, until a step misses p99 < 1 s; the ceiling is
// the achieved rate of the last step that met it.
double Ramp(const std::string& who, const MariaDbServer& source, const std::string& db, const std::vector<int>& rates,
            int seconds, const SeenQuery& seen) {
  int64_t seq = 1, id = kSeedRows + 1;
  double ceiling = 0;
  std::printf("\n%s:\n", who.c_str());
  for (size_t i = 0; i < rates.size(); ++i) {
    Step s = RunStep(source, db, rates[i], seconds, uint32_t(1000 + i), &seq, &id, seen);
    const bool met = s.caught_up && s.p99 < 1.0;
    std::printf("  offered %6d rows/s, achieved %7.0f rows/s (%lld transactions): lag p50 %.3f s, p99 %.3f s, "
                "max %.3f s%s\n",
                s.offered, s.achieved, (long long)s.transactions, s.p50, s.p99 > 1e8 ? -1.0 : s.p99,
                s.max > 1e8 ? -1.0 : s.max, met ? "" : s.caught_up ? "  <- p99 over 1 s" : "  <- not caught up in 60 s");
    std::fflush(stdout);
    if (!met) break;
    ceiling = std::max(ceiling, s.achieved);
  }
  std::printf("  ceiling (p99 < 1 s): %.0f rows/s\n", ceiling);
  return ceiling;
}

// Count, sum(seq) and sum(n) of every table, and the transactions in beat;
// `postgres` for PostgreSQL's spelling.
std::string Digest(const std::function<std::string(const std::string&)>& scalar, const std::string& db, bool postgres) {
  const std::string of = postgres ? "count(*) || ':' || coalesce(sum(seq), 0) || ':' || coalesce(sum(n), 0)"
                                  : "CONCAT(COUNT(*), ':', COALESCE(SUM(seq), 0), ':', COALESCE(SUM(n), 0))";
  std::string out;
  for (int t = 0; t < kTables; ++t) out += scalar("SELECT " + of + " FROM " + db + ".w" + std::to_string(t)) + " ";
  return out + scalar("SELECT COUNT(*) FROM " + db + ".beat");
}

// A replica of `source` that applies only what the source writes from now on.
void StartReplica(const MariaDbServer& source, const MariaDbServer& replica, int threads) {
  const std::string pos = source.Scalar("SELECT @@gtid_binlog_pos");
  auto admin = replica.Admin();
  (void)admin.Execute("STOP SLAVE");  // an error when no master is set yet
  (void)admin.Execute("RESET SLAVE ALL");
  replica.ExecSession({"SET GLOBAL slave_parallel_threads = " + std::to_string(threads),
                       "SET GLOBAL slave_parallel_mode = 'optimistic'", "SET GLOBAL gtid_slave_pos = '" + pos + "'",
                       "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " + std::to_string(source.port()) +
                           ", MASTER_USER = 'root', MASTER_PASSWORD = '" + MariaDbServer::kRootPassword +
                           "', MASTER_USE_GTID = slave_pos",
                       "START SLAVE"});
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::vector<int> rates = argc > 2 ? IntList(argv[2]) : std::vector<int>{1000, 2000, 4000, 8000, 16000, 32000};
  const int threads = argc > 3 ? std::atoi(argv[3]) : 4;
  try {
    SyncEnvironment env;
    env.mysql.Exec("CREATE DATABASE IF NOT EXISTS seq");
    MariaDbServer replica({"--server-id=2", "--skip-slave-start"});
    replica.Exec("CREATE DATABASE IF NOT EXISTS seq");

    // sync.
    Seed(env.mysql, "w_sync");
    CliTask task{env.cli, "ceiling"};
    task.CreateAndStart(TaskYaml("ceiling", env.mysql, env.pg, "root", MariaDbServer::kRootPassword, "[w_sync.*]", 7301));
    auto pg = env.pg.Admin("dw");
    const double sync_ceiling = Ramp("sync -> PostgreSQL", env.mysql, "w_sync", rates, seconds, [&]() -> int64_t {
      auto r = pg.Query("SELECT coalesce(max(seq), 0) FROM w_sync.beat");
      return r.ok() ? std::strtoll(r->Scalar().c_str(), nullptr, 10) : 0;
    });
    auto pg_scalar = [&](const std::string& sql) {
      auto r = pg.Query(sql);
      return r.ok() ? r->Scalar() : std::string("?");
    };
    auto source_scalar = [&](const std::string& sql) { return env.mysql.Scalar(sql); };
    const std::string sync_equal =
        Digest(source_scalar, "w_sync", false) == Digest(pg_scalar, "w_sync", true) ? "equal" : "DIFFERENT";
    (void)env.cli.Run({"stop", "ceiling"});

    // The replica, single-threaded then parallel.
    double replica_ceiling[2] = {0, 0};
    std::string replica_equal[2];
    const int modes[2] = {0, threads};
    for (int m = 0; m < 2; ++m) {
      const std::string db = "w_r" + std::to_string(modes[m]);
      Seed(env.mysql, db);
      Seed(replica, db);
      StartReplica(env.mysql, replica, modes[m]);
      auto conn = replica.Admin();
      replica_ceiling[m] = Ramp("MariaDB replica, slave_parallel_threads = " + std::to_string(modes[m]), env.mysql, db,
                                rates, seconds, [&]() -> int64_t {
                                  auto r = conn.Query("SELECT coalesce(max(seq), 0) FROM " + db + ".beat");
                                  return r.ok() ? std::strtoll(r->Scalar().c_str(), nullptr, 10) : 0;
                                });
      replica_equal[m] = Digest(source_scalar, db, false) ==
                                 Digest([&](const std::string& sql) { return replica.Scalar(sql); }, db, false)
                             ? "equal"
                             : "DIFFERENT";
      replica.Exec("STOP SLAVE");
    }
    std::printf("\nceilings (lag p99 < 1 s), %d s steps: sync %.0f rows/s; replica single-threaded %.0f rows/s "
                "(sync %.2fx); replica with %d parallel threads %.0f rows/s (sync %.2fx)\n",
                seconds, sync_ceiling, replica_ceiling[0], sync_ceiling / std::max(1.0, replica_ceiling[0]), threads,
                replica_ceiling[1], sync_ceiling / std::max(1.0, replica_ceiling[1]));
    std::printf("final comparison with the source: sync %s, replica %s, parallel replica %s\n", sync_equal.c_str(),
                replica_equal[0].c_str(), replica_equal[1].c_str());
  } catch (const std::exception& e) {
    std::cerr << "realtime_bench failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
