// What large data costs (issue 16 item 3): very large values, very wide rows,
// a very long table; MariaDB -> PostgreSQL through the CLI, as a user runs it.
//
// Cases (the first argument picks one):
//   blob:    (id INT key, b LONGBLOB, t LONGTEXT), N rows of ~1 MB random
//            bytes and ~1 MB non-ASCII text each.
//   columns: 1,000 columns (INT, VARCHAR, DECIMAL, DATETIME in turn), N rows.
//   big:     (id BIGINT key, a INT, b BIGINT), N rows made by the sequence
//            engine; the progress and ETA `sync status -o json` reports are
//            sampled every 2 s and held against the actual end of the copy
//            (status asked every 500 ms).
// Each prints:
//   - full initialization (from `sync start` until the table's copy is done)
//     against psql `\copy` of the same rows exported beforehand (export not
//     timed) into a table like the one sync made (its key included), run
//     after the task is stopped; the ratio;
//   - blob and columns: real-time UPDATE of every row (blob: in transactions
//     of 10 rows, then in one transaction), timed until the worker has
//     applied every row;
//   - the worker's VmHWM (/proc/<pid>/status; the pid from `sync status -o
//     json`), and for blob its multiple of the largest row;
//   - the final comparison of source and destination (blob: md5 of every
//     value; columns: count and sum(hashtext(row::text)) of sync's table
//     against the `\copy` of the source exported at the end; big: count and
//     sums), which must be equal.
// The load average is printed at the start and the end of each case.
//
// Usage: data_scale_bench blob [rows=300] [value_kb=1024]
//        data_scale_bench columns [rows=100000] [columns=1000]
//        data_scale_bench big [rows=50000000]

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench_util.hpp"
#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::bench;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace {

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct Env {
  // max_allowed_packet: a row event carries the row before and after (two
  // ~2 MB rows in the blob case), and the export reads whole rows.
  MariaDbServer my{{"--innodb-buffer-pool-size=512M", "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0",
                    "--max-allowed-packet=256M"}};
  PostgresServer pg;
  SyncCli cli;

  Env() {
    PrepareDestinationDatabase(pg);
    my.Exec("CREATE DATABASE seq");
  }
  std::string MariaDb() const {
    return "mariadb --quick -B -N --max-allowed-packet=1G --default-character-set=utf8mb4 -h127.0.0.1 -P" +
           std::to_string(my.port()) + " -uroot -p" + MariaDbServer::kRootPassword +
           " --init-command=\"SET time_zone='+00:00'\"";
  }
  std::string Psql() const {
    return "PGPASSWORD=" + std::string(PostgresServer::kSuperPassword) +
           " PGTZ=UTC PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
           std::to_string(pg.port()) + " -U postgres -d dw";
  }
  // `select` (a query over the source) written to a TSV file that COPY's text format reads.
  std::string Export(const std::string& name, const std::string& select) const {
    const std::string tsv = cli.dir() + "/" + name + ".tsv";
    const std::string query = cli.WriteSpec(name + ".sql", select + "\n");
    const double s = TimeShell(MariaDb() + " < " + query + " > " + tsv, "mariadb export");
    std::printf("  exported %.0f MB to %s in %.1f s (not timed below)\n",
                double(std::filesystem::file_size(tsv)) / 1e6, tsv.c_str(), s);
    return tsv;
  }
  // The peer: `\copy` of `tsv` into peer.<table>, made like sync's `db.table` (key included).
  double CopyPeer(const std::string& db_table, const std::string& tsv) const {
    const std::string peer = "peer." + db_table.substr(db_table.find('.') + 1);
    pg.Exec("CREATE SCHEMA IF NOT EXISTS peer", "dw");
    pg.Exec("DROP TABLE IF EXISTS " + peer, "dw");
    pg.Exec("CREATE TABLE " + peer + " (LIKE " + db_table + " INCLUDING ALL)", "dw");
    pg.Exec("CHECKPOINT");
    return TimeShell(Psql() + " -c \"\\copy " + peer + " FROM '" + tsv + "'\"", "psql \\copy");
  }
};

// The task of a case: one table, its worker's pid and memory.
struct Task : CliTask {
  std::string table;  // db.table
  int pid = 0;

  Task(const SyncCli& cli, const std::string& name, std::string table_) : CliTask{cli, name}, table(std::move(table_)) {}

