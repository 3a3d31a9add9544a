#include "sink/memory/memory_sink.hpp"

#include <algorithm>
#include <optional>

#include "core/text_util.hpp"

namespace dbsync::sink::memory {
namespace {

std::string Qualified(const TableBinding& t) { return t.dest_schema + "." + t.dest_table; }

// The destination table for a binding: key and columns as a new table gets them.
MemoryTable NewTable(const TableBinding& binding) {
  MemoryTable t;
  t.columns = binding.source.columns;
  t.key = binding.key;
  return t;
}

// A row of the binding's source order, laid out in the table's column order.
std::vector<Value> Layout(const MemoryTable& table, const TableBinding& binding, const std::vector<Value>& row) {
  std::vector<Value> out(table.columns.size());
  for (size_t i = 0; i < binding.source.columns.size() && i < row.size(); ++i) {
    int at = table.ColumnIndex(binding.source.columns[i].name);
    if (at >= 0) out[size_t(at)] = row[i];
  }
  return out;
}

std::vector<Value> KeyOf(const MemoryTable& table, const std::vector<Value>& row) {
  std::vector<Value> key;
  for (const auto& name : table.key) key.push_back(row[size_t(table.ColumnIndex(name))]);
  return key;
}

Result<MemoryTable*> Find(MemoryStore::State& s, const TableBinding& t);

}  // namespace

int MemoryTable::ColumnIndex(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (ToLower(columns[i].name) == ToLower(name)) return int(i);
  return -1;
}

Status ApplyRowChanges(MemoryTable& table, const TableBinding& binding, const std::vector<RowChange>& rows) {
  auto find = [&](const std::vector<Value>& image) -> std::vector<std::vector<Value>>::iterator {
    std::vector<Value> laid = Layout(table, binding, image);
    if (table.key.empty()) return std::find(table.rows.begin(), table.rows.end(), laid);
    std::vector<Value> key = KeyOf(table, laid);
    return std::find_if(table.rows.begin(), table.rows.end(),
                        [&](const std::vector<Value>& r) { return KeyOf(table, r) == key; });
  };
  const config::ConflictPolicy policy = binding.on_conflict();
  for (const auto& change : rows) {
    // The row the change meets: under update and ignore its columns the task
    // does not write stay (tables[].on_conflict); a delete takes it whole.
    std::optional<std::vector<Value>> met;
    if (change.op != RowChange::Op::kInsert) {
      auto it = find(change.before);
      if (it != table.rows.end()) {
        met = *it;
        table.rows.erase(it);
      }
      // A keyless row that is not there: the destination drifted (PostgreSQL
      // deletes nothing too); keyed: the delete of a key never loaded.
    }
    if (change.op == RowChange::Op::kDelete) continue;
    // A key that changes is a delete of the old key: nothing of its row moves along.
    if (met && !table.key.empty() &&
        KeyOf(table, Layout(table, binding, change.before)) != KeyOf(table, Layout(table, binding, change.after)))
      met.reset();
    bool inserted_over = false;
    if (!table.key.empty()) {
      auto it = find(change.after);
      if (it != table.rows.end()) {  // upsert: the last image wins
        inserted_over = change.op == RowChange::Op::kInsert;
        if (!met) met = *it;
        table.rows.erase(it);
      }
    }
    if (inserted_over && policy == config::ConflictPolicy::kIgnore) {
      table.rows.push_back(*met);
      continue;
    }
    std::vector<Value> row = Layout(table, binding, change.after);
    if (met && policy != config::ConflictPolicy::kReplace)
      for (size_t i = 0; i < table.columns.size(); ++i)
        if (binding.source.ColumnIndex(table.columns[i].name) < 0) row[i] = (*met)[i];
    table.rows.push_back(std::move(row));
  }
  return Status::Ok();
}

// --- MemoryStore ---

std::map<std::string, MemoryTable> MemoryStore::Tables() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.tables;
}

