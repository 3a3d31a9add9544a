#pragma once
// Configuration check items for the destination.

#include <string>
#include <vector>

#include "check/check_report.hpp"
#include "check/source_checks.hpp"
#include "config/task_spec.hpp"

namespace dbsync::check {

// Appends destination.* items. `tables` are the selected source tables (may be
// empty when the source could not be read); they determine the schemas needed.
void RunDestinationChecks(const config::TaskSpec& spec, const std::string& password,
                          const std::vector<SourceTable>& tables, CheckScope scope, CheckReport& report);

}  // namespace dbsync::check
