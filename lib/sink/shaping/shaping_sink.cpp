#include "sink/shaping/shaping_sink.hpp"

#include <chrono>

namespace dbsync::sink {
namespace {

Timestamp Now() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
  // Milliseconds, as DataWorks' EXECUTE_TIME.
  return Timestamp{us / 1000000, uint32_t(us % 1000000 / 1000 * 1000), 3};
}

bool SameBinding(const TableBinding& a, const TableBinding& b) {
  return a.source == b.source && a.dest_schema == b.dest_schema && a.dest_table == b.dest_table && a.key == b.key &&
         a.settings == b.settings && a.drift == b.drift;
}

// Rows of full initialization through the table's shape.
class ShapingChunkWriter : public ChunkWriter {
 public:
  ShapingChunkWriter(std::unique_ptr<ChunkWriter> inner, const TableShape* shape, std::string table)
      : inner_(std::move(inner)), shape_(shape), table_(std::move(table)) {
    context_.execute_time = Now();
    context_.commit_time = context_.execute_time.epoch_seconds;
  }
  Status Write(const std::vector<Value>& row) override {
    SYNC_ASSIGN_OR_RETURN(bool keep, shape_->ShapeCopiedRow(row, context_, &shaped_));
    if (!keep) {
      ++left_out_;
      return Status::Ok();
    }
    return inner_->Write(shaped_);
  }
  Status Commit() override {
    SYNC_RETURN_IF_ERROR(inner_->Commit());
    DmlCounts counts;
    counts.copy_filtered = left_out_;
    if (!counts.empty()) DmlCountsRegistry::Instance().Add(table_, counts);
    return Status::Ok();
  }

 private:
  std::unique_ptr<ChunkWriter> inner_;
  const TableShape* shape_;
  std::string table_;
  RowContext context_;
  std::vector<Value> shaped_;
  uint64_t left_out_ = 0;
};

// PostgreSQL and Hologres cannot drop, rename or retype a partition column.
Status CheckPartitionColumnKept(const SchemaChangeStep& step) {
  const SchemaChange& change = step.change;
  const config::TableSpec* settings = step.table->settings;
  if (!settings || !settings->partition) return Status::Ok();
  if (change.kind != SchemaChangeKind::kColumnDropped && change.kind != SchemaChangeKind::kColumnRenamed &&
      change.kind != SchemaChangeKind::kColumnModified)
    return Status::Ok();
  const std::string& field = settings->partition->field;
  if (change.column != field && change.old_column != field) return Status::Ok();
  return Status::FailedPrecondition(
      std::string("a DDL statement (") + SchemaChangeKindName(change.kind) + ") changes column " + field + " of " +
      step.table->SourceName() + ", the partition column of its destination table (tables[].partition), which a "
      "partitioned table cannot follow; see sync-task(5) \"PARTITIONED TABLES\" for the way past it");
}

// `step` as the destination table takes it: columns named and typed as it
// has them, the excluded ones left out. False when the step is about an
// excluded column, which the destination does not have.
Result<bool> ToDestination(const TableShape& shape, const TableBinding& outer, SchemaChangeStep& step) {
  SchemaChange& change = step.change;
  if (IsColumnChange(change.kind)) {
    const bool excluded = shape.Excludes(change.column);
    if (change.kind == SchemaChangeKind::kColumnRenamed && shape.Excludes(change.old_column) && !excluded)
      return Status::FailedPrecondition("a DDL statement renames column " + change.old_column + " of " +
                                        outer.SourceName() + ", which tables[].exclude_columns keeps from the "
                                        "destination, to " + change.column + ", which it does not; exclude " +
                                        change.column + " too, or add it at the destination by hand and remove " +
                                        change.old_column + " from the list");
    if (excluded) return false;
  }
  if (step.fill) {
    if (int filled = outer.source.ColumnIndex(change.column); filled >= 0) {
      SYNC_ASSIGN_OR_RETURN(*step.fill, shape.DestinationValue(outer.source.columns[size_t(filled)], *step.fill));
    }
  }
  for (auto* column : {&change.before, &change.after}) {
    if (*column) {
      SYNC_ASSIGN_OR_RETURN(**column, shape.DestinationColumn(**column));
    }
  }
  if (change.schema) {
    TableSchema projected = *change.schema;
    projected.columns.clear();
    int position = change.position;
    for (size_t i = 0; i < change.schema->columns.size(); ++i) {
      const ColumnSchema& c = change.schema->columns[i];
      if (shape.Excludes(c.name)) {
        if (int(i) < change.position) --position;
        continue;
      }
      SYNC_ASSIGN_OR_RETURN(ColumnSchema at_destination, shape.DestinationColumn(c));
      projected.columns.push_back(std::move(at_destination));
    }
    for (auto& k : projected.primary_key) k = shape.DestinationName(k);
    change.schema = std::move(projected);
    change.position = position;
  }
  if (!change.old_column.empty()) change.old_column = shape.DestinationName(change.old_column);
  if (!change.column.empty()) change.column = shape.DestinationName(change.column);
  for (auto* key : {&change.primary_key, &change.old_primary_key})
    for (auto& k : *key) k = shape.DestinationName(k);
  return true;
}

}  // namespace

