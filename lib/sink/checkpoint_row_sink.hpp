#pragma once
// The real-time bookkeeping of a mode (b) sink (sink.hpp) that keeps it in
// one checkpoint row at the destination (StarRocks, MaxCompute): the row is
// read once and kept, changed in memory and written whole by `Store`, so the
// position, the loads of the last batch, the table positions and the last
// DDL move together.
//
// A subclass writes its loads (LoadChanges, for a batch or a piece of one)
// and applies a batch (ApplyBatchOnce); a failure of either abandons the
// loads begun (Abandon), and the row is read afresh before its next use.
//
// Row needs members `table_positions` (map of name to BinlogPosition) and
// `last_ddl` (optional BinlogPosition); Store needs
// Result<std::optional<Row>> LoadCheckpoint() and Status SaveCheckpoint(const Row&).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sink/sink.hpp"

namespace dbsync::sink {

template <class Row, class Store>
class CheckpointRowSink : public Sink {
 public:
  Status ApplyBatch(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                    const TablePositions& tables) final {
    Status s = ApplyBatchOnce(changes, position, tables);
    if (!s.ok()) AbandonBatch();
    return s;
  }

  Status ApplyPartial(const std::vector<TableChanges>& changes) final {
    Status s = LoadChanges(changes);
    if (!s.ok()) AbandonBatch();
    return s;
  }

  Result<std::optional<BinlogPosition>> LastAppliedDdl() final {
    SYNC_RETURN_IF_ERROR(EnsureRow());
    return row_.last_ddl;
  }

  Result<std::map<std::string, BinlogPosition>> LoadTablePositions() final {
    SYNC_RETURN_IF_ERROR(EnsureRow());
    return row_.table_positions;
  }

  Status SaveTablePositions(const TablePositions& positions) final {
    SYNC_RETURN_IF_ERROR(EnsureRow());
    Record(positions);
    return store_.SaveCheckpoint(row_);
  }

 protected:
  // `store` may be a member of the subclass: it is used only after construction.
  explicit CheckpointRowSink(Store& store) : store_(store) {}

  virtual Status LoadChanges(const std::vector<TableChanges>& changes) = 0;
  virtual Status ApplyBatchOnce(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                                const TablePositions& tables) = 0;
  // Gives up the loads begun for the batch (best effort).
  virtual void Abandon() = 0;

  Status EnsureRow() {
    if (row_loaded_) return Status::Ok();
    SYNC_ASSIGN_OR_RETURN(auto row, store_.LoadCheckpoint());
    row_ = row ? std::move(*row) : Row{};
    row_loaded_ = true;
    return Status::Ok();
  }

  // Takes the row LoadCheckpoint read as the one kept.
  void Adopt(Row row) {
    row_ = std::move(row);
    row_loaded_ = true;
  }

  void Record(const TablePositions& positions) {
    for (const auto& [name, p] : positions.save) row_.table_positions[name] = p;
    for (const auto& name : positions.erase) row_.table_positions.erase(name);
  }

  // Records that the DDL statement at `position` is applied.
  Status RecordDdl(const BinlogPosition& position) {
    SYNC_RETURN_IF_ERROR(EnsureRow());
    row_.last_ddl = position;
    return store_.SaveCheckpoint(row_);
  }

  Row row_;

 private:
  void AbandonBatch() {
    Abandon();
    row_loaded_ = false;
  }

  Store& store_;
  bool row_loaded_ = false;
};

}  // namespace dbsync::sink
