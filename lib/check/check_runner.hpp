#pragma once
// Runs the configuration check of a task: source items, then destination items.

#include <vector>

#include "check/check_report.hpp"
#include "check/mapping_plan.hpp"
#include "config/task_spec.hpp"

namespace dbsync::check {

// Never fails as a whole: unreadable secrets and unreachable servers become
// failed items. Every reason and fix is scrubbed of the resolved secrets.
// With `plan`, also the source -> destination map of the tables found (empty
// when the source could not be read).
CheckReport RunChecks(const config::TaskSpec& spec, CheckScope scope, std::vector<PlannedTable>* plan = nullptr);

}  // namespace dbsync::check
