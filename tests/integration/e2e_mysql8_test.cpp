// MySQL 8 primaries, end to end: binlogs written by MySQL 8.0/8.2 servers
// (the shared fixtures) served by the MySQL 8 emulator (tests/emulators/mysql8)
// through COM_BINLOG_DUMP (gtid_mode OFF) and COM_BINLOG_DUMP_GTID (gtid_mode
// ON), replicated by `sync` into a real PostgreSQL, and the tables compared
// with what the statements that wrote each binlog leave (EXPECTED.md names
// the oracle of each fixture; json.binlog has none but its own consistency). At the snapshot the source has only test.seed
// (copied through the MySQL snapshot path); the fixture's tables come from the
// DDL in its binlog. The emulator's TLS and caching_sha2_password full
// authentication (the account not in the server's cache) are met by `sync
// check` and by a task over verified TLS, over plain TCP, and with a wrong
// password.

#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "harness/check_run.hpp"
#include "harness/mysql8_emulator.hpp"
#include "harness/servers.hpp"
#include "harness/tls_certs.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Env {
  PostgresServer pg;
  SyncCli cli;
  TlsCertificates certs;
  Env() { PrepareDestinationDatabase(pg); }
};

Env& E() {
  static Env env;
  return env;
}

const std::string kFixtures = std::string(SYNC_SHARED_DIR) + "/fixtures/binlog/";

// Whether the fixture is there; a missing one skips the case, saying so.
bool HaveFixture(const std::string& relative) {
  if (std::filesystem::exists(kFixtures + relative)) return true;
  // On stdout, which ctest reads (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt).
  std::cout << "skipped: no shared binlog fixture " << kFixtures + relative
            << " (point SYNC_SHARED_DIR at the shared/ folder)" << std::endl;
  return false;
}

// `tls`: the source's tls block (TlsBlock), if any.
std::string Yaml(const std::string& name, const Mysql8Emulator& source, const std::string& tables, int server_id,
                 const std::string& tls = "", const std::string& password = Mysql8Emulator::kPassword) {
  return "name: " + name + "\nsource:\n  type: mysql\n  host: 127.0.0.1\n  port: " + std::to_string(source.port()) +
         "\n  user: " + Mysql8Emulator::kUser + "\n  password: \"" + password +
         "\"\n  server_id: " + std::to_string(server_id) + "\n  tables: " + tables + "\n" + tls +
         "destination:\n  type: postgres\n  host: 127.0.0.1\n  port: " + std::to_string(E().pg.port()) +
         "\n  database: dw\n  user: loader\n  password: loader-pw\n"
         "runtime: { batch_rows: 200, flush_ms: 100, failover: { max_backoff_seconds: 1 } }\n";
}

// `sync check` of the task: the items about the source all pass.
void CheckSourceItemsPass(const std::string& task, const std::string& version) {
  auto r = E().cli.Run({"check", task, "--output", "json"});
  auto report = json::parse(r.out.empty() ? "{}" : r.out, nullptr, false);
  INFO(r.out << r.err);
  REQUIRE(!report.is_discarded());
  std::map<std::string, json> items;
  for (const auto& i : report["items"]) items[i["name"]] = i;
  for (const char* item : {"source.connect", "source.version", "source.log_bin", "source.binlog_format",
                           "source.binlog_row_image", "source.binlog_retention", "source.privileges.replication",
                           "source.server_id"})
    CHECK_MESSAGE(items[item].value("result", "absent") == "pass", item);
  CHECK(items["source.version"].value("reason", "") == "MySQL " + version);
}

// The destination's rows of `sql` as lines; nullopt until the table exists.
std::optional<std::vector<std::string>> Dest(const std::string& sql) {
  auto conn = postgres::Connection::Connect({"127.0.0.1", E().pg.port(), "dw", "postgres",
                                             PostgresServer::kSuperPassword, 5});
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query(sql);
  if (!r.ok()) return std::nullopt;
  return JoinedLines(r->rows);
}

