// MySQL -> StarRocks benchmarks of the whole product (the `sync` CLI and its
// worker) on one real MariaDB and the StarRocks emulator
// (tests/emulators/starrocks/), against the physical limit of that endpoint
// measured in the same run: `curl` sending the same rendered bytes.
//  1. full initialization of N rows (default 200k) of the 10-column mixed
//     table of postgres_bench.cpp, from `sync start` until `sync status`
//     reports the step done; against curl Stream Loads of the same JSON
//     bodies (rendered by the same encoder, 16 MB each) into an identical
//     empty table;
//  2. real-time apply of one `UPDATE b.mixed SET i = i + 1` (N rows), from
//     the source commit until the worker has applied N rows; against curl
//     Stream Loads of the N after-images (the tail of the transaction waits
//     for runtime.flush_ms, 5 s for StarRocks, which dominates small N);
//  3. the encoder alone: rows rendered to JSON per second and MB/s.
// The worker's peak memory (VmHWM) is reported. The emulator is Python: both
// sides of each ratio pay its cost, so the ratio is sync's overhead on top
// of the endpoint, not StarRocks' speed.
//
// Usage: starrocks_bench [rows=200000]

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench_util.hpp"
#include "harness/servers.hpp"
#include "harness/starrocks_emulator.hpp"
#include "sink/starrocks/sr_types.hpp"
#include "source/mysql/row_reader.hpp"
#include "source/mysql/schema_reader.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using bench::Clock;
using bench::Seconds;

namespace {

struct Bench {
  MariaDbServer my{{"--innodb-buffer-pool-size=512M", "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0"}};
  StarRocksEmulator sr;
  SyncCli cli;
  bench::CliTask task{cli, "bench"};
};

// The table's rows rendered as sync renders them, as JSON array bodies of
// about 16 MB; returns the encoding seconds.
double RenderBodies(Bench& b, const std::string& table, std::vector<std::string>* bodies, size_t* rows_out) {
  auto source = bench::ReadSourceTable(b.my, "b", table);
  auto columns = starrocks::MapColumns(source.schema, source.schema.primary_key);
  if (!columns.ok()) throw std::runtime_error(columns.status().message());
  starrocks::JsonRowEncoder encoder;
  auto start = Clock::now();
  std::string body;
  for (const auto& row : source.rows) {
    body.push_back(body.empty() ? '[' : ',');
    Status s = encoder.AppendRow(row, *columns, 0, &body);
    if (!s.ok()) throw std::runtime_error(s.message());
    if (body.size() >= (16u << 20)) {
      bodies->push_back(body + "]");
      body.clear();
    }
  }
  if (!body.empty()) bodies->push_back(body + "]");
  *rows_out = source.rows.size();
  return Seconds(start);
}

// Stream Loads each body with curl into `table`; returns the wall seconds.
double CurlLoads(Bench& b, const std::string& table, const std::vector<std::string>& bodies) {
  std::string file = b.cli.dir() + "/body.json";
  double total = 0;
  static int n = 0;  // labels are unique per database: never reuse one
  for (const auto& body : bodies) {
    std::ofstream(file, std::ios::binary) << body;
    std::string cmd = "curl -sS --fail --location-trusted -u root:" + std::string(StarRocksEmulator::kPassword) +
                      " -H 'Expect: 100-continue' -H 'format: json' -H 'strip_outer_array: true' "
                      "-H 'ignore_json_size: true' -H 'label: bench-" + table + "-" + std::to_string(n++) +
                      "' -T " + file + " http://127.0.0.1:" + std::to_string(b.sr.http_port()) + "/api/b/" + table +
                      "/_stream_load";
    auto start = Clock::now();
    auto r = RunProcess({"/bin/sh", "-c", cmd});
    total += Seconds(start);
    if (r.exit_code != 0 || r.out.find("\"Success\"") == std::string::npos)
      throw std::runtime_error("curl load failed: " + r.out.substr(0, 2000) + r.err.substr(0, 2000));
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 200000;
  try {
    std::cout << "starting MariaDB and the StarRocks emulator, loading " << rows << " rows..." << std::endl;
    Bench b;
    bench::CreateMixedTable(b.my, rows);

    // ---- 3. the encoder, and the bodies curl sends in 1(b).
    std::vector<std::string> bodies;
    size_t rendered = 0;
    double encode_s = RenderBodies(b, "mixed", &bodies, &rendered);
    size_t bytes = 0;
    for (const auto& body : bodies) bytes += body.size();
    std::printf("encoder: %zu rows -> %.1f MB of JSON in %.2f s: %.0f rows/s, %.0f MB/s\n", rendered, bytes / 1e6,
                encode_s, rendered / encode_s, bytes / 1e6 / encode_s);

    // ---- 1(b) curl: the same bytes into an identical empty table.
    auto conn = b.my.Admin();
    auto schema = mysql::ReadTableSchema(conn, "b", "mixed");
    auto columns = starrocks::MapColumns(*schema, schema->primary_key);
    starrocks::TableOptions options;
    options.replication_num = 1;
    b.sr.Exec("CREATE DATABASE IF NOT EXISTS b");
    b.sr.Exec(starrocks::CreateTableSql("b", "mixed_curl", *columns, options));
    double curl_s = CurlLoads(b, "mixed_curl", bodies);
    std::printf("1(b) curl Stream Load of the same %zu bodies: %.2f s\n", bodies.size(), curl_s);
    // The emulator rewrites its whole state on each commit: emptied, so that
    // sync's commits do not pay for the peer's rows.
    b.sr.Exec("DROP TABLE b.mixed_curl FORCE");

    // ---- 1(a) sync: full initialization.
    std::string yaml = "name: bench\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(b.my.port()) +
                       "\n  user: root\n  password: " + MariaDbServer::kRootPassword +
                       "\n  server_id: 7777\n  tables: [b.mixed]\ndestination:\n  type: starrocks\n  host: 127.0.0.1\n"
                       "  port: " + std::to_string(b.sr.query_port()) + "\n  http_port: " +
                       std::to_string(b.sr.http_port()) + "\n  database: b\n  user: root\n  password: " +
                       StarRocksEmulator::kPassword + "\n  replication_num: 1\n";
    double init_s = b.task.CreateAndStart(yaml);
    std::printf("1(a) sync full initialization of %d rows: %.2f s (%.0f rows/s)\n", rows, init_s, rows / init_s);
    std::printf("RATIO full initialization: sync / curl = %.2fx\n", init_s / curl_s);
    std::printf("worker peak memory after full initialization (VmHWM): %.0f MB\n", b.task.WorkerPeakMb());

    // ---- 2. real-time apply of one large UPDATE, and curl of its after-images.
    double apply_s = b.task.ApplyAndWait(b.my, "UPDATE b.mixed SET i = i + 1", rows);
    std::vector<std::string> after;
    size_t n = 0;
    (void)RenderBodies(b, "mixed", &after, &n);
    // The peer: the same after-images into the same table, as upserts.
    double curl_apply_s = CurlLoads(b, "mixed", after);
    std::printf("2 sync real-time apply of a %d-row UPDATE: %.2f s; curl of its after-images: %.2f s\n", rows,
                apply_s, curl_apply_s);
    std::printf("RATIO real-time apply: sync / curl = %.2fx\n", apply_s / curl_apply_s);
    std::printf("worker peak memory (VmHWM): %.0f MB\n", b.task.WorkerPeakMb());
    (void)b.cli.Run({"stop", "bench"});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "starrocks_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