  nlohmann::json TableStatus(const nlohmann::json& s) const {
    if (s.is_discarded() || !s.contains("tables") || !s["tables"].contains(table)) return nlohmann::json::object();
    return s["tables"][table];
  }
  void Create(const Env& env, int server_id) const {
    const std::string yaml = TaskYaml(name, env.my, env.pg, "root", MariaDbServer::kRootPassword, "[" + table + "]",
                                      server_id);
    auto created = cli.Run({"create", "--no-check", "-f", cli.WriteSpec(name + ".yaml", yaml)});
    if (created.exit_code != 0) throw std::runtime_error("sync create: " + created.err);
  }
  void Start() const {
    auto started = cli.Run({"start", name});
    if (started.exit_code != 0) throw std::runtime_error("sync start: " + started.out + started.err);
  }
  // The worker's VmHWM and VmRSS in MB (the pid remembered from the last status).
  double HwmMb() { return ProcStatusKb(Pid(), "VmHWM") / 1024.0; }
  double RssMb() { return ProcStatusKb(Pid(), "VmRSS") / 1024.0; }
  int Pid() {
    if (pid == 0 || ProcStatusKb(pid, "VmRSS") == 0) pid = WorkerPid();
    return pid;
  }
  void Stop() const { (void)cli.Run({"stop", name}); }
};

// Waits until the status says real-time sync runs; calls `each` with every status.
template <typename Each>
double WaitRealtime(Task& task, Clock::time_point start, std::chrono::milliseconds poll, Each each) {
  while (true) {
    auto s = task.Status();
    each(s);
    if (!s.is_discarded() && s["steps"]["realtime_sync"].value("state", "") == "running") return Seconds(start);
    if (Seconds(start) > 4 * 3600) throw std::runtime_error("full initialization did not finish in 4 hours");
    std::this_thread::sleep_for(poll);
  }
}

// Seconds from `start` until the table's copy is done, as the status says
// (the status is written once a second: within a second).
double CopyDoneAt(const Task& task, const nlohmann::json& s, Clock::time_point start, double done_at) {
  if (done_at > 0) return done_at;
  return task.TableStatus(s).value("state", "") == "done" ? Seconds(start) : 0;
}

struct InitTimes {
  double copy_s = 0;      // from `sync start` until the table's copy is done
  double realtime_s = 0;  // ... until real-time sync runs
};

// `sync create` and `sync start` of the task; the status asked every `poll`
// (and handed to `each`) until real-time sync runs.
template <typename Each>
InitTimes Initialize(const Env& env, Task& task, int server_id, std::chrono::milliseconds poll, Each each) {
  task.Create(env, server_id);
  auto start = Clock::now();
  task.Start();
  InitTimes times;
  times.realtime_s = WaitRealtime(task, start, poll, [&](const nlohmann::json& s) {
    times.copy_s = CopyDoneAt(task, s, start, times.copy_s);
    each(s, start);
  });
  if (times.copy_s == 0) times.copy_s = times.realtime_s;
  return times;
}

void PrintLoad(const std::string& when) { std::printf("load average (%s): %s\n", when.c_str(), LoadAverage().c_str()); }

// ---------------------------------------------------------------- blob

// Source fingerprint of lob.t: md5 over every row's id and the md5s of its values.
std::string BlobSourceFingerprint(const Env& env) {
  auto conn = env.my.Admin();
  (void)conn.Execute("SET SESSION group_concat_max_len = 1073741824");
  auto r = conn.Query("SELECT MD5(GROUP_CONCAT(CONCAT(id, ':', MD5(b), ':', MD5(t)) ORDER BY id SEPARATOR ','))"
                      " FROM lob.t");
  if (!r.ok()) throw std::runtime_error(r.status().message());
  return r->Scalar();
}

std::string BlobDestinationFingerprint(const Env& env, const std::string& table) {
  return env.pg.Scalar("SELECT md5(string_agg(id || ':' || md5(b) || ':' || md5(t), ',' ORDER BY id)) FROM " + table,
                       "dw");
}

