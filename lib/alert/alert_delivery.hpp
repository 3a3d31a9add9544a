#pragma once
// How one alert reaches someone: a command run with the payload on its
// stdin, or a webhook POSTed with libcurl. Each call is one attempt, bounded
// by its timeout; the caller retries (alerter.hpp).
//
// Each attempt runs in a child process (the shell, or a fork that posts):
// the caller, the supervisor, forks its worker without exec, so the fork
// gate (core/fork_gate.hpp) is held only to start the child and to read its
// outcome, never while it waits. A receiver that hangs cannot hold up a
// worker's restart. `abandon`, when set, ends an attempt early: its child is
// killed and the result is kCancelled.

#include <atomic>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace dbsync::alert {

// Runs `command` with /bin/sh -c in a process group of its own, `payload` on
// its stdin and `env` (NAME=value) added to its environment. OK when it
// exits 0 within `timeout_seconds`; otherwise an error with its exit status
// and the first lines of what it wrote, or that it was killed (the whole
// group, SIGKILL) at the timeout.
Status RunCommand(const std::string& command, const std::string& payload, const std::vector<std::string>& env,
                  int timeout_seconds, const std::atomic<bool>* abandon = nullptr);

// POSTs `body` (application/json) to `url`. OK on a 2xx answer; an error
// with the status and the start of the answer otherwise. Messages name only
// the URL's scheme and host: chat webhooks carry their token in the path
// (Slack) or the query (DingTalk).
Status PostWebhook(const std::string& url, const std::string& body, int timeout_seconds,
                   const std::atomic<bool>* abandon = nullptr);

// "https://host/..." of `url`, for logs.
std::string UrlForDisplay(const std::string& url);

}  // namespace dbsync::alert
