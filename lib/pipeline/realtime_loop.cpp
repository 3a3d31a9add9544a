#include "pipeline/realtime_loop.hpp"

#include <thread>

#include "core/text_util.hpp"
#include "pipeline/table_binding.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {
namespace {

// Per table and operation, for sync status and sync_rows_applied_total.
void CountApplied(Progress& progress, const std::vector<sink::TableChanges>& changes) {
  for (const auto& tc : changes) {
    if (tc.rows.empty() || !tc.table) continue;
    uint64_t counts[3] = {0, 0, 0};
    for (const auto& r : tc.rows) ++counts[r.op == sink::RowChange::Op::kInsert ? 0 : r.op == sink::RowChange::Op::kUpdate ? 1 : 2];
    auto table = progress.Find(tc.table->SourceName());
    if (!table) continue;
    table->inserts.fetch_add(counts[0]);
    table->updates.fetch_add(counts[1]);
    table->deletes.fetch_add(counts[2]);
  }
}

}  // namespace

namespace {

// Whether a DDL statement may change a table being copied (or it cannot be
// told): such a DDL waits for the copy, whose replay must decode that table's
// rows with the schema they were written with. Any other DDL is applied at
// once; the replay after the copy skips it (see the schema resolver).
bool DdlConcernsCopy(const change::Transaction& txn, const std::vector<sink::TableBinding>& copying) {
  auto same = [](const std::string& a, const std::string& b) { return ToLower(a) == ToLower(b); };
  for (const auto& event : txn.events) {
    const auto* s = std::get_if<change::StatementEvent>(&event);
    if (!s || !s->is_ddl) continue;
    if (!s->tables_known) return true;
    for (const auto& t : copying) {
      if (!s->dropped_database.empty() && same(s->dropped_database, t.source.db)) return true;
      for (const auto& name : s->tables)
        if (same(name.db, t.source.db) && same(name.table, t.source.table)) return true;
    }
  }
  return false;
}

}  // namespace

void Batch::Add(const sink::TableBinding* table, sink::RowChange change) {
  auto [it, inserted] = index_.try_emplace(table, changes_.size());
  if (inserted) changes_.push_back({table, {}});
  bytes_ += MemoryBytes(change.before) + MemoryBytes(change.after);
  changes_[it->second].rows.push_back(std::move(change));
  ++rows_;
}

std::shared_ptr<std::vector<sink::TableChanges>> Batch::Take() {
  auto taken = std::make_shared<std::vector<sink::TableChanges>>(std::move(changes_));
  changes_.clear();
  index_.clear();
  rows_ = 0;
  bytes_ = 0;
  return taken;
}

RealtimeLoop::RealtimeLoop(const config::TaskSpec& spec, RealtimeStart start, const RealtimeOptions& options,
                           Logger& log, Progress& progress, const std::atomic<bool>& stop)
    : spec_(&spec),
      start_(std::move(start)),
      options_(options),
      log_(log),
      progress_(progress),
      stop_(stop),
      catch_up_(std::move(start_.catch_up)),
      batch_position_(start_.position) {}

RealtimeLoop::~RealtimeLoop() {
  copy_.reset();
  (void)applier_.Drain();
}

Status RealtimeLoop::Open(const std::vector<sink::TableBinding>& tables) {
  SYNC_ASSIGN_OR_RETURN(sink_, options_.init.open_sink(*spec_, options_.task_id));
  SYNC_ASSIGN_OR_RETURN(source_, options_.init.open_source());
  SYNC_ASSIGN_OR_RETURN(ddl_, DdlApplier::Create(*spec_, *source_, options_.schema_file, log_, progress_));
  for (const auto& t : tables) by_name_[t.SourceName()] = std::make_unique<sink::TableBinding>(t);
  ddl_->Reconcile(by_name_);
  std::set<std::string> to_copy_names;
  for (const auto& t : start_.to_copy) to_copy_names.insert(t.SourceName());
  for (auto& t : ddl_->UnboundSelected(by_name_, to_copy_names)) {
    SYNC_RETURN_IF_ERROR(sink_->PrepareTable(t).WithContext("schema migration of " + t.SourceName()));
    log_.Info(t.SourceName() + " appeared while the task started (created or renamed after its tables were listed): it is copied "
              "while the others stream on");
    start_.to_copy.push_back(std::move(t));
  }
  if (ddl_->from_catalog()) {
    // A first start: the tables are bound as they were copied. Recorded now,
    // with a checkpoint before any DDL is applied, so that a restart decodes
    // and binds from this state rather than from a catalog that a later DDL
    // (perhaps the one that stopped the worker) has already changed.
    std::set<std::string> copying;
    for (const auto& t : start_.to_copy) copying.insert(t.SourceName());
    SYNC_RETURN_IF_ERROR(ddl_->SaveState(by_name_, copying));
    position_moved_ = true;
  }
  return OpenStream(start_.position);
}

