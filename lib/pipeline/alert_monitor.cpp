#include "pipeline/alert_monitor.hpp"

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/fork_gate.hpp"

namespace dbsync::pipeline {
namespace {

int64_t EpochSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

AlertMonitor::AlertMonitor(const config::TaskSpec& spec, alert::TaskIdentity task, Logger& log, std::string state_file,
                           std::string outbox)
    : alerter_(spec.alerts, std::move(task), log), state_file_(std::move(state_file)), outbox_(std::move(outbox)) {
  for (const auto& rule : spec.alerts) watches_state_ = watches_state_ || rule.on == "delay" || rule.on == "heartbeat";
  if (!alerter_.empty()) thread_ = StartedThread([this] { Loop(); });
}

AlertMonitor::~AlertMonitor() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    Tick();  // what the worker raised last
  }
  alerter_.Finish(kFinalDelivery);
}

void AlertMonitor::WorkerStarted(int pid, bool after_failover) {
  std::lock_guard<std::mutex> lock(mu_);
  worker_running_ = true;
  worker_pid_ = pid;
  worker_started_ = std::chrono::system_clock::now();
  pending_recovery_ = pending_recovery_ || after_failover;
}

void AlertMonitor::WorkerEnded() {
  std::lock_guard<std::mutex> lock(mu_);
  worker_running_ = false;
}

void AlertMonitor::Failover(const std::string& reason, int failovers_in_window) {
  alerter_.Offer({"failover", "warning",
                  "the worker " + reason + "; it is restarted (failover " + std::to_string(failovers_in_window) +
                      " within runtime.failover.window_minutes)",
                  "", {{"reason", reason}, {"failovers_in_window", failovers_in_window}}});
}

void AlertMonitor::Ended(const std::string& status, const std::string& message) {
  alerter_.Offer({"status", status == "failed" ? "critical" : "info", message, status, {{"status", status}}});
}

void AlertMonitor::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    lock.unlock();
    Tick();
    lock.lock();
  }
}

void AlertMonitor::Tick() {
  std::lock_guard<std::mutex> gate(ForkGate());
  for (auto& event : outbox_.ReadNew()) alerter_.Offer(event);
  const auto now = std::chrono::system_clock::now();
  bool running, awaiting_recovery;
  int64_t started;
  int pid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running = worker_running_;
    started = EpochSeconds(worker_started_);
    awaiting_recovery = pending_recovery_;
    pid = worker_pid_;
  }
  if (!running || (!watches_state_ && !awaiting_recovery)) return;
  auto text = ReadFile(state_file_);
  if (!text.ok()) return;
  auto state = nlohmann::json::parse(*text, nullptr, false);
  if (!state.is_object()) return;
  const auto worker = state.value("worker", nlohmann::json::object());
  const bool ours = worker.value("pid", 0) == pid;
  // A worker of this supervisor that has not reported (its own, or since it started).
  const int64_t heartbeat = ours ? std::max(worker.value("heartbeat", int64_t{0}), started) : started;
  const int64_t silent = EpochSeconds(now) - heartbeat;
  if (awaiting_recovery && ours && silent < 3 && heartbeat - started >= kRecoveredSeconds) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_recovery_ = false;
    }
    alerter_.Offer({"status", "info", "the task recovered: the worker restarted after a failover has run for " +
                                          std::to_string(heartbeat - started) + " s", "recovered",
                    {{"status", "recovered"}, {"pid", pid}}});
  }
  if (!watches_state_) return;
  if (silent > 0)
    alerter_.Offer({"heartbeat", "critical", "the worker has not reported for " + std::to_string(silent) + " s", "",
                    {{"silent_seconds", silent}, {"pid", pid}}});
  // The lag, while real-time sync runs.
  const auto realtime = state.value("steps", nlohmann::json::object()).value("realtime_sync", nlohmann::json::object());
  const int64_t lag = realtime.value("lag_seconds", int64_t{-1});
  if (ours && realtime.value("state", "") == "running" && lag > 0)
    alerter_.Offer({"delay", "warning", "the destination is " + std::to_string(lag) + " s behind the source", "",
                    {{"lag_seconds", lag}, {"position", realtime.value("position", "")}}});
}

}  // namespace dbsync::pipeline
