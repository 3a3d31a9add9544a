#include "pipeline/async_applier.hpp"

namespace dbsync::pipeline {

AsyncApplier::AsyncApplier() : thread_([this] { Loop(); }) {}

AsyncApplier::~AsyncApplier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

Status AsyncApplier::Submit(Task task) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return queue_.empty() || !error_.ok(); });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(task));
  changed_.notify_all();
  return Status::Ok();
}

Status AsyncApplier::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return (queue_.empty() && !running_) || !error_.ok(); });
  // A failure ends the queue: wait for the running task before the caller
  // touches the sink again.
  changed_.wait(lock, [&] { return !running_; });
  return error_;
}

Status AsyncApplier::FirstError() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

bool AsyncApplier::Idle() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.empty() && !running_;
}

void AsyncApplier::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
    if (queue_.empty()) return;  // closing, and nothing left to run
    Task task = std::move(queue_.front());
    queue_.pop_front();
    if (!error_.ok()) continue;  // after a failure nothing more is applied
    running_ = true;
    lock.unlock();
    Status s = task();
    lock.lock();
    running_ = false;
    if (!s.ok() && error_.ok()) error_ = s;
    changed_.notify_all();
  }
}

}  // namespace dbsync::pipeline
