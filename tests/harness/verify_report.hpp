#pragma once
// `sync verify` as the end-to-end tests of each destination run it: its
// JSON report, a table's verdict in it, the differences it shows, and a
// verify while a write load runs at the source.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/servers.hpp"
#include "harness/type_matrix.hpp"

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

// Churn's columns (workload.hpp), for CREATE TABLE shop.t <these>.
extern const char* const kVerifyChurnColumns;

// shop.`table` with kVerifyChurnColumns and `rows` rows (ids 1..rows).
void CreateChurnTable(const MariaDbServer& mysql, const std::string& table, int rows);

// The source tables a destination's verify test compares, named from a
// prefix p: <p>n (3000 rows of kVerifyChurnColumns, a numeric key), <p>s
// (700 rows, a latin1 VARCHAR key), <p>t (the type matrix, 300 rows) and
// <p>fence (one row per fence, written after what it fences).
struct VerifyTables {
  std::string n, s, t, fence;
  explicit VerifyTables(const std::string& prefix)
      : n(prefix + "n"), s(prefix + "s"), t(prefix + "t"), fence(prefix + "fence") {}
  // "shop.<n>, shop.<s>, shop.<t>, shop.<fence>"
  std::string List() const;
  void Create(const MariaDbServer& mysql, TypeMatrixRows& gen) const;
  // Changes at the source while the task streams: 400 to <p>n, 200 to <p>t.
  void Churn(const MariaDbServer& mysql, TypeMatrixRows& gen) const;
  // `sync verify` of the converged tables (chunks of 250 rows): identical,
  // exit 0, <p>n read in at least 12 chunks. Returns the report.
  nlohmann::json CheckIdentical(const SyncCli& cli, const std::string& task) const;
};

// What a test changed by hand at the destination: in <p>n the amount of
// `changed`, `deleted` deleted, 999999 added; in <p>s the note of c5\xC3\xA9,
// c6\xC3\xA9 deleted, zz-extra added; in <p>t the vc, dtm and lb of `vt_changed`.
struct HandEdits {
  std::string changed, deleted, vt_changed;
};
// `sync verify` after them (chunks of 250 rows): exit 1, each found by its
// key and kind, three tables differing.
void CheckHandEditsFound(const SyncCli& cli, const std::string& task, const VerifyTables& tables,
                         const HandEdits& edits);

}  // namespace dbsync::testing