std::optional<MemoryTable> MemoryStore::Table(const std::string& schema, const std::string& table) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.tables.find(schema + "." + table);
  if (it == state_.tables.end()) return std::nullopt;
  return it->second;
}

size_t MemoryStore::committed_loads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.loads.size();
}

size_t MemoryStore::duplicate_loads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.duplicate_loads;
}

void MemoryStore::FailNth(const std::string& op, int nth) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_in_[op] = nth;
}

Status MemoryStore::Injected(const std::string& op) {
  auto it = fail_in_.find(op);
  if (it == fail_in_.end()) return Status::Ok();
  if (--it->second > 0) return Status::Ok();
  fail_in_.erase(it);
  return Status::Unavailable("injected failure of " + op + " (the destination went away)");
}

Status MemoryStore::Commit(const std::string& op, const std::function<Status(State&)>& change) {
  std::lock_guard<std::mutex> lock(mu_);
  SYNC_RETURN_IF_ERROR(Injected(op));
  State next = state_;
  SYNC_RETURN_IF_ERROR(change(next));
  state_ = std::move(next);
  return Status::Ok();
}

MemoryStore::State MemoryStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

namespace {

Result<MemoryTable*> Find(MemoryStore::State& s, const TableBinding& t) {
  auto it = s.tables.find(Qualified(t));
  if (it == s.tables.end())
    return Status::NotFound("destination table " + Qualified(t) + " (for " + t.SourceName() + ") does not exist");
  return &it->second;
}

// A chunk: rows buffered, then committed with the chunk's record in one step.
class MemoryChunkWriter : public ChunkWriter {
 public:
  MemoryChunkWriter(std::shared_ptr<MemoryStore> store, std::string task_id, const TableBinding& table, int index,
                    BinlogPosition position)
      : store_(std::move(store)), task_id_(std::move(task_id)), table_(table), index_(index), position_(position) {}
  Status Write(const std::vector<Value>& row) override {
    if (row.size() != table_.source.columns.size())
      return Status::InvalidArgument("a row of " + std::to_string(row.size()) + " values for " + table_.SourceName() +
                                     ", which has " + std::to_string(table_.source.columns.size()) + " columns");
    RowChange insert;
    insert.after = row;
    rows_.push_back(std::move(insert));
    return Status::Ok();
  }
  Status Commit() override;

 private:
  std::shared_ptr<MemoryStore> store_;
  std::string task_id_;
  const TableBinding& table_;
  int index_;
  BinlogPosition position_;
  std::vector<RowChange> rows_;
};

}  // namespace

// --- MemorySink ---

MemorySink::MemorySink(std::shared_ptr<MemoryStore> store, std::string task_id, ExactlyOnce mode)
    : store_(std::move(store)), task_id_(std::move(task_id)), mode_(mode) {}

Status MemorySink::PrepareTable(const TableBinding& table) {
  if (mode_ == ExactlyOnce::kPerTableLoads && table.key.empty())
    return Status::FailedPrecondition(table.SourceName() + " has no primary key, which a destination with per-table "
                                      "loads needs to apply a replayed batch harmlessly; set tables[].primary_key");
  return store_->Commit("PrepareTable", [&](MemoryStore::State& s) -> Status {
    auto it = s.tables.find(Qualified(table));
    if (it == s.tables.end()) {
      if (table.existing())
        return Status::FailedPrecondition("destination table " + Qualified(table) +
                                          " has mode: existing but does not exist; create it first");
      s.tables[Qualified(table)] = NewTable(table);
      return Status::Ok();
    }
    for (const auto& col : table.source.columns)
      if (it->second.ColumnIndex(col.name) < 0)
        return Status::FailedPrecondition("destination table " + Qualified(table) + " has no column " + col.name +
                                          ": the destination table already exists and does not fit; drop it or fix it");
    return Status::Ok();
  });
}

