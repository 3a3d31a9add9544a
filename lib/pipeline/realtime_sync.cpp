#include "pipeline/realtime_sync.hpp"

#include <chrono>
#include <set>
#include <thread>

#include "pipeline/async_applier.hpp"
#include "pipeline/background_copy.hpp"
#include "pipeline/ddl_applier.hpp"
#include "core/text_util.hpp"
#include "pipeline/table_binding.hpp"
#include "source/mysql/ddl_parser.hpp"
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

// Whether a DDL statement may change a table being copied (or it cannot be
// told): such a DDL waits for the copy, whose replay must decode that table's
// rows with the schema they were written with. Any other DDL is applied at
// once; the replay after the copy skips it (see the TABLE_MAP enricher).
bool DdlConcernsCopy(const mysql::SourceTransaction& txn, const std::vector<sink::TableBinding>& copying) {
  auto same = [](const std::string& a, const std::string& b) { return ToLower(a) == ToLower(b); };
  for (const auto& event : txn.events) {
    const auto* q = event.get_if<binlog::QueryEvent>();
    if (!q || !(txn.is_ddl || mysql::IsDdlStatement(q->query))) continue;
    std::vector<mysql::DdlTableName> touched;
    auto parsed = mysql::ParseDdl(q->database, q->query, &touched);
    if (!parsed.ok() && touched.empty()) return true;
    for (const auto& t : copying) {
      if (parsed.ok() && parsed->kind == mysql::DdlKind::kDropDatabase && same(parsed->database, t.source.db)) return true;
      for (const auto& name : touched)
        if (same(name.db, t.source.db) && same(name.table, t.source.table)) return true;
    }
  }
  return false;
}

}  // namespace

