#pragma once
// The supervisor's metrics file: every kIntervalSeconds (and once more when
// it ends) it writes the task's metrics (ops/task_metrics.hpp) to
// <task dir>/metrics.prom and, when the spec names one, to
// runtime.metrics_file: a file node_exporter's textfile collector reads.
// Written atomically (a rename), as that collector requires. Best effort:
// a write that fails (a full disk) is logged at most once a minute and the
// task goes on; the next interval writes the file whole.

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/logger.hpp"

namespace dbsync::pipeline {

class MetricsFile {
 public:
  static constexpr int kIntervalSeconds = 5;
  MetricsFile(std::string home, std::string task_id, Logger& log);
  ~MetricsFile();  // writes a last time
  MetricsFile(const MetricsFile&) = delete;
  MetricsFile& operator=(const MetricsFile&) = delete;

 private:
  void Write();

  std::string home_, task_id_;
  Logger& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dbsync::pipeline
