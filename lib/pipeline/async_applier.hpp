#pragma once
// Runs the sink's writes on a thread of their own, in submission order, so
// the binlog is read and decoded while the destination applies the previous
// batch: on two cores the two halves overlap instead of taking turns.
//
// At most one task waits behind the running one (memory stays bounded by two
// batches). The first failure is kept and every later task is dropped: the
// checkpoint of a failed batch is never written, so nothing after it may be.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/status.hpp"

namespace dbsync::pipeline {

class AsyncApplier {
 public:
  using Task = std::function<Status()>;

  AsyncApplier();
  ~AsyncApplier();  // waits for the submitted tasks
  AsyncApplier(const AsyncApplier&) = delete;
  AsyncApplier& operator=(const AsyncApplier&) = delete;

  // Queues `task`; blocks while another task is already waiting. Returns the
  // first failure of an earlier task instead of queueing, if there was one.
  Status Submit(Task task);
  // Waits until every submitted task ran; returns the first failure.
  Status Drain();
  // No task running or waiting: a batch submitted now is applied at once.
  bool Idle();
  // The first failure so far, without waiting (OK if none).
  Status FirstError();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Task> queue_;
  bool running_ = false;
  bool closing_ = false;
  Status error_;
  std::thread thread_;
};

}  // namespace dbsync::pipeline
