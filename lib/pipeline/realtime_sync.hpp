#pragma once
// Step 3, real-time synchronization: committed source transactions from the
// binlog, turned into row changes of the bound tables, applied in batches of
// whole transactions together with the checkpoint (Sink::ApplyBatch). A batch
// is flushed when it holds `batch_rows` rows, after `flush_ms`, when the
// applier thread is idle (eager_flush), before a DDL, and at stop. Batches are
// applied on a thread of their own (AsyncApplier) in order, while the next
// one is read.
//
// Changes already applied to a table are skipped: a transaction that committed
// at or before the table's position in `skip_positions` (its snapshot
// position, or where it was applied up to while the checkpoint was held).
//
// `sync apply` (options.reload raised): removed tables stop at once. Added
// tables are migrated and copied by a BackgroundCopy while the others stream
// on; meanwhile the checkpoint stays where the copy began (S0) and each batch
// records the streaming tables' own positions instead (Sink::HoldCheckpoint),
// so a restart at any moment reads from S0 and skips what each table has.
// When the copy is done, the function returns with *restart set: the caller
// starts real-time sync again from the checkpoint S0, where the added tables
// pick up their changes after their snapshot and the others skip up to where
// they were (a short replay, not a pause for the whole copy). A reload that
// adds nothing, a second reload during a copy, and DDL during a copy also
// return with *restart (the caller then finishes an interrupted copy first).

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/logger.hpp"
#include "pipeline/full_init.hpp"
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
  std::string home;         // the state directory, to re-read the spec on reload
  FullInitOptions init;     // for tables added while running
  std::atomic<bool>* reload = nullptr;  // raised by `sync apply`; lowered here
};

// Runs until `stop` is raised (returns OK after a final flush) or an error
// that needs a restart or a human.
Status RunRealtimeSync(const config::TaskSpec& spec, const std::vector<sink::TableBinding>& tables,
                       const BinlogPosition& start, const std::map<std::string, BinlogPosition>& skip_positions,
                       const RealtimeOptions& options, Logger& log, Progress& progress, const std::atomic<bool>& stop,
                       bool* restart);

}  // namespace dbsync::pipeline
