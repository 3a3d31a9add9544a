// sync usage [TASK]: metering per run id (the billing analogue).

#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "state/usage_archive.hpp"

namespace dbsync::app {
namespace {

// One worker counts as one compute unit while it runs.
constexpr double kComputeUnitsPerWorker = 1.0;

// Run records with the task they belong to and their compute-unit hours.
void AddRuns(const std::string& task_id, const std::string& deleted_at, const nlohmann::json& records,
             nlohmann::json* runs) {
  for (auto r : records) {
    r["task"] = task_id;
    if (!deleted_at.empty()) r["task_deleted_at"] = deleted_at;
    r["cu_hours"] = r.value("running_seconds", 0) / 3600.0 * kComputeUnitsPerWorker;
    runs->push_back(std::move(r));
  }
}

}  // namespace

void SetupUsageCommand(CLI::App& app, CommandContext& ctx) {
  auto task_arg = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("usage", "metering per run id: running time, rows, bytes, compute-unit hours");
  cmd->add_option("task", *task_arg, "task id or name; omit for every task");
  AddOutputOption(*cmd, ctx);
  cmd->footer("A run is one `sync start` (worker restarts within it included).\nEXIT STATUS: 0 ok, 3 task not found.");
  cmd->callback([&ctx, task_arg] {
    const std::string home = state::ResolveHome(ctx.global.common.home);
    nlohmann::json runs = nlohmann::json::array();
    if (task_arg->empty()) {
      auto all = ops::ListTasks(ctx.global.common);
      if (!all.ok()) {
        ctx.exit_code = ReportError(ctx, all.status());
        return;
      }
      for (const auto& t : *all) AddRuns(t.dir.id, "", state::ReadRunRecords(t.dir.RunsDir()), &runs);
      for (const auto& gone : state::ArchivedUsage(home)) AddRuns(gone.id, gone.deleted_at, gone.runs, &runs);
    } else {
      auto one = ops::FindTask(ctx.global.common, *task_arg);
      if (one.ok()) {
        AddRuns(one->dir.id, "", state::ReadRunRecords(one->dir.RunsDir()), &runs);
      } else {
        // A deleted task is still billed: look it up in the usage archive.
        bool found = false;
        for (const auto& gone : state::ArchivedUsage(home)) {
          if (gone.id != *task_arg && gone.name != *task_arg) continue;
          AddRuns(gone.id, gone.deleted_at, gone.runs, &runs);
          found = true;
        }
        if (!found) {
          ctx.exit_code = ReportError(ctx, one.status());
          return;
        }
      }
    }
    if (ctx.global.output == OutputFormat::kJson) {
      std::cout << runs.dump() << "\n";
      return;
    }
    std::cout << fmt::format("{:<9} {:<24} {:>10} {:>12} {:>12} {:>12} {:>8}\n", "TASK", "RUN", "SECONDS", "COPIED",
                             "APPLIED", "BYTES", "CU-H");
    for (const auto& r : runs) {
      std::string note = r.contains("task_deleted_at") ? "  (task deleted " + r.value("task_deleted_at", "") + ")" : "";
      std::cout << fmt::format("{:<9} {:<24} {:>10} {:>12} {:>12} {:>12} {:>8.3f}{}\n", r.value("task", ""),
                               r.value("run_id", ""), r.value("running_seconds", 0), r.value("rows_copied", 0),
                               r.value("rows_applied", 0), r.value("bytes_read", 0), r.value("cu_hours", 0.0), note);
    }
  });
}

}  // namespace dbsync::app
