#include "ops/task_apply.hpp"

#include <signal.h>

#include <filesystem>
#include <set>

#include "config/secret.hpp"
#include "config/task_spec_yaml.hpp"
#include "core/atomic_file.hpp"
#include "ops/task_lifecycle.hpp"
#include "core/text_util.hpp"
#include "source/mysql/schema_reader.hpp"
#include "source/mysql/source_endpoint.hpp"

namespace dbsync::ops {
namespace {

Status SameEndpoints(const config::TaskSpec& a, const config::TaskSpec& b) {
  const auto &s1 = a.source, &s2 = b.source;
  if (s1.host != s2.host || s1.port != s2.port || s1.server_id != s2.server_id)
    return Status::InvalidArgument("the new spec changes source.host, port or server_id; a different source is a "
                                   "different task: create a new one");
  const auto &d1 = a.destination, &d2 = b.destination;
  if (d1.type != d2.type || d1.host != d2.host || d1.port != d2.port || d1.database != d2.database ||
      d1.project != d2.project || d1.endpoint != d2.endpoint)
    return Status::InvalidArgument("the new spec changes the destination; a different destination is a different "
                                   "task: create a new one");
  if (!config::SameMapping(a.mapping, b.mapping))
    return Status::InvalidArgument("the new spec changes the name mapping, which would move every table; create a "
                                   "new task instead");
  if (a.name != b.name) return Status::InvalidArgument("the new spec renames the task; keep name: " + a.name);
  return Status::Ok();
}

}  // namespace

Result<ApplyPlan> ApplySpec(const CommonOptions& opts, state::TaskRecord& task, const std::string& spec_path,
                            bool dry_run) {
  auto text = ReadFile(spec_path);
  if (!text.ok()) return Status::InvalidArgument(text.status().message());
  SYNC_ASSIGN_OR_RETURN(config::TaskSpec next, config::ParseTaskSpec(*text, spec_path));
  SYNC_RETURN_IF_ERROR(SameEndpoints(task.spec, next));
  if (state::LifecycleIn(task.state) == state::Lifecycle::kDeleted)
    return Status::FailedPrecondition("task " + task.dir.id + " is deleted");

  // The lighter pre-check: log in and list the tables both selections pick.
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(next.source.password));
  const auto& src = next.source;
  std::vector<mysql::TableName> all;
  {
    // Closed before the worker is signalled: its copy counts on the
    // connections runtime.max_source_connections leaves it.
    SYNC_ASSIGN_OR_RETURN(auto conn, mysql::Connection::Connect(mysql::EndpointOf(src, password, 60)));
    SYNC_ASSIGN_OR_RETURN(all, mysql::ListAllTables(conn));
  }
  ApplyPlan plan;
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& t : all) {
    bool before = config::IsTableSelected(task.spec.source, t.db, t.table);
    bool after = config::IsTableSelected(next.source, t.db, t.table);
    std::string name = t.db + "." + t.table;
    if (after && !before) plan.added.push_back(name);
    if (before && !after) plan.removed.push_back(name);
    if (before && after) {
      plan.kept.push_back(name);
      kept.push_back({t.db, t.table});
    }
  }
  plan.in_place = config::ChangesOnlyTables(task.spec, next, kept);
  for (const auto& p : next.source.tables) {
    bool hit = false;
    for (const auto& t : all) hit = hit || GlobMatch(p, t.db + "." + t.table);
    if (!hit) return Status::InvalidArgument("source.tables pattern '" + p + "' matches no table on the source");
  }
  if (next.ddl != task.spec.ddl) plan.settings.push_back("ddl");
  if (next.runtime.batch_rows != task.spec.runtime.batch_rows || next.runtime.flush_ms != task.spec.runtime.flush_ms ||
      next.runtime.snapshot_parallelism != task.spec.runtime.snapshot_parallelism ||
      next.runtime.max_source_connections != task.spec.runtime.max_source_connections)
    plan.settings.push_back("runtime");
  if (next.tables.size() != task.spec.tables.size()) plan.settings.push_back("tables");
  if (next.alerts.size() != task.spec.alerts.size()) plan.settings.push_back("alerts");
  plan.restart_worker = IsWorkerRunning(task);
  if (dry_run) return plan;

  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  SYNC_ASSIGN_OR_RETURN(auto lock, store.LockTask(task, opts.lock_timeout_ms));
  SYNC_ASSIGN_OR_RETURN(task, store.Find(task.dir.id));
  // A removed table's chunk plan goes, so that adding it back later copies it
  // afresh instead of trusting a copy that missed the changes in between.
  for (const auto& name : plan.removed) std::filesystem::remove(task.dir.PlanFile(name));
  SYNC_RETURN_IF_ERROR(store.SaveSpec(task, *text, next));
  task.state["last_apply"] = {{"at", state::NowIso8601()}, {"added", plan.added}, {"removed", plan.removed}};
  SYNC_RETURN_IF_ERROR(store.SaveState(task));
  if (plan.restart_worker && task.state.contains("supervisor"))
    ::kill(task.state["supervisor"].value("pid", 0), SIGHUP);
  return plan;
}

}  // namespace dbsync::ops
