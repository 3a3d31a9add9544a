#pragma once
// How a bound table is written (MappedTable) and the writers of one chunk of
// its full initialization: one batch upload session, or, for a partitioned
// table, one per partition its rows meet (mc_sink.hpp has the chunk's states).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_partitions.hpp"
#include "sink/maxcompute/mc_state.hpp"
#include "sink/maxcompute/mc_time_zone.hpp"
#include "sink/maxcompute/mc_writers.hpp"
#include "sink/sink.hpp"

namespace dbsync::maxcompute {

struct MappedTable {
  std::string table;
  WriteMode mode = WriteMode::kUpsert;
  std::vector<McColumn> columns;  // source order, then the change-log fields (mode log); never the partition column
  std::optional<Partitioning> partitioning;
};

Result<MappedTable> Map(const sink::TableBinding& t, const config::DestinationSpec& destination);

// The records of a partitioned table's sessions held unsent are kept under
// this many bytes in all: past it, the writer holding most sends its block.
inline constexpr size_t kPartitionedBufferBytes = 64 << 20;

// Writers by partition spec; the one holding most flushes when together
// they hold more than kPartitionedBufferBytes, so memory stays bounded
// however many partitions a chunk or a batch meets.
template <typename Writer>
class PartitionWriters {
 public:
  Writer* Find(const std::string& spec) {
    auto it = writers_.find(spec);
    return it == writers_.end() ? nullptr : &it->second;
  }
  Writer& Add(const std::string& spec, Writer writer) { return writers_.emplace(spec, std::move(writer)).first->second; }
  Status KeepBounded() {
    size_t total = 0;
    Writer* largest = nullptr;
    for (auto& [spec, w] : writers_) {
      total += w.buffered_bytes();
      if (!largest || w.buffered_bytes() > largest->buffered_bytes()) largest = &w;
    }
    return total > kPartitionedBufferBytes ? largest->Flush() : Status::Ok();
  }
  std::map<std::string, Writer>& all() { return writers_; }

 private:
  std::map<std::string, Writer> writers_;
};

// One chunk: one batch upload session, recorded (`loading`) before its
// first block; for a partitioned table one per partition its rows meet, each
// made with create_partition, named when the chunk is recorded `committing`
// (mc_sink.hpp has the states).
class McChunkWriter : public sink::ChunkWriter {
 public:
  McChunkWriter(const Client& client, StateStore& state, const TimeZone& zone, MappedTable table,
                sink::TableBinding binding, ChunkRow row);
  Status Begin();
  Status Write(const std::vector<Value>& row) override;
  Status Commit() override;

 private:
  Result<UploadWriter*> UploadFor(const std::string& spec);

  const Client& client_;
  StateStore& state_;
  RowEncoder encoder_;
  MappedTable table_;
  sink::TableBinding binding_;  // for a partitioned table's partition specs and messages
  ChunkRow row_;
  std::optional<LogFields> extra_;  // mode log: the fields of a row of the full initialization
  PartitionWriters<UploadWriter> uploads_;  // by partition spec; "" for an unpartitioned table
};

// The block count a chunk records for a session that is an upsert session
// (McMergingChunkWriter): committed by its id, it names no blocks.
inline constexpr int64_t kUpsertSessionBlocks = -1;

// One chunk of a mode: existing table whose on_conflict is update or ignore
// (mc_conflict.hpp): partial updates through an upsert session, one per
// partition its rows meet, recorded as McChunkWriter's sessions are (with
// kUpsertSessionBlocks). Under ignore, rows wait in groups until the table
// has been asked which of their keys it has.
class McMergingChunkWriter : public sink::ChunkWriter {
 public:
  // `make_partition` adds a partition the table does not have yet (an upsert
  // session cannot).
  using MakePartition = std::function<Status(const MappedTable& table, const std::string& spec)>;
  McMergingChunkWriter(const Client& client, StateStore& state, const TimeZone& zone, MappedTable table,
                       sink::TableBinding binding, ChunkRow row, MakePartition make_partition);
  Status Begin();
  Status Write(const std::vector<Value>& row) override;
  Status Commit() override;

 private:
  Result<UpsertWriter*> UpsertFor(const std::string& spec);
  Status Add(const std::vector<Value>& row);
  Status WriteHeld();

  const Client& client_;
  StateStore& state_;
  RowEncoder encoder_;
  MappedTable table_;
  sink::TableBinding binding_;
  ChunkRow row_;
  MakePartition make_partition_;
  std::vector<std::vector<Value>> held_;      // ignore: rows not asked about yet
  PartitionWriters<UpsertWriter> upserts_;    // by partition spec; "" for an unpartitioned table
};

}  // namespace dbsync::maxcompute