// ~`kb` KB pools at the source: random bytes (SHA-512 of a counter) and
// non-ASCII UTF-8 text; each row takes both rotated by an offset of its own.
void FillBlobTable(const Env& env, int rows, int kb) {
  env.my.Exec("CREATE DATABASE lob");
  env.my.Exec("CREATE TABLE lob.pool (k INT PRIMARY KEY, b LONGBLOB, t LONGTEXT) DEFAULT CHARSET=utf8mb4");
  env.my.ExecSession(
      {"SET SESSION group_concat_max_len = 1073741824", "SET SESSION sql_log_bin = 0",
       "INSERT INTO lob.pool SELECT 1, GROUP_CONCAT(UNHEX(SHA2(seq, 512)) ORDER BY seq SEPARATOR ''), NULL"
       " FROM seq.seq_1_to_" + std::to_string(kb * 16),
       // ~32 bytes (24 characters) a piece: accents, CJK, an emoji.
       "UPDATE lob.pool SET t = (SELECT GROUP_CONCAT(CONCAT('naïve café ', seq, ' 日本語 ✓ 😀 ') ORDER BY seq"
       " SEPARATOR '') FROM seq.seq_1_to_" + std::to_string(kb * 32) + ")"});
  env.my.Exec("CREATE TABLE lob.t (id INT PRIMARY KEY, b LONGBLOB NOT NULL, t LONGTEXT NOT NULL)"
              " DEFAULT CHARSET=utf8mb4");
  for (int first = 1; first <= rows; first += 20)
    env.my.ExecSession(
        {"SET SESSION sql_log_bin = 0",
         "INSERT INTO lob.t SELECT seq, CONCAT(SUBSTR(p.b, 1 + seq * 7919 % LENGTH(p.b)),"
         " SUBSTR(p.b, 1, seq * 7919 % LENGTH(p.b))), CONCAT(seq, ' ', SUBSTR(p.t, 1 + seq * 104729 % CHAR_LENGTH(p.t)),"
         " SUBSTR(p.t, 1, seq * 104729 % CHAR_LENGTH(p.t))) FROM seq.seq_" + std::to_string(first) + "_to_" +
             std::to_string(std::min(rows, first + 19)) + " JOIN lob.pool p"});
}

// Rotates every row's blob by one byte, `per_transaction` rows a transaction
// (all rows in one when 0); seconds until the worker has applied them all.
double BlobUpdate(const Env& env, Task& task, int rows, int per_transaction) {
  const std::string rotate = "UPDATE lob.t SET b = CONCAT(SUBSTR(b, 2), LEFT(b, 1))";
  const long before = task.RowsApplied();
  auto start = Clock::now();
  if (per_transaction == 0) {
    env.my.Exec(rotate);
  } else {
    for (int first = 1; first <= rows; first += per_transaction)
      env.my.Exec(rotate + " WHERE id BETWEEN " + std::to_string(first) + " AND " +
                  std::to_string(first + per_transaction - 1));
  }
  const double statements_s = Seconds(start);
  while (task.RowsApplied() - before < rows) {
    if (Seconds(start) > 3600) throw std::runtime_error("the blob updates were not applied in an hour");
    std::this_thread::sleep_for(100ms);
  }
  const double s = Seconds(start);
  std::printf("real-time: UPDATE of every row's blob (%d rows, %s): source statements %.1f s, applied %.1f s after "
              "the first began; worker VmHWM now %.0f MB\n",
              rows, per_transaction ? (std::to_string(per_transaction) + " rows a transaction").c_str()
                                    : "one transaction",
              statements_s, s, task.HwmMb());
  return s;
}

