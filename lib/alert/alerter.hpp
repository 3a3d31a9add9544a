#pragma once
// Sends alert events as the task's rules (alerts[] of the spec) say: each
// rule takes the events of its kind that pass its threshold (over_seconds
// for delay and heartbeat), and sends each through its command and/or its
// webhook, retrying a failed attempt (1 s, 2 s, 4 s ... at most 30 s apart)
// up to `retries` times. Each rule sends on a thread of its own, so a
// receiver that hangs delays only its own rule's alerts. Every alert sent,
// and every one given up, is a line in the task's log.
//
// When the task ends, Finish gives what is queued a bounded time: a receiver
// that is down must not keep `sync stop` waiting for its retries.
//
// So that a flapping task does not flood anyone: an alert with the same
// rule, kind and subject as one sent less than min_interval_seconds ago is
// not sent but counted, and the next one sent says how many were held back
// ("suppressed"); and a rule sends at most kMaxPerRulePerHour alerts an hour.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alert/alert_event.hpp"
#include "config/task_spec.hpp"
#include "core/logger.hpp"
#include "core/status.hpp"

namespace dbsync::alert {

inline constexpr int kMaxPerRulePerHour = 60;
inline constexpr std::chrono::seconds kFinishGrace{5};

class Alerter {
 public:
  Alerter(std::vector<config::AlertSpec> rules, TaskIdentity task, Logger& log);
  // Finish(kFinishGrace) unless Finish was called.
  ~Alerter();
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  bool empty() const { return rules_.empty(); }
  // Offers `event` to every rule; returns at once.
  void Offer(const AlertEvent& event);
  // Waits until every queued alert is sent or given up, at most `limit`.
  void Drain(std::chrono::milliseconds limit);
  // Sends what is queued within `grace` (retries only while they fit in
  // it), then stops the attempts still running and gives up what is left,
  // each with a log line. Nothing is sent after it.
  void Finish(std::chrono::milliseconds grace);

 private:
  struct Lane {  // one rule's queue and the thread that sends it
    std::deque<nlohmann::json> jobs;
    bool busy = false;
    std::thread thread;
  };
  struct Held {  // by rule, kind and subject
    std::chrono::steady_clock::time_point last_sent;
    int suppressed = 0;
  };
  bool Passes(const config::AlertSpec& rule, const AlertEvent& event) const;
  void Loop(size_t rule);
  void Deliver(size_t rule, const nlohmann::json& payload);
  bool Idle() const;  // under mu_
  // Sleeps before a retry; false when the task ends before it is due.
  bool WaitToRetry(std::chrono::seconds backoff);
  // One channel of a job with its retries; true when it got through.
  bool Attempts(const config::AlertSpec& rule, const std::string& kind, const std::string& channel,
                const std::function<Status()>& attempt);

  std::vector<config::AlertSpec> rules_;
  TaskIdentity task_;
  Logger& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Lane> lanes_;  // by rule
  bool stopping_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point finish_by_ = std::chrono::steady_clock::time_point::max();
  std::atomic<bool> abandon_{false};  // ends the attempts still running (Finish)
  std::map<std::string, Held> held_;
  std::set<std::string> redacted_;  // webhook URLs the log already hides (under mu_)
  std::vector<std::deque<std::chrono::steady_clock::time_point>> sent_;  // by rule, within the last hour
};

}  // namespace dbsync::alert
