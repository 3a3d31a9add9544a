#pragma once
// An exclusive flock on a file, held for the object's lifetime. The holder's pid
// is written into the file so that a waiting command can say who holds it.
// The kernel drops the lock when the holder dies, so there are no stale locks.

#include <string>

#include "core/status.hpp"

namespace dbsync::state {

class FileLock {
 public:
  // Waits up to `timeout_ms` (0: do not wait). Busy when still held by another process.
  static Result<FileLock> Acquire(const std::string& path, int timeout_ms, const std::string& what);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace dbsync::state