Status MemorySink::ResetTable(const TableBinding& table) {
  return store_->Commit("ResetTable", [&](MemoryStore::State& s) -> Status {
    SYNC_ASSIGN_OR_RETURN(MemoryTable * t, Find(s, table));
    t->rows.clear();
    s.books[task_id_].chunks.erase(table.SourceName());
    return Status::Ok();
  });
}

Status MemorySink::DropTable(const TableBinding& table) {
  return store_->Commit("DropTable", [&](MemoryStore::State& s) -> Status {
    if (!table.existing()) s.tables.erase(Qualified(table));
    s.books[task_id_].chunks.erase(table.SourceName());
    return Status::Ok();
  });
}

Result<std::map<int, BinlogPosition>> MemorySink::CompletedChunks(const TableBinding& table) {
  MemoryStore::State s = store_->Snapshot();
  auto book = s.books.find(task_id_);
  if (book == s.books.end()) return std::map<int, BinlogPosition>();
  auto it = book->second.chunks.find(table.SourceName());
  return it == book->second.chunks.end() ? std::map<int, BinlogPosition>() : it->second;
}

Result<std::unique_ptr<ChunkWriter>> MemorySink::OpenChunk(const TableBinding& table, int chunk_index,
                                                           const BinlogPosition& snapshot_position) {
  MemoryStore::State s = store_->Snapshot();
  if (!s.tables.count(Qualified(table)))
    return Status::NotFound("destination table " + Qualified(table) + " does not exist; PrepareTable first");
  return std::unique_ptr<ChunkWriter>(
      std::make_unique<MemoryChunkWriter>(store_, task_id_, table, chunk_index, snapshot_position));
}

Status MemoryChunkWriter::Commit() {
  return store_->Commit("ChunkCommit", [&](MemoryStore::State& s) -> Status {
    SYNC_ASSIGN_OR_RETURN(MemoryTable * t, Find(s, table_));
    SYNC_RETURN_IF_ERROR(ApplyRowChanges(*t, table_, rows_));
    s.books[task_id_].chunks[table_.SourceName()][index_] = position_;
    return Status::Ok();
  });
}

namespace {

Status ApplyAll(MemoryStore::State& s, const std::vector<TableChanges>& changes) {
  for (const auto& tc : changes) {
    if (!tc.table) return Status::Internal("TableChanges without a table");
    SYNC_ASSIGN_OR_RETURN(MemoryTable * t, Find(s, *tc.table));
    SYNC_RETURN_IF_ERROR(ApplyRowChanges(*t, *tc.table, tc.rows));
  }
  return Status::Ok();
}

void Record(MemoryStore::TaskBook& book, const BinlogPosition& position, const TablePositions& tables) {
  if (!tables.hold_checkpoint) book.checkpoint = position;
  for (const auto& name : tables.erase) book.table_positions.erase(name);
  for (const auto& [name, p] : tables.save) book.table_positions[name] = p;
}

}  // namespace

Status MemorySink::ApplyBatch(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                              const TablePositions& tables) {
  std::vector<TableChanges> all = std::move(pieces_);
  pieces_.clear();
  all.insert(all.end(), changes.begin(), changes.end());
  if (mode_ == ExactlyOnce::kPerTableLoads) return ApplyPerTableLoads(all, position, tables);
  return store_->Commit("ApplyBatch", [&](MemoryStore::State& s) -> Status {
    SYNC_RETURN_IF_ERROR(ApplyAll(s, all));
    Record(s.books[task_id_], position, tables);
    return Status::Ok();
  });
}

