// The columns a destination table gets, end to end from real MariaDB:
// tables[].exclude_columns and tables[].column_names through full
// initialization, changes and DDL (PostgreSQL and the Hologres fixture), and
// ddl.<kind>: ignore for column changes and new tables, whose effect on the
// destination must hold through a SIGKILL of the worker (it is kept with the
// task's schema state).

#include <doctest/doctest.h>
#include <signal.h>

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

std::string CreateAndStart(const std::string& file, const std::string& yaml) {
  return CreateAndStartTask(E().cli, file, yaml);
}

std::string Columns(const PostgresServer& dest, const std::string& table) {
  return dest.Scalar("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                     "WHERE table_schema = 'shop' AND table_name = '" + table + "'", "dw");
}

void Exec(const std::vector<std::string>& statements) {
  auto admin = E().mysql.Admin();
  for (const auto& sql : statements) REQUIRE_MESSAGE(admin.Execute(sql).ok(), sql);
}

void ExcludedAndRenamed(const PostgresServer& dest, const std::string& t, const std::string& type, int server_id) {
  E().mysql.Exec("CREATE TABLE shop." + t + " (id INT PRIMARY KEY, name VARCHAR(40), secret VARCHAR(40), age INT)");
  E().mysql.Exec("INSERT INTO shop." + t + " SELECT seq, CONCAT('n', seq), CONCAT('s', seq), seq % 90 "
                 "FROM seq.seq_1_to_2000");
  const std::string settings = "tables:\n  - match: shop." + t + "\n    exclude_columns: [secret]\n"
                               "    column_names: { name: full_name }\n";
  const std::string id = CreateAndStart(t + ".yaml", E().Yaml(t, "[shop." + t + "]", settings, dest, type, server_id));
  REQUIRE(E().cli.WaitStreaming(id));
  Exec({"UPDATE shop." + t + " SET name = CONCAT(name, '!'), secret = 'changed' WHERE id <= 100",
        "INSERT INTO shop." + t + " VALUES (3001, 'new', 'hidden', 1)", "DELETE FROM shop." + t + " WHERE id = 7",
        // DDL: one on a renamed column, one added, two on the excluded column (nothing at the destination)
        "ALTER TABLE shop." + t + " MODIFY name VARCHAR(80)",
        "ALTER TABLE shop." + t + " ADD COLUMN city VARCHAR(20) NOT NULL DEFAULT 'x'",
        "ALTER TABLE shop." + t + " MODIFY secret VARCHAR(80)",
        "UPDATE shop." + t + " SET name = REPEAT('y', 70), city = 'z' WHERE id = 3001",
        "ALTER TABLE shop." + t + " DROP COLUMN secret", "INSERT INTO shop." + t + " VALUES (3002, 'last', 2, 'q')"});
  CHECK_MESSAGE(QueriesConverge(E().mysql, dest,
                                {{"SELECT id, name, age, city FROM shop." + t + " ORDER BY id",
                                  "SELECT id, full_name, age, city FROM shop." + t + " ORDER BY id"}}),
                E().cli.Run({"logs", "-n", "40", id}).out);
  CHECK(Columns(dest, t) == "id,full_name,age,city");
  CHECK(dest.Scalar("SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = 'shop' "
                    "AND table_name = '" + t + "' AND column_name = 'full_name'", "dw") == "80");
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

}  // namespace

TEST_CASE("PostgreSQL: excluded and renamed columns through the copy, changes and DDL") {
  ExcludedAndRenamed(E().pg, "pgcols", "postgres", 7701);
}

TEST_CASE("Hologres: excluded and renamed columns under Hologres' rules") {
  ExcludedAndRenamed(E().holo, "hgcols", "hologres", 7702);
}

TEST_CASE("ddl ignore: the destination keeps what it had through column changes, a new table and a SIGKILL") {
  E().mysql.Exec("CREATE TABLE shop.ig (id INT PRIMARY KEY, a VARCHAR(10), b INT, c INT)");
  E().mysql.Exec("INSERT INTO shop.ig SELECT seq, CONCAT('a', seq), seq, seq * 10 FROM seq.seq_1_to_100");
  const std::string settings = "ddl: { add_column: ignore, drop_column: ignore, rename_column: ignore, "
                               "modify_column: ignore, create_table: ignore }\n";
  const std::string id = CreateAndStart("ig.yaml", E().Yaml("ig", "[shop.ig, shop.ig_*]", settings, E().pg, "postgres",
                                                            7703));
  REQUIRE(E().cli.WaitStreaming(id));
  Exec({"ALTER TABLE shop.ig ADD COLUMN d INT DEFAULT 7", "INSERT INTO shop.ig VALUES (101, 'x', 1, 1, 1)",
        "ALTER TABLE shop.ig RENAME COLUMN a TO a2", "ALTER TABLE shop.ig MODIFY b BIGINT",
        "ALTER TABLE shop.ig DROP COLUMN c", "CREATE TABLE shop.ig_new (id INT PRIMARY KEY)",
        "INSERT INTO shop.ig_new VALUES (1)",
        "UPDATE shop.ig SET a2 = CONCAT(a2, '+'), b = b + 1000, d = 8 WHERE id <= 10",
        "INSERT INTO shop.ig VALUES (102, 'y', 2, 9)"});
  // What the destination holds: a (the source's a2), b as integer, c left
  // NULL by every row written after the drop (101 was written before it), no d.
  const std::pair<std::string, std::string> rows = {
      "SELECT id, a2, b, IF(id BETWEEN 11 AND 100, id * 10, IF(id = 101, 1, NULL)) FROM shop.ig ORDER BY id",
      "SELECT id, a, b, c FROM shop.ig ORDER BY id"};
  REQUIRE_MESSAGE(QueriesConverge(E().mysql, E().pg, {rows}), E().cli.Run({"logs", "-n", "40", id}).out);
  // A restarted worker binds the table as the destination has it.
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  REQUIRE(WorkerPid(E().cli, id, pid) > 0);
  Exec({"UPDATE shop.ig SET a2 = 'after', d = 9 WHERE id IN (50, 101)", "INSERT INTO shop.ig VALUES (103, 'z', 3, 9)",
        "ALTER TABLE shop.ig ADD COLUMN e INT", "UPDATE shop.ig SET e = 1 WHERE id = 103"});
  CHECK(QueriesConverge(E().mysql, E().pg,
                        {{"SELECT id, a2, b, IF(id BETWEEN 11 AND 100 AND id <> 50, id * 10, NULL) FROM shop.ig "
                          "ORDER BY id", rows.second}}));
  CHECK(Columns(E().pg, "ig") == "id,a,b,c");
  CHECK(E().pg.Scalar("SELECT data_type FROM information_schema.columns WHERE table_schema = 'shop' AND "
                      "table_name = 'ig' AND column_name = 'b'", "dw") == "integer");
  CHECK(E().pg.Scalar("SELECT to_regclass('shop.ig_new') IS NULL", "dw") == "t");
  const std::string log = E().cli.Run({"logs", "-n", "200", id}).out;
  for (const char* expected : {"ignoring add_column of shop.ig", "ignoring rename_column of shop.ig",
                               "keeps column a under that name", "ignoring drop_column of shop.ig",
                               "ignoring modify_column of shop.ig", "ignoring create_table of shop.ig_new"})
    CHECK_MESSAGE(log.find(expected) != std::string::npos, expected << "\n" << log);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("ddl.rename_table: ignore: destination tables keep their names through a rename, a swap, DDL and a SIGKILL") {
  for (const char* t : {"rn_a", "rn_b"}) {
    E().mysql.Exec(std::string("CREATE TABLE shop.") + t + " (id INT PRIMARY KEY, v VARCHAR(20))");
    E().mysql.Exec(std::string("INSERT INTO shop.") + t + " SELECT seq, CONCAT('" + t + "', seq) FROM seq.seq_1_to_300");
  }
  const std::string id = CreateAndStart(
      "rn.yaml", E().Yaml("rn", "[shop.rn_*]", "ddl: { rename_table: ignore }\n", E().pg, "postgres", 7704));
  REQUIRE(E().cli.WaitStreaming(id));
  Exec({"RENAME TABLE shop.rn_a TO shop.rn_a2", "INSERT INTO shop.rn_a2 VALUES (301, 'after rename')",
        "UPDATE shop.rn_a2 SET v = 'changed' WHERE id <= 5", "DELETE FROM shop.rn_a2 WHERE id = 6"});
  const std::string a_rows = "SELECT id, v FROM shop.rn_a ORDER BY id", b_rows = "SELECT id, v FROM shop.rn_b ORDER BY id";
  REQUIRE_MESSAGE(QueriesConverge(E().mysql, E().pg, {{"SELECT id, v FROM shop.rn_a2 ORDER BY id", a_rows}}),
                  E().cli.Run({"logs", "-n", "40", id}).out);
  CHECK(E().pg.Scalar("SELECT to_regclass('shop.rn_a2') IS NULL", "dw") == "t");
  // A swap through a temporary name: each destination table follows its rows.
  Exec({"RENAME TABLE shop.rn_a2 TO shop.rn_tmp, shop.rn_b TO shop.rn_a2, shop.rn_tmp TO shop.rn_b",
        "UPDATE shop.rn_b SET v = 'was a' WHERE id = 10", "UPDATE shop.rn_a2 SET v = 'was b' WHERE id = 10",
        "ALTER TABLE shop.rn_b ADD COLUMN w INT DEFAULT 1", "UPDATE shop.rn_b SET w = 2 WHERE id <= 20"});
  const std::vector<std::pair<std::string, std::string>> swapped = {
      {"SELECT id, v, w FROM shop.rn_b ORDER BY id", "SELECT id, v, w FROM shop.rn_a ORDER BY id"},
      {"SELECT id, v FROM shop.rn_a2 ORDER BY id", b_rows}};
  REQUIRE_MESSAGE(QueriesConverge(E().mysql, E().pg, swapped), E().cli.Run({"logs", "-n", "40", id}).out);
  // A restarted worker writes where the ignored renames left the rows.
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  REQUIRE(WorkerPid(E().cli, id, pid) > 0);
  Exec({"UPDATE shop.rn_b SET v = 'restarted' WHERE id BETWEEN 30 AND 40",
        "INSERT INTO shop.rn_a2 VALUES (302, 'restarted')", "DELETE FROM shop.rn_a2 WHERE id = 11"});
  CHECK(QueriesConverge(E().mysql, E().pg, swapped));
  CHECK(E().pg.Scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'shop' AND "
                      "table_name LIKE 'rn\\_%'", "dw") == "2");
  const std::string log = E().cli.Run({"logs", "-n", "200", id}).out;
  for (const char* expected : {"ignoring rename_table of shop.rn_a to shop.rn_a2",
                               "the destination table shop.rn_a keeps its name and takes shop.rn_a2's rows",
                               "ignoring rename_table of shop.rn_b to shop.rn_a2"})
    CHECK_MESSAGE(log.find(expected) != std::string::npos, expected << "\n" << log);
  // A new table whose name maps onto a destination table an ignored rename
  // kept would share it: the task stops before writing anything into it.
  Exec({"CREATE TABLE shop.rn_a (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO shop.rn_a VALUES (1, 'new')"});
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("would sync shop.rn_a and shop.rn_b into one destination table, shop.rn_a, which "
                             "shop.rn_b kept when its rename was ignored") != std::string::npos, message);
  CHECK_MESSAGE(message.find("needs ddl.rename_table: normal") != std::string::npos, message);
  CHECK(E().pg.Scalar("SELECT v FROM shop.rn_a WHERE id = 10", "dw") == "was a");
  (void)E().cli.Run({"stop", id});
}

