#pragma once
// What every benchmark measures with: wall seconds and a process's memory.

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

namespace dbsync::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point since, Clock::time_point until = Clock::now()) {
  return std::chrono::duration<double>(until - since).count();
}

// "VmRSS:   12345 kB" -> 12345 (0 when the process or the field is gone).
inline long ProcStatusKb(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  return 0;
}

}  // namespace dbsync::bench
