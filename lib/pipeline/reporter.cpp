#include "pipeline/reporter.hpp"
#include "sink/shaping/shaping_sink.hpp"

#include <unistd.h>

#include <chrono>

#include "core/atomic_file.hpp"
#include "pipeline/state_updater.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {

using nlohmann::json;

Reporter::Reporter(const WorkerContext& ctx, const state::TaskDir& dir, Progress& progress,
                   std::string checkpoint_record)
    : ctx_(ctx),
      dir_(dir),
      progress_(progress),
      checkpoint_record_(std::move(checkpoint_record)),
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
    steps_[step] = state;
  }
  Report();
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
  json steps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, v] : steps_) steps[k] = {{"state", v}};
  }
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
  if (new_checkpoint) {
    json c = {{"position", new_checkpoint->ToJson()},
              {"recorded_at", state::NowIso8601()},
              {"durable_in", checkpoint_record_ + " (authoritative)"}};
    (void)WriteFileAtomically(dir_.CheckpointFile(), c.dump(2) + "\n");
  }
  if (steps.contains("realtime_sync")) {
    steps["realtime_sync"]["lag_seconds"] = commit ? std::max<int64_t>(0, now - commit) : -1;
    steps["realtime_sync"]["events_per_second"] = int(rate_ * 10) / 10.0;
    steps["realtime_sync"]["rows_applied"] = progress_.rows_applied.load();
    steps["realtime_sync"]["position"] = position;
    // Since the run began: the workers before a failover counted too.
    steps["realtime_sync"]["ddl"] = {{"applied", base_.value("ddl_applied", int64_t{0}) + int64_t(progress_.ddl_applied.load())},
                                     {"ignored", base_.value("ddl_ignored", int64_t{0}) + int64_t(progress_.ddl_ignored.load())},
                                     {"warnings", base_.value("ddl_warnings", int64_t{0}) + int64_t(progress_.ddl_warnings.load())}};
  }
  json tables = progress_.TablesJson();
  json dml = DmlCountsJson();
  for (auto& [name, counts] : dml.items())
    if (tables.contains(name)) tables[name]["dml"] = counts;
  StateUpdater(ctx_.home, ctx_.task_id).Update([&](json& s) {
    for (auto& [k, v] : steps.items()) s["steps"][k] = v;
    s["tables"] = tables;
    s["worker"] = {{"pid", ::getpid()}, {"run_id", ctx_.run_id}, {"heartbeat", now}};
  }).ok();
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
  (void)WriteFileAtomically(RunFile(), run.dump(2) + "\n");
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
