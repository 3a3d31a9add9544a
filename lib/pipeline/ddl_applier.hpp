#pragma once
// Source DDL in the binlog, applied to the tracked schemas, the task's table
// bindings and the destination, one statement at a time, under the task's
// ddl policies:
//   normal  apply at the destination;
//   alert   log a warning, then apply;
//   error   stop the task with an error naming the statement;
//   ignore  leave the destination as it is: a dropped or truncated table
//           keeps its rows, a created table is not synced, and a column
//           change leaves the binding's DestinationDrift (the destination
//           lacks an added column, keeps a dropped one, a renamed column's
//           name, a modified column's type), saved with the schema state;
//           refused for rename_table, whose rows would have no place.
//
// A statement's changes are applied as the server applies them: a multi-table
// RENAME left to right, each pair seeing the names the previous ones made
// (swaps and rotations through names that exist only inside the statement),
// all of them in one destination transaction (Sink::ApplySchemaChanges).
// Tables and the selection:
//   - a table created under a selected name is created at the destination
//     (CREATE TABLE, ... LIKE, ... SELECT whose rows follow in the same
//     transaction, OR REPLACE, IF NOT EXISTS);
//   - a bound table renamed to a selected name is renamed at the destination;
//   - a bound table renamed out of the selection stops being synced; its
//     destination table stays (WARN), unless a table that enters takes its
//     destination name, which replaces it;
//   - a table renamed into the selection enters the task: its destination
//     table is created afresh and it is returned in DdlOutcome::to_copy, to be
//     copied while the others stream (the swap of an online schema change
//     tool on a task that does not follow the shadow table).
// Nothing is dropped silently: a change the task cannot follow is an error
// with the statement, its position and what to do; one a policy skips is a
// WARN and counted in Progress (ddl_ignored).
//
// First start: the definitions are read from the catalog when real-time sync
// begins, after the copy, while the binlog is read from the oldest snapshot.
// The copied tables keep the definitions they were copied with (Reconcile),
// so a DDL on them in between is applied as usual; a CREATE or RENAME TABLE in
// between, or a DDL on a table copied later, is recognised as already read
// (and a new table copied). Known limit: a DDL on a copied table after its
// tables were listed but before its own snapshot is in neither, and stops the
// task when a row or a later DDL disagrees (re-run its full initialization).
//
// Crash safety: the destination records each applied statement with its
// effects (LastAppliedDdl), then the tracked state is saved to schema.json
// (schema_state.hpp). A restart replays statements after the saved state: one
// the destination has already is applied to the tracker only.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/logger.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/schema_state.hpp"
#include "sink/sink.hpp"
#include "source/source.hpp"

namespace dbsync::pipeline {

using Bindings = std::map<std::string, std::unique_ptr<sink::TableBinding>>;

// What the caller must do after a statement.
struct DdlOutcome {
  // Tables that entered the task: migrated (an empty destination table, no
  // chunk records), to be copied while the others stream, then caught up.
  std::vector<sink::TableBinding> to_copy;
};

class DdlApplier {
 public:
  // Loads the schema history: from `saved` (schema.json) when there is one,
  // else from the source's catalog.
  static Result<std::unique_ptr<DdlApplier>> Create(const config::TaskSpec& spec, source::Source& source,
                                                    std::string schema_file, Logger& log, Progress& progress);

  // Applies one DDL statement committed at `position`. `bindings` is updated
  // (tables created, dropped, renamed, changed or gone); `copying` are the
  // tables being copied (not in `bindings`), to which tables that enter are
  // added. Call with every earlier change applied at the destination.
  Result<DdlOutcome> Apply(const std::string& default_db, const std::string& sql, const BinlogPosition& position,
                           Bindings& bindings, std::set<std::string>& copying, sink::Sink& sink,
                           source::Source& source);
  // Saves the tracked state with the current bindings and copies (after a
  // copy starts or ends).
  Status SaveState(const Bindings& bindings, const std::set<std::string>& copying);
  // The source's binlog is another server's now: the destination's record of
  // the last DDL applied names a position of the old one, which says nothing
  // about the new one's (a statement met from now on is new: the stream
  // resumed right after the checkpoint).
  void ForgetAppliedPosition() {
    dest_applied_.reset();
    dest_applied_loaded_ = true;
  }
  // `sync apply`: from now on the task's spec is `spec` (which must outlive
  // this), whose selection may reach into more databases.
  Status Follow(const config::TaskSpec& spec);
  // The tracked definition of a table, for decoding.
  const TableSchema* Find(const std::string& db, const std::string& table) const { return history_->Find(db, table); }
  // Makes the bound tables' definitions and the tracker's one. From a saved
  // state, the bindings take the tracker's (as of the checkpoint). Read from
  // the catalog (a first start), the tracker takes the bindings': they are
  // what the destination tables were made from, before the copy, and the
  // binlog is read from the oldest snapshot on, so a DDL since then applies
  // to them; the catalog may already show its effect.
  void Reconcile(Bindings& bindings);
  // Tables the definitions read from the source's catalog show selected but
  // that neither `bindings` nor `copying` hold: created while the first full
  // initialization ran, after the tables were listed, and before the
  // binlog's start (their CREATE is never read). Empty when the tracker comes
  // from a saved state, which is exact.

  std::vector<sink::TableBinding> UnboundSelected(const Bindings& bindings, const std::set<std::string>& copying) const;
  // Whether the definitions were read from the source's catalog (a first
  // start) rather than from a saved state.
  bool from_catalog() const { return from_catalog_; }

  DdlApplier(const config::TaskSpec& spec, std::unique_ptr<source::SchemaHistory> history, std::string schema_file,
             Logger& log, Progress& progress)
      : spec_(&spec), history_(std::move(history)), schema_file_(std::move(schema_file)), log_(log), progress_(progress) {}

 private:
  class StatementPlan;
  Result<std::optional<Value>> AddedColumnFill(const SchemaChange& change, source::Source& source);

  const config::TaskSpec* spec_;
  std::unique_ptr<source::SchemaHistory> history_;
  std::string schema_file_;
  BinlogPosition saved_position_;  // of the saved state: DDL up to here is applied
  // Where the binlog ended once the definitions were read from the catalog: a
  // CREATE or RENAME TABLE replayed from before it whose table is already
  // there was read with them.
  BinlogPosition catalog_position_;
  bool from_catalog_ = false;  // the tracker was read from the catalog, not from a saved state
  std::set<std::string> ignored_tables_;  // created under ddl.create_table: ignore, never bound (SchemaState::ignored)
  bool legacy_state_ = false;  // overlaid with a schema.json written before it held the whole state
  // From the catalog: the tables bound when it was read. A DDL replayed from
  // before catalog_position_ that contradicts the catalog on other tables
  // (copied after it was read, or not bound) is already in their definitions.
  std::set<std::string> bound_at_catalog_;
  std::optional<BinlogPosition> dest_applied_;  // the destination's record (LastAppliedDdl), read once
  bool dest_applied_loaded_ = false;
  Logger& log_;
  Progress& progress_;
};

// The database patterns of source.tables: every table of those databases is
// tracked, so tables renamed into the selection (online schema change tools)
// are known before they enter.
std::vector<std::string> TrackedDatabasePatterns(const config::TaskSpec& spec);

}  // namespace dbsync::pipeline