Status RealtimeLoop::OpenStream(const BinlogPosition& from) {
  stream_.reset();  // one stream per server_id
  source::ChangeStreamOptions o;
  // A transaction larger than a piece is applied in pieces inside one
  // destination transaction, so memory stays bounded by the piece size.
  o.max_transaction_rows = size_t(options_.piece_rows > 0 ? options_.piece_rows : options_.batch_rows);
  o.max_transaction_bytes = options_.batch_bytes;
  o.on_reconnect = [this](const std::string& m) {
    progress_.Reconnected();
    log_.Warn(m);
  };
  // Every failed attempt is in `sync status`; the log gets the first ones and
  // then one in ten, so an outage of hours does not flood it.
  o.on_reconnect_failed = [this](int attempt, const std::string& error) {
    progress_.ReconnectFailed(attempt, error);
    if (attempt == 0)
      log_.Warn("lost the source's binlog stream: " + error + "; reconnecting");
    else if (attempt <= 3 || attempt % 10 == 0)
      log_.Warn("reconnecting to the source: attempt " + std::to_string(attempt) + " failed: " + error);
  };
  o.stop = &stop_;
  o.on_history_switch = [this](const std::string& why) {
    log_.Warn(why);
    history_switched_ = true;
  };
  o.schemas = [this](const std::string& db, const std::string& table, const BinlogPosition& at) -> const TableSchema* {
    const std::string name = db + "." + table;
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return nullptr;
    // A replay for tables catching up: the others' rows before the held
    // checkpoint are applied already and will be skipped, and a DDL applied
    // during the copy may have changed their schema since. They decode
    // with the binlog's own metadata.
    if (!catch_up_.until().empty() && !catch_up_.catching().count(name) && at.Compare(catch_up_.until()) < 0)
      return nullptr;
    return &it->second->source;
  };
  SYNC_ASSIGN_OR_RETURN(stream_, source_->OpenChangeStream(std::move(o), from));
  return Status::Ok();
}

Result<RealtimeEnd> RealtimeLoop::Run() {
  if (catch_up_.until().empty()) {
    log_.Info("real-time sync from " + start_.position.ToString());
  } else {
    log_.Info("real-time sync from " + start_.position.ToString() + "; " +
              std::to_string(catch_up_.catching().size()) + " table(s) catch up to the checkpoint " +
              catch_up_.until().ToString());
    for (const auto& name : catch_up_.catching()) progress_.Table(name)->state = TableState::kCatchingUp;
  }
  {
    std::lock_guard<std::mutex> lock(progress_.position_mu);  // durable already: the data up to it is
    progress_.position = start_.position.ToString();
    progress_.checkpoint = Later(start_.position, catch_up_.until());
    ++progress_.checkpoint_version;
  }
  if (!start_.to_copy.empty()) SYNC_RETURN_IF_ERROR(StartCopy(std::move(start_.to_copy)));
  Turn turn = Turn::kContinue;
  while (!stop_ && turn == Turn::kContinue) {
    SYNC_ASSIGN_OR_RETURN(turn, Step());
  }
  SYNC_RETURN_IF_ERROR(FlushAndWait());
  if (turn == Turn::kRestart) return RealtimeEnd::kRestart;
  if (!stop_ && turn == Turn::kContinue) return RealtimeEnd::kRestart;
  log_.Info("real-time sync stopped at " + batch_position_.ToString());
  return RealtimeEnd::kStopped;
}

Result<RealtimeLoop::Turn> RealtimeLoop::Step() {
  // Between transactions only: pieces of a large one commit together.
  if (!piece_open_ && options_.reload && options_.reload->exchange(false)) {
    SYNC_ASSIGN_OR_RETURN(bool again, ApplySpec());
    if (again) return Turn::kRestart;
  }
  if (!piece_open_ && copy_ && copy_->done()) SYNC_RETURN_IF_ERROR(FinishCopy().status());
  SYNC_ASSIGN_OR_RETURN(auto txn, Read());
  if (history_switched_) {
    // Positions from here on are the new server's (see on_history_switch).
    history_switched_ = false;
    SYNC_RETURN_IF_ERROR(catch_up_.ForgetPositions());
    ddl_->ForgetAppliedPosition();
  }
  if (txn) {
    SYNC_ASSIGN_OR_RETURN(Turn turn, Route(*txn));
    if (turn != Turn::kContinue) return turn;
  }
  SYNC_RETURN_IF_ERROR(FlushIfDue());
  return Turn::kContinue;
}

