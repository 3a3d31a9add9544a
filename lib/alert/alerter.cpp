#include "alert/alerter.hpp"

#include <functional>
#include <optional>

#include "alert/alert_delivery.hpp"
#include "config/secret.hpp"
#include "core/fork_gate.hpp"

namespace dbsync::alert {
namespace {

using Clock = std::chrono::steady_clock;

int Threshold(const config::AlertSpec& rule) {
  if (rule.over_seconds > 0) return rule.over_seconds;
  if (rule.on == "delay") return config::kDefaultDelaySeconds;
  if (rule.on == "heartbeat") return config::kDefaultHeartbeatSeconds;
  return 0;
}

}  // namespace

Alerter::Alerter(std::vector<config::AlertSpec> rules, TaskIdentity task, Logger& log)
    : rules_(std::move(rules)), task_(std::move(task)), log_(log), lanes_(rules_.size()), sent_(rules_.size()) {
  for (size_t i = 0; i < lanes_.size(); ++i) lanes_[i].thread = StartedThread([this, i] { Loop(i); });
}

Alerter::~Alerter() {
  if (!finished_) Finish(kFinishGrace);
}

bool Alerter::Passes(const config::AlertSpec& rule, const AlertEvent& event) const {
  if (rule.on != event.kind) return false;
  if (event.kind == "delay") return event.details.value("lag_seconds", int64_t{0}) > Threshold(rule);
  if (event.kind == "heartbeat") return event.details.value("silent_seconds", int64_t{0}) > Threshold(rule);
  return true;
}

void Alerter::Offer(const AlertEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  for (size_t i = 0; i < rules_.size(); ++i) {
    const config::AlertSpec& rule = rules_[i];
    if (!Passes(rule, event)) continue;
    Held& held = held_[std::to_string(i) + "\x1f" + event.kind + "\x1f" + event.subject];
    const bool seen = held.last_sent != Clock::time_point{};
    auto& sent = sent_[i];
    while (!sent.empty() && now - sent.front() > std::chrono::hours(1)) sent.pop_front();
    if ((seen && now - held.last_sent < std::chrono::seconds(rule.min_interval_seconds)) ||
        int(sent.size()) >= kMaxPerRulePerHour) {
      ++held.suppressed;
      continue;
    }
    if (finished_) {
      log_.Error("alert " + event.kind + " (alerts[] at line " + std::to_string(rule.line) +
                 ") not sent: the task had ended");
      continue;
    }
    lanes_[i].jobs.push_back(Payload(event, task_, held.suppressed));
    held.last_sent = now;
    held.suppressed = 0;
    sent.push_back(now);
  }
  cv_.notify_all();
}

bool Alerter::Idle() const {
  for (const auto& lane : lanes_)
    if (lane.busy || !lane.jobs.empty()) return false;
  return true;
}

void Alerter::Drain(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, limit, [this] { return Idle(); });
}

void Alerter::Finish(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finish_by_ = Clock::now() + grace;
  }
  cv_.notify_all();  // a retry due after finish_by_ gives up now
  Drain(grace);
  abandon_ = true;  // the attempts still running are ended (their children killed)
  Drain(std::chrono::seconds(2));
  {
    std::lock_guard<std::mutex> gate(ForkGate());
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < lanes_.size(); ++i) {
      for (const auto& job : lanes_[i].jobs)
        log_.Error("alert " + job.value("alert", "") + " (alerts[] at line " + std::to_string(rules_[i].line) +
                   ") not sent: the task ended before its turn came");
      lanes_[i].jobs.clear();
    }
    finished_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& lane : lanes_)
    if (lane.thread.joinable()) lane.thread.join();
}

