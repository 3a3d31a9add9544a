// MySQL -> PostgreSQL benchmarks of the whole product (the real `sync` CLI and
// its background worker) against peers measured in the same run, on one real
// MariaDB and one real PostgreSQL started for the run:
//  1. full initialization of N rows (default 1M) of the 10-column mixed table
//     (the shape of source_bench.cpp), timed from `sync start` until `sync status`
//     reports the step and every table done; against
//       (a) pgloader migrating the same MariaDB table into another database, and
//       (b) psql `\copy` of the same rows from a TSV file into an identical empty table;
//  2. real-time apply of one `UPDATE b.mixed SET i = i + 1` (N updated rows), timed
//     from the source commit until the destination has every update; against psql
//     `\copy` into a staging table + `INSERT ... ON CONFLICT DO UPDATE` of the same rows;
//  3. end-to-end lag under a steady write load (default 5000 rows/s for 60 s:
//     100 transactions/s of 25 inserts + 25 updates each), p50/p99/max.
// Order of the run: 1, then `sync stop` and `sync start` (a fresh worker), 3, then 2 (so the memory of
// phase 3 is not that left over from the large transaction of phase 2).
// The worker's memory (VmRSS sampled every 100 ms, and VmHWM) is reported per phase.
//
// Usage: postgres_bench [rows=1000000] [lag_seconds=60] [lag_rows_per_second=5000]

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using dbsync::bench::Percentile;
using nlohmann::json;
using bench::Clock;
using bench::ProcStatusKb;
using bench::Seconds;
using bench::TimeShell;
using namespace std::chrono_literals;

namespace {


// Samples the worker's VmRSS every 100 ms; the pid may change (a failover).
class RssSampler {
 public:
  RssSampler() : thread_([this] { Loop(); }) {}
  ~RssSampler() {
    done_ = true;
    thread_.join();
  }
  void SetPid(int pid) { pid_ = pid; }
  int pid() const { return pid_; }
  // Peak sampled VmRSS since the last Reset, in MB.
  double PeakMb() const { return peak_kb_ / 1024.0; }
  double HwmMb() const { return pid_ ? ProcStatusKb(pid_, "VmHWM") / 1024.0 : 0; }
  void Reset() { peak_kb_ = 0; }

