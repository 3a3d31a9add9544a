#pragma once
// The worker's log: timestamped lines appended to a file, rotated by size,
// with every known secret replaced by ***. Thread-safe, and safe for several
// processes appending to the same file (the supervisor and its worker).
//
// A line that cannot be written (a full disk) is dropped, never retried and
// never fatal: the next line that can be written says how many were lost.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "core/redactor.hpp"

namespace dbsync {

class Logger {
 public:
  enum class Level { kInfo, kWarn, kError };

  // Appends to `path` (created 0600); at `max_bytes` the file becomes `path.1`.
  explicit Logger(std::string path, size_t max_bytes = 10 << 20);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void AddSecret(const std::string& secret);
  void Info(const std::string& message) { Write(Level::kInfo, message); }
  void Warn(const std::string& message) { Write(Level::kWarn, message); }
  void Error(const std::string& message) { Write(Level::kError, message); }
  void Write(Level level, const std::string& message);
  // A warning about something that repeats (a best-effort file that cannot
  // be written each second): logged at most once per `every` for each `key`,
  // saying how many were left out since.
  void WarnRateLimited(const std::string& key, const std::string& message,
                       std::chrono::seconds every = std::chrono::seconds(60));

 private:
  void OpenLocked();
  // Whether our open file is still the one at `path_` (not rotated away).
  bool IsCurrentLocked();
  bool AppendLocked(const std::string& line);

  std::mutex mu_;
  std::string path_;
  size_t max_bytes_;
  int fd_ = -1;
  uint64_t lines_lost_ = 0;
  Redactor redactor_;
  struct Limited {
    std::chrono::steady_clock::time_point last;
    uint64_t left_out = 0;
  };
  std::map<std::string, Limited> limited_;
};

}  // namespace dbsync
