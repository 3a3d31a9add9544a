#pragma once
// The one place that knows every path in the state directory (leveldb's filename.h).
//
//   <home>/tasks/<id>/task.yaml        the spec as last created/applied
//   <home>/tasks/<id>/state.json       lifecycle state, steps, last check
//   <home>/tasks/<id>/checkpoint.json  durable source position
//   <home>/tasks/<id>/runs/<run>.json  metering per start
//   <home>/tasks/<id>/log/worker.log
//   <home>/tasks/<id>/schema.json      the source's tables as the binlog stream has them (pipeline/schema_state.hpp)
//   <home>/tasks/<id>/snapshot/<db.table>.plan.json  chunk plans of full initialization
//   <home>/tasks/<id>/worker.lock      flock: one worker per task
//   <home>/tasks/<id>/space.reserve    room kept for the last words of a task stopped by a full disk (state/space_reserve.hpp)
//   <home>/tasks/<id>/lock             flock: commands on one task serialise
//   <home>/lock                        flock: serialises task creation (name uniqueness)

#include <string>

namespace dbsync::state {

// --home, else $SYNC_HOME, else ${XDG_STATE_HOME:-$HOME/.local/state}/sync.
std::string ResolveHome(const std::string& flag_value);

struct TaskDir {
  std::string home;
  std::string id;

  std::string Root() const { return home + "/tasks/" + id; }
  std::string SpecFile() const { return Root() + "/task.yaml"; }
  std::string StateFile() const { return Root() + "/state.json"; }
  std::string CheckpointFile() const { return Root() + "/checkpoint.json"; }
  std::string RunsDir() const { return Root() + "/runs"; }
  std::string LogDir() const { return Root() + "/log"; }
  std::string WorkerLog() const { return LogDir() + "/worker.log"; }
  std::string LockFile() const { return Root() + "/lock"; }
  std::string WorkerLockFile() const { return Root() + "/worker.lock"; }
  std::string SchemaFile() const { return Root() + "/schema.json"; }
  // Alert events the worker raised, one JSON line each, for the supervisor to send.
  std::string AlertOutbox() const { return Root() + "/alerts.jsonl"; }
  // The task's metrics in the Prometheus text format (pipeline/metrics_file.hpp).
  std::string MetricsFile() const { return Root() + "/metrics.prom"; }
  std::string SnapshotDir() const { return Root() + "/snapshot"; }
  std::string SpaceReserveFile() const { return Root() + "/space.reserve"; }
  // The chunk plan of one source table ("db.table").
  std::string PlanFile(const std::string& source_table) const { return SnapshotDir() + "/" + source_table + ".plan.json"; }
};

inline std::string TasksDir(const std::string& home) { return home + "/tasks"; }
inline std::string HomeLockFile(const std::string& home) { return home + "/lock"; }

}  // namespace dbsync::state
