#include "pipeline/ddl_applier.hpp"

#include <algorithm>
#include <deque>

#include "core/text_util.hpp"
#include "pipeline/table_binding.hpp"
#include "source/mysql/ddl_parser.hpp"
#include "source/mysql/snapshot_reader.hpp"

namespace dbsync::pipeline {
namespace {

using mysql::SchemaChange;
using mysql::SchemaChangeKind;

std::string Name(const std::string& db, const std::string& table) { return db + "." + table; }

// Every table of a database that source.tables names is tracked.
mysql::TableFilter DatabaseFilter(std::vector<std::string> db_patterns) {
  return [db_patterns = std::move(db_patterns)](const std::string& db, const std::string&) {
    for (const auto& p : db_patterns)
      if (GlobMatch(p, db)) return true;
    return false;
  };
}

std::string Destination(const sink::TableBinding& b) { return b.dest_schema + "." + b.dest_table; }

}  // namespace

std::vector<std::string> TrackedDatabasePatterns(const config::TaskSpec& spec) {
  std::vector<std::string> db_patterns;
  for (const auto& p : spec.source.tables) db_patterns.push_back(p.substr(0, p.find('.')));
  return db_patterns;
}

Status ValidateDdlPolicies(const config::TaskSpec& spec) {
  for (const auto& [kind, policy] : spec.ddl) {
    if (policy == config::DdlPolicy::kIgnore && kind != "drop_table" && kind != "truncate_table")
      return Status::InvalidArgument("ddl." + kind + ": ignore is supported only for drop_table and truncate_table "
                                     "in this version; use normal, alert or error");
  }
  return Status::Ok();
}

Result<std::unique_ptr<DdlApplier>> DdlApplier::Create(const config::TaskSpec& spec, mysql::Connection& conn,
                                                       std::string schema_file, Logger& log, Progress& progress) {
  SYNC_RETURN_IF_ERROR(ValidateDdlPolicies(spec));
  SYNC_ASSIGN_OR_RETURN(auto saved, SchemaState::Load(schema_file));
  std::vector<std::string> patterns = TrackedDatabasePatterns(spec);
  mysql::TableFilter wanted = DatabaseFilter(patterns);
  mysql::TableFilter load_filter = wanted;
  if (saved && !saved->legacy) {
    // The saved state is as of its position; information_schema is as of now.
    // Only databases the saved state did not follow start from the catalog.
    mysql::TableFilter before = DatabaseFilter(saved->databases);
    load_filter = [wanted, before](const std::string& db, const std::string& table) {
      return wanted(db, table) && !before(db, table);
    };
  }
  SYNC_ASSIGN_OR_RETURN(auto tracker, mysql::SchemaTracker::Load(conn, load_filter));
  BinlogPosition catalog_position = saved ? saved->catalog_position : BinlogPosition();
  if (!saved || saved->legacy) {
    // After reading: a CREATE or RENAME up to here that finds its table
    // already there was read with the catalog (one made while it was read may
    // or may not have been, and is then simply applied).
    SYNC_ASSIGN_OR_RETURN(catalog_position, mysql::BinlogEnd(conn));
  }
  tracker.set_filter(wanted);
  if (saved) {
    for (const auto& t : saved->tracked) tracker.AddTable(t.schema, t.defaults);
  }
  auto applier = std::make_unique<DdlApplier>(spec, std::move(tracker), std::move(schema_file), log, progress);
  if (saved) applier->saved_position_ = saved->position;
  applier->catalog_position_ = catalog_position;
  applier->from_catalog_ = !saved || saved->legacy;
  return applier;
}

Status DdlApplier::Follow(const config::TaskSpec& spec, mysql::Connection& conn) {
  std::vector<std::string> before_patterns = TrackedDatabasePatterns(*spec_), after_patterns = TrackedDatabasePatterns(spec);
  if (before_patterns == after_patterns) {
    spec_ = &spec;
    return Status::Ok();
  }
  mysql::TableFilter before = DatabaseFilter(before_patterns), after = DatabaseFilter(after_patterns);
  // Tables already tracked keep the schemas the stream has reached; those of
  // databases tracked from now on start from information_schema.
  SYNC_ASSIGN_OR_RETURN(auto fresh, mysql::SchemaTracker::Load(conn, [before, after](const std::string& db, const std::string& table) {
    return after(db, table) && !before(db, table);
  }));
  for (const auto& [db, table] : fresh.Tables()) {
    const mysql::CharsetPair* defaults = fresh.TableDefaults(db, table);
    tracker_.AddTable(*fresh.Find(db, table), defaults ? *defaults : mysql::CharsetPair{});
  }
  tracker_.set_filter(after);
  spec_ = &spec;
  return Status::Ok();
}

Status DdlApplier::SaveState(const Bindings& bindings, const std::set<std::string>& copying) {
  SchemaState state;
  state.position = saved_position_;
  state.catalog_position = catalog_position_;
  for (const auto& [db, table] : tracker_.Tables()) {
    const mysql::CharsetPair* defaults = tracker_.TableDefaults(db, table);
    state.tracked.push_back({*tracker_.Find(db, table), defaults ? *defaults : mysql::CharsetPair{}});
  }
  // A bound table's schema is the one its rows decode with (the tracker's,
  // unless a table left the tracked databases).
  for (const auto& [name, b] : bindings) {
    state.bound.insert(name);
    if (!tracker_.IsTracked(b->source.db, b->source.table)) state.tracked.push_back({b->source, {}});
  }
  state.copying = copying;
  state.databases = TrackedDatabasePatterns(*spec_);
  return state.Save(schema_file_);
}

std::vector<sink::TableBinding> DdlApplier::UnboundSelected(const Bindings& bindings,
                                                            const std::set<std::string>& copying) const {
  std::vector<sink::TableBinding> out;
  if (!from_catalog_) return out;
  for (const auto& [db, table] : tracker_.Tables()) {
    std::string name = Name(db, table);
    if (bindings.count(name) || copying.count(name) || !config::IsTableSelected(spec_->source, db, table)) continue;
    out.push_back(BindTable(*spec_, *tracker_.Find(db, table)));
  }
  return out;
}

// The destination steps of one statement, worked out on a copy of the
// bindings so that nothing changes unless all of it applies.
class DdlApplier::StatementPlan {
 public:
  StatementPlan(DdlApplier& applier, const BinlogPosition& position, const Bindings& bindings,
                const std::set<std::string>& copying, mysql::Connection& conn)
      : a_(applier), position_(position), copying_(copying), conn_(conn) {
    for (const auto& [name, b] : bindings) working_[name] = b.get();
  }

