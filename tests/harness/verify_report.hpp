#pragma once
// `sync verify` as the end-to-end tests of each destination run it: its
// JSON report, a table's verdict in it, the differences it shows, and a
// verify while a write load runs at the source.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/servers.hpp"

namespace dbsync::testing {

// `sync verify TASK -o json <extra>`; requires `expected_exit`.
nlohmann::json VerifyJson(const SyncCli& cli, const std::string& task, const std::vector<std::string>& extra,
                          int expected_exit);
// The verdict of source table `source` (db.table) in a report.
const nlohmann::json& TableIn(const nlohmann::json& report, const std::string& source);
// "kind key [columns]" of every difference shown for `source`, sorted.
std::vector<std::string> Shown(const nlohmann::json& report, const std::string& source);

// `sync verify TASK --chunk-rows 200 -o json` while random single-row
// changes (Churn, ids in [1, key_space]) run on shop.`table` from 1 s
// before until it ends; requires exit 0 and no difference, at least 10
// chunks and 200 changes during it. Returns the report.
nlohmann::json VerifyUnderLoad(const SyncCli& cli, const MariaDbServer& mysql, const std::string& task,
                               const std::string& table, int key_space);

}  // namespace dbsync::testing
