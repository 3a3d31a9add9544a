#include "core/logger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace dbsync {

Logger::Logger(std::string path, size_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  OpenLocked();
}

Logger::~Logger() {
  if (fd_ >= 0) ::close(fd_);
}

void Logger::OpenLocked() { fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600); }

void Logger::AddSecret(const std::string& secret) {
  std::lock_guard<std::mutex> lock(mu_);
  redactor_.Add(secret);
}

// One write(2) per line: with O_APPEND the supervisor's and the worker's
// lines never interleave, and a line the file system refuses is not left
// half in a buffer to be glued to the next one.
bool Logger::AppendLocked(const std::string& line) {
  if (fd_ < 0) OpenLocked();
  if (fd_ < 0) return false;
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  return n == ssize_t(line.size());
}

void Logger::Write(Level level, const std::string& message) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int millis = int(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  const char* tag = level == Level::kInfo ? "INFO " : level == Level::kWarn ? "WARN " : "ERROR";
  std::lock_guard<std::mutex> lock(mu_);
  std::string line = std::string(stamp) + " " + tag + " " + redactor_.Apply(message) + "\n";
  // The supervisor and the worker append to the same file: when the other
  // one rotated it, follow it to the new file instead of writing into `.1`.
  if (fd_ >= 0 && !IsCurrentLocked()) {
    ::close(fd_);
    OpenLocked();
  }
  if (lines_lost_ > 0)
    line = std::string(stamp) + " WARN  " + std::to_string(lines_lost_) + " log line(s) before this one could not "
           "be written (is the file system holding " + path_ + " full?)\n" + line;
  if (!AppendLocked(line)) {
    ++lines_lost_;
    return;
  }
  lines_lost_ = 0;
  struct stat st;
  if (::fstat(fd_, &st) == 0 && size_t(st.st_size) >= max_bytes_) {
    // flock on the file both writers have open: only one of them renames it,
    // and only if nobody did already (else a fresh file would overwrite `.1`).
    ::flock(fd_, LOCK_EX);
    if (IsCurrentLocked()) ::rename(path_.c_str(), (path_ + ".1").c_str());
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    OpenLocked();
  }
}

void Logger::WarnRateLimited(const std::string& key, const std::string& message, std::chrono::seconds every) {
  const auto now = std::chrono::steady_clock::now();
  uint64_t left_out = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, first] = limited_.try_emplace(key, Limited{now, 0});
    if (!first && now - it->second.last < every) {
      ++it->second.left_out;
      return;
    }
    left_out = it->second.left_out;
    it->second = {now, 0};
  }
  Warn(left_out == 0 ? message : message + " (" + std::to_string(left_out) + " more like it since the last one)");
}

bool Logger::IsCurrentLocked() {
  struct stat ours, named;
  if (::fstat(fd_, &ours) != 0 || ::stat(path_.c_str(), &named) != 0) return false;
  return ours.st_ino == named.st_ino && ours.st_dev == named.st_dev;
}

}  // namespace dbsync