  Status Add(const SchemaChange& change);
  // Tables moved out of the selection in this statement leave the task.
  void Finish();
  bool touched() const { return touched_; }
  const std::vector<sink::SchemaChangeStep>& steps() const { return steps_; }
  std::vector<sink::TableBinding> TakeEntering() {
    std::vector<sink::TableBinding> out;
    for (const auto* b : entering_) out.push_back(*b);
    return out;
  }
  void CommitTo(Bindings& bindings, std::set<std::string>& copying) const;

 private:
  // A bound table renamed out of the selection within the statement: it may
  // come back in (a swap through a temporary name) before the statement ends.
  struct Moved {
    const sink::TableBinding* original;  // as bound before the statement
    const sink::TableBinding* now;       // its destination under a name private to the transaction
  };
  const sink::TableBinding* Own(sink::TableBinding b) {
    owned_.push_back(std::move(b));
    return &owned_.back();
  }
  Result<const TableSchema*> SchemaOf(const SchemaChange& change);
  bool DestinationHeld(const std::string& destination) const;
  Status Created(const SchemaChange& change, bool entering);
  Status Renamed(const SchemaChange& change, const sink::TableBinding* from, const std::string& old_name);
  void Step(const SchemaChange& change, const sink::TableBinding* table, const sink::TableBinding* old_table) {
    steps_.push_back({change, table, old_table, std::nullopt, false});
  }

