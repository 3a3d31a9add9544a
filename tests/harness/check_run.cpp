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

std::string TlsBlock(const std::string& mode, const std::string& ca, const std::string& extra) {
  return "  tls:\n    mode: " + mode + "\n" + (ca.empty() ? "" : "    ca: " + ca + "\n") + extra;
}

void CheckItemFails(const std::string& name, const CheckRun& run, const std::string& needle) {
  INFO(run.out);
  CHECK(run.exit_code != 0);
  auto item = run.Item(name);
  CHECK(item["result"] == "fail");
  const std::string reason = item["reason"];
  CHECK_MESSAGE(reason.find(needle) != std::string::npos, reason);
}

}  // namespace dbsync::testing
