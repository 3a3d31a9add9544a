#pragma once
// What the commands do, as library calls: apps/ only parse flags and print.

#include <string>
#include <vector>

#include "check/check_report.hpp"
#include "check/mapping_plan.hpp"
#include "core/status.hpp"
#include "state/task_store.hpp"

namespace dbsync::ops {

struct CommonOptions {
  std::string home;             // --home (empty: $SYNC_HOME / XDG default)
  int lock_timeout_ms = 30000;  // how long to wait for another command on the same task
};

// Validates the spec file and stores a new task. Does not run the check.
Result<state::TaskRecord> CreateTask(const CommonOptions& opts, const std::string& spec_path);
Result<state::TaskRecord> FindTask(const CommonOptions& opts, const std::string& id_or_name);
Result<std::vector<state::TaskRecord>> ListTasks(const CommonOptions& opts);
// Runs the check under the task lock and records it in state.json as last_check
// (the connectivity-only check is recorded as last_connectivity_check).
// With `plan`, also the source -> destination map (check::RunChecks).
Result<check::CheckReport> CheckTask(const CommonOptions& opts, state::TaskRecord& task, check::CheckScope scope,
                                     std::vector<check::PlannedTable>* plan = nullptr);
// Irreversibly removes the task's state; destination data is left alone.
// With `forget_destination`, the task's records at the destination (its
// checkpoint and chunk records; sink::Sink::ForgetTask) go first: when the
// destination cannot be reached, nothing is deleted.
Status DeleteTask(const CommonOptions& opts, const state::TaskRecord& task, bool forget_destination = false);

}  // namespace dbsync::ops
