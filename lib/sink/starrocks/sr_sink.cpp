#include "sink/starrocks/sr_sink.hpp"

#include "sink/starrocks/sr_endpoint.hpp"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "config/secret.hpp"
#include "net/mysql_client.hpp"
#include "sink/change_helpers.hpp"
#include "sink/checkpoint_row_sink.hpp"
#include "sink/starrocks/sr_conflict.hpp"
#include "sink/starrocks/sr_endpoint.hpp"
#include "sink/starrocks/sr_schema_change.hpp"
#include "sink/starrocks/sr_state.hpp"
#include "sink/starrocks/sr_stream_load.hpp"
#include "sink/starrocks/sr_types.hpp"

namespace dbsync::starrocks {
namespace {

// Bodies are sent in loads of about this size: memory stays bounded however
// large a chunk or a source transaction is.
constexpr size_t kLoadBytes = 16 << 20;

struct MappedTable {
  std::string db, table;
  std::vector<SrColumn> columns;
};

Result<MappedTable> Map(const sink::TableBinding& t) {
  if (t.key.empty())
    return Status::FailedPrecondition("source table " + t.SourceName() + " has no primary key, and StarRocks Primary "
                                      "Key tables need one to apply updates and deletes; set tables[].primary_key");
  SYNC_ASSIGN_OR_RETURN(auto columns, MapColumns(t.source, t.key));
  return MappedTable{t.dest_schema, t.dest_table, std::move(columns)};
}

// A JSON array body filled row by row, sent whenever it is large enough.
class BodyBuilder {
 public:
  bool empty() const { return rows_ == 0; }
  size_t size() const { return text_.size(); }
  Status Add(JsonRowEncoder& encoder, const std::vector<Value>& row, const std::vector<SrColumn>& columns, int op) {
    // Room for a whole load at once: grown by doubling, a 16 MB body would
    // hold 32 MB and be copied on the way.
    if (rows_ == 0) text_.reserve(kLoadBytes + (1 << 20));
    text_.push_back(rows_ == 0 ? '[' : ',');
    ++rows_;
    return encoder.AppendRow(row, columns, op, &text_);
  }
  // The finished body; the builder is empty again after.
  std::string Take() {
    std::string out = std::move(text_);
    out.push_back(']');
    text_.clear();
    rows_ = 0;
    return out;
  }

 private:
  std::string text_;
  size_t rows_ = 0;
};


// Begins a load under `label`, which this task drew at random and recorded.
// Should StarRocks know the label already, another writer used it first (or
// a begin of ours whose answer was lost: a transaction without data that
// expires after its timeout). That transaction is not ours to load into or
// roll back, so a fresh label is drawn, recorded by `record` in place of the
// old one, and begun instead.
Status BeginUnderOwnLabel(StreamLoadClient& loads, const std::string& db, const std::string& table,
                          const std::string& task_id, std::string& label, const std::function<Status()>& record) {
  for (int draw = 0; draw < 4; ++draw) {
    SYNC_ASSIGN_OR_RETURN(TxnOutcome begun, loads.Begin(db, table, label));
    if (begun == TxnOutcome::kDone) return Status::Ok();
    label = NewLabel(task_id);
    SYNC_RETURN_IF_ERROR(record());
  }
  return Status::Unavailable("StarRocks answered 'label already exists' for four freshly drawn labels of " + db + "." +
                             table + "; another writer may be using this task's label prefix");
}

// A chunk of a mode: existing table meets the rows already there as
// on_conflict says (sr_conflict.hpp); a table sync made was emptied first.
struct ChunkConflicts {
  std::string partial_columns;             // update, ignore: a partial update
  mysql::Connection* probe = nullptr;      // ignore: rows whose key is there are left out
};

// Rows held back until KeysPresent has been asked about them (ignore).
constexpr size_t kProbeRows = 500;

// One chunk: one Stream Load transaction, recorded before it begins.
class SrChunkWriter : public sink::ChunkWriter {
 public:
  SrChunkWriter(StreamLoadClient& loads, StateStore& state, MappedTable table, std::string source_name,
                std::string task_id, ChunkRow row, ChunkConflicts conflicts)
      : loads_(loads),
        state_(state),
        table_(std::move(table)),
        source_name_(std::move(source_name)),
        task_id_(std::move(task_id)),
        row_(std::move(row)),
        conflicts_(std::move(conflicts)) {}
  ~SrChunkWriter() override {
    if (!finished_) (void)loads_.Rollback(table_.db, table_.table, row_.label);
  }

