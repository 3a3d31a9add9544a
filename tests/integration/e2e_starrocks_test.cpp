// End to end into StarRocks: real MariaDB, the StarRocks emulator
// (tests/emulators/starrocks/), the sync binary. Full initialization,
// real-time changes, DDL, SIGKILL of the worker and a restart of the
// emulator mid-load, converging with nothing lost or doubled.

#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "harness/conflict_model.hpp"
#include "harness/servers.hpp"
#include "harness/workload.hpp"
#include "harness/starrocks_emulator.hpp"
#include "harness/type_matrix.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Env {
  MariaDbServer mysql;
  StarRocksEmulator starrocks;
  SyncCli cli;
  Env() { PrepareShopSource(mysql); }
};

Env& E() {
  static Env env;
  return env;
}

const char* kColumns = "id, name, amount, created";

std::string Spec(const std::string& name, const std::string& tables, const std::string& sr_password = "${env:SR_PW}") {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: " + std::to_string(7000 + std::hash<std::string>{}(name) % 1000) +
         "\n  tables: " + tables + "\ndestination:\n  type: starrocks\n  host: 127.0.0.1\n  port: " +
         std::to_string(E().starrocks.query_port()) + "\n  http_port: " + std::to_string(E().starrocks.http_port()) +
         "\n  database: shop\n  user: root\n  password: \"" + sr_password + "\"\n  replication_num: 1\n"
         "runtime: { batch_rows: 500, flush_ms: 200, snapshot_parallelism: 2, failover: { max_backoff_seconds: 1 } }\n";
}

RunOptions SrEnv() { return {.env = {{"SR_PW", StarRocksEmulator::kPassword}}}; }

std::string Create(const std::string& name, const std::string& tables) {
  auto r = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(name + ".yaml", Spec(name, tables))});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return r.out.substr(0, r.out.find('\n'));
}

json TaskStatus(const std::string& id) { return json::parse(E().cli.Run({"status", id, "-o", "json"}).out, nullptr, false); }

void CreateTable(const std::string& table) {
  E().mysql.Exec("CREATE TABLE shop." + table + " (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), created DATETIME)");
}

void Load(const std::string& table, int from, int to) {
  E().mysql.Exec("INSERT INTO shop." + table + " SELECT seq, CONCAT('n', seq), seq / 7, '2024-01-01 00:00:00' + "
                 "INTERVAL seq MINUTE FROM seq.seq_" + std::to_string(from) + "_to_" + std::to_string(to));
}

void Churn(const std::string& table, int n, std::mt19937& rng, int key_space) {
  testing::Churn(E().mysql, table, n, rng, key_space);
}

// One line per row, ordered by id, NULL spelled out: the same text on both
// sides for these column types.
std::vector<std::string> SourceRows(const std::string& table, const std::string& columns = kColumns) {
  auto r = E().mysql.Admin().Query("SELECT " + columns + " FROM shop." + table + " ORDER BY id");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return JoinedLines(r->rows);
}

std::optional<std::vector<std::string>> DestRows(const std::string& table, const std::string& columns = kColumns) {
  auto conn = mysql::Connection::Connect({"127.0.0.1", E().starrocks.query_port(), "root", StarRocksEmulator::kPassword, 5, 60});
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query("SELECT " + columns + " FROM shop." + table + " ORDER BY id");
  if (!r.ok()) return std::nullopt;
  return JoinedLines(r->rows);
}

bool Converges(const std::vector<std::string>& tables, std::chrono::seconds limit = 90s,
               const std::string& columns = kColumns) {
  return WaitConverged(
      tables, [&](const std::string& t) { return std::optional(SourceRows(t, columns)); },
      [&](const std::string& t) { return DestRows(t, columns); }, limit);
}

int WorkerPid(const std::string& id, int not_this = 0) { return testing::WorkerPid(E().cli, id, not_this); }

}  // namespace

