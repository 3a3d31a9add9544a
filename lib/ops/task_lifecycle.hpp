#pragma once
// Starting and stopping a task's background worker.

#include <string>

#include "check/check_report.hpp"
#include "ops/task_ops.hpp"

namespace dbsync::ops {

struct StartResult {
  std::string run_id;
  int supervisor_pid = 0;
  check::CheckReport check;  // the mandatory check that preceded the start
};

// Runs the mandatory check (a failed item blocks: kFailedPrecondition, with
// the report in `result->check`), then starts the supervisor in the
// background (or, with `foreground`, runs it in this process until stopped).
Result<StartResult> StartTask(const CommonOptions& opts, state::TaskRecord& task, bool foreground,
                              check::CheckReport* report);
// Asks the worker to flush, checkpoint and exit; waits up to `timeout_seconds`.
Status StopTask(const CommonOptions& opts, state::TaskRecord& task, int timeout_seconds);
// Whether a worker holds the task's worker lock right now.
bool IsWorkerRunning(const state::TaskRecord& task);

}  // namespace dbsync::ops
