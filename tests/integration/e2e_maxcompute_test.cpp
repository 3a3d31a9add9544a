// End to end into MaxCompute: real MariaDB, the MaxCompute emulator
// (tests/emulators/maxcompute/) started as a new project is (types 1.0 until
// a statement asks for 2.0, a project time zone that is not UTC), the sync
// binary. Full initialization, real-time changes, DDL, SIGKILL of the worker
// at named moments and at random, a restart of the emulator, converging
// with nothing lost or doubled.

#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <map>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "harness/conflict_model.hpp"
#include "harness/maxcompute_emulator.hpp"
#include "harness/process.hpp"
#include "harness/servers.hpp"
#include "harness/type_matrix.hpp"
#include "harness/workload.hpp"
#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_state.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Env {
  MariaDbServer mysql;
  MaxComputeEmulator maxcompute;  // as a new project: types 1.0, Asia/Shanghai
  SyncCli cli;
  Env() { PrepareShopSource(mysql); }
};

Env& E() {
  static Env env;
  return env;
}

const char* kColumns = "id, name, amount, created";

std::string Spec(const std::string& name, const std::string& tables, const std::string& key = "${env:MC_KEY}") {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: " + std::to_string(8000 + std::hash<std::string>{}(name) % 1000) +
         "\n  tables: " + tables + "\ndestination:\n  type: maxcompute\n  endpoint: " + E().maxcompute.endpoint() +
         "\n  project: p1\n  access_id: " + MaxComputeEmulator::kAccessId + "\n  access_key: \"" + key + "\"\n"
         "runtime: { batch_rows: 500, flush_ms: 300, snapshot_parallelism: 2, failover: { max_backoff_seconds: 1 } }\n";
}

RunOptions McEnv() { return {.env = {{"MC_KEY", MaxComputeEmulator::kAccessKey}}}; }


// Adds `line` (e.g. "write_mode: log") to the destination section of a Spec().
void AddDestinationKey(std::string& yaml, const std::string& line) {
  const std::string project = "  project: p1\n";
  yaml.replace(yaml.find(project), project.size(), project + "  " + line + "\n");
}

// `sync create` of `yaml` (no check); the task's id.
std::string CreateFromYaml(const std::string& name, const std::string& yaml) {
  auto r = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(name + ".yaml", yaml)});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return r.out.substr(0, r.out.find('\n'));
}

std::string Create(const std::string& name, const std::string& tables) { return CreateFromYaml(name, Spec(name, tables)); }

json TaskStatus(const std::string& id) { return json::parse(E().cli.Run({"status", id, "-o", "json"}).out, nullptr, false); }

void CreateTable(const std::string& table) {
  E().mysql.Exec("CREATE TABLE shop." + table + " (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), created DATETIME)");
}

void Load(const std::string& table, int from, int to) {
  E().mysql.Exec("INSERT INTO shop." + table + " SELECT seq, CONCAT('n', seq), seq / 7, '2024-03-10 01:30:00' + "
                 "INTERVAL seq MINUTE FROM seq.seq_" + std::to_string(from) + "_to_" + std::to_string(to));
}

// The source's rows as MaxCompute SQL shows the same values: DATETIME as its
// wall clock (the project's zone is the one sync reads wall clocks in).
std::vector<std::string> SourceRows(const std::string& table, const std::string& columns = kColumns) {
  std::string select = columns;
  for (const char* c : {"created", "since"}) {
    size_t at = select.find(c);
    if (at != std::string::npos)
      select.replace(at, std::strlen(c), std::string("DATE_FORMAT(") + c + ", '%Y-%m-%d %H:%i:%s')");
  }
  auto r = E().mysql.Admin().Query("SELECT " + select + " FROM shop." + table + " ORDER BY id");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return JoinedLines(r->rows);
}

// The destination's rows through MaxCompute SQL (the emulator's admin SQL,
// unsigned), in the project's time zone.
std::optional<std::vector<std::string>> DestRows(const std::string& table, const std::string& columns = kColumns) {
  auto rows = E().maxcompute.Query("SELECT " + columns + " FROM " + table + " ORDER BY id LIMIT 10000");
  if (!rows) return std::nullopt;
  return JoinedLines(*rows);
}

bool Converges(const std::vector<std::string>& tables, std::chrono::seconds limit = 120s,
               const std::string& columns = kColumns) {
  return WaitConverged(
      tables, [&](const std::string& t) { return std::optional(SourceRows(t, columns)); },
      [&](const std::string& t) { return DestRows(t, columns); }, limit);
}

int WorkerPid(const std::string& id, int not_this = 0) { return testing::WorkerPid(E().cli, id, not_this); }

// A query through the emulator's admin SQL: its CSV rows, or nullopt.
std::optional<std::vector<std::vector<std::optional<std::string>>>> McQuery(const std::string& query) {
  return E().maxcompute.Query(query);
}

