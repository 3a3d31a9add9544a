#include "sink/maxcompute/mc_sink.hpp"

#include <map>
#include <optional>

#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "sink/change_helpers.hpp"
#include "sink/checkpoint_row_sink.hpp"
#include "sink/maxcompute/mc_bucket_hash.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_record_encoder.hpp"
#include "sink/maxcompute/mc_schema_change.hpp"
#include "sink/maxcompute/mc_state.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/maxcompute/mc_upsert.hpp"
#include "sink/maxcompute/mc_xml.hpp"

namespace dbsync::maxcompute {
namespace {

// Blocks and upsert packs are sent at about this size: memory stays bounded
// however large a chunk or a source transaction is.
constexpr size_t kBlockBytes = 16 << 20;

struct MappedTable {
  std::string table;
  std::vector<McColumn> columns;
};

Result<MappedTable> Map(const sink::TableBinding& t) {
  if (t.key.empty())
    return Status::FailedPrecondition("source table " + t.SourceName() + " has no primary key, and MaxCompute Delta "
                                      "tables need one to apply updates and deletes; set tables[].primary_key");
  SYNC_RETURN_IF_ERROR(CheckTableName(t.dest_table));
  SYNC_ASSIGN_OR_RETURN(auto columns, MapColumns(t.source, t.key));
  return MappedTable{t.dest_table, std::move(columns)};
}

// One block of records being filled: the bytes and their writer.
class Block {
 public:
  Block() { Reset(); }
  std::string& bytes() { return bytes_; }
  RecordStreamWriter& writer() { return *writer_; }
  int64_t records() const { return writer_->record_count(); }
  bool full() const { return bytes_.size() >= kBlockBytes; }
  // The finished record stream; the block is empty again after.
  std::string Finish() {
    writer_->Finish();
    std::string out = std::move(bytes_);
    Reset();
    return out;
  }

 private:
  void Reset() {
    bytes_.clear();
    bytes_.reserve(kBlockBytes + (1 << 20));
    writer_.emplace(&bytes_);
  }
  std::string bytes_;
  std::optional<RecordStreamWriter> writer_;
};

// The bucket hash of a key value (specs/maxcompute.md 4.2 item 4). Integers
// and byte strings follow the SDKs' hasher, as its vectors pin it; a key of
// another type is hashed over its text (a row in another bucket than the
// SDK would choose is still written: the bucket is a write partition, not a
// lookup, spec 4.2 [INFERRED]).
int32_t KeyHash(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kInt: return HashInteger(v.as<int64_t>());
    case ValueKind::kUint: return HashInteger(static_cast<int64_t>(v.as<uint64_t>()));
    case ValueKind::kYear: return HashInteger(v.as<Year>().value);
    case ValueKind::kBytes: return HashBytes(v.as<Bytes>().data);
    default: return HashBytes(v.ToString());
  }
}

// A table's upsert session of the batch being written, with one block per
// bucket being filled.
class OpenUpsert {
 public:
  OpenUpsert(UpsertSession session, MappedTable table) : session_(std::move(session)), table_(std::move(table)) {
    for (const auto& name : session_.hash_key())
      for (const auto& c : table_.columns)
        if (ToLowerAscii(c.name) == ToLowerAscii(name)) hash_at_.push_back(c.source_index);
  }
  UpsertSession& session() { return session_; }

  Status Add(RowEncoder& encoder, const std::vector<Value>& row, UpsertOperation op) {
    std::vector<int32_t> hashes;
    for (int i : hash_at_) hashes.push_back(KeyHash(row[i]));
    int bucket = BucketOf(RecordHash(hashes), session_.bucket_count());
    Block& block = blocks_[bucket];
    SYNC_RETURN_IF_ERROR(encoder.AppendUpsert(row, table_.columns, op, &block.writer()));
    return block.full() ? Send(bucket, block) : Status::Ok();
  }
  Status Flush() {
    for (auto& [bucket, block] : blocks_)
      if (block.records() > 0) SYNC_RETURN_IF_ERROR(Send(bucket, block));
    return Status::Ok();
  }

 private:
  static std::string ToLowerAscii(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  Status Send(int bucket, Block& block) {
    int64_t records = block.records();
    return session_.Upload(bucket, block.Finish(), records, true);
  }

  UpsertSession session_;
  MappedTable table_;
  std::vector<int> hash_at_;  // source indexes of the hash key columns, in hash_key order
  std::map<int, Block> blocks_;
};

// One chunk: one batch upload session, recorded before its first block.
class McChunkWriter : public sink::ChunkWriter {
 public:
  McChunkWriter(const Client& client, StateStore& state, const TimeZone& zone, MappedTable table, std::string source,
                ChunkRow row)
      : client_(client),
        state_(state),
        encoder_(zone),
        table_(std::move(table)),
        source_(std::move(source)),
        row_(std::move(row)) {}

