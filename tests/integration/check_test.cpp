// `sync check` against real servers: every check item both passing and failing.

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "harness/servers.hpp"

using namespace dbsync::testing;
using nlohmann::json;

namespace {

// One MariaDB and one PostgreSQL for the whole file; created on first use.
struct Env {
  MariaDbServer mysql;
  PostgresServer pg;
  SyncCli cli;

  Env() {
    mysql.Exec("CREATE DATABASE shop");
    mysql.Exec("CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, amount DECIMAL(10,2))");
    mysql.Exec("CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(50))");
    mysql.Exec("CREATE TABLE shop.logs (msg TEXT)");
    mysql.Exec("CREATE DATABASE odd");
    mysql.Exec("CREATE TABLE odd.hosts (id INT PRIMARY KEY, addr INET6)");
    mysql.Exec("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw'");
    // REPLICATION MASTER ADMIN lets the check list replicas (MariaDB 10.5+).
    mysql.Exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'repl'@'%'");
    mysql.Exec("GRANT SELECT ON shop.* TO 'repl'@'%'");
    mysql.Exec("GRANT SELECT ON odd.* TO 'repl'@'%'");
    mysql.Exec("CREATE USER 'reader'@'%' IDENTIFIED BY 'reader-pw'");
    mysql.Exec("GRANT SELECT ON shop.* TO 'reader'@'%'");
    mysql.Exec("CREATE USER 'noselect'@'%' IDENTIFIED BY 'noselect-pw'");
    mysql.Exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'noselect'@'%'");
    mysql.Exec("GRANT INSERT ON shop.customers TO 'noselect'@'%'");
    pg.Exec("CREATE ROLE loader LOGIN PASSWORD 'loader-pw'");
    pg.Exec("CREATE ROLE weak LOGIN PASSWORD 'weak-pw'");
    pg.Exec("CREATE DATABASE dw");
    pg.Exec("GRANT CREATE ON DATABASE dw TO loader");
  }
};

Env& E() {
  static Env env;
  return env;
}

struct CheckRun {
  std::string task;
  int exit_code;
  json report;
  std::string out, err;
  std::string Result(const std::string& item) const {
    for (const auto& i : report["items"])
      if (i["name"] == item) return i["result"];
    return "absent";
  }
  std::string Reason(const std::string& item) const {
    for (const auto& i : report["items"])
      if (i["name"] == item) return i["reason"];
    return "";
  }
};

// Creates a task from `yaml` and runs `sync check` with `flags` as JSON.
CheckRun Check(const std::string& yaml, std::vector<std::string> flags = {}) {
  static int n = 0;
  std::string name = "t" + std::to_string(++n);
  std::string body = yaml;
  body.replace(body.find("name: X"), 7, "name: " + name);
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(name + ".yaml", body)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::vector<std::string> args = {"check", name, "--output", "json"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto r = E().cli.Run(args);
  CheckRun run{name, r.exit_code, json::parse(r.out.empty() ? "{}" : r.out, nullptr, false), r.out, r.err};
  INFO(r.out << r.err);
  REQUIRE(!run.report.is_discarded());
  return run;
}

std::string Spec(const std::string& user = "repl", const std::string& pw = "repl-pw",
                 const std::string& tables = "[shop.orders, shop.customers]", int server_id = 5401) {
  return TaskYaml("X", E().mysql, E().pg, user, pw, tables, server_id);
}

}  // namespace

TEST_CASE("a correctly configured task passes every item") {
  auto run = Check(Spec());
  INFO(run.out);
  CHECK(run.exit_code == 0);
  for (const char* item : {"source.connect", "source.version", "source.log_bin", "source.binlog_format",
                           "source.binlog_row_image", "source.binlog_retention", "source.privileges.replication",
                           "source.server_id", "source.tables", "source.privileges.select", "source.primary_keys",
                           "source.column_types", "destination.connect", "destination.version",
                           "destination.privileges"})
    CHECK_MESSAGE(run.Result(item) == "pass", item);
  CHECK(run.report["summary"]["fail"] == 0);
}

TEST_CASE("the text report has one line per item and a summary") {
  auto first = Check(Spec());
  auto r = E().cli.Run({"check", first.task});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("PASS  source.binlog_format") != std::string::npos);
  // The two warnings: source.tls and destination.tls, plain connections under mode preferred.
  CHECK(r.out.find("WARN  source.tls") != std::string::npos);
  CHECK(r.out.find("result: 15 passed, 2 warnings, 0 failed") != std::string::npos);
}

