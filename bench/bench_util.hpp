#pragma once
// What every benchmark measures with: wall seconds and a process's memory;
// and what the destination benchmarks (starrocks_bench, maxcompute_bench)
// share: the 10-column mixed table, its rows as sync's snapshot reader reads
// them, and a task driven through the `sync` CLI.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/servers.hpp"
#include "source/mysql/row_reader.hpp"
#include "source/mysql/schema_reader.hpp"

namespace dbsync::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point since, Clock::time_point until = Clock::now()) {
  return std::chrono::duration<double>(until - since).count();
}

// The p-th percentile (0-100, nearest rank) of `v`; 0 when empty.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, size_t(p / 100.0 * double(v.size() - 1) + 0.5));
  return v[i];
}

// "200,2000" -> {200, 2000}: a benchmark's list argument.
inline std::vector<int> IntList(const std::string& text) {
  std::vector<int> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) out.push_back(std::stoi(item));
  return out;
}

// Runs a shell command; returns wall seconds (throws when it fails).
inline double TimeShell(const std::string& cmd, const std::string& what) {
  auto start = Clock::now();
  auto r = testing::RunProcess({"/bin/sh", "-c", cmd});
  double s = Seconds(start);
  if (r.exit_code != 0)
    throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.err.substr(0, 4000) +
                             r.out.substr(0, 4000));
  return s;
}

// "VmRSS:   12345 kB" -> 12345 (0 when the process or the field is gone).
inline long ProcStatusKb(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  return 0;
}

// User + system CPU seconds a process has used (0 when it is gone); with
// `reaped_children`, also those of its children that ended and were waited for.
inline double ProcessCpuSeconds(int pid, bool reaped_children = false) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = stat.rfind(')');  // the command may hold spaces; the fields follow its ')'
  if (at == std::string::npos) return 0;
  std::istringstream fields(stat.substr(at + 2));
  std::string field;
  double ticks = 0;
  const int last = reaped_children ? 17 : 15;
  for (int i = 3; i <= last && fields >> field; ++i)
    if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);  // utime, stime[, cutime, cstime]
  return ticks / double(sysconf(_SC_CLK_TCK));
}

// The parent pid of `pid` (0 when it is gone).
inline int ParentPid(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = text.rfind(')');
  return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + 4);  // ") S PPID"
}

// The pid in the first line of a server's pid file (0 when it cannot be read).
inline int PidFromFile(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  in >> pid;
  return pid;
}

// User + system CPU seconds of this process's children that ended and were
// waited for (a shell and what it ran, such as psql or pgloader).
inline double ReapedChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU seconds of a server process and its children, living and ended (a
// PostgreSQL postmaster and its backends).
inline double ProcessTreeCpuSeconds(int pid) {
  double total = ProcessCpuSeconds(pid, true);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (ParentPid(std::atoi(name.c_str())) == pid) total += ProcessCpuSeconds(std::atoi(name.c_str()), true);
  }
  return total;
}

// The pid of a child of this process whose command line contains `part`, 0 if none.
inline int ChildPid(const std::string& part) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t at = text.rfind(')');
    if (at == std::string::npos || std::atoi(text.c_str() + at + 4) != getpid()) continue;  // ") S PPID"
    std::ifstream cmd(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (cmdline.find(part) != std::string::npos) return std::atoi(name.c_str());
  }
  return 0;
}

// b.mixed, the 10-column mixed table of postgres_bench.cpp (BIGINT key, INT,
// INT UNSIGNED, DECIMAL(12,2), DOUBLE, VARCHAR(64), TEXT, DATETIME(3),
// TIMESTAMP, ENUM), with `rows` rows; databases b and seq.
inline void CreateMixedTable(const testing::MariaDbServer& my, int rows) {
  my.Exec("CREATE DATABASE b");
  my.Exec("CREATE DATABASE seq");
  my.Exec(
      "CREATE TABLE b.mixed (id BIGINT PRIMARY KEY, i INT, u INT UNSIGNED, d DECIMAL(12,2), f DOUBLE,"
      " s VARCHAR(64), t TEXT, dt DATETIME(3), ts TIMESTAMP NULL, e ENUM('a','b','c'))");
  my.Exec("INSERT INTO b.mixed SELECT seq, seq % 1000, seq * 7, seq / 3, seq / 7.0, CONCAT('name-', seq),"
          " REPEAT('t', 40), '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL seq SECOND,"
          " ELT(1 + seq % 3, 'a', 'b', 'c') FROM seq.seq_1_to_" + std::to_string(rows));
}

