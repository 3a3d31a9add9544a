#pragma once
// Starting a Python emulator (tests/emulators/*/emulator.py) as a child
// process: it writes `dir`/ports.json once it listens; until then the start
// is waited for (30 s), and a child that dies first fails with its log.

#include <string>
#include <vector>

#include "harness/process.hpp"

namespace dbsync::testing {

// Spawns `argv` (a --ports-file argument is added) with its output in
// `dir`/emulator.log. `what` names it in the error ("the StarRocks emulator").
ChildProcess StartEmulatorProcess(std::vector<std::string> argv, const std::string& dir, const std::string& what);

}  // namespace dbsync::testing
