#include <doctest/doctest.h>

#include <filesystem>

#include "config/task_spec_yaml.hpp"
#include "pipeline/name_mapping.hpp"

using namespace dbsync;
using namespace dbsync::config;

namespace {

const char* kMinimal = R"(name: t1
source:
  host: 127.0.0.1
  user: repl
  password: ${env:SRC_PW}
  server_id: 5401
  tables: [shop.*]
destination:
  type: postgres
  host: 127.0.0.1
  database: dw
  user: loader
)";

std::string ErrorOf(const std::string& yaml) {
  auto r = ParseTaskSpec(yaml, "task.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  return r.status().message();
}

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("a minimal spec parses with documented defaults") {
    auto r = ParseTaskSpec(kMinimal, "task.yaml");
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->name == "t1");
    CHECK(r->source.port == 3306);
    CHECK(r->source.server_id == 5401);
    CHECK(r->source.password == "${env:SRC_PW}");
    CHECK(r->destination.port == 5432);
    CHECK(r->mapping.schema == "${DB_NAME_SRC}");
    CHECK(r->ddl.at("drop_table") == DdlPolicy::kNormal);
    CHECK(r->runtime.batch_rows == 10000);
  }

  TEST_CASE("every example spec parses") {
    int parsed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(SYNC_SOURCE_DIR) + "/examples")) {
      if (entry.path().extension() != ".yaml") continue;
      auto r = LoadTaskSpecFile(entry.path().string());
      CHECK_MESSAGE(r.ok(), entry.path().string() << ": " << r.status().message());
      ++parsed;
    }
    CHECK(parsed == 4);
  }

  TEST_CASE("the hologres example fills every section") {
    auto r = LoadTaskSpecFile(std::string(SYNC_SOURCE_DIR) + "/examples/mysql-to-hologres.yaml");
    REQUIRE(r.ok());
    CHECK(r->destination.type == "hologres");
    CHECK(r->mapping.rules.size() == 2);
    REQUIRE(r->tables.size() == 1);
    CHECK(r->tables[0].storage == "column");
    CHECK(r->tables[0].partition->field == "ds");
    CHECK(r->tables[0].extra_fields.size() == 2);
    CHECK(r->tables[0].dml.at("delete").action == DmlAction::kFilter);
    CHECK(r->ddl.at("drop_table") == DdlPolicy::kIgnore);
    CHECK(r->ddl.at("rename_table") == DdlPolicy::kAlert);
    CHECK(r->runtime.failover.max_times == 100);
    CHECK(r->alerts.size() == 2);
  }

  TEST_CASE("the starrocks example partitions, shapes and splits a table") {
    auto r = LoadTaskSpecFile(std::string(SYNC_SOURCE_DIR) + "/examples/mysql-to-starrocks.yaml");
    REQUIRE(r.ok());
    REQUIRE(r->tables.size() == 3);
    const TableSpec& orders = r->tables[2];
    REQUIRE(orders.partition);
    CHECK(orders.partition->field == "month");
    CHECK(orders.exclude_columns == std::vector<std::string>{"card_token"});
    CHECK(orders.column_names.at("amt") == "amount");
    CHECK(orders.split_column == "created_at");
    CHECK(r->runtime.max_source_connections == 8);
  }

  TEST_CASE("malformed YAML names line and column") {
    std::string msg = ErrorOf("name: t1\nsource:\n  host: [unclosed\n  user: x\n");
    CHECK(msg.find("task.yaml:") == 0);
    CHECK(msg.find("invalid YAML") != std::string::npos);
    CHECK(msg.find(":4:") != std::string::npos);
  }

  TEST_CASE("an unknown key names the nearest valid key and its position") {
    std::string yaml = kMinimal;
    yaml.replace(yaml.find("  host: 127.0.0.1"), 17, "  hots: 127.0.0.1");
    std::string msg = ErrorOf(yaml);
    CHECK(msg.find("task.yaml:3:3: unknown key 'hots' in source; did you mean 'host'?") != std::string::npos);
  }

  TEST_CASE("a missing required key is named") {
    std::string yaml = kMinimal;
    yaml.erase(yaml.find("  server_id: 5401\n"), 18);
    std::string msg = ErrorOf(yaml);
    CHECK(msg.find("missing required key 'server_id'") != std::string::npos);
    CHECK(msg.find("task.yaml:3:") == 0);
  }

  TEST_CASE("type and range errors point at the value") {
    std::string yaml = kMinimal;
    yaml.replace(yaml.find("  server_id: 5401"), 17, "  server_id: abc");
    CHECK(ErrorOf(yaml).find("task.yaml:6:14: source.server_id: expected an integer, got 'abc'") !=
          std::string::npos);
    yaml = std::string(kMinimal) + "runtime: { batch_rows: 0 }\n";
    CHECK(ErrorOf(yaml).find("runtime.batch_rows: 0 is out of range") != std::string::npos);
    // Too few source connections for real-time sync and a copy beside it; more readers than connections.
    yaml = std::string(kMinimal) + "runtime: { snapshot_parallelism: 2, max_source_connections: 3 }\n";
    std::string low = ErrorOf(yaml);
    CHECK_MESSAGE(low.find("task.yaml:13:61: runtime.max_source_connections (3) must be at least 4") == 0, low);
    yaml = std::string(kMinimal) + "runtime: { snapshot_parallelism: 6, max_source_connections: 5 }\n";
    CHECK(ErrorOf(yaml).find("runtime: snapshot_parallelism (6) exceeds max_source_connections (5)") !=
          std::string::npos);
  }

  TEST_CASE("enumerations suggest the nearest value") {
    std::string yaml = kMinimal;
    yaml.replace(yaml.find("type: postgres"), 14, "type: postgre");
    CHECK(ErrorOf(yaml).find("did you mean 'postgres'?") != std::string::npos);
    yaml = std::string(kMinimal) + "ddl: { drop_table: ignor }\n";
    CHECK(ErrorOf(yaml).find("did you mean 'ignore'?") != std::string::npos);
  }

  TEST_CASE("MaxCompute's write_mode and lifecycle are checked; write_mode belongs to maxcompute only") {
    const std::string mc = "name: t1\nsource:\n  host: 127.0.0.1\n  user: repl\n  password: x\n  server_id: 5401\n"
                           "  tables: [shop.*]\ndestination:\n  type: maxcompute\n  endpoint: http://e/api\n"
                           "  project: p\n  access_id: a\n  access_key: k\n";
    auto ok = ParseTaskSpec(mc + "  write_mode: log\n  lifecycle: 30\ntables:\n  - match: shop.t\n    write_mode: upsert\n",
                            "task.yaml");
    REQUIRE_MESSAGE(ok.ok(), ok.status().message());
    CHECK(ok->destination.write_mode == "log");
    CHECK(ok->destination.lifecycle == 30);
    CHECK(ok->tables[0].write_mode == "upsert");
    CHECK(ErrorOf(mc + "  write_mode: logs\n").find("did you mean 'log'?") != std::string::npos);
    CHECK(ErrorOf(mc + "  lifecycle: 40000\n").find("destination.lifecycle: 40000 is out of range") != std::string::npos);
    CHECK(ErrorOf(mc + "tables:\n  - match: shop.t\n    write_mode: append\n").find("is not one of upsert, log") != std::string::npos);
    std::string pg = std::string(kMinimal) + "tables:\n  - match: shop.t\n    write_mode: log\n";
    CHECK(ErrorOf(pg).find("task.yaml:15:17: tables[].write_mode: postgres destinations have one write mode") !=
          std::string::npos);
  }

  TEST_CASE("tables[].on_conflict: replace by default, update or ignore, a misspelling names the nearest") {
    auto plain = ParseTaskSpec(std::string(kMinimal) + "tables:\n  - match: shop.t\n", "task.yaml");
    REQUIRE_MESSAGE(plain.ok(), plain.status().message());
    CHECK(plain->tables[0].on_conflict == ConflictPolicy::kReplace);
    auto set = ParseTaskSpec(std::string(kMinimal) + "tables:\n  - { match: shop.a, on_conflict: update }\n"
                                                     "  - { match: shop.b, on_conflict: ignore }\n",
                             "task.yaml");
    REQUIRE_MESSAGE(set.ok(), set.status().message());
    CHECK(set->tables[0].on_conflict == ConflictPolicy::kUpdate);
    CHECK(set->tables[1].on_conflict == ConflictPolicy::kIgnore);
    std::string bad = ErrorOf(std::string(kMinimal) + "tables:\n  - match: shop.t\n    on_conflict: ignor\n");
    CHECK_MESSAGE(bad.find("task.yaml:15:18: tables[].on_conflict") != std::string::npos, bad);
    CHECK(bad.find("did you mean 'ignore'?") != std::string::npos);
  }

  TEST_CASE("alerts[]: a command, a webhook or both, with their delivery settings; mistakes named") {
    auto ok = ParseTaskSpec(std::string(kMinimal) +
                                "alerts:\n  - { on: failover, run: /bin/page }\n"
                                "  - { on: heartbeat, webhook: \"${env:HOOK}\", webhook_format: dingtalk, retries: 0,\n"
                                "      timeout_seconds: 5, min_interval_seconds: 0 }\n",
                            "task.yaml");
    REQUIRE_MESSAGE(ok.ok(), ok.status().message());
    REQUIRE(ok->alerts.size() == 2);
    CHECK(ok->alerts[0].retries == 3);
    CHECK(ok->alerts[0].timeout_seconds == 10);
    CHECK(ok->alerts[0].min_interval_seconds == 300);
    CHECK(ok->alerts[0].webhook_format == "json");
    CHECK(ok->alerts[1].webhook == "${env:HOOK}");
    CHECK(ok->alerts[1].webhook_format == "dingtalk");
    CHECK(ok->alerts[1].retries == 0);
    CHECK(ok->alerts[1].line == ok->alerts[0].line + 1);
    CHECK(ErrorOf(std::string(kMinimal) + "alerts:\n  - { on: failover }\n")
              .find("alerts[]: give run (a command, e.g. /usr/local/bin/page-oncall), webhook (a URL), or both") !=
          std::string::npos);
    CHECK(ErrorOf(std::string(kMinimal) + "alerts:\n  - { on: failover, webhook: hooks.example.com/x }\n")
              .find("alerts[].webhook: 'hooks.example.com/x' is not an http:// or https:// URL") != std::string::npos);
    std::string misspelt = ErrorOf(std::string(kMinimal) + "alerts:\n  - { on: failover, webhok: http://h/x }\n");
    CHECK_MESSAGE(misspelt.find("unknown key 'webhok' in alerts[]; did you mean 'webhook'?") != std::string::npos,
                  misspelt);
    CHECK(ErrorOf(std::string(kMinimal) + "alerts:\n  - { on: failover, run: x, webhook_format: teams }\n")
              .find("alerts[].webhook_format: 'teams' is not one of json, slack, dingtalk, lark") != std::string::npos);
    CHECK(ErrorOf(std::string(kMinimal) + "alerts:\n  - { on: heartbeats, run: x }\n").find("did you mean 'heartbeat'?") !=
          std::string::npos);
  }

  TEST_CASE("tables[].column_types and type_overrides take extra_fields' types; overrides are keyed by MySQL types") {
    auto ok = ParseTaskSpec(std::string(kMinimal) + "tables:\n  - match: shop.t\n    column_types: { amount: text }\n"
                                                    "    type_overrides: { bigint: 'varchar(40)', datetime: text }\n",
                            "task.yaml");
    REQUIRE_MESSAGE(ok.ok(), ok.status().message());
    CHECK(ok->tables[0].column_types.at("amount") == "text");
    CHECK(ok->tables[0].type_overrides.at("bigint") == "varchar(40)");
    std::string bad = ErrorOf(std::string(kMinimal) + "tables:\n  - match: shop.t\n    type_overrides: { bigin: text }\n");
    CHECK_MESSAGE(bad.find("tables[].type_overrides: 'bigin' is not a MySQL column type (DATA_TYPE); did you mean "
                           "'bigint'?") != std::string::npos,
                  bad);
    bad = ErrorOf(std::string(kMinimal) + "tables:\n  - match: shop.t\n    column_types: { amount: money }\n");
    CHECK_MESSAGE(bad.find("task.yaml:15:29: tables[].column_types.amount: type 'money' (of column 'amount') is not "
                           "one sync gives a column") != std::string::npos,
                  bad);
  }

  TEST_CASE("all errors are reported together") {
    std::string yaml = std::string(kMinimal) + "runtime: { batch_rowz: 1 }\nddl: { drop_tabel: ignore }\n";
    std::string msg = ErrorOf(yaml);
    CHECK(msg.find("batch_rowz") != std::string::npos);
    CHECK(msg.find("drop_tabel") != std::string::npos);
  }

  TEST_CASE("table patterns need db.table and rules need valid regexes") {
    std::string yaml = kMinimal;
    yaml.replace(yaml.find("[shop.*]"), 8, "[shop]");
    CHECK(ErrorOf(yaml).find("must have the form db.table") != std::string::npos);
    yaml = std::string(kMinimal) + "mapping:\n  rules:\n    - { match: \"(\", to: x }\n";
    CHECK(ErrorOf(yaml).find("invalid regular expression") != std::string::npos);
    yaml = std::string(kMinimal) + "mapping:\n  rules:\n    - { prefix: \"\", with: x }\n";
    CHECK(ErrorOf(yaml).find("prefix must not be empty") != std::string::npos);
  }

  TEST_CASE("a filter without a condition is rejected") {
    std::string yaml = std::string(kMinimal) + "tables:\n  - match: shop.a\n    dml: { delete: filter }\n";
    CHECK(ErrorOf(yaml).find("needs a condition") != std::string::npos);
  }

  TEST_CASE("a spec that is not a mapping is rejected") {
    CHECK(ErrorOf("- a\n- b\n").find("expected a task spec") != std::string::npos);
    CHECK(ErrorOf("").find("expected a task spec") != std::string::npos);
  }

  TEST_CASE("table selection applies include then exclude") {
    SourceSpec s;
    s.tables = {"shop.*", "crm.customers"};
    s.exclude = {"shop.tmp_*"};
    CHECK(IsTableSelected(s, "shop", "orders"));
    CHECK_FALSE(IsTableSelected(s, "shop", "tmp_x"));
    CHECK(IsTableSelected(s, "crm", "customers"));
    CHECK_FALSE(IsTableSelected(s, "crm", "leads"));
  }

  TEST_CASE("shadow tables of online schema change tools are selected with the table they shadow") {
    SourceSpec s;
    s.tables = {"shop.orders", "crm.secret"};
    s.exclude = {"crm.secret"};
    CHECK_FALSE(IsTableSelected(s, "shop", "_orders_new"));
    s.shadow_tables = {"_{table}_new", "_{table}_gho"};
    CHECK(IsTableSelected(s, "shop", "_orders_new"));
    CHECK(IsTableSelected(s, "shop", "_orders_gho"));
    CHECK_FALSE(IsTableSelected(s, "shop", "_orders_old"));    // the tools' old tables are not followed
    CHECK_FALSE(IsTableSelected(s, "shop", "_customers_new"));  // shadows only selected tables
    CHECK_FALSE(IsTableSelected(s, "crm", "_secret_new"));      // an excluded table's shadow neither
    CHECK_FALSE(IsTableSelected(s, "shop", "__new"));
    std::string spec = kMinimal;
    spec.replace(spec.find("destination:"), 0, "  shadow_tables: [\"_t_new\"]\n");
    std::string error = ErrorOf(spec);
    CHECK(error.find("source.shadow_tables: pattern '_t_new' must name the shadowed table as {table}") != std::string::npos);
    CHECK_MESSAGE(error.find("task.yaml:8:") != std::string::npos, error);
  }

  TEST_CASE("destination names come from templates and rules") {
    auto r = LoadTaskSpecFile(std::string(SYNC_SOURCE_DIR) + "/examples/mysql-to-hologres.yaml");
    REQUIRE(r.ok());
    auto n = pipeline::MapTableName(*r, "shop", "tmp_items");
    CHECK(n.schema == "ods_shop");
    CHECK(n.table == "t_items");
    CHECK(pipeline::MapTableName(*r, "shop", "order_12").table == "orders");
    CHECK(pipeline::MapTableName(*r, "shop", "order_x").table == "order_x");
    CHECK(pipeline::ExpandVariables("${created_at:%Y}-${DB_NAME_SRC}", {{"DB_NAME_SRC", "a"}}) == "${created_at:%Y}-a");
  }

  TEST_CASE("a mapping rule's pattern and replacement are checked where they are written") {
    auto bad = [](const std::string& rule) {
      return ErrorOf(std::string(kMinimal) + "mapping:\n  rules:\n    - " + rule + "\n");
    };
    std::string error = bad("{ match: 'order_(\\d+', to: orders }");
    CHECK_MESSAGE(error.find("mapping.rules[].match: invalid regular expression: missing closing parenthesis at "
                             "offset 10 of 'order_(\\d+'") != std::string::npos, error);
    CHECK_MESSAGE(error.find("task.yaml:15:") != std::string::npos, error);
    error = bad("{ match: 'a{99999999999999999999}', to: b }");
    CHECK_MESSAGE(error.find("number too big in {} quantifier") != std::string::npos, error);
    error = bad("{ match: 'order_(\\d+)', to: 'orders_$2' }");
    CHECK_MESSAGE(error.find("mapping.rules[].to: 'orders_$2' at position 8: the pattern has 1 group(s), not $2") !=
                      std::string::npos, error);
    CHECK_MESSAGE(error.find("task.yaml:15:") != std::string::npos, error);
    auto ok = ParseTaskSpec(std::string(kMinimal) + "mapping:\n  rules:\n    - { match: '(.*)', to: 'x_$1' }\n",
                            "task.yaml");
    REQUIRE_MESSAGE(ok.ok(), ok.status().message());
    CHECK(pipeline::MapTableName(*ok, "shop", "abc").table == "x_abc");
  }

  TEST_CASE("schema rules and per-variable rules rename schemas and the values templates expand") {
    const std::string yaml = std::string(kMinimal) +
                             "mapping:\n"
                             "  schema: 'ods_${DB_NAME_SRC}'\n"
                             "  table: '${DB_NAME_SRC}__${TABLE_NAME_SRC}'\n"
                             "  schema_rules: [ { prefix: ods_legacy_, with: ods_ } ]\n"
                             "  variables:\n"
                             "    DB_NAME_SRC: [ { match: '^shop_(\\d+)$', to: shop } ]\n";
    auto r = ParseTaskSpec(yaml, "task.yaml");
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    auto shard = pipeline::MapTableName(*r, "shop_07", "orders");
    CHECK(shard.schema == "ods_shop");
    CHECK(shard.table == "shop__orders");
    auto legacy = pipeline::MapTableName(*r, "legacy_crm", "users");
    CHECK(legacy.schema == "ods_crm");
    CHECK(legacy.table == "legacy_crm__users");
    auto other = pipeline::MapTableName(*r, "shop_x", "t");
    CHECK(other.schema == "ods_shop_x");
    // Where the rules are written does not make two mappings differ; what they say does.
    auto moved = ParseTaskSpec("\n\n" + yaml, "task.yaml");
    REQUIRE(moved.ok());
    CHECK(SameMapping(r->mapping, moved->mapping));
    auto changed = ParseTaskSpec(yaml + "    TABLE_NAME_SRC: [ { prefix: t_ } ]\n", "task.yaml");
    REQUIRE_MESSAGE(changed.ok(), changed.status().message());
    CHECK_FALSE(SameMapping(r->mapping, changed->mapping));
    std::string bad = ErrorOf(std::string(kMinimal) + "mapping:\n  variables:\n    DB_NAME_SCR: [ { prefix: a } ]\n");
    CHECK_MESSAGE(bad.find("task.yaml:15:5: mapping.variables: 'DB_NAME_SCR' is not a variable of mapping.schema and "
                           "mapping.table; did you mean 'DB_NAME_SRC'?") != std::string::npos,
                  bad);
    bad = ErrorOf(std::string(kMinimal) + "mapping:\n  schema_rules: [ { match: '(' , to: x } ]\n");
    CHECK_MESSAGE(bad.find("mapping.schema_rules[].match: invalid regular expression") != std::string::npos, bad);
  }
}

