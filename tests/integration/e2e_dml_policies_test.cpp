// tables[].dml and tables[].extra_fields end to end through the CLI, from
// real MariaDB into PostgreSQL (and the Hologres-flavoured PostgreSQL).
//
// The filter conditions are checked against MariaDB itself: for each
// condition the destination must hold exactly the rows that
// `SELECT ... WHERE <condition>` returns at the source, after a full
// initialization, a churn of inserts, updates (rows that start and stop
// matching, keys that change) and deletes, and a SIGKILL of the worker.
// Added fields are compared with what MariaDB computes (DATE_FORMAT).

#include <doctest/doctest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Env = PostgresAndHologresEnvironment;

Env& E() {
  static Env env;
  return env;
}

std::string Yaml(const std::string& name, const std::string& tables, const std::string& settings,
                 const PostgresServer& dest, const std::string& type = "postgres", int server_id = 7401) {
  return E().Yaml(name, tables, settings, dest, type, server_id);
}

// `sync create` only: the task's id.
std::string CreateAndStartless(const std::string& file, const std::string& yaml) {
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(file, yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  return created.out.substr(0, created.out.find('\n'));
}

std::string CreateAndStart(const std::string& file, const std::string& yaml) {
  const std::string id = CreateAndStartless(file, yaml);
  auto started = E().cli.Run({"start", id});
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  return id;
}

std::vector<std::string> SourceRows(const std::string& sql) { return SourceLines(E().mysql, sql); }

bool Converges(const std::vector<std::pair<std::string, std::string>>& queries, const PostgresServer& dest,
               std::chrono::seconds limit = 120s) {
  return QueriesConverge(E().mysql, dest, queries, limit);
}

json TaskStatus(const std::string& id) { return json::parse(E().cli.Run({"status", id, "-o", "json"}).out, nullptr, false); }

const char* kItemColumns = "id, status, amount, created, note, qty";

// Rows of every kind the conditions below tell apart, NULLs included.
void MakeItems(const std::string& table) {
  E().mysql.Exec("CREATE TABLE shop." + table + " (id INT PRIMARY KEY, status VARCHAR(20) COLLATE utf8mb4_bin, "
                 "amount DECIMAL(10,2), created DATETIME, note TEXT COLLATE utf8mb4_bin, qty INT)");
  E().mysql.Exec("INSERT INTO shop." + table + " SELECT seq, ELT(1 + seq % 4, 'new', 'paid', 'archived', 'void'), "
                 "IF(seq % 7 = 0, NULL, (seq * 37) % 1000 + 0.25), '2024-01-01' + INTERVAL (seq % 10) DAY + "
                 "INTERVAL seq MINUTE, IF(seq % 5 = 0, NULL, ELT(1 + seq % 3, 'vip buyer', 'ax_yb', 'plain')), "
                 "IF(seq % 11 = 0, NULL, seq % 9) FROM seq.seq_1_to_2000");
}

// Inserts, updates that move rows in and out of every condition, key
// changes and deletes.
void ChurnItems(const std::string& table, int n, std::mt19937& rng) {
  auto conn = E().mysql.Admin();
  for (int i = 0; i < n; ++i) {
    std::string id = std::to_string(rng() % 2600 + 1);
    static const char* kStatuses[] = {"new", "paid", "archived", "void"};
    static const char* kNotes[] = {"vip x", "zx_yz", "ok", "VIP"};
    std::string status = std::string("'") + kStatuses[rng() % 4] + "'";
    std::string amount = rng() % 6 == 0 ? "NULL" : std::to_string(rng() % 1000) + ".5";
    std::string qty = rng() % 8 == 0 ? "NULL" : std::to_string(rng() % 9);
    std::string note = rng() % 5 == 0 ? "NULL" : std::string("'") + kNotes[rng() % 4] + "'";
    switch (rng() % 6) {
      case 0:
        (void)conn.Execute("INSERT IGNORE INTO shop." + table + " VALUES (" + id + ", " + status + ", " + amount +
                           ", '2024-01-0" + std::to_string(rng() % 9 + 1) + " 10:00:00', " + note + ", " + qty + ")");
        break;
      case 1: (void)conn.Execute("DELETE FROM shop." + table + " WHERE id = " + id); break;
      case 2: (void)conn.Execute("UPDATE IGNORE shop." + table + " SET id = id + 3000 WHERE id = " + id); break;
      case 3: (void)conn.Execute("UPDATE shop." + table + " SET status = " + status + ", amount = " + amount + " WHERE id = " + id); break;
      case 4: (void)conn.Execute("UPDATE shop." + table + " SET qty = " + qty + ", note = " + note + " WHERE id = " + id); break;
      default: (void)conn.Execute("UPDATE shop." + table + " SET created = created - INTERVAL 3 DAY WHERE id = " + id); break;
    }
  }
}

}  // namespace