DmlCountsRegistry& DmlCountsRegistry::Instance() {
  static DmlCountsRegistry registry;
  return registry;
}

void DmlCountsRegistry::Add(const std::string& table, const DmlCounts& c) {
  std::lock_guard<std::mutex> lock(mu_);
  DmlCounts& total = counts_[table];
  total.applied += c.applied;
  total.ignored += c.ignored;
  total.filtered += c.filtered;
  total.copy_filtered += c.copy_filtered;
}

std::map<std::string, DmlCounts> DmlCountsRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

bool SpecShapesRows(const config::TaskSpec& spec) {
  for (const auto& t : spec.tables)
    if (ShapesRows(t)) return true;
  // Ignored column DDL leaves destination tables that differ from the source's.
  for (const char* kind : {"add_column", "drop_column", "rename_column", "modify_column"})
    if (auto it = spec.ddl.find(kind); it != spec.ddl.end() && it->second == config::DdlPolicy::kIgnore) return true;
  return false;
}

ShapeNames ShapeNamesOf(const config::TaskSpec& spec, const TableBinding& table) {
  return ShapeNames{table.source.db, table.source.table, spec.source.host,
                    !spec.destination.database.empty() ? spec.destination.database : spec.destination.project,
                    table.dest_table};
}

ShapingSink::ShapingSink(std::unique_ptr<Sink> inner, const config::TaskSpec& spec)
    : inner_(std::move(inner)), spec_(&spec) {}

Result<const TableShape*> ShapingSink::ShapeOf(const TableBinding& outer) {
  auto it = known_.find(&outer);
  if (it != known_.end() && SameBinding(it->second.outer, outer)) return it->second.shape.get();
  SYNC_ASSIGN_OR_RETURN(auto shape, TableShape::Make(outer, ShapeNamesOf(*spec_, outer), /*names_checked=*/false));
  kept_.push_back(shape);
  known_[&outer] = Known{outer, shape};
  return shape.get();
}

