#pragma once
// The destination.* check items of a MaxCompute task (sync check, and the
// mandatory check of sync start): the endpoint, AccessKey, clock and project
// (connect), the project's type system and time zone, the right to create
// tables and run SQL (by creating the task's bookkeeping tables, which the
// worker would create anyway), and whether every selected table fits.

#include "check/check_report.hpp"
#include "sink/registry.hpp"

namespace dbsync::maxcompute {

void CheckMaxCompute(const sink::CheckInput& in, check::CheckReport& report);

}  // namespace dbsync::maxcompute
