// sync check TASK: the full configuration check, or only the login test.

#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"

namespace dbsync::app {

void SetupCheckCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string task;
    bool connectivity = false;
    bool strict = false;
    bool plan = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("check", "run the configuration check of a task (pass/warn/fail per item)");
  cmd->add_option("task", opts->task, "task id or name")->required();
  cmd->add_flag("--connectivity", opts->connectivity, "only test that both ends accept the login");
  cmd->add_flag("--strict", opts->strict, "treat warnings as failures");
  cmd->add_flag("--plan", opts->plan,
                "also print the source -> destination map: each table's destination, key and mode, and merged\n"
                "tables (a merge whose key does not keep the rows apart is marked COLLISION)");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "EXIT STATUS: 0 every item passed (warnings allowed unless --strict), 1 an item failed,\n"
      "3 task not found, 4 busy, 5 cannot connect to the source or the destination.");
  cmd->callback([&ctx, opts] {
    auto task = ops::FindTask(ctx.global.common, opts->task);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    auto scope = opts->connectivity ? check::CheckScope::kConnectivity : check::CheckScope::kFull;
    std::vector<check::PlannedTable> plan;
    auto report = ops::CheckTask(ctx.global.common, *task, scope, opts->plan ? &plan : nullptr);
    if (!report.ok()) {
      ctx.exit_code = ReportError(ctx, report.status());
      return;
    }
    if (opts->plan) PrintCheckReportWithPlan(*report, plan, ctx.global.output, std::cout);
    else PrintCheckReport(*report, ctx.global.output, std::cout);
    if (report->ConnectFailed()) ctx.exit_code = kExitCannotConnect;
    else ctx.exit_code = report->Passed(opts->strict) ? kExitOk : kExitFailed;
  });
}

}  // namespace dbsync::app
