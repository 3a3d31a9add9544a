#include "state/usage_archive.hpp"

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.hpp"

namespace dbsync::state {
namespace {

std::string UsageDir(const std::string& home) { return home + "/usage"; }

}  // namespace

nlohmann::json ReadRunRecords(const std::string& runs_dir) {
  nlohmann::json runs = nlohmann::json::array();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(runs_dir, ec)) {
    if (e.path().extension() != ".json" || e.path().filename() == "task.json") continue;
    auto text = ReadFile(e.path().string());
    if (!text.ok()) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    runs.push_back(std::move(j));
  }
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.value("started_at", 0) < b.value("started_at", 0); });
  return runs;
}

Status ArchiveUsage(const std::string& home, const TaskRecord& task) {
  nlohmann::json runs = ReadRunRecords(task.dir.RunsDir());
  if (runs.empty()) return Status::Ok();  // never started: nothing was used
  const std::string dir = UsageDir(home) + "/" + task.dir.id;
  SYNC_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  for (const auto& run : runs) {
    const std::string run_id = run.value("run_id", "");
    if (run_id.empty() || run_id.find('/') != std::string::npos) continue;
    SYNC_RETURN_IF_ERROR(WriteFileAtomically(dir + "/" + run_id + ".json", run.dump(2) + "\n"));
  }
  nlohmann::json about = {{"id", task.dir.id}, {"name", task.spec.name}, {"deleted_at", NowIso8601()}};
  return WriteFileAtomically(dir + "/task.json", about.dump(2) + "\n");
}

std::vector<TaskUsage> ArchivedUsage(const std::string& home) {
  std::vector<TaskUsage> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(UsageDir(home), ec)) {
    if (!e.is_directory()) continue;
    auto text = ReadFile(e.path().string() + "/task.json");
    if (!text.ok()) continue;  // an archive interrupted before task.json: incomplete, skipped
    auto about = nlohmann::json::parse(*text, nullptr, false);
    if (about.is_discarded()) continue;
    out.push_back({about.value("id", ""), about.value("name", ""), about.value("deleted_at", ""),
                   ReadRunRecords(e.path().string())});
  }
  std::sort(out.begin(), out.end(), [](const TaskUsage& a, const TaskUsage& b) { return a.id < b.id; });
  return out;
}

}  // namespace dbsync::state
