#pragma once
// Step 3, real-time synchronization: committed source transactions from the
// binlog, turned into row changes of the bound tables, applied in batches of
// whole transactions together with the checkpoint (Sink::ApplyBatch). A batch
// is flushed when it holds `batch_rows` rows, after `flush_ms`, when the
// applier thread is idle (eager_flush), before a DDL, and at stop. Batches are
// applied on a thread of their own (AsyncApplier) in order, while the next
// one is read.
//
// Changes already applied to a table are skipped: a transaction committed at
// or before the table's applied-through position (catch_up.hpp).
//
// `sync apply` (options.reload raised) while running: when the stored spec
// differs only in its tables (config::ChangesOnlyTables), removed tables stop
// at once, and added tables are migrated and copied on a thread of their own
// (BackgroundCopy) while the others stream on; then they catch up as
// catch_up.hpp describes: a replay of the binlog since their snapshot, a short
// hiccup for the others instead of a pause as long as the copy. Tables whose
// copy was not done when the worker started are copied the same way. Any
// other change returns kRestart: the caller starts over with the new spec. A DDL statement on a table being copied waits for the copy to end
// (the other tables pause meanwhile), so that the replay decodes its rows with
// the schema they were copied with; other DDL is applied at once, and the
// replay skips it and the rows before it of the tables not catching up.

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/logger.hpp"
#include "pipeline/catch_up.hpp"
#include "pipeline/full_init.hpp"
#include "pipeline/progress.hpp"
#include "sink/registry.hpp"
#include "sink/sink.hpp"

namespace dbsync::pipeline {

struct RealtimeOptions {
  int batch_rows = 10000;
  // A batch is flushed (staged as a piece where piece_rows is set), and a
  // source transaction cut into pieces, at this many bytes of decoded rows too (Value::MemoryBytes): with 1 MB values or
  // 1,000 columns, batch_rows rows would be gigabytes. The worker holds up to
  // three batches (one built, one waiting, one applied), each at most
  // 2 x batch_bytes plus one rows event.
  size_t batch_bytes = size_t{16} << 20;
  int flush_ms = 1000;
  // Flush whenever the applier is idle instead of waiting for batch_rows or
  // flush_ms (destinations where a small write costs little, e.g. PostgreSQL).
  bool eager_flush = true;
  // With eager_flush: a batch waits this long after its first row for more,
  // so that a steady stream of small transactions is written in fewer, larger
  // destination transactions. realtime_bench, 6 writers: at 4,000 rows/s the
  // worker and PostgreSQL spent 90 us of CPU a row without it and 38 us with
  // 25 ms (lag p50 17 ms -> 33 ms); on two cores that CPU is the writers'.
  int linger_ms = 20;
  // Rows handed to the sink as a piece of the batch (ApplyPartial) while the
  // batch grows to batch_rows; 0: only transactions larger than batch_rows
  // are cut (sink::Traits::piece_rows).
  int piece_rows = 0;
  std::string task_id;
  std::string schema_file;  // where the tracked schemas are saved after each DDL
  std::string home;         // the state directory, to re-read the spec on reload
  FullInitOptions init;     // for tables copied while running; init.open_source and init.open_sink open the ends
  std::atomic<bool>* reload = nullptr;  // raised by `sync apply`; lowered here
  // The status reporter: the full_initialization step runs again while tables are copied.
  std::function<void(const std::string& step, const std::string& state)> set_step;
};

// Where real-time sync begins (the worker's plan).
struct RealtimeStart {
  BinlogPosition position;  // the binlog is read from here
  CatchUp catch_up;         // what each table has applied already
  // Bound tables whose full initialization is not done (schema migration is):
  // copied while the others stream on. Not in `tables`.
  std::vector<sink::TableBinding> to_copy;
};

enum class RealtimeEnd {
  kStopped,  // `stop` was raised; everything read is applied
  kRestart,  // `sync apply` changed more than the tables: start over with the stored spec
  kCompleted,  // sync_mode full_only: every table is copied; the task ends
};

// Runs until `stop` is raised, or the caller must start over (see above), or
// an error that needs a restart or a human. `spec` (and the specs applied
// while running, kept in here) must outlive the bindings' settings pointers.
Result<RealtimeEnd> RunRealtimeSync(const config::TaskSpec& spec, const std::vector<sink::TableBinding>& tables,
                                    RealtimeStart start, const RealtimeOptions& options, Logger& log,
                                    Progress& progress, const std::atomic<bool>& stop);

}  // namespace dbsync::pipeline
