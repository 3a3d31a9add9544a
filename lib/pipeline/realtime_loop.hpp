#pragma once
// The real-time loop of realtime_sync.hpp as a class: one object per run of
// real-time sync, its state in members and each step a method. One turn of
// Run() is: apply a reloaded spec (ApplySpec), finish a background copy
// (FinishCopy), Read a transaction, Route its events (row changes into the
// Batch, DDL to ApplyDdl), and Flush when the batch is due. Batches go to the
// sink on the AsyncApplier's thread; everything else runs on the caller's.
//
// Not thread-safe; the caller's thread owns it.

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "change/change_event.hpp"
#include "pipeline/async_applier.hpp"
#include "pipeline/background_copy.hpp"
#include "pipeline/ddl_applier.hpp"
#include "pipeline/realtime_sync.hpp"

namespace dbsync::pipeline {

// The row changes read since the last flush, grouped by table in first-seen order.
class Batch {
 public:
  void Add(const sink::TableBinding* table, sink::RowChange change);
  size_t rows() const { return rows_; }
  size_t bytes() const { return bytes_; }  // of the rows' values (Value::MemoryBytes)
  // Hands the changes over (to the applier thread) and empties the batch.
  std::shared_ptr<std::vector<sink::TableChanges>> Take();

 private:
  std::vector<sink::TableChanges> changes_;
  std::map<const sink::TableBinding*, size_t> index_;
  size_t rows_ = 0;
  size_t bytes_ = 0;
};

class RealtimeLoop {
 public:
  RealtimeLoop(const config::TaskSpec& spec, RealtimeStart start, const RealtimeOptions& options, Logger& log,
               Progress& progress, const std::atomic<bool>& stop);
  ~RealtimeLoop();  // the applier finishes before the sink goes

  // Connects to the source and the destination and binds `tables`.
  Status Open(const std::vector<sink::TableBinding>& tables);
  Result<RealtimeEnd> Run();

 private:
  using Clock = std::chrono::steady_clock;
  enum class Turn { kContinue, kRestart, kStop };

  Status OpenStream(const BinlogPosition& from);
  Result<Turn> Step();
  // Reads the next transaction, waiting at most until a flush is due.
  Result<std::optional<change::Transaction>> Read();
  Result<Turn> Route(change::Transaction& txn);
  Status RouteRows(change::RowsEvent& rows, const change::Transaction& txn);
  Status ApplyDdl(const change::StatementEvent& statement, const change::Transaction& txn);
  // DML in statement format on a synchronized table: its rows are missing, said once per table and run.
  void WarnStatementDml(const change::StatementEvent& statement, const change::Transaction& txn);
  // A DDL on a table being copied waits for the copy; true when the binlog is
  // read again from an earlier position (the DDL comes again).
  Result<bool> WaitForCopyIfConcerned(const change::Transaction& txn, bool* stopped);
  Status SubmitPiece();
  Status FlushIfDue();
  Status Flush();
  Status FlushAndWait();
  Status StartCopy(std::vector<sink::TableBinding> to_copy);
  Result<bool> FinishCopy();
  Result<bool> ApplySpec();

  const config::TaskSpec* spec_;
  std::vector<std::unique_ptr<config::TaskSpec>> applied_specs_;  // bindings point into them (settings)
  RealtimeStart start_;
  const RealtimeOptions& options_;
  Logger& log_;
  Progress& progress_;
  bool history_switched_ = false;  // the stream resumed by GTID on another server's binlog
  const std::atomic<bool>& stop_;

  std::unique_ptr<sink::Sink> sink_;
  std::unique_ptr<source::Source> source_;  // the source's catalog, for DDL and `sync apply`
  std::unique_ptr<DdlApplier> ddl_;
  Bindings by_name_;
  CatchUp catch_up_;
  std::unique_ptr<change::ChangeStream> stream_;

  Batch batch_;
  BinlogPosition batch_position_;
  bool position_moved_ = false;
  int64_t batch_commit_time_ = 0;
  Clock::time_point batch_started_;  // when the batch's first row came
  Clock::time_point last_flush_ = Clock::now();
  bool piece_open_ = false;  // pieces of a large transaction sent, its commit not yet
  size_t staged_rows_ = 0;   // rows of the batch sent as pieces (options_.piece_rows), not yet committed
  // Declared after the sink: destroyed (its tasks finished) before it.
  AsyncApplier applier_;
  std::unique_ptr<BackgroundCopy> copy_;  // tables being copied while the others stream
  std::set<std::string> copying_;         // their names
  std::set<std::string> statement_dml_warned_;  // tables (or "" for a statement naming several)
};

}  // namespace dbsync::pipeline
