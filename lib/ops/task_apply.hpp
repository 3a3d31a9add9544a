#pragma once
// sync apply: replace a task's spec. Tables that the new spec adds get schema
// migration and a full initialization; tables it drops stop being synced
// (their destination tables stay); the rest continue from the checkpoint.
//
// A running task's worker is signalled (SIGHUP through the supervisor) and
// applies the stored spec without stopping: the new tables are copied while
// the others keep streaming (pipeline/realtime_sync.hpp). A change beyond the
// tables makes the worker start over with the new spec instead.

#include <string>
#include <vector>

#include "ops/task_ops.hpp"

namespace dbsync::ops {

struct ApplyPlan {
  std::vector<std::string> added;     // source tables: schema migration + full initialization
  std::vector<std::string> removed;   // source tables no longer synced
  std::vector<std::string> kept;      // keep streaming
  std::vector<std::string> settings;  // other spec sections that changed
  bool restart_worker = false;        // the task is running: its worker applies the spec (JSON name kept)
  // Only the table selection changes (config::ChangesOnlyTables): a running
  // worker applies it in place; otherwise its real-time sync starts over.
  bool in_place = true;
};

// Validates `spec_path` against the stored spec (source and destination must
// not change: that is a new task), compares the table selections on the live
// source, and unless `dry_run` stores the spec and signals a running worker.
Result<ApplyPlan> ApplySpec(const CommonOptions& opts, state::TaskRecord& task, const std::string& spec_path,
                            bool dry_run);

}  // namespace dbsync::ops
