#include "pipeline/metrics_file.hpp"

#include <ctime>

#include "core/atomic_file.hpp"
#include "core/fork_gate.hpp"
#include "ops/task_metrics.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {

MetricsFile::MetricsFile(std::string home, std::string task_id, Logger& log)
    : home_(std::move(home)), task_id_(std::move(task_id)), log_(log) {
  thread_ = StartedThread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      Write();
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(kIntervalSeconds), [this] { return stopping_; });
    }
  });
}

MetricsFile::~MetricsFile() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Write();
}

void MetricsFile::Write() {
  std::lock_guard<std::mutex> gate(ForkGate());
  auto store = state::TaskStore::Open(home_);
  if (!store.ok()) return;
  auto task = store->Find(task_id_);
  if (!task.ok()) return;
  const std::string text = ops::RenderMetrics({*task}, std::time(nullptr));
  auto best_effort = [&](const Status& written) {
    if (!written.ok())
      log_.WarnRateLimited("metrics", "cannot write the task's metrics, the task goes on: " + written.message());
  };
  best_effort(WriteFileAtomically(task->dir.MetricsFile(), text));
  // Metrics hold no secret; a collector running as another user reads them.
  if (!task->spec.runtime.metrics_file.empty())
    best_effort(WriteFileAtomically(task->spec.runtime.metrics_file, text, 0644));
}

}  // namespace dbsync::pipeline
