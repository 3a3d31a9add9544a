#pragma once
// A Sink in front of another that gives the destination each table as the
// task's tables[] settings shape it (TableShape: DML policies, added
// columns), so every destination gets the feature the same way and no
// destination knows about it. OpenSink puts it in front of every sink when
// the spec has dml or extra_fields; tables without them pass through untouched.
//
// The inner sink sees bindings whose `source` holds the added columns after
// the source's own; they are made once per outer binding and kept for the
// life of this object, since the inner sink may keep pointers to them
// across calls (pieces of a batch).
//
// DML counts of committed batches add up in DmlCountsRegistry (one per
// worker process), which the worker's status reports per table.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sink/shaping/table_shape.hpp"
#include "sink/sink.hpp"

namespace dbsync::sink {

// Per source table ("db.table") counts since the worker started.
class DmlCountsRegistry {
 public:
  static DmlCountsRegistry& Instance();
  void Add(const std::string& table, const DmlCounts& counts);
  std::map<std::string, DmlCounts> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, DmlCounts> counts_;
};

// What the variables of added fields stand for, for `table` of `spec`.
ShapeNames ShapeNamesOf(const config::TaskSpec& spec, const TableBinding& table);

// Whether any tables[] entry of `spec` shapes rows (dml, extra_fields, ...),
// or its ddl policies may ignore column changes.
bool SpecShapesRows(const config::TaskSpec& spec);

class ShapingSink : public Sink {
 public:
  // `spec` must outlive the sink.
  ShapingSink(std::unique_ptr<Sink> inner, const config::TaskSpec& spec);

  Status PrepareTable(const TableBinding& table) override;
  Status ResetTable(const TableBinding& table) override;
  Status DropKeyForLoad(const TableBinding& table) override;
  Result<std::vector<std::string>> BuildKeys(const std::vector<const TableBinding*>& tables) override;
  Status DropTable(const TableBinding& table) override;
  Result<std::map<int, BinlogPosition>> CompletedChunks(const TableBinding& table) override;
  Result<std::unique_ptr<ChunkWriter>> OpenChunk(const TableBinding& table, int chunk_index,
                                                 const BinlogPosition& snapshot_position) override;
  Status ApplyBatch(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                    const TablePositions& tables = {}) override;
  Status ApplyPartial(const std::vector<TableChanges>& changes) override;
  Status ApplySchemaChanges(const std::vector<SchemaChangeStep>& steps, const BinlogPosition& ddl_position) override;
  Result<std::optional<BinlogPosition>> LastAppliedDdl() override { return inner_->LastAppliedDdl(); }
  Status FillAddedColumn(const TableBinding& table, const std::string& column, const Value& value) override;
  Result<std::optional<BinlogPosition>> LoadCheckpoint() override { return inner_->LoadCheckpoint(); }
  Result<std::map<std::string, BinlogPosition>> LoadTablePositions() override { return inner_->LoadTablePositions(); }
  Status SaveTablePositions(const TablePositions& positions) override { return inner_->SaveTablePositions(positions); }
  Status ForgetTask() override { return inner_->ForgetTask(); }

 private:
  struct Known {
    TableBinding outer;  // as it was when the shape was made
    std::shared_ptr<const TableShape> shape;
  };
  Result<const TableShape*> ShapeOf(const TableBinding& outer);
  // The changes as the inner sink takes them, and the counts they make.
  Status Shape(const std::vector<TableChanges>& in, std::vector<TableChanges>* out,
               std::map<std::string, DmlCounts>* counts);

  std::unique_ptr<Sink> inner_;
  const config::TaskSpec* spec_;
  std::map<const TableBinding*, Known> known_;
  std::vector<std::shared_ptr<const TableShape>> kept_;  // every shape made, for the inner sink's pointers
  std::map<std::string, DmlCounts> staged_counts_;       // of pieces, counted when their batch commits
};

}  // namespace dbsync::sink