bool DestBecomes(const std::string& sql, const std::vector<std::string>& expected) {
  return WaitConverged(
      {sql}, [&](const std::string&) { return std::optional(expected); },
      [&](const std::string& q) { return Dest(q); }, 30s);
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Starts the task and waits until it streams; a failure shows the task's and the emulator's logs.
void StartStreaming(const std::string& task, const Mysql8Emulator& source) {
  auto r = E().cli.Run({"start", task});
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  REQUIRE_MESSAGE(E().cli.WaitStreaming(task),
                  E().cli.Run({"logs", "-n", "60", task}).out << "\nthe emulator's log:\n" << source.Log());
}

// The snapshot copied the emulator's seed table.
void CheckSeedCopied() {
  CHECK(DestBecomes("SELECT id, note FROM test.seed ORDER BY id", {"1|copied by the snapshot", "2|NULL"}));
}

// The emulator knew every statement sync sent: one it does not know is an
// error (1064) that sync might tolerate (a fallback query), so it is looked
// for here. Errors MySQL itself gives (1193 for MariaDB's variables) are fine.
void CheckEveryStatementAnswered(const Mysql8Emulator& source) {
  const std::string log = source.Log();
  CHECK_MESSAGE(log.find(": ERROR 1064 ") == std::string::npos, log);
}

// Waits up to 15 s for the task to fail (a worker stopped on an error a restart cannot fix).
bool WaitFailed(const std::string& task) {
  for (int i = 0; i < 150; ++i) {
    const json status = json::parse(E().cli.Run({"status", task, "-o", "json"}).out, nullptr, false);
    if (!status.is_discarded() && status.value("lifecycle", "") == "failed") return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("MySQL 8.0.40 (mdev35643): file and position, a zstd TRANSACTION_PAYLOAD of 100 inserts, JSON and a "
          "PARTIAL_UPDATE_ROWS, into PostgreSQL") {
  const std::string fixture = "mariadb-test-data/std_data/mdev35643_mysql_80_binlog.000001";
  if (!HaveFixture(fixture)) return;
  Mysql8Emulator source({kFixtures + fixture, "master-bin.000001"});
  const std::string task = CreateTask(E().cli, "mdev35643.yaml", Yaml("mdev35643", source, "[test.*]", 5601));
  CheckSourceItemsPass(task, "8.0.40");
  StartStreaming(task, source);
  CheckSeedCopied();
  source.Commit(-1);

  // The statements of MariaDB's rpl_from_mysql80.test that wrote the binlog (EXPECTED.md).
  std::vector<std::string> t1 = {"1|0|", "2|0|hulu", "3|0|bulu", "4|0|skip", "5|0|after compressed"};
  for (int i = 0; i < 100; ++i)
    t1.push_back(std::to_string(1000 + i) + "|" + std::to_string(i) + "|--" + std::to_string(i) + "--" +
                 Repeat("/", 100) + "--");
  std::sort(t1.begin(), t1.end(), [](const std::string& a, const std::string& b) { return std::stoi(a) < std::stoi(b); });
  CHECK(DestBecomes("SELECT a, b, c FROM test.t1 ORDER BY a", t1));
  // INSERT (statement format), then UPDATE t2 SET b = JSON_REPLACE(b, '$.b', REPEAT('oOo', 50)).
  CHECK(DestBecomes("SELECT a, b::text FROM test.t2 ORDER BY a",
                    {"1|{\"a\": \"hulu\", \"b\": \"" + Repeat("oOo", 50) + "\", \"c\": \"bulu\"}"}));
  // That INSERT was logged as a statement (binlog_format=STATEMENT in its session): the row
  // comes from the update's full image, and the task's log says the insert itself was missed.
  const std::string task_log = E().cli.Run({"logs", "-n", "100", task}).out;
  CHECK_MESSAGE(task_log.find("the binlog holds a statement, not rows, for test.t2 at master-bin.000001:3190") !=
                    std::string::npos,
                task_log);
  // The binlog ends with a ROTATE to master-bin.000002: a restart asks from the last commit
  // (the ROTATE is no transaction) and is led into the next file.
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);
  StartStreaming(task, source);
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);
  const std::string log = source.Log();
  CHECK_MESSAGE(log.find("from master-bin.000001:4390 flags 0 server_id 5601") != std::string::npos, log);
  CHECK(Count(log, "COM_BINLOG_DUMP_GTID") == 0);
  CHECK(DestBecomes("SELECT count(*) FROM test.t1", {"105"}));
  CheckEveryStatementAnswered(source);
}

TEST_CASE("MySQL 8.0.28 with GTIDs (mysql-enum-string-set): COM_BINLOG_DUMP_GTID; a restart and a SIGKILLed "
          "worker resume from the checkpoint's GTID set without doubling a row") {
  const std::string fixture = "rust_mysql_common/mysql-enum-string-set.000001";
  if (!HaveFixture(fixture)) return;
  // Its first transaction (ALTER USER) is written before the snapshot, whose GTID set is then not empty.
  Mysql8Emulator source({.binlog = kFixtures + fixture, .committed = 1});
  const std::string task = CreateTask(E().cli, "enumset.yaml", Yaml("enumset", source, "[test.seed, mysql.*]", 5602));
  CheckSourceItemsPass(task, "8.0.40");
  StartStreaming(task, source);
  CheckSeedCopied();
  // Transactions: ALTER USER, CREATE TABLE mysql.t, INSERT, UPDATE, DELETE (EXPECTED.md).
  // EXPECTED.md's LONG (298 characters): twice 0123456789 x12 + 012345678, then 0123456789 x4.
  const std::string long_half = Repeat("0123456789", 12) + "012345678";
  const std::string long_text = long_half + long_half + Repeat("0123456789", 4);
  REQUIRE(long_text.size() == 298);
  const std::string inserted = Repeat("0123456789", 10) + "|" + long_text + "|var1|one,three|0123456789";
  const std::string updated = "field1|field_2|variant2|two,four|" + long_text;
  const std::string rows = "SELECT f1, f2, f3, f4, f5 FROM mysql.t";
  source.Commit(3);
  CHECK(DestBecomes(rows, {inserted}));
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);

  source.Commit(4);
  StartStreaming(task, source);
  CHECK(DestBecomes(rows, {updated}));
  // A worker killed (SIGKILL) after the UPDATE: the supervisor's new worker resumes from the
  // durable checkpoint's GTID set, and the DELETE is the only change left.
  const int worker = WorkerPid(E().cli, task);
  REQUIRE(worker > 0);
  ::kill(worker, SIGKILL);
  source.Commit(-1);
  CHECK(DestBecomes(rows, {}));
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);
  // Every run asked by GTID: from the snapshot's set, then from the checkpoints', through
  // the INSERT and the UPDATE; the emulator skipped what each set held.
  const std::string log = source.Log();
  INFO(log);
  CHECK(Count(log, "COM_BINLOG_DUMP_GTID") == 3);
  CHECK(Count(log, "COM_BINLOG_DUMP\n") == 0);
  CHECK(log.find("gtids 93e95066-a2f4-11ec-9b69-9657f0ae95e2:1\n") != std::string::npos);
  CHECK(log.find("gtids 93e95066-a2f4-11ec-9b69-9657f0ae95e2:1-3\n") != std::string::npos);
  CHECK(log.find("gtids 93e95066-a2f4-11ec-9b69-9657f0ae95e2:1-4\n") != std::string::npos);
  CheckEveryStatementAnswered(source);
}

