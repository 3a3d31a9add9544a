#pragma once
// DdlApplier's plan of one source DDL statement: its changes turned into
// destination steps on a copy of the task's bindings, so that nothing changes
// unless all of it applies (ddl_applier.hpp says what each change becomes).
// Private to ddl_applier.cpp and ddl_statement_plan.cpp.

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pipeline/ddl_applier.hpp"

namespace dbsync::pipeline {

// "db.table", as the bindings are keyed.
inline std::string QualifiedTableName(const std::string& db, const std::string& table) { return db + "." + table; }

// The destination steps of one statement, worked out on a copy of the
// bindings so that nothing changes unless all of it applies.
class DdlApplier::StatementPlan {
 public:
  StatementPlan(DdlApplier& applier, const BinlogPosition& position, const Bindings& bindings,
                const std::set<std::string>& copying, source::Source& source)
      : a_(applier), position_(position), copying_(copying), source_(source) {
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
  // `schema` bound afresh, with what ignored DDL left `from`'s destination table as.
  sink::TableBinding Rebind(const TableSchema& schema, const sink::TableBinding* from);
  // A column change of a bound table that ddl.<kind>: ignore keeps from the
  // destination: the binding's drift records what the destination kept.
  Status IgnoreColumnChange(const SchemaChange& change, const sink::TableBinding& bound);
  // A bound table renamed under ddl.rename_table: ignore: its destination
  // table keeps its name (the drift records it) and takes the rows.
  Status IgnoreRename(const SchemaChange& change, const sink::TableBinding& bound, const std::string& old_name);
  // kFailedPrecondition when `b` would share its destination table with
  // another table and one of the two holds it through an ignored rename.
  Status CheckNotShared(const sink::TableBinding& b) const;
  bool DestinationHeld(const std::string& destination) const;
  Status Created(const SchemaChange& change, bool entering);
  Status Renamed(const SchemaChange& change, const sink::TableBinding* from, const std::string& old_name);
  void Step(const SchemaChange& change, const sink::TableBinding* table, const sink::TableBinding* old_table) {
    steps_.push_back({change, table, old_table, std::nullopt, false});
  }

  DdlApplier& a_;
  const BinlogPosition& position_;
  const std::set<std::string>& copying_;
  source::Source& source_;
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

}  // namespace dbsync::pipeline
