// Source-side benchmarks against a real MariaDB started for the run:
//  1. binlog decoding of 1M updated rows of a 10-column mixed table, against
//     `mariadb-binlog -v --base64-output=decode-rows` on the same file (one core each);
//  2. snapshot read of the same 1M-row table, against
//     `mariadb --quick -e 'SELECT * ...' > /dev/null`.
// Peak memory (max RSS) is reported for every measured process or phase.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "harness/servers.hpp"
#include "source/mysql/binlog/binlog_decoder.hpp"
#include "source/mysql/binlog/binlog_file_reader.hpp"
#include "source/mysql/schema_reader.hpp"
#include "source/mysql/snapshot_reader.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

long MaxRssKb(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return ru.ru_maxrss;
}

// Runs a shell command pinned to one core; returns wall seconds and the child's max RSS.
std::pair<double, long> TimeCommand(const std::string& cmd) {
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec taskset -c 0 " + cmd).c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  double s = Seconds(start);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::cerr << "command failed: " << cmd << "\n";
  return {s, ru.ru_maxrss};
}

// Decodes every event of a binlog file; returns the number of row images' rows, or -1.
int64_t DecodeFile(const std::string& path) {
  uint64_t decoded_rows = 0;
  auto reader = binlog::BinlogFileReader::Open(path);
  if (!reader.ok()) {
    std::cerr << reader.status().message() << "\n";
    return -1;
  }
  binlog::BinlogDecoder decoder;
  binlog::RawEvent raw;
  while (true) {
    auto more = (*reader)->Next(&raw);
    if (!more.ok() || !*more) break;
    auto ev = decoder.Decode(raw.bytes, raw.position);
    if (!ev.ok()) {
      std::cerr << ev.status().message() << "\n";
      return -1;
    }
    if (auto* r = ev->get_if<binlog::RowsEvent>()) decoded_rows += r->rows.size();
  }
  return int64_t(decoded_rows);
}

}  // namespace

int main(int argc, char** argv) {
  // `source_bench --decode FILE [times]`: decoder only, for profiling with perf.
  if (argc > 2 && std::string(argv[1]) == "--decode") {
    const int times = argc > 3 ? std::atoi(argv[3]) : 1;
    auto start = Clock::now();
    int64_t decoded = 0;
    for (int i = 0; i < times; ++i) decoded += DecodeFile(argv[2]);
    std::printf("%lld rows in %.3f s\n", (long long)decoded, Seconds(start));
    return decoded < 0 ? 1 : 0;
  }
  int rows = argc > 1 ? std::atoi(argv[1]) : 1000000;
  std::cout << "starting MariaDB and loading " << rows << " rows..." << std::endl;
  MariaDbServer server({"--innodb-buffer-pool-size=512M", "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0"});
  server.Exec("CREATE DATABASE b");
  server.Exec("CREATE DATABASE seq");
  server.Exec(
      "CREATE TABLE b.mixed (id BIGINT PRIMARY KEY, i INT, u INT UNSIGNED, d DECIMAL(12,2), f DOUBLE,"
      " s VARCHAR(64), t TEXT, dt DATETIME(3), ts TIMESTAMP NULL, e ENUM('a','b','c'))");
  server.Exec("INSERT INTO b.mixed SELECT seq, seq % 1000, seq * 7, seq / 3, seq / 7.0, CONCAT('name-', seq),"
              " REPEAT('t', 40), '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL seq SECOND,"
              " ELT(1 + seq % 3, 'a', 'b', 'c') FROM seq.seq_1_to_" + std::to_string(rows));
  server.Exec("FLUSH BINARY LOGS");
  std::string file = server.Scalar("SHOW MASTER STATUS");
  server.Exec("UPDATE b.mixed SET i = i + 1, s = CONCAT(s, 'x')");  // 1M updated rows, before and after images
  server.Exec("FLUSH BINARY LOGS");
  std::string path = server.datadir() + "/" + file;
  std::cout << "binlog with the updates: " << path << std::endl;
  // SYNC_BENCH_KEEP_BINLOG=FILE keeps a copy for `source_bench --decode FILE`.
  if (const char* keep = std::getenv("SYNC_BENCH_KEEP_BINLOG")) {
    std::system(("cp " + path + " " + keep).c_str());
  }

  // 1. Decoder, in-process on one core.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  sched_setaffinity(0, sizeof one, &one);
  auto start = Clock::now();
  const int64_t decoded_rows = DecodeFile(path);
  if (decoded_rows < 0) return 1;
  double ours = Seconds(start);
  long ours_rss = MaxRssKb(RUSAGE_SELF);
  auto [peer, peer_rss] = TimeCommand("mariadb-binlog -v --base64-output=decode-rows " + path + " > /dev/null");
  auto [dump, dump_rss] = TimeCommand(std::string(SYNC_BINARY) + " binlog dump " + path + " > /dev/null");
  std::printf("\nbinlog decode, %lu updated rows (one core)\n", (unsigned long)decoded_rows);
  std::printf("  sync decoder (typed values)      %7.2f s  %9.0f rows/s  max RSS %ld MB\n", ours, decoded_rows / ours,
              ours_rss / 1024);
  std::printf("  sync binlog dump > /dev/null     %7.2f s  %9.0f rows/s  max RSS %ld MB\n", dump, decoded_rows / dump,
              dump_rss / 1024);
  std::printf("  mariadb-binlog -v > /dev/null    %7.2f s  %9.0f rows/s  max RSS %ld MB\n", peer, decoded_rows / peer,
              peer_rss / 1024);
  std::printf("  ratio decoder vs mariadb-binlog: %.2fx faster (target >= 3x); dump vs mariadb-binlog: %.2fx\n",
              peer / ours, peer / dump);

  // 2. Snapshot read (parallelism 1) vs the mariadb client streaming the same table.
  CPU_ZERO(&one);
  for (int c = 0; c < int(std::thread::hardware_concurrency()); ++c) CPU_SET(c, &one);
  sched_setaffinity(0, sizeof one, &one);
  mysql::Endpoint ep{"127.0.0.1", server.port(), "root", MariaDbServer::kRootPassword, 10, 600};
  auto reader = mysql::SnapshotReader::Open(ep);
  auto conn = mysql::Connection::Connect(ep);
  TableSchema schema = *mysql::ReadTableSchema(*conn, "b", "mixed");
  start = Clock::now();
  uint64_t read_rows = 0;
  auto r = reader->ReadChunk(schema, {}, [&](mysql::Row&&) {
    ++read_rows;
    return Status::Ok();
  });
  if (!r.ok()) {
    std::cerr << r.status().message() << "\n";
    return 1;
  }
  double snap = Seconds(start);
  long snap_rss = MaxRssKb(RUSAGE_SELF);
  auto [client, client_rss] =
      TimeCommand("mariadb --quick -h127.0.0.1 -P" + std::to_string(server.port()) + " -uroot -p" +
                  MariaDbServer::kRootPassword + " -e 'SELECT * FROM b.mixed' > /dev/null");
  std::printf("\nsnapshot read, %lu rows\n", (unsigned long)read_rows);
  std::printf("  sync snapshot reader             %7.2f s  %9.0f rows/s  max RSS (whole bench) %ld MB\n", snap,
              read_rows / snap, snap_rss / 1024);
  std::printf("  mariadb --quick > /dev/null      %7.2f s  %9.0f rows/s  max RSS %ld MB\n", client, read_rows / client,
              client_rss / 1024);
  std::printf("  ratio snapshot reader vs mariadb client: %.2fx (target >= 0.8x)\n", client / snap);
  return 0;
}
