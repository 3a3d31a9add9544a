#pragma once
// The conformance target of the MaxCompute sink against the emulator
// (tests/emulators/maxcompute/, which follows specs/maxcompute.md strictly),
// in either write mode: upsert reads the Delta tables as they are; log
// reads each change log as a user rebuilds the table with SQL (RebuildSql,
// run by the emulator's SQL engine).

#include <string>

#include "conformance/sink_conformance.hpp"

namespace dbsync::conformance {

Target MaxComputeTarget(const std::string& write_mode);

}  // namespace dbsync::conformance