namespace {

// Each type-matrix column as text: the source expression that gives what
// StarRocks holds for the value sync sent (docs/type_mapping.md), and the
// destination column. Read with the source session in UTC: a TIMESTAMP
// arrives as its UTC wall clock.
const std::pair<const char*, const char*> kSrCanonical[] = {
    {"ti", "ti"},
    {"tiu", "tiu"},
    {"si", "si"},
    {"mi", "mi"},
    {"bi", "bi"},
    {"biu", "biu"},
    {"dec_", "dec_"},
    {"f", "f"},
    {"d", "d"},
    {"b + 0", "b"},  // BIT(10) is a BIGINT of its bits
    {"y + 0", "y"},
    {"dt", "dt"},
    {"tm", "tm"},  // TIME is VARCHAR '[-]HH:MM:SS'
    {"DATE_FORMAT(dtm, '%Y-%m-%d %H:%i:%s.%f')", "dtm"},
    {"DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f')", "ts"},
    {"c", "c"},
    {"vc", "vc"},
    {"CONVERT(l1 USING utf8mb4)", "l1"},
    {"LOWER(HEX(bin))", "bin"},  // binary strings travel as lowercase hex
    {"tx", "tx"},
    {"LOWER(HEX(lb))", "lb"},
    {"e", "e"},
    {"st", "st"},
    {"j", "j"},
    {"LOWER(HEX(g))", "g"},  // SRID and WKB, as hex
};

// Differences of rendering only: the exact quarters and eighths of FLOAT and
// DOUBLE compared as numbers, a zero fraction of a second left out.
std::string Canonical(size_t column, const std::optional<std::string>& v) {
  if (!v) return "NULL";
  std::string text = *v;
  std::string_view name = kSrCanonical[column].second;
  if (name == "f" || name == "d") {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", std::strtod(text.c_str(), nullptr));
    return buf;
  }
  if ((name == "dtm" || name == "ts") && text.size() > 19 && text.substr(19) == ".000000") text.resize(19);
  return text;
}

using TypedRows = std::vector<std::vector<std::string>>;

TypedRows Canonical(const QueryResult& r) {
  TypedRows out;
  for (const auto& row : r.rows) {
    std::vector<std::string> line{row[0].value_or("NULL")};
    for (size_t c = 1; c < row.size(); ++c) line.push_back(Canonical(c - 1, row[c]));
    out.push_back(std::move(line));
  }
  return out;
}

TypedRows TypedSource(const std::string& table) {
  std::string columns = "id";
  for (const auto& [source, dest] : kSrCanonical) columns += std::string(", ") + source;
  auto conn = E().mysql.Admin();
  REQUIRE(conn.Execute("SET time_zone = '+00:00'").ok());
  auto r = conn.Query("SELECT " + columns + " FROM shop." + table + " ORDER BY id");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return Canonical(*r);
}

std::optional<TypedRows> TypedDest(const std::string& table) {
  std::string columns = "id";
  for (const auto& [source, dest] : kSrCanonical) columns += std::string(", ") + dest;
  auto conn = mysql::Connection::Connect({"127.0.0.1", E().starrocks.query_port(), "root", StarRocksEmulator::kPassword, 5, 60});
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query("SELECT " + columns + " FROM shop." + table + " ORDER BY id");
  if (!r.ok()) return std::nullopt;
  return Canonical(*r);
}

// Where two renderings first differ, for the failure message.
std::string FirstDifference(const TypedRows& source, const TypedRows& dest) {
  for (size_t i = 0; i < std::min(source.size(), dest.size()); ++i)
    for (size_t c = 0; c < source[i].size(); ++c)
      if (source[i][c] != dest[i][c])
        return "id " + source[i][0] + " column " + (c ? kSrCanonical[c - 1].second : "id") + ": source '" +
               source[i][c].substr(0, 80) + "', destination '" + dest[i][c].substr(0, 80) + "'";
  return std::to_string(source.size()) + " source rows, " + std::to_string(dest.size()) + " destination rows";
}

bool TypedConverge(const std::vector<std::string>& tables) {
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (true) {
    bool all = true;
    for (const auto& t : tables) {
      auto dest = TypedDest(t);
      if (!dest || *dest != TypedSource(t)) {
        if (std::chrono::steady_clock::now() > deadline) {
          MESSAGE(t << ": " << (dest ? FirstDifference(TypedSource(t), *dest) : "unreadable"));
          return false;
        }
        all = false;
        break;
      }
    }
    if (all) return true;
    std::this_thread::sleep_for(500ms);
  }
}

}  // namespace