TEST_CASE("a table without a primary key is a warning, and --strict makes it fail") {
  auto run = Check(Spec("repl", "repl-pw", "[shop.*]"));
  CHECK(run.exit_code == 0);
  CHECK(run.Result("source.primary_keys") == "warn");
  CHECK(run.Reason("source.primary_keys").find("shop.logs") != std::string::npos);
  auto strict = Check(Spec("repl", "repl-pw", "[shop.*]"), {"--strict"});
  CHECK(strict.exit_code == 1);
}

TEST_CASE("a primary key given in the spec satisfies the primary key item") {
  auto run = Check(Spec("repl", "repl-pw", "[shop.*]") + "tables:\n  - match: shop.logs\n    primary_key: [msg]\n");
  CHECK(run.Result("source.primary_keys") == "pass");
}

TEST_CASE("a server with STATEMENT format, MINIMAL row image and no binlog fails those items") {
  MariaDbServer bad({"--binlog-format=STATEMENT", "--binlog-row-image=MINIMAL", "--skip-log-bin"});
  bad.Exec("CREATE DATABASE shop");
  bad.Exec("CREATE TABLE shop.orders (id INT PRIMARY KEY)");
  auto run = Check(TaskYaml("X", bad, E().pg, "root", MariaDbServer::kRootPassword, "[shop.orders]"));
  CHECK(run.exit_code == 1);
  CHECK(run.Result("source.log_bin") == "fail");
  CHECK(run.Result("source.binlog_format") == "fail");
  CHECK(run.Result("source.binlog_row_image") == "fail");
  CHECK(run.Reason("source.binlog_format").find("STATEMENT") != std::string::npos);
  CHECK(run.Result("source.connect") == "pass");
}

TEST_CASE("a user without replication privileges fails the replication privilege item") {
  auto run = Check(Spec("reader", "reader-pw"));
  CHECK(run.exit_code == 1);
  CHECK(run.Result("source.privileges.replication") == "fail");
  CHECK(run.Reason("source.privileges.replication").find("REPLICATION SLAVE") != std::string::npos);
}

TEST_CASE("REPLICATION SLAVE ADMIN is not mistaken for REPLICATION SLAVE") {
  E().mysql.Exec("CREATE USER IF NOT EXISTS 'admin_only'@'%' IDENTIFIED BY 'admin-pw'");
  E().mysql.Exec("GRANT REPLICATION SLAVE ADMIN, BINLOG MONITOR ON *.* TO 'admin_only'@'%'");
  E().mysql.Exec("GRANT SELECT ON shop.* TO 'admin_only'@'%'");
  auto run = Check(Spec("admin_only", "admin-pw"));
  CHECK(run.Result("source.privileges.replication") == "fail");
  CHECK(run.Reason("source.privileges.replication").find("lacks REPLICATION SLAVE") != std::string::npos);
}

TEST_CASE("a user without SELECT on a selected table fails the select privilege item") {
  auto run = Check(Spec("noselect", "noselect-pw", "[shop.customers]"));
  CHECK(run.exit_code == 1);
  CHECK(run.Result("source.privileges.replication") == "pass");
  CHECK(run.Result("source.privileges.select") == "fail");
  CHECK(run.Reason("source.privileges.select").find("shop.customers") != std::string::npos);
}

