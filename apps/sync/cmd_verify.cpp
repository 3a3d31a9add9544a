// sync verify TASK: compares the task's source and destination tables row by
// row (ops/task_verify.hpp); exit 0 when they are identical, 1 when not.

#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "core/text_util.hpp"
#include "exit_codes.hpp"
#include "ops/task_verify.hpp"

namespace dbsync::app {

namespace {

void PrintVerdict(const verify::TableVerdict& t) {
  if (!t.skipped.empty()) {
    std::cout << fmt::format("{} -> {}: skipped ({})\n", t.source, t.destination, t.skipped);
    return;
  }
  std::cout << fmt::format("{} -> {}: {} rows, {} chunk{}: {}\n", t.source, t.destination, t.rows, t.chunks,
                           t.chunks == 1 ? "" : "s",
                           t.differences ? fmt::format("{} difference{}", t.differences, t.differences == 1 ? "" : "s")
                                         : std::string("identical"));
  for (const auto& d : t.shown)
    std::cout << fmt::format("  {:<8} {}{}\n", verify::DifferenceKindName(d.kind), d.key,
                             d.columns.empty() ? "" : " (" + Join(d.columns, ", ") + ")");
  if (t.differences > t.shown.size())
    std::cout << fmt::format("  ... and {} more (--max-shown)\n", t.differences - t.shown.size());
  if (!t.note.empty()) std::cout << "  note: " << t.note << "\n";
}

}  // namespace

void SetupVerifyCommand(CLI::App& app, CommandContext& ctx) {
  struct Args {
    std::string task;
    ops::VerifyRequest request;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("verify", "compare the source and destination tables of a task, row by row");
  cmd->add_option("task", args->task, "task id or name")->required();
  cmd->add_option("-t,--table", args->request.tables, "only tables matching this db.table glob (repeatable)");
  cmd->add_option("--chunk-rows", args->request.options.chunk_rows, "rows read per chunk on each side (default 1000)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-rows-per-second", args->request.options.max_rows_per_second,
                  "limit on the source rows read per second (default 0: none)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--rechecks", args->request.options.rechecks,
                  "times a differing key is read again while the task runs (default 5)")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--settle-seconds", args->request.settle_seconds,
                  "how long a chunk waits for a running task to catch up with it (default 60)")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--max-shown", args->request.options.max_shown, "differing keys listed per table (default 100)");
  AddOutputOption(*cmd, ctx);
  cmd->footer("EXIT STATUS: 0 identical, 1 differences found, 3 task not found, 4 task not copied yet or its\n"
              "destination cannot be read back, 5 cannot connect.");
  cmd->callback([&ctx, args] {
    auto task = ops::FindTask(ctx.global.common, args->task);
    if (!task.ok()) {
      ctx.exit_code = ReportError(ctx, task.status());
      return;
    }
    const bool text = ctx.global.output == OutputFormat::kText;
    auto report = ops::VerifyTask(*task, args->request, [&](const verify::TableVerdict& t) {
      if (text) {
        PrintVerdict(t);
        std::cout << std::flush;
      }
    });
    if (!report.ok()) {
      ctx.exit_code = ReportError(ctx, report.status());
      return;
    }
    if (text) {
      size_t differing = 0, skipped = 0;
      for (const auto& t : report->tables) {
        differing += t.differences > 0;
        skipped += !t.skipped.empty();
      }
      std::cout << fmt::format("verified {} table{}, {} rows: {}{}\n", report->tables.size() - skipped,
                               report->tables.size() - skipped == 1 ? "" : "s", report->Rows(),
                               report->Differences() ? fmt::format("{} differences in {} table{}", report->Differences(),
                                                                   differing, differing == 1 ? "" : "s")
                                                     : std::string("identical"),
                               skipped ? fmt::format(" ({} skipped)", skipped) : std::string());
    } else {
      std::cout << report->ToJson().dump() << "\n";
    }
    ctx.exit_code = report->Differences() ? kExitFailed : kExitOk;
  });
}

}  // namespace dbsync::app
