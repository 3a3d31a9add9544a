// Entry point: builds the command line from the command table, maps Status to exit codes.
//
// With no arguments at all we behave like coreutils' sync(1): flush file system
// buffers, print nothing, exit 0, so a PATH that finds this binary first never
// breaks a system script.

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/text_util.hpp"
#include "exit_codes.hpp"

namespace dbsync::app {

int TerminalWidth() {
  winsize size{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 100;
}

int ReportError(const CommandContext& ctx, const Status& status) {
  if (ctx.global.output == OutputFormat::kJson) {
    nlohmann::json j = {{"ok", false},
                        {"error", {{"code", StatusCodeName(status.code())}, {"message", status.message()}}}};
    std::cerr << j.dump() << "\n";
  } else {
    std::cerr << "sync: error: " << status.message() << "\n";
  }
  return ExitCodeFor(status);
}

void AddOutputOption(CLI::App& cmd, CommandContext& ctx) {
  cmd.add_option_function<std::string>(
         "--output,-o",
         [&ctx](const std::string& v) { ctx.global.output = v == "json" ? OutputFormat::kJson : OutputFormat::kText; },
         "output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
}

}  // namespace dbsync::app

int main(int argc, char** argv) {
  using namespace dbsync::app;
  if (argc == 1) {
    ::sync();
    return kExitOk;
  }

  CLI::App app{"sync: keep analytical stores (Hologres, PostgreSQL, StarRocks, MaxCompute) in step with MySQL",
               "sync"};
  app.set_version_flag("--version", SYNC_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "A bare `sync` with no arguments flushes file system buffers, like coreutils sync(1).\n"
      "EXIT STATUS: 0 ok, 1 a check or the operation failed, 2 usage or invalid task spec,\n"
      "3 task not found, 4 the task's state does not allow this, 5 cannot connect.\n"
      "See sync-overview(7) and sync-<command>(1).");

  CommandContext ctx;
  app.add_option("--home", ctx.global.common.home,
                 "state directory (default: $SYNC_HOME, else ${XDG_STATE_HOME:-~/.local/state}/sync)")
      ->envname("SYNC_HOME");
  app.add_option_function<double>(
         "--lock-timeout",
         [&ctx](double seconds) { ctx.global.common.lock_timeout_ms = int(seconds * 1000); },
         "seconds to wait while another sync command works on the same task (default 30)")
      ->check(CLI::NonNegativeNumber);

  CLI::App* help = app.add_subcommand("help", "show help for sync or for one command");
  std::string help_topic;
  help->add_option("command", help_topic, "the command to describe");

  SetupCreateCommand(app, ctx);
  SetupCheckCommand(app, ctx);
  SetupStartCommand(app, ctx);
  SetupStopCommand(app, ctx);
  SetupStatusCommand(app, ctx);
  SetupLogsCommand(app, ctx);
  SetupApplyCommand(app, ctx);
  SetupUsageCommand(app, ctx);
  SetupMetricsCommand(app, ctx);
  SetupVerifyCommand(app, ctx);
  SetupListCommand(app, ctx);
  SetupDeleteCommand(app, ctx);
  SetupBinlogCommand(app, ctx);

  // An unknown command gets a suggestion instead of CLI11's generic message.
  if (argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::string nearest = dbsync::NearestWord(argv[1], names);
      std::cerr << "sync: error: unknown command '" << argv[1] << "'"
                << (nearest.empty() ? "" : "; did you mean '" + nearest + "'?") << " Run `sync help` for the list.\n";
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (help->parsed()) {
    if (help_topic.empty()) {
      std::cout << app.get_formatter()->make_help(&app, "sync", CLI::AppFormatMode::Normal);
      return kExitOk;
    }
    try {
      std::cout << app.get_subcommand(help_topic)->help();
      return kExitOk;
    } catch (const CLI::OptionNotFound&) {
      std::cerr << "sync: error: no command named '" << help_topic << "'; run `sync help` for the list\n";
      return kExitUsage;
    }
  }
  return ctx.exit_code;
}
