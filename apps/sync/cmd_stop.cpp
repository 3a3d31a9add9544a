// sync stop TASK: the worker flushes, checkpoints and exits.

#include <iostream>

#include "commands.hpp"
#include "ops/task_lifecycle.hpp"

namespace dbsync::app {

void SetupStopCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string task;
    int timeout = 120;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("stop", "flush, checkpoint and stop a running task");
  cmd->add_option("task", opts->task, "task id or name")->required();
  cmd->add_option("--timeout", opts->timeout, "seconds to wait for the worker to exit (default 120)");
  AddOutputOption(*cmd, ctx);
  cmd->footer("EXIT STATUS: 0 stopped, 3 task not found, 4 not running, 5 did not stop in time.");
  cmd->callback([&ctx, opts] {
    auto task = ops::FindTask(ctx.global.common, opts->task);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    Status s = ops::StopTask(ctx.global.common, *task, opts->timeout);
    if (!s.ok()) {
      ctx.exit_code = ReportError(ctx, s);
      return;
    }
    if (ctx.global.output == OutputFormat::kJson) std::cout << nlohmann::json{{"stopped", task->dir.id}}.dump() << "\n";
    else std::cout << "stopped task " << task->dir.id << " (" << task->spec.name << ")\n";
  });
}

}  // namespace dbsync::app
