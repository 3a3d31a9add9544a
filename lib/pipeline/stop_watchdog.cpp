#include "pipeline/stop_watchdog.hpp"

#include <unistd.h>

namespace dbsync::pipeline {

StopWatchdog::StopWatchdog(const std::atomic<bool>& stop, std::chrono::milliseconds grace,
                           std::function<int()> before_exit)
    : stop_(stop), grace_(grace), before_exit_(std::move(before_exit)) {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    // A signal handler raises the flag: it cannot notify, so poll it.
    while (!done_ && !stop_.load()) cv_.wait_for(lock, std::chrono::milliseconds(20));
    if (done_) return;
    if (cv_.wait_for(lock, grace_, [this] { return done_; })) return;
    ::_exit(before_exit_ ? before_exit_() : 0);
  });
}

StopWatchdog::~StopWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace dbsync::pipeline