  DdlApplier& a_;
  const BinlogPosition& position_;
  const std::set<std::string>& copying_;
  mysql::Connection& conn_;
  std::map<std::string, const sink::TableBinding*> working_;
  std::map<std::string, Moved> moved_;  // by the source name they have now
  std::vector<const sink::TableBinding*> entering_;
  std::deque<sink::TableBinding> owned_;
  std::vector<sink::SchemaChangeStep> steps_;
  // Key changes of an ALTER wait for its column changes: every change carries
  // the statement's final definition, whose key may name a column that a later
  // change of the same statement adds or renames. One step per table suffices.
  std::map<std::string, SchemaChange> pending_keys_;
  void FlushKeys() {
    for (const auto& [name, change] : pending_keys_)
      if (auto it = working_.find(name); it != working_.end()) Step(change, it->second, it->second);
    pending_keys_.clear();
  }
  bool touched_ = false;
};

Result<const TableSchema*> DdlApplier::StatementPlan::SchemaOf(const SchemaChange& change) {
  if (change.schema) return &*change.schema;
  // CREATE ... SELECT in statement format, LIKE or RENAME of a table not tracked.
  SYNC_RETURN_IF_ERROR(a_.tracker_.Reload(conn_, change.db, change.table)
                           .WithContext("reading the definition of " + Name(change.db, change.table) + " at " +
                                        position_.ToString()));
  const TableSchema* schema = a_.tracker_.Find(change.db, change.table);
  if (!schema) return Status::Internal("table " + Name(change.db, change.table) + " is not tracked after a reload");
  return schema;
}

bool DdlApplier::StatementPlan::DestinationHeld(const std::string& destination) const {
  for (const auto& [name, b] : working_)
    if (Destination(*b) == destination) return true;
  for (const auto* b : entering_)
    if (Destination(*b) == destination) return true;
  return false;
}

Status DdlApplier::StatementPlan::Created(const SchemaChange& change, bool entering) {
  SYNC_ASSIGN_OR_RETURN(const TableSchema* schema, SchemaOf(change));
  const sink::TableBinding* b = Own(BindTable(*a_.spec_, *schema));
  SchemaChange created = change;
  created.kind = SchemaChangeKind::kTableCreated;
  created.schema = *schema;
  // A destination table of that name that no bound table writes to was left
  // behind by a table that left the task: the new table replaces it.
  bool replace = !DestinationHeld(Destination(*b));
  steps_.push_back({created, b, nullptr, std::nullopt, replace});
  if (entering) {
    entering_.push_back(b);
    a_.log_.Info("table " + Name(change.db, change.table) + " entered the task (" + (change.old_table.empty() ? "created" : "renamed from " + Name(change.old_db, change.old_table)) +
                 ") at " + position_.ToString() + ": it is copied to " + Destination(*b) + " while the others stream on");
  } else {
    working_[b->SourceName()] = b;
  }
  return Status::Ok();
}

Status DdlApplier::StatementPlan::Renamed(const SchemaChange& change, const sink::TableBinding* from,
                                          const std::string& old_name) {
  const std::string name = Name(change.db, change.table);
  const sink::TableBinding* original = from;
  if (auto m = moved_.find(old_name); m != moved_.end()) {
    original = m->second.original;
    from = m->second.now;
    moved_.erase(m);
  }
  bool selected = config::IsTableSelected(a_.spec_->source, change.db, change.table);
  if (!from) {
    if (selected) return Created(change, /*entering=*/true);
    return Status::Ok();
  }
  working_.erase(old_name);
  if (!change.schema) return Status::Internal("renamed table " + name + " has no tracked definition");
  if (selected) {
    const sink::TableBinding* to = Own(BindTable(*a_.spec_, *change.schema));
    Step(change, to, from);
    working_[name] = to;
    return Status::Ok();
  }
  // Out of the selection, for now: its destination table steps aside under a
  // name private to the transaction, so that a table renamed into its
  // destination name in the same statement finds it free.
  sink::TableBinding aside = *from;
  aside.source = *change.schema;
  aside.dest_table = original->dest_table.substr(0, 40) + "__sync_rename_" + std::to_string(owned_.size());
  const sink::TableBinding* now = Own(std::move(aside));
  Step(change, now, from);
  moved_[name] = {original, now};
  return Status::Ok();
}

Status DdlApplier::StatementPlan::Add(const SchemaChange& change) {
  const std::string name = Name(change.db, change.table);
  const bool renamed = change.kind == SchemaChangeKind::kTableRenamed;
  const std::string old_name = renamed ? Name(change.old_db, change.old_table) : name;
  auto bound_it = working_.find(old_name);
  const sink::TableBinding* bound = bound_it == working_.end() ? nullptr : bound_it->second;
  bool selected = config::IsTableSelected(a_.spec_->source, change.db, change.table);
  if (!bound && !selected && !moved_.count(old_name)) return Status::Ok();  // not the task's
  if (copying_.count(old_name))
    return Status::Internal("DDL on " + old_name + " at " + position_.ToString() + " while it is being copied");
  touched_ = true;

  std::string kind = mysql::SchemaChangeKindName(change.kind);
  auto policy_it = a_.spec_->ddl.find(kind);
  config::DdlPolicy policy = policy_it == a_.spec_->ddl.end() ? config::DdlPolicy::kNormal : policy_it->second;
  if (policy == config::DdlPolicy::kError)
    return Status::FailedPrecondition("source DDL (" + kind + ") on " + name + " at " + position_.ToString() +
                                      " and ddl." + kind + " is error: the task stops here. Change the policy or "
                                      "the destination by hand, then start the task again");
  if (policy == config::DdlPolicy::kAlert) {
    a_.log_.Warn("ALERT: source DDL (" + kind + ") on " + name + " at " + position_.ToString());
    a_.progress_.ddl_warnings.fetch_add(1);
  }
  if (policy == config::DdlPolicy::kIgnore && bound) {  // drop_table / truncate_table only
    a_.log_.Warn("ignoring " + kind + " of " + name + " at " + position_.ToString() + " (ddl." + kind +
                 ": ignore): the destination table " + Destination(*bound) + " keeps " +
                 (change.kind == SchemaChangeKind::kTableDropped ? "its rows and is no longer synced" : "its rows"));
    a_.progress_.ddl_ignored.fetch_add(1);
    if (change.kind == SchemaChangeKind::kTableDropped) working_.erase(name);
    return Status::Ok();
  }

  switch (change.kind) {
    case SchemaChangeKind::kTableCreated:
      if (!selected) return Status::Ok();
      return Created(change, /*entering=*/false);
    case SchemaChangeKind::kTableDropped:
      if (!bound) return Status::Ok();
      Step(change, bound, nullptr);
      working_.erase(name);
      return Status::Ok();
    case SchemaChangeKind::kTableRenamed:
      FlushKeys();
      return Renamed(change, bound, old_name);
    case SchemaChangeKind::kPrimaryKeyChanged:
      if (!bound) return Status::Ok();
      if (!change.schema) return Status::Internal("changed table " + name + " has no tracked definition");
      working_[name] = Own(BindTable(*a_.spec_, *change.schema));
      pending_keys_[name] = change;
      return Status::Ok();
    default: {
      if (!bound) return Status::Ok();
      if (!change.schema) return Status::Internal("changed table " + name + " has no tracked definition");
      const sink::TableBinding* after = Own(BindTable(*a_.spec_, *change.schema));
      Step(change, after, bound);
      if (change.kind == SchemaChangeKind::kColumnAdded) {
        SYNC_ASSIGN_OR_RETURN(steps_.back().fill, a_.AddedColumnFill(change, conn_));
      }
      working_[name] = after;
      return Status::Ok();
    }
  }
}

void DdlApplier::StatementPlan::Finish() {
  FlushKeys();
  for (const auto& [name, m] : moved_) {
    SchemaChange back;
    back.db = m.now->source.db;
    back.table = m.now->source.table;
    if (DestinationHeld(Destination(*m.original))) {
      back.kind = SchemaChangeKind::kTableDropped;
      Step(back, m.now, nullptr);
      a_.log_.Info("table " + m.original->SourceName() + " was renamed to " + name + ", outside the task; the table "
                   "that took its place replaces destination table " + Destination(*m.original));
      continue;
    }
    // Its destination table stays where it was, no longer synced.
    back.kind = SchemaChangeKind::kTableRenamed;
    sink::TableBinding home = *m.now;
    home.dest_table = m.original->dest_table;
    Step(back, Own(std::move(home)), m.now);
    a_.log_.Warn("table " + m.original->SourceName() + " was renamed to " + name + " at " + position_.ToString() +
                 ", outside source.tables: it is no longer synced; destination table " + Destination(*m.original) +
                 " keeps its rows");
    a_.progress_.ddl_warnings.fetch_add(1);
  }
}

void DdlApplier::StatementPlan::CommitTo(Bindings& bindings, std::set<std::string>& copying) const {
  for (auto it = bindings.begin(); it != bindings.end();) {
    if (working_.count(it->first)) {
      ++it;
    } else {
      it = bindings.erase(it);
    }
  }
  for (const auto& [name, b] : working_) {
    auto it = bindings.find(name);
    if (it == bindings.end() || it->second.get() != b) bindings[name] = std::make_unique<sink::TableBinding>(*b);
  }
  for (const auto* b : entering_) copying.insert(b->SourceName());
}

Result<DdlOutcome> DdlApplier::Apply(const std::string& default_db, const std::string& sql,
                                     const BinlogPosition& position, Bindings& bindings,
                                     std::set<std::string>& copying, sink::Sink& sink, mysql::Connection& conn) {
  if (!saved_position_.empty() && position.Compare(saved_position_) <= 0) return DdlOutcome{};
  auto changes = tracker_.ApplyDdl(default_db, sql);
  if (!changes.ok() && !catalog_position_.empty() && position.Compare(catalog_position_) <= 0 &&
      changes.status().code() == StatusCode::kFailedPrecondition) {
    auto parsed = mysql::ParseDdl(default_db, sql);
    if (parsed.ok() && (parsed->kind == mysql::DdlKind::kCreateTable || parsed->kind == mysql::DdlKind::kCreateTableLike ||
                        parsed->kind == mysql::DdlKind::kRenameTable)) {
      log_.Info("DDL at " + position.ToString() + " created or renamed a table before the worker read the source's "
                "table definitions, which include its effect: " + sql.substr(0, 300));
      return DdlOutcome{};
    }
  }
  if (!changes.ok())
    return changes.status().WithContext("DDL at " + position.ToString() + " cannot be tracked");
  StatementPlan plan(*this, position, bindings, copying, conn);
  for (const auto& change : *changes) SYNC_RETURN_IF_ERROR(plan.Add(change));
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
    SYNC_RETURN_IF_ERROR(sink.ApplySchemaChanges(plan.steps(), position));
    dest_applied_ = position;
  }
  DdlOutcome outcome;
  outcome.to_copy = plan.TakeEntering();
  plan.CommitTo(bindings, copying);
  progress_.ddl_applied.fetch_add(1);
  log_.Info(std::string(applied_before ? "DDL found applied at the destination" : "DDL applied") + " at " +
            position.ToString() + ": " + sql.substr(0, 2000));
  saved_position_ = position;
  SYNC_RETURN_IF_ERROR(SaveState(bindings, copying));
  return outcome;
}

