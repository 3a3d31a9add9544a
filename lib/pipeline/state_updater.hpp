#pragma once
// Read-modify-write of a task's state.json from the worker, under the task
// lock so that a concurrent `sync check` (which records its result there)
// never loses an update, and never blocks the worker for long.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.hpp"

namespace dbsync::pipeline {

class StateUpdater {
 public:
  StateUpdater(std::string home, std::string task_id) : home_(std::move(home)), task_id_(std::move(task_id)) {}
  Status Update(const std::function<void(nlohmann::json& state)>& change) const;

 private:
  std::string home_;
  std::string task_id_;
};

}  // namespace dbsync::pipeline
