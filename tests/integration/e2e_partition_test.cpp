// tables[].partition end to end, from real MariaDB into PostgreSQL and the
// Hologres-flavoured PostgreSQL (which refuses COPY into a partition parent
// and DDL in a transaction that writes rows): a table partitioned by a month
// computed from a date column, one partitioned by a source column whose
// values include one that cannot be a plain table name. Full initialization
// through two SIGKILLs, then rows into new partitions, rows that move between
// partitions, updates and deletes. Every row must be at the destination, in
// the child table its partition value names; a row whose partition value is
// NULL stops the task naming the row, and bad settings are refused with what
// to fix.

#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace {

using Env = PostgresAndHologresEnvironment;

Env& E() {
  static Env env;
  return env;
}

std::string CreateTask(const std::string& file, const std::string& yaml) { return testing::CreateTask(E().cli, file, yaml); }

// The task's log, for what the destination's kind shows there.
std::string RunPartitioned(const PostgresServer& dest, const std::string& p, const std::string& type, int server_id) {
  const std::string orders = p + "_orders", events = p + "_events";
  E().mysql.Exec("CREATE TABLE shop." + orders + " (id INT PRIMARY KEY, created DATE NOT NULL, amount INT)");
  E().mysql.Exec("INSERT INTO shop." + orders + " SELECT seq, '2024-01-01' + INTERVAL (seq % 180) DAY, seq % 97 "
                 "FROM seq.seq_1_to_4000");
  E().mysql.Exec("CREATE TABLE shop." + events + " (id INT PRIMARY KEY, region VARCHAR(20) NOT NULL, v INT)");
  E().mysql.Exec("INSERT INTO shop." + events + " SELECT seq, ELT(1 + seq % 4, 'eu', 'us', 'ap', 'sa-east 1/x'), "
                 "seq FROM seq.seq_1_to_3000");
  const std::string settings =
      "tables:\n"
      "  - { match: shop." + orders + ", partition: { field: month, value: '${created:%Y%m}' } }\n"
      "  - { match: shop." + events + ", partition: { field: region } }\n";
  const std::string id = CreateTask(p + ".yaml", E().Yaml(p, "[shop." + p + "_*]", settings, dest, type, server_id));
  // The worker SIGKILLs itself once children are made (before their rows
  // are), and once a chunk's rows are in its children (before the chunk is
  // recorded): SYNC_TEST_CRASH_DIR, lib/sink/crash_point.hpp.
  const std::string crash_dir = E().cli.dir() + "/" + p + "-crash";
  std::filesystem::create_directories(crash_dir);
  const std::vector<std::string> points = {"postgres.partitions_made", "postgres.partition_chunk_copied"};
  for (const auto& point : points) std::ofstream(crash_dir + "/" + point) << "";
  RunOptions env;
  env.env["SYNC_TEST_CRASH_DIR"] = crash_dir;
  auto started = E().cli.Run({"start", id}, env);
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  REQUIRE(E().cli.WaitStreaming(id));
  for (const auto& point : points) CHECK_MESSAGE(!std::filesystem::exists(crash_dir + "/" + point), point);

  auto admin = E().mysql.Admin();
  for (const std::string& sql : std::vector<std::string>{
           // new partitions in real time, one by an update that moves the row
           "INSERT INTO shop." + orders + " VALUES (5001, '2024-07-15', 1), (5002, '2024-07-16', 2)",
           "UPDATE shop." + orders + " SET created = '2024-09-01' WHERE id = 10",
           "UPDATE shop." + orders + " SET created = '2024-02-29' WHERE id = 11",
           "UPDATE shop." + orders + " SET amount = amount + 1000 WHERE id <= 50",
           "DELETE FROM shop." + orders + " WHERE id IN (20, 5002)",
           "UPDATE shop." + events + " SET region = 'af' WHERE id = 5",
           "INSERT INTO shop." + events + " VALUES (5001, 'sa-east 1/x', 7), (5002, 'me', 8)",
           "DELETE FROM shop." + events + " WHERE id = 6",
           // a key change and a move in one transaction with an insert into a fresh partition
           "BEGIN", "UPDATE shop." + orders + " SET id = 9000, created = '2025-01-01' WHERE id = 30",
           "INSERT INTO shop." + orders + " VALUES (9001, '2025-02-02', 5)", "COMMIT",
           // larger than a batch, so applied in pieces, each reaching a month with no child yet
           "INSERT INTO shop." + orders + " SELECT 10000 + seq, '2026-01-01' + INTERVAL (seq DIV 3000) MONTH, 1 "
           "FROM seq.seq_0_to_8999"})
    REQUIRE_MESSAGE(admin.Execute(sql).ok(), sql);

  CHECK(QueriesConverge(E().mysql, dest, {{"SELECT id, created, amount, DATE_FORMAT(created, '%Y%m') FROM shop." + orders + " ORDER BY id",
                    "SELECT id, created, amount, month FROM shop." + orders + " ORDER BY id"},
                   {"SELECT id, region, v FROM shop." + events + " ORDER BY id",
                    "SELECT id, region, v FROM shop." + events + " ORDER BY id"}}));
  // Each row sits in the child its value names: <parent>_<value>, or a hash
  // of the value when it is no plain name.
  CHECK(dest.Scalar("SELECT relkind FROM pg_class WHERE relname = '" + orders + "'", "dw") == "p");
  CHECK(dest.Scalar("SELECT count(*) FROM shop." + orders + " o JOIN pg_class c ON c.oid = o.tableoid "
                    "WHERE c.relname <> '" + orders + "_' || o.month", "dw") == "0");
  CHECK(dest.Scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'shop." + orders + "'::regclass", "dw") ==
        "13");  // 202401..202406, 202407, 202409, 202501, 202502, 202601..202603
  CHECK(dest.Scalar("SELECT count(DISTINCT c.relname) FROM shop." + events + " e JOIN pg_class c ON c.oid = e.tableoid "
                    "WHERE c.relname = '" + events + "_' || e.region", "dw") == "5");  // eu us ap af me
  CHECK(dest.Scalar("SELECT count(*) FROM shop." + events + " e JOIN pg_class c ON c.oid = e.tableoid "
                    "WHERE e.region = 'sa-east 1/x' AND c.relname ~ '^" + events + "_[0-9a-f]{16}$'", "dw") == "751");
  // The key holds the partition column, as both servers want.
  CHECK(dest.Scalar("SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_constraint k JOIN pg_attribute a "
                    "ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) WHERE k.contype = 'p' AND "
                    "k.conrelid = 'shop." + events + "'::regclass", "dw") == "id,region");
  const std::string log = E().cli.Run({"logs", "-n", "300", id}).out;
  CHECK_MESSAGE(log.find("not supported") == std::string::npos, log);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  return log;
}

}  // namespace

