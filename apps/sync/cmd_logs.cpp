// sync logs TASK [-f]: the worker's log, optionally followed.

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "commands.hpp"

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
    std::ifstream in(task->dir.WorkerLog());
    std::vector<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
      if (opts->lines > 0) {
        tail.push_back(line);
        if (int(tail.size()) > opts->lines) tail.erase(tail.begin());
      } else {
        std::cout << line << "\n";
      }
    }
    for (const auto& l : tail) std::cout << l << "\n";
    std::cout << std::flush;
    while (opts->follow) {
      in.clear();
      while (std::getline(in, line)) std::cout << line << std::endl;
      if (in.bad()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
}

}  // namespace dbsync::app
