#pragma once
// The Sink interface: everything the pipeline needs from a destination. One
// implementation per destination (lib/sink/<type>/, registered in
// registry.hpp), each passing the conformance suite in tests/conformance/.
//
// Full initialization writes a table chunk by chunk. A chunk's rows and the
// record that the chunk is done become durable together, so after a crash a
// chunk is either wholly there or not at all, and CompletedChunks() says which.
//
// Real-time sync hands over batches of whole source transactions with the
// source position after them (the checkpoint). Nothing is lost and nothing is
// applied twice in one of two ways, named by Traits::exactly_once:
//
// (a) kTransactional (PostgreSQL, Hologres): ApplyBatch applies the batch's
//     rows of every table and records the checkpoint in one destination
//     transaction. After a crash the destination holds every batch up to the
//     checkpoint and nothing after it; the worker resumes from
//     LoadCheckpoint(), so a replayed batch finds nothing of itself there.
//     A transaction too large for memory is applied in pieces (ApplyPartial)
//     inside one destination transaction left open until its ApplyBatch.
//
// (b) kPerTableLoads (StarRocks Stream Load, MaxCompute Tunnel sessions): a
//     destination transaction cannot span tables, so ApplyBatch makes one
//     load per table with an id derived from the task, the table and the
//     batch's source range (the previous batch's position to this one's: an
//     id names exactly one run of changes); it prepares every load, commits
//     each, and records the
//     checkpoint only after every load committed. (A destination whose loads
//     can be prepared and committed later by label, StarRocks, may instead
//     record the checkpoint with the prepared loads before committing them,
//     LoadCheckpoint finishing the commits after a crash: sr_sink.hpp.)
//     A crash between commits
//     leaves some tables ahead of the checkpoint; the replay from the
//     checkpoint then applies changes whose effect is already there. Every
//     table of such a destination has a key (Traits::needs_primary_key), and
//     a batch applies per key the last full row image (upsert) or a delete,
//     so applying a change again, or a longer run of changes ending at the same
//     place, leaves the same rows: the replay converges. A load retried with
//     the same id is answered "already loaded" and not applied again. Pieces
//     of a large transaction are loads prepared and committed by the
//     ApplyBatch that ends the transaction. Readers may see one table of a
//     batch before another; each table only ever shows a state the source had.
//
// DDL (ApplySchemaChanges) is recorded with its own position (LastAppliedDdl),
// so a statement is applied once even when the destination cannot undo it.
//
// Not thread-safe unless an implementation says so: one Sink object per
// thread (full initialization opens one per parallel reader).

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "change/change_event.hpp"
#include "change/schema_change.hpp"
#include "config/task_spec.hpp"
#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::sink {

// What ignored DDL (ddl.<kind>: ignore) left a destination table as, by
// source column: columns it lacks (an ignored add_column), the name it kept
// (rename_column) and the source definition it was made from (modify_column);
// and the table's own name when a rename_table was ignored (empty: the name
// the mapping gives). Kept in the task's schema state with the table's binding.
struct DestinationDrift {
  std::set<std::string> absent;
  std::map<std::string, std::string> names;
  std::map<std::string, ColumnSchema> definitions;
  std::string kept_schema, kept_table;
  bool empty() const { return absent.empty() && names.empty() && definitions.empty() && kept_table.empty(); }
  bool operator==(const DestinationDrift&) const = default;
};

// A source table and where it goes.
struct TableBinding {
  TableSchema source;                        // columns in source order
  std::string dest_schema;                   // destination schema (or database)
  std::string dest_table;
  std::vector<std::string> key;              // key columns (source names): the PK, or tables[].primary_key
  const config::TableSpec* settings = nullptr;  // tables[] entry that matched, if any (mode, storage, ...)
  DestinationDrift drift;
  std::string SourceName() const { return source.FullName(); }
  // tables[].mode existing: the destination table is the user's, never altered.
  bool existing() const { return settings && settings->mode == config::TableMode::kExisting; }
  // tables[].on_conflict: what a write does to a row already there with its key.
  config::ConflictPolicy on_conflict() const { return settings ? settings->on_conflict : config::ConflictPolicy::kReplace; }
};

// One row change, with full row images in source column order.
using RowChange = change::RowChange;

// Changes to one table within a batch, in source order.
struct TableChanges {
  const TableBinding* table = nullptr;
  std::vector<RowChange> rows;
};

// Bookkeeping that commits with a batch while added tables catch up (see
// Sink::LoadTablePositions).
struct TablePositions {
  bool hold_checkpoint = false;                // the checkpoint stays where it is
  std::map<std::string, BinlogPosition> save;  // entries written (an empty position: "its snapshot position")
  std::vector<std::string> erase;              // entries removed
  bool empty() const { return !hold_checkpoint && save.empty() && erase.empty(); }
};

// One destination step of a source DDL statement (Sink::ApplySchemaChanges).
struct SchemaChangeStep {
  SchemaChange change;
  const TableBinding* table = nullptr;      // after the change (before it for kTableDropped)
  const TableBinding* old_table = nullptr;  // before a rename or a column change; else nullptr
  // kColumnAdded: the value the source gave the rows already there (it wrote
  // no row events for them), written where the column is NULL.
  std::optional<Value> fill;
  // kTableCreated of a table that enters the task and is copied afresh: a
  // destination table of that name (left behind by a table that left the
  // selection) is replaced, and the table's chunk records are forgotten, so
  // the copy that follows starts from nothing.
  bool recopy = false;
};

