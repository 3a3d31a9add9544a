#pragma once
// Live counters the worker's steps update and the status reporter reads.
// Atomics only: the hot paths never take a lock to report progress.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alert/alert_event.hpp"
#include "core/binlog_position.hpp"

namespace dbsync::pipeline {

// A table's step in `sync status`; the names are its "state" values there.
enum class TableState {
  kPending,     // pending: its copy has not begun
  kCopying,     // copying
  kDone,        // done: copied (or created by DDL), changes applied as they come
  kCatchingUp,  // catching_up: copied while the others streamed, replaying the binlog since its snapshot
};
const char* TableStateName(TableState state);

struct TableProgress {
  std::atomic<uint64_t> rows{0};
  // Row changes applied in real time, by operation (an update that changes
  // the key counts once, as an update).
  std::atomic<uint64_t> inserts{0}, updates{0}, deletes{0};
  std::atomic<int> chunks_done{0};
  int chunks_total = 0;
  uint64_t estimated_rows = 0;
  std::atomic<TableState> state{TableState::kPending};
};

struct Progress {
  std::mutex mu;  // guards the map's shape, not the counters
  std::map<std::string, std::shared_ptr<TableProgress>> tables;
  std::map<std::string, std::string> destinations;  // guarded by mu
  std::atomic<uint64_t> events_applied{0};
  std::atomic<uint64_t> rows_applied{0};
  std::atomic<uint64_t> bytes_read{0};
  // Source DDL statements on the task's tables: applied at the destination,
  // skipped by an ignore policy, and warnings (alerts, tables that left the task).
  std::atomic<uint64_t> ddl_applied{0};
  std::atomic<uint64_t> ddl_ignored{0};
  std::atomic<uint64_t> ddl_warnings{0};
  // The latest source DDL statements and what became of them, newest last,
  // for `sync status` (at most kDdlRecords; the reporter takes them).
  static constexpr size_t kDdlRecords = 20;
  std::mutex ddl_mu;
  std::vector<nlohmann::json> ddl_records;
  // Counts a DDL statement by `outcome` (applied, ignored or warning) and
  // records it with its binlog position and what it did.
  void RecordDdl(const std::string& outcome, const std::string& position, const std::string& what);
  // Set while the binlog stream is lost and being reconnected: since when
  // (epoch seconds; 0: connected), failed attempts, the last error.
  std::mutex reconnect_mu;
  int64_t reconnecting_since = 0;
  int reconnect_attempts = 0;
  std::string reconnect_error;
  void ReconnectFailed(int attempt, const std::string& error);
  void Reconnected();
  std::atomic<int64_t> last_source_commit_time{0};  // epoch seconds of the last applied transaction
  std::atomic<int64_t> last_apply_time{0};
  std::mutex position_mu;
  std::string position;       // last checkpointed position, text
  BinlogPosition checkpoint;  // the same, for checkpoint.json
  uint64_t checkpoint_version = 0;  // bumped with every new checkpoint
  // The task's alert outbox (alert/alert_outbox.hpp) the worker raises its
  // alerts into; empty: none are raised (tests of single steps).
  std::string alert_outbox;

  std::shared_ptr<TableProgress> Table(const std::string& name);
  // Where the table's rows go ("schema.table"), for `sync status`.
  void SetDestination(const std::string& name, const std::string& destination);
  // The table's progress if it has any (never made here); null otherwise.
  std::shared_ptr<TableProgress> Find(const std::string& name);
  void Remove(const std::string& name);  // the table left the task
  nlohmann::json TablesJson();
};

// Raises `event` into the worker's alert outbox, if it has one; a failure to
// write it costs the alert, never the task.
void RaiseAlert(Progress& progress, alert::AlertEvent event);

}  // namespace dbsync::pipeline