TEST_CASE("MySQL 8.0.28 with GTIDs: a checkpoint whose GTID set lacks purged transactions stops the task with "
          "the source's error and the fix, never a silent skip") {
  const std::string fixture = "rust_mysql_common/mysql-enum-string-set.000001";
  if (!HaveFixture(fixture)) return;
  Mysql8Emulator source({.binlog = kFixtures + fixture, .committed = 1});
  const std::string task = CreateTask(E().cli, "purged.yaml", Yaml("purged", source, "[test.seed, mysql.*]", 5605));
  StartStreaming(task, source);
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);
  // Meanwhile the source writes CREATE TABLE, INSERT and UPDATE, and purges the binary logs holding them.
  source.Commit(4);
  source.Purge(4);
  auto r = E().cli.Run({"start", task});
  REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  const bool failed = WaitFailed(task);
  const std::string task_log = E().cli.Run({"logs", "-n", "100", task}).out;
  CHECK_MESSAGE(failed, task_log);
  CHECK_MESSAGE(task_log.find("the source cannot send its binlog from GTID 93e95066-a2f4-11ec-9b69-9657f0ae95e2:1: "
                              "Cannot replicate because the source purged required binary logs") != std::string::npos,
                task_log);
  CHECK(task_log.find("the missing transactions are '93e95066-a2f4-11ec-9b69-9657f0ae95e2:2-4'") != std::string::npos);
  CHECK(task_log.find("start the task again with a new full initialization") != std::string::npos);
  CheckEveryStatementAnswered(source);
}