  Status Begin() {
    auto record = [this] { return state_.SaveChunk(source_name_, row_); };
    SYNC_RETURN_IF_ERROR(record());
    SYNC_RETURN_IF_ERROR(BeginUnderOwnLabel(loads_, table_.db, table_.table, task_id_, row_.label, record));
    CrashPoint("starrocks.chunk_begun");
    return Status::Ok();
  }

  Status Write(const std::vector<Value>& row) override {
    if (conflicts_.probe) {
      held_.push_back(row);
      return held_.size() >= kProbeRows ? WriteHeld() : Status::Ok();
    }
    return Add(row);
  }

  Status Commit() override {
    SYNC_RETURN_IF_ERROR(WriteHeld());
    if (!body_.empty()) SYNC_RETURN_IF_ERROR(Send());
    if (!sent_) {
      // StarRocks refuses to prepare a transaction without data (4.46).
      SYNC_ASSIGN_OR_RETURN(auto rolled, loads_.Rollback(table_.db, table_.table, row_.label));
      (void)rolled;
    } else {
      SYNC_ASSIGN_OR_RETURN(auto prepared, loads_.Prepare(table_.db, table_.table, row_.label));
      if (prepared != TxnOutcome::kDone) return Status::Unavailable(Where() + ": its load was lost before prepare");
      row_.state = "prepared";
      SYNC_RETURN_IF_ERROR(state_.SaveChunk(source_name_, row_));
      CrashPoint("starrocks.chunk_prepared");
      SYNC_ASSIGN_OR_RETURN(auto committed, loads_.Commit(table_.db, table_.table, row_.label));
      if (committed != TxnOutcome::kDone && committed != TxnOutcome::kAlreadyCommitted)
        return Status::Unavailable(Where() + ": its prepared load was lost before commit");
    }
    finished_ = true;
    row_.state = "done";
    return state_.SaveChunk(source_name_, row_);
  }

 private:
  std::string Where() const { return source_name_ + " chunk " + std::to_string(row_.index); }
  Status Add(const std::vector<Value>& row) {
    SYNC_RETURN_IF_ERROR(body_.Add(encoder_, row, table_.columns, 0).WithContext(Where()));
    return body_.size() >= kLoadBytes ? Send() : Status::Ok();
  }
  Status WriteHeld() {
    if (held_.empty()) return Status::Ok();
    std::vector<const std::vector<Value>*> rows;
    for (const auto& r : held_) rows.push_back(&r);
    SYNC_ASSIGN_OR_RETURN(auto present, KeysPresent(*conflicts_.probe, table_.db, table_.table, table_.columns, rows));
    for (size_t i = 0; i < held_.size(); ++i)
      if (!present[i]) SYNC_RETURN_IF_ERROR(Add(held_[i]));
    held_.clear();
    return Status::Ok();
  }
  Status Send() {
    std::string body = body_.Take();
    sent_ = true;
    return loads_.Load(table_.db, table_.table, row_.label, body, conflicts_.partial_columns);
  }

  StreamLoadClient& loads_;
  StateStore& state_;
  MappedTable table_;
  std::string source_name_;
  std::string task_id_;
  ChunkRow row_;
  ChunkConflicts conflicts_;
  std::vector<std::vector<Value>> held_;
  JsonRowEncoder encoder_;
  BodyBuilder body_;
  bool sent_ = false;
  bool finished_ = false;
};

class StarRocksSink : public sink::CheckpointRowSink<CheckpointRow, StateStore> {
 public:
  StarRocksSink(mysql::Connection conn, HttpEndpoint http, std::string task_id, TableOptions tables)
      : CheckpointRowSink(state_),
        conn_(std::move(conn)),
        loads_(std::move(http)),
        task_id_(std::move(task_id)),
        state_(conn_, task_id_, tables.replication_num),
        ddl_(conn_, tables) {}

