#pragma once
// The snapshot half of the source: reads selected tables in primary-key chunks,
// each chunk inside a consistent-snapshot transaction whose binlog position is
// known, so that the binlog can take over without losing or doubling a change.
//
// Positions. On MariaDB the position is exact and lock-free: START TRANSACTION
// WITH CONSISTENT SNAPSHOT plus the Binlog_snapshot_file/position status
// variables. On MySQL, which has no such variables, a chunk of a table with a
// primary key records the binlog position read *before* its snapshot began
// (a low watermark: every change before it is in the chunk, changes after it
// may also be, and replaying them as upserts is idempotent); a table without a
// primary key needs an exact position and takes FLUSH TABLES WITH READ LOCK for
// the instant the snapshot starts (needs the RELOAD privilege).
//
// Chunks. A table with a primary key is split into ranges of about
// `rows_per_chunk` rows, `(lower, upper]` on the key: a unique integer key
// that is dense enough by cutting [MIN, MAX] into equal steps of values (the
// way Flink CDC splits "evenly distributed" keys), any other key by walking
// it (`LIMIT 1 OFFSET rows_per_chunk - 1` per chunk); chunks are independent,
// so they can be read in parallel by several readers and a crash resumes at
// the first unfinished chunk. A table without a primary key is one chunk.
//
// Thread-compatible: one reader per thread (each owns one connection).

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "net/mysql_client.hpp"
#include "source/mysql/row_reader.hpp"
#include "source/source.hpp"

namespace dbsync::mysql {

// The current end of the source's binlog (SHOW MASTER STATUS), file and
// offset only.
Result<BinlogPosition> BinlogEnd(Connection& conn);

// Chunk bounds are key values as SQL literals, one per key column.
using SnapshotChunk = source::Chunk;
using ChunkResult = source::ChunkResult;

class SnapshotReader {
 public:
  static Result<SnapshotReader> Open(const Endpoint& endpoint);

  // Splits the table into chunks of at most about `rows_per_chunk` rows (see
  // source::SnapshotReader::PlanChunks).
  Result<std::vector<SnapshotChunk>> PlanChunks(const TableSchema& table, uint64_t rows_per_chunk,
                                                bool key_is_unique = true);
  // Reads one chunk in its own consistent snapshot, row by row. `on_start`
  // learns the snapshot's position before the first row arrives.
  using StartCallback = std::function<Status(const BinlogPosition& position, bool exact)>;
  Result<ChunkResult> ReadChunk(const TableSchema& table, const SnapshotChunk& chunk, const RowSink& sink,
                                const StartCallback& on_start = nullptr);
  // The current end of the binlog (SHOW MASTER STATUS).
  Result<BinlogPosition> CurrentPosition();
  bool is_mariadb() const { return mariadb_; }

 private:
  // Cuts a unique integer key's value range [MIN, MAX] into steps of
  // `rows_per_chunk` values, so no chunk can hold more rows than that; one
  // query (MIN, MAX, the row estimate) instead of a walk. Nothing when the
  // keys are too sparse.
  Result<std::optional<std::vector<SnapshotChunk>>> SplitIntegerRange(const TableSchema& table,
                                                                      uint64_t rows_per_chunk);

  SnapshotReader(Connection conn, bool mariadb) : conn_(std::move(conn)), mariadb_(mariadb) {}
  Result<BinlogPosition> BeginSnapshot(bool need_exact, bool* exact);

  Connection conn_;
  bool mariadb_ = false;
};

// `(k1, k2) > (v1, v2)` spelled out so that every server uses the index:
// k1 > v1 OR (k1 = v1 AND k2 > v2). `op` is ">" or "<=".
std::string KeyCondition(const std::vector<std::string>& key, const std::vector<std::string>& literals,
                         const std::string& op);

}  // namespace dbsync::mysql