Result<std::optional<change::Transaction>> RealtimeLoop::Read() {
  auto wait = std::chrono::milliseconds(options_.flush_ms) -
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_flush_);
  // Rows waiting for a busy applier: look again soon, so they leave as
  // soon as it is free even if the source stays quiet.
  if (options_.eager_flush && batch_.rows() > 0) wait = std::min(wait, std::chrono::milliseconds(10));
  auto next = stream_->Next(std::max(wait, std::chrono::milliseconds(batch_.rows() > 0 ? 1 : 50)));
  if (!next.ok()) {
    Status flushed = FlushAndWait();  // keep what is complete before reporting the error
    if (!flushed.ok()) log_.Error("flush before stopping failed: " + flushed.message());
  }
  return next;
}

Result<bool> RealtimeLoop::WaitForCopyIfConcerned(const change::Transaction& txn, bool* stopped) {
  *stopped = false;
  if (!copy_ || !DdlConcernsCopy(txn, copy_->tables())) return false;
  // The replay that follows the copy decodes the copied tables' rows with
  // their schemas as copied: a DDL on one of them waits for the copy, and
  // the other tables with it.
  SYNC_RETURN_IF_ERROR(FlushAndWait());
  log_.Info("a DDL statement at " + txn.commit_position.ToString() +
            " waits for the copy of the added tables; the other tables pause until it is done");
  while (!stop_ && !copy_->done()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (stop_) {
    *stopped = true;
    return false;
  }
  return FinishCopy();
}

Result<RealtimeLoop::Turn> RealtimeLoop::Route(change::Transaction& txn) {
  bool stopped = false;
  SYNC_ASSIGN_OR_RETURN(bool rewound, WaitForCopyIfConcerned(txn, &stopped));
  if (stopped) return Turn::kStop;
  if (rewound) return Turn::kContinue;  // the DDL comes again, after the changes before it
  if (!catch_up_.until().empty() && txn.commit_position.Compare(catch_up_.until()) > 0 &&
      batch_position_.Compare(catch_up_.until()) < 0) {
    // Nothing committed between here and the held checkpoint: every table
    // is applied through it already.
    batch_position_ = catch_up_.until();
    position_moved_ = true;
  }
  if (txn.partial) SYNC_RETURN_IF_ERROR(Flush());  // commit what precedes the big transaction first
  for (auto& event : txn.events) {
    if (auto* statement = std::get_if<change::StatementEvent>(&event)) {
      // DDL inside a transaction (CREATE TABLE ... SELECT in row format: the
      // CREATE, then its rows) is applied where it stands.
      if (statement->is_ddl) SYNC_RETURN_IF_ERROR(ApplyDdl(*statement, txn));
      if (statement->is_dml) WarnStatementDml(*statement, txn);
      continue;
    }
    SYNC_RETURN_IF_ERROR(RouteRows(std::get<change::RowsEvent>(event), txn));
  }
  piece_open_ = txn.partial;
  if (txn.partial) {
    SYNC_RETURN_IF_ERROR(SubmitPiece());
    return Turn::kContinue;  // the rest of the transaction, and its commit, follow
  }
  batch_position_ = txn.commit_position;
  batch_commit_time_ = txn.commit_time;
  position_moved_ = true;
  return Turn::kContinue;
}

void RealtimeLoop::WarnStatementDml(const change::StatementEvent& statement, const change::Transaction& txn) {
  std::string table;
  if (statement.tables_known) {
    for (const auto& t : statement.tables)
      if (by_name_.count(t.db + "." + t.table)) table = t.db + "." + t.table;
    if (table.empty()) return;  // not a synchronized table
  }
  if (!statement_dml_warned_.insert(table).second) return;
  std::string sql = statement.sql.substr(0, 200);
  log_.Warn("the binlog holds a statement, not rows, for " +
            (table.empty() ? std::string("a change naming several tables") : table) + " at " +
            txn.commit_position.ToString() + " (binlog_format=STATEMENT in its session): \"" + sql +
            "\"; its effect is not applied" + (table.empty() ? "" : " and " + table + " may now differ") +
            ". Write with binlog_format=ROW, then copy the table again (sync start --rerun-table " +
            (table.empty() ? std::string("PATTERN") : table) + ")");
}

Status RealtimeLoop::RouteRows(change::RowsEvent& rows, const change::Transaction& txn) {
  auto it = by_name_.find(rows.db + "." + rows.table);
  if (it == by_name_.end()) return Status::Ok();
  if (catch_up_.Applied(it->first, txn.commit_position)) return Status::Ok();  // in its snapshot, or applied already
  if (!rows.full_image)
    return Status::FailedPrecondition("row event for " + it->first + " at " + txn.commit_position.ToString() +
                                      " lacks columns: binlog_row_image is not FULL on the source. Set "
                                      "binlog_row_image=FULL and re-run the full initialization of this table");
  const int64_t sequence = txn.commit_position.Sequence();
  for (auto& r : rows.rows) {
    r.commit_time = txn.commit_time;
    r.sequence = sequence;
    if (batch_.rows() == 0) batch_started_ = Clock::now();
    batch_.Add(it->second.get(), std::move(r));
  }
  progress_.events_applied.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status RealtimeLoop::ApplyDdl(const change::StatementEvent& statement, const change::Transaction& txn) {
  if (!catch_up_.until().empty() && txn.commit_position.Compare(catch_up_.until()) <= 0) {
    // A replay for tables catching up: the DDL was applied the first time it
    // was read, and concerns none of them (see WaitForCopyIfConcerned).
    log_.Info("DDL at " + txn.commit_position.ToString() + " was applied before the replay: skipped");
    return Status::Ok();
  }
  // Rows before the DDL are applied with the old shape, rows after with the new.
  SYNC_RETURN_IF_ERROR(FlushAndWait());
  SYNC_ASSIGN_OR_RETURN(auto outcome, ddl_->Apply(statement.default_db, statement.sql, txn.commit_position, by_name_,
                                                  copying_, *sink_, *source_));
  if (outcome.to_copy.empty()) return Status::Ok();
  // Tables that entered the task: copied from now on, with the tables being
  // copied already (a copy restarts where its chunks stand).
  std::vector<sink::TableBinding> to_copy = copy_ ? copy_->tables() : std::vector<sink::TableBinding>();
  for (auto& t : outcome.to_copy) {
    SYNC_RETURN_IF_ERROR(ForgetCopy(options_.init, t));
    to_copy.push_back(std::move(t));
  }
  return StartCopy(std::move(to_copy));
}

Status RealtimeLoop::SubmitPiece() {
  const size_t rows = batch_.rows();
  staged_rows_ += rows;
  return applier_.Submit([this, changes = batch_.Take(), rows]() -> Status {
    SYNC_RETURN_IF_ERROR(sink_->ApplyPartial(*changes));
    progress_.rows_applied.fetch_add(rows);
    CountApplied(progress_, *changes);
    return Status::Ok();
  });
}

Status RealtimeLoop::FlushIfDue() {
  bool due = Clock::now() - last_flush_ >= std::chrono::milliseconds(options_.flush_ms);
  // Rows go out as soon as the applier is free and the batch is linger_ms
  // old: a lone transaction is not held back for flush_ms, and under load
  // batches grow while the previous one is applied (group commit).
  bool eager = options_.eager_flush && batch_.rows() > 0 && applier_.Idle() &&
               Clock::now() - batch_started_ >= std::chrono::milliseconds(options_.linger_ms);
  // Where pieces are staged, a batch of many bytes goes as a piece: its
  // commit keeps its cost per batch_rows rows.
  const bool many_bytes = batch_.bytes() >= options_.batch_bytes;
  if (staged_rows_ + batch_.rows() >= size_t(options_.batch_rows) || (many_bytes && options_.piece_rows == 0) ||
      eager || (due && (batch_.rows() > 0 || position_moved_))) {
    SYNC_RETURN_IF_ERROR(Flush());
  } else if (options_.piece_rows > 0 && !piece_open_ &&
             (batch_.rows() >= size_t(options_.piece_rows) || many_bytes)) {
    // Staged now, committed with the batch: a batch's rows need not all
    // wait in memory for its commit.
    SYNC_RETURN_IF_ERROR(SubmitPiece());
  }
  // A failed write is noticed while the source is quiet too, so the worker
  // restarts now rather than at the next transaction.
  if (due) SYNC_RETURN_IF_ERROR(applier_.FirstError());
  if (due && batch_.rows() == 0 && !position_moved_ && applier_.Idle()) {
    last_flush_ = Clock::now();
    // Idle: the source is caught up as of its last heartbeat.
    progress_.last_source_commit_time = std::time(nullptr);
  }
  return Status::Ok();
}

Status RealtimeLoop::Flush() {
  if (batch_.rows() == 0 && !position_moved_) return Status::Ok();
  const size_t rows = batch_.rows();
  staged_rows_ = 0;
  const std::set<std::string> catching = catch_up_.catching();
  sink::TablePositions positions = catch_up_.ForBatch(batch_position_);
  std::vector<std::string> caught_up;
  if (catch_up_.until().empty() && !catching.empty()) {
    caught_up.assign(catching.begin(), catching.end());
    log_.Info("sync apply: caught up at " + batch_position_.ToString() + ": " + Join(caught_up, ", "));
  }
  SYNC_RETURN_IF_ERROR(applier_.Submit([this, changes = batch_.Take(), position = batch_position_,
                                        commit_time = batch_commit_time_, rows, positions = std::move(positions),
                                        caught_up = std::move(caught_up)]() -> Status {
    SYNC_RETURN_IF_ERROR(sink_->ApplyBatch(*changes, position, positions));
    progress_.rows_applied.fetch_add(rows);
    CountApplied(progress_, *changes);
    if (commit_time) progress_.last_source_commit_time = commit_time;
    progress_.last_apply_time = std::time(nullptr);
    for (const auto& name : caught_up) progress_.Table(name)->state = TableState::kDone;
    std::lock_guard<std::mutex> lock(progress_.position_mu);
    progress_.position = position.ToString();
    if (!positions.hold_checkpoint) {  // a held checkpoint did not move
      progress_.checkpoint = position;
      ++progress_.checkpoint_version;
    }
    return Status::Ok();
  }));
  position_moved_ = false;
  last_flush_ = Clock::now();
  return Status::Ok();
}

// Everything submitted is applied (or the first failure is known); the sink
// is then free for this thread (DDL) or the caller.
Status RealtimeLoop::FlushAndWait() {
  SYNC_RETURN_IF_ERROR(Flush());
  return applier_.Drain();
}

// Copies `to_copy` (migrated already) while the others stream on, in place
// of the copy running now. Call with the applier drained.
Status RealtimeLoop::StartCopy(std::vector<sink::TableBinding> to_copy) {
  copy_.reset();  // stops it; its committed chunks stay
  copying_.clear();
  for (const auto& t : to_copy) copying_.insert(t.SourceName());
  SYNC_RETURN_IF_ERROR(ddl_->SaveState(by_name_, copying_));
  if (to_copy.empty()) {
    if (options_.set_step) options_.set_step("full_initialization", "done");
    return Status::Ok();
  }
  // Before any chunk: their changes count from their snapshot positions on,
  // whatever the checkpoint does meanwhile.
  sink::TablePositions entries;
  std::vector<std::string> names;
  for (const auto& t : to_copy) {
    entries.save[t.SourceName()] = BinlogPosition();
    names.push_back(t.SourceName());
    catch_up_.Copying(t.SourceName());
  }
  SYNC_RETURN_IF_ERROR(sink_->SaveTablePositions(entries));
  FullInitOptions init = options_.init;
  init.connections_held = 2;  // source_'s catalog connection and the binlog stream
  for (const auto& [name, binding] : by_name_) init.other_destinations.push_back(binding->dest_schema + "." + binding->dest_table);
  log_.Info("copying " + Join(names, ", ") + " while " + std::to_string(by_name_.size()) + " table(s) stream on");
  if (options_.set_step) options_.set_step("full_initialization", "running");
  copy_ = std::make_unique<BackgroundCopy>(*spec_, std::move(to_copy), init, log_, progress_);
  return Status::Ok();
}

// The copy is done: its tables join the stream, and those behind it catch
// up. True when the binlog is read again from an earlier position.
Result<bool> RealtimeLoop::FinishCopy() {
  SYNC_RETURN_IF_ERROR(copy_->status());
  std::vector<sink::TableBinding> copied = copy_->tables();
  std::map<std::string, BinlogPosition> snapshots = copy_->positions();
  copy_.reset();
  if (options_.set_step) options_.set_step("full_initialization", "done");
  SYNC_RETURN_IF_ERROR(FlushAndWait());
  std::vector<std::string> others;
  for (const auto& [name, binding] : by_name_) others.push_back(name);
  for (const auto& t : copied) {
    if (snapshots.count(t.SourceName())) {
      by_name_[t.SourceName()] = std::make_unique<sink::TableBinding>(t);
      continue;
    }
    // Gone at the source before its copy (renamed or dropped again): the
    // destination table made for the copy goes too, and the binlog's DDL
    // finds the table outside the task.
    catch_up_.Remove(t.SourceName());
    progress_.Remove(t.SourceName());
    SYNC_RETURN_IF_ERROR(sink_->DropTable(t));
  }
  copying_.clear();
  SYNC_RETURN_IF_ERROR(ddl_->SaveState(by_name_, copying_));
  BinlogPosition from = catch_up_.Copied(snapshots, batch_position_, others);
  for (const auto& name : catch_up_.catching()) progress_.Table(name)->state = TableState::kCatchingUp;
  if (from.empty()) {
    log_.Info("copied tables join the stream at " + batch_position_.ToString());
    return false;
  }
  log_.Info("copied tables catch up: the binlog is read again from " + from.ToString() + " (the others skip up to " +
            catch_up_.until().ToString() + ")");
  SYNC_RETURN_IF_ERROR(OpenStream(from));
  batch_position_ = from;
  return true;
}

// `sync apply`: true when real-time sync must start over (see realtime_sync.hpp).
Result<bool> RealtimeLoop::ApplySpec() {
  SYNC_RETURN_IF_ERROR(FlushAndWait());
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(options_.home));
  SYNC_ASSIGN_OR_RETURN(auto task, store.Find(options_.task_id));
  auto next = std::make_unique<config::TaskSpec>(std::move(task.spec));
  std::vector<sink::TableBinding> being_copied = copy_ ? copy_->tables() : std::vector<sink::TableBinding>();
  std::vector<std::pair<std::string, std::string>> kept;
  auto keep = [&](const sink::TableBinding& b) {
    if (config::IsTableSelected(next->source, b.source.db, b.source.table)) kept.push_back({b.source.db, b.source.table});
  };
  for (const auto& [name, binding] : by_name_) keep(*binding);
  for (const auto& t : being_copied) keep(t);
  if (!config::ChangesOnlyTables(*spec_, *next, kept)) {
    log_.Info("sync apply: the new spec changes more than the table selection; real-time sync starts over with it");
    return true;
  }
  SYNC_ASSIGN_OR_RETURN(auto bound, BindTables(*next, *source_));
  std::set<std::string> selected;
  for (const auto& b : bound) selected.insert(b.SourceName());
  std::vector<std::string> gone;
  auto forget = [&](const std::string& name) {
    log_.Info("sync apply: " + name + " left the task; its changes are no longer applied");
    catch_up_.Remove(name);
    gone.push_back(name);
  };
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    if (selected.count(it->first)) {
      ++it;
      continue;
    }
    forget(it->first);
    it = by_name_.erase(it);
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
    if (by_name_.count(b.SourceName()) || copying_names.count(b.SourceName())) continue;
    SYNC_RETURN_IF_ERROR(sink_->PrepareTable(b).WithContext("schema migration of " + b.SourceName()));
    log_.Info("sync apply: schema migration: " + b.SourceName() + " -> " + b.dest_schema + "." + b.dest_table);
    to_copy.push_back(b);
    copy_changed = true;
  }
  applied_specs_.push_back(std::move(next));
  spec_ = applied_specs_.back().get();
  // The tracked databases and the selection for tables created by DDL follow the new spec.
  SYNC_RETURN_IF_ERROR(ddl_->Follow(*spec_));
  if (copy_changed) SYNC_RETURN_IF_ERROR(StartCopy(std::move(to_copy)));
  for (const auto& name : gone) progress_.Remove(name);  // after their copy stopped
  return false;
}

Result<RealtimeEnd> RunRealtimeSync(const config::TaskSpec& spec, const std::vector<sink::TableBinding>& tables,
                                    RealtimeStart start, const RealtimeOptions& options, Logger& log,
                                    Progress& progress, const std::atomic<bool>& stop) {
  RealtimeLoop loop(spec, std::move(start), options, log, progress, stop);
  SYNC_RETURN_IF_ERROR(loop.Open(tables));
  return loop.Run();
}

}  // namespace dbsync::pipeline
