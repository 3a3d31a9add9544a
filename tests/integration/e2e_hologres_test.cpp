// End to end into Hologres as far as one can run here: the sync binary from
// real MariaDB into a PostgreSQL that behaves as Hologres 2.2 where the two
// differ (tests/harness/hologres/: DML in a transaction block only with
// hg_experimental_enable_transaction, never after DDL; set_table_property's
// rules), logged in as an ordinary user.

#include <doctest/doctest.h>
#include <signal.h>

#include <random>
#include <thread>

#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace {

struct Env {
  MariaDbServer mysql;
  PostgresServer holo{PostgresOptions{.hologres_settings = true}};
  SyncCli cli;
  Env() {
    PrepareShopSource(mysql);
    PrepareDestinationDatabase(holo);
    holo.InstallHologresFixture("dw");
  }
};

Env& E() {
  static Env env;
  return env;
}

const char* kColumns = "id, name, amount, created";

std::vector<std::string> SourceRows(const std::string& table, const std::string& columns) {
  auto r = E().mysql.Admin().Query("SELECT " + columns + " FROM shop." + table + " ORDER BY id");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return JoinedLines(r->rows);
}

std::optional<std::vector<std::string>> DestRows(const std::string& table, const std::string& columns) {
  auto conn = postgres::Connection::Connect({"127.0.0.1", E().holo.port(), "dw", "postgres",
                                             PostgresServer::kSuperPassword, 5});
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query("SELECT " + columns + " FROM shop." + table + " ORDER BY id");
  if (!r.ok()) return std::nullopt;
  return JoinedLines(r->rows);
}

bool Converges(const std::string& table, const std::string& columns = kColumns) {
  return WaitConverged(
      {table}, [&](const std::string& t) { return std::optional(SourceRows(t, columns)); },
      [&](const std::string& t) { return DestRows(t, columns); }, 120s);
}

}  // namespace

TEST_CASE("Hologres: a task copies, streams changes and DDL, survives a SIGKILL and a stop, under Hologres' rules") {
  E().mysql.Exec("CREATE TABLE shop.orders (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), "
                 "created DATETIME)");
  E().mysql.Exec("INSERT INTO shop.orders SELECT seq, CONCAT('n', seq), seq / 7, '2024-01-01 00:00:00' + INTERVAL seq "
                 "MINUTE FROM seq.seq_1_to_3000");
  const std::string yaml =
      "name: holo\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
      "\n  user: repl\n  password: repl-pw\n  server_id: 7301\n  tables: [shop.orders]\ndestination:\n"
      "  type: hologres\n  host: 127.0.0.1\n  port: " + std::to_string(E().holo.port()) +
      "\n  database: dw\n  user: loader\n  password: loader-pw\n"
      "runtime: { batch_rows: 500, flush_ms: 200, snapshot_parallelism: 2, failover: { max_backoff_seconds: 1 } }\n";
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("holo.yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));
  auto started = E().cli.Run({"start", id});
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  REQUIRE_MESSAGE(Converges("orders"), E().cli.Run({"logs", "-n", "30", id}).out);
  REQUIRE(E().cli.WaitStreaming(id));
  // The table properties went in with CREATE TABLE (the fixture refuses them later).
  CHECK(E().holo.Scalar("SELECT string_agg(property_key || '=' || property_value, ',' ORDER BY property_key) FROM "
                        "hologres.hg_table_properties WHERE table_name = 'orders' AND property_key IN "
                        "('orientation', 'distribution_key')",
                        "dw") == "distribution_key=\"id\",orientation=column");
  std::mt19937 rng(31);
  Churn(E().mysql, "orders", 200, rng, 3500);
  CHECK(Converges("orders"));
  E().mysql.Exec("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(20)");
  E().mysql.Exec("UPDATE shop.orders SET note = 'changed' WHERE id <= 5");
  CHECK(Converges("orders", "id, name, amount, created, note"));
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  Churn(E().mysql, "orders", 100, rng, 3500);
  ::kill(pid, SIGKILL);
  Churn(E().mysql, "orders", 100, rng, 3500);
  CHECK(Converges("orders", "id, name, amount, created, note"));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  E().mysql.Exec("UPDATE shop.orders SET name = 'while stopped' WHERE id BETWEEN 10 AND 20");
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  CHECK(Converges("orders", "id, name, amount, created, note"));
  const std::string log = E().cli.Run({"logs", "-n", "200", id}).out;
  CHECK_MESSAGE(log.find("not supported now") == std::string::npos, log);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("Hologres: bitmap and dictionary columns, binlog level and TTL, and row TTL are set when a table is created") {
  E().mysql.Exec("CREATE TABLE shop.props (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, kind VARCHAR(10))");
  E().mysql.Exec("INSERT INTO shop.props SELECT seq, CONCAT('p', seq), 'k' FROM seq.seq_1_to_50");
  auto yaml = [](const std::string& settings) {
    return "name: holo-props\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
           "\n  user: repl\n  password: repl-pw\n  server_id: 7302\n  tables: [shop.props]\ndestination:\n"
           "  type: hologres\n  host: 127.0.0.1\n  port: " + std::to_string(E().holo.port()) +
           "\n  database: dw\n  user: loader\n  password: loader-pw\ntables:\n  - match: shop.props\n" + settings;
  };
  // Values Hologres refuses are refused when the spec is read.
  auto bad = E().cli.Run({"create", "--no-check", "-f",
                          E().cli.WriteSpec("props-bad.yaml", yaml("    binlog_level: full\n    time_to_live_in_seconds: 600\n"))});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(bad.err.find("props-bad.yaml:18:19: tables[].binlog_level: 'full' is not one of") != std::string::npos, bad.err);
  CHECK_MESSAGE(bad.err.find("tables[].time_to_live_in_seconds: 600 is out of range [86400") != std::string::npos, bad.err);
  const std::string good = "    bitmap_columns: [kind, 'name:off']\n    dictionary_encoding_columns: ['kind:on']\n"
                           "    binlog_level: replica\n    binlog_ttl: 86400\n    time_to_live_in_seconds: 31536000\n";
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("props.yaml", yaml(good))});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  REQUIRE_MESSAGE(Converges("props", "id, name, kind"), E().cli.Run({"logs", "-n", "30", id}).out);
  CHECK(E().holo.Scalar("SELECT string_agg(property_key || '=' || property_value, ';' ORDER BY property_key) FROM "
                        "hologres.hg_table_properties WHERE table_name = 'props' AND property_key IN "
                        "('bitmap_columns', 'dictionary_encoding_columns', 'binlog.level', 'binlog.ttl', "
                        "'time_to_live_in_seconds')",
                        "dw") == "binlog.level=replica;binlog.ttl=86400;bitmap_columns=\"kind\",\"name\":off;"
                                 "dictionary_encoding_columns=\"kind\":on;time_to_live_in_seconds=31536000");
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}
