#pragma once
// `sync check NAME --output json` of a task created from a spec, with its
// items by name, for the tests that read check items.

#include <nlohmann/json.hpp>
#include <string>

#include "harness/process.hpp"
#include "harness/servers.hpp"

namespace dbsync::testing {

struct CheckRun {
  int exit_code = 0;
  nlohmann::json report;
  std::string out;  // stdout and stderr, for messages
  // The item called `name`, or {"result": "absent", "reason": ""}.
  nlohmann::json Item(const std::string& name) const;
};

// Creates task `name` from `yaml` (no check) and runs `sync check` on it.
CheckRun CreateAndCheck(const SyncCli& cli, const std::string& name, const std::string& yaml,
                        const RunOptions& options = {});

}  // namespace dbsync::testing
