#pragma once
// The in-memory reference sink: the Sink contract (sink.hpp) with nothing
// else in the way, so the pipeline can be tested without servers and the
// conformance suite (tests/conformance/) has a destination whose every state
// it can see.
//
// A MemoryStore plays the destination server: it outlives the sinks opened on
// it, so "kill the worker, open a new sink" is a new MemorySink on the same
// store, which sees exactly what was committed. Each sink call that commits
// works on a copy of the store's state and swaps it in at its end, so a
// failure (injected or not) leaves no trace, as a rolled-back transaction.
//
// Either exactly-once mode can be chosen (registry.hpp ExactlyOnce):
//  - kTransactional: a batch's rows of every table, its table positions and
//    its checkpoint commit in one step; pieces (ApplyPartial) stay in an open
//    transaction that the next ApplyBatch commits or a new sink discards.
//  - kPerTableLoads: each table's rows of a batch are a load with an id made of
//    the task, the table and the batch's source range (from the previous
//    batch's position, or the checkpoint, to this one's). Every load is prepared,
//    then each commits on its own, then the checkpoint. A load whose id was
//    committed before is answered "already loaded" and not applied again; a
//    replay of a batch cut at other positions re-applies changes whose
//    effect is already there, which keyed full-image upserts make harmless.
//    Tables need a key (PrepareTable refuses a keyless one). Pieces are
//    prepared loads that commit with the batch that ends their transaction.
//
// Thread-safe: the store is locked per call, so full initialization may open
// one sink per reader thread.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sink/registry.hpp"
#include "sink/sink.hpp"

namespace dbsync::sink::memory {

// A destination table: its columns (destination order), key and rows.
struct MemoryTable {
  std::vector<ColumnSchema> columns;
  std::vector<std::string> key;  // column names; empty for a keyless table
  std::vector<std::vector<Value>> rows;
  int ColumnIndex(const std::string& name) const;
};

class MemoryStore {
 public:
  // What a test reads back. Tables by "schema.table".
  std::map<std::string, MemoryTable> Tables() const;
  std::optional<MemoryTable> Table(const std::string& schema, const std::string& table) const;
  // Committed loads (kPerTableLoads), and how many loads were answered "already loaded".
  size_t committed_loads() const;
  size_t duplicate_loads() const;

  // Fault injection: the `nth` call (1-based, counted from now) of a sink
  // operation named `op` ("ApplyBatch", "ApplyPartial", "ChunkCommit",
  // "ApplySchemaChanges", "PrepareTable", "LoadCommit") fails with
  // kUnavailable before it changes anything. "LoadCommit" counts the commits
  // of single loads in kPerTableLoads mode: failing the second one leaves the
  // first table's load committed and the checkpoint where it was, the state a
  // crash between two commits leaves.
  void FailNth(const std::string& op, int nth);

  // For the sinks on this store.
  struct TaskBook {
    std::optional<BinlogPosition> checkpoint, ddl_applied;
    std::map<std::string, std::map<int, BinlogPosition>> chunks;  // by source table
    std::map<std::string, BinlogPosition> table_positions;
  };
  struct State {
    std::map<std::string, MemoryTable> tables;
    std::map<std::string, TaskBook> books;  // by task id
    std::set<std::string> loads;            // committed load ids
    size_t duplicate_loads = 0;
  };
  // Runs `change` on a copy of the state and keeps it when it returns OK.
  Status Commit(const std::string& op, const std::function<Status(State&)>& change);
  State Snapshot() const;

 private:
  Status Injected(const std::string& op);  // with mu_ held

  mutable std::mutex mu_;
  State state_;
  std::map<std::string, int> fail_in_;  // op -> calls until it fails
};

class MemorySink : public Sink {
 public:
  MemorySink(std::shared_ptr<MemoryStore> store, std::string task_id,
             ExactlyOnce mode = ExactlyOnce::kTransactional);

  Status PrepareTable(const TableBinding& table) override;
  Status ResetTable(const TableBinding& table) override;
  Status DropTable(const TableBinding& table) override;
  Result<std::map<int, BinlogPosition>> CompletedChunks(const TableBinding& table) override;
  Result<std::unique_ptr<ChunkWriter>> OpenChunk(const TableBinding& table, int chunk_index,
                                                 const BinlogPosition& snapshot_position) override;
  Status ApplyBatch(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                    const TablePositions& tables = {}) override;
  Status ApplyPartial(const std::vector<TableChanges>& changes) override;
  Status ApplySchemaChanges(const std::vector<SchemaChangeStep>& steps, const BinlogPosition& ddl_position) override;
  Result<std::optional<BinlogPosition>> LastAppliedDdl() override;
  Status FillAddedColumn(const TableBinding& table, const std::string& column, const Value& value) override;
  Result<std::optional<BinlogPosition>> LoadCheckpoint() override;
  Result<std::map<std::string, BinlogPosition>> LoadTablePositions() override;
  Status SaveTablePositions(const TablePositions& positions) override;
  Status ForgetTask() override;

 private:
  Status ApplyPerTableLoads(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                            const TablePositions& tables);

  std::shared_ptr<MemoryStore> store_;
  std::string task_id_;
  ExactlyOnce mode_;
  // Pieces of a large source transaction: applied to the store only by the
  // ApplyBatch that ends it, so a sink dropped before that leaves no trace.
  std::vector<TableChanges> pieces_;
  // kPerTableLoads: where the previous batch ended (the start of the next
  // batch's range); read from the checkpoint when the sink opens.
  std::optional<BinlogPosition> previous_;
};

// Applies row changes to a table as a destination would: by key when the
// table has one (an insert of an existing key replaces it), else a delete or
// update removes exactly one row equal to the before image. Values are
// matched by column name, so the table's column order may differ.
Status ApplyRowChanges(MemoryTable& table, const TableBinding& binding, const std::vector<RowChange>& rows);

}  // namespace dbsync::sink::memory