TEST_CASE("ChangesOnlyTables: a new selection is applied in place; other changes are not") {
  std::string base = kMinimal;
  base.replace(base.find("[shop.*]"), 8, "[shop.a]");
  auto parse = [](const std::string& yaml) {
    auto r = ParseTaskSpec(yaml, "task.yaml");
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return *r;
  };
  TaskSpec a = parse(base);
  std::vector<std::pair<std::string, std::string>> kept{{"shop", "a"}};
  std::string more = base;
  more.replace(more.find("[shop.a]"), 8, "[shop.a, shop.b]");
  CHECK(ChangesOnlyTables(a, parse(more), kept));
  CHECK(ChangesOnlyTables(a, parse(more + "tables:\n  - { match: shop.b, primary_key: [id] }\n"), kept));
  CHECK_FALSE(ChangesOnlyTables(a, parse(more + "tables:\n  - { match: shop.a, primary_key: [id] }\n"), kept));
  CHECK_FALSE(ChangesOnlyTables(a, parse(more + "runtime: { batch_rows: 7 }\n"), kept));
  CHECK_FALSE(ChangesOnlyTables(a, parse(more + "ddl: { add_column: error }\n"), kept));
  std::string other_password = more;
  const std::string password = "password: ${env:SRC_PW}";
  other_password.replace(other_password.find(password), password.size(), "password: p2");
  CHECK_FALSE(ChangesOnlyTables(a, parse(other_password), kept));
}
