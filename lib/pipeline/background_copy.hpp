#pragma once
// `sync apply` on a running task: the added tables' full initialization runs
// on a thread of its own while real-time sync goes on for the other tables.
// catch_up.hpp says how the added tables then catch up.

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "config/task_spec.hpp"
#include "core/binlog_position.hpp"
#include "core/logger.hpp"
#include "pipeline/full_init.hpp"
#include "pipeline/progress.hpp"
#include "sink/sink.hpp"

namespace dbsync::pipeline {

class BackgroundCopy {
 public:
  // Starts copying `tables` (already migrated: PrepareTable done).
  BackgroundCopy(config::TaskSpec spec, std::vector<sink::TableBinding> tables, FullInitOptions options, Logger& log,
                 Progress& progress);
  ~BackgroundCopy();  // stops the copy (it resumes at the next start) and waits
  BackgroundCopy(const BackgroundCopy&) = delete;
  BackgroundCopy& operator=(const BackgroundCopy&) = delete;

  bool done() const { return done_; }
  // After done(): OK, or why the copy failed.
  const Status& status() const { return status_; }
  // After done() with OK: each table's snapshot position (RunFullInitialization).
  const std::map<std::string, BinlogPosition>& positions() const { return positions_; }
  const std::vector<sink::TableBinding>& tables() const { return tables_; }

 private:
  config::TaskSpec spec_;
  std::vector<sink::TableBinding> tables_;
  FullInitOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  Status status_;
  std::map<std::string, BinlogPosition> positions_;
  std::thread thread_;
};

}  // namespace dbsync::pipeline