  Status Begin() {
    SYNC_ASSIGN_OR_RETURN(session_, client_.CreateUploadSession({table_.table, ""}));
    row_.session = session_.id;
    return state_.SaveChunk(source_, row_);
  }

  Status Write(const std::vector<Value>& row) override {
    SYNC_RETURN_IF_ERROR(encoder_.AppendRow(row, table_.columns, &block_.writer()).WithContext(Where()));
    return block_.full() ? Send() : Status::Ok();
  }

  Status Commit() override {
    if (block_.records() > 0) SYNC_RETURN_IF_ERROR(Send());
    CrashPoint("maxcompute.chunk_uploaded");
    // Recorded before the commit is asked for: a commit sent by a worker that
    // then died may still land, so a restart must finish this session, never
    // read the chunk again under another one (whose rows this one's late
    // commit would overwrite with older ones).
    row_.state = "committing";
    row_.blocks = static_cast<int64_t>(blocks_.size());
    SYNC_RETURN_IF_ERROR(state_.SaveChunk(source_, row_));
    SYNC_ASSIGN_OR_RETURN(auto outcome, client_.CommitUploadSession(session_, blocks_));
    (void)outcome;  // committed now or by an attempt whose answer was lost: the same
    CrashPoint("maxcompute.chunk_committed");
    row_.state = "done";
    return state_.SaveChunk(source_, row_);
  }

 private:
  std::string Where() const { return source_ + " chunk " + std::to_string(row_.index); }
  Status Send() {
    int64_t id = static_cast<int64_t>(blocks_.size());
    SYNC_RETURN_IF_ERROR(client_.UploadBlock(session_, id, block_.Finish(), true).WithContext(Where()));
    blocks_.push_back(id);
    return Status::Ok();
  }

  const Client& client_;
  StateStore& state_;
  RowEncoder encoder_;
  MappedTable table_;
  std::string source_;
  ChunkRow row_;
  UploadSession session_;
  Block block_;
  std::vector<int64_t> blocks_;
};

class MaxComputeSink : public sink::CheckpointRowSink<CheckpointRow, StateStore> {
 public:
  MaxComputeSink(ClientOptions options, std::string task_id, TimeZone zone)
      : CheckpointRowSink(state_),
        client_(std::move(options)),
        task_id_(std::move(task_id)),
        zone_(zone),
        state_(client_, task_id_),
        ddl_(client_),
        encoder_(zone_) {}

  Status PrepareTable(const sink::TableBinding& t) override {
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(t));
    if (!t.existing()) {
      SYNC_RETURN_IF_ERROR(ddl_.CreateTable(t).WithContext("creating MaxCompute table " + m.table));
      CrashPoint("maxcompute.table_created");
    }
    SYNC_ASSIGN_OR_RETURN(auto info, client_.GetTable(m.table));
    if (!info)
      return Status::FailedPrecondition("table " + m.table + " (mode: existing) does not exist in MaxCompute project " +
                                        client_.options().project + "; create it, or use mode: new");
    if (!info->transactional || info->primary_key.empty())
      return Status::FailedPrecondition("MaxCompute table " + m.table + " is not a Delta table (PRIMARY KEY and "
                                        "'transactional'='true'), which sync needs to apply updates and deletes; "
                                        "recreate it so, or let sync create it (mode: new)");
    for (const auto& c : m.columns) {
      bool present = false;
      for (const auto& have : info->columns) present = present || ToLower(have.name) == ToLower(c.name);
      if (!present)
        return Status::FailedPrecondition("MaxCompute table " + m.table + " has no column " + c.name + " that " +
                                          t.SourceName() + " has; add it (" + c.type + ")" +
                                          (t.existing() ? " or use mode: new" : ", or drop the table so that sync "
                                                                               "creates it"));
    }
    return Status::Ok();
  }

  Status ResetTable(const sink::TableBinding& t) override {
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(t));
    SYNC_RETURN_IF_ERROR(client_.RunSql("TRUNCATE TABLE " + QuoteName(m.table)).status());
    return state_.EraseChunks(t.SourceName());
  }

  Status DropTable(const sink::TableBinding& t) override {
    if (!t.existing()) SYNC_RETURN_IF_ERROR(client_.RunSql("DROP TABLE IF EXISTS " + QuoteName(t.dest_table)).status());
    return state_.EraseChunks(t.SourceName());
  }

