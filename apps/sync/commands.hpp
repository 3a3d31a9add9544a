#pragma once
// The command table: every subcommand's setup function, registered in main.cpp.
// A command file only parses its flags, calls one lib/ entry point and prints.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

#include "core/status.hpp"
#include "ops/task_ops.hpp"

namespace dbsync::app {

enum class OutputFormat { kText, kJson };

struct GlobalOptions {
  ops::CommonOptions common;  // --home, --lock-timeout
  OutputFormat output = OutputFormat::kText;
};

// Shared by all commands: the global flags and the exit code the callback chose.
struct CommandContext {
  GlobalOptions global;
  int exit_code = 0;
};

// Prints `status` as `sync: error: ...` (or as JSON) to stderr and returns its exit code.
int ReportError(const CommandContext& ctx, const Status& status);
// Adds `--output text|json` to a command.
void AddOutputOption(CLI::App& cmd, CommandContext& ctx);

// The terminal's width in columns (100 when stdout is not a terminal).
int TerminalWidth();

// Prints a check report as text (one line per item) or JSON.
void PrintCheckReport(const check::CheckReport& report, OutputFormat format, std::ostream& out);
// The report, then the source -> destination map (text), or the report's
// JSON object with a "plan" array.
void PrintCheckReportWithPlan(const check::CheckReport& report, const std::vector<check::PlannedTable>& plan,
                              OutputFormat format, std::ostream& out);

void SetupCreateCommand(CLI::App& app, CommandContext& ctx);
void SetupCheckCommand(CLI::App& app, CommandContext& ctx);
void SetupListCommand(CLI::App& app, CommandContext& ctx);
void SetupStatusCommand(CLI::App& app, CommandContext& ctx);
void SetupDeleteCommand(CLI::App& app, CommandContext& ctx);
void SetupBinlogCommand(CLI::App& app, CommandContext& ctx);
void SetupStartCommand(CLI::App& app, CommandContext& ctx);
void SetupStopCommand(CLI::App& app, CommandContext& ctx);
void SetupLogsCommand(CLI::App& app, CommandContext& ctx);
void SetupApplyCommand(CLI::App& app, CommandContext& ctx);
void SetupUsageCommand(CLI::App& app, CommandContext& ctx);
void SetupMetricsCommand(CLI::App& app, CommandContext& ctx);
void SetupVerifyCommand(CLI::App& app, CommandContext& ctx);

}  // namespace dbsync::app
