// DDL nobody here wrote: a sample of the table definition changes in
// MariaDB's own test suite (package mariadb-test, extracted by
// scripts/extract-ddl-corpus.py), replayed against a live MariaDB while a
// task streams every database to PostgreSQL, with the suite's own row
// changes between them. One database per test file. After each file the
// destination must hold the same tables, columns and row counts as the
// source, or the worker must have stopped with a report naming the DDL; a
// destination that differs while the task says "running" is a silent drop
// and fails the test.
//
// SYNC_CORPUS_STATEMENTS sets the sample's size in DDL statements (default 3000).

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/text_util.hpp"
#include "harness/servers.hpp"
#include "sink/postgres/pg_ddl.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Statement {
  std::string group, sql;
  bool ddl = false;
  int line = 0;
};

std::vector<std::vector<Statement>> LoadCorpus(int max_statements) {
  std::string out = MakeTempDir("corpus-") + "/corpus.jsonl";
  auto r = RunProcess({"python3", std::string(SYNC_SOURCE_DIR) + "/scripts/extract-ddl-corpus.py", "--max-statements",
                       std::to_string(max_statements), "--output", out});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  MESSAGE(r.err);
  std::ifstream in(out);
  std::vector<std::vector<Statement>> groups;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    Statement s{j["group"], j["sql"], j["kind"] == "ddl", j.value("line", 0)};
    if (groups.empty() || groups.back().front().group != s.group) groups.emplace_back();
    groups.back().push_back(std::move(s));
  }
  return groups;
}

// "B,a" -> "a,b": column names compared without case or order.
std::string SortedList(const std::string& list) {
  std::vector<std::string> items;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    items.push_back(ToLower(list.substr(start, comma - start)));
    start = comma + 1;
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// Tables of `db`: name -> "col,col,...:rows".
std::map<std::string, std::string> SourceShape(mysql::Connection& conn, const std::string& db) {
  std::map<std::string, std::string> out;
  auto tables = conn.Query("SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY COLUMN_NAME) FROM "
                           "information_schema.COLUMNS JOIN information_schema.TABLES USING (TABLE_SCHEMA, TABLE_NAME) "
                           "WHERE TABLE_SCHEMA = '" + db + "' AND TABLE_TYPE = 'BASE TABLE' GROUP BY TABLE_NAME");
  REQUIRE_MESSAGE(tables.ok(), tables.status().message());
  for (const auto& row : tables->rows) {
    auto n = conn.Query("SELECT COUNT(*) FROM `" + db + "`.`" + *row[0] + "`");
    out[*row[0]] = SortedList(*row[1]) + ":" + (n.ok() ? n->Scalar() : "?");
  }
  return out;
}

std::map<std::string, std::string> DestShape(const PostgresServer& pg, const std::string& db) {
  std::map<std::string, std::string> out;
  auto conn = pg.Admin("dw");
  auto tables = conn.Query("SELECT table_name, string_agg(lower(column_name), ',' ORDER BY lower(column_name) COLLATE \"C\") "
                           "FROM information_schema.columns WHERE table_schema = $1 GROUP BY table_name",
                           {db});
  if (!tables.ok()) return out;
  for (const auto& row : tables->rows) {
    auto n = conn.Query("SELECT count(*) FROM " + postgres::QualifiedName(db, *row[0]));
    out[*row[0]] = SortedList(*row[1]) + ":" + (n.ok() ? n->Scalar() : "?");
  }
  return out;
}

std::string Describe(const std::map<std::string, std::string>& shape) {
  std::string out;
  for (const auto& [t, s] : shape) out += t + "(" + s + ") ";
  return out;
}

}  // namespace

