#pragma once
// Crash-safe file writes: a reader sees the old content or the new, never a mix.

#include <string>

#include "core/status.hpp"

namespace dbsync {

// Writes `content` to `path` with `mode` (0600 unless a file is meant to be
// read by others): temp file in the same directory, fsync, rename over
// `path`, fsync the directory.
Status WriteFileAtomically(const std::string& path, const std::string& content, unsigned mode = 0600);
Result<std::string> ReadFile(const std::string& path);
// mkdir -p; every directory created gets `mode`; the last one is chmod'ed to
// `mode` even if it existed, so a home created by hand is not left group-readable.
Status MakeDirs(const std::string& path, unsigned mode);
// fsync a directory so a rename or unlink inside it survives a crash.
Status SyncDirectory(const std::string& dir);

}  // namespace dbsync