Status MemorySink::ApplyPerTableLoads(const std::vector<TableChanges>& changes, const BinlogPosition& position,
                                      const TablePositions& tables) {
  if (!previous_) {
    SYNC_ASSIGN_OR_RETURN(auto checkpoint, LoadCheckpoint());
    previous_ = checkpoint.value_or(BinlogPosition());
  }
  // One load per table, in the order the batch first touches each. A batch
  // replayed with other bounds has other ids: it is applied, and converges.
  std::vector<std::pair<std::string, std::vector<TableChanges>>> loads;
  for (const auto& tc : changes) {
    std::string id = task_id_ + "/" + tc.table->SourceName() + "/" + previous_->ToString() + ".." + position.ToString();
    auto it = std::find_if(loads.begin(), loads.end(), [&](const auto& l) { return l.first == id; });
    if (it == loads.end()) it = loads.insert(loads.end(), {id, {}});
    it->second.push_back(tc);
  }
  SYNC_RETURN_IF_ERROR(store_->Commit("ApplyBatch", [](MemoryStore::State&) { return Status::Ok(); }));  // prepare
  for (const auto& [id, load] : loads) {
    // Captured by name: clang before 16 cannot capture a structured binding.
    SYNC_RETURN_IF_ERROR(store_->Commit("LoadCommit", [&, id = id, &load = load](MemoryStore::State& s) -> Status {
      if (s.loads.count(id)) {
        ++s.duplicate_loads;  // "already loaded": the first commit stands
        return Status::Ok();
      }
      SYNC_RETURN_IF_ERROR(ApplyAll(s, load));
      s.loads.insert(id);
      return Status::Ok();
    }));
  }
  // Only after every load: the checkpoint and the table positions.
  SYNC_RETURN_IF_ERROR(store_->Commit("Checkpoint", [&](MemoryStore::State& s) -> Status {
    Record(s.books[task_id_], position, tables);
    return Status::Ok();
  }));
  previous_ = position;
  return Status::Ok();
}

Status MemorySink::ApplyPartial(const std::vector<TableChanges>& changes) {
  Status injected = store_->Commit("ApplyPartial", [&](MemoryStore::State& s) -> Status {
    for (const auto& tc : changes) SYNC_RETURN_IF_ERROR(Find(s, *tc.table).status());
    return Status::Ok();
  });
  if (!injected.ok()) {
    pieces_.clear();  // the open transaction rolls back with the failure
    return injected;
  }
  pieces_.insert(pieces_.end(), changes.begin(), changes.end());
  return Status::Ok();
}

namespace {

Status RunStep(MemoryStore::State& s, const std::string& task_id, const SchemaChangeStep& step) {
  const SchemaChange& c = step.change;
  const TableBinding& table = *step.table;
  bool existing = table.existing() || (step.old_table && step.old_table->existing());
  if (c.kind == SchemaChangeKind::kPartitionDataChanged)
    return Status::FailedPrecondition("a partition of " + table.SourceName() +
                                      " changed rows without row events; the table needs a new full initialization");
  if (existing && c.kind != SchemaChangeKind::kTableCreated)
    return Status::FailedPrecondition("destination table " + Qualified(step.old_table ? *step.old_table : table) +
                                      " has mode: existing, and sync never alters such a table");
  auto& tables = s.tables;
  switch (c.kind) {
    case SchemaChangeKind::kTableCreated:
      if (step.recopy) {
        if (!existing) tables.erase(Qualified(table));
        s.books[task_id].chunks.erase(table.SourceName());
      }
      if (!tables.count(Qualified(table))) tables[Qualified(table)] = NewTable(table);
      if (existing && step.recopy) tables[Qualified(table)].rows.clear();
      return Status::Ok();
    case SchemaChangeKind::kTableDropped:
      tables.erase(Qualified(table));
      return Status::Ok();
    case SchemaChangeKind::kTableRenamed: {
      if (!step.old_table) return Status::InvalidArgument("a table rename needs the binding before it (old_table)");
      auto from = tables.find(Qualified(*step.old_table));
      if (from == tables.end()) return Status::Ok();  // done before a crash
      if (tables.count(Qualified(table)))
        return Status::FailedPrecondition("cannot rename " + Qualified(*step.old_table) + " to " + Qualified(table) +
                                          ": a table of that name exists");
      MemoryTable moved = std::move(from->second);
      tables.erase(from);
      tables[Qualified(table)] = std::move(moved);
      return Status::Ok();
    }
    default:
      break;
  }
  SYNC_ASSIGN_OR_RETURN(MemoryTable * t, Find(s, table));
  int at = t->ColumnIndex(c.kind == SchemaChangeKind::kColumnRenamed ? c.old_column : c.column);
  switch (c.kind) {
    case SchemaChangeKind::kTableTruncated:
      t->rows.clear();
      break;
    case SchemaChangeKind::kColumnAdded:
      if (at >= 0 || !c.after) break;
      t->columns.push_back(*c.after);
      for (auto& row : t->rows)
        row.push_back(step.fill ? *step.fill : Value::Null());
      break;
    case SchemaChangeKind::kColumnDropped:
      if (at < 0) break;
      t->columns.erase(t->columns.begin() + at);
      for (auto& row : t->rows) row.erase(row.begin() + at);
      std::erase(t->key, c.column);
      break;
    case SchemaChangeKind::kColumnRenamed:
      if (at < 0) break;  // renamed before a crash
      t->columns[size_t(at)].name = c.column;
      for (auto& k : t->key)
        if (k == c.old_column) k = c.column;
      break;
    case SchemaChangeKind::kColumnModified:
      if (at >= 0 && c.after) t->columns[size_t(at)] = *c.after;
      break;
    case SchemaChangeKind::kPrimaryKeyChanged:
      t->key = table.key;
      break;
    default:
      break;
  }
  return Status::Ok();
}

}  // namespace

