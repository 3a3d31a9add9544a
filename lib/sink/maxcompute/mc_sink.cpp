#include "sink/maxcompute/mc_sink.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "core/value_text.hpp"
#include "sink/change_helpers.hpp"
#include "sink/checkpoint_row_sink.hpp"
#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_record_encoder.hpp"
#include "sink/maxcompute/mc_schema_change.hpp"
#include "sink/maxcompute/mc_state.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/maxcompute/mc_upsert.hpp"
#include "sink/maxcompute/mc_writers.hpp"
#include "sink/maxcompute/mc_xml.hpp"

namespace dbsync::maxcompute {
namespace {

struct MappedTable {
  std::string table;
  WriteMode mode = WriteMode::kUpsert;
  std::vector<McColumn> columns;  // source order, then the change-log fields (mode log)
};

Result<MappedTable> Map(const sink::TableBinding& t, const config::DestinationSpec& destination) {
  SYNC_RETURN_IF_ERROR(CheckTableName(t.dest_table));
  SYNC_ASSIGN_OR_RETURN(WriteMode mode, WriteModeOf(t, destination));
  if (mode == WriteMode::kLog) {
    SYNC_ASSIGN_OR_RETURN(auto columns, MapLogColumns(t.source));
    return MappedTable{t.dest_table, mode, std::move(columns)};
  }
  SYNC_ASSIGN_OR_RETURN(auto columns, MapColumns(t.source, t.key));
  return MappedTable{t.dest_table, mode, std::move(columns)};
}

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
        row_(std::move(row)) {
    if (table_.mode == WriteMode::kLog) extra_ = SnapshotFields();
  }

  Status Begin() {
    SYNC_ASSIGN_OR_RETURN(auto session, client_.CreateUploadSession({table_.table, ""}));
    SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns, table_.columns, table_.table));
    row_.session = session.id;
    upload_.emplace(client_, std::move(session), std::move(columns), source_ + " chunk " + std::to_string(row_.index));
    return state_.SaveChunk(source_, row_);
  }

  Status Write(const std::vector<Value>& row) override {
    return upload_->Add(encoder_, row, extra_ ? std::span<const Value>(*extra_) : std::span<const Value>());
  }

  Status Commit() override {
    SYNC_RETURN_IF_ERROR(upload_->Flush());
    CrashPoint("maxcompute.chunk_uploaded");
    // Recorded before the commit is asked for: a commit sent by a worker that
    // then died may still land, so a restart must finish this session, never
    // read the chunk again under another one (whose rows this one's late
    // commit would overwrite with older ones).
    row_.state = "committing";
    row_.blocks = upload_->block_count();
    SYNC_RETURN_IF_ERROR(state_.SaveChunk(source_, row_));
    SYNC_ASSIGN_OR_RETURN(auto outcome, upload_->Commit());
    (void)outcome;  // committed now or by an attempt whose answer was lost: the same
    CrashPoint("maxcompute.chunk_committed");
    row_.state = "done";
    return state_.SaveChunk(source_, row_);
  }

 private:
  const Client& client_;
  StateStore& state_;
  RowEncoder encoder_;
  MappedTable table_;
  std::string source_;
  ChunkRow row_;
  std::optional<LogFields> extra_;  // mode log: the fields of a row of the full initialization
  std::optional<UploadWriter> upload_;
};

class MaxComputeSink : public sink::CheckpointRowSink<CheckpointRow, StateStore> {
 public:
  MaxComputeSink(ClientOptions options, std::string task_id, TimeZone zone, config::DestinationSpec destination)
      : CheckpointRowSink(state_),
        client_(std::move(options)),
        task_id_(std::move(task_id)),
        zone_(zone),
        destination_(std::move(destination)),
        state_(client_, task_id_),
        ddl_(client_, destination_),
        encoder_(zone_) {}

