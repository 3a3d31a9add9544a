#pragma once
// Workloads and worker lookups the end-to-end tests share: random single-row
// changes on an `id INT PRIMARY KEY, name, amount, created` table, and the
// pid of a task's current worker.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "harness/servers.hpp"

namespace dbsync::testing {

// The source the destination end-to-end tests replicate: databases shop and
// seq (MariaDB's sequence engine, for bulk loads) and a user repl/repl-pw
// with the replication grants and SELECT on shop.
void PrepareShopSource(const MariaDbServer& mysql);

// The source of PrepareShopSource and two destinations prepared as
// PrepareDestinationDatabase does: plain PostgreSQL and PostgreSQL with the
// Hologres fixture in dw.
struct PostgresAndHologresEnvironment {
  MariaDbServer mysql;
  PostgresServer pg;
  PostgresServer holo{PostgresOptions{.hologres_settings = true}};
  SyncCli cli;
  PostgresAndHologresEnvironment();
  // A task spec from the source (repl/repl-pw) into `dest`'s dw
  // (loader/loader-pw), small batches and quick restarts, plus `settings`.
  std::string Yaml(const std::string& name, const std::string& tables, const std::string& settings,
                   const PostgresServer& dest, const std::string& type = "postgres", int server_id = 7401) const;
};

// The end-to-end setting without Hologres: the source of PrepareShopSource,
// PostgreSQL with database dw, a sync home.
struct ShopEnvironment {
  MariaDbServer mysql;
  PostgresServer pg;
  SyncCli cli;
  ShopEnvironment();
};

// `sync status task -o json`, parsed; a status that cannot be had fails the test.
nlohmann::json TaskStatus(const SyncCli& cli, const std::string& task);
// Polls TaskStatus every 100 ms up to `limit` until it satisfies `ready`;
// the last status.
nlohmann::json WaitTaskStatus(const SyncCli& cli, const std::string& task, std::chrono::seconds limit,
                              const std::function<bool(const nlohmann::json&)>& ready);

// The task spec of PostgresAndHologresEnvironment::Yaml, from `mysql`.
std::string ShopTaskYaml(const MariaDbServer& mysql, const std::string& name, const std::string& tables,
                         const std::string& settings, const PostgresServer& dest, const std::string& type = "postgres",
                         int server_id = 7401);


// Rows of a table as one text line each, in key order; nullopt when they
// cannot be read (the table is not there yet).
using RowsOf = std::function<std::optional<std::vector<std::string>>(const std::string& table)>;

// Waits until `dest` gives what `source` gives for every table, up to
// `limit`. On a timeout it says, per table, how many rows each side has and
// the first line that differs (a doctest MESSAGE).
bool WaitConverged(const std::vector<std::string>& tables, const RowsOf& source, const RowsOf& dest,
                   std::chrono::seconds limit);

// Query rows as lines: values joined by '|', NULL spelled out.
std::vector<std::string> JoinedLines(const std::vector<std::vector<std::optional<std::string>>>& rows);

// `n` random single-row changes on shop.`table`: inserts, deletes, key
// changes, NULLs and 4-byte UTF-8, ids in [1, key_space].
void Churn(const MariaDbServer& mysql, const std::string& table, int n, std::mt19937& rng, int key_space);

// `sync create --no-check` of `yaml` (written to `file`): the task's id; a
// failure fails the test. CreateAndStartTask also starts it.
std::string CreateTask(const SyncCli& cli, const std::string& file, const std::string& yaml);
std::string CreateAndStartTask(const SyncCli& cli, const std::string& file, const std::string& yaml);

// The lines of `sql` at the source (a failed query fails the test) and in
// `dest`'s dw (nullopt when it cannot be read yet).
std::vector<std::string> SourceLines(const MariaDbServer& mysql, const std::string& sql);
std::optional<std::vector<std::string>> DestinationLines(const PostgresServer& dest, const std::string& sql);
// Waits until each pair's destination query gives what its source query
// gives; on a timeout, says how many rows each side has.
bool QueriesConverge(const MariaDbServer& mysql, const PostgresServer& dest,
                     const std::vector<std::pair<std::string, std::string>>& queries,
                     std::chrono::seconds limit = std::chrono::seconds(120));
// The message of the task's last error once `sync status` shows one (empty
// if none within ~30 s).
std::string WaitLastError(const SyncCli& cli, const std::string& task);

// The current worker's pid once it has reported (0 if none within ~20 s),
// other than `not_this`.
int WorkerPid(const SyncCli& cli, const std::string& task, int not_this = 0);

}  // namespace dbsync::testing
