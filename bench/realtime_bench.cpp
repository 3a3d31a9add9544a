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
// The workload, the same for each (seeded, per writer connection): several
// writer connections (4 by default; one could not offer more than 6-8k
// rows/s) each send transactions of 1 to 20 rows (txn_rows) over 4 tables, 50% inserts,
// 30% updates, 20% deletes of existing rows, each also inserting its sequence
// number into w.beat, retrying a transaction InnoDB rolled back for a
// deadlock. The numbers in the consumer's w.beat, polled every 20 ms, say
// when each transaction became visible. The test PostgreSQL runs with fsync
// off, so the replica (and the source) run with
// innodb_flush_log_at_trx_commit = 0: no consumer waits on a disk flush per
// commit. Each consumer gets its own database
// (w_sync, w_r0, w_rN), seeded without the binlog at the source (and, for
// the replica, at the replica too) so that only the measured steps go through
// the binlog. At the end each database is compared with the source (count and
// sums of every table).
//
// Usage: realtime_bench [step_seconds=20] [rows_per_second=1000,2000,4000,8000,16000,32000] [threads=4]
//                       [writers=4] [consumers=sync,replica,parallel] [backlog_rows=300000] [txn_rows=20]
// txn_rows: a transaction changes 1 to txn_rows rows; above 20, by one
// multi-row statement per table and kind.
// REALTIME_BENCH_TRACE=FILE writes each transaction's lag; SYNC_BENCH_LOG=FILE saves the worker's log.

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <cstdio>
#include <iostream>
#include <memory>
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

// The sequence numbers above `low` a consumer's w.beat holds.
using SeenQuery = std::function<std::vector<int64_t>(int64_t low)>;

struct Step {
  int offered = 0;        // rows/s
  double achieved = 0;    // rows/s the writers managed
  double p50 = 0, p99 = 0, max = 0;
  int64_t transactions = 0;
  bool caught_up = true;
};

// Rows a transaction changes: 1 to this many (the usage's txn_rows).
int g_transaction_rows = 20;

// The statements of transaction `seq`: 1 to g_transaction_rows rows over the
// tables, then its beat row. Up to 20 rows, a statement a row; larger
// transactions are written as an application's batch job writes them, one
// multi-row statement per table and kind (so that two cores can offer more
// rows than the replica applies).
std::vector<std::string> Transaction(const std::string& db, int64_t seq, std::mt19937& rng,
                                     std::atomic<int64_t>& next_id, int* rows) {
  const int n = 1 + int(rng() % uint32_t(g_transaction_rows));
  const bool grouped = g_transaction_rows > 20;
  std::vector<std::string> statements = {"BEGIN"};
  std::string inserts[kTables], updates[kTables], deletes[kTables];
  auto add = [](std::string& list, const std::string& item) { list += (list.empty() ? "" : ", ") + item; };
  for (int r = 0; r < n; ++r) {
    const int t = int(rng() % kTables);
    const std::string table = db + ".w" + std::to_string(t);
    const int kind = int(rng() % 10);
    const std::string existing = std::to_string(1 + int64_t(rng() % uint64_t(kSeedRows)));
    if (kind < 5) {
      const std::string values =
          "(" + std::to_string(next_id++) + ", " + std::to_string(seq) + ", 'live', " + std::to_string(r) + ", NOW(6))";
      if (grouped) add(inserts[t], values);
      else statements.push_back("INSERT INTO " + table + " VALUES " + values);
    } else if (kind < 8) {
      if (grouped) add(updates[t], existing);
      else statements.push_back("UPDATE " + table + " SET seq = " + std::to_string(seq) + ", n = n + 1 WHERE id = " + existing);
    } else {
      if (grouped) add(deletes[t], existing);
      else statements.push_back("DELETE FROM " + table + " WHERE id = " + existing);
    }
  }
  for (int t = 0; t < kTables; ++t) {
    const std::string table = db + ".w" + std::to_string(t);
    if (!inserts[t].empty()) statements.push_back("INSERT INTO " + table + " VALUES " + inserts[t]);
    if (!updates[t].empty())
      statements.push_back("UPDATE " + table + " SET seq = " + std::to_string(seq) + ", n = n + 1 WHERE id IN (" +
                           updates[t] + ")");
    if (!deletes[t].empty()) statements.push_back("DELETE FROM " + table + " WHERE id IN (" + deletes[t] + ")");
  }
  statements.push_back("INSERT INTO " + db + ".beat VALUES (" + std::to_string(seq) + ", NOW(6))");
  statements.push_back("COMMIT");
  *rows = n;
  return statements;
}

