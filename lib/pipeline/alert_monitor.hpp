#pragma once
// The supervisor's watch for alerts (alert/alerter.hpp sends them). Once a
// second it passes on the events the worker raised into the task's outbox
// (DDL, refused rows), and raises `delay` from the lag the worker reports in
// state.json and `heartbeat` from how long a running worker has not
// reported; the supervisor tells it of failovers and of the task's status.
//
// `status` events: failed and stopped when the supervisor ends, recovered
// when a worker started after a failover has been reporting (state.json,
// its pid) for kRecoveredSeconds.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "alert/alert_outbox.hpp"
#include "alert/alerter.hpp"
#include "config/task_spec.hpp"
#include "core/logger.hpp"

namespace dbsync::pipeline {

inline constexpr int kRecoveredSeconds = 10;

class AlertMonitor {
 public:
  // `state_file` and `outbox` are the task's (TaskDir).
  AlertMonitor(const config::TaskSpec& spec, alert::TaskIdentity task, Logger& log, std::string state_file,
               std::string outbox);
  // Stops watching, then sends what is queued within kFinalDelivery and
  // gives up the rest (Alerter::Finish): the supervisor, and with it
  // `sync stop`, waits no longer for a receiver that is down.
  ~AlertMonitor();
  AlertMonitor(const AlertMonitor&) = delete;
  AlertMonitor& operator=(const AlertMonitor&) = delete;

  void WorkerStarted(int pid, bool after_failover);
  void WorkerEnded();
  void Failover(const std::string& reason, int failovers_in_window);
  // The task ends: `status` failed or stopped.
  void Ended(const std::string& status, const std::string& message);

  static constexpr std::chrono::seconds kFinalDelivery = alert::kFinishGrace;

 private:
  void Loop();
  void Tick();

  alert::Alerter alerter_;
  std::string state_file_;
  alert::OutboxReader outbox_;
  bool watches_state_ = false;  // a delay or heartbeat rule
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool worker_running_ = false;
  bool pending_recovery_ = false;
  int worker_pid_ = 0;
  std::chrono::system_clock::time_point worker_started_;
  std::thread thread_;
};

}  // namespace dbsync::pipeline
