#include "ops/task_lifecycle.hpp"

#include "ops/progress_view.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <thread>

#include "check/check_runner.hpp"
#include "config/secret.hpp"
#include "core/atomic_file.hpp"
#include "state/space_reserve.hpp"
#include "core/text_util.hpp"
#include "net/mysql_client.hpp"
#include "pipeline/ddl_applier.hpp"
#include "pipeline/state_updater.hpp"
#include "pipeline/supervisor.hpp"
#include "pipeline/rerun.hpp"
#include "source/mysql/binlog_position_search.hpp"
#include "sink/registry.hpp"
#include "state/file_lock.hpp"
#include "source/mysql/source_endpoint.hpp"

namespace dbsync::ops {
namespace {

// A zombie counts as dead: where PID 1 does not reap orphans (some containers)
// a finished supervisor would otherwise look alive forever.
bool ProcessAlive(int pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return true;
  char state = 0;
  int scanned = std::fscanf(f, "%*d (%*[^)]) %c", &state);
  std::fclose(f);
  return !(scanned == 1 && (state == 'Z' || state == 'X'));
}

int SupervisorPid(const state::TaskRecord& task) {
  return task.state.contains("supervisor") ? task.state["supervisor"].value("pid", 0) : 0;
}

bool HasUncopiedTables(const config::TaskSpec& spec) {
  if (spec.sync_mode == config::SyncMode::kRealtimeOnly) return true;
  for (const auto& t : spec.tables)
    if (!t.full_initialization) return true;
  return false;
}

}  // namespace

namespace {

// Whether the task may start its uncopied tables somewhere of the user's choosing (`option`).
Status CheckStartElsewhere(const state::TaskRecord& task, const std::string& option) {
  if (!HasUncopiedTables(task.spec))
    return Status::InvalidArgument(option + " is where tables that are not copied start; this task copies every "
                                   "table (their changes follow from their copies). Set sync_mode: realtime_only "
                                   "or tables[].full_initialization: false");
  if (ReadFile(task.dir.CheckpointFile()).ok() || task.state.contains("start_from"))
    return Status::FailedPrecondition("task " + task.dir.id + " has started before: its tables follow the binlog "
                                      "from where they stand, and " + option + " applies only to a first start. "
                                      "Create a new task to start elsewhere");
  return Status::Ok();
}

Result<mysql::Endpoint> SourceEndpoint(const state::TaskRecord& task) {
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(task.spec.source.password));
  const auto& src = task.spec.source;
  return mysql::EndpointOf(src, password, 60);
}

// "2026-12-06 10:00:00" (the machine's time zone, as mariadb-binlog reads
// --start-datetime), with a T instead of the space, a Z or ±HH:MM for
// another zone, or "@" and seconds since the epoch.
std::optional<int64_t> ParseStartTime(const std::string& text) {
  if (text.size() > 1 && text[0] == '@' && text.find_first_not_of("0123456789", 1) == std::string::npos &&
      text.size() < 13)
    return std::stoll(text.substr(1));
  std::tm tm{};
  int consumed = 0;
  char sep = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &sep, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 7 ||
      (sep != ' ' && sep != 'T'))
    return std::nullopt;
  int year = tm.tm_year, month = tm.tm_mon, day = tm.tm_mday;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::string zone = text.substr(consumed);
  std::tm check = tm;
  if (zone.empty()) {
    tm.tm_isdst = -1;
    std::time_t t = std::mktime(&tm);
    if (t == -1 || tm.tm_mday != day || tm.tm_mon != month - 1 || tm.tm_year != year - 1900) return std::nullopt;
    return int64_t(t);
  }
  int64_t offset = 0;
  if (zone != "Z") {
    int hh = 0, mm = 0, n = 0;
    if ((zone[0] != '+' && zone[0] != '-') || std::sscanf(zone.c_str() + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 ||
        size_t(n) + 1 != zone.size() || hh > 14 || mm > 59)
      return std::nullopt;
    offset = (zone[0] == '-' ? -1 : 1) * int64_t(hh * 3600 + mm * 60);
  }
  std::time_t t = timegm(&check);
  if (t == -1 || check.tm_mday != day || check.tm_mon != month - 1) return std::nullopt;
  return int64_t(t) - offset;
}

}  // namespace

