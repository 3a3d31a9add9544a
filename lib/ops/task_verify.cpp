#include "ops/task_verify.hpp"

#include <chrono>
#include <map>
#include <thread>

#include "config/secret.hpp"
#include "core/atomic_file.hpp"
#include "core/text_util.hpp"
#include "pipeline/schema_state.hpp"
#include "pipeline/table_binding.hpp"
#include "sink/readback.hpp"
#include "sink/registry.hpp"
#include "sink/shaping/shaping_sink.hpp"
#include "source/mysql/source_endpoint.hpp"

namespace dbsync::ops {

namespace {

using nlohmann::json;

// Why a table's destination differs from its source by design, if it does.
std::string WhyNotComparable(const config::TaskSpec& spec, const sink::TableBinding& b) {
  const config::TableSpec* s = b.settings;
  if (spec.destination.write_mode == "log" || (s && s->write_mode == "log"))
    return "write_mode log: the destination keeps every change, not the rows";
  if (!config::IsCopiedTable(spec, s))
    return "not copied (full_initialization: false or sync_mode realtime_only): the destination holds only the "
           "changes since the start";
  if (!s) return "";
  if (s->keep_existing_rows) return "keep_existing_rows: the destination keeps rows the source never had";
  std::string filter;
  for (const auto& [op, policy] : s->dml) {
    if (policy.action == config::DmlAction::kIgnore)
      return "tables[].dml " + op + ": ignore: the destination misses those changes by design";
    if (policy.action == config::DmlAction::kFilter && op != "delete") {
      if (!filter.empty() && filter != policy.condition)
        return "tables[].dml filters inserts and updates differently: which rows the destination holds depends on "
               "their history";
      filter = policy.condition;
    }
  }
  return "";
}

// The position checkpoint.json records, or an empty one.
BinlogPosition RecordedCheckpoint(const state::TaskRecord& task) {
  auto text = ReadFile(task.dir.CheckpointFile());
  if (!text.ok()) return {};
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains("position")) return {};
  return BinlogPosition::FromJson(j["position"]);
}

bool Selected(const std::vector<std::string>& patterns, const std::string& name) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns)
    if (GlobMatch(p, name)) return true;
  return false;
}

Result<std::vector<sink::TableBinding>> BoundTables(const state::TaskRecord& task) {
  const auto& spec = task.spec;
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(spec.source.password));
  SYNC_ASSIGN_OR_RETURN(auto catalog, source::MakeSourceFactory(spec.source, password)());
  SYNC_ASSIGN_OR_RETURN(auto tables, pipeline::BindTables(spec, *catalog));
  // Bound as the stream has them: the names and columns ignored DDL kept.
  SYNC_ASSIGN_OR_RETURN(auto saved, pipeline::SchemaState::Load(task.dir.SchemaFile()));
  if (saved && !saved->legacy) tables = pipeline::BindSavedTables(spec, *saved, tables).bound;
  return tables;
}

}  // namespace

uint64_t VerifyReport::Differences() const {
  uint64_t n = 0;
  for (const auto& t : tables) n += t.differences;
  return n;
}

uint64_t VerifyReport::Rows() const {
  uint64_t n = 0;
  for (const auto& t : tables) n += t.rows;
  return n;
}

json VerifyReport::ToJson() const {
  json list = json::array();
  size_t skipped = 0, differing = 0;
  for (const auto& t : tables) {
    list.push_back(t.ToJson());
    skipped += !t.skipped.empty();
    differing += t.differences > 0;
  }
  return {{"task", task},        {"task_running", task_running}, {"identical", Differences() == 0},
          {"rows", Rows()},      {"differences", Differences()}, {"tables_differing", differing},
          {"tables_skipped", skipped}, {"tables", list}};
}

Result<VerifyReport> VerifyTask(const state::TaskRecord& task, VerifyRequest request,
                                const std::function<void(const verify::TableVerdict&)>& on_table) {
  const auto& spec = task.spec;
  const std::string lifecycle = task.state.value("lifecycle", "created");
  const json steps = task.state.value("steps", json::object());
  std::string copy_state = steps.contains("full_initialization") ? steps["full_initialization"].value("state", "") : "";
  if (lifecycle == "created" || copy_state != "done")
    return Status::FailedPrecondition("task " + task.dir.id + " has not finished its full initialization (" +
                                      (lifecycle == "created" ? "never started" : "copy " + (copy_state.empty() ? std::string("not started") : copy_state)) +
                                      "): there is nothing to compare yet. Run sync verify once sync status " +
                                      task.dir.id + " shows full initialization: done");
  const sink::Destination& destination = sink::DestinationOf(spec.destination);
  if (!destination.open_readback)
    return Status::FailedPrecondition("sync verify cannot read a " + destination.type +
                                      " destination back in this version");
  SYNC_ASSIGN_OR_RETURN(auto tables, BoundTables(task));
  SYNC_ASSIGN_OR_RETURN(auto readback, destination.open_readback(spec));
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(spec.source.password));
  const auto& src = spec.source;
  SYNC_ASSIGN_OR_RETURN(auto source, verify::SourceRows::Open(mysql::EndpointOf(src, password, 600)));

  VerifyReport report;
  report.task = task.dir.id;
  report.task_running = lifecycle == "running";
  request.options.task_running = report.task_running;
  const int settle_seconds = request.settle_seconds;
  request.options.settle = [&task, running = report.task_running, settle_seconds](const BinlogPosition& position) {
    if (!running) return true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(settle_seconds);
    while (true) {
      BinlogPosition at = RecordedCheckpoint(task);
      if (!at.empty() && position.Compare(at) <= 0) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };

  std::vector<std::pair<sink::TableBinding*, std::shared_ptr<const sink::TableShape>>> chosen;
  std::map<std::string, int> writers;  // destination table -> source tables writing into it
  for (auto& b : tables) {
    SYNC_ASSIGN_OR_RETURN(auto shape, sink::TableShape::Make(b, sink::ShapeNamesOf(spec, b), false));
    ++writers[shape->inner().dest_schema + "." + shape->inner().dest_table];
    if (Selected(request.tables, b.SourceName())) chosen.emplace_back(&b, shape);
  }
  if (chosen.empty() && !request.tables.empty())
    return Status::InvalidArgument("no table of task " + task.dir.id + " matches " + Join(request.tables, ", ") +
                                   " (patterns are db.table globs)");
  for (auto& [binding, shape] : chosen) {
    verify::TableVerdict verdict;
    std::string why = WhyNotComparable(spec, *binding);
    std::string dest = shape->inner().dest_schema + "." + shape->inner().dest_table;
    if (!why.empty()) {
      verdict.source = binding->SourceName();
      verdict.destination = dest;
      verdict.skipped = why;
    } else {
      verify::TableVerifier verifier(*binding, *shape, writers[dest] > 1, source, *readback, request.options);
      auto result = verifier.Run();
      if (!result.ok()) return result.status().WithContext("verifying " + binding->SourceName());
      verdict = std::move(result).value();
    }
    if (on_table) on_table(verdict);
    report.tables.push_back(std::move(verdict));
  }
  return report;
}

}  // namespace dbsync::ops
