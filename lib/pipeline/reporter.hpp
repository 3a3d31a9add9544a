#pragma once
// The worker's status reporter: writes state.json (steps, per-table progress,
// lag, position), checkpoint.json and the run's metering record once a second
// and at every step change, until destroyed.
//
// When the file system refuses a write: state.json's progress and the run's
// record are best effort (logged at most once a minute; the next tick writes
// them whole); checkpoint.json is what operators and scripts read as the
// position the destination holds, so failing to write it is the task's end:
// `on_state_fault` is called with the error (once), and the worker stops.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/logger.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/worker.hpp"
#include "state/task_dir.hpp"

namespace dbsync::pipeline {

class Reporter {
 public:
  // `checkpoint_record` says where the authoritative checkpoint lives
  // (sink::Destination::checkpoint_record), for checkpoint.json's readers.
  Reporter(const WorkerContext& ctx, const state::TaskDir& dir, Progress& progress, std::string checkpoint_record,
           Logger& log, std::function<void(const Status&)> on_state_fault);
  ~Reporter();  // stops the ticks and writes a last report
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // A step's change is written before the step goes on, not at the next
  // tick: scripts poll `sync status` for "done" and "running".
  void SetStep(const std::string& step, const std::string& state);

 private:
  void Loop();
  void Report();
  void WriteCheckpointCopy(const BinlogPosition& checkpoint);
  // A best-effort write that failed: logged, rate-limited, and the task goes on.
  void BestEffort(const Status& written, const std::string& what);
  std::string RunFile() const;
  // Per table: changes applied, ignored and filtered by tables[].dml.
  nlohmann::json DmlCountsJson() const;
  nlohmann::json StepsJson(int64_t now);
  // Adds each copying table's rate and ETA, and what schema migration did.
  void AddTableDetails(nlohmann::json& tables, int64_t now);
  // This process's CPU use since the last report, resident memory and threads.
  nlohmann::json WorkerResources();

  const WorkerContext& ctx_;
  state::TaskDir dir_;
  Progress& progress_;
  std::string checkpoint_record_;
  Logger& log_;
  std::function<void(const Status&)> on_state_fault_;
  bool state_fault_reported_ = false;
  int64_t started_;
  std::mutex mu_;
  std::mutex report_mu_;
  std::condition_variable cv_;
  bool done_ = false;
  struct Step {
    std::string state;
    int64_t started = 0, finished = 0;  // epoch seconds; finished 0 while it runs
  };
  std::map<std::string, Step> steps_;
  // Each table's copy as first seen copying (epoch seconds, rows then), for its rate.
  std::map<std::string, std::pair<int64_t, uint64_t>> copy_start_;
  // CPU seconds at the last report, for the worker's CPU use since.
  double last_cpu_seconds_ = -1;
  std::chrono::steady_clock::time_point last_cpu_time_;
  uint64_t last_events_ = 0;
  uint64_t checkpoint_version_ = 0;
  int64_t last_report_ = 0;
  double rate_ = 0;
  nlohmann::json base_ = nlohmann::json::object();
  std::thread thread_;
};

}  // namespace dbsync::pipeline