TEST_CASE("a DDL that renames an excluded column to a name the destination would get stops the task, saying what to do") {
  E().mysql.Exec("CREATE TABLE shop.ex_ren (id INT PRIMARY KEY, secret VARCHAR(40), v INT)");
  E().mysql.Exec("INSERT INTO shop.ex_ren SELECT seq, CONCAT('s', seq), seq FROM seq.seq_1_to_100");
  const std::string id = CreateAndStart(
      "ex_ren.yaml", E().Yaml("ex_ren", "[shop.ex_ren]", "tables:\n  - { match: shop.ex_ren, exclude_columns: [secret] }\n",
                              E().pg, "postgres", 7655));
  REQUIRE(E().cli.WaitStreaming(id));
  Exec({"UPDATE shop.ex_ren SET v = v + 1 WHERE id <= 10", "ALTER TABLE shop.ex_ren RENAME COLUMN secret TO note",
        "UPDATE shop.ex_ren SET v = v + 1 WHERE id <= 20"});
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("a DDL statement renames column secret of shop.ex_ren, which tables[].exclude_columns "
                             "keeps from the destination, to note, which it does not; exclude note too") !=
                    std::string::npos, message);
  // Nothing after the statement is applied; what came before it is.
  CHECK(E().pg.Scalar("SELECT sum(v) FROM shop.ex_ren", "dw") == std::to_string(5050 + 10));
  CHECK(Columns(E().pg, "ex_ren") == "id,v");
  (void)E().cli.Run({"stop", id});
}
