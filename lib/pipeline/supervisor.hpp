#pragma once
// The supervisor: the background process `sync start` leaves behind. It runs
// the worker as a child process and restarts it with exponential backoff when
// it dies (a crash, a kill -9, a lost server), counting each restart as a
// failover in state.json; more than runtime.failover.max_times failovers within
// window_minutes mark the task failed. SIGTERM (sync stop) is forwarded to the
// worker, which flushes and checkpoints before exiting.

#include <string>

#include "core/status.hpp"

namespace dbsync::pipeline {

struct SuperviseOptions {
  std::string home;
  std::string task_id;
  std::string run_id;
};

// Runs until stopped or failed; returns the final status. Installs handlers
// for SIGTERM and SIGINT in the calling process.
Status Supervise(const SuperviseOptions& options);

// A new run id: "r" + UTC time + 4 random hex digits.
std::string NewRunId();

}  // namespace dbsync::pipeline
