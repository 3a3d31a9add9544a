#include "sink/maxcompute/mc_sink.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "core/value_text.hpp"
#include "sink/change_helpers.hpp"
#include "sink/checkpoint_row_sink.hpp"
#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_chunk_writers.hpp"
#include "sink/maxcompute/mc_conflict.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_partitions.hpp"
#include "sink/maxcompute/mc_record_encoder.hpp"
#include "sink/maxcompute/mc_schema_change.hpp"
#include "sink/maxcompute/mc_state.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/maxcompute/mc_upsert.hpp"
#include "sink/maxcompute/mc_writers.hpp"
#include "sink/maxcompute/mc_xml.hpp"

namespace dbsync::maxcompute {
namespace {

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
    SYNC_RETURN_IF_ERROR(CheckPartitionKeys(t, m, *info));
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
    SYNC_ASSIGN_OR_RETURN(auto partitioning, PartitioningOf(t));
    if (partitioning) {
      // MaxCompute truncates a partitioned table one named partition at a
      // time; a table of sync's own (ResetTable is never asked of a mode:
      // existing one) is made again instead.
      SYNC_RETURN_IF_ERROR(client_.RunSql("DROP TABLE IF EXISTS " + QuoteName(t.dest_table)).status());
      SYNC_RETURN_IF_ERROR(ddl_.CreateTable(t));
      known_partitions_.erase(t.dest_table);
    } else {
      SYNC_RETURN_IF_ERROR(client_.RunSql("TRUNCATE TABLE " + QuoteName(t.dest_table)).status());
    }
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
        bool finished = true;
        if (!row.session.empty()) {  // a partitioned table's chunk has its sessions in `partitions`
          SYNC_ASSIGN_OR_RETURN(bool committed, FinishChunkSession({t.dest_table, ""}, row.session, row.blocks));
          finished = finished && committed;
        }
        for (const auto& p : row.partitions) {
          SYNC_ASSIGN_OR_RETURN(bool committed, FinishChunkSession({t.dest_table, p.partition}, p.session, p.blocks));
          finished = finished && committed;
        }
        if (finished) {
          row.state = "done";
          SYNC_RETURN_IF_ERROR(state_.SaveChunk(t.SourceName(), row));
        }
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
    if (t.existing() && m.mode == WriteMode::kUpsert && WritesPartially(t)) {  // the copy meets the rows there
      auto make_partition = [this](const MappedTable& table, const std::string& spec) {
        return MakePartitions(table, {spec});
      };
      auto writer = std::make_unique<McMergingChunkWriter>(client_, state_, zone_, std::move(m), t, std::move(row),
                                                           make_partition);
      SYNC_RETURN_IF_ERROR(writer->Begin());
      return std::unique_ptr<sink::ChunkWriter>(std::move(writer));
    }
    auto writer = std::make_unique<McChunkWriter>(client_, state_, zone_, std::move(m), t, std::move(row));
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
    // A partitioned log is written back into the partitions its rows come
    // from (a dynamic partition: the partition key last in the SELECT).
    std::string partition;
    for (const auto& k : info->partition_keys) {
      partition += (partition.empty() ? "" : ", ") + QuoteName(k.name);
      select += ", " + QuoteName(k.name);
    }
    return client_
        .RunSql("INSERT OVERWRITE TABLE " + QuoteName(t.dest_table) +
                (partition.empty() ? "" : " PARTITION (" + partition + ")") + " SELECT " + select + " FROM " +
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

  // The table's partition key is the partition column, alone; an
  // unpartitioned table for a table without tables[].partition.
  Status CheckPartitionKeys(const sink::TableBinding& t, const MappedTable& m, const TableInfo& info) {
    std::string want = m.partitioning ? ToLower(m.partitioning->column) : "";
    std::string have;
    for (const auto& k : info.partition_keys) have += (have.empty() ? "" : ",") + ToLower(k.name);
    if (have == want) return Status::Ok();
    if (want.empty())
      return Status::FailedPrecondition("MaxCompute table " + m.table + " is partitioned by (" + have + "), and " +
                                        t.SourceName() + " has no tables[].partition; name its partition column "
                                        "with tables[].partition, or use another table");
    return Status::FailedPrecondition("MaxCompute table " + m.table + " is " +
                                      (have.empty() ? std::string("not partitioned") : "partitioned by (" + have + ")") +
                                      ", and tables[].partition of " + t.SourceName() + " partitions it by " +
                                      m.partitioning->column + "; " +
                                      (t.existing() ? "make the table so (PARTITIONED BY (" + m.partitioning->column +
                                                          " STRING))"
                                                    : "drop the table so that sync makes it"));
  }

  // A chunk's session whose commit may have been sent: committed now if it is not yet.
  // Whether the chunk's session is committed now; false when an upsert
  // session expired uncommitted (the chunk is read again).
  Result<bool> FinishChunkSession(const UploadTarget& target, const std::string& id, int64_t blocks) {
    if (blocks == kUpsertSessionBlocks) return UpsertSession::CommitById(client_, target, id);
    SYNC_ASSIGN_OR_RETURN(auto session, client_.GetUploadSession(target, id));
    if (session.IsCommitted()) return true;
    SYNC_RETURN_IF_ERROR(client_.CommitUploadSession(session, BlockIds(blocks)).status());
    return true;
  }

  // A literal of `value` for the column's MaxCompute type: the value written
  // as one record and read back would need a download session; the types an
  // added column's default can have are few.
  Result<std::string> SqlLiteral(const sink::TableBinding& t, const std::string& column, const Value& value) {
    int i = t.source.ColumnIndex(column);
    if (i < 0) return Status::Internal("column " + column + " is not in " + t.SourceName());
    SYNC_ASSIGN_OR_RETURN(McColumn col, MapColumn(t.source.columns[i], false));
    auto literal = SqlLiteralOf(col, value);
    if (literal.ok()) return literal;
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
    // A table counts as committed when all its sessions (one per partition)
    // are. One of a partitioned table lost while another of it committed
    // has the whole batch applied to it again: upserts write the same last
    // images, but a partitioned change log gets the committed partition's
    // records twice (a session outliving its 24 hours uncommitted and a
    // crash between two commits, both).
    std::map<std::string, bool> committed;
    bool lost = false;
    Status first_error;
    for (const auto& ref : row_.commit) {  // each one that can be committed is, whatever the others do
      auto done = ref.upload ? FinishUpload(ref) : FinishUpsert(ref);
      if (!done.ok()) {
        if (first_error.ok()) first_error = done.status();
        continue;
      }
      auto [it, first] = committed.try_emplace(ref.source, true);
      it->second = it->second && *done;
      if (!*done) lost = true;
    }
    SYNC_RETURN_IF_ERROR(first_error);  // the next attempt finds the ones committed now committed
    if (lost) {
      for (const auto& [source, all] : committed)
        if (all && !source.empty()) row_.table_positions[source] = row_.position;
      row_.position = row_.previous;
    }
    row_.commit.clear();
    return state_.SaveCheckpoint(row_);
  }

  // Whether the session is committed now (false: it expired uncommitted).
  Result<bool> FinishUpsert(const SessionRef& ref) {
    return UpsertSession::CommitById(client_, {ref.table, ref.partition}, ref.id);
  }

  Result<bool> FinishUpload(const SessionRef& ref) {
    auto session = client_.GetUploadSession({ref.table, ref.partition}, ref.id);
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
      SYNC_ASSIGN_OR_RETURN(auto records, Records(tc, m));
      std::vector<std::string> specs(records.size());
      if (m.partitioning) {
        for (size_t i = 0; i < records.size(); ++i) {
          SYNC_ASSIGN_OR_RETURN(specs[i], PartitionSpecOf(*m.partitioning, *tc.table, *records[i].row));
        }
        SYNC_RETURN_IF_ERROR(MakePartitions(m, specs));
      }
      for (size_t i = 0; i < records.size(); ++i) {
        SYNC_ASSIGN_OR_RETURN(UpsertWriter * upsert, UpsertFor(*tc.table, m, specs[i]));
        const auto op = records[i].op ? UpsertOperation::kDelete : UpsertOperation::kUpsert;
        SYNC_RETURN_IF_ERROR(upsert->Add(encoder_, *records[i].row, op, !records[i].whole).WithContext(name));
        SYNC_RETURN_IF_ERROR(upserts_.KeepBounded().WithContext(name));
      }
    }
    CrashPoint("maxcompute.changes_staged");  // a piece (or a batch) in its sessions, nothing named yet
    return Status::Ok();
  }

