// sync status [TASK]: without a task, the task list; with one, its details.
// Takes no lock: it reads files that are only ever replaced atomically.

#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "check/check_report.hpp"
#include "commands.hpp"
#include "core/text_util.hpp"
#include "ops/progress_view.hpp"
#include "task_output.hpp"

namespace dbsync::app {

int PrintTaskList(CommandContext& ctx);

namespace {

void PrintCheckSummary(const char* label, const nlohmann::json& j) {
  auto report = check::CheckReport::FromJson(j);
  std::cout << fmt::format("{:<13}{} ({}): {} passed, {} warnings, {} failed\n", label, report.checked_at,
                           j.value("scope", "full"), report.Count(check::Verdict::kPass),
                           report.Count(check::Verdict::kWarn), report.Count(check::Verdict::kFail));
  for (const auto& item : report.items)
    if (item.verdict == check::Verdict::kFail || item.verdict == check::Verdict::kWarn)
      std::cout << fmt::format("             {} {}: {}\n", check::VerdictName(item.verdict), item.name, item.reason);
}

void PrintTaskSummary(const nlohmann::json& j) {
  std::cout << fmt::format("{:<13}{} ({})\n", "task:", j["id"].get<std::string>(), j["name"].get<std::string>());
  std::cout << fmt::format("{:<13}{}{}\n", "state:", j["lifecycle"].get<std::string>(),
                           j.contains("completed_at") && j["lifecycle"] == "stopped"
                               ? " (completed " + j["completed_at"].get<std::string>() + ": sync_mode full_only)"
                               : "");
  std::cout << fmt::format("{:<13}{}, sync_mode {}\n", "created:", j["created_at"].get<std::string>(),
                           j.value("sync_mode", "full_and_realtime"));
  const auto& s = j["source"];
  std::cout << fmt::format("{:<13}{} (password {}, server_id {})\n", "source:", s["url"].get<std::string>(),
                           s["password"].get<std::string>(), s["server_id"].get<uint32_t>());
  std::string tables = Join(s["tables"].get<std::vector<std::string>>(), ", ");
  auto exclude = s["exclude"].get<std::vector<std::string>>();
  if (!exclude.empty()) tables += " (exclude " + Join(exclude, ", ") + ")";
  std::cout << fmt::format("{:<13}{}\n", "tables:", tables);
  const auto& d = j["destination"];
  std::cout << fmt::format("{:<13}{} ({} {})\n", "destination:", d["url"].get<std::string>(),
                           d.value("secret_key", "password"), d["password"].get<std::string>());
  if (j.contains("run_id"))
    std::cout << fmt::format("{:<13}{} (started {}, failovers {})\n", "run:", j["run_id"].get<std::string>(),
                             j.value("started_at", ""), j.value("failovers", 0));
  if (j.contains("worker") && j["worker"].contains("rss_bytes")) {
    const auto& w = j["worker"];
    const int64_t age = std::time(nullptr) - w.value("heartbeat", int64_t{0});
    std::cout << fmt::format("{:<13}pid {}, cpu {}%, rss {:.1f} MB, {} threads (last report {} ago)\n", "worker:",
                             w.value("pid", 0), w.value("cpu_percent", 0.0),
                             double(w.value("rss_bytes", int64_t{0})) / 1048576.0, w.value("threads", 0),
                             HumanDuration(std::max<int64_t>(0, age)));
  }
}

void PrintSteps(const nlohmann::json& j) {
  for (const auto& [name, label] : std::vector<std::pair<std::string, std::string>>{
           {"schema_migration", "schema migration"},
           {"full_initialization", "full initialization"},
           {"realtime_sync", "real-time sync"}}) {
    const auto& step = j["steps"][name];
    std::string detail;
    if (name == "realtime_sync" && step.contains("lag_seconds")) {
      int64_t lag = step.value("lag_seconds", int64_t{-1});
      detail = fmt::format(" (lag {}, {} events/s, {} rows applied, position {})",
                           lag < 0 ? std::string("unknown") : std::to_string(lag) + " s",
                           step.value("events_per_second", 0.0), step.value("rows_applied", uint64_t{0}),
                           step.value("position", std::string("-")));
    }
    if (step.contains("duration_seconds"))
      detail += fmt::format(", {} {}", step.contains("finished_at") ? "took" : "for",
                            HumanDuration(step.value("duration_seconds", int64_t{0})));
    std::cout << fmt::format("{:<13}{}: {}{}\n", "step:", label, step.value("state", "not started"), detail);
    if (name == "realtime_sync" && step.contains("reconnecting")) {
      const auto& r = step["reconnecting"];
      std::cout << fmt::format("reconnecting: since {}, {} attempts failed; last: {}\n", r.value("since", ""),
                               r.value("attempts", 0), r.value("last_error", ""));
    }
    if (name == "realtime_sync" && step.contains("ddl")) {
      const auto& ddl = step["ddl"];
      std::cout << fmt::format("{:<13}{} applied, {} ignored by policy, {} warnings (see sync logs)\n", "source ddl:",
                               ddl.value("applied", uint64_t{0}), ddl.value("ignored", uint64_t{0}),
                               ddl.value("warnings", uint64_t{0}));
    }
  }
  if (j.contains("ddl_records")) {
    const auto& records = j["ddl_records"];
    for (size_t i = records.size() > 5 ? records.size() - 5 : 0; i < records.size(); ++i)
      std::cout << fmt::format("{:<13}{} {} at {}: {}\n", "", records[i].value("at", ""),
                               records[i].value("outcome", ""), records[i].value("position", ""),
                               records[i].value("statement", "").substr(0, 160));
  }
}

void PrintTables(const nlohmann::json& j) {
  if (!j.contains("tables")) return;
  for (const auto& [name, t] : j["tables"].items()) {
    std::string where = t.contains("destination") ? " -> " + t["destination"].get<std::string>() : "";
    std::string rate;
    if (t.contains("rows_per_second"))
      rate = fmt::format(", {} rows/s{}", t.value("rows_per_second", int64_t{0}),
                         t.contains("eta_seconds") ? ", ETA " + HumanDuration(t.value("eta_seconds", int64_t{0})) : "");
    std::cout << fmt::format("{:<13}{}{}: {} {} rows ({}%, chunk {}/{}{})\n", "table:", name, where,
                             t.value("state", ""), t.value("rows", uint64_t{0}), t.value("percent", 0.0),
                             t.value("chunks_done", 0), t.value("chunks_total", 0), rate);
    if (t.contains("schema_migration")) {
      const auto& m = t["schema_migration"];
      auto ddl = m.value("ddl", std::vector<std::string>{});
      std::string last = ddl.empty() ? "" : ": " + ddl.back().substr(0, ddl.back().find('\n'));
      std::cout << fmt::format("{:<13}  schema migration {}{}\n", "", m.value("outcome", ""), last);
    }
    if (t.contains("applied")) {
      const auto& a = t["applied"];
      const uint64_t n = a.value("insert", uint64_t{0}) + a.value("update", uint64_t{0}) + a.value("delete", uint64_t{0});
      if (n)
        std::cout << fmt::format("{:<13}  applied {} inserts, {} updates, {} deletes\n", "", a.value("insert", uint64_t{0}),
                                 a.value("update", uint64_t{0}), a.value("delete", uint64_t{0}));
    }
    if (t.contains("dml")) {
      const auto& d = t["dml"];
      std::cout << fmt::format("{:<13}  {} changes applied, {} ignored, {} filtered; {} rows not copied "
                               "(tables[].dml)\n", "", d.value("applied", uint64_t{0}),
                               d.value("ignored", uint64_t{0}), d.value("filtered", uint64_t{0}),
                               d.value("copy_filtered", uint64_t{0}));
    }
  }
}

void PrintIncidents(const nlohmann::json& j) {
  if (j.contains("dirty_records")) {
    const auto& d = j["dirty_records"];
    std::cout << fmt::format("{:<13}{} rows refused by the destination\n", "dirty data:", d.value("count", 0));
    for (const auto& r : d.value("last", nlohmann::json::array()))
      std::cout << fmt::format("{:<13}{} {}\n", "", r.value("at", ""), r.value("message", ""));
  }
  if (j.contains("last_errors"))
    for (const auto& e : j["last_errors"])
      std::cout << fmt::format("{:<13}{} {}\n", "error:", e.value("at", ""), e.value("message", ""));
  if (j.contains("failover_history")) {
    const auto& history = j["failover_history"];
    for (size_t i = history.size() > 5 ? history.size() - 5 : 0; i < history.size(); ++i)
      std::cout << fmt::format("{:<13}{} {}{}\n", "failover:", history[i].value("at", ""), history[i].value("reason", ""),
                               history[i].contains("error") ? ": " + history[i].value("error", "") : "");
  } else if (j.contains("last_failover")) {
    std::cout << fmt::format("{:<13}{} {}\n", "failover:", j["last_failover"].value("at", ""),
                             j["last_failover"].value("reason", ""));
  }
}

void PrintStatusText(const nlohmann::json& j) {
  PrintTaskSummary(j);
  PrintSteps(j);
  PrintTables(j);
  PrintIncidents(j);
  if (j.contains("last_check")) PrintCheckSummary("last check:", j["last_check"]);
  else std::cout << fmt::format("{:<13}never run (sync check {})\n", "last check:", j["id"].get<std::string>());
  if (j.contains("last_connectivity_check")) PrintCheckSummary("last login:", j["last_connectivity_check"]);
}

}  // namespace

void SetupStatusCommand(CLI::App& app, CommandContext& ctx) {
  auto task_arg = std::make_shared<std::string>();
  auto watch = std::make_shared<double>(0);
  CLI::App* cmd = app.add_subcommand("status", "show a task's spec summary, state and last check (or all tasks)");
  cmd->add_option("task", *task_arg, "task id or name; omit to list every task");
  auto watching_flag = std::make_shared<bool>(false);
  cmd->add_flag("-w,--watch", *watching_flag,
                "print again every --interval seconds until interrupted: redrawn with progress bars on a terminal, "
                "else timestamped lines of what changed");
  cmd->add_option("--interval", *watch, "seconds between prints with --watch (default 2)")->check(CLI::PositiveNumber);
  AddOutputOption(*cmd, ctx);
  cmd->footer("EXIT STATUS: 0 ok, 3 task not found.");
  cmd->callback([&ctx, task_arg, watch, watching_flag] {
    bool watching = *watching_flag;
    double interval = *watch > 0 ? *watch : 2.0;
    const bool text = ctx.global.output == OutputFormat::kText;
    const bool terminal = ::isatty(STDOUT_FILENO);
    // Not on a terminal, --watch prints the status once and then
    // timestamped lines of what changed (for a log).
    ops::ProgressView changes(false, TerminalWidth());
    bool first = true;
    do {
      if (watching && terminal && text) std::cout << "\033[H\033[J";
      if (task_arg->empty()) {
        ctx.exit_code = PrintTaskList(ctx);
      } else {
        auto task = ops::FindTask(ctx.global.common, *task_arg);
        if (!task.ok()) {
          ctx.exit_code = ReportError(ctx, task.status());
          return;
        }
        nlohmann::json j = DescribeTask(*task);
        if (!text) {
          std::cout << j.dump() << "\n";
        } else if (first || terminal || !watching) {
          PrintStatusText(j);
          if (watching && terminal) std::cout << "\n" << ops::ProgressView(true, TerminalWidth()).Render(j, std::time(nullptr));
          else if (watching) (void)changes.Render(j, std::time(nullptr));  // what is printed already
        } else {
          std::cout << changes.Render(j, std::time(nullptr));
        }
      }
      first = false;
      std::cout << std::flush;
      if (watching) std::this_thread::sleep_for(std::chrono::milliseconds(int(interval * 1000)));
    } while (watching && ctx.exit_code == 0);
  });
}

}  // namespace dbsync::app
