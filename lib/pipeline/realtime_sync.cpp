#include "pipeline/realtime_sync.hpp"

#include <chrono>
#include <set>

#include "pipeline/async_applier.hpp"
#include "pipeline/background_copy.hpp"
#include "pipeline/ddl_applier.hpp"
#include "pipeline/table_binding.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

class Batch {
 public:
  void Add(const sink::TableBinding* table, sink::RowChange change) {
    auto [it, inserted] = index_.try_emplace(table, changes_.size());
    if (inserted) changes_.push_back({table, {}});
    changes_[it->second].rows.push_back(std::move(change));
    ++rows_;
  }
  size_t rows() const { return rows_; }
  // Hands the changes over (to the applier thread) and empties the batch.
  std::shared_ptr<std::vector<sink::TableChanges>> Take() {
    auto taken = std::make_shared<std::vector<sink::TableChanges>>(std::move(changes_));
    changes_.clear();
    index_.clear();
    rows_ = 0;
    return taken;
  }

 private:
  std::vector<sink::TableChanges> changes_;
  std::map<const sink::TableBinding*, size_t> index_;
  size_t rows_ = 0;
};

}  // namespace

Status RunRealtimeSync(const config::TaskSpec& spec, const std::vector<sink::TableBinding>& tables,
                       const BinlogPosition& start, const std::map<std::string, BinlogPosition>& skip_positions,
                       const RealtimeOptions& options, Logger& log, Progress& progress, const std::atomic<bool>& stop,
                       bool* restart) {
  *restart = false;
  SYNC_ASSIGN_OR_RETURN(auto sink, sink::OpenSink(spec, options.task_id));
  SYNC_ASSIGN_OR_RETURN(auto meta, mysql::Connection::Connect(options.source));
  SYNC_ASSIGN_OR_RETURN(auto ddl, DdlApplier::Create(spec, meta, options.schema_file, log));
  Bindings by_name;
  for (const auto& t : tables) {
    auto b = std::make_unique<sink::TableBinding>(t);
    // The schema as of the checkpoint (saved after the last DDL) decodes the
    // rows that follow it; information_schema may already be further along.
    if (const TableSchema* tracked = ddl->Find(t.source.db, t.source.table)) b->source = *tracked;
    by_name[t.SourceName()] = std::move(b);
  }

  mysql::SourceOptions source_options;
  source_options.stream.server_id = options.server_id;
  source_options.stream.heartbeat_seconds = 1;
  source_options.stream.read_timeout_seconds = 10;
  source_options.on_reconnect = [&log](const std::string& m) { log.Warn(m); };
  SYNC_ASSIGN_OR_RETURN(auto source, mysql::BinlogSource::Open(options.source, source_options, start, false));
  // A transaction larger than a batch is applied in pieces inside one
  // destination transaction, so memory stays bounded by batch_rows.
  source->set_max_transaction_rows(size_t(options.batch_rows));
  source->SetTableMapEnricher(
      [&by_name](const binlog::TableMap& tm) -> Result<std::shared_ptr<const binlog::TableMap>> {
        auto it = by_name.find(tm.database + "." + tm.table);
        if (it == by_name.end()) return std::shared_ptr<const binlog::TableMap>();
        return mysql::EnrichTableMap(tm, it->second->source);
      });
  log.Info("real-time sync from " + start.ToString());
  {
    std::lock_guard<std::mutex> lock(progress.position_mu);  // durable already: the data up to it is
    progress.position = start.ToString();
    progress.checkpoint = start;
    ++progress.checkpoint_version;
  }

  Batch batch;
  BinlogPosition batch_position = start;
  bool position_moved = false;
  int64_t batch_commit_time = 0;
  auto last_flush = Clock::now();
  // Declared after the sink: destroyed (its tasks finished) before it.
  AsyncApplier applier;
  std::unique_ptr<BackgroundCopy> copy;  // tables added by `sync apply`, being copied
  bool piece_open = false;               // pieces of a large transaction sent, its commit not yet
  BinlogPosition held_at;
  auto flush = [&]() -> Status {
    if (batch.rows() == 0 && !position_moved) return Status::Ok();
    const size_t rows = batch.rows();
    SYNC_RETURN_IF_ERROR(applier.Submit([&sink, &progress, changes = batch.Take(), position = batch_position,
                                         commit_time = batch_commit_time, rows, held = copy != nullptr]() -> Status {
      SYNC_RETURN_IF_ERROR(sink->ApplyBatch(*changes, position));
      progress.rows_applied.fetch_add(rows);
      if (commit_time) progress.last_source_commit_time = commit_time;
      progress.last_apply_time = std::time(nullptr);
      std::lock_guard<std::mutex> lock(progress.position_mu);
      progress.position = position.ToString();
      if (!held) {  // a held checkpoint did not move
        progress.checkpoint = position;
        ++progress.checkpoint_version;
      }
      return Status::Ok();
    }));
    position_moved = false;
    last_flush = Clock::now();
    return Status::Ok();
  };
  // Everything submitted is applied (or the first failure is known); the sink
  // is then free for this thread (DDL) or the caller.
  auto flush_and_wait = [&]() -> Status {
    SYNC_RETURN_IF_ERROR(flush());
    return applier.Drain();
  };
  // `sync apply`: true when real-time sync must start again (see the header).
  auto apply_spec = [&]() -> Result<bool> {
    SYNC_RETURN_IF_ERROR(flush_and_wait());
    if (copy) return true;
    SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(options.home));
    SYNC_ASSIGN_OR_RETURN(auto task, store.Find(options.task_id));
    SYNC_ASSIGN_OR_RETURN(auto bound, BindTables(task.spec, meta));
    std::set<std::string> selected;
    std::vector<sink::TableBinding> added;
    for (const auto& b : bound) {
      selected.insert(b.SourceName());
      if (!by_name.count(b.SourceName())) added.push_back(b);
    }
    for (auto it = by_name.begin(); it != by_name.end();) {
      if (selected.count(it->first)) {
        ++it;
        continue;
      }
      log.Info("sync apply: " + it->first + " left the task; its changes are no longer applied");
      it = by_name.erase(it);
    }
    if (added.empty()) return true;  // other settings: they take effect when real-time sync starts again
    for (const auto& t : added) {
      SYNC_RETURN_IF_ERROR(sink->PrepareTable(t).WithContext("schema migration of " + t.SourceName()));
      log.Info("sync apply: schema migration: " + t.SourceName() + " -> " + t.dest_schema + "." + t.dest_table);
    }
    position_moved = true;  // the checkpoint S0 is written before it is held
    SYNC_RETURN_IF_ERROR(flush_and_wait());
    std::vector<std::string> streaming;
    for (const auto& [name, binding] : by_name) streaming.push_back(name);
    sink->HoldCheckpoint(streaming);
    held_at = batch_position;
    log.Info("sync apply: copying " + std::to_string(added.size()) + " added table(s) while " +
             std::to_string(streaming.size()) + " stream on; checkpoint held at " + held_at.ToString());
    FullInitOptions init = options.init;
    for (const auto& [name, binding] : by_name) init.other_destinations.push_back(binding->dest_schema + "." + binding->dest_table);
    copy = std::make_unique<BackgroundCopy>(task.spec, std::move(added), init, log, progress);
    return false;
  };

  while (!stop) {
    // Between transactions only: pieces of a large one commit together.
    if (!piece_open && options.reload && options.reload->exchange(false)) {
      SYNC_ASSIGN_OR_RETURN(bool again, apply_spec());
      if (again) break;
    }
    if (!piece_open && copy && copy->done()) {
      SYNC_RETURN_IF_ERROR(copy->status());
      log.Info("sync apply: the added tables are copied; real-time sync starts again from the held checkpoint " +
               held_at.ToString() + " to catch them up");
      break;
    }
    auto wait = std::chrono::milliseconds(options.flush_ms) -
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_flush);
    // Rows waiting for a busy applier: look again soon, so they leave as
    // soon as it is free even if the source stays quiet.
    if (options.eager_flush && batch.rows() > 0) wait = std::min(wait, std::chrono::milliseconds(10));
    auto next = source->Next(std::max(wait, std::chrono::milliseconds(batch.rows() > 0 ? 1 : 50)));
    if (!next.ok()) {
      Status flushed = flush_and_wait();  // keep what is complete before reporting the error
      if (!flushed.ok()) log.Error("flush before stopping failed: " + flushed.message());
      return next.status();
    }
    if (*next) {
      auto& txn = **next;
      if (txn.partial) SYNC_RETURN_IF_ERROR(flush());  // commit what precedes the big transaction first
      for (auto& event : txn.events) {
        if (auto* q = event.get_if<binlog::QueryEvent>()) {
          if (!txn.is_ddl) continue;  // statement-format DML of non-transactional engines: rows come as events
          // Rows before the DDL are applied with the old shape, rows after with the new.
          SYNC_RETURN_IF_ERROR(flush_and_wait());
          if (copy) {  // the held checkpoint must not move: finish the copy first, in order
            log.Info("sync apply: DDL while added tables are copied; finishing their copy before going on");
            *restart = true;
            return Status::Ok();
          }
          SYNC_RETURN_IF_ERROR(
              ddl->Apply(q->database, q->query, txn.commit_position, batch_position, by_name, *sink, meta));
          continue;
        }
        auto* rows = std::get_if<binlog::RowsEvent>(&event.body);
        if (!rows || !rows->table) continue;
        auto it = by_name.find(rows->table->database + "." + rows->table->table);
        if (it == by_name.end()) continue;
        auto snap = skip_positions.find(it->first);
        if (snap != skip_positions.end() && !snap->second.empty() &&
            txn.commit_position.Compare(snap->second) <= 0)
          continue;  // already in the snapshot
        if (!rows->full_image)
          return Status::FailedPrecondition("row event for " + it->first + " at " + txn.commit_position.ToString() +
                                            " lacks columns: binlog_row_image is not FULL on the source. Set "
                                            "binlog_row_image=FULL and re-run the full initialization of this table");
        for (auto& r : rows->rows) {
          sink::RowChange change;
          change.op = rows->kind == binlog::RowsKind::kInsert   ? sink::RowChange::Op::kInsert
                      : rows->kind == binlog::RowsKind::kUpdate ? sink::RowChange::Op::kUpdate
                                                                : sink::RowChange::Op::kDelete;
          change.before = std::move(r.before);
          change.after = std::move(r.after);
          batch.Add(it->second.get(), std::move(change));
        }
        progress.events_applied.fetch_add(1, std::memory_order_relaxed);
      }
      piece_open = txn.partial;
      if (txn.partial) {
        const size_t rows = batch.rows();
        SYNC_RETURN_IF_ERROR(applier.Submit([&sink, &progress, changes = batch.Take(), rows]() -> Status {
          SYNC_RETURN_IF_ERROR(sink->ApplyPartial(*changes));
          progress.rows_applied.fetch_add(rows);
          return Status::Ok();
        }));
        continue;  // the rest of the transaction, and its commit, follow
      }
      batch_position = txn.commit_position;
      batch_commit_time = txn.timestamp;
      position_moved = true;
    }
    bool due = Clock::now() - last_flush >= std::chrono::milliseconds(options.flush_ms);
    // Rows go out as soon as the applier is free: a lone transaction is not
    // held back for flush_ms, and under load batches grow while the previous
    // one is applied (group commit).
    bool eager = options.eager_flush && batch.rows() > 0 && applier.Idle();
    if (batch.rows() >= size_t(options.batch_rows) || eager || (due && (batch.rows() > 0 || position_moved)))
      SYNC_RETURN_IF_ERROR(flush());
    // A failed write is noticed while the source is quiet too, so the worker
    // restarts now rather than at the next transaction.
    if (due) SYNC_RETURN_IF_ERROR(applier.FirstError());
    if (due && batch.rows() == 0 && !position_moved && applier.Idle()) {
      last_flush = Clock::now();
      // Idle: the source is caught up as of its last heartbeat.
      progress.last_source_commit_time = std::time(nullptr);
    }
  }
  SYNC_RETURN_IF_ERROR(flush_and_wait());
  if (!stop) {
    *restart = true;
    return Status::Ok();
  }
  log.Info("real-time sync stopped at " + batch_position.ToString());
  return Status::Ok();
}

}  // namespace dbsync::pipeline
