#include "pipeline/worker.hpp"
#include "sink/registry.hpp"

#include <unistd.h>

#include <mutex>
#include <set>

#include "config/secret.hpp"
#include "core/atomic_file.hpp"
#include "core/logger.hpp"
#include "pipeline/ddl_applier.hpp"
#include "pipeline/full_init.hpp"
#include "pipeline/realtime_sync.hpp"
#include "pipeline/reporter.hpp"
#include "pipeline/rerun.hpp"
#include "pipeline/schema_state.hpp"
#include "pipeline/state_updater.hpp"
#include "pipeline/table_binding.hpp"
#include "sink/sink.hpp"
#include "state/file_lock.hpp"
#include "state/space_reserve.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {
namespace {

using nlohmann::json;

// Where tables that are not copied start following the binlog on a task's
// first start: `sync start --from-position` (kept in the task state), else
// empty (the source's position when the worker starts).
BinlogPosition StartFrom(const state::TaskRecord& task) {
  if (!task.state.contains("start_from") || !task.state["start_from"].is_object()) return {};
  return BinlogPosition::FromJson(task.state["start_from"]);
}

// One pass over the steps with the spec as stored now; kRestart when real-time
// sync asks to begin again (`sync apply`, see realtime_sync.hpp).
Result<RealtimeEnd> RunStepsOnce(const WorkerContext& ctx, const state::TaskRecord& task, Logger& log,
                                 Reporter& reporter, Progress& progress, const std::atomic<bool>& stop,
                                 std::atomic<bool>* reload) {
  const auto& spec = task.spec;
  SYNC_ASSIGN_OR_RETURN(std::string src_password, config::ResolveSecret(spec.source.password));
  SYNC_ASSIGN_OR_RETURN(std::string dst_password, sink::ResolveDestinationSecret(spec.destination));
  log.AddSecret(src_password);
  log.AddSecret(dst_password);
  source::SourceFactory open_source = source::MakeSourceFactory(spec.source, src_password);

  SYNC_RETURN_IF_ERROR(sink::ValidateTableSettings(spec));
  reporter.SetStep("schema_migration", "running");
  std::vector<sink::TableBinding> tables;
  {
    // Its connection is closed before the copy: runtime.max_source_connections counts it.
    SYNC_ASSIGN_OR_RETURN(auto catalog, open_source());
    SYNC_ASSIGN_OR_RETURN(tables, BindTables(spec, *catalog));
  }
  {
    std::set<std::string> bound;
    for (const auto& t : tables) bound.insert(t.SourceName());
    std::vector<std::string> gone;  // left the task in an earlier pass (sync apply)
    {
      std::lock_guard<std::mutex> lock(progress.mu);
      for (const auto& [name, p] : progress.tables)
        if (!bound.count(name)) gone.push_back(name);
    }
    for (const auto& name : gone) progress.Remove(name);
  }
  SYNC_ASSIGN_OR_RETURN(auto sink, sink::OpenSink(spec, ctx.task_id));
  FullInitOptions init;
  init.open_source = open_source;
  init.parallelism = spec.runtime.snapshot_parallelism;
  init.max_connections = spec.runtime.max_source_connections;
  init.chunk_rows = uint64_t(spec.runtime.batch_rows) * 10;
  init.plan_dir = task.dir.SnapshotDir();
  init.task_id = ctx.task_id;
  init.start_from = StartFrom(task);
  SYNC_RETURN_IF_ERROR(CarryOutRerun(ctx.home, task, tables, init, *sink, log));
  SYNC_ASSIGN_OR_RETURN(auto checkpoint, sink->LoadCheckpoint());
  std::vector<sink::TableBinding> must_copy;  // known not to be copied, whatever the chunk records say
  bool from_saved_state = false;              // the other tables are all applied: none is copied again
  if (checkpoint) {
    // After real-time sync ran, the tables are bound as the stream had them.
    SYNC_ASSIGN_OR_RETURN(auto saved, SchemaState::Load(task.dir.SchemaFile()));
    if (saved && !saved->legacy) {
      SavedTables restored = BindSavedTables(spec, *saved, tables);
      tables = std::move(restored.bound);
      must_copy = std::move(restored.to_copy);
      from_saved_state = true;
    }
  }
  for (const auto* list : {&tables, &must_copy}) {
    for (const auto& t : *list) {
      SYNC_RETURN_IF_ERROR(sink->PrepareTable(t).WithContext("schema migration of " + t.SourceName()));
      progress.SetDestination(t.SourceName(), t.dest_schema + "." + t.dest_table);
      log.Info("schema migration: " + t.SourceName() + " -> " + t.dest_schema + "." + t.dest_table);
    }
  }
  reporter.SetStep("schema_migration", "done");

  SYNC_ASSIGN_OR_RETURN(auto entries, sink->LoadTablePositions());
  RealtimeStart start;
  if (!checkpoint) {
    // A first start: every table is copied before the binlog is read, from
    // the oldest snapshot position on.
    reporter.SetStep("full_initialization", "running");
    SYNC_ASSIGN_OR_RETURN(auto positions, RunFullInitialization(spec, tables, init, log, progress, stop));
    reporter.SetStep("full_initialization", "done");
    // A table gone before its copy is not applied, and the destination table
    // made for it goes: the binlog says what became of it.
    for (const auto& t : tables)
      if (!positions.count(t.SourceName())) {
        SYNC_RETURN_IF_ERROR(sink->DropTable(t));
        progress.Remove(t.SourceName());
      }
    std::erase_if(tables, [&](const sink::TableBinding& t) { return !positions.count(t.SourceName()); });
    start.catch_up = CatchUp::Resume(std::nullopt, positions, entries, {}, &start.position);
  } else {
    // Real-time sync ran before: tables whose copy is not done (added by
    // `sync apply`, entered by a rename, or cut short) are copied while the
    // others stream on, and each table resumes from its own applied-through
    // position.
    std::vector<sink::TableBinding> copied, created;  // created by DDL in the stream: never copied
    std::set<std::string> copying;
    for (auto& t : tables) {
      SYNC_ASSIGN_OR_RETURN(bool done, IsCopied(init, t, *sink));
      if (done) {
        copied.push_back(std::move(t));
      } else if (from_saved_state) {
        created.push_back(std::move(t));
      } else {
        copying.insert(t.SourceName());
        start.to_copy.push_back(std::move(t));
      }
    }
    for (auto& t : must_copy) {
      copying.insert(t.SourceName());
      start.to_copy.push_back(std::move(t));
    }
    tables = std::move(copied);
    // For the copied tables: their snapshot positions (nothing is copied again).
    SYNC_ASSIGN_OR_RETURN(auto positions, RunFullInitialization(spec, tables, init, log, progress, stop));
    // Never copied, so never without their key; unless someone dropped it.
    std::vector<const sink::TableBinding*> never_copied;
    for (const auto& t : created) never_copied.push_back(&t);
    SYNC_RETURN_IF_ERROR(sink->BuildKeys(never_copied).status());
    for (auto& t : created) tables.push_back(std::move(t));
    reporter.SetStep("full_initialization", "done");
    start.catch_up = CatchUp::Resume(checkpoint, positions, entries, copying, &start.position);
  }
  if (spec.sync_mode == config::SyncMode::kFullOnly) {
    log.Info("full initialization done; sync_mode is full_only, so the task ends here");
    reporter.SetStep("realtime_sync", "skipped");
    return RealtimeEnd::kCompleted;
  }
  if (start.position.empty()) return Status::Internal("no source position to start the binlog from");
  reporter.SetStep("realtime_sync", "running");
  RealtimeOptions rt;
  rt.batch_rows = spec.runtime.batch_rows;
  rt.flush_ms = spec.runtime.flush_ms;
  const sink::Traits& traits = sink::DestinationOf(spec.destination).traits;
  rt.eager_flush = traits.eager_flush;
  // SYNC_REALTIME_LINGER_MS=0 writes each batch as soon as the applier is free (to measure the linger's gain).
  if (const char* linger = std::getenv("SYNC_REALTIME_LINGER_MS")) rt.linger_ms = std::max(0, std::atoi(linger));
  if (!traits.open_transaction_across_pieces) rt.piece_rows = std::min(traits.piece_rows, spec.runtime.batch_rows);
  rt.task_id = ctx.task_id;
  rt.schema_file = task.dir.SchemaFile();
  rt.home = ctx.home;
  rt.init = init;
  rt.reload = reload;
  rt.set_step = [&reporter](const std::string& step, const std::string& state) { reporter.SetStep(step, state); };
  return RunRealtimeSync(spec, tables, std::move(start), rt, log, progress, stop);
}

Status RunSteps(const WorkerContext& ctx, Logger& log, Reporter& reporter, Progress& progress,
                const std::atomic<bool>& stop, std::atomic<bool>* reload, bool* completed) {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(ctx.home));
  while (true) {
    SYNC_ASSIGN_OR_RETURN(auto task, store.Find(ctx.task_id));  // as last applied
    auto end = RunStepsOnce(ctx, task, log, reporter, progress, stop, reload);
    if (end.ok() && *end == RealtimeEnd::kCompleted) {
      if (completed) *completed = true;
      return Status::Ok();
    }
    if (!end.ok() || *end != RealtimeEnd::kRestart || stop) {
      reporter.SetStep("realtime_sync", end.ok() ? "stopped" : "failed");
      return end.status();
    }
    log.Info("real-time sync starts again with the spec as applied");
  }
}