Result<BinlogPosition> CheckStartTime(const state::TaskRecord& task, const std::string& text) {
  std::optional<int64_t> at = ParseStartTime(text);
  if (!at)
    return Status::InvalidArgument("--from-time '" + text + "': expected a time like 2026-12-06 10:00:00 (this "
                                   "machine's time zone), 2026-12-06T10:00:00Z, 2026-12-06T10:00:00+08:00 or "
                                   "@1796551200");
  SYNC_RETURN_IF_ERROR(CheckStartElsewhere(task, "--from-time"));
  SYNC_ASSIGN_OR_RETURN(auto endpoint, SourceEndpoint(task));
  mysql::StreamOptions stream;
  stream.server_id = task.spec.source.server_id;
  auto found = mysql::FindBinlogPositionAtTime(endpoint, stream, *at);
  if (!found.ok()) return found.status().WithContext("--from-time " + text);
  return found;
}

Result<BinlogPosition> CheckStartGtid(const state::TaskRecord& task, const std::string& text) {
  if (Trim(text).empty()) return Status::InvalidArgument("--from-gtid: expected a GTID set, e.g. 0-1-42 (MariaDB)");
  SYNC_RETURN_IF_ERROR(CheckStartElsewhere(task, "--from-gtid"));
  SYNC_ASSIGN_OR_RETURN(auto endpoint, SourceEndpoint(task));
  mysql::StreamOptions stream;
  stream.server_id = task.spec.source.server_id;
  auto found = mysql::FindBinlogPositionAfterGtids(endpoint, stream, Trim(text));
  if (!found.ok()) return found.status().WithContext("--from-gtid " + text);
  return found;
}

Result<BinlogPosition> CheckStartPosition(const state::TaskRecord& task, const std::string& text) {
  size_t colon = text.rfind(':');
  BinlogPosition pos;
  if (colon != std::string::npos && colon > 0) {
    pos.file = text.substr(0, colon);
    const std::string offset = text.substr(colon + 1);
    if (!offset.empty() && offset.find_first_not_of("0123456789") == std::string::npos && offset.size() < 12)
      pos.offset = std::stoull(offset);
    else
      pos.file.clear();
  }
  if (pos.file.empty() || pos.offset < 4)
    return Status::InvalidArgument("--from-position '" + text + "': expected FILE:POS, e.g. binlog.000042:1234 "
                                   "(SHOW BINARY LOGS lists the files; an event starts at 4 or later)");
  SYNC_RETURN_IF_ERROR(CheckStartElsewhere(task, "--from-position"));
  SYNC_ASSIGN_OR_RETURN(auto endpoint, SourceEndpoint(task));
  SYNC_ASSIGN_OR_RETURN(auto conn, mysql::Connection::Connect(endpoint));
  SYNC_ASSIGN_OR_RETURN(auto logs, conn.Query("SHOW BINARY LOGS"));
  std::vector<std::string> files;
  for (const auto& row : logs.rows) {
    const std::string name = row[0].value_or("");
    files.push_back(name);
    if (name != pos.file) continue;
    uint64_t size = std::stoull(row.size() > 1 && row[1] ? *row[1] : "0");
    if (pos.offset > size)
      return Status::InvalidArgument("--from-position " + text + " is past the end of " + name + " (" +
                                     std::to_string(size) + " bytes)");
    return pos;
  }
  if (files.empty()) return Status::FailedPrecondition("the source lists no binary logs (is log_bin on?)");
  BinlogPosition oldest{files.front(), 4, ""};
  if (pos.Compare(oldest) < 0)
    return Status::FailedPrecondition("--from-position " + text + ": " + pos.file + " is purged from the source; "
                                      "the oldest binary log it has is " + files.front() + ". Start from there or "
                                      "later, or copy the tables (full initialization)");
  return Status::FailedPrecondition("--from-position " + text + ": the source has no binary log " + pos.file +
                                    " (it has " + files.front() + " to " + files.back() + ")");
}