  // An upsert session cannot make its partition: the ones this sink has not
  // met yet are added first, in one statement (IF NOT EXISTS: a restart
  // meets its own again).
  Status MakePartitions(const MappedTable& m, const std::vector<std::string>& specs) {
    std::set<std::string>& known = known_partitions_[m.table];
    std::set<std::string> fresh;
    for (const auto& spec : specs)
      if (!known.count(spec)) fresh.insert(PartitionValueOfSpec(spec));
    if (fresh.empty()) return Status::Ok();
    SYNC_RETURN_IF_ERROR(client_.RunSql(AddPartitionsSql(m.table, m.partitioning->column, fresh)).status());
    for (const auto& spec : specs) known.insert(spec);
    return Status::Ok();
  }

  // Writers are kept by source table, and partition for a partitioned one.
  static std::string WriterKey(const std::string& source, const std::string& spec) {
    return spec.empty() ? source : source + "\t" + spec;
  }
  static std::string SourceOf(const std::string& writer_key) { return writer_key.substr(0, writer_key.find('\t')); }

  // A table's changes of a batch as records: the last image per key, whole
  // under replace; under update and ignore, split by the router
  // (mc_conflict.hpp), less (ignore) the inserts of keys the table has.
  Result<std::vector<sink::ConflictRouter::Routed>> Records(const sink::TableChanges& tc, const MappedTable& m) {
    std::vector<sink::ConflictRouter::Routed> out;
    if (!WritesPartially(*tc.table)) {
      for (const auto& [op, row] : sink::LastImagePerKey(tc)) out.push_back({true, op, false, row});
      return out;
    }
    out = router_.Route(tc);
    if (tc.table->on_conflict() != config::ConflictPolicy::kIgnore) return out;
    std::vector<const std::vector<Value>*> inserts;
    for (const auto& r : out)
      if (r.insert) inserts.push_back(r.row);
    if (inserts.empty()) return out;
    SYNC_ASSIGN_OR_RETURN(auto present, KeysPresent(client_, *tc.table, m, inserts));
    std::set<const std::vector<Value>*> there;
    for (size_t i = 0; i < inserts.size(); ++i)
      if (present[i]) there.insert(inserts[i]);
    std::erase_if(out, [&](const auto& r) { return r.insert && there.count(r.row) > 0; });
    return out;
  }

