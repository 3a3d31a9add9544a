#include "pipeline/supervisor.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <random>
#include <thread>

#include "core/fork_gate.hpp"
#include "core/logger.hpp"
#include "pipeline/alert_monitor.hpp"
#include "pipeline/metrics_file.hpp"
#include "core/atomic_file.hpp"
#include "pipeline/state_updater.hpp"
#include "pipeline/stop_watchdog.hpp"
#include "pipeline/worker.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<pid_t> g_worker{0};

// sync apply: the running worker applies the stored spec itself, so the
// tables that stay keep streaming; a worker started later reads it anyway.
void OnReloadSignal(int) {
  pid_t w = g_worker.load();
  if (w > 0) ::kill(w, SIGHUP);
}

void OnStopSignal(int) {
  g_stop = true;
  pid_t w = g_worker.load();
  if (w > 0) ::kill(w, SIGTERM);
}

void InstallStopHandlers(void (*handler)(int)) {
  struct sigaction sa = {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

constexpr int kExitPermanent = 76;
constexpr int kExitBusy = 75;
constexpr int kExitCompleted = 77;  // sync_mode full_only: the copy is done
// How long a stopping worker may take before it leaves unfinished (sync stop
// and SIGTERM end a task within 2 s whatever it waits on).
constexpr int kStopGraceMs = 1500;
std::atomic<bool> g_worker_stop{false};
std::atomic<bool> g_worker_reload{false};
std::atomic<bool> g_worker_state_fault{false};
void OnWorkerStopSignal(int) { g_worker_stop = true; }
void OnWorkerReloadSignal(int) { g_worker_reload = true; }

// Runs in the forked child: the worker proper.
[[noreturn]] void WorkerMain(const SuperviseOptions& o) {
  // Load bodies and row pieces of many megabytes come and go on several
  // threads. glibc raises its mmap threshold to the largest block freed, after
  // which such buffers stay in per-thread arenas: resident memory grew to the
  // sum of every thread's largest buffers (226 MB in bench/starrocks_bench at
  // 1M rows). A fixed threshold returns them to the system when freed.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  ::mallopt(M_ARENA_MAX, 4);
  // `ps -L`, top and /proc tell the worker from its supervisor by this name
  // (the test harness's fault injection, tests/harness/fault_shim.c, too).
  ::prctl(PR_SET_NAME, "sync-worker");
  InstallStopHandlers(OnWorkerStopSignal);
  struct sigaction reload = {};
  reload.sa_handler = OnWorkerReloadSignal;
  sigemptyset(&reload.sa_mask);
  ::sigaction(SIGHUP, &reload, nullptr);
  bool completed = false;
  Status s;
  {
    StopWatchdog watchdog(g_worker_stop, std::chrono::milliseconds(kStopGraceMs), [&o] {
      Logger(state::TaskDir{o.home, o.task_id}.WorkerLog())
          .Warn("stopping: still waiting on a server " + std::to_string(kStopGraceMs) + " ms after the stop; the "
                "worker leaves without finishing its batch, which the next start replays from the checkpoint");
      // Its error is recorded already; the task must end, not fail over.
      return g_worker_state_fault ? kExitPermanent : 0;
    });
    s = RunWorker({o.home, o.task_id, o.run_id, &g_worker_state_fault}, g_worker_stop, &g_worker_reload, &completed);
  }
  if (s.ok()) ::_exit(completed ? kExitCompleted : 0);
  if (s.code() == StatusCode::kBusy) ::_exit(kExitBusy);
  // A restart cannot fix a bad spec, a refused login, a purged binlog or a
  // policy that says stop: those end the task; the rest is retried.
  ::_exit(s.IsRetryable() || s.code() == StatusCode::kInternal || s.code() == StatusCode::kIOError ? 1 : kExitPermanent);
}

std::string HostName() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "";
}

// The message of the worker's last error (state.json), for the failed alert.
std::string LastError(const std::string& home, const std::string& task_id) {
  auto store = state::TaskStore::Open(home);
  if (!store.ok()) return "";
  auto task = store->Find(task_id);
  if (!task.ok()) return "";
  const auto& errors = task->state.value("last_errors", nlohmann::json::array());
  return errors.is_array() && !errors.empty() ? errors.back().value("message", "") : "";
}

}  // namespace

std::string NewRunId() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "r%Y%m%dT%H%M%S", &tm);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", unsigned(rd() & 0xFFFF));
  return std::string(buf) + suffix;
}