// Writes the rows of one snapshot chunk; Commit makes rows + "chunk done" durable together.
class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  virtual Status Write(const std::vector<Value>& row) = 0;
  virtual Status Commit() = 0;  // destroying without Commit abandons the chunk
};

class Sink {
 public:
  virtual ~Sink() = default;

  // Schema migration: creates the destination schema and table for `table`
  // (mode new), or checks that an existing one fits (mode existing; never
  // altered). Idempotent: an existing table created by us is accepted as is.
  virtual Status PrepareTable(const TableBinding& table) = 0;
  // Empties the table and forgets its completed chunks (a fresh full initialization).
  virtual Status ResetTable(const TableBinding& table) = 0;
  // After ResetTable, for a table large enough to gain from it: a sink may
  // drop the table's key where the destination builds it faster once after
  // the load (sorted) than row by row during it. BuildKeys puts it back.
  virtual Status DropKeyForLoad(const TableBinding& table) {
    (void)table;
    return Status::Ok();
  }
  // Gives each listed table the key DropKeyForLoad took away (a table that
  // has it is left as it is) and returns the destination names of those it
  // built. Real-time changes need the key: full initialization calls this at
  // its end, at every start, before any change of these tables is applied,
  // so a crash between a copy's last chunk and its key is repaired by the
  // next start. Idempotent.
  virtual Result<std::vector<std::string>> BuildKeys(const std::vector<const TableBinding*>& tables) {
    (void)tables;
    return std::vector<std::string>{};
  }
  // Drops the destination table made for a copy that was given up (the
  // source table vanished before it was read) and forgets its chunks.
  // Idempotent; a mode: existing table is only forgotten, never dropped.
  virtual Status DropTable(const TableBinding& table) = 0;
  // Chunks of `table` already committed by earlier runs, with the source
  // position of the snapshot each was read at (recorded with the chunk, so a
  // crash between commit and any local bookkeeping loses nothing).
  virtual Result<std::map<int, BinlogPosition>> CompletedChunks(const TableBinding& table) = 0;
  virtual Result<std::unique_ptr<ChunkWriter>> OpenChunk(const TableBinding& table, int chunk_index,
                                                         const BinlogPosition& snapshot_position) = 0;
  // Applies the changes of whole source transactions and, in the same
  // destination transaction, records `position` as the checkpoint (unless
  // tables.hold_checkpoint) and saves and erases the entries in `tables`.
  virtual Status ApplyBatch(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                            const TablePositions& tables = {}) = 0;
  // Applies a piece of a source transaction too large to hold in memory, in
  // a destination transaction left open: the next ApplyBatch commits it with
  // its checkpoint; a crash or a dropped connection rolls it back. A sink of
  // mode (b) stages it in the batch's loads instead, and may so be given a
  // batch's whole transactions in pieces too (Traits::piece_rows).
  virtual Status ApplyPartial(const std::vector<TableChanges>& changes) = 0;
  // Applies the destination side of the source DDL statement committed at
  // `ddl_position`: `steps` in order, in one destination transaction where
  // the destination allows it, together with a record that the statement is
  // applied (LastAppliedDdl). A statement whose effects cannot be told from
  // the catalog (a swap of two names) is so applied exactly once, whatever
  // crashes. The checkpoint does not move. Tables with mode: existing are never
  // altered: a step that would alter one is kFailedPrecondition naming the
  // table and the change to make by hand.
  virtual Status ApplySchemaChanges(const std::vector<SchemaChangeStep>& steps, const BinlogPosition& ddl_position) = 0;
  // The position of the last statement ApplySchemaChanges applied, if any.
  virtual Result<std::optional<BinlogPosition>> LastAppliedDdl() = 0;
  // After a column was added: sets it to `value` in every row where it is
  // NULL. MySQL fills existing rows with the column's default without
  // writing row events, so the destination must do the same before any later
  // change is applied. `column` is in table.source.
  virtual Status FillAddedColumn(const TableBinding& table, const std::string& column, const Value& value) = 0;
  // The checkpoint last recorded by ApplyBatch, if any.
  virtual Result<std::optional<BinlogPosition>> LoadCheckpoint() = 0;

  // Per-table positions (sync_state.table_positions for PostgreSQL): tables
  // added to a running task replay the binlog from their own snapshot while
  // the checkpoint stays ahead of them (pipeline/catch_up.hpp). By source
  // table ("db.table"); an empty position means "its snapshot position" (the
  // oldest of its completed chunks).
  virtual Result<std::map<std::string, BinlogPosition>> LoadTablePositions() = 0;
  // Saves and erases entries in a transaction of their own.
  virtual Status SaveTablePositions(const TablePositions& positions) = 0;

  // Removes every record this task keeps at the destination (checkpoint,
  // chunk records, table positions, DDL record) in one step; the data tables
  // stay. `sync delete --forget-destination`.
  virtual Status ForgetTask() = 0;
};

}  // namespace dbsync::sink
