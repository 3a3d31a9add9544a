#pragma once
// `sync verify`: every table of a task compared between source and
// destination (verify/table_verifier.hpp), while the task runs or stopped.
//
// Running: each chunk's destination rows are read once checkpoint.json has
// passed the position of the chunk's source snapshot, and differing keys are
// read again. Stopped: the two sides are compared as they stand (a change at
// the source since the stop is a difference).

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/task_ops.hpp"
#include "verify/table_verifier.hpp"

namespace dbsync::ops {

struct VerifyRequest {
  std::vector<std::string> tables;  // globs on the source's db.table; empty: every table
  verify::VerifyOptions options;    // settle and task_running are filled in
  int settle_seconds = 60;          // how long a chunk waits for the task to catch up
};

struct VerifyReport {
  std::string task;
  bool task_running = false;
  std::vector<verify::TableVerdict> tables;
  uint64_t Differences() const;
  uint64_t Rows() const;
  nlohmann::json ToJson() const;
};

// kFailedPrecondition when the task has not finished its first copy, or its
// destination cannot be read back; connection errors as the clients give
// them. `on_table` learns each table's verdict as it is reached.
Result<VerifyReport> VerifyTask(const state::TaskRecord& task, VerifyRequest request,
                                const std::function<void(const verify::TableVerdict&)>& on_table);

}  // namespace dbsync::ops