void RunBlob(Env& env, int rows, int kb) {
  PrintLoad("start");
  std::printf("filling lob.t: %d rows of ~%d KB random bytes + ~%d KB non-ASCII text...\n", rows, kb, kb);
  FillBlobTable(env, rows, kb);
  const double largest_row_mb =
      std::stod(env.my.Scalar("SELECT MAX(LENGTH(b) + LENGTH(t)) FROM lob.t")) / (1024.0 * 1024.0);
  const double total_mb = std::stod(env.my.Scalar("SELECT SUM(LENGTH(b) + LENGTH(t)) FROM lob.t")) / (1024.0 * 1024.0);
  std::printf("  %.0f MB in all, the largest row %.2f MB\n", total_mb, largest_row_mb);

  Task task(env.cli, "blob", "lob.t");
  const auto [copy_s, realtime_s] = Initialize(env, task, 7301, 250ms, [](const nlohmann::json&, Clock::time_point) {});
  const double init_hwm = task.HwmMb();
  std::printf("full initialization: copy done %.1f s after `sync start` (%.1f MB/s), real-time sync running at "
              "%.1f s; worker VmHWM %.0f MB = %.1fx the largest row\n",
              copy_s, total_mb / copy_s, realtime_s, init_hwm, init_hwm / largest_row_mb);
  if (BlobSourceFingerprint(env) != BlobDestinationFingerprint(env, "lob.t"))
    throw std::runtime_error("after full initialization the destination's values differ from the source's");

  const double small_tx_s = BlobUpdate(env, task, rows, 10);
  const double one_tx_s = BlobUpdate(env, task, rows, 0);
  const double hwm = task.HwmMb();
  const std::string source = BlobSourceFingerprint(env), destination = BlobDestinationFingerprint(env, "lob.t");
  task.Stop();

  const std::string tsv = env.Export("blob", "SELECT id, CONCAT('\\\\x', HEX(b)), t FROM lob.t ORDER BY id");
  const double copy_peer_s = env.CopyPeer("lob.t", tsv);
  std::remove(tsv.c_str());
  const std::string peer = BlobDestinationFingerprint(env, "peer.t");
  PrintLoad("end");
  std::printf("\nBLOB %d rows, %.0f MB, largest row %.2f MB:\n", rows, total_mb, largest_row_mb);
  std::printf("  full initialization %.1f s, \\copy %.1f s: %.2fx the time of \\copy\n", copy_s, copy_peer_s,
              copy_s / copy_peer_s);
  std::printf("  real-time UPDATE of every blob: 10 rows a transaction %.1f s, one transaction %.1f s\n", small_tx_s,
              one_tx_s);
  std::printf("  worker VmHWM %.0f MB after the copy, %.0f MB at the end = %.1fx the largest row\n", init_hwm, hwm,
              hwm / largest_row_mb);
  std::printf("  final comparison (md5 of every value): source %s, destination %s, \\copy %s: %s\n", source.c_str(),
              destination.c_str(), peer.c_str(), source == destination && source == peer ? "EQUAL" : "DIFFERENT");
  if (source != destination) throw std::runtime_error("the destination's values differ from the source's");
}

// ---------------------------------------------------------------- columns

// Column i (1-based) of the wide table: its type and the value of row `seq`
// (every fourth an INT, a VARCHAR, a DECIMAL, a DATETIME).
std::string WideColumnType(int i) {
  switch (i % 4) {
    case 0: return "INT NOT NULL";
    case 1: return "VARCHAR(32) NOT NULL";
    case 2: return "DECIMAL(12,2) NOT NULL";
    default: return "DATETIME NOT NULL";
  }
}
std::string WideColumnValue(int i) {
  const std::string n = std::to_string(i);
  switch (i % 4) {
    case 0: return "seq * " + n + " % 100000";
    case 1: return "CONCAT('v', seq % 1000, '-', " + n + ")";
    case 2: return "(seq % 10000) / 4 + " + n;
    default: return "'2024-01-01' + INTERVAL (seq + " + n + ") MINUTE";
  }
}
std::string WideColumnName(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "c%04d", i);
  return name;
}

std::string WideFingerprint(const Env& env, const std::string& table) {
  return env.pg.Scalar("SELECT count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) FROM " + table + " t",
                       "dw");
}

