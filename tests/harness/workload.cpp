#include "harness/workload.hpp"

#include <signal.h>

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace dbsync::testing {

void Churn(const MariaDbServer& mysql, const std::string& table, int n, std::mt19937& rng, int key_space) {
  auto conn = mysql.Admin();
  for (int i = 0; i < n; ++i) {
    std::string id = std::to_string(int(rng() % unsigned(key_space)) + 1);
    switch (rng() % 5) {
      case 0: (void)conn.Execute("INSERT IGNORE INTO shop." + table + " VALUES (" + id + ", 'ins', 1.5, NOW())"); break;
      case 1: (void)conn.Execute("DELETE FROM shop." + table + " WHERE id = " + id); break;
      case 2: (void)conn.Execute("UPDATE IGNORE shop." + table + " SET id = id + " + std::to_string(key_space) + " WHERE id = " + id); break;
      case 3: (void)conn.Execute("UPDATE shop." + table + " SET name = NULL, amount = amount + 1 WHERE id = " + id); break;
      default: (void)conn.Execute("UPDATE shop." + table + " SET name = 'h\xC3\xA9 \xF0\x9F\x98\x80' WHERE id = " + id); break;
    }
  }
}

void PrepareShopSource(const MariaDbServer& mysql) {
  mysql.Exec("CREATE DATABASE shop");
  mysql.Exec("CREATE DATABASE seq");
  mysql.Exec("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw'");
  mysql.Exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'repl'@'%'");
  mysql.Exec("GRANT SELECT ON shop.* TO 'repl'@'%'");
}

std::vector<std::string> JoinedLines(const std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    std::string line;
    for (const auto& v : row) line += (line.empty() ? "" : "|") + v.value_or("NULL");
    out.push_back(line);
  }
  return out;
}

bool WaitConverged(const std::vector<std::string>& tables, const RowsOf& source, const RowsOf& dest,
                   std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (const auto& t : tables) {
      auto d = dest(t);
      if (!d || *d != source(t)) {
        all = false;
        break;
      }
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  for (const auto& t : tables) {
    auto d = dest(t);
    auto s = source(t).value_or(std::vector<std::string>{});
    MESSAGE(t << ": source " << s.size() << " rows, destination "
              << (d ? std::to_string(d->size()) : std::string("unreadable")) << " rows");
    if (!d) continue;
    for (size_t i = 0; i < std::min(s.size(), d->size()); ++i)
      if (s[i] != (*d)[i]) {
        MESSAGE("first difference: source '" << s[i].substr(0, 200) << "', destination '" << (*d)[i].substr(0, 200) << "'");
        break;
      }
  }
  return false;
}

int WorkerPid(const SyncCli& cli, const std::string& task, int not_this) {
  for (int i = 0; i < 400; ++i) {  // the supervisor backs off up to 10 s between restarts
    auto s = nlohmann::json::parse(cli.Run({"status", task, "-o", "json"}).out, nullptr, false);
    int pid = s.is_discarded() || !s.contains("worker") ? 0 : s["worker"].value("pid", 0);
    if (pid > 0 && pid != not_this && ::kill(pid, 0) == 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

PostgresAndHologresEnvironment::PostgresAndHologresEnvironment() {
  PrepareShopSource(mysql);
  PrepareDestinationDatabase(pg);
  PrepareDestinationDatabase(holo);
  holo.InstallHologresFixture("dw");
}

ShopEnvironment::ShopEnvironment() {
  PrepareShopSource(mysql);
  PrepareDestinationDatabase(pg);
}

nlohmann::json TaskStatus(const SyncCli& cli, const std::string& task) {
  auto r = cli.Run({"status", task, "-o", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out);
}

nlohmann::json WaitTaskStatus(const SyncCli& cli, const std::string& task, std::chrono::seconds limit,
                              const std::function<bool(const nlohmann::json&)>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  nlohmann::json s;
  do {
    s = TaskStatus(cli, task);
    if (ready(s)) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return s;
}

std::string ShopTaskYaml(const MariaDbServer& mysql, const std::string& name, const std::string& tables,
                         const std::string& settings, const PostgresServer& dest, const std::string& type,
                         int server_id) {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: " + std::to_string(server_id) + "\n  tables: " + tables +
         "\ndestination:\n  type: " + type + "\n  host: 127.0.0.1\n  port: " + std::to_string(dest.port()) +
         "\n  database: dw\n  user: loader\n  password: loader-pw\n"
         "runtime: { batch_rows: 300, flush_ms: 200, snapshot_parallelism: 2, failover: { max_backoff_seconds: 1 } }\n" +
         settings;
}

std::string PostgresAndHologresEnvironment::Yaml(const std::string& name, const std::string& tables,
                                                 const std::string& settings, const PostgresServer& dest,
                                                 const std::string& type, int server_id) const {
  return ShopTaskYaml(mysql, name, tables, settings, dest, type, server_id);
}

std::string CreateTask(const SyncCli& cli, const std::string& file, const std::string& yaml) {
  auto created = cli.Run({"create", "--no-check", "-f", cli.WriteSpec(file, yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  return created.out.substr(0, created.out.find('\n'));
}

std::string CreateAndStartTask(const SyncCli& cli, const std::string& file, const std::string& yaml) {
  const std::string id = CreateTask(cli, file, yaml);
  auto started = cli.Run({"start", id});
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  return id;
}

std::vector<std::string> SourceLines(const MariaDbServer& mysql, const std::string& sql) {
  auto r = mysql.Admin().Query(sql);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return JoinedLines(r->rows);
}

std::optional<std::vector<std::string>> DestinationLines(const PostgresServer& dest, const std::string& sql) {
  auto conn = postgres::Connection::Connect({"127.0.0.1", dest.port(), "dw", "postgres",
                                             PostgresServer::kSuperPassword, 5});
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query(sql);
  if (!r.ok()) return std::nullopt;
  return JoinedLines(r->rows);
}

bool QueriesConverge(const MariaDbServer& mysql, const PostgresServer& dest,
                     const std::vector<std::pair<std::string, std::string>>& queries, std::chrono::seconds limit) {
  std::vector<std::string> names;
  for (size_t i = 0; i < queries.size(); ++i) names.push_back(std::to_string(i));
  bool ok = WaitConverged(
      names, [&](const std::string& i) { return std::optional(SourceLines(mysql, queries[std::stoul(i)].first)); },
      [&](const std::string& i) { return DestinationLines(dest, queries[std::stoul(i)].second); }, limit);
  if (!ok) {
    for (const auto& [src, dst] : queries) {
      auto s = SourceLines(mysql, src);
      auto d = DestinationLines(dest, dst);
      MESSAGE(src << ": " << s.size() << " rows at the source, " << (d ? d->size() : 0) << " at the destination");
    }
  }
  return ok;
}

std::string WaitLastError(const SyncCli& cli, const std::string& task) {
  for (int i = 0; i < 300; ++i) {
    auto st = nlohmann::json::parse(cli.Run({"status", task, "-o", "json"}).out, nullptr, false);
    if (st.is_object() && st.contains("last_errors") && !st["last_errors"].empty())
      return st["last_errors"].back().value("message", "");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

}  // namespace dbsync::testing