Result<std::optional<std::string>> DdlApplier::AddedColumnFill(const SchemaChange& change, mysql::Connection& conn) {
  using Fill = std::optional<std::string>;
  // The default as the source has it now: right after the ADD this is what
  // the existing rows received.
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, COLUMN_TYPE FROM "
                                           "information_schema.COLUMNS WHERE TABLE_SCHEMA=" +
                                           mysql::QuoteString(change.db) + " AND TABLE_NAME=" +
                                           mysql::QuoteString(change.table) + " AND COLUMN_NAME=" +
                                           mysql::QuoteString(change.column)));
  if (r.rows.empty()) return Fill();  // dropped again since: later DDL will follow
  std::optional<std::string> def = r.rows[0][0];
  bool nullable = r.rows[0][1].value_or("YES") == "YES";
  std::string type = ToLower(r.rows[0][2].value_or(""));
  std::string value;
  if (def && *def != "NULL") {
    if (def->size() >= 2 && def->front() == '\'' && def->back() == '\'') {
      for (size_t i = 1; i + 1 < def->size(); ++i) {  // MariaDB quotes string defaults, doubling quotes
        value += (*def)[i];
        if ((*def)[i] == '\'' && (*def)[i + 1] == '\'') ++i;
      }
    } else if (def->find('(') != std::string::npos || ToLower(*def).find("current_timestamp") != std::string::npos) {
      log_.Warn("added column " + change.db + "." + change.table + "." + change.column + " has the default " + *def +
                ", evaluated by the source when the column was added; existing rows keep NULL at the destination");
      return Fill();
    } else {
      value = *def;
    }
  } else if (!nullable) {
    // NOT NULL without a default: MySQL's implicit default for the type.
    static const std::vector<std::string> kNumeric = {"tinyint", "smallint", "mediumint", "int", "bigint",
                                                     "decimal", "float",    "double",    "year", "bit"};
    if (std::find(kNumeric.begin(), kNumeric.end(), type) != kNumeric.end()) value = "0";
    else if (type == "enum" && !change.after->enum_values.empty()) value = change.after->enum_values.front();
    else if (type.find("char") != std::string::npos || type.find("text") != std::string::npos || type == "set") value = "";
    else return Fill();  // temporal and binary implicit defaults: left NULL
  } else {
    return Fill();  // NULL is right
  }
  return Fill(value);
}

}  // namespace dbsync::pipeline
