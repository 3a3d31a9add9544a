#pragma once
// The worker: one process per running task that runs the three steps in order
// (schema migration, full initialization, real-time sync), reports progress
// into state.json every second, and keeps the run's metering record.
//
// Crash safety comes from the destination, not from this process: chunks and
// batches commit together with their bookkeeping, so a worker killed at any
// moment is simply started again (by the supervisor) and resumes.

#include <atomic>
#include <string>

#include "core/status.hpp"

namespace dbsync::pipeline {

struct WorkerContext {
  std::string home;
  std::string task_id;
  std::string run_id;
  // Raised when the worker stops because a task state file cannot be written
  // (see RunWorker): such a worker must not be restarted.
  std::atomic<bool>* stopped_on_state_fault = nullptr;
};

// Runs until `stop` is raised (then returns OK after flushing) or a failure.
// Holds the task's worker lock for its whole life: a second worker for the
// same task gets kBusy. `reload` (raised on SIGHUP by `sync apply`) makes it
// apply the stored spec without stopping: added tables are copied while the
// others stream on.
// *completed (if given) is set when the task's work is done for good
// (sync_mode full_only after its copy): the supervisor then ends the task.
// A task state file it cannot write (checkpoint.json on a full disk) raises
// `stop` too: the error is recorded at once, and returned once stopped.
// Such an error, like any kStorageFault, ends the task: see worker.cpp.
Status RunWorker(const WorkerContext& context, std::atomic<bool>& stop, std::atomic<bool>* reload = nullptr,
                 bool* completed = nullptr);

}  // namespace dbsync::pipeline
