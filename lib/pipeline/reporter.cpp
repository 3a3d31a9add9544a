#include "pipeline/reporter.hpp"
#include "sink/shaping/shaping_sink.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/text_util.hpp"
#include "pipeline/state_updater.hpp"
#include "sink/schema_migration_log.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {

using nlohmann::json;

Reporter::Reporter(const WorkerContext& ctx, const state::TaskDir& dir, Progress& progress,
                   std::string checkpoint_record, Logger& log, std::function<void(const Status&)> on_state_fault)
    : ctx_(ctx),
      dir_(dir),
      progress_(progress),
      checkpoint_record_(std::move(checkpoint_record)),
      log_(log),
      on_state_fault_(std::move(on_state_fault)),
      started_(std::time(nullptr)) {
  // A run spans worker restarts: continue the counts of earlier workers.
  auto previous = ReadFile(RunFile());
  if (previous.ok()) {
    base_ = json::parse(*previous, nullptr, false);
    if (base_.is_discarded()) base_ = json::object();
  }
  thread_ = std::thread([this] { Loop(); });
}

Reporter::~Reporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Report();
}

void Reporter::SetStep(const std::string& step, const std::string& state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Step& s = steps_[step];
    const int64_t now = std::time(nullptr);
    if (state == "running") s = {state, now, 0};
    else s = {state, s.started ? s.started : now, now};
  }
  Report();
}

json Reporter::StepsJson(int64_t now) {
  json steps = json::object();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, step] : steps_) {
    json& j = steps[name];
    j["state"] = step.state;
    if (step.started) {
      j["started_at"] = FormatUtcTime(step.started);
      j["duration_seconds"] = (step.finished ? step.finished : now) - step.started;
    }
    if (step.finished) j["finished_at"] = FormatUtcTime(step.finished);
  }
  return steps;
}

void Reporter::AddTableDetails(json& tables, int64_t now) {
  for (auto& [name, t] : tables.items()) {
    const uint64_t rows = t.value("rows", uint64_t{0});
    if (t.value("state", "") != "copying") continue;
    auto [it, first] = copy_start_.try_emplace(name, now, rows);
    const int64_t elapsed = now - it->second.first;
    if (elapsed <= 0) continue;
    const double rate = double(rows - std::min(rows, it->second.second)) / double(elapsed);
    t["rows_per_second"] = int64_t(rate);
    const uint64_t estimated = t.value("estimated_rows", uint64_t{0});
    if (rate > 0 && estimated > rows) t["eta_seconds"] = int64_t(double(estimated - rows) / rate);
  }
  for (const auto& [name, m] : sink::SchemaMigrationLog::Instance().Snapshot())
    if (tables.contains(name)) tables[name]["schema_migration"] = {{"outcome", m.outcome}, {"ddl", m.ddl}};
}

json Reporter::WorkerResources() {
  json out = {{"pid", ::getpid()}};
  // /proc/self/stat: after the command name in parentheses, utime and stime
  // are fields 14 and 15 (in clock ticks).
  auto stat = ReadFile("/proc/self/stat");
  if (stat.ok()) {
    std::istringstream fields(stat->substr(stat->rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)
      if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
    const double cpu = ticks / double(::sysconf(_SC_CLK_TCK));
    const auto now = std::chrono::steady_clock::now();
    out["cpu_seconds"] = int64_t(cpu);
    if (last_cpu_seconds_ >= 0) {
      const double wall = std::chrono::duration<double>(now - last_cpu_time_).count();
      if (wall > 0.1) out["cpu_percent"] = int((cpu - last_cpu_seconds_) / wall * 1000) / 10.0;
    }
    if (last_cpu_seconds_ < 0 || std::chrono::duration<double>(now - last_cpu_time_).count() > 0.1) {
      last_cpu_seconds_ = cpu;
      last_cpu_time_ = now;
    }
  }
  auto status = ReadFile("/proc/self/status");
  if (status.ok()) {
    std::istringstream lines(*status);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("VmRSS:", 0) == 0) out["rss_bytes"] = std::strtoll(line.c_str() + 6, nullptr, 10) * 1024;
      if (line.rfind("Threads:", 0) == 0) out["threads"] = std::strtol(line.c_str() + 8, nullptr, 10);
    }
  }
  return out;
}

void Reporter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    lock.unlock();
    Report();
    lock.lock();
  }
}

