#pragma once
// The set of tasks under one home: create, find, list, delete, save state.
// Thread-compatible; process-level safety comes from FileLock (home lock for
// creation, task lock for changes to one task). Readers (status, list) take no
// lock: every file is replaced atomically.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/task_spec.hpp"
#include "core/status.hpp"
#include "state/file_lock.hpp"
#include "state/task_dir.hpp"

namespace dbsync::state {

// A task's lifecycle, kept as its name in state.json ("lifecycle").
enum class Lifecycle { kCreated, kRunning, kStopped, kFailed, kDeleted, kDamaged };
const char* LifecycleName(Lifecycle lifecycle);
// The lifecycle recorded in `state` (kCreated when none is).
Lifecycle LifecycleIn(const nlohmann::json& state);
void SetLifecycle(nlohmann::json& state, Lifecycle lifecycle);

struct TaskRecord {
  TaskDir dir;
  config::TaskSpec spec;
  // state.json: {id, name, lifecycle, created_at, updated_at, last_check, ...}.
  // Later steps add fields; unknown fields are preserved on save.
  nlohmann::json state;
};

class TaskStore {
 public:
  // Creates the home (0700) when missing.
  static Result<TaskStore> Open(const std::string& home);

  const std::string& home() const { return home_; }
  // Stores a new task from its validated spec and original YAML text (saved as
  // written, so secret references stay references). Name must be unique.
  Result<TaskRecord> Create(const std::string& spec_yaml, const config::TaskSpec& spec, int lock_timeout_ms);
  // By id, else by name. NotFound says how to list tasks.
  Result<TaskRecord> Find(const std::string& id_or_name) const;
  Result<std::vector<TaskRecord>> List() const;
  // Writes state.json atomically, stamping updated_at.
  Status SaveState(TaskRecord& task) const;
  // Replaces task.yaml (the caller holds the task lock and validated the spec).
  Status SaveSpec(TaskRecord& task, const std::string& spec_yaml, const config::TaskSpec& spec) const;
  // Removes the task's directory; the caller holds the task lock.
  Status Remove(const TaskRecord& task) const;
  Result<FileLock> LockTask(const TaskRecord& task, int timeout_ms) const;

 private:
  explicit TaskStore(std::string home) : home_(std::move(home)) {}
  Result<TaskRecord> Load(const std::string& id) const;

  std::string home_;
};

// Current UTC time as ISO 8601 ("2026-11-25T02:01:59Z").
std::string NowIso8601();

}  // namespace dbsync::state