TEST_CASE("filters: the destination holds exactly the rows MariaDB's WHERE selects, through churn and a SIGKILL") {
  const std::vector<std::string> conditions = {
      "status <> 'archived' AND (amount IS NULL OR amount < 500)",
      "status IN ('new', 'paid') OR note LIKE 'vip%'",
      "NOT (qty BETWEEN 3 AND 6) AND created >= '2024-01-05'",
      "qty * 2 + 1 > 9 OR amount IS NULL",
      "note IS NOT NULL AND LENGTH(note) > 3 AND note NOT LIKE '%x\\_y%' AND (qty NOT IN (1, 2) OR qty IN (7, NULL))",
      "COALESCE(qty, 100) % 2 = 0 AND NOT status = 'void' AND created < DATE '2024-01-08'",
  };
  std::string tables = "[", settings = "tables:\n";
  for (size_t i = 0; i < conditions.size(); ++i) {
    const std::string t = "f" + std::to_string(i);
    MakeItems(t);
    tables += (i ? ", shop." : "shop.") + t;
    // YAML single quotes: a quote inside doubles.
    std::string quoted;
    for (char c : conditions[i]) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    settings += "  - match: shop." + t + "\n    dml:\n      insert: { action: filter, condition: '" + quoted +
                "' }\n      update: { action: filter, condition: '" + quoted + "' }\n";
  }
  tables += "]";
  const std::string id = CreateAndStart("filters.yaml", Yaml("filters", tables, settings, E().pg));
  auto queries = [&] {
    std::vector<std::pair<std::string, std::string>> q;
    for (size_t i = 0; i < conditions.size(); ++i) {
      const std::string t = "f" + std::to_string(i);
      q.push_back({std::string("SELECT ") + kItemColumns + " FROM shop." + t + " WHERE " + conditions[i] + " ORDER BY id",
                   std::string("SELECT ") + kItemColumns + " FROM shop." + t + " ORDER BY id"});
    }
    return q;
  };
  REQUIRE_MESSAGE(Converges(queries(), E().pg), E().cli.Run({"logs", "-n", "30", id}).out);
  REQUIRE(E().cli.WaitStreaming(id));
  std::mt19937 rng(77);
  for (size_t i = 0; i < conditions.size(); ++i) ChurnItems("f" + std::to_string(i), 150, rng);
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  for (size_t i = 0; i < conditions.size(); ++i) ChurnItems("f" + std::to_string(i), 100, rng);
  ::kill(pid, SIGKILL);
  for (size_t i = 0; i < conditions.size(); ++i) ChurnItems("f" + std::to_string(i), 100, rng);
  CHECK_MESSAGE(Converges(queries(), E().pg), E().cli.Run({"logs", "-n", "40", id}).out);
  // Every table filtered rows out of the copy and out of the stream.
  std::this_thread::sleep_for(1500ms);  // a report of the counts (once a second)
  json st = TaskStatus(id);
  INFO(E().cli.Run({"logs", "-n", "60", id}).out);
  for (size_t i = 0; i < conditions.size(); ++i) {
    const json& dml = st["tables"]["shop.f" + std::to_string(i)]["dml"];
    INFO("shop.f" << i << ": " << dml.dump());
    CHECK(dml.value("copy_filtered", 0) > 0);
    CHECK(dml.value("filtered", 0) > 0);
    CHECK(dml.value("applied", 0) > 0);
  }
  const std::string text = E().cli.Run({"status", id}).out;
  CHECK_MESSAGE(text.find("changes applied") != std::string::npos, text);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("logical delete, ignored updates and deletes, and added fields, through a SIGKILL") {
  E().mysql.Exec("CREATE TABLE shop.ev (id INT PRIMARY KEY, name VARCHAR(30), created DATETIME)");
  E().mysql.Exec("INSERT INTO shop.ev SELECT seq, CONCAT('e', seq), '2024-02-01 08:00:00' + INTERVAL seq HOUR "
                 "FROM seq.seq_1_to_1000");
  E().mysql.Exec("CREATE TABLE shop.frozen (id INT PRIMARY KEY, name VARCHAR(30))");
  E().mysql.Exec("INSERT INTO shop.frozen SELECT seq, CONCAT('f', seq) FROM seq.seq_1_to_1000");
  const std::vector<std::string> frozen_at_start = SourceRows("SELECT id, name FROM shop.frozen ORDER BY id");
  const std::string settings =
      "tables:\n"
      "  - match: shop.ev\n"
      "    dml: { delete: { action: logical_delete, column: is_deleted, time_column: deleted_at } }\n"
      "    extra_fields:\n"
      "      - { name: src, type: varchar(64), value: '${DB_NAME_SRC}.${TABLE_NAME_SRC}' }\n"
      "      - { name: dest, type: text, value: '${DB_NAME_DEST}/${TABLE_NAME_DEST} from ${DATASOURCE_NAME_SRC}' }\n"
      "      - { name: day, type: int, value: '${created:%Y%m%d}' }\n"
      "      - { name: op, type: varchar(1), value: '${OP_TYPE}' }\n"
      "      - { name: seq, type: bigint, value: '${SEQUENCE_ID}' }\n"
      "      - { name: written, type: timestamp(3), value: '${EXECUTE_TIME}' }\n"
      "      - { name: committed, type: datetime, value: '${COMMIT_TIME}' }\n"
      "  - match: shop.frozen\n"
      "    dml: { update: ignore, delete: ignore }\n";
  const std::string id = CreateAndStart("logical.yaml", Yaml("logical", "[shop.ev, shop.frozen]", settings, E().pg,
                                                             "postgres", 7402));
  const std::pair<std::string, std::string> live = {
      "SELECT id, name, created, DATE_FORMAT(created, '%Y%m%d') FROM shop.ev ORDER BY id",
      "SELECT id, name, created, day FROM shop.ev WHERE is_deleted = 0 ORDER BY id"};
  REQUIRE_MESSAGE(Converges({live}, E().pg), E().cli.Run({"logs", "-n", "30", id}).out);
  REQUIRE(E().cli.WaitStreaming(id));
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ev WHERE seq = 0 AND op = 'I' AND deleted_at IS NULL AND "
                      "src = 'shop.ev' AND dest = 'dw/ev from 127.0.0.1' AND written IS NOT NULL", "dw") == "1000");

  auto conn = E().mysql.Admin();
  std::mt19937 rng(5);
  auto churn = [&](int n) {
    for (int i = 0; i < n; ++i) {
      int key = int(rng() % 1200) + 1;
      switch (rng() % 3) {
        case 0:
          (void)conn.Execute("DELETE FROM shop.ev WHERE id = " + std::to_string(key));
          break;
        case 1:
          (void)conn.Execute("INSERT IGNORE INTO shop.ev VALUES (" + std::to_string(key) + ", 'back', '2024-03-0" +
                             std::to_string(rng() % 9 + 1) + " 00:00:00')");
          break;
        default:
          (void)conn.Execute("UPDATE shop.ev SET name = CONCAT(name, '+'), created = created + INTERVAL 1 DAY "
                             "WHERE id = " + std::to_string(key));
          break;
      }
    }
  };
  churn(300);
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  churn(200);
  ::kill(pid, SIGKILL);
  churn(200);
  // Live rows are the source's rows, with the day MariaDB formats.
  CHECK_MESSAGE(Converges({live}, E().pg), E().cli.Run({"logs", "-n", "40", id}).out);
  // Every row deleted at the source and not inserted again is still there, marked, with its time.
  const std::string gone = E().mysql.Scalar("SELECT COUNT(*) FROM seq.seq_1_to_1200 s LEFT JOIN shop.ev e ON "
                                            "e.id = s.seq WHERE e.id IS NULL AND s.seq <= 1000");
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ev WHERE is_deleted = 1 AND deleted_at IS NOT NULL AND op = 'D' "
                      "AND seq > 0 AND id <= 1000", "dw") == gone);
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ev WHERE is_deleted NOT IN (0, 1) OR (is_deleted = 0 AND "
                      "deleted_at IS NOT NULL)", "dw") == "0");
  // Changed rows carry the change's metadata; rows never changed keep the copy's.
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ev WHERE is_deleted = 0 AND name LIKE '%+' AND (op <> 'U' OR "
                      "seq = 0 OR committed IS NULL)", "dw") == "0");
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.ev WHERE name = 'back' AND is_deleted = 0 AND op NOT IN ('I', "
                      "'U')", "dw") == "0");
  // Updates and deletes of shop.frozen never reach it; inserts do. (After
  // the SIGKILL: counts a killed worker had not yet reported are not kept.)
  E().mysql.Exec("UPDATE shop.frozen SET name = 'changed' WHERE id <= 50");
  E().mysql.Exec("DELETE FROM shop.frozen WHERE id > 950");
  E().mysql.Exec("INSERT INTO shop.frozen SELECT seq, 'new' FROM seq.seq_1001_to_1010");
  std::vector<std::string> frozen_expected = frozen_at_start;
  for (int i = 1001; i <= 1010; ++i) frozen_expected.push_back(std::to_string(i) + "|new");
  CHECK(WaitConverged(
      {"frozen"}, [&](const std::string&) { return std::optional(frozen_expected); },
      [&](const std::string&) { return DestinationLines(E().pg, "SELECT id, name FROM shop.frozen ORDER BY id"); }, 60s));
  std::this_thread::sleep_for(1500ms);  // a report of the counts (once a second)
  json st = TaskStatus(id);
  INFO(st["tables"].dump());
  CHECK(st["tables"]["shop.frozen"]["dml"].value("ignored", 0) == 100);
  CHECK(st["tables"]["shop.frozen"]["dml"].value("applied", 0) == 10);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("Hologres: a filter and a logical delete under Hologres' rules") {
  MakeItems("hg_items");
  const std::string settings =
      "tables:\n  - match: shop.hg_items\n    dml:\n"
      "      insert: { action: filter, condition: \"status <> 'void'\" }\n"
      "      update: { action: filter, condition: \"status <> 'void'\" }\n"
      "      delete: { action: logical_delete, column: gone, value: 'yes', live_value: 'no' }\n"
      "    extra_fields: [ { name: origin, type: text, value: '${TABLE_NAME_SRC}' } ]\n";
  const std::string id = CreateAndStart("holo.yaml", Yaml("holo-dml", "[shop.hg_items]", settings, E().holo,
                                                          "hologres", 7403));
  const std::pair<std::string, std::string> live = {
      std::string("SELECT ") + kItemColumns + ", 'hg_items' FROM shop.hg_items WHERE status <> 'void' ORDER BY id",
      std::string("SELECT ") + kItemColumns + ", origin FROM shop.hg_items WHERE gone = 'no' ORDER BY id"};
  REQUIRE_MESSAGE(Converges({live}, E().holo), E().cli.Run({"logs", "-n", "30", id}).out);
  REQUIRE(E().cli.WaitStreaming(id));
  std::mt19937 rng(9);
  ChurnItems("hg_items", 300, rng);
  CHECK_MESSAGE(Converges({live}, E().holo), E().cli.Run({"logs", "-n", "30", id}).out);
  CHECK(E().holo.Scalar("SELECT count(*) FROM shop.hg_items WHERE gone = 'yes'", "dw") != "0");
  const std::string log = E().cli.Run({"logs", "-n", "200", id}).out;
  CHECK_MESSAGE(log.find("not supported now") == std::string::npos, log);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("bad settings stop the task with what to fix; a value that cannot be computed names the row's key") {
  // A condition that does not parse: refused when the task is created, at its line and column.
  {
    const std::string yaml = Yaml("bad-parse", "[shop.f0]",
                                  "tables:\n  - match: shop.f0\n    dml: { insert: { action: filter, condition: "
                                  "'amount >' } }\n", E().pg);
    auto r = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("bad-parse.yaml", yaml)});
    CHECK(r.exit_code != 0);
    CHECK_MESSAGE(r.err.find("bad-parse.yaml:19:") != std::string::npos, r.err);
    CHECK_MESSAGE(r.err.find("the condition ends where a value was expected") != std::string::npos, r.err);
  }
  // A column the table lacks, a variable that does not exist: sync check says so, and so does the worker.
  for (const auto& [file, setting, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"bad-column.yaml", "dml: { delete: { action: filter, condition: \"stauts = 'x'\" } }",
            "names column 'stauts', which shop.f0 does not have; did you mean 'status'?"},
           {"bad-variable.yaml", "extra_fields: [ { name: t, type: text, value: '${TABLE_NAME_SCR}' } ]",
            "${TABLE_NAME_SCR} is neither a variable"}}) {
    const std::string yaml = Yaml(file.substr(0, file.find('.')), "[shop.f0]",
                                  "tables:\n  - match: shop.f0\n    " + setting + "\n", E().pg, "postgres", 7404);
    auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(file, yaml)});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    auto check = E().cli.Run({"check", created.out.substr(0, created.out.find('\n'))});
    CHECK(check.exit_code != 0);
    CHECK_MESSAGE(check.out.find(expected) != std::string::npos, check.out << check.err);
  }
  // A value that cannot be computed for one row: the task stops naming the
  // row; after the field is fixed (sync apply) nothing is missing.
  E().mysql.Exec("CREATE TABLE shop.codes (id INT PRIMARY KEY, code VARCHAR(10))");
  E().mysql.Exec("INSERT INTO shop.codes SELECT seq, seq * 3 FROM seq.seq_1_to_100");
  const std::string bad = Yaml("codes", "[shop.codes]",
                               "tables:\n  - match: shop.codes\n    extra_fields: [ { name: code_number, type: bigint, "
                               "value: '${code}' } ]\n", E().pg, "postgres", 7405);
  const std::string id = CreateAndStart("codes.yaml", bad);
  const std::pair<std::string, std::string> rows = {"SELECT id, code, code FROM shop.codes ORDER BY id",
                                                    "SELECT id, code, code_number FROM shop.codes ORDER BY id"};
  REQUIRE(Converges({rows}, E().pg));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("INSERT INTO shop.codes VALUES (101, 'abc'), (102, '306')");
  const std::string message = WaitLastError(E().cli, id);
  CHECK_MESSAGE(message.find("tables[].extra_fields 'code_number' of shop.codes cannot be computed for the row with "
                             "key (id)=(101): 'abc' is not an integer") != std::string::npos, message);
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.codes WHERE id > 100", "dw") == "0");
  // Fixed: the field takes the id instead; the two rows arrive.
  std::string fixed = bad;
  fixed.replace(fixed.find("'${code}'"), 9, "'${id}'");
  auto applied = E().cli.Run({"apply", id, "-f", E().cli.WriteSpec("codes-fixed.yaml", fixed)});
  CHECK_MESSAGE(applied.exit_code == 0, applied.out << applied.err);
  (void)E().cli.Run({"stop", id});
  REQUIRE(E().cli.Run({"start", id}).exit_code == 0);
  CHECK(WaitConverged(
      {"codes"},
      [&](const std::string&) { return std::optional(std::vector<std::string>{"101|abc|101", "102|306|102"}); },
      [&](const std::string&) {
        return DestinationLines(E().pg, "SELECT id, code, code_number FROM shop.codes WHERE id > 100 ORDER BY id");
      },
      60s));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("a mapping pattern that gives up on a table's name fails the check and the start") {
  // 40 a's and a '!': "(a|a)+\\d" backtracks 2^40 ways before PCRE2's limit stops it.
  const std::string name = std::string(40, 'a') + "_x";
  E().mysql.Exec("CREATE TABLE shop." + name + " (id INT PRIMARY KEY)");
  const std::string mapping = "mapping:\n  rules:\n    - { match: '(a|a)+_\\d', to: digits }\n";
  const std::string spec = CreateAndStartless("backtrack.yaml", Yaml("backtrack", "[shop." + name + "]", mapping,
                                                                     E().pg, "postgres", 7410));
  auto check = E().cli.Run({"check", spec});
  CHECK(check.exit_code == 1);
  CHECK_MESSAGE(check.out.find("FAIL  mapping.rules") != std::string::npos, check.out);
  CHECK_MESSAGE(check.out.find("matching '(a|a)+_\\d' against '" + name + "' gave up: match limit exceeded") !=
                    std::string::npos, check.out);
  CHECK_MESSAGE(check.out.find("rewrite the pattern without nested repetition") != std::string::npos, check.out);
  CHECK(E().cli.Run({"start", spec}).exit_code == 1);
  // A pattern that decides quickly passes.
  const std::string fine = CreateAndStartless(
      "decides.yaml", Yaml("decides", "[shop." + name + "]", "mapping:\n  rules:\n    - { match: 'a+_(\\d)', to: 'd$1' }\n",
                           E().pg, "postgres", 7411));
  auto passes = E().cli.Run({"check", fine});
  CHECK_MESSAGE(passes.out.find("PASS  mapping.rules") != std::string::npos, passes.out);
  E().mysql.Exec("DROP TABLE shop." + name);
}

