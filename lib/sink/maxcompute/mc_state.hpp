#pragma once
// The task's bookkeeping in a MaxCompute project: two Delta tables, written
// with SQL instances (INSERT INTO a Delta table replaces the row of its key,
// so one statement is one atomic write of one row):
//
//   sync_state_checkpoints  one row per task: a JSON document with the
//                           checkpoint, the position before it, the upsert
//                           sessions of the batch that reached it (committed
//                           after the row is written), table positions of
//                           added tables catching up, the last DDL applied.
//   sync_state_chunks       one row per snapshot chunk: its upload session
//                           and state (loading -> committing -> done) and
//                           snapshot position.
//
// A SQL instance takes seconds on the service, so the sink writes the
// checkpoint row once per batch and a chunk row twice per chunk, never per row.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "sink/crash_point.hpp"
#include "sink/maxcompute/mc_client.hpp"

namespace dbsync::maxcompute {

// A session of one destination table holding a batch's rows: an upsert
// session (write_mode upsert) or a batch upload session of blocks
// 0..blocks-1 (write_mode log).
struct SessionRef {
  std::string table, id;
  std::string source;  // the source table, db.table
  bool upload = false;
  int64_t blocks = 0;
  std::string partition;  // "column=value" of a partitioned table (mc_partitions.hpp)
  bool operator==(const SessionRef&) const = default;
};

struct CheckpointRow {
  BinlogPosition position;  // empty: no batch applied yet
  BinlogPosition previous;  // the checkpoint before the batch of `commit`
  std::vector<SessionRef> commit;  // sessions the checkpoint includes, committed after it is written
  // The _sequence_id_ of the next change-log record (mc_change_log.hpp):
  // every record committed has a smaller one, so none is used twice.
  int64_t next_sequence = 1;
  std::map<std::string, BinlogPosition> table_positions;
  std::optional<BinlogPosition> last_ddl;
};

// One upload session of a chunk of a partitioned table: the chunk's rows of
// one partition.
struct PartitionUpload {
  std::string partition;  // "column=value"
  std::string session;
  int64_t blocks = 0;
  bool operator==(const PartitionUpload&) const = default;
};

struct ChunkRow {
  int index = 0;
  // loading: blocks are being sent, no commit was asked for, so the session
  // can never become visible; committing: every block is there and a commit
  // may be on its way; done.
  std::string state;
  std::string session;  // the chunk's upload session
  BinlogPosition position;
  int64_t blocks = 0;  // committing: the blocks 0..blocks-1 the commit names
  // A partitioned table's chunk has a session per partition instead, named
  // once the chunk is committing.
  std::vector<PartitionUpload> partitions;
};

class StateStore {
 public:
  StateStore(const Client& client, std::string task_id) : client_(client), task_id_(std::move(task_id)) {}

  // Creates the two tables when missing (once per store).
  Status Ensure();

  Result<std::optional<CheckpointRow>> LoadCheckpoint();
  Status SaveCheckpoint(const CheckpointRow& row);

  Result<std::vector<ChunkRow>> Chunks(const std::string& table);
  Status SaveChunk(const std::string& table, const ChunkRow& row);
  Status EraseChunk(const std::string& table, int index);
  Status EraseChunks(const std::string& table);

  // Deletes every row of the task.
  Status Forget();

 private:
  Status Run(const std::string& sql);
  Result<std::vector<std::vector<std::optional<std::string>>>> Select(const std::string& sql);

  const Client& client_;
  std::string task_id_;
  bool ensured_ = false;
};

// A MaxCompute string literal: single quotes, backslash escapes.
std::string QuoteLiteral(std::string_view text);
// `name` in backquotes, for MaxCompute SQL.
std::string QuoteName(std::string_view name);

// The rows of a SELECT's CSV result (specs/maxcompute.md 2.2): the header
// row dropped, quoted cells unquoted, \N as NULL.
std::vector<std::vector<std::optional<std::string>>> ParseCsvResult(const std::string& text);

using sink::CrashPoint;

}  // namespace dbsync::maxcompute
