#include "pipeline/schema_state.hpp"

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"

namespace dbsync::pipeline {

using nlohmann::json;

const TrackedTable* SchemaState::Find(const std::string& name) const {
  for (const auto& t : tracked)
    if (t.schema.FullName() == name) return &t;
  return nullptr;
}

Result<std::optional<SchemaState>> SchemaState::Load(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::optional<SchemaState>();
    return text.status();
  }
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::Corruption("tracked schema file " + path + " is damaged; delete the task's schema.json and "
                              "re-run the full initialization (sync delete, sync create, sync start)");
  SchemaState state;
  state.position = BinlogPosition::FromJson(j.value("position", json::object()));
  state.catalog_position = BinlogPosition::FromJson(j.value("catalog_position", json::object()));
  state.legacy = !j.contains("bound");
  for (const auto& t : j.value("tables", json::array())) {
    TrackedTable tracked{TableSchemaFromJson(t), {t.value("charset", ""), t.value("collation", "")}};
    if (state.legacy) state.bound.insert(tracked.schema.FullName());
    state.tracked.push_back(std::move(tracked));
  }
  for (const auto& n : j.value("bound", json::array())) state.bound.insert(n.get<std::string>());
  for (const auto& n : j.value("copying", json::array())) state.copying.insert(n.get<std::string>());
  for (const auto& n : j.value("databases", json::array())) state.databases.push_back(n.get<std::string>());
  for (const auto& n : j.value("ignored", json::array())) state.ignored.insert(n.get<std::string>());
  const json drifts = j.value("drift", json::object());
  for (const auto& [name, d] : drifts.items()) {
    sink::DestinationDrift& drift = state.drift[name];
    for (const auto& c : d.value("absent", json::array())) drift.absent.insert(c.get<std::string>());
    const json names = d.value("names", json::object());
    for (const auto& [from, to] : names.items()) drift.names[from] = to.get<std::string>();
    for (const auto& c : TableSchemaFromJson(d.value("definitions", json::object())).columns) drift.definitions[c.name] = c;
    drift.kept_schema = d.value("kept_schema", "");
    drift.kept_table = d.value("kept_table", "");
  }
  return std::optional<SchemaState>(std::move(state));
}

Status SchemaState::Save(const std::string& path) const {
  json tables = json::array();
  for (const auto& t : tracked) {
    json entry = TableSchemaToJson(t.schema);
    entry["charset"] = t.defaults.charset;
    entry["collation"] = t.defaults.collation;
    tables.push_back(std::move(entry));
  }
  json drifts = json::object();
  for (const auto& [name, d] : drift) {
    TableSchema definitions;
    for (const auto& [column, definition] : d.definitions) definitions.columns.push_back(definition);
    drifts[name] = {{"absent", d.absent}, {"names", d.names}, {"definitions", TableSchemaToJson(definitions)}};
    if (!d.kept_table.empty()) {
      drifts[name]["kept_schema"] = d.kept_schema;
      drifts[name]["kept_table"] = d.kept_table;
    }
  }
  json j = {{"position", position.ToJson()}, {"catalog_position", catalog_position.ToJson()}, {"tables", tables}, {"bound", bound},
            {"copying", copying},            {"databases", databases}, {"drift", drifts}, {"ignored", ignored}};
  return WriteFileAtomically(path, j.dump());
}

}  // namespace dbsync::pipeline
