#include "alert/alert_delivery.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "core/redactor.hpp"
#include "core/text_util.hpp"
#include "net/http_client.hpp"

namespace dbsync::alert {
namespace {

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

}  // namespace

Status RunCommand(const std::string& command, const std::string& payload, const std::vector<std::string>& env,
                  int timeout_seconds) {
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
  if (pid < 0) return Status::Internal("cannot fork the alert command");
  if (pid == 0) ExecShell(argv, envp.data(), in[0], out[1]);
  ::setpgid(pid, pid);  // also here: the kill below must find the group whichever runs first
  ::close(in[0]);
  ::close(out[1]);
  // The payload is a few kilobytes, under a pipe's buffer: a command that
  // never reads its stdin does not hold this write up.
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  (void)!::write(in[1], payload.data(), payload.size());
  ::close(in[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);

  std::string output;
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (!exited && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    ::poll(&p, 1, 50);
    char buf[512];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0)
      if (output.size() < kOutputKept) output.append(buf, size_t(n));
    exited = ::waitpid(pid, &status, WNOHANG) == pid;
  }
  ::close(out[0]);
  if (!exited) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Status::Unavailable("the alert command did not finish within " + std::to_string(timeout_seconds) +
                               " s (alerts[].timeout_seconds) and was killed");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  std::string why = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : "was killed by signal " + std::to_string(WTERMSIG(status));
  output = Trim(output.substr(0, kOutputKept));
  return Status::Unavailable("the alert command " + why + (output.empty() ? "" : ": " + output));
}

std::string UrlForDisplay(const std::string& url) {
  size_t host = url.find("://");
  host = host == std::string::npos ? 0 : host + 3;
  size_t path = url.find_first_of("/?#", host);
  return path == std::string::npos ? url : url.substr(0, path) + "/...";
}

Status PostWebhook(const std::string& url, const std::string& body, int timeout_seconds) {
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

}  // namespace dbsync::alert
