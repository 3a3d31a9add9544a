// sync delete TASK: irreversibly remove a task's state (destination data stays).
// On a terminal it asks for the task name; scripts pass --yes.

#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "sink/registry.hpp"

namespace dbsync::app {

void SetupDeleteCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string task;
    bool yes = false;
    bool forget_destination = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("delete", "irreversibly remove a task and its state (destination data stays)");
  cmd->add_option("task", opts->task, "task id or name")->required();
  cmd->add_flag("-y,--yes", opts->yes, "do not ask for confirmation (required when stdin is not a terminal)");
  cmd->add_flag("--forget-destination", opts->forget_destination,
                "also remove the task's checkpoint and chunk records at the destination (its tables stay)");
  AddOutputOption(*cmd, ctx);
  cmd->footer("EXIT STATUS: 0 deleted, 1 not confirmed, 2 no --yes without a terminal, 3 task not found, 4 busy.");
  cmd->callback([&ctx, opts] {
    auto task = ops::FindTask(ctx.global.common, opts->task);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    if (!opts->yes) {
      if (!::isatty(STDIN_FILENO)) {
        ctx.exit_code = ReportError(
            ctx, Status::InvalidArgument("refusing to delete task " + task->dir.id +
                                         " without confirmation: stdin is not a terminal; pass --yes"));
        return;
      }
      std::cerr << "Delete task " << task->dir.id << " (" << task->spec.name
                << ")? Its local state, logs and run records are removed for good; the destination's tables\n"
                << (opts->forget_destination ? "are kept and " : "and ")
                << sink::DestinationOf(task->spec.destination).bookkeeping
                << (opts->forget_destination ? " removed.\n" : " are kept.\n")
                << "Type the task name to confirm: " << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != task->spec.name) {
        std::cerr << "not deleted\n";
        ctx.exit_code = 1;
        return;
      }
    }
    Status s = ops::DeleteTask(ctx.global.common, *task, opts->forget_destination);
    if (!s.ok()) {
      ctx.exit_code = ReportError(ctx, s);
      return;
    }
    if (ctx.global.output == OutputFormat::kJson) std::cout << nlohmann::json{{"deleted", task->dir.id}}.dump() << "\n";
    else std::cout << "deleted task " << task->dir.id << " (" << task->spec.name << ")\n";
  });
}

}  // namespace dbsync::app