#define SYNC_INNER_BINDING(var, outer)                    \
  const TableShape* var##_shape = nullptr;                \
  SYNC_ASSIGN_OR_RETURN(var##_shape, ShapeOf(outer));     \
  const TableBinding& var = var##_shape->passthrough() ? (outer) : var##_shape->inner()

Status ShapingSink::PrepareTable(const TableBinding& table) {
  SYNC_INNER_BINDING(inner, table);
  return inner_->PrepareTable(inner);
}

Status ShapingSink::ResetTable(const TableBinding& table) {
  SYNC_INNER_BINDING(inner, table);
  return inner_->ResetTable(inner);
}

Status ShapingSink::DropKeyForLoad(const TableBinding& table) {
  SYNC_INNER_BINDING(inner, table);
  return inner_->DropKeyForLoad(inner);
}

Result<std::vector<std::string>> ShapingSink::BuildKeys(const std::vector<const TableBinding*>& tables) {
  std::vector<const TableBinding*> inner;
  for (const TableBinding* table : tables) {
    SYNC_INNER_BINDING(one, *table);
    inner.push_back(&one);
  }
  return inner_->BuildKeys(inner);
}

Status ShapingSink::DropTable(const TableBinding& table) {
  SYNC_INNER_BINDING(inner, table);
  return inner_->DropTable(inner);
}

Result<std::map<int, BinlogPosition>> ShapingSink::CompletedChunks(const TableBinding& table) {
  SYNC_INNER_BINDING(inner, table);
  return inner_->CompletedChunks(inner);
}

Result<std::unique_ptr<ChunkWriter>> ShapingSink::OpenChunk(const TableBinding& table, int chunk_index,
                                                            const BinlogPosition& snapshot_position) {
  SYNC_INNER_BINDING(inner, table);
  SYNC_ASSIGN_OR_RETURN(auto writer, inner_->OpenChunk(inner, chunk_index, snapshot_position));
  if (inner_shape->passthrough()) return writer;
  return std::unique_ptr<ChunkWriter>(
      std::make_unique<ShapingChunkWriter>(std::move(writer), inner_shape, table.SourceName()));
}

Status ShapingSink::Shape(const std::vector<TableChanges>& in, std::vector<TableChanges>* out,
                          std::map<std::string, DmlCounts>* counts) {
  const Timestamp now = Now();
  out->reserve(in.size());
  for (const auto& tc : in) {
    SYNC_ASSIGN_OR_RETURN(const TableShape* shape, ShapeOf(*tc.table));
    if (shape->passthrough()) {
      out->push_back(tc);
      continue;
    }
    TableChanges shaped;
    shaped.table = &shape->inner();
    SYNC_RETURN_IF_ERROR(shape->ShapeChanges(tc.rows, now, &shaped.rows, &(*counts)[tc.table->SourceName()]));
    // A table whose every change was dropped still takes part (its load may
    // carry the batch's range for an exactly-once destination).
    out->push_back(std::move(shaped));
  }
  return Status::Ok();
}

Status ShapingSink::ApplyBatch(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                               const TablePositions& tables) {
  bool any = false;
  for (const auto& tc : changes) {
    SYNC_ASSIGN_OR_RETURN(const TableShape* shape, ShapeOf(*tc.table));
    any = any || !shape->passthrough();
  }
  if (!any) return inner_->ApplyBatch(changes, position, tables);
  std::vector<TableChanges> shaped;
  std::map<std::string, DmlCounts> counts = std::move(staged_counts_);
  staged_counts_.clear();
  SYNC_RETURN_IF_ERROR(Shape(changes, &shaped, &counts));
  SYNC_RETURN_IF_ERROR(inner_->ApplyBatch(shaped, position, tables));
  for (const auto& [table, c] : counts) DmlCountsRegistry::Instance().Add(table, c);
  return Status::Ok();
}

Status ShapingSink::ApplyPartial(const std::vector<TableChanges>& changes) {
  std::vector<TableChanges> shaped;
  SYNC_RETURN_IF_ERROR(Shape(changes, &shaped, &staged_counts_));
  return inner_->ApplyPartial(shaped);
}

Status ShapingSink::ApplySchemaChanges(const std::vector<SchemaChangeStep>& steps, const BinlogPosition& ddl_position) {
  std::vector<SchemaChangeStep> inner_steps;
  for (SchemaChangeStep step : steps) {
    if (step.table) {
      SYNC_RETURN_IF_ERROR(CheckPartitionColumnKept(step));
      const TableBinding* outer = step.table;
      SYNC_INNER_BINDING(inner, *step.table);
      SYNC_ASSIGN_OR_RETURN(bool reaches, ToDestination(*inner_shape, *outer, step));
      if (!reaches) continue;
      step.table = &inner;
    }
    if (step.old_table) {
      SYNC_INNER_BINDING(old_inner, *step.old_table);
      step.old_table = &old_inner;
    }
    inner_steps.push_back(std::move(step));
  }
  return inner_->ApplySchemaChanges(inner_steps, ddl_position);
}

Status ShapingSink::FillAddedColumn(const TableBinding& table, const std::string& column, const Value& value) {
  SYNC_INNER_BINDING(inner, table);
  int i = table.source.ColumnIndex(column);
  if (i < 0) return inner_->FillAddedColumn(inner, column, value);
  if (inner_shape->Excludes(column)) return Status::Ok();
  SYNC_ASSIGN_OR_RETURN(Value at_destination, inner_shape->DestinationValue(table.source.columns[size_t(i)], value));
  return inner_->FillAddedColumn(inner, inner_shape->DestinationName(column), at_destination);
}

#undef SYNC_INNER_BINDING

}  // namespace dbsync::sink
