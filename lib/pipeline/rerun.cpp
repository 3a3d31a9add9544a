#include "pipeline/rerun.hpp"

#include <map>
#include <set>

#include "core/text_util.hpp"
#include "pipeline/schema_state.hpp"
#include "pipeline/state_updater.hpp"

namespace dbsync::pipeline {
namespace {

// The tables the request names, or why it cannot be carried out.
Result<std::vector<const sink::TableBinding*>> Chosen(const config::TaskSpec& spec,
                                                      const std::vector<std::string>& patterns,
                                                      const std::vector<sink::TableBinding>& tables) {
  std::map<std::string, int> per_destination;
  for (const auto& t : tables) ++per_destination[t.dest_schema + "." + t.dest_table];
  std::vector<const sink::TableBinding*> chosen;
  for (const auto& pattern : patterns) {
    bool matched = false;
    for (const auto& t : tables) {
      if (!GlobMatch(pattern, t.SourceName())) continue;
      matched = true;
      if (!config::IsCopiedTable(spec, t.settings))
        return Status::FailedPrecondition("--rerun: " + t.SourceName() + " is not copied (sync_mode or "
                                          "tables[].full_initialization says so); leave it out");
      if (per_destination[t.dest_schema + "." + t.dest_table] > 1)
        return Status::FailedPrecondition("--rerun: " + t.SourceName() + " merges with other tables into " +
                                          t.dest_schema + "." + t.dest_table +
                                          ", whose rows a fresh copy of one of them cannot tell apart; empty that "
                                          "table by hand and rerun every table that merges into it with a new task");
      if (std::find(chosen.begin(), chosen.end(), &t) == chosen.end()) chosen.push_back(&t);
    }
    if (!matched)
      return Status::FailedPrecondition("--rerun: '" + pattern + "' matches none of the task's tables; `sync status " +
                                        spec.name + "` lists them");
  }
  return chosen;
}

}  // namespace

Status CarryOutRerun(const std::string& home, const state::TaskRecord& task,
                     const std::vector<sink::TableBinding>& tables, const FullInitOptions& init, sink::Sink& sink,
                     Logger& log) {
  if (!task.state.contains(kRerunKey) || !task.state[kRerunKey].is_array()) return Status::Ok();
  std::vector<std::string> patterns;
  for (const auto& p : task.state[kRerunKey]) patterns.push_back(p.get<std::string>());
  SYNC_ASSIGN_OR_RETURN(auto chosen, Chosen(task.spec, patterns, tables));
  SYNC_ASSIGN_OR_RETURN(auto saved, SchemaState::Load(task.dir.SchemaFile()));
  for (const sink::TableBinding* t : chosen) {
    // DropTable only forgets a mode: existing table's records; the others are
    // emptied with theirs when the copy finds no plan.
    if (t->existing()) SYNC_RETURN_IF_ERROR(sink.DropTable(*t));
    SYNC_RETURN_IF_ERROR(ForgetCopy(init, *t));
    if (saved) {
      saved->bound.erase(t->SourceName());
      saved->drift.erase(t->SourceName());  // copied into a table made afresh
      saved->copying.erase(t->SourceName());
    }
    log.Info("--rerun: " + t->SourceName() + " is copied afresh while the other tables stream on");
  }
  if (saved) SYNC_RETURN_IF_ERROR(saved->Save(task.dir.SchemaFile()));
  return StateUpdater(home, task.dir.id).Update([](nlohmann::json& s) { s.erase(kRerunKey); });
}

}  // namespace dbsync::pipeline