Status MemorySink::ApplySchemaChanges(const std::vector<SchemaChangeStep>& steps, const BinlogPosition& ddl_position) {
  return store_->Commit("ApplySchemaChanges", [&](MemoryStore::State& s) -> Status {
    for (const auto& step : steps) {
      Status ran = RunStep(s, task_id_, step);
      if (!ran.ok())
        return ran.WithContext(std::string("applying source DDL (") + SchemaChangeKindName(step.change.kind) + ") of " +
                               step.table->SourceName() + " at " + ddl_position.ToString());
    }
    s.books[task_id_].ddl_applied = ddl_position;
    return Status::Ok();
  });
}

Result<std::optional<BinlogPosition>> MemorySink::LastAppliedDdl() {
  MemoryStore::State s = store_->Snapshot();
  return s.books[task_id_].ddl_applied;
}

Status MemorySink::FillAddedColumn(const TableBinding& table, const std::string& column, const Value& value) {
  return store_->Commit("FillAddedColumn", [&](MemoryStore::State& s) -> Status {
    SYNC_ASSIGN_OR_RETURN(MemoryTable * t, Find(s, table));
    int at = t->ColumnIndex(column);
    if (at < 0) return Status::NotFound("no column " + column + " in " + Qualified(table));
    for (auto& row : t->rows)
      if (row[size_t(at)].is_null()) row[size_t(at)] = value;
    return Status::Ok();
  });
}

Result<std::optional<BinlogPosition>> MemorySink::LoadCheckpoint() {
  MemoryStore::State s = store_->Snapshot();
  return s.books[task_id_].checkpoint;
}

Result<std::map<std::string, BinlogPosition>> MemorySink::LoadTablePositions() {
  MemoryStore::State s = store_->Snapshot();
  return s.books[task_id_].table_positions;
}

Status MemorySink::SaveTablePositions(const TablePositions& positions) {
  return store_->Commit("SaveTablePositions", [&](MemoryStore::State& s) -> Status {
    auto& book = s.books[task_id_];
    for (const auto& name : positions.erase) book.table_positions.erase(name);
    for (const auto& [name, p] : positions.save) book.table_positions[name] = p;
    return Status::Ok();
  });
}

Status MemorySink::ForgetTask() {
  return store_->Commit("ForgetTask", [&](MemoryStore::State& s) -> Status {
    s.books.erase(task_id_);
    std::erase_if(s.loads, [&](const std::string& id) { return id.rfind(task_id_ + "/", 0) == 0; });
    return Status::Ok();
  });
}

}  // namespace dbsync::sink::memory
