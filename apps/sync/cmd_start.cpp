// sync start TASK: the mandatory configuration check (a failure blocks), then
// the worker in the background (or attached with --foreground).

#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "ops/task_lifecycle.hpp"

namespace dbsync::app {

void SetupStartCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string task;
    ops::StartRequest request;
    bool rerun_all = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("start", "check, then start syncing a task in the background");
  cmd->add_option("task", opts->task, "task id or name")->required();
  cmd->add_flag("--foreground", opts->request.foreground,
                "stay attached, showing progress (bars on a terminal, timestamped lines otherwise); Ctrl-C stops the "
                "task cleanly");
  cmd->add_flag("--rerun", opts->rerun_all,
                "copy every table afresh (a new full initialization) while real-time sync goes on");
  cmd->add_option("--rerun-table", opts->request.rerun,
                  "PATTERN (db.table, globs allowed; repeatable): copy these tables afresh while the others stream on");
  cmd->add_option("--from-position", opts->request.from_position,
                  "FILE:POS where tables that are not copied (sync_mode: realtime_only, tables[].full_initialization:\n"
                  "false) start following the binlog, on the task's first start; checked against SHOW BINARY LOGS");
  cmd->add_option("--from-time", opts->request.from_time,
                  "TIME: the same, from the first transaction the source's binlog has from TIME on (\"2026-12-06\n"
                  "10:00:00\" in this machine's time zone, 2026-12-06T10:00:00Z, ...+08:00, or @EPOCH)");
  cmd->add_option("--from-gtid", opts->request.from_gtid,
                  "SET: the same, from the first transaction the GTID set does not contain (MariaDB 0-1-42,\n"
                  "MySQL uuid:1-77), as a replica given that set would start");
  AddOutputOption(*cmd, ctx);
  cmd->footer(
      "Each start gets a new run id (see sync usage). The worker runs schema migration, full\n"
      "initialization, then real-time sync; a worker that dies is restarted (a failover).\n"
      "EXIT STATUS: 0 started, 1 the check failed, 3 task not found, 4 already running or busy,\n"
      "5 cannot connect.");
  cmd->callback([&ctx, opts] {
    auto task = ops::FindTask(ctx.global.common, opts->task);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    check::CheckReport report;
    if (opts->rerun_all) opts->request.rerun = {"*.*"};
    if (opts->request.foreground && ctx.global.output == OutputFormat::kText) {
      opts->request.show_progress = true;
      opts->request.progress_terminal = ::isatty(STDOUT_FILENO);
      opts->request.progress_width = TerminalWidth();
    }
    auto started = ops::StartTask(ctx.global.common, *task, opts->request, &report);
    if (!started.ok()) {
      if (!report.items.empty() && !report.Passed(false)) {
        PrintCheckReport(report, ctx.global.output, std::cout);
        std::cerr << "sync: error: " << started.status().message() << "\n";
        ctx.exit_code = report.ConnectFailed() ? kExitCannotConnect : kExitFailed;
        return;
      }
      ctx.exit_code = ReportError(ctx, started.status());
      return;
    }
    if (ctx.global.output == OutputFormat::kJson) {
      std::cout << nlohmann::json{{"id", task->dir.id}, {"run_id", started->run_id}, {"pid", started->supervisor_pid}}
                       .dump()
                << "\n";
    } else if (!opts->request.foreground) {
      std::cout << "started task " << task->dir.id << " (" << task->spec.name << "), run " << started->run_id
                << "; follow it with `sync status " << task->dir.id << "` or `sync logs -f " << task->dir.id
                << "`\n";
    }
  });
}

}  // namespace dbsync::app