bool IsWorkerRunning(const state::TaskRecord& task) {
  int fd = ::open(task.dir.WorkerLockFile().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

namespace {

Status CheckRerun(const state::TaskRecord& task, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return Status::Ok();
  if (task.spec.sync_mode == config::SyncMode::kRealtimeOnly)
    return Status::InvalidArgument("--rerun copies tables, and this task's sync_mode is realtime_only, which copies "
                                   "none; change sync_mode with sync apply first");
  for (const auto& p : patterns)
    if (p.find('.') == std::string::npos)
      return Status::InvalidArgument("--rerun-table '" + p + "': expected db.table (globs allowed, e.g. shop.order_*)");
  return Status::Ok();
}

}  // namespace

Result<StartResult> StartTask(const CommonOptions& opts, state::TaskRecord& task, const StartRequest& request,
                              check::CheckReport* report) {
  const bool foreground = request.foreground;
  const std::string& from_position = request.from_position;
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  SYNC_RETURN_IF_ERROR(sink::CheckSynchronizable(task.spec.destination));
  if (Status policies = sink::ValidateTableSettings(task.spec); !policies.ok()) return policies;
  SYNC_RETURN_IF_ERROR(CheckRerun(task, request.rerun));
  if (int(!request.from_position.empty()) + int(!request.from_time.empty()) + int(!request.from_gtid.empty()) > 1)
    return Status::InvalidArgument("--from-position, --from-time and --from-gtid each say where to start; give one");
  StartResult result;
  {
    SYNC_ASSIGN_OR_RETURN(auto lock, store.LockTask(task, opts.lock_timeout_ms));
    SYNC_ASSIGN_OR_RETURN(task, store.Find(task.dir.id));
    if (ProcessAlive(SupervisorPid(task)) || IsWorkerRunning(task))
      return Status::FailedPrecondition("task " + task.dir.id + " is already running; `sync stop " + task.dir.id +
                                        "` first, or see `sync status " + task.dir.id + "`");
    // Room for the error that stops the task if this file system fills up
    // (state/space_reserve.hpp); a home with less room than that fails now.
    SYNC_RETURN_IF_ERROR(state::ReserveSpace(task.dir.SpaceReserveFile()));
    *report = check::RunChecks(task.spec, check::CheckScope::kFull);
    task.state["last_check"] = report->ToJson();
    if (!report->Passed(false)) {
      SYNC_RETURN_IF_ERROR(store.SaveState(task));
      return Status::FailedPrecondition("the configuration check failed; fix the items above and run `sync start " +
                                        task.dir.id + "` again");
    }
    if (!from_position.empty()) {
      SYNC_ASSIGN_OR_RETURN(BinlogPosition from, CheckStartPosition(task, from_position));
      task.state["start_from"] = from.ToJson();
    } else if (!request.from_time.empty()) {
      SYNC_ASSIGN_OR_RETURN(BinlogPosition from, CheckStartTime(task, request.from_time));
      task.state["start_from"] = from.ToJson();
    } else if (!request.from_gtid.empty()) {
      SYNC_ASSIGN_OR_RETURN(BinlogPosition from, CheckStartGtid(task, request.from_gtid));
      task.state["start_from"] = from.ToJson();
    }
    // Carried out and cleared by the worker (pipeline/rerun.hpp); a start
    // without --rerun drops a request that never got that far.
    if (request.rerun.empty()) task.state.erase(pipeline::kRerunKey);
    else task.state[pipeline::kRerunKey] = request.rerun;
    result.run_id = pipeline::NewRunId();
    state::SetLifecycle(task.state, state::Lifecycle::kRunning);
    task.state["run_id"] = result.run_id;
    task.state["started_at"] = state::NowIso8601();
    task.state["failovers"] = 0;
    // A new run reports its own steps and failovers; old ones would mislead.
    for (const char* stale : {"last_errors", "last_failover", "failover_history", "ddl_records", "dirty_records", "steps",
                              "worker", "completed_at"}) task.state.erase(stale);
    SYNC_RETURN_IF_ERROR(store.SaveState(task));
  }
  pipeline::SuperviseOptions so{state::ResolveHome(opts.home), task.dir.id, result.run_id};
  auto record_supervisor = [&](int pid) {
    return pipeline::StateUpdater(so.home, so.task_id).Update([&](nlohmann::json& s) {
      s["supervisor"] = {{"pid", pid}, {"run_id", result.run_id}};
    });
  };
  if (foreground) {
    result.supervisor_pid = ::getpid();
    SYNC_RETURN_IF_ERROR(record_supervisor(result.supervisor_pid));
    std::optional<ProgressPrinter> progress;
    if (request.show_progress)
      progress.emplace(so.home, so.task_id, stdout, request.progress_terminal, request.progress_width);
    Status supervised = pipeline::Supervise(so);
    progress.reset();
    SYNC_RETURN_IF_ERROR(supervised);
    return result;
  }
  // Double fork: the supervisor is re-parented to init and outlives this command.
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return Status::Internal("pipe failed");
  pid_t child = ::fork();
  if (child < 0) return Status::Internal("cannot fork the supervisor");
  if (child == 0) {
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild > 0 ? 0 : 1);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::close(ready[0]);
    Status recorded = record_supervisor(::getpid());
    char ok = recorded.ok() ? 1 : 0;
    [[maybe_unused]] ssize_t n = ::write(ready[1], &ok, 1);
    ::close(ready[1]);
    Status s = pipeline::Supervise(so);
    ::_exit(s.ok() ? 0 : 1);
  }
  ::close(ready[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  char ok = 0;
  ssize_t n = ::read(ready[0], &ok, 1);
  ::close(ready[0]);
  if (n != 1 || !ok) return Status::Internal("the background worker did not start; see `sync logs " + task.dir.id + "`");
  SYNC_ASSIGN_OR_RETURN(task, store.Find(task.dir.id));
  result.supervisor_pid = SupervisorPid(task);
  return result;
}

Status StopTask(const CommonOptions& opts, state::TaskRecord& task, int timeout_seconds) {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(state::ResolveHome(opts.home)));
  int pid = SupervisorPid(task);
  if (!ProcessAlive(pid) && !IsWorkerRunning(task)) {
    SYNC_ASSIGN_OR_RETURN(auto lock, store.LockTask(task, opts.lock_timeout_ms));
    SYNC_ASSIGN_OR_RETURN(task, store.Find(task.dir.id));
    if (state::LifecycleIn(task.state) == state::Lifecycle::kRunning) {
      state::SetLifecycle(task.state, state::Lifecycle::kStopped);  // the supervisor died without saying so
      task.state.erase("supervisor");
      SYNC_RETURN_IF_ERROR(store.SaveState(task));
      return Status::Ok();
    }
    return Status::FailedPrecondition("task " + task.dir.id + " is not running (state: " +
                                      state::LifecycleName(state::LifecycleIn(task.state)) + ")");
  }
  if (pid > 0 && ProcessAlive(pid)) {
    ::kill(pid, SIGTERM);
  } else if (task.state.contains("worker")) {
    // The supervisor is gone (killed) but its worker still runs: stop it directly.
    int worker = task.state["worker"].value("pid", 0);
    if (ProcessAlive(worker)) ::kill(worker, SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!ProcessAlive(pid) && !IsWorkerRunning(task)) {
      SYNC_ASSIGN_OR_RETURN(auto lock, store.LockTask(task, opts.lock_timeout_ms));
      SYNC_ASSIGN_OR_RETURN(task, store.Find(task.dir.id));
      if (state::LifecycleIn(task.state) == state::Lifecycle::kRunning) {  // no supervisor was left to record it
        state::SetLifecycle(task.state, state::Lifecycle::kStopped);
        task.state.erase("supervisor");
        SYNC_RETURN_IF_ERROR(store.SaveState(task));
      }
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Unavailable("the worker of task " + task.dir.id + " did not stop within " +
                             std::to_string(timeout_seconds) + " s; it may be flushing a large batch. Retry `sync stop`"
                             ", or see `sync logs " + task.dir.id + "`");
}

}  // namespace dbsync::ops
