// sync apply TASK -f new.yaml [--dry-run]: replace the spec of a (running) task.

#include <iostream>

#include "commands.hpp"
#include "core/text_util.hpp"
#include "ops/task_apply.hpp"

namespace dbsync::app {

void SetupApplyCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string task;
    std::string file;
    bool dry_run = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("apply", "replace a task's spec: new tables are copied, removed ones stop");
  cmd->add_option("task", opts->task, "task id or name")->required();
  cmd->add_option("-f,--file", opts->file, "the new task spec (YAML)")->required();
  cmd->add_flag("--dry-run", opts->dry_run, "print the plan and change nothing");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Source, destination and name mapping cannot change (that is a new task). A running worker applies\n"
      "a change of the tables without stopping: added tables are copied while the others keep streaming;\n"
      "other changes make it start over with the new spec.\n"
      "EXIT STATUS: 0 applied (or planned), 2 invalid spec or forbidden change, 3 task not found, 4 busy,\n"
      "5 cannot connect to the source.");
  cmd->callback([&ctx, opts] {
    auto task = ops::FindTask(ctx.global.common, opts->task);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    auto plan = ops::ApplySpec(ctx.global.common, *task, opts->file, opts->dry_run);
    if (!plan.ok()) {
      ctx.exit_code = ReportError(ctx, plan.status());
      return;
    }
    if (ctx.global.output == OutputFormat::kJson) {
      std::cout << nlohmann::json{{"dry_run", opts->dry_run}, {"added", plan->added}, {"removed", plan->removed},
                                  {"kept", plan->kept}, {"settings", plan->settings},
                                  {"restart_worker", plan->restart_worker}, {"in_place", plan->in_place}}
                       .dump()
                << "\n";
      return;
    }
    std::cout << (opts->dry_run ? "plan (dry run, nothing changed):\n" : "applied:\n");
    for (const auto& t : plan->added) std::cout << "  + " << t << "  schema migration + full initialization\n";
    for (const auto& t : plan->removed) std::cout << "  - " << t << "  no longer synced (destination table kept)\n";
    for (const auto& t : plan->kept) std::cout << "  = " << t << "  keeps streaming\n";
    if (!plan->settings.empty()) std::cout << "  changed: " << Join(plan->settings, ", ") << "\n";
    if (plan->restart_worker && plan->in_place)
      std::cout << (opts->dry_run ? "the running worker would apply it without stopping\n"
                                  : "the running worker applies it without stopping\n");
    else if (plan->restart_worker)
      std::cout << (opts->dry_run ? "the running worker would start over with it (more than the tables changes)\n"
                                  : "the running worker starts over with it (more than the tables changes)\n");
  });
}

}  // namespace dbsync::app
