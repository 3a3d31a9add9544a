#include "core/log_follower.hpp"

#include <sys/stat.h>

namespace dbsync {

LogFollower::LogFollower(std::string path, bool from_start) : path_(std::move(path)) { Open(from_start); }

LogFollower::~LogFollower() {
  if (file_) std::fclose(file_);
}

void LogFollower::Open(bool from_start) {
  if (file_) std::fclose(file_);
  partial_.clear();
  file_ = std::fopen(path_.c_str(), "r");
  if (!file_) return;  // not written yet: tried again on the next read
  struct stat st;
  inode_ = ::fstat(::fileno(file_), &st) == 0 ? st.st_ino : 0;
  if (!from_start) std::fseek(file_, 0, SEEK_END);
}

void LogFollower::Drain(std::vector<std::string>* lines) {
  char buf[8192];
  size_t n;
  std::clearerr(file_);
  while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) {
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        lines->push_back(std::move(partial_));
        partial_.clear();
      } else {
        partial_ += buf[i];
      }
    }
  }
}

std::vector<std::string> LogFollower::ReadNewLines() {
  std::vector<std::string> lines;
  if (!file_) {
    Open(true);  // created since: everything in it is new
    if (!file_) return lines;
  }
  Drain(&lines);
  struct stat named, ours;
  const bool rotated = ::stat(path_.c_str(), &named) == 0 && named.st_ino != inode_;
  const bool truncated = ::fstat(::fileno(file_), &ours) == 0 && std::ftell(file_) > ours.st_size;
  if (rotated || truncated) {
    if (!partial_.empty()) lines.push_back(partial_);  // the old file ends here
    Open(true);
    Drain(&lines);
  }
  return lines;
}

}  // namespace dbsync