TEST_CASE("MySQL 8.2.0 (mysql-cdc-rs delete_rows_v2): every integer type, each transaction as it is written, "
          "through a restart by file and position") {
  const std::string fixture = "mysql-cdc-rs/8.0/32_delete_rows_v2/binlog.000001";
  if (!HaveFixture(fixture)) return;
  Mysql8Emulator source({kFixtures + fixture});
  const std::string task = CreateTask(E().cli, "ints.yaml", Yaml("ints", source, "[test.*]", 5603));
  StartStreaming(task, source);
  CheckSeedCopied();
  // Transactions: DROP TABLE, CREATE TABLE int_table, INSERT, UPDATE, DELETE (sql.utf8.sql).
  const std::string rows = "SELECT col1, col2, col3, col4, col5, col6 FROM test.int_table";
  source.Commit(3);
  CHECK(DestBecomes(rows, {"1|11|111|1111|11111|1"}));
  // Stopped after the INSERT and started again: by file and position, from the INSERT's end.
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);
  source.Commit(4);
  StartStreaming(task, source);
  CHECK(DestBecomes(rows, {"1|22|222|1111|11111|1"}));
  source.Commit(-1);
  CHECK(DestBecomes(rows, {}));
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);
  const std::string log = source.Log();
  CHECK_MESSAGE(log.find("from binlog.000001:1132 flags 0 server_id 5603") != std::string::npos, log);
  CHECK(Count(log, "COM_BINLOG_DUMP_GTID") == 0);
  CheckEveryStatementAnswered(source);
}

TEST_CASE("MySQL 8.0.22 (json.binlog): JSON rows with virtual generated columns agree with themselves; its "
          "PARTIAL_UPDATE_ROWS with a MINIMAL image stops the task with the row-image error") {
  const std::string fixture = "rust_mysql_common/json.binlog.000001";
  if (!HaveFixture(fixture)) return;
  Mysql8Emulator source({kFixtures + fixture});
  const std::string task = CreateTask(E().cli, "json.yaml", Yaml("json", source, "[test.seed, mysql.*]", 5604));
  StartStreaming(task, source);
  // Transactions 3-7: the inserts of the three documents (Joe, Sue, Pete; twice) and an
  // UPDATE_ROWS. EXPECTED.md publishes no values: every row image must agree with itself,
  // name = json_col->>'$.name' and age = json_col->'$.age'.
  source.Commit(7);
  CHECK(DestBecomes("SELECT name, count(*) FROM mysql.t WHERE name = json_col->>'name' AND "
                    "age = (json_col->>'age')::int GROUP BY name ORDER BY name",
                    {"Joe|2", "Pete|2", "Sue|2"}));
  CHECK(Dest("SELECT count(*) FROM mysql.t") == std::vector<std::string>{"6"});
  // Transaction 8, the PARTIAL_UPDATE_ROWS of $.age, was written with binlog_row_image=MINIMAL
  // (its before image holds the key only): the task stops, saying so, and applies nothing of it.
  source.Commit(-1);
  const bool failed = WaitFailed(task);
  const std::string task_log = E().cli.Run({"logs", "-n", "100", task}).out;
  CHECK_MESSAGE(failed, task_log);
  CHECK_MESSAGE(task_log.find("row event for mysql.t at json.binlog.000001:4011 lacks columns: binlog_row_image is "
                              "not FULL on the source") != std::string::npos,
                task_log);
  CHECK(Dest("SELECT count(*) FROM mysql.t WHERE name = json_col->>'name' AND age = (json_col->>'age')::int") ==
        std::vector<std::string>{"6"});
  CheckEveryStatementAnswered(source);
}