// A storage fault stops the task, and says what to do about it; its space
// reserve gives room for the last words (state/space_reserve.hpp). The task
// is not restarted (failover): a restart would meet the same full or failing
// file system, write its log and state to it again, and fail the same way.
Status StopForStorageFault(const Status& fault, const state::TaskRecord& task) {
  if (fault.code() != StatusCode::kStorageFault) return fault;
  state::ReleaseSpace(task.dir.SpaceReserveFile());
  return Status::StorageFault(fault.message() + ". The task stopped and is not restarted (it would meet the same "
                              "file system); the destination holds everything up to its checkpoint. Once fixed, "
                              "run `sync start " + task.dir.id + "`: it resumes from there");
}

// The worker's last words on a failure: the log, the task's last errors (and
// dirty records) in state.json; the status with secrets masked.
Status RecordFailure(const state::TaskRecord& task, Logger& log, Progress& progress, Status s) {
  log.Error(s.message());
  Redactor redactor;  // server messages can echo what was sent
  for (const auto* secret : {&task.spec.source.password, &task.spec.destination.password}) {
    auto value = config::ResolveSecret(*secret);
    if (value.ok()) redactor.Add(*value);
  }
  s = Status(s.code(), redactor.Apply(s.message()));
  if (s.code() == StatusCode::kDataRejected)
    RaiseAlert(progress, {"dirty_data", "critical", s.message(), "", {{"error", "the destination refused a row"}}});
  StateUpdater(task.dir.home, task.dir.id).Update([&](nlohmann::json& st) {
    auto& errors = st["last_errors"];
    if (!errors.is_array()) errors = nlohmann::json::array();
    errors.push_back({{"at", state::NowIso8601()}, {"message", s.message()}});
    st["errors_total"] = st.value("errors_total", 0) + 1;  // sync_errors_total (ops/task_metrics.hpp)
    while (errors.size() > 5) errors.erase(errors.begin());
    if (s.code() == StatusCode::kDataRejected) {
      // Rows the destination refused: the batch holding one is not applied
      // and the worker stops on it, so each is also an error above.
      auto& dirty = st["dirty_records"];
      if (!dirty.is_object()) dirty = {{"count", 0}, {"last", nlohmann::json::array()}};
      dirty["count"] = dirty.value("count", 0) + 1;
      dirty["last"].push_back({{"at", state::NowIso8601()}, {"message", s.message()}});
      while (dirty["last"].size() > 5) dirty["last"].erase(dirty["last"].begin());
    }
  }).ok();
  return s;
}

