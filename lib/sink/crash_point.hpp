#pragma once
// Test hook for crash tests: with SYNC_TEST_CRASH_DIR set, the worker kills
// itself (SIGKILL) at `point` if that directory holds a file named so; the
// file is removed first, so the restarted worker passes. Unset in production,
// where it costs one getenv per process.

namespace dbsync::sink {

void CrashPoint(const char* point);

}  // namespace dbsync::sink
