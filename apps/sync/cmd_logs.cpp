// sync logs TASK [-f]: the worker's log, optionally followed.

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "core/log_follower.hpp"

namespace dbsync::app {

void SetupLogsCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string task;
    bool follow = false;
    int lines = 0;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("logs", "print a task's worker log");
  cmd->add_option("task", opts->task, "task id or name")->required();
  cmd->add_flag("-f,--follow", opts->follow, "keep printing new lines until interrupted");
  cmd->add_option("-n,--lines", opts->lines, "print only the last N lines");
  cmd->footer("EXIT STATUS: 0 ok, 3 task not found.");
  cmd->callback([&ctx, opts] {
    auto task = ops::FindTask(ctx.global.common, opts->task);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    // One reader for what is there and what comes: no line falls between.
    LogFollower follower(task->dir.WorkerLog(), /*from_start=*/true);
    std::vector<std::string> existing = follower.ReadNewLines();
    size_t first = opts->lines > 0 && existing.size() > size_t(opts->lines) ? existing.size() - opts->lines : 0;
    for (size_t i = first; i < existing.size(); ++i) std::cout << existing[i] << "\n";
    std::cout << std::flush;
    while (opts->follow) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      for (const auto& l : follower.ReadNewLines()) std::cout << l << "\n";
      std::cout << std::flush;
    }
  });
}

}  // namespace dbsync::app