void RunColumns(Env& env, int rows, int columns) {
  PrintLoad("start");
  std::printf("filling wide.t: %d rows of %d columns...\n", rows, columns);
  std::string ddl = "CREATE TABLE wide.t (id INT PRIMARY KEY", values = "seq", names = "id";
  for (int i = 1; i < columns; ++i) {
    ddl += ", " + WideColumnName(i) + " " + WideColumnType(i);
    values += ", " + WideColumnValue(i);
    names += ", " + WideColumnName(i);
  }
  ddl += ") DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC";
  env.my.Exec("CREATE DATABASE wide");
  // Strict mode refuses a table whose longest possible row exceeds InnoDB's
  // half page (250 VARCHAR(32) of utf8mb4); the rows stored are far shorter.
  env.my.ExecSession({"SET SESSION innodb_strict_mode = OFF", ddl});
  auto fill = Clock::now();
  for (int first = 1; first <= rows; first += 10000)
    env.my.ExecSession({"SET SESSION sql_log_bin = 0", "INSERT INTO wide.t SELECT " + values + " FROM seq.seq_" +
                                                           std::to_string(first) + "_to_" +
                                                           std::to_string(std::min(rows, first + 9999))});
  std::printf("  filled in %.1f s\n", Seconds(fill));

  Task task(env.cli, "wide", "wide.t");
  const auto [copy_s, realtime_s] = Initialize(env, task, 7302, 250ms, [](const nlohmann::json&, Clock::time_point) {});
  const double init_hwm = task.HwmMb();
  std::printf("full initialization: copy done %.1f s after `sync start` (%.0f rows/s), real-time sync running at "
              "%.1f s; worker VmHWM %.0f MB\n",
              copy_s, rows / copy_s, realtime_s, init_hwm);

  double statement_s = 0;
  const double update_s = task.ApplyAndWait(env.my, "UPDATE wide.t SET c0004 = c0004 + 1, c0001 = CONCAT(c0001, 'u')",
                                            rows, &statement_s);
  std::printf("real-time: UPDATE of all %d rows in one transaction: statement %.1f s, applied %.1f s after it began "
              "(%.0f rows/s)\n",
              rows, statement_s, update_s, rows / update_s);
  double chunked_s = 0;
  {
    const long before = task.RowsApplied();
    auto at = Clock::now();
    for (int first = 1; first <= rows; first += 1000)
      env.my.Exec("UPDATE wide.t SET c0008 = c0008 + 1 WHERE id BETWEEN " + std::to_string(first) + " AND " +
                  std::to_string(first + 999));
    while (task.RowsApplied() - before < rows) {
      if (Seconds(at) > 3600) throw std::runtime_error("the updates were not applied in an hour");
      std::this_thread::sleep_for(100ms);
    }
    chunked_s = Seconds(at);
  }
  std::printf("real-time: UPDATE of all %d rows, 1000 rows a transaction: applied %.1f s after the first began "
              "(%.0f rows/s)\n",
              rows, chunked_s, rows / chunked_s);
  const double hwm = task.HwmMb();
  task.Stop();

  const std::string tsv = env.Export("wide", "SELECT " + names + " FROM wide.t ORDER BY id");
  const double copy_peer_s = env.CopyPeer("wide.t", tsv);
  std::remove(tsv.c_str());
  const std::string synced = WideFingerprint(env, "wide.t"), copied = WideFingerprint(env, "peer.t");
  PrintLoad("end");
  std::printf("\nCOLUMNS %d rows x %d columns:\n", rows, columns);
  std::printf("  full initialization %.1f s, \\copy %.1f s: %.2fx the time of \\copy\n", copy_s, copy_peer_s,
              copy_s / copy_peer_s);
  std::printf("  real-time UPDATE of every row: one transaction %.1f s, 1000 rows a transaction %.1f s\n", update_s,
              chunked_s);
  std::printf("  worker VmHWM %.0f MB after the copy, %.0f MB at the end\n", init_hwm, hwm);
  std::printf("  final comparison (count:sum(hashtext(row::text)), sync vs \\copy of the source at the end): %s vs %s: "
              "%s\n",
              synced.c_str(), copied.c_str(), synced == copied ? "EQUAL" : "DIFFERENT");
  if (synced != copied) throw std::runtime_error("the destination's rows differ from the source's");
}

// ---------------------------------------------------------------- big

struct Sample {
  double at = 0;  // seconds after `sync start`
  long rows = 0, estimated = 0, eta = -1;
  double percent = 0, rss_mb = 0;
};

