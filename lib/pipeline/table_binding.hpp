#pragma once
// Which source tables a task reads and where each one goes: the selection,
// the destination names from the mapping section, and the key used to apply
// changes (tables[].primary_key, else the source's primary key, else none).

#include <vector>

#include "config/task_spec.hpp"
#include "pipeline/schema_state.hpp"
#include "core/status.hpp"
#include "sink/sink.hpp"
#include "source/source.hpp"

namespace dbsync::pipeline {

Result<std::vector<sink::TableBinding>> BindTables(const config::TaskSpec& spec, source::Source& source);
// Binds one table whose schema is already known (e.g. created by DDL in the stream).
sink::TableBinding BindTable(const config::TaskSpec& spec, const TableSchema& schema);
// Gives `b` what ignored DDL left its destination table as: the drift, and
// the destination name an ignored rename_table kept.
void ApplyDrift(sink::TableBinding& b, sink::DestinationDrift drift);

// A restarted worker's tables, bound as the stream had them at the saved
// state (schema.json) rather than as information_schema has them now: a
// table renamed, altered or created after the checkpoint is met again in the
// binlog. `in_catalog` are the tables selected now (BindTables).
struct SavedTables {
  std::vector<sink::TableBinding> bound;    // applied as before
  std::vector<sink::TableBinding> to_copy;  // copies not done, tables newly selected by the spec
};
SavedTables BindSavedTables(const config::TaskSpec& spec, const SchemaState& state,
                            const std::vector<sink::TableBinding>& in_catalog);

}  // namespace dbsync::pipeline
