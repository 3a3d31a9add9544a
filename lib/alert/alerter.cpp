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

// The longest a rule's delivery can take: every attempt of both channels
// timing out, and the waits between them.
std::chrono::milliseconds WorstCase(const config::AlertSpec& rule) {
  int waits = 0;
  for (int a = 0; a < rule.retries; ++a) waits += std::min(30, 1 << a);
  return std::chrono::seconds((rule.retries + 1) * rule.timeout_seconds * 2 + waits);
}

}  // namespace

Alerter::Alerter(std::vector<config::AlertSpec> rules, TaskIdentity task, Logger& log)
    : rules_(std::move(rules)), task_(std::move(task)), log_(log), sent_(rules_.size()) {
  if (!rules_.empty()) thread_ = StartedThread([this] { Loop(); });
}

Alerter::~Alerter() {
  if (!thread_.joinable()) return;
  std::chrono::milliseconds longest(0);
  for (const auto& r : rules_) longest = std::max(longest, WorstCase(r));
  Drain(longest);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
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
    queue_.push_back({i, Payload(event, task_, held.suppressed)});
    held.last_sent = now;
    held.suppressed = 0;
    sent.push_back(now);
  }
  cv_.notify_all();
}

void Alerter::Drain(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, limit, [this] { return queue_.empty() && !busy_; });
}

void Alerter::Loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
    }
    // This thread is the only one taking jobs: the queue still has this one.
    // Allocations (the job's copy and its freeing) are made under the gate
    // (core/fork_gate.hpp), always taken before mu_.
    std::optional<Job> job;
    {
      std::lock_guard<std::mutex> gate(ForkGate());
      std::lock_guard<std::mutex> lock(mu_);
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Deliver(*job);
    {
      std::lock_guard<std::mutex> gate(ForkGate());
      job.reset();
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
    }
    cv_.notify_all();
  }
}

bool Alerter::Attempts(const config::AlertSpec& rule, const std::string& kind, const std::string& channel,
                       const std::function<Status()>& attempt) {
  Status last;
  for (int a = 0; a <= rule.retries; ++a) {
    if (a > 0) std::this_thread::sleep_for(std::chrono::seconds(std::min(30, 1 << (a - 1))));
    std::lock_guard<std::mutex> gate(ForkGate());  // the supervisor forks its worker (core/fork_gate.hpp)
    last = attempt();
    if (last.ok()) {
      log_.Info("alert " + kind + " (alerts[] at line " + std::to_string(rule.line) + ") sent " + channel +
                (a > 0 ? " at attempt " + std::to_string(a + 1) : ""));
      return true;
    }
  }
  std::lock_guard<std::mutex> gate(ForkGate());
  log_.Error("alert " + kind + " (alerts[] at line " + std::to_string(rule.line) + ") not sent " + channel +
             " after " + std::to_string(rule.retries + 1) + " attempt(s): " + last.message());
  return false;
}

void Alerter::Deliver(const Job& job) {
  const config::AlertSpec& rule = rules_[job.rule];
  // Prepared under the gate (core/fork_gate.hpp); Attempts takes it for each attempt.
  std::unique_lock<std::mutex> gate(ForkGate());
  const std::string kind = job.payload.value("alert", "");
  const std::string payload = job.payload.dump();
  const std::vector<std::string> env = {"SYNC_ALERT=" + kind, "SYNC_ALERT_SEVERITY=" + job.payload.value("severity", ""),
                                        "SYNC_TASK=" + task_.id, "SYNC_TASK_NAME=" + task_.name};
  std::optional<std::string> url;
  std::string body;
  if (!rule.webhook.empty()) {
    auto resolved = config::ResolveSecret(rule.webhook);
    if (resolved.ok()) {
      url = *resolved;
      if (redacted_.insert(*url).second) log_.AddSecret(*url);
      body = WebhookBody(rule.webhook_format, job.payload);
    } else {
      log_.Error("alert " + kind + " (alerts[] at line " + std::to_string(rule.line) + ") not sent to its webhook: " +
                 resolved.status().message());
    }
  }
  gate.unlock();
  if (!rule.run.empty())
    Attempts(rule, kind, "by command", [&] { return RunCommand(rule.run, payload, env, rule.timeout_seconds); });
  if (url)
    Attempts(rule, kind, "to webhook " + UrlForDisplay(*url),
             [&] { return PostWebhook(*url, body, rule.timeout_seconds); });
  gate.lock();  // the locals are freed under it: `gate` was made first, so it goes last
}

}  // namespace dbsync::alert
