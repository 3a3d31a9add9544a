#pragma once
// A stop that never waits on a server that does not answer.
//
// Once `stop` is raised the worker has `grace` to end by itself, which it
// normally does: it writes its batch with the checkpoint and returns. If it
// is still busy then (a connect to a host that drops packets, a statement on
// a destination that stalled), the watchdog calls `before_exit` and ends the
// process with the status it returns: 0 is what the supervisor takes for a
// clean stop. Safe
// by the exactly-once design: what the worker had not committed is replayed
// from the destination's checkpoint at the next start, exactly as after a
// SIGKILL. Only for the forked worker process: it ends the whole process.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace dbsync::pipeline {

class StopWatchdog {
 public:
  StopWatchdog(const std::atomic<bool>& stop, std::chrono::milliseconds grace, std::function<int()> before_exit);
  ~StopWatchdog();  // the worker ended in time: the watchdog goes quietly
  StopWatchdog(const StopWatchdog&) = delete;
  StopWatchdog& operator=(const StopWatchdog&) = delete;

 private:
  const std::atomic<bool>& stop_;
  std::chrono::milliseconds grace_;
  std::function<int()> before_exit_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace dbsync::pipeline
