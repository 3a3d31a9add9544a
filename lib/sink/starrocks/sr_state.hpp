#pragma once
// The task's bookkeeping at a StarRocks destination, in Primary Key tables of
// the `sync_state` database, written over the FE's query port (each write is
// one StarRocks transaction, so one row is the unit of atomicity):
//
//   checkpoints  one row per task: the checkpoint, the position before the
//                batch that reached it, the labels of that batch's prepared
//                loads (committed after the row is written), the labels of
//                loads begun since (to roll back after a crash), the table
//                positions of added tables catching up, and the last DDL
//                applied. Everything the real-time side records moves in
//                this one row, so it moves atomically.
//   chunks       one row per snapshot chunk: its label and state
//                (loading -> prepared -> done) and snapshot position.
//
// Keys stay under StarRocks' 128-byte primary key limit: tables are keyed by
// a hash of their source name, which is also stored in full.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "net/mysql_client.hpp"
#include "sink/crash_point.hpp"

namespace dbsync::starrocks {

// A Stream Load transaction: its label in a destination database and table.
struct LabelRef {
  std::string db, table, label;
  bool operator==(const LabelRef&) const = default;
};

struct CheckpointRow {
  BinlogPosition position;  // empty: no batch applied yet
  BinlogPosition previous;  // the checkpoint before the batch of `commit`
  std::vector<LabelRef> commit;   // prepared loads the checkpoint includes
  std::vector<LabelRef> pending;  // loads begun after it (rolled back on restart)
  std::map<std::string, BinlogPosition> table_positions;
  std::optional<BinlogPosition> last_ddl;
};

struct ChunkRow {
  int index = 0;
  std::string state;  // loading | prepared | done
  std::string label;
  BinlogPosition position;
};

class StateStore {
 public:
  StateStore(mysql::Connection& conn, std::string task_id, int replication_num)
      : conn_(conn), task_id_(std::move(task_id)), replication_num_(replication_num) {}

  // Creates the database and tables when missing (once per store).
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
  mysql::Connection& conn_;
  std::string task_id_;
  int replication_num_;
  bool ensured_ = false;
};

using sink::CrashPoint;

// A new label, unique to this process and moment: "sync-<task>-<random>".
std::string NewLabel(const std::string& task_id);

}  // namespace dbsync::starrocks