 private:
  void Loop() {
    while (!done_) {
      if (int pid = pid_) {
        long kb = ProcStatusKb(pid, "VmRSS");
        long prev = peak_kb_;
        while (kb > prev && !peak_kb_.compare_exchange_weak(prev, kb)) {
        }
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  std::atomic<bool> done_{false};
  std::atomic<int> pid_{0};
  std::atomic<long> peak_kb_{0};
  std::thread thread_;
};

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

const char* kMixedColumns = "id, i, u, d, f, s, t, dt, ts, e";
// The destination shape of b.mixed per docs/type_mapping.md (what `sync` creates).
const char* kPgMixed =
    "(id bigint PRIMARY KEY, i integer, u bigint, d numeric(12,2), f double precision, s varchar(64), t text,"
    " dt timestamp(3) without time zone, ts timestamp(0) with time zone, e text)";

struct Bench {
  MariaDbServer my{{"--innodb-buffer-pool-size=512M", "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0"}};
  PostgresServer pg;
  SyncCli cli;
  RssSampler rss;
  std::string task;
  int rows = 0;

  std::string MariaDbClient() const {
    return "mariadb --quick -B -N -h127.0.0.1 -P" + std::to_string(my.port()) + " -uroot -p" +
           MariaDbServer::kRootPassword + " --init-command=\"SET time_zone='+00:00'\"";
  }
  std::string Psql(const std::string& db) const {
    return "PGPASSWORD=" + std::string(PostgresServer::kSuperPassword) + " PGTZ=UTC psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
           std::to_string(pg.port()) + " -U postgres -d " + db;
  }
  json Status() const {
    auto r = cli.Run({"status", task, "-o", "json"});
    return json::parse(r.out, nullptr, false);
  }
  void Checkpoint() const { pg.Exec("CHECKPOINT"); }
};

bool FullInitDone(const json& st) {
  if (st.is_discarded() || !st.contains("steps") || !st["steps"].contains("full_initialization")) return false;
  if (st["steps"]["full_initialization"].value("state", "") != "done") return false;
  if (!st.contains("tables") || st["tables"].empty()) return false;
  for (const auto& [name, t] : st["tables"].items())
    if (t.value("state", "") != "done") return false;
  return true;
}

int WorkerPidOf(const json& st) {
  if (st.is_discarded() || !st.contains("worker")) return 0;
  int pid = st["worker"].value("pid", 0);
  return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 1000000;
  int lag_seconds = argc > 2 ? std::atoi(argv[2]) : 60;
  int lag_rate = argc > 3 ? std::atoi(argv[3]) : 5000;
  try {
    std::cout << "starting MariaDB and PostgreSQL, loading " << rows << " rows..." << std::endl;
    Bench b;
    b.rows = rows;
    b.my.Exec("CREATE DATABASE b");
    b.my.Exec("CREATE DATABASE seq");
    b.my.Exec("CREATE DATABASE l");  // not in b: pgloader migrates all of b
    b.my.Exec(
        "CREATE TABLE b.mixed (id BIGINT PRIMARY KEY, i INT, u INT UNSIGNED, d DECIMAL(12,2), f DOUBLE,"
        " s VARCHAR(64), t TEXT, dt DATETIME(3), ts TIMESTAMP NULL, e ENUM('a','b','c'))");
    b.my.Exec("INSERT INTO b.mixed SELECT seq, seq % 1000, seq * 7, seq / 3, seq / 7.0, CONCAT('name-', seq),"
              " REPEAT('t', 40), '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL seq SECOND,"
              " ELT(1 + seq % 3, 'a', 'b', 'c') FROM seq.seq_1_to_" + std::to_string(rows));
    // The lag table: `seq` is the number of the source transaction that wrote the row last.
    b.my.Exec(
        "CREATE TABLE l.lag (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, i INT, u INT UNSIGNED, d DECIMAL(12,2),"
        " f DOUBLE, s VARCHAR(64), t TEXT, dt DATETIME(6), ts TIMESTAMP NULL, e ENUM('a','b','c'))");
    b.my.Exec("INSERT INTO l.lag SELECT seq, 0, seq % 1000, seq * 7, seq / 3, seq / 7.0, CONCAT('name-', seq),"
              " REPEAT('t', 40), NOW(6), NOW(), 'a' FROM seq.seq_1_to_10000");
    b.pg.Exec("CREATE ROLE loader LOGIN PASSWORD 'loader-pw'");
    b.pg.Exec("CREATE DATABASE dw");
    b.pg.Exec("GRANT CREATE ON DATABASE dw TO loader");
    b.pg.Exec("CREATE DATABASE pgl");
    b.pg.Exec("CREATE DATABASE cp");
    b.pg.Exec("CREATE SCHEMA b", "cp");
    b.pg.Exec(std::string("CREATE TABLE b.mixed ") + kPgMixed, "cp");

    // The rows as a TSV file that COPY's text format accepts (mariadb -B escapes \t \n \\).
    std::string tsv = b.cli.dir() + "/mixed.tsv";
    double export_s = TimeShell(b.MariaDbClient() + " -e 'SELECT " + kMixedColumns + " FROM b.mixed ORDER BY id' > " + tsv,
                                "mariadb export");
    std::printf("exported %d rows to %s in %.2f s\n", rows, tsv.c_str(), export_s);

    // ---- 1(b) COPY from the file into an identical empty table.
    b.Checkpoint();
    double copy_s = TimeShell(b.Psql("cp") + " -c " + ShellQuote("\\copy b.mixed (" + std::string(kMixedColumns) +
                                                                 ") FROM '" + tsv + "'"),
                              "psql \\copy");
    std::string copied = b.pg.Scalar("SELECT count(*) FROM b.mixed", "cp");
    std::printf("psql \\copy: %s rows in %.2f s\n", copied.c_str(), copy_s);

    // ---- 1(a) pgloader, MariaDB -> database pgl (its defaults; prefetch rows lowered if its heap runs out).
    b.Checkpoint();
    std::string pgl_dir = b.cli.dir() + "/pgloader";
    std::string pgl_cmd = "pgloader --root-dir " + pgl_dir + " --no-ssl-cert-verification --quiet ";
    std::string pgl_args = " mysql://root:" + std::string(MariaDbServer::kRootPassword) + "@127.0.0.1:" +
                           std::to_string(b.my.port()) + "/b postgresql://postgres:" +
                           PostgresServer::kSuperPassword + "@127.0.0.1:" + std::to_string(b.pg.port()) + "/pgl";
    std::string pgl_how = "defaults";
    double pgl_s = 0;
    std::string pgl_rows;
    try {
      pgl_s = TimeShell(pgl_cmd + pgl_args + " > " +
                            pgl_dir + ".out 2>&1",
                        "pgloader");
      pgl_rows = b.pg.Scalar("SELECT count(*) FROM b.mixed", "pgl");
    } catch (const std::exception& e) {
      std::cout << "pgloader with its defaults failed: " << e.what() << "\n" << ReadText(pgl_dir + ".out").substr(0, 3000)
                << "\nretrying with prefetch rows = 10000" << std::endl;
      b.pg.Exec("DROP SCHEMA IF EXISTS b CASCADE", "pgl");
      pgl_how = "prefetch rows = 10000";
      pgl_s = TimeShell(pgl_cmd + "--with 'prefetch rows = 10000' " +
                            pgl_args + " > " + pgl_dir + ".out 2>&1",
                        "pgloader");
      pgl_rows = b.pg.Scalar("SELECT count(*) FROM b.mixed", "pgl");
    }
    std::printf("pgloader (%s): %s rows in %.2f s\n", pgl_how.c_str(), pgl_rows.c_str(), pgl_s);

    // ---- 1. sync: create, start, poll status until the full initialization is done.
    b.Checkpoint();
    std::string spec = TaskYaml("bench", b.my, b.pg, "root", MariaDbServer::kRootPassword, "[b.mixed, l.lag]", 5401);
    auto created = b.cli.Run({"create", "--no-check", "-f", b.cli.WriteSpec("bench.yaml", spec)});
    if (created.exit_code != 0) throw std::runtime_error("sync create: " + created.err);
    b.task = created.out.substr(0, created.out.find('\n'));
    auto start = Clock::now();
    auto started = b.cli.Run({"start", b.task});
    double start_cmd_s = Seconds(start);
    if (started.exit_code != 0) throw std::runtime_error("sync start: " + started.out + started.err);
    json st;
    // Also when the destination holds every chunk (sync_state.snapshot_chunks): status is written once a second.
    auto dw = b.pg.Admin("dw");
    double data_s = 0;
    while (true) {
      st = b.Status();
      if (int pid = WorkerPidOf(st); pid && pid != b.rss.pid()) b.rss.SetPid(pid);
      if (data_s == 0 && !st.is_discarded() && st.contains("tables") && st["tables"].size() == 2) {
        int total = 0;
        for (const auto& [name, t] : st["tables"].items()) total += t.value("chunks_total", 0);
        auto n = dw.Query("SELECT count(*) FROM sync_state.snapshot_chunks");
        if (n.ok() && total > 0 && std::atoi(n->Scalar().c_str()) >= total) data_s = Seconds(start);
      }
      if (FullInitDone(st)) break;
      if (!st.is_discarded() && st.contains("last_errors") && !st["last_errors"].empty() && Seconds(start) > 600)
        throw std::runtime_error("full initialization did not finish: " + st["last_errors"].dump());
      if (Seconds(start) > 3600) throw std::runtime_error("full initialization did not finish in an hour");
      std::this_thread::sleep_for(100ms);
    }
    double sync_s = Seconds(start);
    if (data_s == 0) data_s = sync_s;
    std::string sync_rows = b.pg.Scalar("SELECT count(*) FROM b.mixed", "dw");
    double init_hwm = b.rss.HwmMb(), init_peak = std::max(b.rss.PeakMb(), init_hwm);
    std::printf("sync full initialization: %s rows (+10000 in l.lag) in %.2f s (sync start returned after %.2f s)\n",
                sync_rows.c_str(), sync_s, start_cmd_s);
    if (std::to_string(rows) != sync_rows || std::to_string(rows) != pgl_rows || std::to_string(rows) != copied)
      std::printf("WARNING: row counts differ: sync %s, pgloader %s, copy %s, source %d\n", sync_rows.c_str(),
                  pgl_rows.c_str(), copied.c_str(), rows);

    std::printf("\n1. full initialization, %d rows of the 10-column mixed table (MariaDB -> PostgreSQL)\n", rows);
    std::printf("  sync (CLI, status done)          %7.2f s  %9.0f rows/s  worker peak RSS %.0f MB (VmHWM %.0f MB)\n",
                sync_s, rows / sync_s, init_peak, init_hwm);
    std::printf("  sync (every chunk committed)     %7.2f s  %9.0f rows/s  (seen in sync_state.snapshot_chunks)\n", data_s,
                rows / data_s);
    std::printf("  pgloader (%s)          %7.2f s  %9.0f rows/s\n", pgl_how.c_str(), pgl_s, rows / pgl_s);
    std::printf("  psql \\copy from a TSV file        %7.2f s  %9.0f rows/s  (+ %.2f s to export the file)\n", copy_s,
                rows / copy_s, export_s);
    std::printf("  ratio vs pgloader: %.2fx faster (target >= 3x); vs COPY: %.2fx the time of COPY (target <= 1.5x)\n",
                pgl_s / sync_s, sync_s / copy_s);
    std::printf("  by committed chunks: %.2fx faster than pgloader, %.2fx the time of COPY\n", pgl_s / data_s,
                data_s / copy_s);
    std::cout << std::flush;
    if (std::getenv("SYNC_BENCH_TIMELINE")) std::cout << b.cli.Run({"logs", "-n", "40", b.task}).out << std::flush;

    // ---- stop the task (as a user would after the copy), then start it again for real-time sync: the
    // worker of phases 3 and 2 is a fresh process, so its memory is measured from scratch.
    // The destination index the lag poller needs; added now, outside every timing.
    b.pg.Exec("CREATE INDEX bench_lag_seq ON l.lag (seq)", "dw");
    auto stop1 = Clock::now();
    auto stopped1 = b.cli.Run({"stop", b.task});
    double stop1_s = Seconds(stop1);
    if (stopped1.exit_code != 0) throw std::runtime_error("sync stop: " + stopped1.out + stopped1.err);
    auto restart = Clock::now();
    // Right after a stop the source may still list the old worker as a replica with this server_id, which
    // fails the start's mandatory check: retry for up to 60 s and report it.
    auto started2 = b.cli.Run({"start", b.task});
    int start_attempts = 1;
    while (started2.exit_code != 0 && started2.out.find("FAIL  source.server_id") != std::string::npos &&
           Seconds(restart) < 60) {
      std::this_thread::sleep_for(500ms);
      started2 = b.cli.Run({"start", b.task});
      ++start_attempts;
    }
    if (started2.exit_code != 0) throw std::runtime_error("sync start (again): " + started2.out + started2.err);
    double start2_s = Seconds(restart);
    int old_pid = b.rss.pid();
    for (int i = 0; i < 600; ++i) {
      st = b.Status();
      int pid = WorkerPidOf(st);
      if (pid && pid != old_pid && !st.is_discarded() && st["steps"].contains("realtime_sync") &&
          st["steps"]["realtime_sync"].value("state", "") == "running") {
        b.rss.SetPid(pid);
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    std::printf("\nsync stop after the copy: %.2f s; sync start again: accepted after %d attempt(s), %.2f s (the"
                " server_id check failed until then); real-time sync running after %.2f s\n",
                stop1_s, start_attempts, start2_s, Seconds(restart));
    auto pg = b.pg.Admin("dw");
    // ---- 3. lag under a steady write load (run before 2).
    b.Checkpoint();
    b.rss.Reset();
    const int tick_ms = 10;
    const int per_tick = std::max(2, lag_rate * tick_ms / 1000);
    const int ticks = lag_seconds * 1000 / tick_ms;
    std::vector<Clock::time_point> committed(size_t(ticks) + 1);
    std::atomic<int64_t> last_committed{0};
    std::atomic<bool> writer_done{false};
    auto load_start = Clock::now();
    std::thread writer([&] {
      auto conn = b.my.Admin();
      std::mt19937 rng(7);
      int64_t next_id = 10001;
      for (int k = 1; k <= ticks; ++k) {
        std::this_thread::sleep_until(load_start + std::chrono::milliseconds(int64_t(k - 1) * tick_ms));
        std::string sql = "INSERT INTO l.lag VALUES ";
        for (int j = 0; j < per_tick; ++j) {
          // Half new rows, half updates of random earlier rows.
          int64_t id = j % 2 == 0 ? next_id++ : int64_t(rng() % uint64_t(next_id - 1)) + 1;
          std::string ks = std::to_string(k);
          sql += (j ? "," : "") + std::string("(") + std::to_string(id) + "," + ks + "," + std::to_string(id % 1000) +
                 "," + std::to_string(id * 7) + "," + ks + ".25," + std::to_string(double(id) / 7.0) + ",'name-" +
                 std::to_string(id) + "',REPEAT('t',40),NOW(6),NOW(),'b')";
        }
        sql += " ON DUPLICATE KEY UPDATE seq = VALUES(seq), i = VALUES(i), d = VALUES(d), dt = VALUES(dt), e = 'c'";
        Status s = conn.Execute(sql);
        if (!s.ok()) {
          std::cerr << "writer: " << s.message() << "\n";
          break;
        }
        committed[size_t(k)] = Clock::now();
        last_committed = k;
      }
      writer_done = true;
    });
    std::vector<double> lags;
    lags.reserve(size_t(ticks));
    int64_t seen = 0;
    int polls = 0;
    int reported_lag_max = 0;
    auto last_status = Clock::now();
    while (true) {
      auto r = pg.Query("SELECT coalesce(max(seq), 0) FROM l.lag");
      auto now = Clock::now();
      ++polls;
      if (r.ok()) {
        int64_t m = std::strtoll(r->Scalar().c_str(), nullptr, 10);
        m = std::min<int64_t>(m, last_committed.load());  // committed[] of later ticks is being written
        for (int64_t k = seen + 1; k <= m; ++k) lags.push_back(Seconds(committed[size_t(k)], now));
        seen = std::max(seen, m);
      }
      if (Seconds(last_status) > 1) {  // also what `sync status` says
        last_status = Clock::now();
        json s = b.Status();
        if (!s.is_discarded() && s["steps"].contains("realtime_sync"))
          reported_lag_max = std::max(reported_lag_max, s["steps"]["realtime_sync"].value("lag_seconds", 0));
        if (int pid = WorkerPidOf(s); pid && pid != b.rss.pid()) b.rss.SetPid(pid);
      }
      if (writer_done && seen >= last_committed) break;
      if (writer_done && Seconds(load_start) > lag_seconds + 300) break;
      std::this_thread::sleep_for(20ms);
    }
    writer.join();
    double load_s = Seconds(load_start);
    int64_t written = last_committed.load();
    double write_s = Seconds(load_start, committed[size_t(std::max<int64_t>(1, written))]);
    std::string src_digest = b.my.Scalar("SELECT CONCAT(COUNT(*), ':', SUM(seq)) FROM l.lag");
    std::string dst_digest = pg.Query("SELECT count(*) || ':' || sum(seq) FROM l.lag")->Scalar();
    std::printf("\n3. end-to-end lag, %lld transactions of %d rows (%d inserts + %d updates) in %.1f s = %.0f rows/s offered\n",
                (long long)written, per_tick, (per_tick + 1) / 2, per_tick / 2, write_s, written * per_tick / write_s);
    std::printf("  lag (source commit -> visible at destination, polled every ~20 ms, %d polls): p50 %.3f s  p99 %.3f s"
                "  max %.3f s  (target p99 < 2 s)\n",
                polls, Percentile(lags, 50), Percentile(lags, 99), Percentile(lags, 100));
    double lag_peak = b.rss.PeakMb();
    std::printf("  sync status lag_seconds max seen: %d; worker peak RSS during the load %.0f MB, VmHWM %.0f MB"
                " (target < 300 MB)\n",
                reported_lag_max, lag_peak, b.rss.HwmMb());
    std::printf("  l.lag source %s, destination %s (count:sum(seq)) %s; measured for %.1f s\n", src_digest.c_str(),
                dst_digest.c_str(), src_digest == dst_digest ? "equal" : "DIFFERENT", load_s);

    b.Checkpoint();
    b.rss.Reset();
    std::string last = std::to_string(rows);
    auto expected_last = std::to_string(rows % 1000 + 1);
    auto up_start = Clock::now();
    b.my.Exec("UPDATE b.mixed SET i = i + 1");
    auto up_committed = Clock::now();
    Clock::time_point arrived;
    while (true) {
      auto r = pg.Query("SELECT i FROM b.mixed WHERE id = " + last);
      if (r.ok() && r->Scalar() == expected_last) {
        arrived = Clock::now();
        break;
      }
      if (Seconds(up_committed) > 1800) throw std::runtime_error("the update did not arrive in 30 minutes");
      std::this_thread::sleep_for(20ms);
    }
    // The last row in binlog order has arrived; every row must have (one destination transaction).
    auto all = pg.Query("SELECT count(*) FROM b.mixed WHERE i = id % 1000 + 1");
    std::string all_rows = all.ok() ? all->Scalar() : all.status().message();
    while (all_rows != last && Seconds(up_committed) < 1800) {
      std::this_thread::sleep_for(100ms);
      all = pg.Query("SELECT count(*) FROM b.mixed WHERE i = id % 1000 + 1");
      all_rows = all.ok() ? all->Scalar() : all.status().message();
      arrived = Clock::now();
    }
    double apply_s = Seconds(up_committed, arrived);
    double source_update_s = Seconds(up_start, up_committed);
    double apply_peak = b.rss.PeakMb();

    // The peer: the same after-images through COPY into a staging table + INSERT ... ON CONFLICT, in one transaction.
    std::string tsv2 = b.cli.dir() + "/mixed-updated.tsv";
    TimeShell(b.MariaDbClient() + " -e 'SELECT " + kMixedColumns + " FROM b.mixed ORDER BY id' > " + tsv2, "mariadb export");
    std::string script = b.cli.dir() + "/upsert.sql";
    WriteText(script,
              "BEGIN;\n"
              "CREATE TEMPORARY TABLE stage (LIKE b.mixed) ON COMMIT DROP;\n"
              "\\copy stage (" + std::string(kMixedColumns) + ") FROM '" + tsv2 + "'\n"
              "INSERT INTO b.mixed SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET i = EXCLUDED.i, u = EXCLUDED.u,"
              " d = EXCLUDED.d, f = EXCLUDED.f, s = EXCLUDED.s, t = EXCLUDED.t, dt = EXCLUDED.dt, ts = EXCLUDED.ts,"
              " e = EXCLUDED.e;\n"
              "COMMIT;\n");
    b.Checkpoint();
    double upsert_s = TimeShell(b.Psql("cp") + " -f " + script, "psql staging upsert");
    std::string cp_updated = b.pg.Scalar("SELECT count(*) FROM b.mixed WHERE i = id % 1000 + 1", "cp");
    std::printf("\n2. real-time apply of UPDATE b.mixed SET i = i + 1 (%d updated rows in one source transaction)\n", rows);
    std::printf("  source UPDATE took %.2f s; destination rows updated: sync %s, peer %s\n", source_update_s,
                all_rows.c_str(), cp_updated.c_str());
    std::printf("  sync, source commit -> all rows at destination  %7.2f s  %9.0f rows/s  worker peak RSS %.0f MB\n",
                apply_s, rows / apply_s, apply_peak);
    std::printf("  psql \\copy to staging + INSERT ON CONFLICT      %7.2f s  %9.0f rows/s\n", upsert_s, rows / upsert_s);
    std::printf("  ratio: %.2fx the time of COPY + upsert (target <= 1.3x)\n", apply_s / upsert_s);
    std::cout << std::flush;

    auto stop_start = Clock::now();
    auto stopped = b.cli.Run({"stop", b.task});
    std::printf("\nsync stop: exit %d in %.2f s\n", stopped.exit_code, Seconds(stop_start));
    std::printf("\nsummary: init vs pgloader %.2fx faster (>= 3x), init vs COPY %.2fx (<= 1.5x), apply vs COPY+upsert"
                " %.2fx (<= 1.3x), lag p99 %.3f s (< 2 s); worker peak RSS: init %.0f MB, lag load %.0f MB, big"
                " transaction %.0f MB (< 300 MB)\n",
                pgl_s / sync_s, sync_s / copy_s, apply_s / upsert_s, Percentile(lags, 99), init_peak, lag_peak,
                apply_peak);
    if (stopped.exit_code != 0) std::cout << stopped.out << stopped.err;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "postgres_bench: " << e.what() << "\n";
    return 1;
  }
}