  Result<std::map<int, BinlogPosition>> CompletedChunks(const sink::TableBinding& t) override {
    SYNC_ASSIGN_OR_RETURN(auto rows, state_.Chunks(t.SourceName()));
    std::map<int, BinlogPosition> done;
    for (auto& row : rows) {
      if (row.state == "committing") {
        // Its commit may have been sent: it is finished, never given up.
        SYNC_ASSIGN_OR_RETURN(auto session, client_.GetUploadSession({t.dest_table, ""}, row.session));
        if (!session.IsCommitted()) {
          std::vector<int64_t> blocks;
          for (int64_t b = 0; b < row.blocks; ++b) blocks.push_back(b);
          SYNC_ASSIGN_OR_RETURN(auto outcome, client_.CommitUploadSession(session, blocks));
          (void)outcome;
        }
        row.state = "done";
        SYNC_RETURN_IF_ERROR(state_.SaveChunk(t.SourceName(), row));
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
    ChunkRow row{chunk_index, "loading", "", position};
    auto writer = std::make_unique<McChunkWriter>(client_, state_, zone_, std::move(m), t.SourceName(),
                                                  std::move(row));
    SYNC_RETURN_IF_ERROR(writer->Begin());
    return std::unique_ptr<sink::ChunkWriter>(std::move(writer));
  }

  Status ApplySchemaChanges(const std::vector<sink::SchemaChangeStep>& steps, const BinlogPosition& ddl_position) override {
    for (const auto& step : steps) {
      SYNC_RETURN_IF_ERROR(ddl_.Apply(step));
      if (step.change.kind == SchemaChangeKind::kColumnAdded && step.fill)
        SYNC_RETURN_IF_ERROR(FillAddedColumn(*step.table, step.change.column, *step.fill));
    }
    return RecordDdl(ddl_position);
  }

  // The value as a one-row upsert of every row whose column is NULL would be
  // a read of the table; MaxCompute's UPDATE on a Delta table does it in place.
  Status FillAddedColumn(const sink::TableBinding& t, const std::string& column, const Value& value) override {
    if (value.is_null()) return Status::Ok();
    SYNC_ASSIGN_OR_RETURN(std::string literal, SqlLiteral(t, column, value));
    return client_
        .RunSql("UPDATE " + QuoteName(t.dest_table) + " SET " + QuoteName(column) + " = " + literal + " WHERE " +
                QuoteName(column) + " IS NULL")
        .status();
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
  // A literal of `value` for the column's MaxCompute type: the value written
  // as one record and read back would need a download session; the types an
  // added column's default can have are few.
  Result<std::string> SqlLiteral(const sink::TableBinding& t, const std::string& column, const Value& value) {
    int i = t.source.ColumnIndex(column);
    if (i < 0) return Status::Internal("column " + column + " is not in " + t.SourceName());
    SYNC_ASSIGN_OR_RETURN(McColumn col, MapColumn(t.source.columns[i], false));
    switch (value.kind()) {
      case ValueKind::kInt:
      case ValueKind::kUint:
      case ValueKind::kFloat:
      case ValueKind::kDouble:
      case ValueKind::kYear: return "CAST(" + value.ToString() + " AS " + col.type + ")";
      case ValueKind::kDecimal: return "CAST(" + QuoteLiteral(value.as<Decimal>().text) + " AS " + col.type + ")";
      case ValueKind::kBytes:
        if (col.kind == McKind::kString) return QuoteLiteral(value.as<Bytes>().data);
        break;
      case ValueKind::kEnum: return QuoteLiteral(value.as<Enum>().label);
      default: break;
    }
    return Status::FailedPrecondition("column " + column + " added to " + t.SourceName() + " has a default (" +
                                      value.ToString() + ") sync cannot write into MaxCompute with SQL; set it in " +
                                      t.dest_table + " by hand (UPDATE ... WHERE " + column +
                                      " IS NULL), then restart the task");
  }

  // After a crash: the sessions the checkpoint names are committed
  // (mc_sink.hpp); should one be lost, the batch is applied again.
  Status FinishInterruptedBatch() {
    bool lost = false;
    for (const auto& ref : row_.commit) {
      auto session = UpsertSession::Open(client_, {ref.table, ""}, ref.id);
      if (!session.ok()) {
        if (session.status().code() == StatusCode::kNotFound) continue;  // committed and forgotten
        return session.status();
      }
      if (!session->IsLost()) {
        auto committed = session->Commit();
        if (committed.ok()) continue;
        // It may have expired since it was read: then it is lost, not an error.
        auto again = UpsertSession::Open(client_, {ref.table, ""}, ref.id);
        if (!again.ok() || !again->IsLost()) return committed.status();
      }
      lost = true;
    }
    if (row_.commit.empty()) return Status::Ok();
    if (lost) row_.position = row_.previous;
    row_.commit.clear();
    return state_.SaveCheckpoint(row_);
  }

  Status LoadChanges(const std::vector<sink::TableChanges>& changes) override {
    SYNC_RETURN_IF_ERROR(EnsureRow());
    for (const auto& tc : changes) {
      if (tc.rows.empty()) continue;
      SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(*tc.table));
      auto it = open_.find(tc.table->SourceName());
      if (it == open_.end()) {
        SYNC_ASSIGN_OR_RETURN(auto session, UpsertSession::Create(client_, {m.table, ""}));
        it = open_.emplace(tc.table->SourceName(), OpenUpsert(std::move(session), m)).first;
      }
      for (const auto& [op, row] : sink::LastImagePerKey(tc))
        SYNC_RETURN_IF_ERROR(it->second.Add(encoder_, *row, op ? UpsertOperation::kDelete : UpsertOperation::kUpsert)
                                 .WithContext(tc.table->SourceName()));
      SYNC_RETURN_IF_ERROR(it->second.Flush());
    }
    return Status::Ok();
  }

  Status ApplyBatchOnce(const std::vector<sink::TableChanges>& changes, const BinlogPosition& position,
                        const sink::TablePositions& tables) override {
    SYNC_RETURN_IF_ERROR(LoadChanges(changes));
    CrashPoint("maxcompute.batch_uploaded");
    // The batch counts as applied once this row is written (mc_sink.hpp).
    std::vector<SessionRef> sessions;
    for (auto& [name, open] : open_) sessions.push_back({open.session().target().table, open.session().id()});
    if (!tables.hold_checkpoint) {
      row_.previous = row_.position;
      row_.position = position;
    }
    row_.commit = sessions;
    Record(tables);
    SYNC_RETURN_IF_ERROR(state_.SaveCheckpoint(row_));
    CrashPoint("maxcompute.checkpoint_written");
    bool first = true;
    for (auto& [name, open] : open_) {
      if (!first) CrashPoint("maxcompute.between_commits");
      first = false;
      SYNC_ASSIGN_OR_RETURN(auto outcome, open.session().Commit());
      (void)outcome;
    }
    open_.clear();
    return Status::Ok();
  }

  // A failed batch: its sessions are aborted (best effort: one not aborted
  // expires uncommitted) and the row is read afresh.
  void Abandon() override {
    for (auto& [name, open] : open_) (void)open.session().Abort();
    open_.clear();
  }

  Client client_;
  std::string task_id_;
  TimeZone zone_;
  StateStore state_;
  SchemaChanger ddl_;
  RowEncoder encoder_;
  std::map<std::string, OpenUpsert> open_;  // sessions of the batch being applied, by source table
};

}  // namespace

Result<std::string> ProjectTimeZone(const Client& client) {
  Call call;
  call.resource = "/projects/" + client.options().project;
  call.what = "reading the properties of project " + client.options().project;
  SYNC_ASSIGN_OR_RETURN(auto reply, client.Send(call));
  std::string_view rest = reply.body;
  while (auto property = XmlElement(rest, "Property")) {
    if (XmlText(*property, "Name") == "odps.sql.timezone") return XmlText(*property, "Value").value_or(kDefaultZone);
    rest = rest.substr(property->data() + property->size() - rest.data());
  }
  return std::string(kDefaultZone);
}

Result<std::unique_ptr<sink::Sink>> OpenMaxComputeSink(const config::TaskSpec& spec, const std::string& task_id) {
  const auto& d = spec.destination;
  SYNC_ASSIGN_OR_RETURN(std::string secret, config::ResolveSecret(d.access_key));
  ClientOptions options;
  options.endpoint = d.endpoint;
  options.project = d.project;
  options.key = {d.access_id, secret};
  options.tunnel_endpoint = d.tunnel_endpoint;
  Client probe(options);
  SYNC_ASSIGN_OR_RETURN(std::string zone_name, ProjectTimeZone(probe));
  SYNC_ASSIGN_OR_RETURN(TimeZone zone, TimeZone::Load(zone_name));
  return std::unique_ptr<sink::Sink>(new MaxComputeSink(std::move(options), task_id, zone));
}

}  // namespace dbsync::maxcompute
