#pragma once
// Step 3, real-time synchronization: committed source transactions from the
// binlog, turned into row changes of the bound tables, applied in batches of
// whole transactions together with the checkpoint (Sink::ApplyBatch). A batch
// is flushed when it holds `batch_rows` rows, after `flush_ms`, when the
// applier thread is idle (eager_flush), before a DDL, and at stop. Batches are
// applied on a thread of their own (AsyncApplier) in order, while the next
// one is read.
//
// Changes already contained in a table's snapshot are skipped: a transaction
// that committed at or before the table's snapshot position.

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/logger.hpp"
#include "pipeline/progress.hpp"
#include "sink/sink.hpp"
#include "source/mysql/binlog_source.hpp"
#include "source/mysql/mysql_connection.hpp"

namespace dbsync::pipeline {

struct RealtimeOptions {
  mysql::Endpoint source;
  uint32_t server_id = 0;
  int batch_rows = 10000;
  int flush_ms = 1000;
  // Flush whenever the applier is idle instead of waiting for batch_rows or
  // flush_ms (destinations where a small write costs little, e.g. PostgreSQL).
  bool eager_flush = true;
  std::string task_id;
  std::string schema_file;  // where the tracked schemas are saved after each DDL
};

// Runs until `stop` is raised (returns OK after a final flush) or an error
// that needs a restart or a human.
Status RunRealtimeSync(const config::TaskSpec& spec, const std::vector<sink::TableBinding>& tables,
                       const BinlogPosition& start, const std::map<std::string, BinlogPosition>& snapshot_positions,
                       const RealtimeOptions& options, Logger& log, Progress& progress, const std::atomic<bool>& stop);

}  // namespace dbsync::pipeline