TEST_CASE("StarRocks: every column type converges through copy and streaming, with the source's key and an override") {
  // sr_typed has a primary key; sr_typed_uk only a unique key, which
  // tables[].primary_key names. Blobs stay within what a VARCHAR of hex holds.
  E().mysql.Exec(std::string("CREATE TABLE shop.sr_typed (") + kTypeMatrixColumnsDdl + ", PRIMARY KEY (id))");
  E().mysql.Exec(std::string("CREATE TABLE shop.sr_typed_uk (") + kTypeMatrixColumnsDdl + ", UNIQUE KEY (id))");
  TypeMatrixRows gen(20261206, 350000);
  {
    auto conn = E().mysql.Admin();
    for (int id = 1; id <= 300; ++id) {
      REQUIRE(conn.Execute(TypeMatrixInsert("sr_typed", id, gen)).ok());
      REQUIRE(conn.Execute(TypeMatrixInsert("sr_typed_uk", id, gen)).ok());
    }
  }
  std::string yaml = Spec("sr-types", "[shop.sr_typed, shop.sr_typed_uk]");
  yaml.replace(yaml.find("  replication_num: 1\n"), 20, "  replication_num: 1\n  buckets: 4\n");
  yaml += "tables:\n  - match: shop.sr_typed_uk\n    primary_key: [id]\n";
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("sr-types.yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::string id = created.out.substr(0, created.out.find('\n'));
  auto started = E().cli.Run({"start", id}, SrEnv());
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  TypeMatrixChurn(E().mysql, "sr_typed", 120, gen, 400);  // while the tables are copied
  TypeMatrixChurn(E().mysql, "sr_typed_uk", 60, gen, 400);
  CHECK(TypedConverge({"sr_typed", "sr_typed_uk"}));
  REQUIRE(E().cli.WaitStreaming(id));
  TypeMatrixChurn(E().mysql, "sr_typed", 250, gen, 800);  // while streaming
  TypeMatrixChurn(E().mysql, "sr_typed_uk", 100, gen, 800);
  CHECK(TypedConverge({"sr_typed", "sr_typed_uk"}));
  CHECK(TaskStatus(id).value("failovers", 0) == 0);
  const TypedRows rows = TypedSource("sr_typed");
  CHECK(rows.size() > 250);
  std::string sample;
  for (const auto& v : rows[rows.size() / 2]) sample += v.substr(0, 40) + " | ";
  MESSAGE("a row as both sides hold it: " << sample);
  auto buckets = E().starrocks.Admin().Query(
      "SELECT DISTRIBUTE_BUCKET FROM information_schema.tables_config WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = "
      "'sr_typed_uk'");
  REQUIRE(buckets.ok());
  CHECK(buckets->Scalar() == "4");
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("StarRocks: start copies, streams changes, follows DDL, and stop checkpoints") {
  CreateTable("orders");
  Load("orders", 1, 3000);
  std::string id = Create("sr-basic", "[shop.orders, shop.born*]");
  auto started = E().cli.Run({"start", id}, SrEnv());
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  std::mt19937 rng(1);
  Churn("orders", 200, rng, 4000);
  CHECK(Converges({"orders"}));
  REQUIRE(E().cli.WaitStreaming(id));
  Churn("orders", 200, rng, 4000);
  CHECK(Converges({"orders"}));
  json st = TaskStatus(id);
  CHECK(st["steps"]["full_initialization"]["state"] == "done");
  CHECK(st["steps"]["realtime_sync"]["state"] == "running");

  // Column DDL waits for StarRocks' schema change job; the existing rows get the default.
  auto conn = E().mysql.Admin();
  REQUIRE(conn.Execute("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(30) DEFAULT 'x'").ok());
  REQUIRE(conn.Execute("INSERT INTO shop.orders VALUES (9001, 'after-add', 1, NOW(), 'hello')").ok());
  CHECK(Converges({"orders"}, 60s, "id, name, amount, created, note"));
  REQUIRE(conn.Execute("ALTER TABLE shop.orders DROP COLUMN note").ok());
  REQUIRE(conn.Execute("UPDATE shop.orders SET name = 'after-drop' WHERE id = 9001").ok());
  CHECK(Converges({"orders"}));
  // A table created while streaming is created in StarRocks and filled from the binlog.
  REQUIRE(conn.Execute("CREATE TABLE shop.born (id INT PRIMARY KEY, name TEXT, amount DOUBLE, created TIMESTAMP NULL)").ok());
  REQUIRE(conn.Execute("INSERT INTO shop.born VALUES (1, 'one', 1.5, NULL), (2, 'two', NULL, '2024-05-06 07:08:09')").ok());
  CHECK(Converges({"born"}));

  REQUIRE(E().cli.Run({"stop", id}).exit_code == 0);
  Churn("orders", 100, rng, 4000);  // while stopped
  REQUIRE(E().cli.Run({"start", id}, SrEnv()).exit_code == 0);
  CHECK(Converges({"orders"}));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  auto logs = E().cli.Run({"logs", id});
  CHECK(logs.out.find(StarRocksEmulator::kPassword) == std::string::npos);
}

TEST_CASE("StarRocks: SIGKILL of the worker and a restart of StarRocks mid-load converge without loss or duplicates") {
  CreateTable("crash");
  Load("crash", 1, 8000);
  std::string id = Create("sr-crash", "[shop.crash]");
  REQUIRE(E().cli.Run({"start", id}, SrEnv()).exit_code == 0);
  std::mt19937 rng(42);
  int kills = 0, last = 0;
  for (int round = 0; round < 16 && kills < 10; ++round) {
    int pid = WorkerPid(id, last);
    REQUIRE_MESSAGE(pid > 0, "no worker after " << kills << " kills");
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 600));
    if (round % 2) Churn("crash", 40, rng, 9000);
    last = pid;
    if (kill(pid, SIGKILL) == 0) ++kills;
  }
  CHECK(kills >= 10);
  // StarRocks itself goes down while the worker loads, and comes back with what it committed.
  Churn("crash", 100, rng, 9000);
  E().starrocks.Kill();
  Churn("crash", 100, rng, 9000);
  std::this_thread::sleep_for(1s);
  E().starrocks.Start();
  CHECK(Converges({"crash"}, 120s));
  json st = TaskStatus(id);
  CHECK(st.value("failovers", 0) >= 10);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("StarRocks: start refuses a keyless table and a wrong password, each with its fix") {
  E().mysql.Exec("CREATE TABLE shop.nokey (id INT, v TEXT)");
  std::string id = Create("sr-nokey", "[shop.nokey]");
  auto refused = E().cli.Run({"start", id}, SrEnv());
  CHECK_MESSAGE(refused.exit_code == 1, refused.out << refused.err);  // a failed item, not a connection
  CHECK(refused.out.find("primary_key") != std::string::npos);

  CreateTable("pw");
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("pw.yaml", Spec("sr-pw", "[shop.pw]", "Wrong-Sr-Pw"))});
  REQUIRE(created.exit_code == 0);
  std::string bad = created.out.substr(0, created.out.find('\n'));
  // The mandatory check of start catches it before any worker runs.
  auto started = E().cli.Run({"start", bad});
  CHECK(started.exit_code == 5);
  CHECK(started.out.find("FAIL  destination.connect") != std::string::npos);
  CHECK(started.out.find("destination.password") != std::string::npos);
  CHECK(started.out.find("Wrong-Sr-Pw") == std::string::npos);
  json st = TaskStatus(bad);
  CHECK(st["lifecycle"] == "created");
  CHECK(st.dump().find("Wrong-Sr-Pw") == std::string::npos);
}