  Status PrepareTable(const sink::TableBinding& t) override {
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(t, destination_));
    if (!t.existing()) {
      SYNC_RETURN_IF_ERROR(ddl_.CreateTable(t).WithContext("creating MaxCompute table " + m.table));
      CrashPoint("maxcompute.table_created");
    }
    SYNC_ASSIGN_OR_RETURN(auto info, client_.GetTable(m.table));
    if (!info)
      return Status::FailedPrecondition("table " + m.table + " (mode: existing) does not exist in MaxCompute project " +
                                        client_.options().project + "; create it, or use mode: new");
    SYNC_RETURN_IF_ERROR(CheckKind(t, m, *info));
    for (const auto& c : m.columns) {
      bool present = false;
      for (const auto& have : info->columns) present = present || ToLower(have.name) == ToLower(c.name);
      if (!present)
        return Status::FailedPrecondition("MaxCompute table " + m.table + " has no column " + c.name + " that " +
                                          (IsLogColumn(c.name) ? "a change log" : t.SourceName()) + " has; add it (" +
                                          c.type + ")" +
                                          (t.existing() ? " or use mode: new" : ", or drop the table so that sync "
                                                                               "creates it"));
    }
    return Status::Ok();
  }

  Status ResetTable(const sink::TableBinding& t) override {
    SYNC_RETURN_IF_ERROR(client_.RunSql("TRUNCATE TABLE " + QuoteName(t.dest_table)).status());
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
        if (!session.IsCommitted())
          SYNC_RETURN_IF_ERROR(client_.CommitUploadSession(session, BlockIds(row.blocks)).status());
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
    SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(t, destination_));
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
    CrashPoint("maxcompute.ddl_applied");  // a replay finds each change made (SchemaChanger::AlreadyThere)
    return RecordDdl(ddl_position);
  }

  Status FillAddedColumn(const sink::TableBinding& t, const std::string& column, const Value& value) override {
    if (value.is_null()) return Status::Ok();
    const Date* d = value.get_if<Date>();
    const DateTime* dt = value.get_if<DateTime>();
    if ((d && IsZeroDate(d->year, d->month, d->day)) || (dt && IsZeroDate(dt->year, dt->month, dt->day)))
      return Status::Ok();  // NULL in MaxCompute, as the encoder writes it (sync-types(7))
    SYNC_ASSIGN_OR_RETURN(std::string literal, SqlLiteral(t, column, value));
    SYNC_ASSIGN_OR_RETURN(WriteMode mode, WriteModeOf(t, destination_));
    if (mode == WriteMode::kUpsert)  // in place: MaxCompute's UPDATE of a Delta table
      return client_
          .RunSql("UPDATE " + QuoteName(t.dest_table) + " SET " + QuoteName(column) + " = " + literal + " WHERE " +
                  QuoteName(column) + " IS NULL")
          .status();
    // A plain table has no UPDATE: it is written again whole, at once. Every
    // record has the column NULL yet (it was just added, and DDL waits for
    // the batch before it), so the records of the past show the value the
    // rows took in MySQL.
    SYNC_ASSIGN_OR_RETURN(auto info, client_.GetTable(t.dest_table));
    if (!info) return Status::NotFound("MaxCompute table " + t.dest_table + " is gone");
    std::string select;
    for (const auto& c : info->columns) {
      const std::string name = QuoteName(c.name);
      select += (select.empty() ? "" : ", ") +
                (ToLower(c.name) == ToLower(column) ? "COALESCE(" + name + ", " + literal + ") AS " + name : name);
    }
    return client_
        .RunSql("INSERT OVERWRITE TABLE " + QuoteName(t.dest_table) + " SELECT " + select + " FROM " +
                QuoteName(t.dest_table))
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
  static std::vector<int64_t> BlockIds(int64_t count) {
    std::vector<int64_t> ids;
    for (int64_t b = 0; b < count; ++b) ids.push_back(b);
    return ids;
  }

  // A Delta table for write_mode upsert, a plain one for log.
  Status CheckKind(const sink::TableBinding& t, const MappedTable& m, const TableInfo& info) {
    const bool delta = info.transactional && !info.primary_key.empty();
    if (m.mode == WriteMode::kUpsert && !delta)
      return Status::FailedPrecondition("MaxCompute table " + m.table + " is not a Delta table (PRIMARY KEY and "
                                        "'transactional'='true'), which write_mode upsert needs to apply updates "
                                        "and deletes; recreate it so, or let sync create it (mode: new), or write " +
                                        t.SourceName() + " as a change log (tables[].write_mode: log)");
    if (m.mode == WriteMode::kLog && info.transactional)
      return Status::FailedPrecondition("MaxCompute table " + m.table + " is a transactional table, and write_mode "
                                        "log appends to a plain one; drop it so that sync creates it, or use "
                                        "write_mode: upsert for " + t.SourceName());
    return Status::Ok();
  }

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
      case ValueKind::kBit: return "CAST(" + std::to_string(value.as<Bit>().bits) + " AS " + col.type + ")";
      case ValueKind::kTime:
      case ValueKind::kSet:
      case ValueKind::kJson: return QuoteLiteral(value.ToString());
      case ValueKind::kDate: {
        const Date& d = value.as<Date>();
        char text[32];
        std::snprintf(text, sizeof text, "%04d-%02u-%02u", d.year, unsigned(d.month), unsigned(d.day));
        return "DATE " + QuoteLiteral(text);
      }
      case ValueKind::kDateTime: {  // the wall clock, which MaxCompute reads in the project's zone as sync does
        const DateTime& t = value.as<DateTime>();
        char text[64];
        std::snprintf(text, sizeof text, "%04d-%02u-%02u %02u:%02u:%02u.%03u", t.year, unsigned(t.month),
                      unsigned(t.day), unsigned(t.hour), unsigned(t.minute), unsigned(t.second), t.micros / 1000);
        return "DATETIME " + QuoteLiteral(text);
      }
      default: break;
    }
    return Status::FailedPrecondition("column " + column + " added to " + t.SourceName() + " has a default (" +
                                      value.ToString() + ") sync cannot write into MaxCompute with SQL; set it in " +
                                      t.dest_table + " by hand (UPDATE ... WHERE " + column +
                                      " IS NULL), then restart the task");
  }

  // After a crash: the sessions the checkpoint names are committed
  // (mc_sink.hpp). Should one be lost, the batch is applied again from the
  // previous checkpoint, except to the tables whose sessions are committed:
  // they skip it (a table position ahead of the checkpoint, catch_up.hpp),
  // so that a change log gets no record twice.
  Status FinishInterruptedBatch() {
    if (row_.commit.empty()) return Status::Ok();
    std::vector<std::string> committed;
    bool lost = false;
    Status first_error;
    for (const auto& ref : row_.commit) {  // each one that can be committed is, whatever the others do
      auto done = ref.upload ? FinishUpload(ref) : FinishUpsert(ref);
      if (!done.ok()) {
        if (first_error.ok()) first_error = done.status();
        continue;
      }
      if (*done) committed.push_back(ref.source);
      else lost = true;
    }
    SYNC_RETURN_IF_ERROR(first_error);  // the next attempt finds the ones committed now committed
    if (lost) {
      for (const auto& source : committed)
        if (!source.empty()) row_.table_positions[source] = row_.position;
      row_.position = row_.previous;
    }
    row_.commit.clear();
    return state_.SaveCheckpoint(row_);
  }

  // Whether the session is committed now (false: it expired uncommitted).
  Result<bool> FinishUpsert(const SessionRef& ref) {
    auto session = UpsertSession::Open(client_, {ref.table, ""}, ref.id);
    if (!session.ok()) {
      if (session.status().code() == StatusCode::kNotFound) return true;  // committed and forgotten
      return session.status();
    }
    if (session->IsLost()) return false;
    auto committed = session->Commit();
    if (committed.ok()) return true;
    // It may have expired since it was read: then it is lost, not an error.
    auto again = UpsertSession::Open(client_, {ref.table, ""}, ref.id);
    if (again.ok() && again->IsLost()) return false;
    return committed.status();
  }

  Result<bool> FinishUpload(const SessionRef& ref) {
    auto session = client_.GetUploadSession({ref.table, ""}, ref.id);
    // An expired session is a StatusConflict, a forgotten one not found
    // (its commit, had it been sent, would have come seconds after the
    // checkpoint, a day before): lost either way.
    if (!session.ok() && (session.status().code() == StatusCode::kFailedPrecondition ||
                          session.status().code() == StatusCode::kNotFound))
      return false;
    if (!session.ok()) return session.status();
    if (session->IsCommitted()) return true;
    if (!session->IsOpen()) return false;  // expired uncommitted
    SYNC_RETURN_IF_ERROR(client_.CommitUploadSession(*session, BlockIds(ref.blocks)).status());
    return true;
  }

  Status LoadChanges(const std::vector<sink::TableChanges>& changes) override {
    SYNC_RETURN_IF_ERROR(EnsureRow());
    for (const auto& tc : changes) {
      if (tc.rows.empty()) continue;
      SYNC_ASSIGN_OR_RETURN(MappedTable m, Map(*tc.table, destination_));
      const std::string name = tc.table->SourceName();
      if (m.mode == WriteMode::kLog) {
        SYNC_RETURN_IF_ERROR(LogChanges(tc, m));
        continue;
      }
      auto it = upserts_.find(name);
      if (it == upserts_.end()) {
        SYNC_ASSIGN_OR_RETURN(auto session, UpsertSession::Create(client_, {m.table, ""}));
        SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns(), m.columns, m.table));
        it = upserts_.emplace(name, UpsertWriter(std::move(session), std::move(columns))).first;
      }
      for (const auto& [op, row] : sink::LastImagePerKey(tc))
        SYNC_RETURN_IF_ERROR(
            it->second.Add(encoder_, *row, op ? UpsertOperation::kDelete : UpsertOperation::kUpsert).WithContext(name));
    }
    CrashPoint("maxcompute.changes_staged");  // a piece (or a batch) in its sessions, nothing named yet
    return Status::Ok();
  }

  // Every change as it came, numbered on from the checkpoint's next_sequence.
  Status LogChanges(const sink::TableChanges& tc, const MappedTable& m) {
    const std::string name = tc.table->SourceName();
    auto it = logs_.find(name);
    if (it == logs_.end()) {
      SYNC_ASSIGN_OR_RETURN(auto session, client_.CreateUploadSession({m.table, ""}));
      SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns, m.columns, m.table));
      it = logs_.emplace(name, UploadWriter(client_, std::move(session), std::move(columns), name)).first;
    }
    if (!next_sequence_) next_sequence_ = row_.next_sequence;
    UploadWriter& log = it->second;
    for (const auto& change : tc.rows)
      SYNC_RETURN_IF_ERROR(ForEachLogRecord(change, &*next_sequence_, [&](const std::vector<Value>& row,
                                                                           const LogFields& fields) {
        return log.Add(encoder_, row, fields);
      }));
    return Status::Ok();
  }

  Status ApplyBatchOnce(const std::vector<sink::TableChanges>& changes, const BinlogPosition& position,
                        const sink::TablePositions& tables) override {
    SYNC_RETURN_IF_ERROR(LoadChanges(changes));
    std::vector<SessionRef> sessions;
    for (auto& [name, upsert] : upserts_) {
      SYNC_RETURN_IF_ERROR(upsert.Flush().WithContext(name));
      sessions.push_back({upsert.session().target().table, upsert.session().id(), name});
    }
    for (auto& [name, log] : logs_) {
      SYNC_RETURN_IF_ERROR(log.Flush());
      sessions.push_back({log.session().target.table, log.session().id, name, true, log.block_count()});
    }
    CrashPoint("maxcompute.batch_uploaded");
    // The batch counts as applied once this row is written (mc_sink.hpp).
    if (!tables.hold_checkpoint) {
      row_.previous = row_.position;
      row_.position = position;
    }
    row_.commit = sessions;
    if (next_sequence_) row_.next_sequence = *next_sequence_;
    Record(tables);
    SYNC_RETURN_IF_ERROR(state_.SaveCheckpoint(row_));
    CrashPoint("maxcompute.checkpoint_written");
    bool first = true;
    auto between = [&first] {
      if (!first) CrashPoint("maxcompute.between_commits");
      first = false;
    };
    for (auto& [name, upsert] : upserts_) {
      between();
      SYNC_RETURN_IF_ERROR(upsert.session().Commit().status());
    }
    for (auto& [name, log] : logs_) {
      between();
      SYNC_RETURN_IF_ERROR(log.Commit().status());
    }
    Clear();
    return Status::Ok();
  }

  // A failed batch: its upsert sessions are aborted (best effort: one not
  // aborted expires uncommitted; an upload session has no abort and expires
  // too) and the row is read afresh.
  void Abandon() override {
    for (auto& [name, upsert] : upserts_) (void)upsert.session().Abort();
    Clear();
  }

  void Clear() {
    upserts_.clear();
    logs_.clear();
    next_sequence_.reset();
  }

  Client client_;
  std::string task_id_;
  TimeZone zone_;
  config::DestinationSpec destination_;
  StateStore state_;
  SchemaChanger ddl_;
  RowEncoder encoder_;
  // The sessions of the batch being applied, by source table.
  std::map<std::string, UpsertWriter> upserts_;
  std::map<std::string, UploadWriter> logs_;
  std::optional<int64_t> next_sequence_;  // of the batch's next change-log record
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
  return std::unique_ptr<sink::Sink>(new MaxComputeSink(std::move(options), task_id, zone, d));
}

}  // namespace dbsync::maxcompute