TEST_CASE("a wrong source password fails to connect with exit 5 and is never printed") {
  auto run = Check(Spec("repl", "wrong-secret-pw"));
  CHECK(run.exit_code == 5);
  CHECK(run.Result("source.connect") == "fail");
  CHECK(run.Reason("source.connect").find("Access denied") != std::string::npos);
  // MariaDB (no TLS here) has no caching_sha2_password: no word of MySQL 8's TLS fallback.
  CHECK(run.Reason("source.connect").find("caching_sha2_password") == std::string::npos);
  CHECK(run.out.find("wrong-secret-pw") == std::string::npos);
  CHECK(run.err.find("wrong-secret-pw") == std::string::npos);
  auto one = E().cli.Run({"status", run.task});
  CHECK(one.out.find("wrong-secret-pw") == std::string::npos);
  CHECK(one.out.find("password ***") != std::string::npos);
  auto all = E().cli.Run({"status", "--output", "json"});
  CHECK(all.out.find("wrong-secret-pw") == std::string::npos);
  CHECK(all.out.find("***") != std::string::npos);
}

TEST_CASE("a closed port fails fast with exit 5 and says what to check") {
  int closed = FreePort();
  std::string yaml = Spec();
  yaml.replace(yaml.find("port: " + std::to_string(E().mysql.port())), 6 + std::to_string(E().mysql.port()).size(),
               "port: " + std::to_string(closed));
  auto start = std::chrono::steady_clock::now();
  auto run = Check(yaml);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(8));
  CHECK(run.exit_code == 5);
  CHECK(run.Result("source.connect") == "fail");
  CHECK(run.Reason("source.connect").find("127.0.0.1:" + std::to_string(closed)) != std::string::npos);
}

TEST_CASE("a named table that does not exist fails the tables item; an empty glob only warns") {
  auto run = Check(Spec("repl", "repl-pw", "[shop.orders, shop.nosuch]"));
  CHECK(run.exit_code == 1);
  CHECK(run.Result("source.tables") == "fail");
  CHECK(run.Reason("source.tables").find("shop.nosuch") != std::string::npos);
  auto glob = Check(Spec("repl", "repl-pw", "[shop.orders, shop.later*]"));
  CHECK(glob.exit_code == 0);
  CHECK(glob.Result("source.tables") == "warn");
  auto nothing = Check(Spec("repl", "repl-pw", "[nodb.*]"));
  CHECK(nothing.exit_code == 1);
  CHECK(nothing.Result("source.tables") == "fail");
}

TEST_CASE("a server_id equal to the source's own fails the server_id item") {
  auto run = Check(Spec("repl", "repl-pw", "[shop.orders]", 1));
  CHECK(run.exit_code == 1);
  CHECK(run.Result("source.server_id") == "fail");
}

TEST_CASE("short binlog retention warns, very short fails") {
  E().mysql.Exec("SET GLOBAL binlog_expire_logs_seconds = 86400");
  auto warn = Check(Spec());
  CHECK(warn.Result("source.binlog_retention") == "warn");
  CHECK(warn.exit_code == 0);
  E().mysql.Exec("SET GLOBAL binlog_expire_logs_seconds = 600");
  auto fail = Check(Spec());
  CHECK(fail.Result("source.binlog_retention") == "fail");
  CHECK(fail.exit_code == 1);
  E().mysql.Exec("SET GLOBAL binlog_expire_logs_seconds = 0");
}

TEST_CASE("an unsupported column type fails the column types item") {
  auto run = Check(Spec("repl", "repl-pw", "[odd.*]"));
  CHECK(run.exit_code == 1);
  CHECK(run.Result("source.column_types") == "fail");
  CHECK(run.Reason("source.column_types").find("odd.hosts.addr (inet6)") != std::string::npos);
}

TEST_CASE("keys and column types are read for tables of every selected database") {
  auto run = Check(Spec("repl", "repl-pw", "[shop.*, odd.*]"));
  CHECK(run.Result("source.primary_keys") == "warn");
  CHECK(run.Reason("source.primary_keys") == Check(Spec("repl", "repl-pw", "[shop.*]")).Reason("source.primary_keys"));
  CHECK(run.Result("source.column_types") == "fail");
  CHECK(run.Reason("source.column_types").find("odd.hosts.addr (inet6)") != std::string::npos);
  CHECK(run.Reason("source.column_types").find("shop.") == std::string::npos);  // shop's types are all supported
}

