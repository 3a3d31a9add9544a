#pragma once
// The worker's log: timestamped lines appended to a file, rotated by size,
// with every known secret replaced by ***. Thread-safe, and safe for several
// processes appending to the same file (the supervisor and its worker).

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

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

 private:
  void OpenLocked();
  // Whether our open file is still the one at `path_` (not rotated away).
  bool IsCurrentLocked();

  std::mutex mu_;
  std::string path_;
  size_t max_bytes_;
  std::FILE* file_ = nullptr;
  Redactor redactor_;
};

}  // namespace dbsync