TEST_CASE("PostgreSQL: list partitions made on demand, rows moving between them, through a SIGKILL") {
  const std::string log = RunPartitioned(E().pg, "pgp", "postgres", 7601);
  // PostgreSQL makes a later piece's children inside its transaction.
  CHECK_MESSAGE(log.find("new partition(s)") == std::string::npos, log);
}

TEST_CASE("Hologres: child tables made on demand outside the writing transaction, COPY into children only") {
  const std::string log = RunPartitioned(E().holo, "hgp", "hologres", 7602);
  // The transaction in pieces met months without a child: rolled back, the
  // child made, applied again (the converged rows above show it whole, once).
  CHECK_MESSAGE(log.find("which Hologres cannot create inside it; they are created now") != std::string::npos, log);
}

TEST_CASE("a row without a partition value stops the task naming the row; nothing after it is applied") {
  E().mysql.Exec("CREATE TABLE shop.np (id INT PRIMARY KEY, created DATE)");
  E().mysql.Exec("INSERT INTO shop.np SELECT seq, '2024-03-01' + INTERVAL seq DAY FROM seq.seq_1_to_100");
  const std::string id = CreateTask(
      "np.yaml", E().Yaml("np", "[shop.np]", "tables:\n  - { match: shop.np, partition: { field: ym, value: "
                                             "'${created:%Y-%m}' } }\n", E().pg, "postgres", 7603));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("INSERT INTO shop.np VALUES (101, '2030-01-01'), (102, NULL), (103, '2030-01-03')");
  E().mysql.Exec("INSERT INTO shop.np VALUES (104, '2030-01-04')");
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("the partition column ym of shop.np (tables[].partition) is NULL for the row with key "
                             "(id)=(102)") != std::string::npos, message);
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.np", "dw") == "100");
  CHECK(E().pg.Scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'shop.np'::regclass", "dw") != "0");
  (void)E().cli.Run({"stop", id});
}

