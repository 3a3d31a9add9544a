#pragma once
// Workloads and worker lookups the end-to-end tests share: random single-row
// changes on an `id INT PRIMARY KEY, name, amount, created` table, and the
// pid of a task's current worker.

#include <random>
#include <string>

#include "harness/servers.hpp"

namespace dbsync::testing {

// `n` random single-row changes on shop.`table`: inserts, deletes, key
// changes, NULLs and 4-byte UTF-8, ids in [1, key_space].
void Churn(const MariaDbServer& mysql, const std::string& table, int n, std::mt19937& rng, int key_space);

// The current worker's pid once it has reported (0 if none within ~20 s),
// other than `not_this`.
int WorkerPid(const SyncCli& cli, const std::string& task, int not_this = 0);

}  // namespace dbsync::testing
