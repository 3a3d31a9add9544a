// sync usage [TASK]: metering per run id (the billing analogue).

#include <dirent.h>
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "core/atomic_file.hpp"

namespace dbsync::app {
namespace {

// One worker counts as one compute unit while it runs.
constexpr double kComputeUnitsPerWorker = 1.0;

nlohmann::json RunsOf(const state::TaskRecord& task) {
  nlohmann::json runs = nlohmann::json::array();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(task.dir.RunsDir(), ec)) {
    if (e.path().extension() != ".json") continue;
    auto text = ReadFile(e.path().string());
    if (!text.ok()) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) continue;
    j["task"] = task.dir.id;
    j["cu_hours"] = j.value("running_seconds", 0) / 3600.0 * kComputeUnitsPerWorker;
    runs.push_back(j);
  }
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.value("started_at", 0) < b.value("started_at", 0); });
  return runs;
}

}  // namespace

void SetupUsageCommand(CLI::App& app, CommandContext& ctx) {
  auto task_arg = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("usage", "metering per run id: running time, rows, bytes, compute-unit hours");
  cmd->add_option("task", *task_arg, "task id or name; omit for every task");
  AddOutputOption(*cmd, ctx);
  cmd->footer("A run is one `sync start` (worker restarts within it included).\nEXIT STATUS: 0 ok, 3 task not found.");
  cmd->callback([&ctx, task_arg] {
    std::vector<state::TaskRecord> tasks;
    if (task_arg->empty()) {
      auto all = ops::ListTasks(ctx.global.common);
      if (!all.ok()) {
        ctx.exit_code = ReportError(ctx, all.status());
        return;
      }
      tasks = std::move(all).value();
    } else {
      auto one = ops::FindTask(ctx.global.common, *task_arg);
      if (!one.ok()) {
        ctx.exit_code = ReportError(ctx, one.status());
        return;
      }
      tasks.push_back(std::move(one).value());
    }
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& t : tasks)
      for (auto& r : RunsOf(t)) runs.push_back(r);
    if (ctx.global.output == OutputFormat::kJson) {
      std::cout << runs.dump() << "\n";
      return;
    }
    std::cout << fmt::format("{:<9} {:<24} {:>10} {:>12} {:>12} {:>12} {:>8}\n", "TASK", "RUN", "SECONDS", "COPIED",
                             "APPLIED", "BYTES", "CU-H");
    for (const auto& r : runs)
      std::cout << fmt::format("{:<9} {:<24} {:>10} {:>12} {:>12} {:>12} {:>8.3f}\n", r.value("task", ""),
                               r.value("run_id", ""), r.value("running_seconds", 0), r.value("rows_copied", 0),
                               r.value("rows_applied", 0), r.value("bytes_read", 0), r.value("cu_hours", 0.0));
  });
}

}  // namespace dbsync::app
