#pragma once
// Crash-safe file writes: a reader sees the old content or the new, never a mix.

#include <string>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace dbsync {

// Writes `content` to `path` with `mode` (0600 unless a file is meant to be
// read by others): temp file in the same directory, fsync, rename over
// `path`, fsync the directory. When any step fails the temp file is removed
// and `path` keeps its old content (a failed directory fsync is the one
// exception: the new content is in place but may not survive a crash).
// Errors: kStorageFault when the file system refuses the write (full, over
// quota, read-only, failing), saying so and what to do; kPermissionDenied,
// kNotFound, kIOError otherwise.
Status WriteFileAtomically(const std::string& path, const std::string& content, unsigned mode = 0600);
// WriteFileAtomically for many files (path, content) at once, for less than
// the sum: every temp file is written, then each is flushed, then each is
// renamed over its path, then each directory is fsynced once (not once per
// file). A crash leaves each path with its old content or its new one, and
// no rename happens before every file is on disk. On an error no path has
// changed unless the error came from a rename or a directory sync (then the
// files renamed before it have their new content); the status names the
// file, as WriteFileAtomically's does.
Status WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files, unsigned mode = 0600);
Result<std::string> ReadFile(const std::string& path);
// mkdir -p; every directory created gets `mode`; the last one is chmod'ed to
// `mode` even if it existed, so a home created by hand is not left group-readable.
Status MakeDirs(const std::string& path, unsigned mode);
// fsync a directory so a rename or unlink inside it survives a crash.
Status SyncDirectory(const std::string& dir);

// The status of a failed file operation `what` on `path`, from errno `error`:
// ENOSPC, EDQUOT, EROFS and EIO become kStorageFault with the cause in words
// and the fix ("free space on it").
Status FileError(int error, const std::string& what, const std::string& path);

}  // namespace dbsync
