// tables[].on_conflict end to end: mode: existing destination tables that
// another writer fills (rows of their own, a column the source lacks), from
// real MariaDB into PostgreSQL and the Hologres-flavoured PostgreSQL. Full
// initialization merges into the kept rows (through a SIGKILL of the worker),
// then real-time inserts, updates, deletes, a delete and insert of one key in
// one transaction and a key change meet rows the other writer put there.
// The destination must hold exactly what a model of each policy says.

#include <doctest/doctest.h>
#include <signal.h>

#include <map>
#include <thread>

#include "harness/conflict_model.hpp"
#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace {

struct Env : PostgresAndHologresEnvironment {
  Env() {
    for (auto* server : {&pg, &holo}) server->Exec("CREATE SCHEMA shop AUTHORIZATION loader", "dw");
  }
};

Env& E() {
  static Env env;
  return env;
}

constexpr int kSourceRows = 6000;     // ids 1..6000 at the source
constexpr int kTheirsFrom = 4001;     // ids 4001..8000 (and 9000) written by the other writer
constexpr int kTheirsTo = 8000;

std::optional<std::vector<std::string>> DestRows(const PostgresServer& dest, const std::string& table) {
  auto conn = postgres::Connection::Connect({"127.0.0.1", dest.port(), "dw", "postgres",
                                             PostgresServer::kSuperPassword, 5});
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query("SELECT id, v, note FROM shop." + table + " ORDER BY id");
  if (!r.ok()) return std::nullopt;
  return JoinedLines(r->rows);
}

void RunPolicies(const PostgresServer& dest, const std::string& prefix, const std::string& type, int server_id) {
  const std::vector<std::string> policies = {"replace", "update", "ignore"};
  std::map<std::string, ConflictModel> models;
  std::string tables_yaml = "tables:\n";
  for (const auto& policy : policies) {
    const std::string t = prefix + "_" + policy;
    E().mysql.Exec("CREATE TABLE shop." + t + " (id INT PRIMARY KEY, v VARCHAR(20))");
    E().mysql.Exec("INSERT INTO shop." + t + " SELECT seq, CONCAT('s', seq) FROM seq.seq_1_to_" +
                   std::to_string(kSourceRows));
    // The other writer's table: its own column with a default, its own rows.
    for (const std::string& sql :
         {"CREATE TABLE shop." + t + " (id integer PRIMARY KEY, v varchar(20), note text DEFAULT 'dflt')",
          "ALTER TABLE shop." + t + " OWNER TO loader",
          "INSERT INTO shop." + t + " SELECT g, 'dest', 'mine' FROM generate_series(" + std::to_string(kTheirsFrom) +
              ", " + std::to_string(kTheirsTo) + ") g",
          "INSERT INTO shop." + t + " VALUES (9000, 'dest9000', 'mine')"})
      dest.Exec(sql, "dw");
    ConflictModel& m = models[policy];
    m.policy = policy;
    for (int id = kTheirsFrom; id <= kTheirsTo; ++id) m.Theirs(id, "dest");
    m.Theirs(9000, "dest9000");
    for (int id = 1; id <= kSourceRows; ++id) m.Insert(id, "s" + std::to_string(id));
    tables_yaml += "  - { match: shop." + t + ", mode: existing, on_conflict: " + policy + " }\n";
  }
  auto created = E().cli.Run({"create", "--no-check", "-f",
                              E().cli.WriteSpec(prefix + ".yaml", E().Yaml(prefix, "[shop." + prefix + "_*]", tables_yaml,
                                                                       dest, type, server_id))});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));
  auto started = E().cli.Run({"start", id});
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);

  KillRunAndConverge(E().cli, E().mysql, id, prefix + "_", models, kTheirsFrom, kTheirsTo - 100,
                     [&](const std::string& table) { return DestRows(dest, table); }, 120s);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

}  // namespace

TEST_CASE("PostgreSQL: replace, update and ignore against another writer's rows, through a SIGKILL") {
  RunPolicies(E().pg, "pgc", "postgres", 7501);
}

TEST_CASE("Hologres: replace, update and ignore under Hologres' rules") {
  RunPolicies(E().holo, "hgc", "hologres", 7502);
}

TEST_CASE("on_conflict on a table written as a change log: sync check fails it and sync start refuses") {
  const std::string yaml =
      "name: mcconflict\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
      "\n  user: repl\n  password: repl-pw\n  server_id: 7503\n  tables: [shop.nothing]\n"
      "destination:\n  type: maxcompute\n  endpoint: http://127.0.0.1:1/api\n  project: p\n  access_id: a\n"
      "  access_key: k\ntables:\n  - { match: shop.nothing, on_conflict: ignore, write_mode: log }\n";
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("mcconflict.yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));
  auto started = E().cli.Run({"start", id});
  CHECK(started.exit_code != 0);
  CHECK_MESSAGE(started.err.find("(line 16): on_conflict: ignore is for keyed writes, and write_mode: log appends "
                                 "every change") != std::string::npos,
                started.err);
  CHECK(started.err.find("use on_conflict: replace, or write_mode: upsert") != std::string::npos);
  auto checked = E().cli.Run({"check", id});
  CHECK(checked.exit_code != 0);
  CHECK_MESSAGE(checked.out.find("tables.on_conflict") != std::string::npos, checked.out);
}
