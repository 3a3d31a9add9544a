#pragma once
// Room on the task home's file system for a task's last words.
//
// When the file system holding the task home fills up, the worker stops (a
// restart would meet the same full disk), and the reason must reach
// `sync status` and the log: both are files on that same full disk. So
// `sync start` sets aside a small file of allocated blocks (CockroachDB's
// "emergency ballast"), and a worker stopping on a storage fault deletes it
// first, which leaves room to record the error, the failed state and the log
// line. The next `sync start` sets it aside again, and refuses to start with
// less room than that.

#include <cstdint>
#include <string>

#include "core/status.hpp"

namespace dbsync::state {

inline constexpr uint64_t kSpaceReserveBytes = 1 << 20;

// Makes sure `path` holds `bytes` of allocated blocks. kStorageFault when
// the file system has not that much room.
Status ReserveSpace(const std::string& path, uint64_t bytes = kSpaceReserveBytes);
// Gives the room back (deletes `path`); nothing happens when there is none.
void ReleaseSpace(const std::string& path);

}  // namespace dbsync::state