  Result<UpsertWriter*> UpsertFor(const sink::TableBinding& t, const MappedTable& m, const std::string& spec) {
    const std::string key = WriterKey(t.SourceName(), spec);
    if (UpsertWriter* found = upserts_.Find(key)) return found;
    SYNC_ASSIGN_OR_RETURN(auto session, UpsertSession::Create(client_, {m.table, spec}));
    SYNC_RETURN_IF_ERROR(CheckPartialUpdates(session, t, m.table));
    SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns(), m.columns, m.table));
    return &upserts_.Add(key, UpsertWriter(std::move(session), std::move(columns)));
  }

  Result<UploadWriter*> LogFor(const std::string& source, const MappedTable& m, const std::string& spec) {
    const std::string key = WriterKey(source, spec);
    if (UploadWriter* found = logs_.Find(key)) return found;
    UploadOptions options;
    options.create_partition = !spec.empty();
    SYNC_ASSIGN_OR_RETURN(auto session, client_.CreateUploadSession({m.table, spec}, options));
    SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns, m.columns, m.table));
    return &logs_.Add(key, UploadWriter(client_, std::move(session), std::move(columns), key));
  }

  // Every change as it came, numbered on from the checkpoint's next_sequence.
  Status LogChanges(const sink::TableChanges& tc, const MappedTable& m) {
    const std::string name = tc.table->SourceName();
    if (!next_sequence_) next_sequence_ = row_.next_sequence;
    for (const auto& change : tc.rows)
      SYNC_RETURN_IF_ERROR(ForEachLogRecord(change, &*next_sequence_, [&](const std::vector<Value>& row,
                                                                           const LogFields& fields) -> Status {
        std::string spec;
        if (m.partitioning) {
          SYNC_ASSIGN_OR_RETURN(spec, PartitionSpecOf(*m.partitioning, *tc.table, row));
        }
        SYNC_ASSIGN_OR_RETURN(UploadWriter * log, LogFor(name, m, spec));
        SYNC_RETURN_IF_ERROR(log->Add(encoder_, row, fields));
        return logs_.KeepBounded();
      }));
    return Status::Ok();
  }

  Status ApplyBatchOnce(const std::vector<sink::TableChanges>& changes, const BinlogPosition& position,
                        const sink::TablePositions& tables) override {
    SYNC_RETURN_IF_ERROR(LoadChanges(changes));
    std::vector<SessionRef> sessions;
    for (auto& [key, upsert] : upserts_.all()) {
      SYNC_RETURN_IF_ERROR(upsert.Flush().WithContext(key));
      const UploadTarget& target = upsert.session().target();
      sessions.push_back({target.table, upsert.session().id(), SourceOf(key), false, 0, target.partition});
    }
    for (auto& [key, log] : logs_.all()) {
      SYNC_RETURN_IF_ERROR(log.Flush());
      const UploadTarget& target = log.session().target;
      sessions.push_back({target.table, log.session().id, SourceOf(key), true, log.block_count(), target.partition});
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
    for (auto& [key, upsert] : upserts_.all()) {
      between();
      SYNC_RETURN_IF_ERROR(upsert.session().Commit().status());
    }
    for (auto& [key, log] : logs_.all()) {
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
    for (auto& [key, upsert] : upserts_.all()) (void)upsert.session().Abort();
    Clear();
  }

  void Clear() {
    upserts_ = {};
    logs_ = {};
    next_sequence_.reset();
    router_.Clear();
  }

  Client client_;
  std::string task_id_;
  TimeZone zone_;
  config::DestinationSpec destination_;
  StateStore state_;
  SchemaChanger ddl_;
  RowEncoder encoder_;
  // The sessions of the batch being applied, by source table (WriterKey).
  PartitionWriters<UpsertWriter> upserts_;
  PartitionWriters<UploadWriter> logs_;
  sink::ConflictRouter router_;  // on_conflict update, ignore: the keys the batch writes whole
  std::optional<int64_t> next_sequence_;  // of the batch's next change-log record
  // Partitions known to exist, by destination table: made by this sink or
  // found so by a statement that would have made them.
  std::map<std::string, std::set<std::string>> known_partitions_;
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

Status EndpointTakesTls(const config::DestinationSpec& d) {
  if (d.tls.mode == TlsMode::kDisabled || d.tls.mode == TlsMode::kPreferred) return Status::Ok();
  for (const auto& [key, url] : {std::pair{"endpoint", &d.endpoint}, std::pair{"tunnel_endpoint", &d.tunnel_endpoint}})
    if (url->rfind("http://", 0) == 0)
      return Status::FailedPrecondition("destination.tls.mode is " + TlsModeName(d.tls.mode) + " but destination." +
                                        key + " is " + *url + ", which is never encrypted: use its https:// URL");
  return Status::Ok();
}

Result<ProjectAccess> AccessProject(const config::DestinationSpec& d) {
  SYNC_RETURN_IF_ERROR(EndpointTakesTls(d));
  SYNC_ASSIGN_OR_RETURN(std::string secret, config::ResolveSecret(d.access_key));
  ClientOptions options;
  options.endpoint = d.endpoint;
  options.project = d.project;
  options.key = {d.access_id, secret};
  options.tunnel_endpoint = d.tunnel_endpoint;
  options.tls = d.tls;
  Client probe(options);
  SYNC_ASSIGN_OR_RETURN(std::string zone_name, ProjectTimeZone(probe));
  SYNC_ASSIGN_OR_RETURN(TimeZone zone, TimeZone::Load(zone_name));
  return ProjectAccess{std::move(options), std::move(zone)};
}

Result<std::unique_ptr<sink::Sink>> OpenMaxComputeSink(const config::TaskSpec& spec, const std::string& task_id) {
  SYNC_ASSIGN_OR_RETURN(ProjectAccess project, AccessProject(spec.destination));
  return std::unique_ptr<sink::Sink>(
      new MaxComputeSink(std::move(project.options), task_id, project.zone, spec.destination));
}

}  // namespace dbsync::maxcompute