  Status PrepareTable(const sink::TableBinding& t) override {
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(t));
    if (!t.existing()) {
      SYNC_RETURN_IF_ERROR(ddl_.CreateTable(t).WithContext("creating " + m.db + "." + m.table));
      CrashPoint("starrocks.table_created");
    }
    // A table already there (ours from an earlier run, or someone's) must have
    // every column: StarRocks drops JSON keys that are not columns silently.
    SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                                              mysql::QuoteString(m.db) + " AND TABLE_NAME = " +
                                              mysql::QuoteString(m.table)));
    if (r.rows.empty())
      return Status::FailedPrecondition("table " + m.db + "." + m.table + " (mode: existing) does not exist in "
                                        "StarRocks; create it, or use mode: new");
    std::set<std::string> present;
    for (const auto& row : r.rows) present.insert(row[0].value_or(""));
    for (const auto& c : m.columns)
      if (!present.count(c.name))
        return Status::FailedPrecondition(
            "table " + m.db + "." + m.table + (t.existing() ? " (mode: existing)" : " (already in StarRocks)") +
            " has no column " + c.name + " that " + t.SourceName() + " has; add it (" + c.type + ")" +
            (t.existing() ? " or use mode: new" : ", or drop the table so that sync creates it"));
    return Status::Ok();
  }

  Status ResetTable(const sink::TableBinding& t) override {
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(t));
    SYNC_RETURN_IF_ERROR(ddl_.WaitForAlter(m.db, m.table));
    SYNC_RETURN_IF_ERROR(conn_.Execute("TRUNCATE TABLE " + QualifiedName(m.db, m.table)));
    return state_.EraseChunks(t.SourceName());
  }

  Status DropTable(const sink::TableBinding& t) override {
    if (!t.existing())
      SYNC_RETURN_IF_ERROR(conn_.Execute("DROP TABLE IF EXISTS " + QualifiedName(t.dest_schema, t.dest_table) + " FORCE"));
    return state_.EraseChunks(t.SourceName());
  }

  Result<std::map<int, BinlogPosition>> CompletedChunks(const sink::TableBinding& t) override {
    SYNC_ASSIGN_OR_RETURN(auto rows, state_.Chunks(t.SourceName()));
    std::map<int, BinlogPosition> done;
    for (auto& row : rows) {
      if (row.state == "prepared") {
        // Prepared and recorded, then a crash: its commit finishes the chunk.
        SYNC_ASSIGN_OR_RETURN(auto outcome, loads_.Commit(t.dest_schema, t.dest_table, row.label));
        if (outcome == TxnOutcome::kDone || outcome == TxnOutcome::kAlreadyCommitted) {
          row.state = "done";
          SYNC_RETURN_IF_ERROR(state_.SaveChunk(t.SourceName(), row));
        }
      } else if (row.state == "loading") {
        (void)loads_.Rollback(t.dest_schema, t.dest_table, row.label);
      }
      if (row.state == "done")
        done[row.index] = row.position;
      else
        SYNC_RETURN_IF_ERROR(state_.EraseChunk(t.SourceName(), row.index));
    }
    return done;
  }

  Result<std::unique_ptr<sink::ChunkWriter>> OpenChunk(const sink::TableBinding& t, int chunk_index,
                                                       const BinlogPosition& position) override {
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(t));
    ChunkRow row{chunk_index, "loading", NewLabel(task_id_), position};
    ChunkConflicts conflicts;
    const config::ConflictPolicy policy = t.on_conflict();
    if (t.existing() && policy != config::ConflictPolicy::kReplace) {
      conflicts.partial_columns = PartialUpdateColumns(m.columns);
      if (policy == config::ConflictPolicy::kIgnore) conflicts.probe = &conn_;
    }
    auto writer = std::make_unique<SrChunkWriter>(loads_, state_, std::move(m), t.SourceName(), task_id_, std::move(row),
                                                  std::move(conflicts));
    SYNC_RETURN_IF_ERROR(writer->Begin());
    return std::unique_ptr<sink::ChunkWriter>(std::move(writer));
  }

  Status ApplySchemaChanges(const std::vector<sink::SchemaChangeStep>& steps, const BinlogPosition& ddl_position) override {
    for (const auto& step : steps) {
      SYNC_RETURN_IF_ERROR(ddl_.Apply(step));
      // The source filled the rows already there without row events; NULL
      // only, so a replayed statement changes nothing twice.
      if (step.change.kind == SchemaChangeKind::kColumnAdded && step.fill)
        SYNC_RETURN_IF_ERROR(FillAddedColumn(*step.table, step.change.column, *step.fill));
    }
    return RecordDdl(ddl_position);
  }

  Status FillAddedColumn(const sink::TableBinding& t, const std::string& column, const Value& value) override {
    int i = t.source.ColumnIndex(column);
    if (i < 0) return Status::Internal("column " + column + " is not in " + t.SourceName());
    SYNC_ASSIGN_OR_RETURN(SrColumn col, MapColumn(t.source.columns[i], false));
    JsonRowEncoder encoder;
    SYNC_ASSIGN_OR_RETURN(std::string literal, SqlLiteral(encoder, value, col));
    SYNC_RETURN_IF_ERROR(ddl_.WaitForAlter(t.dest_schema, t.dest_table));
    return conn_.Execute("UPDATE " + QualifiedName(t.dest_schema, t.dest_table) + " SET " + QuoteIdentifier(column) +
                         " = " + literal + " WHERE " + QuoteIdentifier(column) + " IS NULL");
  }

  Result<std::optional<BinlogPosition>> LoadCheckpoint() override {
    SYNC_ASSIGN_OR_RETURN(auto row, state_.LoadCheckpoint());
    if (!row) return std::optional<BinlogPosition>();
    Adopt(std::move(*row));
    SYNC_RETURN_IF_ERROR(FinishInterruptedBatch());
    if (row_.position.empty()) return std::optional<BinlogPosition>();
    return std::optional<BinlogPosition>(row_.position);
  }

  Status ForgetTask() override { return state_.Forget(); }

 private:
  struct OpenLoad {
    LabelRef ref;
    bool has_data = false;
  };

  // After a crash: the loads the checkpoint names are committed, those begun
  // after it rolled back (sr_sink.hpp).
  Status FinishInterruptedBatch() {
    bool lost = false;
    for (const auto& l : row_.commit) {
      SYNC_ASSIGN_OR_RETURN(auto outcome, loads_.Commit(l.db, l.table, l.label));
      lost = lost || (outcome != TxnOutcome::kDone && outcome != TxnOutcome::kAlreadyCommitted);
    }
    for (const auto& l : row_.pending) (void)loads_.Rollback(l.db, l.table, l.label);
    if (!lost && row_.pending.empty()) return Status::Ok();
    if (lost) row_.position = row_.previous;  // the batch is applied again; the tables that have it converge
    row_.commit.clear();
    row_.pending.clear();
    return state_.SaveCheckpoint(row_);
  }

  // One load of a batch: a table's rows for one phase (sr_conflict.hpp).
  enum Phase { kPartial = 0, kWhole = 1 };
  using LoadKey = std::pair<std::string, int>;  // source table, phase: partial loads commit first
  struct PlannedLoad {
    const sink::TableBinding* table;
    MappedTable mapped;
    Phase phase;
    std::vector<std::pair<int, const std::vector<Value>*>> rows;
  };

  // A table's changes as loads: one whole-row load under replace; under
  // update and ignore, partial and whole-row loads as the router splits them.
  Status PlanTable(const sink::TableChanges& tc, std::vector<PlannedLoad>& out) {
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(*tc.table));
    const config::ConflictPolicy policy = tc.table->on_conflict();
    if (policy == config::ConflictPolicy::kReplace) {
      out.push_back({tc.table, std::move(m), kWhole, sink::LastImagePerKey(tc)});
      return Status::Ok();
    }
    PlannedLoad partial{tc.table, m, kPartial, {}}, whole{tc.table, m, kWhole, {}};
    std::vector<const std::vector<Value>*> inserts;
    for (const auto& r : router_.Route(tc)) {
      if (r.whole)
        whole.rows.push_back({r.op, r.row});
      else if (r.insert && policy == config::ConflictPolicy::kIgnore)
        inserts.push_back(r.row);
      else
        partial.rows.push_back({0, r.row});
    }
    if (!inserts.empty()) {
      SYNC_ASSIGN_OR_RETURN(auto present, KeysPresent(conn_, m.db, m.table, m.columns, inserts));
      for (size_t i = 0; i < inserts.size(); ++i)
        if (!present[i]) partial.rows.push_back({0, inserts[i]});
    }
    for (auto* load : {&partial, &whole})
      if (!load->rows.empty()) out.push_back(std::move(*load));
    return Status::Ok();
  }

  // Begins the loads `planned` needs that are not open yet, recording their
  // labels as pending first.
  Status BeginLoads(const std::vector<PlannedLoad>& planned) {
    std::vector<LoadKey> fresh;
    for (const auto& p : planned) {
      LoadKey key{p.table->SourceName(), p.phase};
      if (open_.count(key)) continue;
      LabelRef ref{p.table->dest_schema, p.table->dest_table, NewLabel(task_id_)};
      open_[key] = {ref, false};
      row_.pending.push_back(ref);
      fresh.push_back(key);
    }
    if (fresh.empty()) return Status::Ok();
    SYNC_RETURN_IF_ERROR(state_.SaveCheckpoint(row_));
    for (const auto& key : fresh) {
      LabelRef& ref = open_[key].ref;
      std::string recorded = ref.label;
      auto record = [&] {
        for (auto& p : row_.pending)
          if (p.label == recorded) p.label = ref.label;
        recorded = ref.label;
        return state_.SaveCheckpoint(row_);
      };
      SYNC_RETURN_IF_ERROR(BeginUnderOwnLabel(loads_, ref.db, ref.table, task_id_, ref.label, record));
    }
    return Status::Ok();
  }

  Status LoadChanges(const std::vector<sink::TableChanges>& changes) override {
    SYNC_RETURN_IF_ERROR(EnsureRow());
    std::vector<PlannedLoad> planned;
    for (const auto& tc : changes)
      if (!tc.rows.empty()) SYNC_RETURN_IF_ERROR(PlanTable(tc, planned));
    SYNC_RETURN_IF_ERROR(BeginLoads(planned));
    for (const auto& p : planned) {
      OpenLoad& load = open_[{p.table->SourceName(), p.phase}];
      const MappedTable& m = p.mapped;
      const std::string partial = p.phase == kPartial ? PartialUpdateColumns(m.columns) : "";
      BodyBuilder body;
      for (const auto& [op, row] : p.rows) {
        SYNC_RETURN_IF_ERROR(body.Add(encoder_, *row, m.columns, op).WithContext(p.table->SourceName()));
        if (body.size() >= kLoadBytes) SYNC_RETURN_IF_ERROR(loads_.Load(m.db, m.table, load.ref.label, body.Take(), partial));
      }
      if (!body.empty()) SYNC_RETURN_IF_ERROR(loads_.Load(m.db, m.table, load.ref.label, body.Take(), partial));
      load.has_data = true;
    }
    return Status::Ok();
  }

  Status ApplyBatchOnce(const std::vector<sink::TableChanges>& changes, const BinlogPosition& position,
                        const sink::TablePositions& tables) override {
    SYNC_RETURN_IF_ERROR(LoadChanges(changes));
    std::vector<LabelRef> prepared;
    for (auto& [name, load] : open_) {
      SYNC_ASSIGN_OR_RETURN(TxnOutcome outcome, loads_.Prepare(load.ref.db, load.ref.table, load.ref.label));
      if (outcome != TxnOutcome::kDone)
        return Status::Unavailable("the load into " + load.ref.db + "." + load.ref.table + " (label " + load.ref.label +
                                   ") was lost before it was prepared; the batch is applied again");
      prepared.push_back(load.ref);
    }
    CrashPoint("starrocks.batch_prepared");
    // The batch counts as applied once this row is written (sr_sink.hpp).
    if (!tables.hold_checkpoint) {
      row_.previous = row_.position;
      row_.position = position;
    }
    row_.commit = prepared;
    row_.pending.clear();
    Record(tables);
    SYNC_RETURN_IF_ERROR(state_.SaveCheckpoint(row_));
    CrashPoint("starrocks.checkpoint_written");
    open_.clear();
    router_.Clear();
    for (const auto& l : prepared) {
      if (&l != &prepared.front()) CrashPoint("starrocks.between_commits");
      SYNC_ASSIGN_OR_RETURN(TxnOutcome outcome, loads_.Commit(l.db, l.table, l.label));
      if (outcome != TxnOutcome::kDone && outcome != TxnOutcome::kAlreadyCommitted)
        return Status::Unavailable("the prepared load into " + l.db + "." + l.table + " (label " + l.label +
                                   ") could not be committed; the task restarts from its checkpoint");
    }
    return Status::Ok();
  }

  // A failed batch: its open loads are rolled back (best effort; a restart
  // rolls back the pending ones again) and the row is read afresh.
  void Abandon() override {
    for (const auto& [name, load] : open_) (void)loads_.Rollback(load.ref.db, load.ref.table, load.ref.label);
    open_.clear();
    router_.Clear();
  }

  mysql::Connection conn_;
  StreamLoadClient loads_;
  std::string task_id_;
  StateStore state_;
  SchemaChanger ddl_;
  JsonRowEncoder encoder_;
  std::map<LoadKey, OpenLoad> open_;  // loads begun for the batch being applied
  sink::ConflictRouter router_;
};

}  // namespace

Result<std::unique_ptr<sink::Sink>> OpenStarRocksSink(const config::TaskSpec& spec, const std::string& task_id) {
  const auto& d = spec.destination;
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(d.password));
  SYNC_RETURN_IF_ERROR(HttpsPortTakesTls(d));
  SYNC_ASSIGN_OR_RETURN(auto conn, mysql::Connection::Connect(FeEndpoint(d, password, 600)));
  HttpEndpoint http = FeHttpEndpoint(d, password);
  TableOptions tables;
  tables.replication_num = d.replication_num;
  tables.buckets = d.buckets;
  return std::unique_ptr<sink::Sink>(new StarRocksSink(std::move(conn), std::move(http), task_id, tables));
}

}  // namespace dbsync::starrocks