TEST_CASE("a DDL corpus from MariaDB's test suite converges or is reported, never dropped silently") {
  const char* size_env = std::getenv("SYNC_CORPUS_STATEMENTS");
  const int sample = size_env ? std::atoi(size_env) : 3000;
  auto groups = LoadCorpus(sample);
  REQUIRE(groups.size() > 10);
  SyncEnvironment env;
  env.mysql.Exec("GRANT SELECT ON *.* TO 'repl'@'%'");
  int task_number = 0;
  std::string id;
  auto new_task = [&] {
    std::string name = "corpus-" + std::to_string(++task_number);
    std::string yaml = TaskYaml(name, env.mysql, env.pg, "repl", "repl-pw", "[corpus_*.*]", 8100 + task_number) +
                       "runtime: { batch_rows: 500, flush_ms: 100, failover: { max_times: 0 } }\n";
    auto created = env.cli.Run({"create", "--no-check", "-f", env.cli.WriteSpec(name + ".yaml", yaml)});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    id = created.out.substr(0, created.out.find('\n'));
    // A task needs a table to start with.
    env.mysql.Exec("CREATE DATABASE IF NOT EXISTS corpus_anchor");
    env.mysql.Exec("CREATE TABLE IF NOT EXISTS corpus_anchor.t (id INT PRIMARY KEY)");
    auto started = env.cli.Run({"start", id});
    REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
    // The replay goes on once the task streams: tables created while its
    // first full initialization runs are another test's subject.
    REQUIRE(env.cli.WaitStreaming(id));
  };
  new_task();

  int ddl_replayed = 0, ddl_rejected_by_server = 0, dml_replayed = 0, groups_converged = 0, groups_reported = 0;
  std::vector<std::string> silent;
  std::map<std::string, int> reports;
  auto admin = env.mysql.Admin();
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string db = "corpus_" + std::to_string(g);
    env.mysql.Exec("CREATE DATABASE " + db);
    auto session = env.mysql.Admin();
    REQUIRE(session.Execute("USE " + db).ok());
    REQUIRE(session.Execute("SET SESSION sql_mode = '', foreign_key_checks = 0, max_statement_time = 20").ok());
    int group_ddl = 0;
    for (const auto& s : groups[g]) {
      bool ok = session.Execute(s.sql).ok();
      if (s.ddl) (ok ? ++group_ddl : ++ddl_rejected_by_server);
      if (!s.ddl && ok) ++dml_replayed;
    }
    ddl_replayed += group_ddl;
    std::map<std::string, std::string> src, dst;
    bool converged = false, failed = false;
    for (int i = 0; i < 300 && !converged && !failed; ++i) {
      src = SourceShape(admin, db);
      dst = DestShape(env.pg, db);
      converged = src == dst;
      if (!converged) {
        json st = json::parse(env.cli.Run({"status", id, "-o", "json"}).out, nullptr, false);
        failed = !st.is_discarded() && st.value("lifecycle", "") == "failed";
        std::this_thread::sleep_for(100ms);
      }
    }
    if (converged) {
      ++groups_converged;
    } else if (failed) {
      // A refusal must say what stopped the task: the DDL (or the table) and what to do.
      json st = json::parse(env.cli.Run({"status", id, "-o", "json"}).out, nullptr, false);
      std::string message = st["last_errors"].empty() ? "" : st["last_errors"].back().value("message", "");
      CHECK_MESSAGE(!message.empty(), groups[g].front().group);
      ++groups_reported;
      ++reports[message.substr(0, 400) + " [" + groups[g].front().group + "]"];
      env.cli.Run({"stop", id});
      env.cli.Run({"delete", "--yes", id});
      env.mysql.Exec("DROP DATABASE " + db);
      new_task();
      continue;
    } else {
      silent.push_back(groups[g].front().group + ": source " + Describe(src) + "| destination " + Describe(dst));
    }
    env.mysql.Exec("DROP DATABASE " + db);
  }
  MESSAGE("corpus replay: " << groups.size() << " files, " << ddl_replayed << " DDL statements replayed (" <<
          ddl_rejected_by_server << " more rejected by the server, never in the binlog), " << dml_replayed <<
          " row statements; " << groups_converged << " files converged, " << groups_reported <<
          " stopped the task with a report, " << silent.size() << " diverged silently");
  for (const auto& [message, n] : reports) MESSAGE("reported " << n << "x: " << message);
  for (const auto& s : silent) MESSAGE("SILENT: " << s);
  CHECK(silent.empty());
  CHECK(ddl_replayed * 10 > sample * 8);  // the server accepts most of the sample: a replay, not a list of errors
}
