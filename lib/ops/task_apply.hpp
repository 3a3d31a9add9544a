#pragma once
// sync apply: replace a task's spec. Tables that the new spec adds get schema
// migration and a full initialization; tables it drops stop being synced
// (their destination tables stay); the rest continue from the checkpoint.
//
// A running task's worker is restarted with the new spec: while the new
// tables are copied, the other tables' changes wait in the binlog and are
// applied right after (their lag grows for that time; nothing is lost: the
// stream resumes at the checkpoint and each new table skips what its
// snapshot already holds).

#include <string>
#include <vector>

#include "ops/task_ops.hpp"

namespace dbsync::ops {

struct ApplyPlan {
  std::vector<std::string> added;     // source tables: schema migration + full initialization
  std::vector<std::string> removed;   // source tables no longer synced
  std::vector<std::string> kept;      // keep streaming
  std::vector<std::string> settings;  // other spec sections that changed
  bool restart_worker = false;        // the task is running
};

// Validates `spec_path` against the stored spec (source and destination must
// not change: that is a new task), compares the table selections on the live
// source, and unless `dry_run` stores the spec and restarts a running worker.
Result<ApplyPlan> ApplySpec(const CommonOptions& opts, state::TaskRecord& task, const std::string& spec_path,
                            bool dry_run);

}  // namespace dbsync::ops
