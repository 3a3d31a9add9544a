// sync metrics [TASK]: tasks as Prometheus metrics (the text format), for a
// scraper's exec or textfile collector; man sync-metrics(1) lists them.

#include <ctime>
#include <iostream>

#include "commands.hpp"
#include "ops/task_metrics.hpp"

namespace dbsync::app {

void SetupMetricsCommand(CLI::App& app, CommandContext& ctx) {
  auto task_arg = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("metrics", "the tasks' metrics in the Prometheus text format");
  cmd->add_option("task", *task_arg, "task id or name; omit for every task");
  cmd->footer("A running task's supervisor also writes them to metrics.prom in the task's directory every 5 s,\n"
              "and to runtime.metrics_file when the spec names one.\nEXIT STATUS: 0 ok, 3 task not found.");
  cmd->callback([&ctx, task_arg] {
    std::vector<state::TaskRecord> tasks;
    if (task_arg->empty()) {
      auto all = ops::ListTasks(ctx.global.common);
      if (!all.ok()) {
        ctx.exit_code = ReportError(ctx, all.status());
        return;
      }
      tasks = std::move(*all);
    } else {
      auto one = ops::FindTask(ctx.global.common, *task_arg);
      if (!one.ok()) {
        ctx.exit_code = ReportError(ctx, one.status());
        return;
      }
      tasks.push_back(std::move(*one));
    }
    std::cout << ops::RenderMetrics(tasks, std::time(nullptr));
  });
}

}  // namespace dbsync::app