TEST_CASE("shards merged into one table: refused without a key that tells them apart, kept apart by an added key "
          "field through a SIGKILL") {
  for (const char* shard : {"part_a", "part_b"}) {
    E().mysql.Exec(std::string("CREATE TABLE shop.") + shard + " (id INT PRIMARY KEY, v VARCHAR(20))");
    E().mysql.Exec(std::string("INSERT INTO shop.") + shard + " SELECT seq, CONCAT('" + shard +
                   "-', seq) FROM seq.seq_1_to_100");
  }
  const std::string mapping = "mapping:\n  rules:\n    - { match: '^part_.*$', to: merged }\n";
  // Same ids in both shards and nothing in the key to tell them apart.
  const std::string clash = CreateAndStartless("clash.yaml", Yaml("clash", "[shop.part_a, shop.part_b]", mapping,
                                                                   E().pg, "postgres", 7406));
  auto check = E().cli.Run({"check", clash});
  CHECK(check.exit_code == 1);
  CHECK_MESSAGE(check.out.find("shop.part_a, shop.part_b all go to shop.merged, and their key (id) does not tell "
                               "their rows apart") != std::string::npos, check.out);
  auto refused = E().cli.Run({"start", clash});
  CHECK(refused.exit_code == 1);
  // The map says so, table by table, in text and JSON.
  auto plan = E().cli.Run({"check", clash, "--plan"});
  CHECK(plan.exit_code == 1);
  CHECK_MESSAGE(plan.out.find("plan: 2 source tables -> 1 destination tables") != std::string::npos, plan.out);
  CHECK_MESSAGE(plan.out.find("shop.part_a -> shop.merged  key (id)  merged with shop.part_b (COLLISION: the key "
                              "does not tell their rows apart)") != std::string::npos,
                plan.out);
  json plan_json = json::parse(E().cli.Run({"check", clash, "--plan", "-o", "json"}).out, nullptr, false);
  REQUIRE(plan_json.contains("plan"));
  REQUIRE(plan_json["plan"].size() == 2);
  CHECK(plan_json["plan"][1]["source"] == "shop.part_b");
  CHECK(plan_json["plan"][1]["destination"] == "shop.merged");
  CHECK(plan_json["plan"][1]["merge"] == "collision");
  CHECK(plan_json["plan"][1]["merged_with"] == json::array({"shop.part_a"}));
  CHECK(plan_json.contains("items"));
  // The user's word that the keys never overlap lets the check pass.
  const std::string disjoint = CreateAndStartless(
      "disjoint.yaml", Yaml("disjoint", "[shop.part_a, shop.part_b]",
                            mapping + "tables:\n  - match: shop.part_*\n    disjoint_keys: true\n", E().pg, "postgres",
                            7407));
  auto passes = E().cli.Run({"check", disjoint});
  CHECK_MESSAGE(passes.out.find("PASS  mapping.merged_tables") != std::string::npos, passes.out);
  // The key (id, src): every shard's rows kept, each change reaching its own row.
  const std::string settings = mapping +
                               "tables:\n  - match: shop.part_*\n    primary_key: [id, src]\n"
                               "    extra_fields: [ { name: src, type: varchar(64), value: '${TABLE_NAME_SRC}' } ]\n";
  const std::string planned = CreateAndStartless("merged-plan.yaml", Yaml("merged-plan", "[shop.part_a, shop.part_b]",
                                                                         settings, E().pg, "postgres", 7409));
  auto kept_apart = E().cli.Run({"check", planned, "--plan"});
  CHECK_MESSAGE(kept_apart.out.find("shop.part_b -> shop.merged  key (id, src)  added src  merged with shop.part_a "
                                    "(rows kept apart by the key)") != std::string::npos,
                kept_apart.out);
  const std::string id = CreateAndStart("merged.yaml", Yaml("merged", "[shop.part_a, shop.part_b]", settings, E().pg,
                                                            "postgres", 7408));
  const std::pair<std::string, std::string> rows = {
      "SELECT id, v, 'part_a' FROM shop.part_a UNION ALL SELECT id, v, 'part_b' FROM shop.part_b ORDER BY 3, 1",
      "SELECT id, v, src FROM shop.merged ORDER BY 3, 1"};
  REQUIRE_MESSAGE(Converges({rows}, E().pg), E().cli.Run({"logs", "-n", "30", id}).out);
  REQUIRE(E().cli.WaitStreaming(id));
  CHECK(E().pg.Scalar("SELECT string_agg(a.attname, ',' ORDER BY array_position(c.conkey, a.attnum)) FROM "
                      "pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
                      "WHERE c.conrelid = 'shop.merged'::regclass AND c.contype = 'p'", "dw") == "id,src");
  E().mysql.Exec("UPDATE shop.part_a SET v = 'only a' WHERE id <= 10");
  E().mysql.Exec("DELETE FROM shop.part_b WHERE id BETWEEN 20 AND 29");
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  E().mysql.Exec("UPDATE shop.part_b SET id = id + 1000 WHERE id = 50");
  E().mysql.Exec("INSERT INTO shop.part_b VALUES (20, 'b again')");
  CHECK_MESSAGE(Converges({rows}, E().pg), E().cli.Run({"logs", "-n", "30", id}).out);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("column_types and type_overrides: retyped columns at the destination, through copy, changes and an added "
          "column's DDL") {
  E().mysql.Exec("CREATE TABLE shop.ty (id INT PRIMARY KEY, amount BIGINT, created DATETIME, note VARCHAR(20))");
  E().mysql.Exec("INSERT INTO shop.ty SELECT seq, seq * 1000003, '2024-01-01' + INTERVAL seq HOUR, "
                 "IF(seq % 4 = 0, NULL, CONCAT('n', seq)) FROM seq.seq_1_to_300");
  const std::string settings =
      "tables:\n  - match: shop.ty\n    column_types: { amount: text }\n"
      "    type_overrides: { datetime: 'varchar(32)' }\n";
  const std::string id = CreateAndStart("types.yaml", Yaml("types", "[shop.ty]", settings, E().pg, "postgres", 7410));
  auto source = [](const std::string& extra) {
    return "SELECT id, CAST(amount AS CHAR), DATE_FORMAT(created, '%Y-%m-%d %H:%i:%s'), note" + extra +
           " FROM shop.ty ORDER BY id";
  };
  REQUIRE_MESSAGE(Converges({{source(""), "SELECT id, amount, created, note FROM shop.ty ORDER BY id"}}, E().pg),
                  E().cli.Run({"logs", "-n", "30", id}).out);
  auto type_of = [](const std::string& column) {
    return E().pg.Scalar("SELECT data_type || coalesce('(' || character_maximum_length || ')', '') FROM "
                         "information_schema.columns WHERE table_schema = 'shop' AND table_name = 'ty' AND "
                         "column_name = '" + column + "'", "dw");
  };
  CHECK(type_of("amount") == "text");
  CHECK(type_of("created") == "character varying(32)");
  CHECK(type_of("note") == "character varying(20)");
  REQUIRE(E().cli.WaitStreaming(id));
  // An added DATETIME column is a varchar(32) at the destination, its default filled in as text.
  E().mysql.Exec("ALTER TABLE shop.ty ADD COLUMN seen DATETIME DEFAULT '2020-01-01 00:00:00'");
  E().mysql.Exec("UPDATE shop.ty SET amount = -amount, seen = '2025-06-30 23:59:59' WHERE id % 3 = 0");
  E().mysql.Exec("INSERT INTO shop.ty VALUES (1000, 9223372036854775807, '2030-12-31 01:02:03', 'max', NULL)");
  E().mysql.Exec("DELETE FROM shop.ty WHERE id % 7 = 0");
  CHECK_MESSAGE(Converges({{source(", DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s')"),
                            "SELECT id, amount, created, note, seen FROM shop.ty ORDER BY id"}},
                          E().pg),
                E().cli.Run({"logs", "-n", "30", id}).out);
  CHECK(type_of("seen") == "character varying(32)");
  auto plan = E().cli.Run({"check", id, "--plan"});
  CHECK_MESSAGE(plan.out.find("PASS  tables.dml_and_fields") != std::string::npos, plan.out);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}
