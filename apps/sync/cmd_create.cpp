// sync create -f task.yaml: validate and store a task, print its id, then run
// the configuration check as a pre-check that reports but never blocks.

#include <iostream>

#include "check/check_report.hpp"
#include "commands.hpp"

namespace dbsync::app {

void SetupCreateCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string file;
    bool no_check = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("create", "validate a task spec, store the task and print its id");
  cmd->add_option("-f,--file", opts->file, "the task spec (YAML); see sync-task(5)")->required();
  cmd->add_flag("--no-check", opts->no_check, "skip the pre-check (the check still runs at `sync start`)");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "The task id is printed alone on stdout, so ID=$(sync create -f task.yaml) works; the pre-check\n"
      "report goes to stderr. The pre-check never blocks creation.\n"
      "EXIT STATUS: 0 created, 2 invalid spec or duplicate name, 4 busy.");
  cmd->callback([&ctx, opts] {
    auto task = ops::CreateTask(ctx.global.common, opts->file);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    nlohmann::json out = {{"id", task->dir.id}, {"name", task->spec.name}};
    if (ctx.global.output == OutputFormat::kText) std::cout << task->dir.id << std::endl;
    if (!opts->no_check) {
      if (ctx.global.output == OutputFormat::kText) std::cerr << "created task " << task->dir.id << " ("
                                                              << task->spec.name << "); pre-check:\n";
      auto report = ops::CheckTask(ctx.global.common, *task, check::CheckScope::kFull);
      if (!report.ok()) {
        std::cerr << "sync: warning: pre-check could not run: " << report.status().message() << "\n";
      } else if (ctx.global.output == OutputFormat::kJson) {
        out["precheck"] = report->ToJson();
      } else {
        PrintCheckReport(*report, OutputFormat::kText, std::cerr);
        if (!report->Passed(false))
          std::cerr << "the pre-check found problems; fix them, then run `sync check " << task->dir.id
                    << "`: `sync start` refuses to start while an item fails\n";
      }
    }
    if (ctx.global.output == OutputFormat::kJson) std::cout << out.dump() << std::endl;
    ctx.exit_code = 0;
  });
}

}  // namespace dbsync::app
