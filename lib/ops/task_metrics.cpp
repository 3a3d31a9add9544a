#include "ops/task_metrics.hpp"

#include <cmath>
#include <ctime>
#include <map>

#include "core/atomic_file.hpp"

namespace dbsync::ops {
namespace {

using nlohmann::json;

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(int64_t(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// One metric family: HELP and TYPE once, then its samples.
class Family {
 public:
  Family(std::string name, std::string type, std::string help)
      : name_(std::move(name)), type_(std::move(type)), help_(std::move(help)) {}
  void Add(const std::vector<std::pair<std::string, std::string>>& labels, double value) {
    std::string line = name_ + "{";
    for (size_t i = 0; i < labels.size(); ++i)
      line += (i ? "," : "") + labels[i].first + "=\"" + Escape(labels[i].second) + "\"";
    samples_ += line + "} " + Number(value) + "\n";
  }
  std::string Text() const {
    if (samples_.empty()) return "";
    return "# HELP " + name_ + " " + help_ + "\n# TYPE " + name_ + " " + type_ + "\n" + samples_;
  }

 private:
  std::string name_, type_, help_, samples_;
};

// Seconds since the epoch of an ISO 8601 UTC time ("2026-12-07T06:00:00Z"), or -1.
int64_t EpochOf(const std::string& iso) {
  std::tm tm = {};
  if (!strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return int64_t(timegm(&tm));
}

json ReadJson(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return json::object();
  json j = json::parse(*text, nullptr, false);
  return j.is_object() ? j : json::object();
}

}  // namespace

std::string RenderMetrics(const std::vector<state::TaskRecord>& tasks, int64_t now) {
  Family info("sync_task_info", "gauge", "The task's name, destination type and current run (always 1).");
  Family up("sync_up", "gauge", "1 while the task runs (its supervisor is alive), else 0.");
  Family lifecycle("sync_task_state", "gauge", "1 for the task's lifecycle state, 0 for the others.");
  Family lag("sync_realtime_lag_seconds", "gauge",
             "How far the destination is behind the source during real-time sync.");
  Family copied("sync_rows_copied_total", "counter", "Rows copied by full initialization, by table (this worker).");
  Family copy_ratio("sync_table_copy_ratio", "gauge", "Full initialization progress of a table, 0 to 1.");
  Family applied("sync_rows_applied_total", "counter",
                 "Row changes applied in real time, by table and operation (this worker).");
  Family policy_rows("sync_dml_policy_rows_total", "counter",
                     "Row changes tables[].dml left out, by table and how (this run).");
  Family bytes("sync_source_bytes_read_total", "counter",
                "Bytes of row data full initialization read from the source (this run).");
  Family ddl("sync_ddl_statements_total", "counter", "Source DDL statements, by what became of them (this run).");
  Family failovers("sync_failovers_total", "counter", "Worker restarts by the supervisor (this run).");
  Family errors("sync_errors_total", "counter", "Errors that stopped a worker (every run).");
  Family checkpoint_age("sync_checkpoint_age_seconds", "gauge", "Seconds since the last checkpoint was recorded.");
  Family heartbeat_age("sync_worker_heartbeat_age_seconds", "gauge",
                       "Seconds since the running worker last reported.");

  for (const auto& task : tasks) {
    const std::string id = task.dir.id;
    const json& s = task.state;
    const std::string run_id = s.value("run_id", "");
    info.Add({{"task", id}, {"name", task.spec.name}, {"destination_type", task.spec.destination.type},
              {"run_id", run_id}},
             1);
    const state::Lifecycle now_state = state::LifecycleIn(s);
    up.Add({{"task", id}}, now_state == state::Lifecycle::kRunning ? 1 : 0);
    for (auto l : {state::Lifecycle::kCreated, state::Lifecycle::kRunning, state::Lifecycle::kStopped,
                   state::Lifecycle::kFailed})
      lifecycle.Add({{"task", id}, {"state", state::LifecycleName(l)}}, l == now_state ? 1 : 0);
    failovers.Add({{"task", id}}, s.value("failovers", 0));
    errors.Add({{"task", id}}, s.value("errors_total", 0));

    const json steps = s.value("steps", json::object());
    const json realtime = steps.value("realtime_sync", json::object());
    if (realtime.value("state", "") == "running" && realtime.value("lag_seconds", -1) >= 0)
      lag.Add({{"task", id}}, realtime.value("lag_seconds", 0));

    const json tables = s.value("tables", json::object());
    for (const auto& [table, t] : tables.items()) {
      copied.Add({{"task", id}, {"table", table}}, t.value("rows", 0.0));
      copy_ratio.Add({{"task", id}, {"table", table}}, t.value("percent", 0.0) / 100.0);
      const json ops = t.value("applied", json::object());
      for (const char* op : {"insert", "update", "delete"})
        applied.Add({{"task", id}, {"table", table}, {"op", op}}, ops.value(op, 0.0));
      const json dml = t.value("dml", json::object());
      for (const char* how : {"ignored", "filtered", "copy_filtered"})
        if (dml.contains(how)) policy_rows.Add({{"task", id}, {"table", table}, {"how", how}}, dml.value(how, 0.0));
    }

    if (!run_id.empty()) {
      const json run = ReadJson(task.dir.RunsDir() + "/" + run_id + ".json");
      if (run.contains("bytes_read")) bytes.Add({{"task", id}}, run.value("bytes_read", 0.0));
      if (run.contains("ddl_applied"))
        for (const auto& [outcome, key] : std::map<std::string, std::string>{
                 {"applied", "ddl_applied"}, {"ignored", "ddl_ignored"}, {"warning", "ddl_warnings"}})
          ddl.Add({{"task", id}, {"outcome", outcome}}, run.value(key, 0.0));
    }
    const int64_t recorded = EpochOf(ReadJson(task.dir.CheckpointFile()).value("recorded_at", ""));
    if (recorded > 0) checkpoint_age.Add({{"task", id}}, double(std::max<int64_t>(0, now - recorded)));
    const int64_t heartbeat = s.value("worker", json::object()).value("heartbeat", int64_t{0});
    if (now_state == state::Lifecycle::kRunning && heartbeat > 0)
      heartbeat_age.Add({{"task", id}}, double(std::max<int64_t>(0, now - heartbeat)));
  }
  std::string out;
  for (const Family* f : {&info, &up, &lifecycle, &lag, &copied, &copy_ratio, &applied, &policy_rows, &bytes, &ddl,
                          &failovers, &errors, &checkpoint_age, &heartbeat_age})
    out += f->Text();
  return out;
}

}  // namespace dbsync::ops