TEST_CASE("StarRocks: sync check passes each destination item, and fails each one with its fix") {
  CreateTable("checked");
  auto check = [](const std::string& name, const std::string& yaml) {
    auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(name + ".yaml", yaml)});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    return E().cli.Run({"check", name}, SrEnv());
  };
  auto good = check("ck-good", Spec("ck-good", "[shop.checked]"));
  REQUIRE_MESSAGE(good.exit_code == 0, good.out << good.err);
  for (const char* item : {"PASS  destination.connect", "PASS  destination.version", "PASS  destination.http",
                           "PASS  destination.backend", "PASS  destination.privileges", "PASS  destination.tables"})
    CHECK_MESSAGE(good.out.find(item) != std::string::npos, item << "\n" << good.out);

  auto badpw = check("ck-pw", Spec("ck-pw", "[shop.checked]", "Not-The-Pw"));
  CHECK(badpw.exit_code == 5);
  CHECK(badpw.out.find("FAIL  destination.connect") != std::string::npos);
  CHECK(badpw.out.find("destination.password") != std::string::npos);
  CHECK(badpw.out.find("Not-The-Pw") == std::string::npos);

  std::string closed = Spec("ck-http", "[shop.checked]");
  closed.replace(closed.find("http_port: ") + 11, std::to_string(E().starrocks.http_port()).size(), std::to_string(FreePort()));
  auto http = check("ck-http", closed);
  CHECK(http.exit_code == 1);
  CHECK_MESSAGE(http.out.find("FAIL  destination.http") != std::string::npos, http.out);

  E().mysql.Exec("CREATE TABLE shop.floaty (f DOUBLE PRIMARY KEY, v INT)");
  auto floaty = check("ck-float", Spec("ck-float", "[shop.floaty]"));
  CHECK(floaty.exit_code == 1);
  CHECK_MESSAGE(floaty.out.find("FAIL  destination.tables") != std::string::npos, floaty.out);
  CHECK(floaty.out.find("tables[].primary_key") != std::string::npos);
}

TEST_CASE("StarRocks: version, backend and privileges items fail with their fix where the cluster falls short") {
  CreateTable("checked2");
  auto check = [](const std::string& name, const std::string& yaml) {
    auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(name + ".yaml", yaml)});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    return E().cli.Run({"check", name}, SrEnv());
  };
  // BEs registered under an address this host cannot reach (priority_networks).
  E().starrocks.Post("/_emulator/config", R"({"be_advertised_address": "127.0.0.1:)" + std::to_string(FreePort()) + R"("})");
  auto be = check("ck-be", Spec("ck-be", "[shop.checked2]"));
  E().starrocks.Post("/_emulator/config", R"({"be_advertised_address": ""})");
  CHECK(be.exit_code == 1);
  CHECK_MESSAGE(be.out.find("FAIL  destination.backend") != std::string::npos, be.out);
  CHECK(be.out.find("priority_networks") != std::string::npos);

  // A user whose grants do not show the right to create tables and load.
  E().starrocks.Post("/_emulator/config",
                     R"({"grants": ["GRANT SELECT ON ALL TABLES IN ALL DATABASES TO USER 'root'@'%'"]})");
  auto grants = check("ck-grants", Spec("ck-grants", "[shop.checked2]"));
  E().starrocks.Post("/_emulator/config", R"({"grants": []})");
  CHECK(grants.exit_code == 0);  // a warning: grants may come through roles SHOW GRANTS does not expand
  CHECK_MESSAGE(grants.out.find("WARN  destination.privileges") != std::string::npos, grants.out);
  CHECK(grants.out.find("GRANT CREATE DATABASE ON CATALOG default_catalog TO USER root") != std::string::npos);

  // A 2.5 cluster: no RENAME COLUMN, no prepared transactions before 3.0.
  StarRocksEmulator old({"--version", "2.5.13"});
  std::string yaml = Spec("ck-old", "[shop.checked2]");
  auto swap_port = [&](const std::string& key, int from, int to) {
    size_t at = yaml.find(key + std::to_string(from));
    REQUIRE(at != std::string::npos);
    yaml.replace(at + key.size(), std::to_string(from).size(), std::to_string(to));
  };
  swap_port("port: ", E().starrocks.query_port(), old.query_port());
  swap_port("http_port: ", E().starrocks.http_port(), old.http_port());
  auto version = check("ck-old", yaml);
  CHECK(version.exit_code == 1);
  CHECK_MESSAGE(version.out.find("FAIL  destination.version") != std::string::npos, version.out);
  CHECK(version.out.find("upgrade to StarRocks 3.0") != std::string::npos);

  // A 3.0 cluster partitions by time functions only: tables[].partition takes 3.1.
  StarRocksEmulator v30({"--version", "3.0.9"});
  yaml = Spec("ck-30", "[shop.checked2]") + "tables:\n  - { match: shop.checked2, partition: { field: name } }\n";
  swap_port("port: ", E().starrocks.query_port(), v30.query_port());
  swap_port("http_port: ", E().starrocks.http_port(), v30.http_port());
  auto v30_check = check("ck-30", yaml);
  CHECK(v30_check.exit_code == 1);
  CHECK_MESSAGE(v30_check.out.find("FAIL  destination.version") != std::string::npos, v30_check.out);
  CHECK(v30_check.out.find("upgrade to StarRocks 3.1 or later, or remove tables[].partition") != std::string::npos);
}

