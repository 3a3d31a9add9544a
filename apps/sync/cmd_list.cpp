// sync list: one line per task.

#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "task_output.hpp"

namespace dbsync::app {

// Shared with `sync status` without a task.
int PrintTaskList(CommandContext& ctx) {
  auto tasks = ops::ListTasks(ctx.global.common);
  if (!tasks.ok()) return ReportError(ctx, tasks.status());
  if (ctx.global.output == OutputFormat::kJson) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *tasks) arr.push_back(DescribeTask(t));
    std::cout << arr.dump() << "\n";
    return 0;
  }
  if (tasks->empty()) {
    std::cerr << "no tasks; create one with `sync create -f task.yaml`\n";
    return 0;
  }
  std::cout << fmt::format("{:<9} {:<24} {:<10} {:<32} {}\n", "ID", "NAME", "STATE", "SOURCE", "DESTINATION");
  for (const auto& t : *tasks)
    std::cout << fmt::format("{:<9} {:<24} {:<10} {:<32} {}\n", t.dir.id, t.spec.name,
                             t.state.value("lifecycle", "created"), SourceUrl(t.spec.source),
                             DestinationUrl(t.spec.destination));
  return 0;
}

void SetupListCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* cmd = app.add_subcommand("list", "list the tasks: id, name, state, source, destination");
  AddOutputOption(*cmd, ctx);
  cmd->footer("EXIT STATUS: 0 ok, 1 the state directory cannot be read.");
  cmd->callback([&ctx] { ctx.exit_code = PrintTaskList(ctx); });
}

}  // namespace dbsync::app