void Alerter::Loop(size_t rule) {
  Lane& lane = lanes_[rule];
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !lane.jobs.empty(); });
      if (lane.jobs.empty()) return;  // stopping, nothing left
    }
    // This thread is the only one taking this lane's jobs: the queue still
    // has this one. Allocations (the job's copy and its freeing) are made
    // under the gate (core/fork_gate.hpp), always taken before mu_.
    std::optional<nlohmann::json> job;
    {
      std::lock_guard<std::mutex> gate(ForkGate());
      std::lock_guard<std::mutex> lock(mu_);
      job = std::move(lane.jobs.front());
      lane.jobs.pop_front();
      lane.busy = true;
    }
    Deliver(rule, *job);
    {
      std::lock_guard<std::mutex> gate(ForkGate());
      job.reset();
      std::lock_guard<std::mutex> lock(mu_);
      lane.busy = false;
    }
    cv_.notify_all();
  }
}

bool Alerter::WaitToRetry(std::chrono::seconds backoff) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto due = Clock::now() + backoff;
  cv_.wait_until(lock, due, [&] { return abandon_ || due > finish_by_; });
  return !abandon_ && due <= finish_by_;
}

bool Alerter::Attempts(const config::AlertSpec& rule, const std::string& kind, const std::string& channel,
                       const std::function<Status()>& attempt) {
  Status last;
  int made = 0;
  for (int a = 0; a <= rule.retries; ++a) {
    if (a > 0 && !WaitToRetry(std::chrono::seconds(std::min(30, 1 << (a - 1))))) break;
    last = attempt();  // takes the fork gate only to start its child and to read what it did
    ++made;
    std::lock_guard<std::mutex> gate(ForkGate());  // the supervisor forks its worker (core/fork_gate.hpp)
    if (last.ok()) {
      log_.Info("alert " + kind + " (alerts[] at line " + std::to_string(rule.line) + ") sent " + channel +
                (a > 0 ? " at attempt " + std::to_string(a + 1) : ""));
      return true;
    }
  }
  std::lock_guard<std::mutex> gate(ForkGate());
  log_.Error("alert " + kind + " (alerts[] at line " + std::to_string(rule.line) + ") not sent " + channel +
             " after " + std::to_string(made) + " attempt(s): " + last.message() +
             (made <= rule.retries && last.code() != StatusCode::kCancelled ? " (the task ended before a retry)" : ""));
  return false;
}

void Alerter::Deliver(size_t rule_index, const nlohmann::json& job) {
  const config::AlertSpec& rule = rules_[rule_index];
  // Prepared under the gate (core/fork_gate.hpp); Attempts takes it for each attempt.
  std::unique_lock<std::mutex> gate(ForkGate());
  const std::string kind = job.value("alert", "");
  const std::string payload = job.dump();
  const std::vector<std::string> env = {"SYNC_ALERT=" + kind, "SYNC_ALERT_SEVERITY=" + job.value("severity", ""),
                                        "SYNC_TASK=" + task_.id, "SYNC_TASK_NAME=" + task_.name};
  std::optional<std::string> url;
  std::string body;
  if (!rule.webhook.empty()) {
    auto resolved = config::ResolveSecret(rule.webhook);
    if (resolved.ok()) {
      url = *resolved;
      std::lock_guard<std::mutex> lock(mu_);
      if (redacted_.insert(*url).second) log_.AddSecret(*url);
      body = WebhookBody(rule.webhook_format, job);
    } else {
      log_.Error("alert " + kind + " (alerts[] at line " + std::to_string(rule.line) + ") not sent to its webhook: " +
                 resolved.status().message());
    }
  }
  gate.unlock();
  if (!rule.run.empty())
    Attempts(rule, kind, "by command",
             [&] { return RunCommand(rule.run, payload, env, rule.timeout_seconds, &abandon_); });
  if (url)
    Attempts(rule, kind, "to webhook " + UrlForDisplay(*url),
             [&] { return PostWebhook(*url, body, rule.timeout_seconds, &abandon_); });
  gate.lock();  // the locals are freed under it: `gate` was made first, so it goes last
}

}  // namespace dbsync::alert
