#pragma once
// Reads the lines appended to a log file as they come (`sync logs -f`),
// across rotations: when the name points to a new file, the rest of the old
// one is read first, then the new one from its start. A line is returned only
// once its newline was written, never in halves.

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace dbsync {

class LogFollower {
 public:
  // Starts at the current end of `path` (or at its start when `from_start`).
  LogFollower(std::string path, bool from_start);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // Complete lines appended since the last call (without their newline).
  std::vector<std::string> ReadNewLines();

 private:
  void Open(bool from_start);
  void Drain(std::vector<std::string>* lines);

  std::string path_;
  std::FILE* file_ = nullptr;
  ino_t inode_ = 0;
  std::string partial_;
};

}  // namespace dbsync