TEST_CASE("StarRocks: another writer's label, 5xx answers and no backend alive are retried or failed over, and converge") {
  CreateTable("transient");
  Load("transient", 1, 2000);
  // During full initialization a chunk's label turns out taken by another writer.
  E().starrocks.Post("/_emulator/fault/label_taken_next", R"({"message": "done"})");
  std::string id = Create("sr-transient", "[shop.transient]");
  REQUIRE(E().cli.Run({"start", id}, SrEnv()).exit_code == 0);
  REQUIRE(Converges({"transient"}));
  REQUIRE(E().cli.WaitStreaming(id));
  const int failovers = TaskStatus(id).value("failovers", 0);
  std::mt19937 rng(5);

  // A batch's label held by another writer's open load: a fresh one is drawn.
  E().starrocks.Post("/_emulator/fault/label_taken_next", R"({"message": "running"})");
  Churn("transient", 40, rng, 2500);
  CHECK(Converges({"transient"}));
  // An FE answering 503 twice: retried with backoff inside the request.
  E().starrocks.Post("/_emulator/fault/fe_http_error", R"({"message": "503", "count": 2})");
  Churn("transient", 40, rng, 2500);
  CHECK(Converges({"transient"}));
  CHECK(TaskStatus(id).value("failovers", 0) == failovers);  // neither needed a failover

  // No backend alive for a while: the worker fails over until one is back.
  E().starrocks.Post("/_emulator/config", R"({"alive_backends": 0})");
  Churn("transient", 40, rng, 2500);
  std::string errors;
  for (int i = 0; i < 300 && errors.find("No backend alive") == std::string::npos; ++i) {
    json st = TaskStatus(id);
    if (!st.is_discarded()) errors = st.value("last_errors", json::array()).dump();
    std::this_thread::sleep_for(100ms);
  }
  CHECK_MESSAGE(errors.find("No backend alive") != std::string::npos, errors);
  E().starrocks.Post("/_emulator/config", R"({"alive_backends": 1})");
  CHECK(Converges({"transient"}));
  CHECK(TaskStatus(id).value("failovers", 0) > failovers);
  json txns = json::parse(E().starrocks.Get("/_emulator/txns"));
  int visible = 0;
  for (const auto& t : txns["finished_or_prepared"]) visible += t.value("state", "") == "VISIBLE";
  CHECK(visible > 2);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("StarRocks: rows the destination refuses fail the batch whole, with the error log's lines in status") {
  // A mode: existing table made by hand with a NOT NULL column the source
  // lacks: StarRocks filters every row (a NULL in a non-nullable column).
  E().mysql.Exec("CREATE TABLE shop.strict (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), created DATETIME)");
  E().mysql.Exec("INSERT INTO shop.strict VALUES (1, 'a', 1, NOW()), (2, 'b', 2, NOW())");
  E().starrocks.Exec("CREATE DATABASE IF NOT EXISTS shop");
  E().starrocks.Exec("CREATE TABLE shop.strict (id INT NOT NULL, name VARCHAR(160) NULL, amount DECIMAL(10,2) NULL, "
                     "created DATETIME NULL, required INT NOT NULL) PRIMARY KEY (id) DISTRIBUTED BY HASH (id) "
                     "PROPERTIES (\"replication_num\" = \"1\")");
  std::string yaml = Spec("sr-strict", "[shop.strict]") + "tables:\n  - match: shop.strict\n    mode: existing\n";
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("strict.yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::string id = created.out.substr(0, created.out.find('\n'));
  auto started = E().cli.Run({"start", id}, SrEnv());
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  std::string errors;
  for (int i = 0; i < 150 && errors.find("NULL value in non-nullable column") == std::string::npos; ++i) {
    json st = TaskStatus(id);
    if (!st.is_discarded()) errors = st.value("last_errors", json::array()).dump();
    std::this_thread::sleep_for(100ms);
  }
  CHECK_MESSAGE(errors.find("too many filtered rows") != std::string::npos, errors);
  CHECK_MESSAGE(errors.find("NULL value in non-nullable column") != std::string::npos, errors);  // the error log's line
  auto rows = DestRows("strict", "id");
  REQUIRE(rows);
  CHECK(rows->empty());  // nothing half-applied
  MESSAGE(errors);
  (void)E().cli.Run({"stop", id});
}

TEST_CASE("StarRocks: a destination table dropped by hand stops the worker with StarRocks' message") {
  CreateTable("dropped");
  Load("dropped", 1, 50);
  std::string id = Create("sr-dropped", "[shop.dropped]");
  REQUIRE(E().cli.Run({"start", id}, SrEnv()).exit_code == 0);
  REQUIRE(Converges({"dropped"}));
  REQUIRE(E().cli.WaitStreaming(id));
  E().starrocks.Exec("DROP TABLE shop.dropped FORCE");
  E().mysql.Exec("UPDATE shop.dropped SET name = 'after' WHERE id = 1");
  std::string errors;
  for (int i = 0; i < 150 && errors.find("dropped") == std::string::npos; ++i) {
    json st = TaskStatus(id);
    if (!st.is_discarded()) errors = st.value("last_errors", json::array()).dump();
    std::this_thread::sleep_for(100ms);
  }
  CHECK_MESSAGE(errors.find("shop.dropped") != std::string::npos, errors);
  (void)E().cli.Run({"stop", id});
}

TEST_CASE("StarRocks: a mode existing table is never altered; the column added there by hand lets the task go on") {
  E().mysql.Exec("CREATE TABLE shop.mine (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), created DATETIME)");
  E().mysql.Exec("INSERT INTO shop.mine VALUES (1, 'a', 1, '2024-01-01 00:00:00')");
  E().starrocks.Exec("CREATE DATABASE IF NOT EXISTS shop");
  E().starrocks.Exec("CREATE TABLE shop.mine (id INT NOT NULL, name VARCHAR(160) NULL, amount DECIMAL(10,2) NULL, "
                     "created DATETIME NULL) PRIMARY KEY (id) DISTRIBUTED BY HASH (id) "
                     "PROPERTIES (\"replication_num\" = \"1\")");
  std::string yaml = Spec("sr-mine", "[shop.mine]") + "tables:\n  - match: shop.mine\n    mode: existing\n";
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("mine.yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::string id = created.out.substr(0, created.out.find('\n'));
  REQUIRE(E().cli.Run({"start", id}, SrEnv()).exit_code == 0);
  REQUIRE(Converges({"mine"}));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("ALTER TABLE shop.mine ADD COLUMN note VARCHAR(10)");
  E().mysql.Exec("INSERT INTO shop.mine VALUES (2, 'b', 2, '2024-01-02 00:00:00', 'n')");
  std::string lifecycle;
  for (int i = 0; i < 150 && lifecycle != "failed"; ++i) {
    lifecycle = TaskStatus(id).value("lifecycle", "");
    std::this_thread::sleep_for(100ms);
  }
  CHECK(lifecycle == "failed");
  CHECK(TaskStatus(id)["last_errors"].dump().find("mode: existing") != std::string::npos);
  E().starrocks.Exec("ALTER TABLE shop.mine ADD COLUMN note VARCHAR(40) NULL");
  for (int i = 0; i < 50; ++i) {  // the schema change job ends
    auto r = E().starrocks.Admin().Query("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' "
                                         "AND TABLE_NAME = 'mine' AND COLUMN_NAME = 'note'");
    if (r.ok() && r->Scalar() == "1") break;
    std::this_thread::sleep_for(100ms);
  }
  auto again = E().cli.Run({"start", id}, SrEnv());
  REQUIRE_MESSAGE(again.exit_code == 0, again.out << again.err);
  bool converged = Converges({"mine"}, 60s, "id, name, amount, created, note");
  CHECK_MESSAGE(converged, TaskStatus(id).dump() << E().cli.Run({"logs", "-n", "20", id}).out);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("StarRocks: sync apply adds a table to a running task; it is copied and catches up while the other streams") {
  CreateTable("keep");
  CreateTable("added");
  Load("keep", 1, 500);
  Load("added", 1, 2000);
  std::string id = Create("sr-apply", "[shop.keep]");
  REQUIRE(E().cli.Run({"start", id}, SrEnv()).exit_code == 0);
  REQUIRE(Converges({"keep"}));
  REQUIRE(E().cli.WaitStreaming(id));
  std::string next = E().cli.WriteSpec("sr-apply-2.yaml", Spec("sr-apply", "[shop.keep, shop.added]"));
  auto applied = E().cli.Run({"apply", id, "-f", next}, SrEnv());
  REQUIRE_MESSAGE(applied.exit_code == 0, applied.out << applied.err);
  std::mt19937 rng(7);
  Churn("keep", 100, rng, 600);
  Churn("added", 200, rng, 2500);  // during the added table's copy or its catch-up
  CHECK(Converges({"keep", "added"}));
  Churn("added", 100, rng, 2500);
  CHECK(Converges({"keep", "added"}));
  CHECK(TaskStatus(id)["lifecycle"] == "running");
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("StarRocks: the worker killed at each named moment of a load or a DDL converges without loss or duplicates") {
  // SYNC_TEST_CRASH_DIR: the sink kills its worker with SIGKILL where a file
  // of that point's name exists (and removes it first), sr_state.hpp.
  std::string crash_dir = E().cli.dir() + "/crash";
  std::filesystem::create_directories(crash_dir);
  auto arm = [&](const std::string& point) { std::ofstream(crash_dir + "/" + point) << ""; };
  auto fired = [&](const std::string& point) {
    for (int i = 0; i < 300; ++i) {
      if (!std::filesystem::exists(crash_dir + "/" + point)) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  CreateTable("kp_a");
  CreateTable("kp_b");
  Load("kp_a", 1, 3000);
  Load("kp_b", 1, 3000);
  std::string id = Create("sr-points", "[shop.kp_a, shop.kp_b]");
  RunOptions env = SrEnv();
  env.env["SYNC_TEST_CRASH_DIR"] = crash_dir;
  arm("starrocks.table_created");  // schema migration: one table made, the other not yet
  arm("starrocks.chunk_begun");
  arm("starrocks.chunk_prepared");
  REQUIRE(E().cli.Run({"start", id}, env).exit_code == 0);
  CHECK(fired("starrocks.table_created"));
  CHECK(fired("starrocks.chunk_begun"));
  CHECK(fired("starrocks.chunk_prepared"));
  REQUIRE(Converges({"kp_a", "kp_b"}));
  REQUIRE(E().cli.WaitStreaming(id));
  std::mt19937 rng(11);
  for (const char* point : {"starrocks.batch_prepared", "starrocks.checkpoint_written", "starrocks.between_commits"}) {
    CAPTURE(point);
    arm(point);
    auto conn = E().mysql.Admin();
    // One transaction over both tables: a batch with two loads.
    REQUIRE(conn.Execute("BEGIN").ok());
    REQUIRE(conn.Execute("UPDATE shop.kp_a SET name = CONCAT('x', id) WHERE id <= 50").ok());
    REQUIRE(conn.Execute("UPDATE shop.kp_b SET amount = amount + 1 WHERE id <= 50").ok());
    REQUIRE(conn.Execute("COMMIT").ok());
    CHECK(fired(point));
    Churn("kp_a", 30, rng, 3500);
    CHECK(Converges({"kp_a", "kp_b"}));
  }
  // During the wait for a schema change job.
  arm("starrocks.ddl_wait");
  E().mysql.Exec("ALTER TABLE shop.kp_a ADD COLUMN extra INT DEFAULT 7");
  E().mysql.Exec("UPDATE shop.kp_a SET extra = 8 WHERE id = 1");
  CHECK(fired("starrocks.ddl_wait"));
  bool converged = Converges({"kp_a"}, 90s, "id, name, amount, created, extra");
  CHECK_MESSAGE(converged, E().cli.Run({"logs", "-n", "12", id}).out);
  CHECK(TaskStatus(id).value("failovers", 0) >= 6);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("StarRocks: tables[].partition: partitions StarRocks makes as rows load, rows moving between them, through SIGKILLs") {
  // The workload of e2e_partition_test: a month computed from a date column,
  // and a source column with a value that is no plain partition name.
  E().mysql.Exec("CREATE TABLE shop.srp_orders (id INT PRIMARY KEY, created DATE NOT NULL, amount INT)");
  E().mysql.Exec("INSERT INTO shop.srp_orders SELECT seq, '2024-01-01' + INTERVAL (seq % 180) DAY, seq % 97 "
                 "FROM seq.seq_1_to_4000");
  E().mysql.Exec("CREATE TABLE shop.srp_events (id INT PRIMARY KEY, region VARCHAR(20) NOT NULL, v INT)");
  E().mysql.Exec("INSERT INTO shop.srp_events SELECT seq, ELT(1 + seq % 4, 'eu', 'us', 'ap', 'sa-east 1/x'), seq "
                 "FROM seq.seq_1_to_3000");
  const std::string settings =
      "tables:\n"
      "  - { match: shop.srp_orders, partition: { field: month, value: '${created:%Y%m}' } }\n"
      "  - { match: shop.srp_events, partition: { field: region } }\n";
  auto created = E().cli.Run({"create", "--no-check", "-f",
                              E().cli.WriteSpec("sr-parted.yaml", Spec("sr-parted", "[shop.srp_*]") + settings)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));
  auto check = E().cli.Run({"check", id}, SrEnv());
  CHECK_MESSAGE(check.out.find("partition is not available") == std::string::npos, check.out);

  const std::string crash_dir = E().cli.dir() + "/srp-crash";
  std::filesystem::create_directories(crash_dir);
  auto arm = [&](const std::string& point) { std::ofstream(crash_dir + "/" + point) << ""; };
  auto fired = [&](const std::string& point) {
    for (int i = 0; i < 300 && std::filesystem::exists(crash_dir + "/" + point); ++i) std::this_thread::sleep_for(100ms);
    return !std::filesystem::exists(crash_dir + "/" + point);
  };
  RunOptions env = SrEnv();
  env.env["SYNC_TEST_CRASH_DIR"] = crash_dir;
  arm("starrocks.chunk_prepared");  // a chunk's load prepared, not committed
  REQUIRE(E().cli.Run({"start", id}, env).exit_code == 0);
  CHECK(fired("starrocks.chunk_prepared"));
  REQUIRE(E().cli.WaitStreaming(id));

  arm("starrocks.batch_prepared");  // a batch's loads prepared, the checkpoint not yet written
  auto admin = E().mysql.Admin();
  for (const std::string& sql : std::vector<std::string>{
           "INSERT INTO shop.srp_orders VALUES (5001, '2024-07-15', 1), (5002, '2024-07-16', 2)",
           "UPDATE shop.srp_orders SET created = '2024-09-01' WHERE id = 10",  // moves to a new partition
           "UPDATE shop.srp_orders SET created = '2024-02-29' WHERE id = 11",  // to an existing one
           "UPDATE shop.srp_orders SET amount = amount + 1000 WHERE id <= 50",
           "DELETE FROM shop.srp_orders WHERE id IN (20, 5002)",
           "UPDATE shop.srp_events SET region = 'af' WHERE id = 5",
           "INSERT INTO shop.srp_events VALUES (5001, 'sa-east 1/x', 7), (5002, 'me', 8)",
           "DELETE FROM shop.srp_events WHERE id = 6",
           "BEGIN", "UPDATE shop.srp_orders SET id = 9000, created = '2025-01-01' WHERE id = 30",
           "INSERT INTO shop.srp_orders VALUES (9001, '2025-02-02', 5)", "COMMIT",
           "INSERT INTO shop.srp_orders SELECT 10000 + seq, '2026-01-01' + INTERVAL (seq DIV 3000) MONTH, 1 "
           "FROM seq.seq_0_to_8999"})
    REQUIRE_MESSAGE(admin.Execute(sql).ok(), sql);
  CHECK(fired("starrocks.batch_prepared"));

  auto converges = [](const std::string& table, const std::string& source_columns, const std::string& dest_columns) {
    return WaitConverged(
        {table}, [&](const std::string& t) { return std::optional(SourceRows(t, source_columns)); },
        [&](const std::string& t) { return DestRows(t, dest_columns); }, 90s);
  };
  CHECK(converges("srp_orders", "id, created, amount, DATE_FORMAT(created, '%Y%m')", "id, created, amount, month"));
  CHECK(converges("srp_events", "id, region, v", "id, region, v"));
  // StarRocks made one partition per value loaded (a partition a row left stays, empty).
  auto conn = mysql::Connection::Connect({"127.0.0.1", E().starrocks.query_port(), "root", StarRocksEmulator::kPassword, 5, 60});
  REQUIRE(conn.ok());
  auto partitions = [&](const std::string& table) {
    auto r = conn->Query("SHOW PARTITIONS FROM shop." + table);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    std::set<std::string> names;
    int at = r->ColumnIndex("PartitionName");
    for (const auto& row : r->rows) names.insert(row[at].value_or(""));
    return names;
  };
  CHECK(partitions("srp_orders") ==
        std::set<std::string>{"p202401", "p202402", "p202403", "p202404", "p202405", "p202406", "p202407", "p202409",
                              "p202501", "p202502", "p202601", "p202602", "p202603"});
  const std::set<std::string> regions = partitions("srp_events");
  CHECK(regions.size() == 6);  // eu us ap af me, and the one with a space and a slash:
  CHECK(regions.count("psaeast12fx") == 1);  // StarRocks drops '-' and ' ', writes '/' as hex
  // The key holds the partition column, as StarRocks wants of a Primary Key table.
  auto ddl = conn->Query("SHOW CREATE TABLE shop.srp_events");
  REQUIRE(ddl.ok());
  const std::string create = ddl->rows.at(0).at(1).value_or("");
  CHECK_MESSAGE(create.find("PRIMARY KEY(`id`, `region`)") != std::string::npos, create);
  CHECK_MESSAGE(create.find("PARTITION BY `region`") != std::string::npos, create);
  CHECK(TaskStatus(id).value("failovers", 0) == 2);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("StarRocks: on_conflict replace, update and ignore against another writer's rows, through a SIGKILL") {
  // Partial updates leave the other writer's column as it is and give a new
  // key its default; a whole row (replace, or a key the batch deleted) is a
  // JSON row without it, which StarRocks fills with NULL.
  const std::vector<std::string> policies = {"replace", "update", "ignore"};
  std::map<std::string, ConflictModel> models;
  std::string tables_yaml = "tables:\n";
  E().starrocks.Exec("CREATE DATABASE IF NOT EXISTS shop");
  for (const auto& policy : policies) {
    const std::string t = "src_" + policy;
    E().mysql.Exec("CREATE TABLE shop." + t + " (id INT PRIMARY KEY, v VARCHAR(20))");
    E().mysql.Exec("INSERT INTO shop." + t + " SELECT seq, CONCAT('s', seq) FROM seq.seq_1_to_3000");
    E().starrocks.Exec("CREATE TABLE shop." + t + " (id INT NOT NULL, v VARCHAR(80) NULL, note VARCHAR(20) NULL "
                       "DEFAULT 'dflt') PRIMARY KEY (id) DISTRIBUTED BY HASH (id) PROPERTIES (\"replication_num\" = \"1\")");
    ConflictModel& m = models[policy];
    m = {policy, "NULL", "dflt", {}};
    std::string theirs = "INSERT INTO shop." + t + " VALUES (9000, 'dest9000', 'mine')";
    for (int id = 2001; id <= 4000; ++id) theirs += ", (" + std::to_string(id) + ", 'dest', 'mine')";
    E().starrocks.Exec(theirs);
    for (int id = 2001; id <= 4000; ++id) m.Theirs(id, "dest");
    m.Theirs(9000, "dest9000");
    for (int id = 1; id <= 3000; ++id) m.Insert(id, "s" + std::to_string(id));
    tables_yaml += "  - { match: shop." + t + ", mode: existing, on_conflict: " + policy + " }\n";
  }
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("src.yaml", Spec("sr-conflict", "[shop.src_*]") + tables_yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const std::string id = created.out.substr(0, created.out.find('\n'));
  REQUIRE(E().cli.Run({"start", id}, SrEnv()).exit_code == 0);
  KillRunAndConverge(E().cli, E().mysql, id, "src_", models, 2001, 3500,
                     [](const std::string& table) { return DestRows(table, "id, v, note"); }, 90s);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}
