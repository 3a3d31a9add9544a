#include "core/logger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

namespace dbsync {

Logger::Logger(std::string path, size_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  OpenLocked();
}

Logger::~Logger() {
  if (file_) std::fclose(file_);
}

void Logger::OpenLocked() {
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  file_ = fd >= 0 ? ::fdopen(fd, "a") : nullptr;
}

void Logger::AddSecret(const std::string& secret) {
  std::lock_guard<std::mutex> lock(mu_);
  redactor_.Add(secret);
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
  std::string text = redactor_.Apply(message);
  // The supervisor and the worker append to the same file: when the other
  // one rotated it, follow it to the new file instead of writing into `.1`.
  if (file_ && !IsCurrentLocked()) {
    std::fclose(file_);
    OpenLocked();
  }
  if (!file_) return;
  std::fprintf(file_, "%s %s %s\n", stamp, tag, text.c_str());
  std::fflush(file_);
  struct stat st;
  if (::fstat(::fileno(file_), &st) == 0 && size_t(st.st_size) >= max_bytes_) {
    // flock on the file both writers have open: only one of them renames it,
    // and only if nobody did already (else a fresh file would overwrite `.1`).
    ::flock(::fileno(file_), LOCK_EX);
    if (IsCurrentLocked()) ::rename(path_.c_str(), (path_ + ".1").c_str());
    ::flock(::fileno(file_), LOCK_UN);
    std::fclose(file_);
    OpenLocked();
  }
}

bool Logger::IsCurrentLocked() {
  struct stat ours, named;
  if (::fstat(::fileno(file_), &ours) != 0 || ::stat(path_.c_str(), &named) != 0) return false;
  return ours.st_ino == named.st_ino && ours.st_dev == named.st_dev;
}

}  // namespace dbsync
