#pragma once
// Starting and stopping a task's background worker.

#include <string>

#include "check/check_report.hpp"
#include "core/binlog_position.hpp"
#include "ops/task_ops.hpp"

namespace dbsync::ops {

struct StartResult {
  std::string run_id;
  int supervisor_pid = 0;
  check::CheckReport check;  // the mandatory check that preceded the start
};

// What `sync start` is asked for besides starting.
struct StartRequest {
  bool foreground = false;  // run the supervisor in this process until stopped
  // With foreground: print the task's progress to stdout while it runs
  // (ops/progress_view.hpp), as on a terminal of `progress_width` columns or
  // as timestamped lines.
  bool show_progress = false;
  bool progress_terminal = false;
  int progress_width = 100;
  // "FILE:POS", or empty: where tables that are not copied start following
  // the binlog on the task's first start; checked against the source's binary
  // logs first (a purged or unknown one is kFailedPrecondition).
  std::string from_position;
  // A time (see CheckStartTime), or empty: the same, at the first transaction
  // the source's binlog has from that time on.
  std::string from_time;
  // A GTID set (see CheckStartGtid), or empty: the same, at the first
  // transaction the set does not contain.
  std::string from_gtid;
  // Glob patterns on db.table ("*.*": every table) to copy afresh while the
  // others stream on (pipeline/rerun.hpp); empty: none.
  std::vector<std::string> rerun;
};

// Runs the mandatory check (a failed item blocks: kFailedPrecondition, with
// the report in `result->check`), then starts the supervisor in the
// background (or in this process, request.foreground).
Result<StartResult> StartTask(const CommonOptions& opts, state::TaskRecord& task, const StartRequest& request,
                              check::CheckReport* report);
// `text` ("2026-12-06 10:00:00" local, "2026-12-06T10:00:00Z", "...+08:00"
// or "@epoch") as the position of the first transaction the source's binlog
// has from then on, for `task` (mysql::FindBinlogPositionAtTime).
Result<BinlogPosition> CheckStartTime(const state::TaskRecord& task, const std::string& text);
// `text` (MariaDB "0-1-42", MySQL "uuid:1-77") as the position of the first
// transaction the set does not contain (mysql::FindBinlogPositionAfterGtids).
Result<BinlogPosition> CheckStartGtid(const state::TaskRecord& task, const std::string& text);
// `text` ("binlog.000042:1234") as a position the source still has, for `task`.
Result<BinlogPosition> CheckStartPosition(const state::TaskRecord& task, const std::string& text);
// Asks the worker to flush, checkpoint and exit; waits up to `timeout_seconds`.
Status StopTask(const CommonOptions& opts, state::TaskRecord& task, int timeout_seconds);
// Whether a worker holds the task's worker lock right now.
bool IsWorkerRunning(const state::TaskRecord& task);

}  // namespace dbsync::ops
