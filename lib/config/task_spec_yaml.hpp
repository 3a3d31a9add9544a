#pragma once
// task.yaml -> TaskSpec. Every error names the file, line and column; an unknown
// key names the nearest valid one. All problems found are reported together.

#include <string>

#include "config/task_spec.hpp"
#include "core/status.hpp"

namespace dbsync::config {

// `display_name` is the file name used in error messages.
Result<TaskSpec> ParseTaskSpec(const std::string& yaml_text, const std::string& display_name);
Result<TaskSpec> LoadTaskSpecFile(const std::string& path);

}  // namespace dbsync::config