// The fixture of the authentication cases: MySQL 8.2.0's integer table, three transactions
// (DROP TABLE, CREATE TABLE, INSERT) written when the test commits them.
const char* kIntsFixture = "mysql-cdc-rs/8.0/32_delete_rows_v2/binlog.000001";
const char* kIntsRow = "1|11|111|1111|11111|1";

void CheckIntsReplicated(const std::string& task, const Mysql8Emulator& source) {
  StartStreaming(task, source);
  CheckSeedCopied();
  source.Commit(3);
  CHECK(DestBecomes("SELECT col1, col2, col3, col4, col5, col6 FROM test.int_table", {kIntsRow}));
  CHECK(E().cli.Run({"stop", task}).exit_code == 0);
}

TEST_CASE("MySQL 8 over TLS verified against the CA: the first login is a full authentication over TLS, sync "
          "check reports source.tls encrypted and verified, and every connection of the task is encrypted") {
  if (!HaveFixture(kIntsFixture)) return;
  const TlsCertificates& certs = E().certs;
  Mysql8Emulator source({.binlog = kFixtures + kIntsFixture, .tls_cert = certs.server_cert,
                         .tls_key = certs.server_key, .empty_auth_cache = true});
  auto run = CreateAndCheck(E().cli, "tls8", Yaml("tls8", source, "[test.*]", 5611,
                                                  TlsBlock("verify_identity", certs.ca)));
  CHECK(run.Item("source.connect")["result"] == "pass");
  const auto tls = run.Item("source.tls");
  CHECK(tls["result"] == "pass");
  const std::string reason = tls["reason"];
  CHECK(reason.find("encrypted (TLSv1.") != std::string::npos);
  CHECK(reason.find("verified against CA " + certs.ca + " for host 127.0.0.1") != std::string::npos);
  // The server's cache was empty: the password went over TLS once, then the cache held it.
  CHECK(Count(source.Log(), "caching_sha2_password full authentication over TLS") == 1);

  CheckIntsReplicated("tls8", source);
  const std::string log = source.Log();
  INFO(log);
  CHECK(Count(log, "COM_BINLOG_DUMP") >= 1);
  CHECK(Count(log, ": TLS TLSv1.") == Count(log, " connected\n"));
  CHECK(Count(log, "caching_sha2_password full authentication") == 1);
  CheckEveryStatementAnswered(source);
}