// The first fault the reporter met writing a state file the task needs, as
// recorded.
class StateFault {
 public:
  void Record(const Status& fault) {
    std::lock_guard<std::mutex> lock(mu_);
    if (fault_.ok()) fault_ = fault;
  }
  Status Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return fault_;
  }

 private:
  std::mutex mu_;
  Status fault_;
};

}  // namespace

Status RunWorker(const WorkerContext& ctx, std::atomic<bool>& stop, std::atomic<bool>* reload, bool* completed) {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(ctx.home));
  SYNC_ASSIGN_OR_RETURN(auto task, store.Find(ctx.task_id));
  SYNC_ASSIGN_OR_RETURN(auto lock, state::FileLock::Acquire(task.dir.WorkerLockFile(), 0,
                                                            "the worker of task " + ctx.task_id));
  Logger log(task.dir.WorkerLog());
  log.Info("worker " + std::to_string(::getpid()) + " starting, run " + ctx.run_id);
  Progress progress;
  progress.alert_outbox = task.dir.AlertOutbox();
  Status s;
  StateFault state_fault;
  {
    // Recorded at once, then the worker stops as `sync stop` would: the batch
    // in hand is flushed and checkpointed at the destination, which does not
    // depend on this disk (and if that takes too long, the stop watchdog ends
    // the worker knowing it must not be restarted).
    auto on_state_fault = [&](const Status& fault) {
      state_fault.Record(RecordFailure(task, log, progress, StopForStorageFault(fault, task)));
      if (ctx.stopped_on_state_fault) *ctx.stopped_on_state_fault = true;
      stop = true;
    };
    Reporter reporter(ctx, task.dir, progress, sink::DestinationOf(task.spec.destination).checkpoint_record, log,
                      on_state_fault);
    s = RunSteps(ctx, log, reporter, progress, stop, reload, completed);
  }
  if (Status fault = state_fault.Get(); !fault.ok()) {
    // Recorded when it happened; an error the steps ended on besides is logged.
    if (!s.ok() && s.code() != StatusCode::kCancelled) log.Error(s.message());
    return fault;
  }
  s = StopForStorageFault(s, task);
  if (s.code() == StatusCode::kCancelled || (s.ok() && stop)) {
    log.Info("worker stopped");
    return Status::Ok();
  }
  if (!s.ok()) s = RecordFailure(task, log, progress, s);
  return s;
}

}  // namespace dbsync::pipeline
