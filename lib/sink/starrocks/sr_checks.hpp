#pragma once
// The destination.* check items of a StarRocks task (sync check, and the
// mandatory check of sync start): FE login, the HTTP port and its Basic
// auth, the BE the FE redirects loads to, the version, privileges, and
// whether every selected table fits (names, key types).

#include "check/check_report.hpp"
#include "sink/registry.hpp"

namespace dbsync::starrocks {

void CheckStarRocks(const sink::CheckInput& in, check::CheckReport& report);

}  // namespace dbsync::starrocks