Status RunRealtimeSync(const config::TaskSpec& first_spec, const std::vector<sink::TableBinding>& tables,
                       RealtimeStart begin, const RealtimeOptions& options, Logger& log, Progress& progress,
                       const std::atomic<bool>& stop, bool* restart) {
  *restart = false;
  // Specs applied while running: bindings point into them (settings).
  std::vector<std::unique_ptr<config::TaskSpec>> applied_specs;
  const config::TaskSpec* spec = &first_spec;
  SYNC_ASSIGN_OR_RETURN(auto sink, sink::OpenSink(*spec, options.task_id));
  SYNC_ASSIGN_OR_RETURN(auto meta, mysql::Connection::Connect(options.source));
  SYNC_ASSIGN_OR_RETURN(auto ddl, DdlApplier::Create(*spec, meta, options.schema_file, log, progress));
  Bindings by_name;
  for (const auto& t : tables) by_name[t.SourceName()] = std::make_unique<sink::TableBinding>(t);
  ddl->Reconcile(by_name);
  CatchUp catch_up = std::move(begin.catch_up);
  {
    std::set<std::string> to_copy_names;
    for (const auto& t : begin.to_copy) to_copy_names.insert(t.SourceName());
    for (auto& t : ddl->UnboundSelected(by_name, to_copy_names)) {
      SYNC_RETURN_IF_ERROR(sink->PrepareTable(t).WithContext("schema migration of " + t.SourceName()));
      log.Info(t.SourceName() + " appeared while the task started (created or renamed after its tables were listed): it is copied "
               "while the others stream on");
      begin.to_copy.push_back(std::move(t));
    }
  }

  std::unique_ptr<mysql::BinlogSource> source;
  auto open_source = [&](const BinlogPosition& from) -> Status {
    source.reset();  // one stream per server_id
    mysql::SourceOptions source_options;
    source_options.stream.server_id = options.server_id;
    source_options.stream.heartbeat_seconds = 1;
    source_options.stream.read_timeout_seconds = 10;
    source_options.on_reconnect = [&log](const std::string& m) { log.Warn(m); };
    SYNC_ASSIGN_OR_RETURN(source, mysql::BinlogSource::Open(options.source, source_options, from, false));
    // A transaction larger than a batch is applied in pieces inside one
    // destination transaction, so memory stays bounded by batch_rows.
    source->set_max_transaction_rows(size_t(options.batch_rows));
    source->SetTableMapEnricher([&by_name, &catch_up](const binlog::TableMap& tm, const BinlogPosition& at)
                                    -> Result<std::shared_ptr<const binlog::TableMap>> {
      const std::string name = tm.database + "." + tm.table;
      auto it = by_name.find(name);
      if (it == by_name.end()) return std::shared_ptr<const binlog::TableMap>();
      // A replay for tables catching up: the others' rows before the held
      // checkpoint are applied already and will be skipped, and a DDL applied
      // during the copy may have changed their schema since. They decode
      // with the binlog's own metadata.
      if (!catch_up.until().empty() && !catch_up.catching().count(name) && at.Compare(catch_up.until()) < 0)
        return std::shared_ptr<const binlog::TableMap>();
      return mysql::EnrichTableMap(tm, it->second->source);
    });
    return Status::Ok();
  };
  SYNC_RETURN_IF_ERROR(open_source(begin.position));
  if (catch_up.until().empty()) {
    log.Info("real-time sync from " + begin.position.ToString());
  } else {
    log.Info("real-time sync from " + begin.position.ToString() + "; " + std::to_string(catch_up.catching().size()) +
             " table(s) catch up to the checkpoint " + catch_up.until().ToString());
    for (const auto& name : catch_up.catching()) progress.Table(name)->state = TableState::kCatchingUp;
  }
  {
    std::lock_guard<std::mutex> lock(progress.position_mu);  // durable already: the data up to it is
    progress.position = begin.position.ToString();
    progress.checkpoint = Later(begin.position, catch_up.until());
    ++progress.checkpoint_version;
  }

  Batch batch;
  BinlogPosition batch_position = begin.position;
  bool position_moved = false;
  int64_t batch_commit_time = 0;
  auto last_flush = Clock::now();
  // Declared after the sink: destroyed (its tasks finished) before it.
  AsyncApplier applier;
  std::unique_ptr<BackgroundCopy> copy;  // tables being copied while the others stream
  std::set<std::string> copying;         // their names
  bool piece_open = false;               // pieces of a large transaction sent, its commit not yet
  auto flush = [&]() -> Status {
    if (batch.rows() == 0 && !position_moved) return Status::Ok();
    const size_t rows = batch.rows();
    const std::set<std::string> catching = catch_up.catching();
    sink::TablePositions positions = catch_up.ForBatch(batch_position);
    std::vector<std::string> caught_up;
    if (catch_up.until().empty() && !catching.empty()) {
      caught_up.assign(catching.begin(), catching.end());
      log.Info("sync apply: caught up at " + batch_position.ToString() + ": " + Join(caught_up, ", "));
    }
    SYNC_RETURN_IF_ERROR(applier.Submit([&sink, &progress, changes = batch.Take(), position = batch_position,
                                         commit_time = batch_commit_time, rows, positions = std::move(positions),
                                         caught_up = std::move(caught_up)]() -> Status {
      SYNC_RETURN_IF_ERROR(sink->ApplyBatch(*changes, position, positions));
      progress.rows_applied.fetch_add(rows);
      if (commit_time) progress.last_source_commit_time = commit_time;
      progress.last_apply_time = std::time(nullptr);
      for (const auto& name : caught_up) progress.Table(name)->state = TableState::kDone;
      std::lock_guard<std::mutex> lock(progress.position_mu);
      progress.position = position.ToString();
      if (!positions.hold_checkpoint) {  // a held checkpoint did not move
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
  // Copies `to_copy` (migrated already) while the others stream on, in place
  // of the copy running now. Call with the applier drained.
  auto start_copy = [&](std::vector<sink::TableBinding> to_copy) -> Status {
    copy.reset();  // stops it; its committed chunks stay
    copying.clear();
    for (const auto& t : to_copy) copying.insert(t.SourceName());
    SYNC_RETURN_IF_ERROR(ddl->SaveState(by_name, copying));
    if (to_copy.empty()) {
      if (options.set_step) options.set_step("full_initialization", "done");
      return Status::Ok();
    }
    // Before any chunk: their changes count from their snapshot positions on,
    // whatever the checkpoint does meanwhile.
    sink::TablePositions entries;
    std::vector<std::string> names;
    for (const auto& t : to_copy) {
      entries.save[t.SourceName()] = BinlogPosition();
      names.push_back(t.SourceName());
      catch_up.Copying(t.SourceName());
    }
    SYNC_RETURN_IF_ERROR(sink->SaveTablePositions(entries));
    FullInitOptions init = options.init;
    for (const auto& [name, binding] : by_name) init.other_destinations.push_back(binding->dest_schema + "." + binding->dest_table);
    log.Info("copying " + Join(names, ", ") + " while " + std::to_string(by_name.size()) + " table(s) stream on");
    if (options.set_step) options.set_step("full_initialization", "running");
    copy = std::make_unique<BackgroundCopy>(*spec, std::move(to_copy), init, log, progress);
    return Status::Ok();
  };
  // The copy is done: its tables join the stream, and those behind it catch
  // up. True when the binlog is read again from an earlier position.
  auto finish_copy = [&]() -> Result<bool> {
    SYNC_RETURN_IF_ERROR(copy->status());
    std::vector<sink::TableBinding> copied = copy->tables();
    std::map<std::string, BinlogPosition> snapshots = copy->positions();
    copy.reset();
    if (options.set_step) options.set_step("full_initialization", "done");
    SYNC_RETURN_IF_ERROR(flush_and_wait());
    std::vector<std::string> others;
    for (const auto& [name, binding] : by_name) others.push_back(name);
    for (const auto& t : copied) {
      if (snapshots.count(t.SourceName())) {
        by_name[t.SourceName()] = std::make_unique<sink::TableBinding>(t);
        continue;
      }
      // Gone at the source before its copy (renamed or dropped again): the
      // destination table made for the copy goes too, and the binlog's DDL
      // finds the table outside the task.
      catch_up.Remove(t.SourceName());
      progress.Remove(t.SourceName());
      SYNC_RETURN_IF_ERROR(sink->DropTable(t));
    }
    copying.clear();
    SYNC_RETURN_IF_ERROR(ddl->SaveState(by_name, copying));
    BinlogPosition from = catch_up.Copied(snapshots, batch_position, others);
    for (const auto& name : catch_up.catching()) progress.Table(name)->state = TableState::kCatchingUp;
    if (from.empty()) {
      log.Info("copied tables join the stream at " + batch_position.ToString());
      return false;
    }
    log.Info("copied tables catch up: the binlog is read again from " + from.ToString() + " (the others skip up to " +
             catch_up.until().ToString() + ")");
    SYNC_RETURN_IF_ERROR(open_source(from));
    batch_position = from;
    return true;
  };
  // `sync apply`: true when real-time sync must start over (see the header).
  auto apply_spec = [&]() -> Result<bool> {
    SYNC_RETURN_IF_ERROR(flush_and_wait());
    SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(options.home));
    SYNC_ASSIGN_OR_RETURN(auto task, store.Find(options.task_id));
    auto next = std::make_unique<config::TaskSpec>(std::move(task.spec));
    std::vector<sink::TableBinding> being_copied = copy ? copy->tables() : std::vector<sink::TableBinding>();
    std::vector<std::pair<std::string, std::string>> kept;
    auto keep = [&](const sink::TableBinding& b) {
      if (config::IsTableSelected(next->source, b.source.db, b.source.table)) kept.push_back({b.source.db, b.source.table});
    };
    for (const auto& [name, binding] : by_name) keep(*binding);
    for (const auto& t : being_copied) keep(t);
    if (!config::ChangesOnlyTables(*spec, *next, kept)) {
      log.Info("sync apply: the new spec changes more than the table selection; real-time sync starts over with it");
      return true;
    }
    SYNC_ASSIGN_OR_RETURN(auto bound, BindTables(*next, meta));
    std::set<std::string> selected;
    for (const auto& b : bound) selected.insert(b.SourceName());
    std::vector<std::string> gone;
    auto forget = [&](const std::string& name) {
      log.Info("sync apply: " + name + " left the task; its changes are no longer applied");
      catch_up.Remove(name);
      gone.push_back(name);
    };
    for (auto it = by_name.begin(); it != by_name.end();) {
      if (selected.count(it->first)) {
        ++it;
        continue;
      }
      forget(it->first);
      it = by_name.erase(it);
    }
    std::vector<sink::TableBinding> to_copy;
    std::set<std::string> copying_names;
    for (auto& t : being_copied) {
      if (!selected.count(t.SourceName())) {
        forget(t.SourceName());
        continue;
      }
      copying_names.insert(t.SourceName());
      to_copy.push_back(std::move(t));
    }
    bool copy_changed = to_copy.size() != being_copied.size();
    for (const auto& b : bound) {
      if (by_name.count(b.SourceName()) || copying_names.count(b.SourceName())) continue;
      SYNC_RETURN_IF_ERROR(sink->PrepareTable(b).WithContext("schema migration of " + b.SourceName()));
      log.Info("sync apply: schema migration: " + b.SourceName() + " -> " + b.dest_schema + "." + b.dest_table);
      to_copy.push_back(b);
      copy_changed = true;
    }
    applied_specs.push_back(std::move(next));
    spec = applied_specs.back().get();
    // The tracked databases and the selection for tables created by DDL follow the new spec.
    SYNC_RETURN_IF_ERROR(ddl->Follow(*spec, meta));
    if (copy_changed) SYNC_RETURN_IF_ERROR(start_copy(std::move(to_copy)));
    for (const auto& name : gone) progress.Remove(name);  // after their copy stopped
    return false;
  };

  if (!begin.to_copy.empty()) SYNC_RETURN_IF_ERROR(start_copy(std::move(begin.to_copy)));
  while (!stop) {
    // Between transactions only: pieces of a large one commit together.
    if (!piece_open && options.reload && options.reload->exchange(false)) {
      SYNC_ASSIGN_OR_RETURN(bool again, apply_spec());
      if (again) break;
    }
    if (!piece_open && copy && copy->done()) SYNC_RETURN_IF_ERROR(finish_copy().status());
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
      if (copy && DdlConcernsCopy(txn, copy->tables())) {
        // The replay that follows the copy decodes the copied tables' rows
        // with their schemas as copied: a DDL on one of them waits for the
        // copy, and the other tables with it.
        SYNC_RETURN_IF_ERROR(flush_and_wait());
        log.Info("a DDL statement at " + txn.commit_position.ToString() +
                 " waits for the copy of the added tables; the other tables pause until it is done");
        while (!stop && !copy->done()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (stop) break;
        SYNC_ASSIGN_OR_RETURN(bool rewound, finish_copy());
        if (rewound) continue;  // the DDL comes again, after the changes before it
      }
      if (!catch_up.until().empty() && txn.commit_position.Compare(catch_up.until()) > 0 &&
          batch_position.Compare(catch_up.until()) < 0) {
        // Nothing committed between here and the held checkpoint: every
        // table is applied through it already.
        batch_position = catch_up.until();
        position_moved = true;
      }
      if (txn.partial) SYNC_RETURN_IF_ERROR(flush());  // commit what precedes the big transaction first
      for (auto& event : txn.events) {
        if (auto* q = event.get_if<binlog::QueryEvent>()) {
          // Statement-format DML of non-transactional engines: their rows come
          // as events too. DDL inside a transaction (CREATE TABLE ... SELECT in
          // row format: the CREATE, then its rows) is applied where it stands.
          if (!txn.is_ddl && !mysql::IsDdlStatement(q->query)) continue;
          if (!catch_up.until().empty() && txn.commit_position.Compare(catch_up.until()) <= 0) {
            // A replay for tables catching up: the DDL was applied the first
            // time it was read, and concerns none of them (see above).
            log.Info("DDL at " + txn.commit_position.ToString() + " was applied before the replay: skipped");
            continue;
          }
          // Rows before the DDL are applied with the old shape, rows after with the new.
          SYNC_RETURN_IF_ERROR(flush_and_wait());
          SYNC_ASSIGN_OR_RETURN(auto outcome,
                                ddl->Apply(q->database, q->query, txn.commit_position, by_name, copying, *sink, meta));
          if (!outcome.to_copy.empty()) {
            // Tables that entered the task: copied from now on, with the
            // tables being copied already (a copy restarts where its chunks stand).
            std::vector<sink::TableBinding> to_copy = copy ? copy->tables() : std::vector<sink::TableBinding>();
            for (auto& t : outcome.to_copy) {
              SYNC_RETURN_IF_ERROR(ForgetCopy(options.init, t));
              to_copy.push_back(std::move(t));
            }
            SYNC_RETURN_IF_ERROR(start_copy(std::move(to_copy)));
          }
          continue;
        }
        auto* rows = std::get_if<binlog::RowsEvent>(&event.body);
        if (!rows || !rows->table) continue;
        auto it = by_name.find(rows->table->database + "." + rows->table->table);
        if (it == by_name.end()) continue;
        if (catch_up.Applied(it->first, txn.commit_position)) continue;  // in its snapshot, or applied already
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
