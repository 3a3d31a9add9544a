#include "sink/crash_point.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace dbsync::sink {

void CrashPoint(const char* point) {
  static const char* dir = std::getenv("SYNC_TEST_CRASH_DIR");
  if (!dir) return;
  std::string flag = std::string(dir) + "/" + point;
  if (::unlink(flag.c_str()) == 0) ::raise(SIGKILL);
}

}  // namespace dbsync::sink
