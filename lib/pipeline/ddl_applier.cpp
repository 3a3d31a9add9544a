#include "pipeline/ddl_applier.hpp"

#include "pipeline/ddl_statement_plan.hpp"

#include <algorithm>
#include <deque>

#include "core/text_util.hpp"
#include "pipeline/table_binding.hpp"

namespace dbsync::pipeline {
namespace {


// Every table of a database that source.tables names is tracked.
source::TableFilter DatabaseFilter(std::vector<std::string> db_patterns) {
  return [db_patterns = std::move(db_patterns)](const std::string& db, const std::string&) {
    for (const auto& p : db_patterns)
      if (GlobMatch(p, db)) return true;
    return false;
  };
}


}  // namespace

std::vector<std::string> TrackedDatabasePatterns(const config::TaskSpec& spec) {
  std::vector<std::string> db_patterns;
  for (const auto& p : spec.source.tables) db_patterns.push_back(p.substr(0, p.find('.')));
  return db_patterns;
}

Result<std::unique_ptr<DdlApplier>> DdlApplier::Create(const config::TaskSpec& spec, source::Source& source,
                                                       std::string schema_file, Logger& log, Progress& progress) {
  SYNC_ASSIGN_OR_RETURN(auto saved, SchemaState::Load(schema_file));
  std::vector<std::string> patterns = TrackedDatabasePatterns(spec);
  source::TableFilter wanted = DatabaseFilter(patterns);
  source::TableFilter load_filter = wanted;
  if (saved && !saved->legacy) {
    // The saved state is as of its position; information_schema is as of now.
    // Only databases the saved state did not follow start from the catalog.
    source::TableFilter before = DatabaseFilter(saved->databases);
    load_filter = [wanted, before](const std::string& db, const std::string& table) {
      return wanted(db, table) && !before(db, table);
    };
  }
  SYNC_ASSIGN_OR_RETURN(auto history, source.LoadSchemaHistory(load_filter));
  BinlogPosition catalog_position = saved ? saved->catalog_position : BinlogPosition();
  if (!saved || saved->legacy) {
    // After reading: a CREATE or RENAME up to here that finds its table
    // already there was read with the catalog (one made while it was read may
    // or may not have been, and is then simply applied).
    SYNC_ASSIGN_OR_RETURN(catalog_position, source.CurrentPosition());
  }
  history->SetFilter(wanted);
  if (saved) {
    for (const auto& t : saved->tracked) history->Add(t);
  }
  auto applier = std::make_unique<DdlApplier>(spec, std::move(history), std::move(schema_file), log, progress);
  if (saved) applier->saved_position_ = saved->position;
  if (saved) applier->ignored_tables_ = saved->ignored;
  applier->catalog_position_ = catalog_position;
  applier->from_catalog_ = !saved || saved->legacy;
  applier->legacy_state_ = saved && saved->legacy;
  return applier;
}

Status DdlApplier::Follow(const config::TaskSpec& spec) {
  std::vector<std::string> before_patterns = TrackedDatabasePatterns(*spec_), after_patterns = TrackedDatabasePatterns(spec);
  if (before_patterns == after_patterns) {
    spec_ = &spec;
    return Status::Ok();
  }
  // Tables already tracked keep the schemas the stream has reached; those of
  // databases tracked from now on start from the catalog.
  SYNC_RETURN_IF_ERROR(history_->Extend(DatabaseFilter(before_patterns), DatabaseFilter(after_patterns)));
  spec_ = &spec;
  return Status::Ok();
}

Status DdlApplier::SaveState(const Bindings& bindings, const std::set<std::string>& copying) {
  SchemaState state;
  state.position = saved_position_;
  state.catalog_position = catalog_position_;
  state.tracked = history_->Tables();
  state.ignored = ignored_tables_;
  // A bound table's schema is the one its rows decode with (the tracker's,
  // unless a table left the tracked databases).
  for (const auto& [name, b] : bindings) {
    state.bound.insert(name);
    if (!b->drift.empty()) state.drift[name] = b->drift;
    if (!history_->IsTracked(b->source.db, b->source.table)) state.tracked.push_back({b->source, {}});
  }
  state.copying = copying;
  state.databases = TrackedDatabasePatterns(*spec_);
  return state.Save(schema_file_);
}

void DdlApplier::Reconcile(Bindings& bindings) {
  for (auto& [name, b] : bindings) {
    if (!from_catalog_ || legacy_state_) {  // a legacy schema.json: its schemas are as of the checkpoint
      if (const TableSchema* tracked = history_->Find(b->source.db, b->source.table)) b->source = *tracked;
      continue;
    }
    history_->Add({b->source, history_->DefaultsOf(b->source.db, b->source.table).value_or(source::TableDefaults{})});
    bound_at_catalog_.insert(name);
  }
}

std::vector<sink::TableBinding> DdlApplier::UnboundSelected(const Bindings& bindings,
                                                            const std::set<std::string>& copying) const {
  std::vector<sink::TableBinding> out;
  if (!from_catalog_) return out;
  for (const auto& tracked : history_->Tables()) {
    const TableSchema& t = tracked.schema;
    if (bindings.count(t.FullName()) || copying.count(t.FullName()) || !config::IsTableSelected(spec_->source, t.db, t.table))
      continue;
    out.push_back(BindTable(*spec_, t));
  }
  return out;
}

Result<DdlOutcome> DdlApplier::Apply(const std::string& default_db, const std::string& sql,
                                     const BinlogPosition& position, Bindings& bindings,
                                     std::set<std::string>& copying, sink::Sink& sink, source::Source& source) {
  if (!saved_position_.empty() && position.Compare(saved_position_) <= 0) return DdlOutcome{};
  auto changes = history_->Apply(default_db, sql);
  if (!changes.ok() && !catalog_position_.empty() && position.Compare(catalog_position_) <= 0 &&
      changes.status().code() == StatusCode::kFailedPrecondition) {
    auto named = history_->Inspect(default_db, sql);
    bool copied_before = false;
    if (named.ok())
      for (const auto& t : named->tables) copied_before = copied_before || bound_at_catalog_.count(QualifiedTableName(t.db, t.table)) > 0;
    if (named.ok() && (named->creates_table || !copied_before)) {
      log_.Info("DDL at " + position.ToString() + " was made before the worker read the source's table "
                "definitions, which include its effect: " + sql.substr(0, 300));
      return DdlOutcome{};
    }
  }
  if (!changes.ok())
    return changes.status().WithContext("DDL at " + position.ToString() + " cannot be tracked");
  // A statement that stops the task is an unsupported_ddl alert.
  auto stops = [&](Status s) {
    if (!s.ok() && !s.IsRetryable())
      RaiseAlert(progress_, {"unsupported_ddl", "critical", s.message(), position.ToString(),
                             {{"statement", sql.substr(0, 1000)}, {"position", position.ToString()}}});
    return s;
  };
  StatementPlan plan(*this, position, bindings, copying, source);
  for (const auto& change : *changes) SYNC_RETURN_IF_ERROR(stops(plan.Add(change)));
  plan.Finish();
  if (!plan.touched()) {
    // Tracked tables outside the task (shadow tables) changed: saved, so a
    // restart past this statement decodes and binds them as the stream has them.
    if (!changes->empty()) {
      saved_position_ = position;
      SYNC_RETURN_IF_ERROR(SaveState(bindings, copying));
    }
    return DdlOutcome{};
  }
  if (!dest_applied_loaded_) {
    SYNC_ASSIGN_OR_RETURN(dest_applied_, sink.LastAppliedDdl());
    dest_applied_loaded_ = true;
  }
  bool applied_before = dest_applied_ && position.Compare(*dest_applied_) <= 0;
  if (!plan.steps().empty() && !applied_before) {
    SYNC_RETURN_IF_ERROR(stops(sink.ApplySchemaChanges(plan.steps(), position)));
    dest_applied_ = position;
  }
  DdlOutcome outcome;
  outcome.to_copy = plan.TakeEntering();
  plan.CommitTo(bindings, copying);
  const char* what = plan.steps().empty()  ? "DDL with nothing to apply at the destination"
                     : applied_before        ? "DDL found applied at the destination"
                                             : "DDL applied";
  progress_.RecordDdl("applied", position.ToString(), sql.substr(0, 500));
  log_.Info(std::string(what) + " at " + position.ToString() + ": " + sql.substr(0, 2000));
  saved_position_ = position;
  SYNC_RETURN_IF_ERROR(SaveState(bindings, copying));
  return outcome;
}

Result<std::optional<Value>> DdlApplier::AddedColumnFill(const SchemaChange& change, source::Source& source) {
  const std::string where = "added column " + change.db + "." + change.table + "." + change.column;
  auto fill = source.AddedColumnValue(change);
  if (!fill.ok()) return fill.status().WithContext(where);
  if (!fill->warning.empty()) log_.Warn(where + " " + fill->warning + "; existing rows keep NULL at the destination");
  return fill->value;
}

}  // namespace dbsync::pipeline
