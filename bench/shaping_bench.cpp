// What tables[].dml and tables[].extra_fields cost (issue 13): the same
// full initialization and real-time apply, MariaDB -> PostgreSQL through the
// CLI, once plain and once with a DML filter (on insert and update, keeping
// every row, so both write the same rows) and two added fields
// (${TABLE_NAME_SRC} as text, ${EXECUTE_TIME} as bigint). Two table shapes:
// the 10-column mixed table and a narrow (id, v) one. Each pair runs
// `rounds` times, alternating which goes first; the best of each is
// compared. Target: shaped within 10% of plain.
//
// Times are taken at the destination: the copy is done when the table holds
// every row; the apply of `UPDATE ... SET x = x + 1` (one source transaction)
// is done when every row has its new value.

#include <cstdio>
#include <iostream>
#include <thread>

#include "bench_util.hpp"
#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::bench;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace {

struct Shape {
  std::string name;
  std::string table;      // db.table at the source
  std::string column;     // the column the UPDATE increments
  std::string condition;  // true for every row
};

struct Times {
  double init_s = 1e9, apply_s = 1e9, peak_mb = 0;
};

long CountAt(PostgresServer& pg, const std::string& sql) {
  auto conn = pg.Admin("dw");
  auto r = conn.Query(sql);
  return r.ok() ? std::atol(r->Scalar().c_str()) : -1;
}

// One task over `shape` into schema `schema`: its copy and its apply of one UPDATE.
Times RunOnce(SyncEnvironment& env, const Shape& shape, int rows, bool shaped, int run) {
  const std::string name = "shape" + std::to_string(run);
  const std::string schema = "r" + std::to_string(run);
  const std::string db = shape.table.substr(0, shape.table.find('.'));
  const std::string dest = schema + "." + shape.table.substr(shape.table.find('.') + 1);
  std::string yaml = TaskYaml(name, env.mysql, env.pg, "root", MariaDbServer::kRootPassword, "[" + shape.table + "]",
                              6000 + run) +
                     "mapping: { schema: '" + schema + "' }\n"
                     "runtime: { batch_rows: 10000 }\n";
  if (shaped)
    yaml += "tables:\n  - match: " + shape.table + "\n    dml:\n      insert: { action: filter, condition: '" +
            shape.condition + "' }\n      update: { action: filter, condition: '" + shape.condition +
            "' }\n    extra_fields:\n      - { name: src, type: text, value: '${TABLE_NAME_SRC}' }\n"
            "      - { name: written, type: bigint, value: '${EXECUTE_TIME}' }\n";
  CliTask task{env.cli, name};
  auto created = env.cli.Run({"create", "--no-check", "-f", env.cli.WriteSpec(name + ".yaml", yaml)});
  if (created.exit_code != 0) throw std::runtime_error(created.err);
  Times t;
  auto start = Clock::now();
  auto started = env.cli.Run({"start", name});
  if (started.exit_code != 0) throw std::runtime_error(started.out + started.err);
  while (CountAt(env.pg, "SELECT count(*) FROM " + dest) != rows) {
    if (Seconds(start) > 1800) throw std::runtime_error("the copy did not finish in 30 minutes");
    std::this_thread::sleep_for(50ms);
  }
  t.init_s = Seconds(start);
  // Real-time: the worker streams once its status says so.
  while (task.Status()["steps"]["realtime_sync"].value("state", "") != "running") std::this_thread::sleep_for(50ms);
  const std::string target = env.mysql.Scalar("SELECT SUM(" + shape.column + ") + " + std::to_string(rows) +
                                              " FROM " + shape.table);
  auto update = Clock::now();
  env.mysql.Exec("UPDATE " + shape.table + " SET " + shape.column + " = " + shape.column + " + 1");
  while (std::to_string(CountAt(env.pg, "SELECT SUM(" + shape.column + ") FROM " + dest)) != target) {
    if (Seconds(update) > 1800) throw std::runtime_error("the update did not arrive in 30 minutes");
    std::this_thread::sleep_for(50ms);
  }
  t.apply_s = Seconds(update);
  t.peak_mb = task.WorkerPeakMb();
  if (shaped && CountAt(env.pg, "SELECT count(*) FROM " + dest + " WHERE src IS NULL OR written IS NULL") != 0)
    throw std::runtime_error("added fields missing in " + dest);
  env.cli.Run({"stop", name});
  env.pg.Exec("DROP SCHEMA " + schema + " CASCADE", "dw");
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 500000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 2;
  try {
    std::cout << "starting MariaDB and PostgreSQL, loading " << rows << " rows per table..." << std::endl;
    SyncEnvironment env;
    CreateMixedTable(env.mysql, rows);
    env.mysql.Exec("CREATE TABLE b.narrow (id BIGINT PRIMARY KEY, v INT NOT NULL)");
    env.mysql.Exec("INSERT INTO b.narrow SELECT seq, seq % 1000 FROM seq.seq_1_to_" + std::to_string(rows));
    const std::vector<Shape> shapes = {
        {"mixed (10 columns)", "b.mixed", "i", "i >= 0 AND s LIKE ''name-%''"},
        {"narrow (id, v)", "b.narrow", "v", "v >= 0"},
    };
    int run = 0;
    std::vector<std::string> summary;
    for (const auto& shape : shapes) {
      Times plain, shaped;
      for (int r = 0; r < rounds; ++r) {
        for (bool with : {r % 2 == 1, r % 2 == 0}) {
          Times t = RunOnce(env, shape, rows, with, run++);
          Times& best = with ? shaped : plain;
          best.init_s = std::min(best.init_s, t.init_s);
          best.apply_s = std::min(best.apply_s, t.apply_s);
          best.peak_mb = std::max(best.peak_mb, t.peak_mb);
          std::printf("  %s, %s: full initialization %.2f s, real-time apply of %d updated rows %.2f s, worker "
                      "VmHWM %.0f MB\n",
                      shape.name.c_str(), with ? "filter + 2 added fields" : "plain", t.init_s, rows, t.apply_s,
                      t.peak_mb);
          std::cout << std::flush;
        }
      }
      char line[512];
      std::snprintf(line, sizeof line,
                    "%s, %d rows: full initialization %.2f s plain, %.2f s shaped = %.2fx; real-time apply %.2f s "
                    "plain, %.2f s shaped = %.2fx (target <= 1.10x)",
                    shape.name.c_str(), rows, plain.init_s, shaped.init_s, shaped.init_s / plain.init_s,
                    plain.apply_s, shaped.apply_s, shaped.apply_s / plain.apply_s);
      summary.push_back(line);
    }
    std::printf("\nRATIOS (best of %d runs each):\n", rounds);
    for (const auto& s : summary) std::printf("  %s\n", s.c_str());
  } catch (const std::exception& e) {
    std::cerr << "shaping_bench failed: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
