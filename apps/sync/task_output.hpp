#pragma once
// How a task is described in `list` and `status`; secrets are shown only as
// references or ***.

#include <nlohmann/json.hpp>
#include <string>

#include "state/task_store.hpp"

namespace dbsync::app {

std::string SourceUrl(const config::SourceSpec& s);
std::string DestinationUrl(const config::DestinationSpec& d);
// Spec summary, lifecycle and last check, as JSON (the text form is built from it).
nlohmann::json DescribeTask(const state::TaskRecord& task);

}  // namespace dbsync::app