void RunBig(Env& env, long rows) {
  PrintLoad("start");
  std::printf("filling big.t: %ld rows (sequence engine, 1M rows a statement, not binlogged)...\n", rows);
  env.my.Exec("CREATE DATABASE big");
  env.my.Exec("CREATE TABLE big.t (id BIGINT PRIMARY KEY, a INT NOT NULL, b BIGINT NOT NULL)");
  auto fill = Clock::now();
  for (long first = 1; first <= rows; first += 1000000)
    env.my.ExecSession({"SET SESSION sql_log_bin = 0", "INSERT INTO big.t SELECT seq, seq % 1000, seq * 3 FROM seq.seq_" +
                                                           std::to_string(first) + "_to_" +
                                                           std::to_string(std::min(rows, first + 999999))});
  std::printf("  filled in %.1f s; information_schema.TABLES.TABLE_ROWS says %s\n", Seconds(fill),
              env.my.Scalar("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA='big'").c_str());

  Task task(env.cli, "big", "big.t");
  std::vector<Sample> samples;
  std::printf("%8s %12s %12s %7s %8s %8s\n", "t (s)", "rows", "estimated", "%", "ETA (s)", "RSS MB");
  // Asked every 500 ms (the end of the copy within that), a sample kept every 2 s.
  auto sampled = Clock::now() - 2s;
  auto sample = [&](const nlohmann::json& s, Clock::time_point start) {
    const auto t = task.TableStatus(s);
    if (t.value("state", "") != "copying" || Seconds(sampled) < 2) return;
    sampled = Clock::now();
    Sample x{Seconds(start), t.value("rows", 0L), t.value("estimated_rows", 0L), t.value("eta_seconds", -1L),
             t.value("percent", 0.0), task.RssMb()};
    samples.push_back(x);
    std::printf("%8.1f %12ld %12ld %7.1f %8ld %8.1f\n", x.at, x.rows, x.estimated, x.percent, x.eta, x.rss_mb);
  };
  const auto [copy_s, realtime_s] = Initialize(env, task, 7303, 500ms, sample);
  const double hwm = task.HwmMb();
  double rss_max = 0;
  for (const auto& x : samples) rss_max = std::max(rss_max, x.rss_mb);
  task.Stop();

  std::printf("\nETA against the actual end of the copy (%.1f s after `sync start`): predicted end = t + ETA\n",
              copy_s);
  std::printf("%6s %8s %12s %7s %8s %12s %10s\n", "copied", "t (s)", "rows", "%", "ETA (s)", "actual left", "error");
  for (double f : {0.10, 0.25, 0.50, 0.75, 0.90}) {
    auto it = std::find_if(samples.begin(), samples.end(), [&](const Sample& x) { return x.rows >= f * double(rows); });
    if (it == samples.end()) {
      std::printf("%5.0f%%  (no sample)\n", f * 100);
      continue;
    }
    const double left = copy_s - it->at;
    if (it->eta < 0) {
      std::printf("%5.0f%% %8.1f %12ld %7.1f  (no ETA yet: the rate needs a second of copying)\n", f * 100, it->at,
                  it->rows, it->percent);
      continue;
    }
    std::printf("%5.0f%% %8.1f %12ld %7.1f %8ld %10.1f s %+8.1f s (%+.0f%%)\n", f * 100, it->at, it->rows, it->percent,
                it->eta, left, double(it->eta) - left, 100.0 * (double(it->eta) - left) / left);
  }

  const std::string source = env.my.Scalar("SELECT CONCAT(COUNT(*), ':', SUM(id), ':', SUM(a), ':', SUM(b)) FROM big.t");
  const std::string destination =
      env.pg.Scalar("SELECT count(*) || ':' || sum(id) || ':' || sum(a) || ':' || sum(b) FROM big.t", "dw");
  const std::string tsv = env.Export("big", "SELECT id, a, b FROM big.t");
  const double copy_peer_s = env.CopyPeer("big.t", tsv);
  std::remove(tsv.c_str());
  PrintLoad("end");
  std::printf("\nBIG %ld rows:\n", rows);
  std::printf("  full initialization %.1f s (%.0f rows/s; real-time sync running at %.1f s), \\copy %.1f s: %.2fx "
              "the time of \\copy\n",
              copy_s, rows / copy_s, realtime_s, copy_peer_s, copy_s / copy_peer_s);
  std::printf("  worker RSS at most %.0f MB in the samples, VmHWM %.0f MB (bound 200 MB)\n", rss_max, hwm);
  std::printf("  final comparison (count:sum(id):sum(a):sum(b)): source %s, destination %s: %s\n", source.c_str(),
              destination.c_str(), source == destination ? "EQUAL" : "DIFFERENT");
  if (source != destination) throw std::runtime_error("the destination's rows differ from the source's");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a file
  try {
    if (which != "blob" && which != "columns" && which != "big") {
      std::cerr << "usage: data_scale_bench blob [rows=300] [value_kb=1024] | columns [rows=100000] [columns=1000] | "
                   "big [rows=50000000]\n";
      return 2;
    }
    std::cout << "starting MariaDB and PostgreSQL..." << std::endl;
    Env env;
    if (which == "blob") RunBlob(env, argc > 2 ? std::atoi(argv[2]) : 300, argc > 3 ? std::atoi(argv[3]) : 1024);
    if (which == "columns") RunColumns(env, argc > 2 ? std::atoi(argv[2]) : 100000, argc > 3 ? std::atoi(argv[3]) : 1000);
    if (which == "big") RunBig(env, argc > 2 ? std::atol(argv[2]) : 50000000L);
  } catch (const std::exception& e) {
    std::cerr << "data_scale_bench failed: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
