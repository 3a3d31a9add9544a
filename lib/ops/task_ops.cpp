#include "ops/task_ops.hpp"

#include "check/check_runner.hpp"
#include "config/task_spec_yaml.hpp"
#include "core/atomic_file.hpp"
#include "ops/task_lifecycle.hpp"
#include "sink/registry.hpp"
#include "sink/sink.hpp"
#include "state/usage_archive.hpp"

namespace dbsync::ops {

Result<state::TaskRecord> CreateTask(const CommonOptions& opts, const std::string& spec_path) {
  auto text = ReadFile(spec_path);
  if (!text.ok()) return Status::InvalidArgument(text.status().message());
  SYNC_ASSIGN_OR_RETURN(config::TaskSpec spec, config::ParseTaskSpec(*text, spec_path));
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  return store.Create(*text, spec, opts.lock_timeout_ms);
}

Result<state::TaskRecord> FindTask(const CommonOptions& opts, const std::string& id_or_name) {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  return store.Find(id_or_name);
}

Result<std::vector<state::TaskRecord>> ListTasks(const CommonOptions& opts) {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  return store.List();
}

Result<check::CheckReport> CheckTask(const CommonOptions& opts, state::TaskRecord& task, check::CheckScope scope,
                                     std::vector<check::PlannedTable>* plan) {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  SYNC_ASSIGN_OR_RETURN(auto lock, store.LockTask(task, opts.lock_timeout_ms));
  check::CheckReport report = check::RunChecks(task.spec, scope, plan);
  // Re-read under the lock: another command may have changed state.json meanwhile.
  SYNC_ASSIGN_OR_RETURN(task, store.Find(task.dir.id));
  task.state[scope == check::CheckScope::kFull ? "last_check" : "last_connectivity_check"] = report.ToJson();
  SYNC_RETURN_IF_ERROR(store.SaveState(task));
  return report;
}

Status DeleteTask(const CommonOptions& opts, const state::TaskRecord& task, bool forget_destination) {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  if (state::LifecycleIn(task.state) == state::Lifecycle::kRunning || IsWorkerRunning(task)) {
    state::TaskRecord running = task;
    Status stopped = StopTask(opts, running, 120);
    if (!stopped.ok() && stopped.code() != StatusCode::kFailedPrecondition) return stopped;
  }
  SYNC_ASSIGN_OR_RETURN(auto lock, store.LockTask(task, opts.lock_timeout_ms));
  if (forget_destination) {
    const std::string what = "forgetting the task's records at the destination (nothing was deleted)";
    auto sink = sink::OpenSink(task.spec, task.dir.id);
    if (!sink.ok()) return sink.status().WithContext(what);
    SYNC_RETURN_IF_ERROR((*sink)->ForgetTask().WithContext(what));
  }
  // Metering is finalized, not forgotten: the run records outlive the task.
  SYNC_RETURN_IF_ERROR(state::ArchiveUsage(store.home(), task).WithContext("keeping the task's usage records"));
  return store.Remove(task);
}

}  // namespace dbsync::ops
