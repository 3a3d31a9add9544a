#pragma once
// A real HTTP server for webhook tests (http_receiver.py, python3's
// http.server): records every POST; the first `fail_first` requests to each
// path are answered 500.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/process.hpp"

namespace dbsync::testing {

class HttpReceiver {
 public:
  explicit HttpReceiver(int fail_first = 0);
  ~HttpReceiver();
  // "http://127.0.0.1:PORT" + path.
  std::string Url(const std::string& path) const;
  // Every request so far, in order: {"path", "content_type", "body", "answered"}.
  std::vector<nlohmann::json> Requests() const;
  // The requests to `path` (without query) answered 200, waiting until there
  // are at least `n` or `limit` passes.
  std::vector<nlohmann::json> WaitDelivered(const std::string& path, size_t n, std::chrono::seconds limit) const;

 private:
  std::string dir_;
  int port_ = 0;
  ChildProcess process_;
};

}  // namespace dbsync::testing