// A source table's schema and its rows as sync's snapshot reader reads them
// (session in UTC), in key order.
struct SourceTable {
  TableSchema schema;
  std::vector<std::vector<Value>> rows;
};

inline SourceTable ReadSourceTable(const testing::MariaDbServer& my, const std::string& db, const std::string& table) {
  auto conn = my.Admin();
  auto schema = mysql::ReadTableSchema(conn, db, table);
  if (!schema.ok()) throw std::runtime_error(schema.status().message());
  SourceTable out{*schema, {}};
  std::string cols;
  for (const auto& c : schema->columns) cols += (cols.empty() ? "" : ", ") + mysql::QuoteIdentifier(c.name);
  (void)conn.Execute("SET time_zone = '+00:00'");
  auto read = mysql::ReadRows(conn, *schema, "SELECT " + cols + " FROM " + db + "." + table + " ORDER BY id",
                              [&](source::Row&& row) {
                                out.rows.push_back(std::move(row));
                                return dbsync::Status::Ok();
                              });
  if (!read.ok()) throw std::runtime_error(read.status().message());
  return out;
}

// A task run through the `sync` CLI, as a user runs it.
struct CliTask {
  const testing::SyncCli& cli;
  std::string name;
  // How often `sync status` is asked (each time a process; the worker
  // writes its status once a second).
  std::chrono::milliseconds poll{100};

  nlohmann::json Status() const {
    return nlohmann::json::parse(cli.Run({"status", name, "-o", "json"}).out, nullptr, false);
  }
  int WorkerPid() const {
    auto s = Status();
    return s.is_discarded() || !s.contains("worker") ? 0 : s["worker"].value("pid", 0);
  }
  long RowsApplied() const {
    auto s = Status();
    return s.is_discarded() ? 0 : s["steps"]["realtime_sync"].value("rows_applied", 0L);
  }
  // The worker's peak memory (VmHWM), 0 when it is gone.
  double WorkerPeakMb() const {
    int pid = WorkerPid();
    return pid ? ProcStatusKb(pid, "VmHWM") / 1024.0 : 0.0;
  }

  // `sync create` of the spec `yaml` (whose name is `name`), `sync start`;
  // the seconds from the start until the status says realtime_sync running.
  double CreateAndStart(const std::string& yaml) const {
    auto created = cli.Run({"create", "--no-check", "-f", cli.WriteSpec(name + ".yaml", yaml)});
    if (created.exit_code != 0) throw std::runtime_error(created.err);
    auto start = Clock::now();
    auto started = cli.Run({"start", name});
    if (started.exit_code != 0) throw std::runtime_error(started.out + started.err);
    while (true) {
      auto s = Status();
      if (!s.is_discarded() && s["steps"]["realtime_sync"].value("state", "") == "running") break;
      if (Seconds(start) > 3600) throw std::runtime_error("full initialization did not finish in an hour");
      std::this_thread::sleep_for(poll);
    }
    return Seconds(start);
  }

  // Runs `sql`, one source transaction changing `rows` rows, and returns the
  // seconds from its start until the worker has applied them; the
  // statement's own seconds (until its commit) in `*statement_s`.
  double ApplyAndWait(const testing::MariaDbServer& my, const std::string& sql, long rows,
                      double* statement_s = nullptr) const {
    long before = RowsApplied();
    auto start = Clock::now();
    my.Exec(sql);
    if (statement_s) *statement_s = Seconds(start);
    while (RowsApplied() - before < rows) {
      if (Seconds(start) > 3600) throw std::runtime_error("the transaction was not applied in an hour");
      std::this_thread::sleep_for(poll);
    }
    return Seconds(start);
  }
};

}  // namespace dbsync::bench
