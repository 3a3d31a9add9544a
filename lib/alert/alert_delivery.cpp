#include "alert/alert_delivery.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <cstring>
#include <mutex>

#include "core/fork_gate.hpp"
#include "core/redactor.hpp"
#include "core/text_util.hpp"
#include "net/http_client.hpp"

namespace dbsync::alert {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kOutputKept = 400;  // bytes of the command's output kept for the message

// The child: its own process group (so that a timeout kills what it started
// too), the pipes on stdin and stdout/stderr, then the shell. Only calls
// that allocate nothing: the parent has other threads (core/fork_gate.hpp).
[[noreturn]] void ExecShell(char* const argv[], char* const envp[], int in_fd, int out_fd) {
  ::setpgid(0, 0);
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  ::execve("/bin/sh", argv, envp);
  ::_exit(127);
}

// What a child process did, gathered without allocating: the parent's wait
// runs outside the fork gate.
struct ChildOutcome {
  bool exited = false;
  bool abandoned = false;
  int status = 0;
  char output[kOutputKept];
  size_t length = 0;
  std::string Output() const { return std::string(output, length); }
};

// Waits for `pid` until it exits, `deadline` passes or `abandon` is set,
// keeping the first kOutputKept bytes it writes to `out_fd` (closed here).
// A child still running then is killed with its process group.
void AwaitChild(pid_t pid, int out_fd, Clock::time_point deadline, const std::atomic<bool>* abandon,
                ChildOutcome& outcome) {
  ::fcntl(out_fd, F_SETFL, O_NONBLOCK);
  while (!outcome.exited && Clock::now() < deadline) {
    if (abandon && abandon->load()) {
      outcome.abandoned = true;
      break;
    }
    pollfd p{out_fd, POLLIN, 0};
    ::poll(&p, 1, 50);
    char buf[512];
    ssize_t n;
    while ((n = ::read(out_fd, buf, sizeof buf)) > 0) {
      size_t keep = std::min(size_t(n), kOutputKept - outcome.length);
      std::memcpy(outcome.output + outcome.length, buf, keep);
      outcome.length += keep;
    }
    outcome.exited = ::waitpid(pid, &outcome.status, WNOHANG) == pid;
  }
  ::close(out_fd);
  if (outcome.exited) return;
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, &outcome.status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Status RunCommand(const std::string& command, const std::string& payload, const std::vector<std::string>& env,
                  int timeout_seconds, const std::atomic<bool>* abandon) {
  // Everything that allocates is done under the gate; `gate` is made first,
  // so it is released last, after the locals are freed.
  std::unique_lock<std::mutex> gate(ForkGate());
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Status::Internal("cannot make a pipe for the alert command");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Status::Internal("cannot make a pipe for the alert command");
  }
  // argv and the environment (this process's, plus `env`) are made before the fork.
  std::vector<std::string> env_strings = env;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& kv : env_strings) envp.push_back(kv.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", text = command;
  char* argv[] = {sh.data(), dash_c.data(), text.data(), nullptr};
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return Status::Internal("cannot fork the alert command");
  }
  if (pid == 0) ExecShell(argv, envp.data(), in[0], out[1]);
  ::setpgid(pid, pid);  // also here: the kill below must find the group whichever runs first
  ::close(in[0]);
  ::close(out[1]);
  // The payload is a few kilobytes, under a pipe's buffer: a command that
  // never reads its stdin does not hold this write up.
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  (void)!::write(in[1], payload.data(), payload.size());
  ::close(in[1]);
  gate.unlock();
  ChildOutcome outcome;
  AwaitChild(pid, out[0], Clock::now() + std::chrono::seconds(timeout_seconds), abandon, outcome);
  gate.lock();
  if (outcome.abandoned) return Status(StatusCode::kCancelled, "the task ended before the alert command finished; it was killed");
  if (!outcome.exited)
    return Status::Unavailable("the alert command did not finish within " + std::to_string(timeout_seconds) +
                               " s (alerts[].timeout_seconds) and was killed");
  if (WIFEXITED(outcome.status) && WEXITSTATUS(outcome.status) == 0) return Status::Ok();
  std::string why = WIFEXITED(outcome.status) ? "exited with status " + std::to_string(WEXITSTATUS(outcome.status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(outcome.status));
  std::string output = Trim(outcome.Output());
  return Status::Unavailable("the alert command " + why + (output.empty() ? "" : ": " + output));
}

std::string UrlForDisplay(const std::string& url) {
  size_t host = url.find("://");
  host = host == std::string::npos ? 0 : host + 3;
  size_t path = url.find_first_of("/?#", host);
  return path == std::string::npos ? url : url.substr(0, path) + "/...";
}

namespace {

Status PostWebhookHere(const std::string& url, const std::string& body, int timeout_seconds) {
  net::HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body;
  r.follow_redirects = false;
  r.connect_timeout_ms = std::min(timeout_seconds, 10) * 1000;
  r.timeout_ms = timeout_seconds * 1000;
  auto reply = net::HttpCall(r);
  if (!reply.ok()) {
    Redactor redactor;  // libcurl's messages may name the whole URL
    redactor.Add(url);
    return Status::Unavailable("the webhook " + UrlForDisplay(url) + " could not be reached: " +
                               redactor.Apply(reply.status().message()));
  }
  if (reply->status >= 200 && reply->status < 300) return Status::Ok();
  return Status::Unavailable("the webhook " + UrlForDisplay(url) + " answered HTTP " + std::to_string(reply->status) +
                             ": " + Trim(reply->body.substr(0, 200)));
}

}  // namespace

Status PostWebhook(const std::string& url, const std::string& body, int timeout_seconds,
                   const std::atomic<bool>* abandon) {
  std::unique_lock<std::mutex> gate(ForkGate());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::Internal("cannot make a pipe for the webhook");
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return Status::Internal("cannot fork to post the webhook");
  }
  if (pid == 0) {
    // The child posts and reports: it is alone in its process, so libcurl's
    // locks and allocations cannot meet a fork; the parent only waits.
    ::setpgid(0, 0);
    ::close(out[0]);
    Status posted = PostWebhookHere(url, body, timeout_seconds);
    const std::string& message = posted.message();
    (void)!::write(out[1], message.data(), std::min(message.size(), kOutputKept));
    ::_exit(posted.ok() ? 0 : 1);
  }
  ::setpgid(pid, pid);
  ::close(out[1]);
  gate.unlock();
  ChildOutcome outcome;
  // libcurl keeps the timeout itself; the extra second lets its own message come back.
  AwaitChild(pid, out[0], Clock::now() + std::chrono::seconds(timeout_seconds + 1), abandon, outcome);
  gate.lock();
  if (outcome.abandoned) return Status(StatusCode::kCancelled, "the task ended before the webhook " + UrlForDisplay(url) + " answered");
  if (!outcome.exited)
    return Status::Unavailable("the webhook " + UrlForDisplay(url) + " did not answer within " +
                               std::to_string(timeout_seconds) + " s (alerts[].timeout_seconds)");
  if (WIFEXITED(outcome.status) && WEXITSTATUS(outcome.status) == 0) return Status::Ok();
  if (WIFEXITED(outcome.status) && WEXITSTATUS(outcome.status) == 1) return Status::Unavailable(outcome.Output());
  return Status::Internal("the process posting to the webhook " + UrlForDisplay(url) + " ended abnormally (" +
                          (WIFSIGNALED(outcome.status) ? "signal " + std::to_string(WTERMSIG(outcome.status))
                                                       : "status " + std::to_string(WEXITSTATUS(outcome.status))) +
                          ")");
}

}  // namespace dbsync::alert
