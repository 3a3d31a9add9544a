#pragma once
// Runs the configuration check of a task: source items, then destination items.

#include "check/check_report.hpp"
#include "config/task_spec.hpp"

namespace dbsync::check {

// Never fails as a whole: unreadable secrets and unreachable servers become
// failed items. Every reason and fix is scrubbed of the resolved secrets.
CheckReport RunChecks(const config::TaskSpec& spec, CheckScope scope);

}  // namespace dbsync::check
