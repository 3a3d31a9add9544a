#include "harness/check_run.hpp"

#include <doctest/doctest.h>

#include "harness/workload.hpp"

namespace dbsync::testing {

nlohmann::json CheckRun::Item(const std::string& name) const {
  for (const auto& i : report["items"])
    if (i["name"] == name) return i;
  return nlohmann::json{{"result", "absent"}, {"reason", ""}};
}

CheckRun CreateAndCheck(const SyncCli& cli, const std::string& name, const std::string& yaml,
                        const RunOptions& options) {
  CreateTask(cli, name + ".yaml", yaml);
  auto r = cli.Run({"check", name, "--output", "json"}, options);
  CheckRun run{r.exit_code, nlohmann::json::parse(r.out.empty() ? "{}" : r.out, nullptr, false), r.out + r.err};
  INFO(run.out);
  REQUIRE(!run.report.is_discarded());
  return run;
}

}  // namespace dbsync::testing
