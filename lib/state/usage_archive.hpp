#pragma once
// Metering outlives its task: `sync delete` moves the task's run records to
//   <home>/usage/<id>/task.json      {id, name, deleted_at}
//   <home>/usage/<id>/<run>.json     the run records as they were
// so `sync usage` still reports what deleted tasks used (the billing view
// does not forget a task because it is gone).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "state/task_store.hpp"

namespace dbsync::state {

struct TaskUsage {
  std::string id;
  std::string name;
  std::string deleted_at;       // empty for a task that still exists
  nlohmann::json runs;          // array of run records, oldest first
};

// The run records under `runs_dir`, oldest first (unreadable files skipped).
nlohmann::json ReadRunRecords(const std::string& runs_dir);

// Copies the task's run records into the archive; called before its removal.
Status ArchiveUsage(const std::string& home, const TaskRecord& task);

// Every deleted task's archived usage.
std::vector<TaskUsage> ArchivedUsage(const std::string& home);

}  // namespace dbsync::state