TEST_CASE("bad partition settings: sync check and sync start say what to fix") {
  E().mysql.Exec("CREATE TABLE shop.bp (id INT PRIMARY KEY, created DATETIME, n BIGINT NOT NULL)");
  for (const auto& [file, setting, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"bp-own.yaml", "partition: { field: created, value: '${id}' }",
            "field 'created' is a column of the table, whose own values partition it"},
           {"bp-change.yaml", "partition: { field: day, value: '${EXECUTE_TIME}' }",
            "takes its value from the change, so a row would move to another partition"},
           {"bp-novalue.yaml", "partition: { field: day }",
            "field 'day' is not a column of the table; give value"},
           {"bp-column.yaml", "partition: { field: day, value: '${craeted:%Y}' }", "craeted"}}) {
    CAPTURE(file);
    const std::string yaml =
        E().Yaml(file.substr(0, file.find('.')), "[shop.bp]", "tables:\n  - match: shop.bp\n    " + setting + "\n",
                 E().pg, "postgres", 7604);
    auto check = E().cli.Run({"check", CreateTask(file, yaml)});
    CHECK(check.exit_code != 0);
    CHECK_MESSAGE(check.out.find(expected) != std::string::npos, check.out << check.err);
  }
  // A Hologres partition column must be text, varchar, integer or date: the worker says how to retype it.
  const std::string id = CreateTask(
      "bp-bigint.yaml", E().Yaml("bpbig", "[shop.bp]", "tables:\n  - { match: shop.bp, partition: { field: n } }\n",
                                 E().holo, "hologres", 7605));
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("the column n is bigint, and a partition column is text, varchar, integer or a date; "
                             "give it one with tables[].column_types (n: text)") != std::string::npos, message);
  (void)E().cli.Run({"stop", id});
}

TEST_CASE("a DDL that retypes, renames or drops a source partition column stops the task with the way past it") {
  // One task per kind: each stops its task at the statement; what came before is applied.
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"MODIFY region VARCHAR(40) NOT NULL", "modify_column"},
      {"RENAME COLUMN region TO area", "rename_column"},
      {"DROP COLUMN region", "drop_column"}};
  int server_id = 7610;
  for (const auto& [ddl, kind] : kinds) {
    CAPTURE(ddl);
    const std::string t = "pddl_" + std::to_string(server_id);
    E().mysql.Exec("CREATE TABLE shop." + t + " (id INT PRIMARY KEY, region VARCHAR(20) NOT NULL, v INT)");
    E().mysql.Exec("INSERT INTO shop." + t + " SELECT seq, ELT(1 + seq % 2, 'eu', 'us'), seq FROM seq.seq_1_to_100");
    const std::string id = CreateTask(
        t + ".yaml", E().Yaml(t, "[shop." + t + "]", "tables:\n  - { match: shop." + t + ", partition: { field: region } }\n",
                              E().pg, "postgres", server_id++));
    REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
    REQUIRE(E().cli.WaitStreaming(id));
    auto admin = E().mysql.Admin();
    REQUIRE(admin.Execute("UPDATE shop." + t + " SET v = v + 1 WHERE id <= 10").ok());
    REQUIRE(admin.Execute("ALTER TABLE shop." + t + " " + ddl).ok());
    REQUIRE(admin.Execute("UPDATE shop." + t + " SET v = v + 1 WHERE id <= 20").ok());
    const std::string message = WaitLastError(E().cli, id);
    CHECK_MESSAGE(message.find("a DDL statement (" + kind + ") changes column region of shop." + t +
                               ", the partition column of its destination table (tables[].partition), which a "
                               "partitioned table cannot follow; see sync-task(5)") != std::string::npos, message);
    CHECK(E().pg.Scalar("SELECT sum(v) FROM shop." + t, "dw") == "5060");
    (void)E().cli.Run({"stop", id});
  }
}