// Runs one transaction's statements; writers touching the same rows
// deadlock now and then, InnoDB rolls one back, and the application retries
// it. Any other failure ends the benchmark.
template <typename Connection>
void Run(Connection& conn, const std::vector<std::string>& statements) {
  for (int attempt = 0;; ++attempt) {
    Status s;
    for (const auto& statement : statements)
      if (s = conn.Execute(statement); !s.ok()) break;
    if (s.ok()) return;
    (void)conn.Execute("ROLLBACK");
    if (s.message().find("Deadlock") == std::string::npos || attempt >= 10) {
      std::cerr << "writer: " << s.message() << "\n";
      std::exit(1);
    }
  }
}

// One step: `rows_per_second` for `seconds`, offered by `writers`
// connections (each paced at its share, as an application's sessions write),
// transactions numbered from `*next_seq`; waits (at most 60 s) for the
// consumer to show every one. Concurrent writers commit out of number order,
// so the consumer's set of numbers is read, not its maximum.
Step RunStep(const MariaDbServer& source, const std::string& db, int rows_per_second, int seconds, int writers,
             uint32_t seed, int64_t* next_seq, int64_t* next_id, const SeenQuery& seen_query) {
  Step step;
  step.offered = rows_per_second;
  const int64_t first = *next_seq;
  const size_t capacity = size_t(rows_per_second) * size_t(seconds) + 16;
  std::vector<std::atomic<int64_t>> committed_ns(capacity);  // since `start`; 0: not committed
  std::atomic<int64_t> seq_counter{first}, id_counter{*next_id};
  std::atomic<long> rows_written{0};
  std::atomic<int64_t> last_commit_ns{0};
  std::atomic<int> writing{writers};
  auto start = Clock::now();
  auto since_start_ns = [&] {
    return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < writers; ++w)
    pool.emplace_back([&, w] {
      auto conn = source.Admin();
      std::mt19937 rng(seed * 31 + uint32_t(w));
      const double share = double(rows_per_second) / writers;
      long rows = 0;
      while (Seconds(start) < seconds) {
        const double due = double(rows) / share;
        if (Seconds(start) < due) std::this_thread::sleep_for(std::chrono::duration<double>(due - Seconds(start)));
        const int64_t seq = seq_counter++;
        if (size_t(seq - first) >= capacity) break;
        int n = 0;
        const auto statements = Transaction(db, seq, rng, id_counter, &n);
        Run(conn, statements);
        const int64_t at = since_start_ns();
        committed_ns[size_t(seq - first)] = at;
        int64_t previous = last_commit_ns.load();
        while (previous < at && !last_commit_ns.compare_exchange_weak(previous, at)) {
        }
        rows += n;
      }
      rows_written += rows;
      --writing;
    });
  std::vector<double> lags;
  // REALTIME_BENCH_TRACE=FILE: "rate commit_second lag" per transaction, to see when the lag peaks.
  static FILE* trace = std::getenv("REALTIME_BENCH_TRACE") ? std::fopen(std::getenv("REALTIME_BENCH_TRACE"), "w") : nullptr;
  std::vector<char> seen(capacity, 0);
  int64_t low = first - 1;  // every number up to it was seen
  auto give_up_at = Clock::time_point::max();
  while (true) {
    const auto now = Clock::now();
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count();
    for (int64_t k : seen_query(low)) {
      const size_t i = size_t(k - first);
      if (k < first || i >= capacity || seen[i]) continue;
      const int64_t at = committed_ns[i].load();
      if (at == 0) continue;  // its commit has not returned to the writer yet: the next poll counts it
      seen[i] = 1;
      lags.push_back(double(now_ns - at) / 1e9);
      if (trace) std::fprintf(trace, "%d %.3f %.3f\n", rows_per_second, double(at) / 1e9, lags.back());
    }
    const int64_t allocated = std::min<int64_t>(seq_counter.load(), first + int64_t(capacity));
    while (low + 1 < allocated && seen[size_t(low + 1 - first)]) ++low;
    const bool finished = writing.load() == 0;
    if (finished && give_up_at == Clock::time_point::max()) give_up_at = now + 60s;
    if (finished && low + 1 >= allocated) break;
    if (now > give_up_at) {
      step.caught_up = false;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  for (auto& t : pool) t.join();
  const int64_t end = std::min<int64_t>(seq_counter.load(), first + int64_t(capacity));
  // What was not seen counts as lagging past the step.
  for (int64_t k = first; k < end; ++k)
    if (!seen[size_t(k - first)]) lags.push_back(1e9);
  step.transactions = end - first;
  step.achieved = rows_written / std::max(1e-9, double(last_commit_ns.load()) / 1e9);
  step.p50 = Percentile(lags, 50);
  step.p99 = Percentile(lags, 99);
  step.max = Percentile(lags, 100);
  *next_seq = end;
  *next_id = id_counter.load();
  return step;
}

// The apply ceiling without the writers on the same cores: with the
// consumer stopped, `writers` connections write transactions as fast as they
// can until `rows` rows are in the binlog; then the consumer is started and
// timed until it shows the last of them. Two cores cannot both offer and
// apply beyond ~13k rows/s, so the ramp alone cannot show a ceiling above it.
struct Drain {
  long rows = 0;
  int64_t transactions = 0;
  double write_seconds = 0, apply_seconds = 0;
  double cpu_seconds = 0;  // the consumer's processes while it applied
};

Drain RunDrain(const MariaDbServer& source, const std::string& db, long rows, int writers, int64_t* next_seq,
               int64_t* next_id, const std::function<void()>& stop_consumer, const std::function<void()>& start_consumer,
               const std::function<int64_t(int64_t first)>& count_from, const std::function<double()>& consumer_cpu) {
  Drain d;
  stop_consumer();
  const int64_t first = *next_seq;
  std::atomic<int64_t> seq_counter{first}, id_counter{*next_id};
  std::atomic<long> written{0};
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int w = 0; w < writers; ++w)
    pool.emplace_back([&, w] {
      auto conn = source.Admin();
      std::mt19937 rng(7000 + uint32_t(w));
      while (written.load() < rows) {
        const int64_t seq = seq_counter++;
        int n = 0;
        const auto statements = Transaction(db, seq, rng, id_counter, &n);
        Run(conn, statements);
        written += n;
      }
    });
  for (auto& t : pool) t.join();
  d.write_seconds = Seconds(start);
  d.rows = written.load();
  d.transactions = seq_counter.load() - first;
  const double cpu_before = consumer_cpu();
  start = Clock::now();
  start_consumer();
  while (count_from(first) < d.transactions) {
    if (Seconds(start) > 600) throw std::runtime_error("the consumer did not apply the backlog in 600 s");
    std::this_thread::sleep_for(20ms);
  }
  d.apply_seconds = Seconds(start);
  d.cpu_seconds = consumer_cpu() - cpu_before;
  *next_seq = seq_counter.load();
  *next_id = id_counter.load();
  std::printf("  backlog of %ld rows (%lld transactions, written in %.1f s): applied in %.2f s = %.0f rows/s, "
              "consumer CPU %.2f s (%.1f us a row)\n",
              d.rows, (long long)d.transactions, d.write_seconds, d.apply_seconds, double(d.rows) / d.apply_seconds,
              d.cpu_seconds, d.cpu_seconds * 1e6 / double(std::max(1L, d.rows)));
  std::fflush(stdout);
  return d;
}

// The ramp: each rate in turn, until a step misses p99 < 1 s; the ceiling is
// the achieved rate of the last step that met it.
// `consumer_cpu`: the consumer's CPU seconds so far, printed per row of each
// step (what it costs beside the writers, where the cores are shared).
double Ramp(const std::string& who, const MariaDbServer& source, const std::string& db, const std::vector<int>& rates,
            int seconds, int writers, const SeenQuery& seen, int64_t* next_seq, int64_t* next_id,
            const std::function<double()>& consumer_cpu) {
  int64_t& seq = *next_seq;
  int64_t& id = *next_id;
  double ceiling = 0;
  std::printf("\n%s:\n", who.c_str());
  for (size_t i = 0; i < rates.size(); ++i) {
    const double cpu_before = consumer_cpu();
    const int64_t first_id = id;
    Step s = RunStep(source, db, rates[i], seconds, writers, uint32_t(1000 + i), &seq, &id, seen);
    const double cpu = consumer_cpu() - cpu_before;
    const bool met = s.caught_up && s.p99 < 1.0;
    // Rows written: the step's inserts are half its rows (ids), so twice them, near enough.
    const double rows = std::max<double>(1, 2.0 * double(id - first_id));
    std::printf("  offered %6d rows/s, achieved %7.0f rows/s (%lld transactions): lag p50 %.3f s, p99 %.3f s, "
                "max %.3f s; consumer CPU %.1f us a row%s\n",
                s.offered, s.achieved, (long long)s.transactions, s.p50, s.p99 > 1e8 ? -1.0 : s.p99,
                s.max > 1e8 ? -1.0 : s.max, cpu * 1e6 / rows,
                met ? "" : s.caught_up ? "  <- p99 over 1 s" : "  <- not caught up in 60 s");
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

// The numbers above `low` in `db`.beat, by `query` (a MariaDB or PostgreSQL
// connection: both spell this the same).
template <typename Connection>
std::vector<int64_t> SeenAbove(Connection& conn, const std::string& db, int64_t low) {
  std::vector<int64_t> out;
  auto r = conn.Query("SELECT seq FROM " + db + ".beat WHERE seq > " + std::to_string(low));
  if (!r.ok()) return out;
  for (const auto& row : r->rows)
    if (!row.empty() && row[0]) out.push_back(std::strtoll(row[0]->c_str(), nullptr, 10));
  return out;
}

template <typename Connection>
int64_t CountFrom(Connection& conn, const std::string& db, int64_t first) {
  auto r = conn.Query("SELECT count(*) FROM " + db + ".beat WHERE seq >= " + std::to_string(first));
  return r.ok() ? std::strtoll(r->Scalar().c_str(), nullptr, 10) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::vector<int> rates = argc > 2 ? IntList(argv[2]) : std::vector<int>{1000, 2000, 4000, 8000, 16000, 32000};
  const int threads = argc > 3 ? std::atoi(argv[3]) : 4;
  const int writers = argc > 4 ? std::max(1, std::atoi(argv[4])) : 4;
  const std::string consumers = argc > 5 ? argv[5] : "sync,replica,parallel";
  const long drain_rows = argc > 6 ? std::atol(argv[6]) : 300000;
  if (argc > 7) g_transaction_rows = std::max(1, std::atoi(argv[7]));
  auto wanted = [&](const std::string& who) { return ("," + consumers + ",").find("," + who + ",") != std::string::npos; };
  try {
    SyncEnvironment env;
    env.mysql.Exec("CREATE DATABASE IF NOT EXISTS seq");
    // Durability as the destination's: the test PostgreSQL runs with fsync
    // off, so the replica (and the source, the same for every consumer) do
    // not flush InnoDB's log at each commit either.
    env.mysql.Exec("SET GLOBAL innodb_flush_log_at_trx_commit = 0");
    std::printf("%d s steps, %d writer connection(s), transactions of 1-%d rows over %d tables, "
                "innodb_flush_log_at_trx_commit = 0 at the source and the replica\n",
                seconds, writers, g_transaction_rows, kTables);
    auto source_scalar = [&](const std::string& sql) { return env.mysql.Scalar(sql); };

    double sync_ceiling = 0;
    Drain sync_drain, replica_drain[2];
    std::string sync_equal = "not run";
    if (wanted("sync")) {
      Seed(env.mysql, "w_sync");
      CliTask task{env.cli, "ceiling"};
      task.CreateAndStart(TaskYaml("ceiling", env.mysql, env.pg, "root", MariaDbServer::kRootPassword, "[w_sync.*]", 7301));
      auto pg = env.pg.Admin("dw");
      const int postmaster = PidFromFile(pg.Query("SHOW data_directory")->Scalar() + "/postmaster.pid");
      int64_t seq = 1, id = kSeedRows + 1;
      auto sync_cpu = [&] { return ProcessCpuSeconds(task.WorkerPid()) + ProcessTreeCpuSeconds(postmaster); };
      sync_ceiling = Ramp("sync -> PostgreSQL", env.mysql, "w_sync", rates, seconds, writers,
                          [&](int64_t low) { return SeenAbove(pg, "w_sync", low); }, &seq, &id, sync_cpu);
      if (drain_rows > 0)
        sync_drain = RunDrain(
            env.mysql, "w_sync", drain_rows, writers, &seq, &id, [&] { (void)env.cli.Run({"stop", "ceiling"}); },
            [&] { (void)env.cli.Run({"start", "ceiling"}); },
            [&](int64_t first) { return CountFrom(pg, "w_sync", first); }, sync_cpu);
      auto pg_scalar = [&](const std::string& sql) {
        auto r = pg.Query(sql);
        return r.ok() ? r->Scalar() : std::string("?");
      };
      sync_equal = Digest(source_scalar, "w_sync", false) == Digest(pg_scalar, "w_sync", true) ? "equal" : "DIFFERENT";
      // SYNC_BENCH_LOG=FILE: the worker's log, to see what a lag peak coincides with.
      if (const char* file = std::getenv("SYNC_BENCH_LOG"))
        std::ofstream(file) << env.cli.Run({"logs", "-n", "100000", "ceiling"}).out;
      (void)env.cli.Run({"stop", "ceiling"});
    }

    // The replica, single-threaded then parallel.
    double replica_ceiling[2] = {0, 0};
    std::string replica_equal[2] = {"not run", "not run"};
    const int modes[2] = {0, threads};
    const char* names[2] = {"replica", "parallel"};
    std::unique_ptr<MariaDbServer> replica;
    for (int m = 0; m < 2; ++m) {
      if (!wanted(names[m])) continue;
      if (!replica) {
        replica = std::make_unique<MariaDbServer>(std::vector<std::string>{"--server-id=2", "--skip-slave-start"});
        replica->Exec("CREATE DATABASE IF NOT EXISTS seq");
        replica->Exec("SET GLOBAL innodb_flush_log_at_trx_commit = 0");
      }
      const std::string db = "w_r" + std::to_string(modes[m]);
      Seed(env.mysql, db);
      Seed(*replica, db);
      StartReplica(env.mysql, *replica, modes[m]);
      auto conn = replica->Admin();
      int64_t seq = 1, id = kSeedRows + 1;
      const int replica_pid = PidFromFile(replica->Scalar("SELECT @@pid_file"));
      auto replica_cpu = [&] { return ProcessCpuSeconds(replica_pid); };
      replica_ceiling[m] = Ramp("MariaDB replica, slave_parallel_threads = " + std::to_string(modes[m]), env.mysql, db,
                                rates, seconds, writers, [&](int64_t low) { return SeenAbove(conn, db, low); }, &seq,
                                &id, replica_cpu);
      if (drain_rows > 0)
        replica_drain[m] = RunDrain(
            env.mysql, db, drain_rows, writers, &seq, &id, [&] { replica->Exec("STOP SLAVE"); },
            [&] { replica->Exec("START SLAVE"); }, [&](int64_t first) { return CountFrom(conn, db, first); },
            replica_cpu);
      replica_equal[m] = Digest(source_scalar, db, false) ==
                                 Digest([&](const std::string& sql) { return replica->Scalar(sql); }, db, false)
                             ? "equal"
                             : "DIFFERENT";
      replica->Exec("STOP SLAVE");
    }
    // " (sync 2.63x)", or nothing for a consumer not run.
    auto versus = [](double mine, double peer) {
      char text[32] = "";
      if (peer > 0) std::snprintf(text, sizeof text, " (sync %.2fx)", mine / peer);
      return std::string(text);
    };
    std::printf("\nceilings (lag p99 < 1 s), %d s steps, %d writers, transactions of 1-%d rows: sync %.0f rows/s; replica single-threaded %.0f "
                "rows/s%s; replica with %d parallel threads %.0f rows/s%s\n",
                seconds, writers, g_transaction_rows, sync_ceiling, replica_ceiling[0], versus(sync_ceiling, replica_ceiling[0]).c_str(),
                threads, replica_ceiling[1], versus(sync_ceiling, replica_ceiling[1]).c_str());
    auto rate = [](const Drain& d) { return d.apply_seconds > 0 ? double(d.rows) / d.apply_seconds : 0.0; };
    if (drain_rows > 0)
      std::printf("backlog apply rate (%ld rows written with the consumer stopped, then applied): sync %.0f rows/s; "
                  "replica single-threaded %.0f rows/s%s; replica with %d parallel threads %.0f rows/s%s\n",
                  drain_rows, rate(sync_drain), rate(replica_drain[0]),
                  versus(rate(sync_drain), rate(replica_drain[0])).c_str(), threads, rate(replica_drain[1]),
                  versus(rate(sync_drain), rate(replica_drain[1])).c_str());
    std::printf("final comparison with the source: sync %s, replica %s, parallel replica %s\n", sync_equal.c_str(),
                replica_equal[0].c_str(), replica_equal[1].c_str());
  } catch (const std::exception& e) {
    std::cerr << "realtime_bench failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
