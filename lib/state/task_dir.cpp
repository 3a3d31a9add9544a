#include "state/task_dir.hpp"

#include <cstdlib>

namespace dbsync::state {

std::string ResolveHome(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("SYNC_HOME"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return std::string(xdg) + "/sync";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/sync";
}

}  // namespace dbsync::state