void Reporter::Report() {
  std::lock_guard<std::mutex> reporting(report_mu_);  // the tick thread and SetStep
  int64_t now = std::time(nullptr);
  uint64_t events = progress_.events_applied.load();
  double rate = now > last_report_ ? double(events - last_events_) / double(now - last_report_) : 0;
  if (now > last_report_) {
    last_events_ = events;
    last_report_ = now;
    rate_ = rate;
  }
  json steps = StepsJson(now);
  int64_t commit = progress_.last_source_commit_time.load();
  std::string position;
  std::optional<BinlogPosition> new_checkpoint;
  {
    std::lock_guard<std::mutex> lock(progress_.position_mu);
    position = progress_.position;
    if (progress_.checkpoint_version != checkpoint_version_) {
      checkpoint_version_ = progress_.checkpoint_version;
      new_checkpoint = progress_.checkpoint;
    }
  }
  // A copy for people and scripts, at most once a tick; the worker itself
  // resumes from the destination's record, which commits with the data.
  if (new_checkpoint) WriteCheckpointCopy(*new_checkpoint);
  if (steps.contains("realtime_sync")) {
    steps["realtime_sync"]["lag_seconds"] = commit ? std::max<int64_t>(0, now - commit) : -1;
    steps["realtime_sync"]["events_per_second"] = int(rate_ * 10) / 10.0;
    steps["realtime_sync"]["rows_applied"] = progress_.rows_applied.load();
    steps["realtime_sync"]["position"] = position;
    {
      std::lock_guard<std::mutex> lock(progress_.reconnect_mu);
      if (progress_.reconnecting_since)
        steps["realtime_sync"]["reconnecting"] = {{"since", FormatUtcTime(progress_.reconnecting_since)},
                                                  {"attempts", progress_.reconnect_attempts},
                                                  {"last_error", progress_.reconnect_error}};
    }
    // Since the run began: the workers before a failover counted too.
    steps["realtime_sync"]["ddl"] = {{"applied", base_.value("ddl_applied", int64_t{0}) + int64_t(progress_.ddl_applied.load())},
                                     {"ignored", base_.value("ddl_ignored", int64_t{0}) + int64_t(progress_.ddl_ignored.load())},
                                     {"warnings", base_.value("ddl_warnings", int64_t{0}) + int64_t(progress_.ddl_warnings.load())}};
  }
  json tables = progress_.TablesJson();
  json dml = DmlCountsJson();
  for (auto& [name, counts] : dml.items())
    if (tables.contains(name)) tables[name]["dml"] = counts;
  AddTableDetails(tables, now);
  json worker = WorkerResources();
  worker["run_id"] = ctx_.run_id;
  worker["heartbeat"] = now;
  std::vector<json> ddl_records;
  {
    std::lock_guard<std::mutex> lock(progress_.ddl_mu);
    ddl_records.swap(progress_.ddl_records);
  }
  Status state_written = StateUpdater(ctx_.home, ctx_.task_id).Update([&](json& s) {
    for (auto& [k, v] : steps.items()) s["steps"][k] = v;
    s["tables"] = tables;
    s["worker"] = worker;
    // The run's latest DDL statements, across its workers.
    json& records = s["ddl_records"];
    if (!records.is_array()) records = json::array();
    for (auto& r : ddl_records) records.push_back(std::move(r));
    while (records.size() > Progress::kDdlRecords) records.erase(records.begin());
  });
  BestEffort(state_written, "the task's progress (state.json)");
  uint64_t copied = 0;
  for (auto& [name, t] : tables.items()) copied += t.value("rows", uint64_t{0});
  auto base = [&](const char* key) { return base_.value(key, int64_t{0}); };
  json run = {{"run_id", ctx_.run_id},
              {"started_at", base_.value("started_at", started_)},
              {"updated_at", now},
              {"running_seconds", base("running_seconds") + (now - started_)},
              {"rows_copied", base("rows_copied") + int64_t(copied)},
              {"rows_applied", base("rows_applied") + int64_t(progress_.rows_applied.load())},
              {"bytes_read", base("bytes_read") + int64_t(progress_.bytes_read.load())},
              {"workers", base("workers") + 1},
              {"ddl_applied", base("ddl_applied") + int64_t(progress_.ddl_applied.load())},
              {"ddl_ignored", base("ddl_ignored") + int64_t(progress_.ddl_ignored.load())},
              {"ddl_warnings", base("ddl_warnings") + int64_t(progress_.ddl_warnings.load())},
              {"dml", dml}};
  BestEffort(WriteFileAtomically(RunFile(), run.dump(2) + "\n"), "the run's metering record");
}

void Reporter::WriteCheckpointCopy(const BinlogPosition& checkpoint) {
  json c = {{"position", checkpoint.ToJson()},
            {"recorded_at", state::NowIso8601()},
            {"durable_in", checkpoint_record_ + " (authoritative)"}};
  Status written = WriteFileAtomically(dir_.CheckpointFile(), c.dump(2) + "\n");
  if (written.ok() || state_fault_reported_) return;
  state_fault_reported_ = true;
  on_state_fault_(written);
}

void Reporter::BestEffort(const Status& written, const std::string& what) {
  if (written.ok()) return;
  log_.WarnRateLimited(what, "cannot record " + what + ", the task goes on: " + written.message());
}

json Reporter::DmlCountsJson() const {
  // Since the run began: what the workers before a failover counted, plus this one's.
  json out = base_.contains("dml") && base_["dml"].is_object() ? base_["dml"] : json::object();
  for (const auto& [table, c] : sink::DmlCountsRegistry::Instance().Snapshot()) {
    json& t = out[table];
    if (!t.is_object()) t = json::object();
    auto add = [&](const char* key, uint64_t n) { t[key] = t.value(key, uint64_t{0}) + n; };
    add("applied", c.applied);
    add("ignored", c.ignored);
    add("filtered", c.filtered);
    add("copy_filtered", c.copy_filtered);
  }
  return out;
}

std::string Reporter::RunFile() const { return dir_.RunsDir() + "/" + ctx_.run_id + ".json"; }

}  // namespace dbsync::pipeline
