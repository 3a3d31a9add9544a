#include "harness/workload.hpp"

#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace dbsync::testing {

void Churn(const MariaDbServer& mysql, const std::string& table, int n, std::mt19937& rng, int key_space) {
  auto conn = mysql.Admin();
  for (int i = 0; i < n; ++i) {
    std::string id = std::to_string(int(rng() % unsigned(key_space)) + 1);
    switch (rng() % 5) {
      case 0: (void)conn.Execute("INSERT IGNORE INTO shop." + table + " VALUES (" + id + ", 'ins', 1.5, NOW())"); break;
      case 1: (void)conn.Execute("DELETE FROM shop." + table + " WHERE id = " + id); break;
      case 2: (void)conn.Execute("UPDATE IGNORE shop." + table + " SET id = id + " + std::to_string(key_space) + " WHERE id = " + id); break;
      case 3: (void)conn.Execute("UPDATE shop." + table + " SET name = NULL, amount = amount + 1 WHERE id = " + id); break;
      default: (void)conn.Execute("UPDATE shop." + table + " SET name = 'h\xC3\xA9 \xF0\x9F\x98\x80' WHERE id = " + id); break;
    }
  }
}

int WorkerPid(const SyncCli& cli, const std::string& task, int not_this) {
  for (int i = 0; i < 400; ++i) {  // the supervisor backs off up to 10 s between restarts
    auto s = nlohmann::json::parse(cli.Run({"status", task, "-o", "json"}).out, nullptr, false);
    int pid = s.is_discarded() || !s.contains("worker") ? 0 : s["worker"].value("pid", 0);
    if (pid > 0 && pid != not_this && ::kill(pid, 0) == 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

}  // namespace dbsync::testing
