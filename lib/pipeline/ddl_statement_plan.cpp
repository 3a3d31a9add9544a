#include "pipeline/ddl_statement_plan.hpp"

#include "pipeline/table_binding.hpp"

namespace dbsync::pipeline {
namespace {

std::string Destination(const sink::TableBinding& b) { return b.dest_schema + "." + b.dest_table; }

// The destination's name of a source column of `b` (tables[].column_names, an ignored rename).
std::string DestinationColumnName(const sink::TableBinding& b, const std::string& column) {
  if (auto kept = b.drift.names.find(column); kept != b.drift.names.end()) return kept->second;
  if (b.settings)
    if (auto named = b.settings->column_names.find(column); named != b.settings->column_names.end()) return named->second;
  return column;
}

// What the destination kept of a column follows it to its new source name.
void FollowRename(sink::DestinationDrift& d, const std::string& from, const std::string& to) {
  if (d.absent.erase(from)) d.absent.insert(to);
  if (auto it = d.definitions.find(from); it != d.definitions.end()) {
    d.definitions[to] = it->second;
    d.definitions.erase(from);
  }
}

void ForgetColumn(sink::DestinationDrift& d, const std::string& column) {
  d.absent.erase(column);
  d.names.erase(column);
  d.definitions.erase(column);
}

}  // namespace

sink::TableBinding DdlApplier::StatementPlan::Rebind(const TableSchema& schema, const sink::TableBinding* from) {
  sink::TableBinding b = BindTable(*a_.spec_, schema);
  if (from) ApplyDrift(b, from->drift);
  return b;
}

Status DdlApplier::StatementPlan::IgnoreRename(const SchemaChange& change, const sink::TableBinding& bound,
                                               const std::string& old_name) {
  const std::string name = QualifiedTableName(change.db, change.table);
  working_.erase(old_name);
  std::string effect = "keeps its rows and is no longer synced (" + name + " is outside source.tables)";
  if (config::IsTableSelected(a_.spec_->source, change.db, change.table)) {
    if (!change.schema) return Status::Internal("renamed table " + name + " has no tracked definition");
    sink::TableBinding after = Rebind(*change.schema, &bound);
    sink::DestinationDrift& d = after.drift;
    const sink::TableBinding mapped = BindTable(*a_.spec_, *change.schema);
    // Renamed back to a name the mapping sends there: nothing is kept any more.
    bool mapped_there = mapped.dest_schema == bound.dest_schema && mapped.dest_table == bound.dest_table;
    d.kept_schema = mapped_there ? "" : bound.dest_schema;
    d.kept_table = mapped_there ? "" : bound.dest_table;
    after.dest_schema = bound.dest_schema;
    after.dest_table = bound.dest_table;
    SYNC_RETURN_IF_ERROR(CheckNotShared(after));
    working_[name] = Own(std::move(after));
    effect = "keeps its name and takes " + name + "'s rows";
  }
  a_.log_.Warn("ignoring rename_table of " + old_name + " to " + name + " at " + position_.ToString() +
               " (ddl.rename_table: ignore): the destination table " + Destination(bound) + " " + effect);
  a_.progress_.RecordDdl("ignored", position_.ToString(), "rename_table of " + old_name + " to " + name + " (ddl.rename_table: ignore)");
  return Status::Ok();
}

Status DdlApplier::StatementPlan::CheckNotShared(const sink::TableBinding& b) const {
  for (const auto& [name, other] : working_) {
    if (name == b.SourceName() || Destination(*other) != Destination(b)) continue;
    if (other->drift.kept_table.empty() && b.drift.kept_table.empty()) continue;  // mapped there (shards merge)
    const sink::TableBinding& keeper = other->drift.kept_table.empty() ? b : *other;
    return Status::FailedPrecondition(
        "source DDL at " + position_.ToString() + " would sync " + b.SourceName() + " and " + other->SourceName() +
        " into one destination table, " + Destination(b) + ", which " + keeper.SourceName() + " kept when its "
        "rename was ignored (ddl.rename_table: ignore); a table renamed and then replaced by another (online schema "
        "change tools do this) needs ddl.rename_table: normal. Set it with sync apply, then re-run these tables: "
        "sync start --rerun " + b.SourceName() + "," + other->SourceName());
  }
  return Status::Ok();
}

Status DdlApplier::StatementPlan::IgnoreColumnChange(const SchemaChange& change, const sink::TableBinding& bound) {
  const std::string name = QualifiedTableName(change.db, change.table);
  if (!change.schema) return Status::Internal("changed table " + name + " has no tracked definition");
  sink::TableBinding after = Rebind(*change.schema, &bound);
  sink::DestinationDrift& d = after.drift;
  const std::string kind = SchemaChangeKindName(change.kind);
  std::string effect;
  switch (change.kind) {
    case SchemaChangeKind::kColumnAdded:
      d.absent.insert(change.column);
      effect = "does not get column " + change.column + ", whose values are left out of its rows";
      break;
    case SchemaChangeKind::kColumnDropped:
      effect = "keeps column " + DestinationColumnName(bound, change.column) + ", which rows written from now on "
               "leave NULL (or its default)";
      ForgetColumn(d, change.column);
      break;
    case SchemaChangeKind::kColumnRenamed:
      d.names[change.column] = DestinationColumnName(bound, change.old_column);
      d.names.erase(change.old_column);
      FollowRename(d, change.old_column, change.column);
      effect = "keeps column " + d.names[change.column] + " under that name, and it takes " + change.column + "'s values";
      break;
    case SchemaChangeKind::kColumnModified:
      if (!d.definitions.count(change.column) && change.before) d.definitions[change.column] = *change.before;
      effect = "keeps column " + DestinationColumnName(bound, change.column) + " as it was; values are converted "
               "to it (one it cannot hold stops the task naming the row)";
      break;
    default:
      return Status::Internal("IgnoreColumnChange of " + kind);
  }
  a_.log_.Warn("ignoring " + kind + " of " + name + " at " + position_.ToString() + " (ddl." + kind +
               ": ignore): the destination table " + Destination(bound) + " " + effect);
  a_.progress_.RecordDdl("ignored", position_.ToString(), kind + " of " + name + " (ddl." + kind + ": ignore)");
  working_[name] = Own(std::move(after));
  return Status::Ok();
}

Result<const TableSchema*> DdlApplier::StatementPlan::SchemaOf(const SchemaChange& change) {
  if (change.schema) return &*change.schema;
  // CREATE ... SELECT in statement format, LIKE or RENAME of a table not tracked.
  SYNC_RETURN_IF_ERROR(a_.history_->Reload(change.db, change.table)
                           .WithContext("reading the definition of " + QualifiedTableName(change.db, change.table) + " at " +
                                        position_.ToString()));
  const TableSchema* schema = a_.history_->Find(change.db, change.table);
  if (!schema) return Status::Internal("table " + QualifiedTableName(change.db, change.table) + " is not tracked after a reload");
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
  SYNC_RETURN_IF_ERROR(CheckNotShared(*b));
  SchemaChange created = change;
  created.kind = SchemaChangeKind::kTableCreated;
  created.schema = *schema;
  // A destination table of that name that no bound table writes to was left
  // behind by a table that left the task: the new table replaces it.
  bool replace = !DestinationHeld(Destination(*b));
  steps_.push_back({created, b, nullptr, std::nullopt, replace});
  if (entering) {
    entering_.push_back(b);
    a_.log_.Info("table " + QualifiedTableName(change.db, change.table) + " entered the task (" + (change.old_table.empty() ? "created" : "renamed from " + QualifiedTableName(change.old_db, change.old_table)) +
                 ") at " + position_.ToString() + ": it is copied to " + Destination(*b) + " while the others stream on");
  } else {
    working_[b->SourceName()] = b;
  }
  return Status::Ok();
}

Status DdlApplier::StatementPlan::Renamed(const SchemaChange& change, const sink::TableBinding* from,
                                          const std::string& old_name) {
  const std::string name = QualifiedTableName(change.db, change.table);
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
    sink::TableBinding renamed = Rebind(*change.schema, from);
    // Renamed at the destination too: the name an ignored rename kept goes.
    renamed.drift.kept_schema.clear();
    renamed.drift.kept_table.clear();
    const sink::TableBinding mapped = BindTable(*a_.spec_, *change.schema);
    renamed.dest_schema = mapped.dest_schema;
    renamed.dest_table = mapped.dest_table;
    SYNC_RETURN_IF_ERROR(CheckNotShared(renamed));
    const sink::TableBinding* to = Own(std::move(renamed));
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
  const std::string name = QualifiedTableName(change.db, change.table);
  const bool renamed = change.kind == SchemaChangeKind::kTableRenamed;
  const std::string old_name = renamed ? QualifiedTableName(change.old_db, change.old_table) : name;
  auto bound_it = working_.find(old_name);
  const sink::TableBinding* bound = bound_it == working_.end() ? nullptr : bound_it->second;
  bool selected = config::IsTableSelected(a_.spec_->source, change.db, change.table);
  if (!bound && !selected && !moved_.count(old_name)) return Status::Ok();  // not the task's
  if (copying_.count(old_name))
    return Status::Internal("DDL on " + old_name + " at " + position_.ToString() + " while it is being copied");
  touched_ = true;

  std::string kind = SchemaChangeKindName(change.kind);
  auto policy_it = a_.spec_->ddl.find(kind);
  config::DdlPolicy policy = policy_it == a_.spec_->ddl.end() ? config::DdlPolicy::kNormal : policy_it->second;
  if (policy == config::DdlPolicy::kError)
    return Status::FailedPrecondition("source DDL (" + kind + ") on " + name + " at " + position_.ToString() +
                                      " and ddl." + kind + " is error: the task stops here. Change the policy or "
                                      "the destination by hand, then start the task again");
  if (policy == config::DdlPolicy::kAlert) {
    a_.log_.Warn("ALERT: source DDL (" + kind + ") on " + name + " at " + position_.ToString());
    a_.progress_.RecordDdl("warning", position_.ToString(), kind + " of " + name + " (ddl." + kind + ": alert; applied)");
    RaiseAlert(a_.progress_, {"ddl_notice", "warning",
                              "source DDL (" + kind + ") on " + name + " at " + position_.ToString() +
                                  ", applied as ddl." + kind + ": alert says (as normal)",
                              name, {{"ddl", kind}, {"table", name}, {"position", position_.ToString()}}});
  }
  if (policy == config::DdlPolicy::kIgnore && change.kind == SchemaChangeKind::kTableCreated && !bound) {
    if (!selected) return Status::Ok();
    a_.log_.Warn("ignoring create_table of " + name + " at " + position_.ToString() + " (ddl.create_table: "
                 "ignore): it is not created at the destination, and its rows are not synced");
    a_.progress_.RecordDdl("ignored", position_.ToString(), "create_table of " + name + " (ddl.create_table: ignore)");
    a_.ignored_tables_.insert(name);  // a restart must not take it for a table to copy
    return Status::Ok();
  }
  if (policy == config::DdlPolicy::kIgnore && bound && IsColumnChange(change.kind)) return IgnoreColumnChange(change, *bound);
  if (policy == config::DdlPolicy::kIgnore && bound && change.kind == SchemaChangeKind::kTableRenamed && !moved_.count(old_name)) {
    FlushKeys();
    return IgnoreRename(change, *bound, old_name);
  }
  if (policy == config::DdlPolicy::kIgnore && bound &&
      (change.kind == SchemaChangeKind::kTableDropped || change.kind == SchemaChangeKind::kTableTruncated)) {
    a_.log_.Warn("ignoring " + kind + " of " + name + " at " + position_.ToString() + " (ddl." + kind +
                 ": ignore): the destination table " + Destination(*bound) + " keeps " +
                 (change.kind == SchemaChangeKind::kTableDropped ? "its rows and is no longer synced" : "its rows"));
    a_.progress_.RecordDdl("ignored", position_.ToString(), kind + " of " + name + " (ddl." + kind + ": ignore)");
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
      working_[name] = Own(Rebind(*change.schema, bound));
      pending_keys_[name] = change;
      return Status::Ok();
    default: {
      if (!bound) return Status::Ok();
      if (!change.schema) return Status::Internal("changed table " + name + " has no tracked definition");
      sink::TableBinding rebound = Rebind(*change.schema, bound);
      if (change.kind == SchemaChangeKind::kColumnRenamed) FollowRename(rebound.drift, change.old_column, change.column);
      if (change.kind == SchemaChangeKind::kColumnDropped) ForgetColumn(rebound.drift, change.column);
      const sink::TableBinding* after = Own(std::move(rebound));
      Step(change, after, bound);
      if (change.kind == SchemaChangeKind::kColumnAdded) {
        SYNC_ASSIGN_OR_RETURN(steps_.back().fill, a_.AddedColumnFill(change, source_));
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
    a_.progress_.RecordDdl("warning", position_.ToString(), "rename_table of " + m.original->SourceName() + " to " + name + ", outside source.tables: no longer synced");
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

}  // namespace dbsync::pipeline
