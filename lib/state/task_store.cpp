#include "state/task_store.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <random>

#include "config/task_spec_yaml.hpp"
#include "core/atomic_file.hpp"

namespace dbsync::state {

namespace {
constexpr std::pair<Lifecycle, const char*> kLifecycles[] = {
    {Lifecycle::kCreated, "created"}, {Lifecycle::kRunning, "running"}, {Lifecycle::kStopped, "stopped"},
    {Lifecycle::kFailed, "failed"},   {Lifecycle::kDeleted, "deleted"}, {Lifecycle::kDamaged, "damaged"}};
}  // namespace

const char* LifecycleName(Lifecycle lifecycle) {
  for (const auto& [l, name] : kLifecycles)
    if (l == lifecycle) return name;
  return "created";
}

Lifecycle LifecycleIn(const nlohmann::json& state) {
  std::string name = state.is_object() ? state.value("lifecycle", "created") : "created";
  for (const auto& [l, n] : kLifecycles)
    if (name == n) return l;
  return Lifecycle::kCreated;
}

void SetLifecycle(nlohmann::json& state, Lifecycle lifecycle) { state["lifecycle"] = LifecycleName(lifecycle); }
namespace {

std::string NewTaskId() {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string id = "t";
  for (int i = 0; i < 7; ++i) id += kHex[rd() % 16];
  return id;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string NowIso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<TaskStore> TaskStore::Open(const std::string& home) {
  SYNC_RETURN_IF_ERROR(MakeDirs(home, 0700).WithContext("state directory"));
  SYNC_RETURN_IF_ERROR(MakeDirs(TasksDir(home), 0700).WithContext("state directory"));
  return TaskStore(home);
}

Result<TaskRecord> TaskStore::Create(const std::string& spec_yaml, const config::TaskSpec& spec,
                                     int lock_timeout_ms) {
  SYNC_ASSIGN_OR_RETURN(FileLock home_lock, FileLock::Acquire(HomeLockFile(home_), lock_timeout_ms, "the task list"));
  SYNC_ASSIGN_OR_RETURN(auto existing, List());
  for (const auto& t : existing) {
    if (t.spec.name == spec.name)
      return Status::AlreadyExists("a task named '" + spec.name + "' already exists (id " + t.dir.id +
                                   "); choose another name, or `sync delete " + t.dir.id + "` first");
  }
  TaskRecord rec;
  do {
    rec.dir = TaskDir{home_, NewTaskId()};
  } while (Exists(rec.dir.Root()));
  rec.spec = spec;
  // Build the task in a hidden directory and rename it into place, so a crash
  // never leaves a half-created task that `list` would show.
  std::string staging = TasksDir(home_) + "/.creating-" + rec.dir.id;
  SYNC_RETURN_IF_ERROR(MakeDirs(staging, 0700));
  SYNC_RETURN_IF_ERROR(MakeDirs(staging + "/runs", 0700));
  SYNC_RETURN_IF_ERROR(MakeDirs(staging + "/log", 0700));
  SYNC_RETURN_IF_ERROR(WriteFileAtomically(staging + "/task.yaml", spec_yaml));
  std::string now = NowIso8601();
  rec.state = {{"id", rec.dir.id}, {"name", spec.name}, {"lifecycle", LifecycleName(Lifecycle::kCreated)},
               {"created_at", now}, {"updated_at", now}};
  SYNC_RETURN_IF_ERROR(WriteFileAtomically(staging + "/state.json", rec.state.dump(2) + "\n"));
  std::error_code ec;
  std::filesystem::rename(staging, rec.dir.Root(), ec);
  if (ec) return Status::IOError("cannot create task directory " + rec.dir.Root() + ": " + ec.message());
  SYNC_RETURN_IF_ERROR(SyncDirectory(TasksDir(home_)));
  return rec;
}

Result<TaskRecord> TaskStore::Load(const std::string& id) const {
  TaskRecord rec;
  rec.dir = TaskDir{home_, id};
  SYNC_ASSIGN_OR_RETURN(std::string yaml, ReadFile(rec.dir.SpecFile()));
  auto spec = config::ParseTaskSpec(yaml, rec.dir.SpecFile());
  if (!spec.ok()) return Status::Corruption("stored spec of task " + id + " is invalid: " + spec.status().message());
  rec.spec = std::move(spec).value();
  SYNC_ASSIGN_OR_RETURN(std::string state, ReadFile(rec.dir.StateFile()));
  rec.state = nlohmann::json::parse(state, nullptr, /*allow_exceptions=*/false);
  if (rec.state.is_discarded())
    return Status::Corruption("state file " + rec.dir.StateFile() + " is not valid JSON");
  return rec;
}

Result<std::vector<TaskRecord>> TaskStore::List() const {
  std::vector<TaskRecord> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(TasksDir(home_), ec)) {
    std::string id = entry.path().filename().string();
    if (id.empty() || id[0] == '.' || !entry.is_directory()) continue;
    auto rec = Load(id);
    if (!rec.ok()) {
      // A task removed between listing and loading is simply gone; a damaged
      // one is listed as such so that one bad directory does not hide the rest.
      if (!Exists(entry.path().string())) continue;
      TaskRecord damaged;
      damaged.dir = TaskDir{home_, id};
      damaged.spec.name = "?";
      damaged.state = {{"id", id}, {"lifecycle", LifecycleName(Lifecycle::kDamaged)}, {"error", rec.status().message()}};
      out.push_back(std::move(damaged));
      continue;
    }
    out.push_back(std::move(rec).value());
  }
  if (ec) return Status::IOError("cannot list " + TasksDir(home_) + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const TaskRecord& a, const TaskRecord& b) {
    return a.state.value("created_at", "") + a.dir.id < b.state.value("created_at", "") + b.dir.id;
  });
  return out;
}

Result<TaskRecord> TaskStore::Find(const std::string& id_or_name) const {
  bool looks_like_id = !id_or_name.empty() && id_or_name.find('/') == std::string::npos && id_or_name[0] != '.';
  if (looks_like_id && Exists(TaskDir{home_, id_or_name}.Root())) return Load(id_or_name);
  SYNC_ASSIGN_OR_RETURN(auto all, List());
  for (auto& t : all)
    if (t.spec.name == id_or_name) return std::move(t);
  return Status::NotFound("no task with id or name '" + id_or_name + "' in " + home_ +
                          "; run `sync list` to see the tasks (or pass the right --home)");
}

Status TaskStore::SaveState(TaskRecord& task) const {
  task.state["updated_at"] = NowIso8601();
  return WriteFileAtomically(task.dir.StateFile(), task.state.dump(2) + "\n");
}

Status TaskStore::SaveSpec(TaskRecord& task, const std::string& spec_yaml, const config::TaskSpec& spec) const {
  SYNC_RETURN_IF_ERROR(WriteFileAtomically(task.dir.SpecFile(), spec_yaml));
  task.spec = spec;
  return Status::Ok();
}

Status TaskStore::Remove(const TaskRecord& task) const {
  // Rename first so the task disappears in one step even if removal is interrupted.
  std::string graveyard = TasksDir(home_) + "/.deleting-" + task.dir.id;
  std::error_code ec;
  std::filesystem::rename(task.dir.Root(), graveyard, ec);
  if (ec) return Status::IOError("cannot remove " + task.dir.Root() + ": " + ec.message());
  SYNC_RETURN_IF_ERROR(SyncDirectory(TasksDir(home_)));
  std::filesystem::remove_all(graveyard, ec);
  if (ec) return Status::IOError("task removed but " + graveyard + " could not be cleaned: " + ec.message());
  return Status::Ok();
}

Result<FileLock> TaskStore::LockTask(const TaskRecord& task, int timeout_ms) const {
  return FileLock::Acquire(task.dir.LockFile(), timeout_ms, "task " + task.dir.id + " (" + task.spec.name + ")");
}

}  // namespace dbsync::state
