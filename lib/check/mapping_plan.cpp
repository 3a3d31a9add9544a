#include "check/mapping_plan.hpp"

#include <map>
#include <set>

#include "pipeline/name_mapping.hpp"
#include "pipeline/table_binding.hpp"
#include "sink/shaping/shaping_sink.hpp"

namespace dbsync::check {

const char* MergeKindName(MergeKind kind) {
  switch (kind) {
    case MergeKind::kNone: return "none";
    case MergeKind::kKeyNamesSource: return "key_names_source";
    case MergeKind::kDisjointKeys: return "disjoint_keys";
    case MergeKind::kCollision: return "collision";
  }
  return "?";
}

Result<std::shared_ptr<const sink::TableShape>> ShapeOf(const config::TaskSpec& spec, const SourceTable& t) {
  sink::TableBinding binding = pipeline::BindTable(spec, t.schema);
  return sink::TableShape::Make(binding, sink::ShapeNamesOf(spec, binding));
}

namespace {

PlannedTable PlanOne(const config::TaskSpec& spec, const SourceTable& t,
                     std::vector<std::string>* identity) {
  PlannedTable p;
  p.source = t.db + "." + t.table;
  pipeline::DestinationName name = pipeline::MapTableName(spec, t.db, t.table);
  p.destination = name.schema + "." + name.table;
  const config::TableSpec* settings = config::FindTableSpec(spec, t.db, t.table);
  p.copied = config::IsCopiedTable(spec, settings);
  if (settings) {
    p.mode = settings->mode == config::TableMode::kExisting ? "existing" : "new";
    for (const auto& f : settings->extra_fields) p.added_fields.push_back(f.name);
  }
  if (t.schema.columns.empty()) return p;  // unreadable: the source items said so
  auto shape = ShapeOf(spec, t);
  if (!shape.ok()) {
    p.problem = shape.status().message();
    return p;
  }
  p.key = (*shape)->inner().key;
  *identity = (*shape)->ConstantKeyValues();
  return p;
}

}  // namespace

std::vector<PlannedTable> PlanMapping(const config::TaskSpec& spec, const std::vector<SourceTable>& tables) {
  std::vector<PlannedTable> plan;
  std::vector<std::vector<std::string>> identities;
  std::map<std::string, std::vector<size_t>> by_destination;
  for (const auto& t : tables) {
    identities.emplace_back();
    plan.push_back(PlanOne(spec, t, &identities.back()));
    by_destination[plan.back().destination].push_back(plan.size() - 1);
  }
  for (const auto& [destination, members] : by_destination) {
    if (members.size() < 2) continue;
    bool disjoint = true, told_apart = true;
    std::set<std::vector<std::string>> seen;
    for (size_t i : members) {
      const config::TableSpec* settings = config::FindTableSpec(spec, tables[i].db, tables[i].table);
      disjoint = disjoint && settings && settings->disjoint_keys;
      told_apart = told_apart && !identities[i].empty() && seen.insert(identities[i]).second;
    }
    MergeKind kind = told_apart ? MergeKind::kKeyNamesSource
                     : disjoint ? MergeKind::kDisjointKeys
                                : MergeKind::kCollision;
    for (size_t i : members) {
      plan[i].merge = kind;
      for (size_t j : members)
        if (j != i) plan[i].merged_with.push_back(plan[j].source);
    }
  }
  return plan;
}

nlohmann::json PlanToJson(const std::vector<PlannedTable>& plan) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : plan) {
    nlohmann::json j = {{"source", p.source},   {"destination", p.destination}, {"key", p.key},
                        {"mode", p.mode},       {"copied", p.copied},           {"added_fields", p.added_fields},
                        {"merge", MergeKindName(p.merge)}, {"merged_with", p.merged_with}};
    if (!p.problem.empty()) j["problem"] = p.problem;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace dbsync::check