// The table a change log holds, rebuilt as sync-types(7) tells a user to
// (RebuildSql), as of `as_of_ms` when given: each row joined, sorted; a
// keyless table's rows repeated as often as they are there.
std::optional<std::vector<std::string>> LogRows(const std::string& table, const std::string& columns, bool keyed,
                                                std::optional<int64_t> as_of_ms = std::nullopt) {
  std::vector<std::string> names;
  for (size_t at = 0; at < columns.size();) {
    size_t comma = columns.find(", ", at);
    names.push_back(columns.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    at = comma == std::string::npos ? columns.size() : comma + 2;
  }
  auto rows = McQuery(maxcompute::RebuildSql(table, names, keyed ? std::vector<std::string>{"id"}
                                                                 : std::vector<std::string>{}, as_of_ms));
  if (!rows) return std::nullopt;
  std::vector<std::string> out;
  for (auto& row : *rows) {
    int64_t copies = 1;
    if (!keyed) {
      copies = std::stoll(row.back().value_or("0"));
      row.pop_back();
    }
    auto line = JoinedLines({row});
    for (int64_t k = 0; k < copies; ++k) out.push_back(line[0]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> SortedSourceRows(const std::string& table, const std::string& columns = kColumns) {
  auto rows = SourceRows(table, columns);
  std::sort(rows.begin(), rows.end());
  return rows;
}

bool LogConverges(const std::vector<std::string>& keyed, const std::vector<std::string>& keyless,
                  const std::string& columns = kColumns) {
  auto is_keyed = [&](const std::string& t) { return std::find(keyed.begin(), keyed.end(), t) != keyed.end(); };
  std::vector<std::string> tables = keyed;
  tables.insert(tables.end(), keyless.begin(), keyless.end());
  return WaitConverged(
      tables, [&](const std::string& t) { return std::optional(SortedSourceRows(t, columns)); },
      [&](const std::string& t) { return LogRows(t, columns, is_keyed(t)); }, 150s);
}

// Sequence ids that more than one record of the change log has.
std::vector<std::string> RepeatedSequenceIds(const std::string& table) {
  auto rows = McQuery("SELECT _sequence_id_ FROM " + table +
                      " WHERE _sequence_id_ > 0 GROUP BY _sequence_id_ HAVING COUNT(*) > 1");
  REQUIRE(rows);
  return JoinedLines(*rows);
}

}  // namespace

TEST_CASE("MaxCompute: start copies, streams changes with the wall clock kept, follows DDL, and stop checkpoints") {
  CreateTable("orders");
  Load("orders", 1, 2000);
  std::string id = Create("mc-basic", "[shop.orders]");
  auto started = E().cli.Run({"start", id}, McEnv());
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  REQUIRE(Converges({"orders"}));
  REQUIRE(E().cli.WaitStreaming(id));
  std::mt19937 rng(3);
  testing::Churn(E().mysql, "orders", 200, rng, 2500);
  CHECK(Converges({"orders"}));
  // 2024-03-10 02:00 is a wall clock New York skips; Shanghai has no DST, and
  // the DATETIME shows in MaxCompute SQL as MySQL shows it.
  auto dest = DestRows("orders", "id, created");
  REQUIRE(dest);
  CHECK(std::find(dest->begin(), dest->end(), "30|2024-03-10 02:00:00") != dest->end());

  E().mysql.Exec("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(20) DEFAULT 'none'");
  E().mysql.Exec("UPDATE shop.orders SET note = 'changed' WHERE id <= 5");
  CHECK(Converges({"orders"}, 120s, "id, name, amount, created, note"));
  // A default written as a DATETIME literal, read in the project's zone.
  E().mysql.Exec("ALTER TABLE shop.orders ADD COLUMN since DATETIME DEFAULT '2024-02-29 23:30:00', "
                 "ADD COLUMN day DATE DEFAULT '2024-03-01'");
  CHECK(Converges({"orders"}, 120s, "id, name, since, day"));

  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  E().mysql.Exec("UPDATE shop.orders SET name = 'while stopped' WHERE id BETWEEN 10 AND 20");
  E().mysql.Exec("DELETE FROM shop.orders WHERE id BETWEEN 30 AND 40");
  REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  CHECK(Converges({"orders"}, 120s, "id, name, amount, created, note"));
  json st = TaskStatus(id);
  CHECK(st.value("failovers", 0) == 0);
  // The secret is labelled by its key, and shown as written.
  const std::string text = E().cli.Run({"status", id}).out;
  CHECK_MESSAGE(text.find("(access_key ${env:MC_KEY})") != std::string::npos, text);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("MaxCompute: SIGKILL of the worker and a restart of the emulator mid-load converge without loss or duplicates") {
  CreateTable("kills");
  Load("kills", 1, 6000);
  std::string id = Create("mc-kills", "[shop.kills]");
  REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  std::mt19937 rng(7);
  int pid = 0;
  for (int i = 0; i < 10; ++i) {
    pid = WorkerPid(id, pid);
    REQUIRE(pid > 0);
    testing::Churn(E().mysql, "kills", 40, rng, 7000);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 900));
    ::kill(pid, SIGKILL);
  }
  E().maxcompute.Kill();
  testing::Churn(E().mysql, "kills", 40, rng, 7000);
  E().maxcompute.Start();
  CHECK_MESSAGE(Converges({"kills"}, 180s), E().cli.Run({"logs", "-n", "40", id}).out);
  CHECK(TaskStatus(id).value("failovers", 0) >= 10);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("MaxCompute: the worker killed at each named moment of a copy or a batch converges, a Delta table and a "
          "change log alike") {
  std::string crash_dir = E().cli.dir() + "/mc-crash";
  std::filesystem::create_directories(crash_dir);
  auto arm = [&](const std::string& point) { std::ofstream(crash_dir + "/" + point) << ""; };
  auto fired = [&](const std::string& point) {
    for (int i = 0; i < 300; ++i) {
      if (!std::filesystem::exists(crash_dir + "/" + point)) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  CreateTable("mp_a");
  CreateTable("mp_b");
  Load("mp_a", 1, 3000);
  Load("mp_b", 1, 3000);
  // mp_a a Delta table (upsert sessions), mp_b a change log (batch uploads),
  // both kept 30 days after their last change.
  std::string yaml = Spec("mc-points", "[shop.mp_a, shop.mp_b]") + "tables:\n  - match: shop.mp_b\n    write_mode: log\n";
  AddDestinationKey(yaml, "lifecycle: 30");
  std::string id = CreateFromYaml("mc-points", yaml);
  auto converge = [] { return Converges({"mp_a"}) && LogConverges({"mp_b"}, {}); };
  RunOptions env = McEnv();
  env.env["SYNC_TEST_CRASH_DIR"] = crash_dir;
  for (const char* point : {"maxcompute.table_created", "maxcompute.chunk_uploaded", "maxcompute.chunk_committed"})
    arm(point);
  REQUIRE(E().cli.Run({"start", id}, env).exit_code == 0);
  for (const char* point : {"maxcompute.table_created", "maxcompute.chunk_uploaded", "maxcompute.chunk_committed"})
    CHECK_MESSAGE(fired(point), point);
  REQUIRE(converge());
  for (const char* table : {"mp_a", "mp_b"})
    CHECK(json::parse(E().maxcompute.Get(std::string("/__emulator/tables/p1/") + table)).value("lifecycle", 0) == 30);
  REQUIRE_MESSAGE(E().cli.WaitStreaming(id), E().cli.Run({"logs", "-n", "30", id}).out);
  std::mt19937 rng(11);
  for (const char* point : {"maxcompute.batch_uploaded", "maxcompute.checkpoint_written", "maxcompute.between_commits"}) {
    CAPTURE(point);
    arm(point);
    auto conn = E().mysql.Admin();
    // One transaction over both tables: a batch with two sessions.
    REQUIRE(conn.Execute("BEGIN").ok());
    REQUIRE(conn.Execute("UPDATE shop.mp_a SET name = CONCAT('x', id) WHERE id <= 50").ok());
    REQUIRE(conn.Execute("UPDATE shop.mp_b SET amount = amount + 1 WHERE id <= 50").ok());
    REQUIRE(conn.Execute("COMMIT").ok());
    CHECK(fired(point));
    testing::Churn(E().mysql, "mp_a", 30, rng, 3500);
    CHECK(converge());
  }
  // A piece of a transaction larger than a batch staged in the sessions.
  arm("maxcompute.changes_staged");
  E().mysql.Exec("UPDATE shop.mp_a SET amount = amount + 1 WHERE id <= 1200");
  CHECK(fired("maxcompute.changes_staged"));
  CHECK(converge());
  // A DDL statement applied (and its column filled), not yet recorded.
  arm("maxcompute.ddl_applied");
  E().mysql.Exec("ALTER TABLE shop.mp_a ADD COLUMN qty INT DEFAULT 7");
  CHECK(fired("maxcompute.ddl_applied"));
  CHECK(Converges({"mp_a"}, 120s, "id, name, amount, created, qty"));
  // A pack on its way to the tunnel: the worker dies while the emulator
  // holds the PUT, which lands after it, in a session never committed.
  auto in_flight = [&](const std::string& path, const std::string& query) {
    json fault = {{"method", "PUT"}, {"endpoint", "tunnel"}, {"path_regex", path}, {"query_regex", query},
                  {"action", "delay"}, {"delay_ms", 3000}, {"count", 1}};
    E().maxcompute.Post("/__emulator/faults", fault.dump());
  };
  auto kill_when_held = [&] {
    const int pid = WorkerPid(id);
    for (int i = 0; i < 200; ++i) {
      json rules = json::parse(E().maxcompute.Get("/__emulator/faults"), nullptr, false);
      bool held = rules.is_object() && !rules["rules"].empty() && rules["rules"][0].value("count", 1) == 0;
      if (held) {
        ::kill(pid, SIGKILL);
        E().maxcompute.Delete("/__emulator/faults");
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  in_flight("/upserts$", "bucketid=");
  E().mysql.Exec("UPDATE shop.mp_a SET name = 'in flight' WHERE id BETWEEN 200 AND 260");
  CHECK(kill_when_held());
  CHECK(converge());
  // The Delta table's session of a batch expires before anyone commits it
  // (every upsert commit refused meanwhile), the change log's commits: the
  // checkpoint falls back to the position before the batch, which is
  // applied again to mp_a under new sessions and not to mp_b (whose log
  // would show its changes twice).
  arm("maxcompute.checkpoint_written");
  E().maxcompute.Post("/__emulator/faults",
                      R"({"method": "POST", "endpoint": "tunnel", "path_regex": "/upserts$", "query_regex": "upsertid=",
                          "status": 503, "code": "ServiceUnavailable", "message": "injected: commits refused",
                          "count": -1})");
  {
    auto conn = E().mysql.Admin();
    REQUIRE(conn.Execute("BEGIN").ok());
    REQUIRE(conn.Execute("UPDATE shop.mp_a SET name = 'expired once' WHERE id BETWEEN 100 AND 150").ok());
    REQUIRE(conn.Execute("UPDATE shop.mp_b SET name = 'expired once' WHERE id BETWEEN 100 AND 150").ok());
    REQUIRE(conn.Execute("COMMIT").ok());
  }
  CHECK(fired("maxcompute.checkpoint_written"));
  bool refused = false;  // a restarted worker failed to commit it
  for (int i = 0; i < 300 && !refused; ++i) {
    refused = E().cli.Run({"logs", "-n", "50", id}).out.find("commits refused") != std::string::npos;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(refused);
  E().maxcompute.Post("/__emulator/sessions/age?seconds=90000");
  E().maxcompute.Delete("/__emulator/faults");
  CHECK_MESSAGE(converge(), E().cli.Run({"logs", "-n", "25", id}).out);
  auto after_images = McQuery("SELECT COUNT(*) FROM mp_b WHERE name = 'expired once'");
  REQUIRE(after_images);
  CHECK(JoinedLines(*after_images) == std::vector<std::string>{"51"});  // once each, not again with the replay
  CHECK(RepeatedSequenceIds("mp_b").empty());
  CHECK(TaskStatus(id).value("failovers", 0) >= 10);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);

  // A chunk's block on its way: held by the emulator while the worker dies,
  // it lands in a session that is never committed; the chunk is read again.
  CreateTable("mp_c");
  Load("mp_c", 1, 2000);
  in_flight("/tables/mp_c$", "blockid=");
  std::string copy = Create("mc-inflight", "[shop.mp_c]");
  REQUIRE(E().cli.Run({"start", copy}, McEnv()).exit_code == 0);
  for (int i = 0; i < 100 && WorkerPid(copy) <= 0; ++i) std::this_thread::sleep_for(100ms);
  const int first = WorkerPid(copy);
  for (int i = 0; i < 200; ++i) {
    json rules = json::parse(E().maxcompute.Get("/__emulator/faults"), nullptr, false);
    if (rules.is_object() && !rules["rules"].empty() && rules["rules"][0].value("count", 1) == 0) {
      ::kill(first, SIGKILL);
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  E().maxcompute.Delete("/__emulator/faults");
  CHECK(WorkerPid(copy, first) > 0);  // restarted
  CHECK(Converges({"mp_c"}));
  CHECK(TaskStatus(copy).value("failovers", 0) >= 1);
  CHECK(E().cli.Run({"stop", copy}).exit_code == 0);
}

TEST_CASE("MaxCompute: start refuses a keyless table in write_mode upsert and a wrong AccessKey, each with its fix") {
  E().mysql.Exec("CREATE TABLE shop.keyless (a INT, b INT)");
  auto created = E().cli.Run(
      {"create", "--no-check", "-f",
       E().cli.WriteSpec("mc-keyless.yaml", Spec("mc-keyless", "[shop.keyless]") +
                                                "tables:\n  - match: shop.keyless\n    write_mode: upsert\n")});
  REQUIRE(created.exit_code == 0);
  auto keyless = E().cli.Run({"start", "mc-keyless"}, McEnv());
  CHECK(keyless.exit_code != 0);
  CHECK_MESSAGE((keyless.out + keyless.err).find("primary_key") != std::string::npos, keyless.out << keyless.err);
  CHECK_MESSAGE((keyless.out + keyless.err).find("write_mode: log") != std::string::npos, keyless.out << keyless.err);

  CreateTable("badkey");
  created = E().cli.Run({"create", "--no-check", "-f",
                         E().cli.WriteSpec("mc-badkey.yaml", Spec("mc-badkey", "[shop.badkey]", "Not-The-Key"))});
  REQUIRE(created.exit_code == 0);
  auto badkey = E().cli.Run({"start", "mc-badkey"}, McEnv());
  CHECK(badkey.exit_code == 5);
  CHECK_MESSAGE((badkey.out + badkey.err).find("access_key") != std::string::npos, badkey.out << badkey.err);
  CHECK((badkey.out + badkey.err).find("Not-The-Key") == std::string::npos);
}

TEST_CASE("MaxCompute: sync apply adds a table to a running task; it is copied and catches up") {
  CreateTable("first");
  CreateTable("second");
  Load("first", 1, 500);
  Load("second", 1, 500);
  std::string id = Create("mc-apply", "[shop.first]");
  REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  REQUIRE(Converges({"first"}));
  REQUIRE(E().cli.WaitStreaming(id));
  auto applied = E().cli.Run({"apply", id, "-f", E().cli.WriteSpec("mc-apply.yaml", Spec("mc-apply", "[shop.first, shop.second]"))},
                             McEnv());
  REQUIRE_MESSAGE(applied.exit_code == 0, applied.out << applied.err);
  std::mt19937 rng(5);
  testing::Churn(E().mysql, "second", 50, rng, 600);
  testing::Churn(E().mysql, "first", 50, rng, 600);
  CHECK(Converges({"first", "second"}));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

namespace {

// Each type-matrix column: the source expression (session in UTC) whose text
// is what MaxCompute holds, as the emulator's admin view renders it (UTC for
// DATETIME and TIMESTAMP, hex for BINARY). The project of this test is in
// UTC, so a DATETIME's wall clock is its UTC rendering; the wall-clock rule
// in another zone is the first test's.
const char* const kMcSource[] = {
    "ti", "tiu", "si", "mi", "bi", "biu", "dec_", "f", "d", "b + 0", "y + 0", "DATE_FORMAT(dt, '%Y-%m-%d')", "tm",
    "DATE_FORMAT(dtm, '%Y-%m-%d %H:%i:%s.%f')", "DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f')", "c", "vc",
    "CONVERT(l1 USING utf8mb4)", "LOWER(HEX(bin))", "tx", "LOWER(HEX(lb))", "e", "st", "j", "LOWER(HEX(g))"};

// Differences of rendering only: numbers compared as numbers, DATETIME to
// the millisecond MaxCompute keeps, TIMESTAMP to the microsecond MySQL has.
std::string McCanonical(const std::string& column, const std::string& text) {
  if (column == "f" || column == "d") {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", std::strtod(text.c_str(), nullptr));
    return buf;
  }
  if (column == "dec_" && text.find('.') != std::string::npos) {  // exact digits, trailing zeros aside
    std::string digits = text.substr(0, text.find_last_not_of('0') + 1);
    return digits.back() == '.' ? digits.substr(0, digits.size() - 1) : digits;
  }
  if (column == "dtm") return text.substr(0, 23);
  if (column == "ts") return text.substr(0, 26);
  return text;
}

using McRows = std::vector<std::vector<std::string>>;

// By id, then by value: a keyless table may hold an id twice.
void SortById(McRows& rows) {
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    const int64_t x = std::stoll(a[0]), y = std::stoll(b[0]);
    return x != y ? x < y : a < b;
  });
}

McRows McTypedSource(const std::string& table) {
  std::string columns = "id";
  for (const char* c : kMcSource) columns += std::string(", ") + c;
  auto conn = E().mysql.Admin();
  REQUIRE(conn.Execute("SET time_zone = '+00:00'").ok());
  auto r = conn.Query("SELECT " + columns + " FROM shop." + table + " ORDER BY id");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  McRows out;
  for (const auto& row : r->rows) {
    std::vector<std::string> line{row[0].value_or("NULL")};
    for (size_t c = 1; c < row.size(); ++c)
      line.push_back(row[c] ? McCanonical(kTypeMatrixColumnNames[c - 1], *row[c]) : "NULL");
    out.push_back(std::move(line));
  }
  SortById(out);
  return out;
}

enum class McTable { kDelta, kKeyedLog, kKeylessLog };

// The id and _sequence_id_ of each record the rebuild SQL keeps of a keyed
// change log (RebuildSql over id; the full initialization's records all
// have sequence id 0).
using RecordIds = std::set<std::pair<int64_t, int64_t>>;
std::optional<RecordIds> KeptRecords(const MaxComputeEmulator& emulator, const std::string& table) {
  json sql = {{"project", "p1"},
              {"query", maxcompute::RebuildSql(table, {"id", maxcompute::kSequenceIdColumn}, {"id"}) + ";"},
              {"settings", {{"odps.sql.type.system.odps2", "true"}}}};
  json r = json::parse(emulator.Post("/__emulator/sql", sql.dump()), nullptr, false);
  if (!r.is_object() || r.value("status", "") != "Success") return std::nullopt;
  RecordIds kept;
  for (const auto& row : maxcompute::ParseCsvResult(r.value("result", "")))
    kept.insert({std::stoll(row[0].value_or("0")), std::stoll(row[1].value_or("0"))});
  return kept;
}

// The table's rows with each value as MaxCompute holds it (the emulator's
// dump); a change log's as rebuilt: a keyed one's records the rebuild SQL
// keeps, a keyless one's after images less its before images.
std::optional<McRows> McTypedDest(const MaxComputeEmulator& emulator, const std::string& table,
                                  McTable kind = McTable::kDelta) {
  json dump;
  std::optional<RecordIds> kept;
  try {
    dump = json::parse(emulator.Get("/__emulator/tables/p1/" + table), nullptr, false);
    if (kind == McTable::kKeyedLog && !(kept = KeptRecords(emulator, table))) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!dump.is_object() || !dump.contains("rows")) return std::nullopt;
  McRows out;
  std::map<std::vector<std::string>, int> bag;
  for (const auto& row : dump["rows"]) {
    if (kept && !kept->count({row["id"].get<int64_t>(), row[maxcompute::kSequenceIdColumn].get<int64_t>()})) continue;
    std::vector<std::string> line{row["id"].dump()};
    for (const char* name : kTypeMatrixColumnNames) {
      const json& v = row[name];
      line.push_back(v.is_null() ? "NULL" : McCanonical(name, v.is_string() ? v.get<std::string>() : v.dump()));
    }
    if (kind == McTable::kKeylessLog)
      bag[line] += row[maxcompute::kAfterImageColumn] == "Y" ? 1 : -1;
    else
      out.push_back(std::move(line));
  }
  for (const auto& [line, count] : bag)
    for (int k = 0; k < count; ++k) out.push_back(line);
  SortById(out);
  return out;
}

bool McTypedConverge(const MaxComputeEmulator& emulator, const std::vector<std::string>& tables,
                     McTable kind = McTable::kDelta) {
  auto deadline = std::chrono::steady_clock::now() + 150s;
  while (true) {
    bool all = true;
    for (const auto& t : tables) {
      auto dest = McTypedDest(emulator, t, kind);
      auto source = McTypedSource(t);
      if (!dest || *dest != source) {
        if (std::chrono::steady_clock::now() > deadline) {
          std::string where = dest ? std::to_string(source.size()) + " source rows, " + std::to_string(dest->size()) +
                                         " destination rows"
                                   : "unreadable";
          if (dest)
            for (size_t i = 0; i < std::min(source.size(), dest->size()) && where.find("column") == std::string::npos; ++i)
              for (size_t c = 0; c < source[i].size(); ++c)
                if (source[i][c] != (*dest)[i][c]) {
                  where += "; id " + source[i][0] + " column " + (c ? kTypeMatrixColumnNames[c - 1] : "id") +
                           ": source '" + source[i][c].substr(0, 80) + "', destination '" + (*dest)[i][c].substr(0, 80) + "'";
                  break;
                }
          MESSAGE(t << ": " << where);
          return false;
        }
        all = false;
        break;
      }
    }
    if (all) return true;
    std::this_thread::sleep_for(700ms);
  }
}

// Two type-matrix tables (`keys`: each one's key clause) of 300 rows, and a
// started task `name` on them into `emulator`; `edit` adjusts its spec.
std::string StartTypeMatrixTask(const MaxComputeEmulator& emulator, const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& tables, TypeMatrixRows& gen,
                                const std::function<void(std::string&)>& edit) {
  gen.set_bigint_min("-9223372036854775807");  // MaxCompute's BIGINT minimum (specs/maxcompute.md 5.1)
  std::string list;
  for (const auto& [table, key] : tables) {
    E().mysql.Exec("CREATE TABLE shop." + table + " (" + kTypeMatrixColumnsDdl + key + ")");
    list += (list.empty() ? "shop." : ", shop.") + table;
  }
  {
    auto conn = E().mysql.Admin();
    for (int id = 1; id <= 300; ++id)
      for (const auto& [table, key] : tables) REQUIRE(conn.Execute(TypeMatrixInsert(table, id, gen)).ok());
  }
  std::string yaml = Spec(name, "[" + list + "]");
  yaml.replace(yaml.find(E().maxcompute.endpoint()), E().maxcompute.endpoint().size(), emulator.endpoint());
  edit(yaml);
  std::string id = CreateFromYaml(name, yaml);
  auto started = E().cli.Run({"start", id}, McEnv());
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  return id;
}

}  // namespace

TEST_CASE("MaxCompute: every column type converges through copy and streaming, with the source's key and an override") {
  MaxComputeEmulator utc({"--timezone", "UTC"});
  TypeMatrixRows gen(20261207);
  std::string id = StartTypeMatrixTask(utc, "mc-types", {{"mc_typed", ", PRIMARY KEY (id)"}, {"mc_typed_uk", ", UNIQUE KEY (id)"}},
                                       gen, [](std::string& yaml) {
                                         yaml += "tables:\n  - match: shop.mc_typed_uk\n    primary_key: [id]\n";
                                       });
  TypeMatrixChurn(E().mysql, "mc_typed", 120, gen, 400);  // while the tables are copied
  TypeMatrixChurn(E().mysql, "mc_typed_uk", 60, gen, 400);
  CHECK(McTypedConverge(utc, {"mc_typed", "mc_typed_uk"}));
  REQUIRE(E().cli.WaitStreaming(id));
  TypeMatrixChurn(E().mysql, "mc_typed", 250, gen, 800);  // while streaming
  TypeMatrixChurn(E().mysql, "mc_typed_uk", 100, gen, 800);
  CHECK(McTypedConverge(utc, {"mc_typed", "mc_typed_uk"}));
  CHECK(TaskStatus(id).value("failovers", 0) == 0);
  const McRows rows = McTypedSource("mc_typed");
  CHECK(rows.size() > 250);
  std::string sample;
  for (const auto& v : rows[rows.size() / 2]) sample += v.substr(0, 40) + " | ";
  MESSAGE("a row as both sides hold it: " << sample);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("MaxCompute write_mode log: change logs of a keyed and a keyless table converge under SIGKILLs, never "
          "repeat a sequence id, and rebuild a past moment") {
  CreateTable("lg_keyed");
  E().mysql.Exec("CREATE TABLE shop.lg_bag (id INT, name VARCHAR(40), amount DECIMAL(10,2), created DATETIME)");
  Load("lg_keyed", 1, 1500);
  Load("lg_bag", 1, 400);
  Load("lg_bag", 1, 150);  // rows that are there twice
  // The keyless table is a change log by default; the keyed one by choice.
  std::string yaml = Spec("mc-log", "[shop.lg_keyed, shop.lg_bag]") +
                     "tables:\n  - match: shop.lg_keyed\n    write_mode: log\n";
  auto created = E().cli.Run({"create", "-f", E().cli.WriteSpec("mc-log.yaml", yaml)}, McEnv());
  REQUIRE_MESSAGE(created.exit_code == 0, created.out << created.err);
  std::string id = created.out.substr(0, created.out.find('\n'));
  auto checked = E().cli.Run({"check", id}, McEnv());
  CHECK_MESSAGE(checked.out.find("0 Delta table(s) (write_mode upsert), 2 change log(s)") != std::string::npos,
                checked.out);
  CHECK_MESSAGE(checked.out.find("shop.lg_bag; they are written as change logs") != std::string::npos, checked.out);
  REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  REQUIRE(LogConverges({"lg_keyed"}, {"lg_bag"}));
  REQUIRE(E().cli.WaitStreaming(id));

  std::mt19937 rng(17);
  auto churn_bag = [&](int statements) {
    auto conn = E().mysql.Admin();
    for (int i = 0; i < statements; ++i) {
      const std::string k = std::to_string(1 + rng() % 450);
      switch (rng() % 3) {
        case 0: REQUIRE(conn.Execute("UPDATE shop.lg_bag SET amount = amount + 1 WHERE id = " + k + " LIMIT 1").ok()); break;
        case 1: REQUIRE(conn.Execute("DELETE FROM shop.lg_bag WHERE id = " + k + " LIMIT 1").ok()); break;
        default:
          REQUIRE(conn.Execute("INSERT INTO shop.lg_bag VALUES (" + k + ", 'again', 1.50, '2024-05-01 10:00:00')").ok());
      }
    }
  };
  int pid = 0;
  for (int i = 0; i < 6; ++i) {
    pid = WorkerPid(id, pid);
    REQUIRE(pid > 0);
    testing::Churn(E().mysql, "lg_keyed", 40, rng, 1800);
    churn_bag(40);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 900));
    ::kill(pid, SIGKILL);
  }
  CHECK_MESSAGE(LogConverges({"lg_keyed"}, {"lg_bag"}), E().cli.Run({"logs", "-n", "40", id}).out);
  CHECK(RepeatedSequenceIds("lg_keyed").empty());
  CHECK(RepeatedSequenceIds("lg_bag").empty());

  // Every change until the end of this second is applied; those after it
  // commit in a later second, so the log rebuilds this moment.
  const auto keyed_then = SortedSourceRows("lg_keyed");
  const auto bag_then = SortedSourceRows("lg_bag");
  const int64_t then_ms = int64_t(std::time(nullptr)) * 1000 + 999;
  while (int64_t(std::time(nullptr)) * 1000 <= then_ms) std::this_thread::sleep_for(50ms);
  testing::Churn(E().mysql, "lg_keyed", 60, rng, 1800);
  churn_bag(60);
  CHECK(LogConverges({"lg_keyed"}, {"lg_bag"}));
  CHECK(LogRows("lg_keyed", kColumns, true, then_ms) == std::optional(keyed_then));
  CHECK(LogRows("lg_bag", kColumns, false, then_ms) == std::optional(bag_then));
  CHECK(LogRows("lg_keyed", kColumns, true, then_ms) != LogRows("lg_keyed", kColumns, true));

  // A column added with a default: the records of the past show it too.
  E().mysql.Exec("ALTER TABLE shop.lg_keyed ADD COLUMN note VARCHAR(20) DEFAULT 'none'");
  E().mysql.Exec("UPDATE shop.lg_keyed SET note = 'changed' WHERE id <= 5");
  CHECK(LogConverges({"lg_keyed"}, {}, "id, name, amount, created, note"));
  CHECK(RepeatedSequenceIds("lg_keyed").empty());
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("MaxCompute write_mode log: every column type converges through copy and streaming, keyed and keyless") {
  MaxComputeEmulator utc({"--timezone", "UTC"});
  TypeMatrixRows gen(20261208);
  std::string id = StartTypeMatrixTask(utc, "mc-types-log", {{"mc_typed_log", ", PRIMARY KEY (id)"}, {"mc_typed_bag", ""}},
                                       gen, [](std::string& yaml) {
                                         AddDestinationKey(yaml, "write_mode: log");
                                       });
  TypeMatrixChurn(E().mysql, "mc_typed_log", 120, gen, 400);  // while the tables are copied
  TypeMatrixChurn(E().mysql, "mc_typed_bag", 60, gen, 400);
  CHECK(McTypedConverge(utc, {"mc_typed_log"}, McTable::kKeyedLog));
  CHECK(McTypedConverge(utc, {"mc_typed_bag"}, McTable::kKeylessLog));
  REQUIRE(E().cli.WaitStreaming(id));
  TypeMatrixChurn(E().mysql, "mc_typed_log", 250, gen, 800);  // while streaming
  TypeMatrixChurn(E().mysql, "mc_typed_bag", 100, gen, 800);
  CHECK(McTypedConverge(utc, {"mc_typed_log"}, McTable::kKeyedLog));
  CHECK(McTypedConverge(utc, {"mc_typed_bag"}, McTable::kKeylessLog));
  CHECK(TaskStatus(id).value("failovers", 0) == 0);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("MaxCompute: pt-online-schema-change under a write load reaches a Delta table and a change log") {
  CreateTable("osc");
  Load("osc", 1, 3000);
  std::string delta = Create("mc-osc", "[shop.osc]");
  // The same table as a change log, under another name in the project.
  std::string log = CreateFromYaml("mc-osc-log", Spec("mc-osc-log", "[shop.osc]") +
                                                     "mapping: { table: \"log_${TABLE_NAME_SRC}\" }\n"
                                                     "tables:\n  - match: shop.osc\n    write_mode: log\n");
  for (const auto& id : {delta, log}) REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  auto both_converge = [](const std::string& columns) {
    return Converges({"osc"}, 150s, columns) &&
           WaitConverged(
               {"osc"}, [&](const std::string& t) { return std::optional(SortedSourceRows(t, columns)); },
               [&](const std::string& t) { return LogRows("log_" + t, columns, true); }, 150s);
  };
  REQUIRE(both_converge(kColumns));
  for (const auto& id : {delta, log}) REQUIRE(E().cli.WaitStreaming(id));
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::thread writer([&] {
    std::mt19937 rng(23);
    while (!stop) {
      testing::Churn(E().mysql, "osc", 10, rng, 3500);
      ++rounds;
    }
  });
  // Percona's tool: a shadow table filled in chunks under triggers, then
  // RENAME TABLE osc TO _osc_old, _osc_new TO osc, and the old one dropped.
  const std::string dsn = "h=127.0.0.1,P=" + std::to_string(E().mysql.port()) + ",u=root,p=" +
                          MariaDbServer::kRootPassword + ",D=shop,t=osc";
  auto osc = RunProcess({"pt-online-schema-change", "--alter", "ADD COLUMN qty INT NOT NULL DEFAULT 3", "--execute",
                         "--recursion-method=none", "--chunk-size=200", "--no-check-alter", "--set-vars",
                         "lock_wait_timeout=10", dsn});
  stop = true;
  writer.join();
  REQUIRE_MESSAGE(osc.exit_code == 0, osc.out << osc.err);
  CHECK(osc.out.find("Successfully altered") != std::string::npos);
  CHECK(rounds > 5);
  E().mysql.Exec("UPDATE shop.osc SET qty = 9 WHERE id <= 5");
  CHECK_MESSAGE(both_converge("id, name, amount, created, qty"), E().cli.Run({"logs", "-n", "40", delta}).out);
  CHECK(RepeatedSequenceIds("log_osc").empty());
  for (const auto& id : {delta, log}) {
    CHECK_MESSAGE(TaskStatus(id)["lifecycle"] == "running", E().cli.Run({"logs", "-n", "40", id}).out);
    CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  }
}

TEST_CASE("MaxCompute: on_conflict replace, update and ignore against another writer's rows, through a SIGKILL") {
  // update and ignore write partial updates, which a Delta table made with
  // 'acid.partial.fields.update.enable' takes; MaxCompute writes NULL in the
  // columns a record does not set, new row or whole one.
  const std::vector<std::string> policies = {"replace", "update", "ignore"};
  std::map<std::string, ConflictModel> models;
  std::string tables_yaml = "tables:\n";
  for (const auto& policy : policies) {
    const std::string t = "mcc_" + policy;
    E().mysql.Exec("CREATE TABLE shop." + t + " (id BIGINT PRIMARY KEY, v VARCHAR(20))");
    E().mysql.Exec("INSERT INTO shop." + t + " SELECT seq, CONCAT('s', seq) FROM seq.seq_1_to_3000");
    const std::string partial = policy == "replace" ? "" : ", 'acid.partial.fields.update.enable'='true'";
    REQUIRE(E().maxcompute.Query("CREATE TABLE " + t + " (id BIGINT NOT NULL, v STRING, note STRING, PRIMARY KEY (id)) "
                                 "TBLPROPERTIES ('transactional'='true'" + partial + ")"));
    ConflictModel& m = models[policy];
    m = {policy, "NULL", "NULL", {}};
    std::string theirs = "INSERT INTO " + t + " VALUES (9000, 'dest9000', 'mine')";
    for (int id = 2001; id <= 4000; ++id) theirs += ", (" + std::to_string(id) + ", 'dest', 'mine')";
    REQUIRE(E().maxcompute.Query(theirs));
    for (int id = 2001; id <= 4000; ++id) m.Theirs(id, "dest");
    m.Theirs(9000, "dest9000");
    for (int id = 1; id <= 3000; ++id) m.Insert(id, "s" + std::to_string(id));
    tables_yaml += "  - { match: shop." + t + ", mode: existing, on_conflict: " + policy + " }\n";
  }
  const std::string id = CreateFromYaml("mcc", Spec("mcc", "[shop.mcc_*]") + tables_yaml);
  REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  KillRunAndConverge(E().cli, E().mysql, id, "mcc_", models, 2001, 3500,
                     [](const std::string& table) { return DestRows(table, "id, v, note"); }, 120s);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("MaxCompute: on_conflict update into a Delta table made without partial updates stops the task with the fix") {
  E().mysql.Exec("CREATE TABLE shop.mcc_plain (id BIGINT PRIMARY KEY, v VARCHAR(20))");
  E().mysql.Exec("INSERT INTO shop.mcc_plain VALUES (1, 'a')");
  REQUIRE(E().maxcompute.Query("CREATE TABLE mcc_plain (id BIGINT NOT NULL, v STRING, PRIMARY KEY (id)) "
                               "TBLPROPERTIES ('transactional'='true')"));
  const std::string id = CreateFromYaml(
      "mccp", Spec("mccp", "[shop.mcc_plain]") +
                  "tables:\n  - { match: shop.mcc_plain, mode: existing, on_conflict: update }\n");
  REQUIRE(E().cli.Run({"start", id}, McEnv()).exit_code == 0);
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("MaxCompute table mcc_plain does not take partial updates, which "
                             "tables[].on_conflict: update of shop.mcc_plain needs") != std::string::npos, message);
  CHECK(message.find("'acid.partial.fields.update.enable'='true'") != std::string::npos);
  CHECK(DestRows("mcc_plain", "id, v")->empty());  // nothing was written
  (void)E().cli.Run({"stop", id});
}
