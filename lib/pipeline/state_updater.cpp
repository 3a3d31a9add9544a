#include "pipeline/state_updater.hpp"

#include "state/task_store.hpp"

namespace dbsync::pipeline {

Status StateUpdater::Update(const std::function<void(nlohmann::json& state)>& change) const {
  SYNC_ASSIGN_OR_RETURN(auto store, state::TaskStore::Open(home_));
  SYNC_ASSIGN_OR_RETURN(auto task, store.Find(task_id_));
  SYNC_ASSIGN_OR_RETURN(auto lock, store.LockTask(task, 30000));
  SYNC_ASSIGN_OR_RETURN(task, store.Find(task_id_));  // re-read under the lock
  change(task.state);
  return store.SaveState(task);
}

}  // namespace dbsync::pipeline
