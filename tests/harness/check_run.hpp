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

// A spec's tls block under source or destination: "  tls:\n    mode: M\n"
// with "    ca: CA\n" when `ca` is given, then `extra` (more keys, indented).
std::string TlsBlock(const std::string& mode, const std::string& ca, const std::string& extra = "");

// Checks that the run failed on item `name`, whose reason holds `needle`.
void CheckItemFails(const std::string& name, const CheckRun& run, const std::string& needle);

}  // namespace dbsync::testing
