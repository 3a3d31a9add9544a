#include "pipeline/table_binding.hpp"

#include <set>

#include "core/text_util.hpp"
#include "pipeline/name_mapping.hpp"

namespace dbsync::pipeline {

sink::TableBinding BindTable(const config::TaskSpec& spec, const TableSchema& schema) {
  sink::TableBinding b;
  b.source = schema;
  DestinationName name = MapTableName(spec, schema.db, schema.table);
  b.dest_schema = name.schema;
  b.dest_table = name.table;
  b.settings = config::FindTableSpec(spec, schema.db, schema.table);
  const auto& key = b.settings && !b.settings->primary_key.empty() ? b.settings->primary_key : schema.primary_key;
  // A tables[].extra_fields name in the key is the destination's key only
  // (sink/shaping/table_shape.hpp): the source reads and splits by its own columns.
  for (const auto& k : key) {
    bool added = false;
    if (b.settings)
      for (const auto& f : b.settings->extra_fields) added = added || f.name == k;
    if (!added || schema.ColumnIndex(k) >= 0) b.key.push_back(k);
  }
  return b;
}

void ApplyDrift(sink::TableBinding& b, sink::DestinationDrift drift) {
  if (!drift.kept_table.empty()) {
    b.dest_schema = drift.kept_schema;
    b.dest_table = drift.kept_table;
  }
  b.drift = std::move(drift);
}

Result<std::vector<sink::TableBinding>> BindTables(const config::TaskSpec& spec, source::Source& source) {
  SYNC_ASSIGN_OR_RETURN(auto tables, source.SelectedTables(spec.source));
  if (tables.empty())
    return Status::FailedPrecondition("no source table matches source.tables; run `sync check` for details");
  std::vector<sink::TableBinding> out;
  for (const auto& schema : tables) {
    sink::TableBinding b = BindTable(spec, schema);
    for (const auto& k : b.key)
      if (schema.ColumnIndex(k) < 0)
        return Status::InvalidArgument("tables[].primary_key names column '" + k + "', which " + schema.FullName() +
                                       " does not have (nor do its tables[].extra_fields)");
    out.push_back(std::move(b));
  }
  return out;
}

SavedTables BindSavedTables(const config::TaskSpec& spec, const SchemaState& state,
                            const std::vector<sink::TableBinding>& in_catalog) {
  SavedTables out;
  std::set<std::string> known;
  for (const auto* names : {&state.bound, &state.copying}) {
    for (const auto& name : *names) {
      const TrackedTable* t = state.Find(name);
      if (!t || !config::IsTableSelected(spec.source, t->schema.db, t->schema.table)) continue;
      known.insert(name);
      sink::TableBinding b = BindTable(spec, t->schema);
      if (auto d = state.drift.find(name); d != state.drift.end() && names == &state.bound) ApplyDrift(b, d->second);
      (names == &state.copying ? out.to_copy : out.bound).push_back(std::move(b));
    }
  }
  for (const auto& b : in_catalog) {
    const std::string name = b.SourceName();
    if (known.count(name) || state.ignored.count(name)) continue;
    if (const TrackedTable* t = state.Find(name)) {  // tracked, not bound: selected by a new spec
      out.to_copy.push_back(BindTable(spec, t->schema));
      continue;
    }
    bool followed = false;
    for (const auto& p : state.databases) followed = followed || GlobMatch(p, b.source.db);
    if (!followed) out.to_copy.push_back(b);  // a database the spec selects from now on
    // Otherwise it was created or renamed after the saved state: the binlog brings it.
  }
  return out;
}

}  // namespace dbsync::pipeline
