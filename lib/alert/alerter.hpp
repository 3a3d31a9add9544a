#pragma once
// Sends alert events as the task's rules (alerts[] of the spec) say: each
// rule takes the events of its kind that pass its threshold (over_seconds
// for delay and heartbeat), and sends each through its command and/or its
// webhook on a thread of its own, retrying a failed attempt (1 s, 2 s, 4 s
// ... at most 30 s apart) up to `retries` times. Every alert sent, and every
// one given up, is a line in the task's log.
//
// So that a flapping task does not flood anyone: an alert with the same
// rule, kind and subject as one sent less than min_interval_seconds ago is
// not sent but counted, and the next one sent says how many were held back
// ("suppressed"); and a rule sends at most kMaxPerRulePerHour alerts an hour.

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

class Alerter {
 public:
  Alerter(std::vector<config::AlertSpec> rules, TaskIdentity task, Logger& log);
  // Sends what is queued (Drain with the longest time a rule may take), then stops.
  ~Alerter();
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  bool empty() const { return rules_.empty(); }
  // Offers `event` to every rule; returns at once.
  void Offer(const AlertEvent& event);
  // Waits until every queued alert is sent or given up, at most `limit`.
  void Drain(std::chrono::milliseconds limit);

 private:
  struct Job {
    size_t rule;
    nlohmann::json payload;
  };
  struct Held {  // by rule, kind and subject
    std::chrono::steady_clock::time_point last_sent;
    int suppressed = 0;
  };
  bool Passes(const config::AlertSpec& rule, const AlertEvent& event) const;
  void Loop();
  void Deliver(const Job& job);
  // One channel of a job with its retries; true when it got through.
  bool Attempts(const config::AlertSpec& rule, const std::string& kind, const std::string& channel,
                const std::function<Status()>& attempt);

  std::vector<config::AlertSpec> rules_;
  TaskIdentity task_;
  Logger& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::map<std::string, Held> held_;
  std::set<std::string> redacted_;  // webhook URLs the log already hides (delivery thread only)
  std::vector<std::deque<std::chrono::steady_clock::time_point>> sent_;  // by rule, within the last hour
  std::thread thread_;
};

}  // namespace dbsync::alert