TEST_CASE("destination: wrong password, missing database, missing privilege") {
  std::string base = Spec();
  std::string wrong_pw = base;
  wrong_pw.replace(wrong_pw.find("password: loader-pw"), 19, "password: nope-pw");
  auto a = Check(wrong_pw);
  CHECK(a.exit_code == 5);
  CHECK(a.Result("destination.connect") == "fail");
  CHECK(a.Reason("destination.connect").find("password authentication failed") != std::string::npos);

  std::string no_db = base;
  no_db.replace(no_db.find("database: dw"), 12, "database: nowhere");
  auto b = Check(no_db);
  CHECK(b.Result("destination.connect") == "fail");
  CHECK(b.Reason("destination.connect").find("nowhere") != std::string::npos);

  std::string weak = base;
  weak.replace(weak.find("user: loader"), 12, "user: weak");
  weak.replace(weak.find("password: loader-pw"), 19, "password: weak-pw");
  auto c = Check(weak);
  CHECK(c.exit_code == 1);
  CHECK(c.Result("destination.privileges") == "fail");
  CHECK(c.Reason("destination.privileges").find("shop") != std::string::npos);
}

TEST_CASE("hologres type against plain PostgreSQL warns on the version item") {
  std::string yaml = Spec();
  yaml.replace(yaml.find("type: postgres"), 14, "type: hologres");
  auto run = Check(yaml);
  CHECK(run.Result("destination.version") == "warn");
  CHECK(run.exit_code == 0);
}

TEST_CASE("a Hologres engine older than V2.0 fails the version item with the fix") {
  // A database whose hg_version() says Hologres 1.3: what the check reads of an old engine.
  E().pg.Exec("CREATE DATABASE holo13");
  E().pg.Exec("GRANT CREATE ON DATABASE holo13 TO loader");
  E().pg.Exec("CREATE FUNCTION hg_version() RETURNS text LANGUAGE sql AS $$ SELECT 'Hologres 1.3.55 (tag: 1.3.55 "
              "build: Release), compatible with PostgreSQL 11.3 (Release-build@x on origin/release-1.3.x) on x86_64'::text $$",
              "holo13");
  std::string yaml = Spec();
  yaml.replace(yaml.find("type: postgres"), 14, "type: hologres");
  yaml.replace(yaml.find("database: dw"), 12, "database: holo13");
  auto run = Check(yaml);
  CHECK(run.exit_code == 1);
  CHECK(run.Result("destination.version") == "fail");
  CHECK(run.Reason("destination.version").find("Hologres 1.3.55") != std::string::npos);
}

TEST_CASE("--connectivity only tests the logins") {
  auto ok = Check(Spec(), {"--connectivity"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.report["items"].size() == 4);
  CHECK(ok.Result("source.connect") == "pass");
  CHECK(ok.Result("destination.connect") == "pass");
  CHECK(ok.Result("source.tls") == "warn");  // the test servers offer no TLS
  CHECK(ok.Result("destination.tls") == "warn");
  auto bad = Check(Spec("repl", "bad-pw"), {"--connectivity"});
  CHECK(bad.exit_code == 5);
}

TEST_CASE("an unset ${env:...} secret fails the connect item and names the variable") {
  auto run = Check(Spec("repl", "${env:SYNC_TEST_UNSET_PW}"));
  CHECK(run.exit_code == 1);  // a local configuration error, not a connection failure
  CHECK(run.Result("source.password") == "fail");
  CHECK(run.Reason("source.password").find("SYNC_TEST_UNSET_PW is not set") != std::string::npos);
}

TEST_CASE("the last check is recorded and shown by status") {
  auto run = Check(Spec("reader", "reader-pw"));
  REQUIRE(run.exit_code == 1);
  auto st = E().cli.Run({"status", run.task});
  CHECK(st.exit_code == 0);
  CHECK(st.out.find("last check:") != std::string::npos);
  CHECK(st.out.find("fail source.privileges.replication") != std::string::npos);
}
