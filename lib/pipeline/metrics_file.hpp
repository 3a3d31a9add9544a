#pragma once
// The supervisor's metrics file: every kIntervalSeconds (and once more when
// it ends) it writes the task's metrics (ops/task_metrics.hpp) to
// <task dir>/metrics.prom and, when the spec names one, to
// runtime.metrics_file: a file node_exporter's textfile collector reads.
// Written atomically (a rename), as that collector requires.

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace dbsync::pipeline {

class MetricsFile {
 public:
  static constexpr int kIntervalSeconds = 5;
  MetricsFile(std::string home, std::string task_id);
  ~MetricsFile();  // writes a last time
  MetricsFile(const MetricsFile&) = delete;
  MetricsFile& operator=(const MetricsFile&) = delete;

 private:
  void Write();

  std::string home_, task_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dbsync::pipeline