TEST_CASE("MySQL 8 without TLS, source.tls disabled: a first login is a full authentication with the server's RSA "
          "key (Connector/C asks for it), and the task replicates") {
  if (!HaveFixture(kIntsFixture)) return;
  Mysql8Emulator source({.binlog = kFixtures + kIntsFixture, .empty_auth_cache = true});
  auto run = CreateAndCheck(E().cli, "rsa8", Yaml("rsa8", source, "[test.*]", 5612, TlsBlock("disabled", "")));
  CHECK(run.Item("source.connect")["result"] == "pass");
  CHECK(Count(source.Log(), "caching_sha2_password full authentication: sent the RSA public key") == 1);
  CHECK(Count(source.Log(), "caching_sha2_password full authentication with the RSA key") == 1);
  // After a FLUSH PRIVILEGES (the cache emptied) the task's own first login is a full one too
  // (two if its first connections race, each finding the cache empty).
  source.FlushPrivileges();
  CheckIntsReplicated("rsa8", source);
  CHECK(Count(source.Log(), "caching_sha2_password full authentication with the RSA key") >= 2);
  CheckEveryStatementAnswered(source);
}

TEST_CASE("MySQL 8 without TLS, source.tls preferred: Connector/C sends the password of a full authentication "
          "in clear, MySQL refuses it with 1045, and sync's error names the fix") {
  if (!HaveFixture(kIntsFixture)) return;
  Mysql8Emulator source({.binlog = kFixtures + kIntsFixture, .empty_auth_cache = true});
  auto run = CreateAndCheck(E().cli, "clear8", Yaml("clear8", source, "[test.*]", 5613));
  const std::string reason = run.Item("source.connect")["reason"];
  INFO(reason);
  CHECK(run.Item("source.connect")["result"] == "fail");
  CHECK(reason.find("Access denied for user 'repl'@'localhost' (using password: YES)") != std::string::npos);
  CHECK(reason.find("the server offers no TLS") != std::string::npos);
  CHECK(reason.find("set source.tls.mode: disabled (the password then goes RSA-encrypted") != std::string::npos);
  CHECK(source.Log().find("a 8-byte answer is no RSA cipher") != std::string::npos);
  // Mode required falls back the same way (it is enforced after the login); its fix is the server's TLS.
  auto required =
      CreateAndCheck(E().cli, "clear8r", Yaml("clear8r", source, "[test.*]", 5613, TlsBlock("required", "")));
  const std::string required_reason = required.Item("source.connect")["reason"];
  CHECK_MESSAGE(required_reason.find("give the server a certificate (ssl_cert, ssl_key): source.tls.mode required "
                                     "wants TLS") != std::string::npos,
                required_reason);
}

TEST_CASE("MySQL 8: a wrong password is MySQL's 1045 with sync's fix, over TLS and over plain TCP") {
  if (!HaveFixture(kIntsFixture)) return;
  const TlsCertificates& certs = E().certs;
  Mysql8Emulator with_tls({.binlog = kFixtures + kIntsFixture, .tls_cert = certs.server_cert,
                           .tls_key = certs.server_key});
  Mysql8Emulator plain({.binlog = kFixtures + kIntsFixture});
  const std::vector<std::pair<const Mysql8Emulator*, std::string>> cases = {
      {&with_tls, TlsBlock("verify_identity", certs.ca)}, {&plain, TlsBlock("disabled", "")}};
  int n = 0;
  for (const auto& [source, tls] : cases) {
    const std::string name = "wrongpw8-" + std::to_string(++n);
    auto run = CreateAndCheck(E().cli, name, Yaml(name, *source, "[test.*]", 5614, tls, "not-the-password"));
    const auto item = run.Item("source.connect");
    const std::string reason = item["reason"];
    INFO(reason);
    CHECK(item["result"] == "fail");
    CHECK(reason.find("Access denied for user 'repl'@'localhost' (using password: YES); check the user and password "
                      "in the task spec") != std::string::npos);
    CHECK(reason.find("the server offers no TLS") == std::string::npos);
    CHECK(item.value("fix", "").find("fix source.user / source.password") != std::string::npos);
  }
  // The account is in the cache, but a wrong scramble leads to full authentication too (sha2_password.cc).
  CHECK(with_tls.Log().find("caching_sha2_password full authentication over TLS") != std::string::npos);
  CHECK(plain.Log().find("caching_sha2_password full authentication with the RSA key") != std::string::npos);
}