Status Supervise(const SuperviseOptions& o) {
  InstallStopHandlers(OnStopSignal);
  struct sigaction reload = {};
  reload.sa_handler = OnReloadSignal;
  sigemptyset(&reload.sa_mask);
  ::sigaction(SIGHUP, &reload, nullptr);
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(o.home));
  SYNC_ASSIGN_OR_RETURN(auto task, store.Find(o.task_id));
  Logger log(task.dir.WorkerLog());
  StateUpdater updater(o.home, o.task_id);
  const auto& failover = task.spec.runtime.failover;
  std::deque<std::chrono::steady_clock::time_point> recent_failures;
  auto backoff = std::chrono::milliseconds(500);
  Status final_status;
  bool failed = false;
  std::string end_message = "the task was stopped";
  AlertMonitor alerts(task.spec, {o.task_id, task.spec.name, o.run_id, HostName()}, log, task.dir.StateFile(),
                      task.dir.AlertOutbox());
  bool after_failover = false;
  MetricsFile metrics(o.home, o.task_id, log);  // written a last time when the task has ended

  while (!g_stop) {
    auto started = std::chrono::steady_clock::now();
    // An error counted after this is the new worker's (times have only
    // seconds: two workers can start and fail within one).
    int64_t errors_before = 0;
    if (auto text = ReadFile(task.dir.StateFile()); text.ok()) {
      auto state = nlohmann::json::parse(*text, nullptr, false);
      if (state.is_object()) errors_before = state.value("errors_total", int64_t{0});
    }
    pid_t pid;
    {
      std::lock_guard<std::mutex> gate(ForkGate());  // core/fork_gate.hpp
      pid = ::fork();
      if (pid == 0) WorkerMain(o);  // never returns
    }
    if (pid < 0) return Status::Internal("cannot fork the worker process");
    g_worker = pid;
    alerts.WorkerStarted(pid, after_failover);
    if (g_stop) ::kill(pid, SIGTERM);  // a stop that arrived before g_worker was set
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_worker = 0;
    alerts.WorkerEnded();
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (clean && g_stop) break;
    if (WIFEXITED(status) && WEXITSTATUS(status) == kExitCompleted) {
      log.Info("every table is copied (sync_mode: full_only)");
      end_message = "every table is copied (sync_mode: full_only); the task stopped";
      (void)updater.Update([](nlohmann::json& s) { s["completed_at"] = state::NowIso8601(); });
      break;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kExitBusy) {
      final_status = Status::Busy("another worker is already running this task");
      end_message = "another worker is already running this task";
      failed = true;
      break;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kExitPermanent) {
      log.Error("the worker stopped on an error that a restart cannot fix; the task is failed. Fix the cause (see "
                "the error above and `sync status`), then `sync start` again");
      final_status = Status::FailedPrecondition("the task failed; see `sync status " + o.task_id + "`");
      end_message = "the task failed on an error a restart cannot fix: " + LastError(o.home, o.task_id) +
                    " (sync status " + o.task_id + " says what to do)";
      failed = true;
      break;
    }
    std::string why = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                          : "exited with status " + std::to_string(WEXITSTATUS(status));
    if (g_stop) break;
    auto now = std::chrono::steady_clock::now();
    recent_failures.push_back(now);
    while (!recent_failures.empty() && now - recent_failures.front() > std::chrono::minutes(failover.window_minutes))
      recent_failures.pop_front();
    (void)updater.Update([&](nlohmann::json& s) {
      s["failovers"] = s.value("failovers", 0) + 1;
      s["last_failover"] = {{"at", state::NowIso8601()}, {"reason", "worker " + why}};
      // The run's failovers, newest last, with the error the worker reported
      // (if it reported one: a killed worker says nothing).
      nlohmann::json record = s["last_failover"];
      const auto& errors = s.value("last_errors", nlohmann::json::array());
      if (!errors.empty() && s.value("errors_total", int64_t{0}) > errors_before)
        record["error"] = errors.back().value("message", "");
      nlohmann::json& history = s["failover_history"];
      if (!history.is_array()) history = nlohmann::json::array();
      history.push_back(record);
      while (history.size() > 20) history.erase(history.begin());
    });
    if (int(recent_failures.size()) > failover.max_times) {
      log.Error("worker " + why + "; " + std::to_string(recent_failures.size()) + " failovers within " +
                std::to_string(failover.window_minutes) + " minutes exceed runtime.failover.max_times: giving up");
      final_status = Status::FailedPrecondition("too many failovers; see `sync logs " + o.task_id + "`");
      end_message = "the task failed: worker " + why + ", and " + std::to_string(recent_failures.size()) +
                    " failovers within " + std::to_string(failover.window_minutes) +
                    " minutes exceed runtime.failover.max_times";
      failed = true;
      break;
    }
    alerts.Failover(why, int(recent_failures.size()));
    after_failover = true;
    // A worker that ran a while before dying earns a fresh, short backoff.
    if (now - started > std::chrono::minutes(1)) backoff = std::chrono::milliseconds(500);
    log.Warn("worker " + why + "; restarting in " + std::to_string(backoff.count()) + " ms (failover)");
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !g_stop; waited += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000 * failover.max_backoff_seconds));
  }
  Status recorded = updater.Update([&](nlohmann::json& s) {
    state::SetLifecycle(s, failed ? state::Lifecycle::kFailed : state::Lifecycle::kStopped);
    s["stopped_at"] = state::NowIso8601();
    s.erase("supervisor");
  });
  if (!recorded.ok()) log.Error("cannot record that the task " + std::string(failed ? "failed" : "stopped") + ": " +
                                recorded.message());
  log.Info(failed ? "task failed" : "task stopped");
  alerts.Ended(failed ? "failed" : "stopped", end_message);
  return final_status;
}

}  // namespace dbsync::pipeline
