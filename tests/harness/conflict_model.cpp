#include "harness/conflict_model.hpp"

#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

namespace dbsync::testing {

void KillRunAndConverge(const SyncCli& cli, MariaDbServer& mysql, const std::string& id, const std::string& prefix,
                        std::map<std::string, ConflictModel>& models, int both, int theirs, const RowsOf& dest,
                        std::chrono::seconds limit) {
  const int pid = WorkerPid(cli, id, 0);
  REQUIRE(pid > 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGKILL);
  REQUIRE_MESSAGE(cli.WaitStreaming(id), cli.Run({"logs", "-n", "30", id}).out);
  auto admin = mysql.Admin();
  std::vector<std::string> names;
  for (auto& [policy, model] : models) {
    names.push_back(prefix + policy);
    for (const auto& sql : model.Workload("shop." + prefix + policy, both, theirs))
      REQUIRE_MESSAGE(admin.Execute(sql).ok(), sql);
  }
  bool converged = WaitConverged(
      names, [&](const std::string& table) { return std::optional(models[table.substr(prefix.size())].Lines()); },
      dest, limit);
  CHECK_MESSAGE(converged, cli.Run({"logs", "-n", "30", id}).out);
}

}  // namespace dbsync::testing
