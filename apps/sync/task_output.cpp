#include "task_output.hpp"

#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "sink/registry.hpp"

namespace dbsync::app {

std::string SourceUrl(const config::SourceSpec& s) {
  return "mysql://" + s.user + "@" + s.host + ":" + std::to_string(s.port);
}

std::string DestinationUrl(const config::DestinationSpec& d) {
  return sink::DestinationOf(d).url(d);
}

nlohmann::json DescribeTask(const state::TaskRecord& task) {
  const auto& spec = task.spec;
  nlohmann::json j;
  j["id"] = task.dir.id;
  j["name"] = spec.name;
  j["lifecycle"] = task.state.value("lifecycle", "created");
  j["created_at"] = task.state.value("created_at", "");
  j["updated_at"] = task.state.value("updated_at", "");
  j["source"] = {{"url", SourceUrl(spec.source)},
                 {"password", config::DisplaySecret(spec.source.password)},
                 {"server_id", spec.source.server_id},
                 {"tables", spec.source.tables},
                 {"exclude", spec.source.exclude}};
  const auto& d = spec.destination;
  const sink::Destination& entry = sink::DestinationOf(d);
  std::string secret_key = "password";  // the spec key that holds the secret (MaxCompute: access_key)
  for (const auto& f : entry.fields)
    if (f.text == entry.secret) secret_key = f.key;
  j["destination"] = {{"url", DestinationUrl(d)},
                      {"type", d.type},
                      {"password", config::DisplaySecret(d.*entry.secret)},
                      {"secret_key", secret_key}};
  nlohmann::json steps = task.state.value("steps", nlohmann::json::object());
  for (const char* step : {"schema_migration", "full_initialization", "realtime_sync"})
    if (!steps.contains(step)) steps[step] = {{"state", "not started"}};
  j["steps"] = steps;
  j["sync_mode"] = spec.sync_mode == config::SyncMode::kRealtimeOnly ? "realtime_only"
                   : spec.sync_mode == config::SyncMode::kFullOnly   ? "full_only"
                                                                     : "full_and_realtime";
  for (const char* key : {"tables", "failovers", "last_failover", "failover_history", "last_errors", "errors_total",
                          "ddl_records", "dirty_records", "run_id", "started_at", "stopped_at", "completed_at", "worker",
                          "supervisor", "start_from", "rerun"})
    if (task.state.contains(key)) j[key] = task.state[key];
  if (task.state.contains("last_check")) j["last_check"] = task.state["last_check"];
  if (task.state.contains("last_connectivity_check"))
    j["last_connectivity_check"] = task.state["last_connectivity_check"];
  return j;
}

}  // namespace dbsync::app
