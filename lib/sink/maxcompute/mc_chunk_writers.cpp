#include "sink/maxcompute/mc_chunk_writers.hpp"

#include "sink/maxcompute/mc_conflict.hpp"

namespace dbsync::maxcompute {

Result<MappedTable> Map(const sink::TableBinding& t, const config::DestinationSpec& destination) {
  SYNC_RETURN_IF_ERROR(CheckTableName(t.dest_table));
  SYNC_ASSIGN_OR_RETURN(WriteMode mode, WriteModeOf(t, destination));
  SYNC_ASSIGN_OR_RETURN(auto partitioning, PartitioningOf(t));
  std::vector<McColumn> columns;
  if (mode == WriteMode::kLog) {
    SYNC_ASSIGN_OR_RETURN(columns, MapLogColumns(t.source));
  } else {
    SYNC_ASSIGN_OR_RETURN(columns, MapColumns(t.source, t.key));
  }
  if (mode == WriteMode::kLog && t.on_conflict() != config::ConflictPolicy::kReplace)
    return Status::InvalidArgument("tables[].on_conflict: " + std::string(config::ConflictPolicyName(t.on_conflict())) +
                                   " of " + t.SourceName() + " is for keyed writes; a change log (write_mode: log) "
                                   "appends every change and meets no row; use on_conflict: replace");
  if (partitioning) columns = WithoutPartitionColumn(*partitioning, std::move(columns));
  return MappedTable{t.dest_table, mode, std::move(columns), partitioning};
}

McChunkWriter::McChunkWriter(const Client& client, StateStore& state, const TimeZone& zone, MappedTable table,
                             sink::TableBinding binding, ChunkRow row)
    : client_(client),
      state_(state),
      encoder_(zone),
      table_(std::move(table)),
      binding_(std::move(binding)),
      row_(std::move(row)) {
  if (table_.mode == WriteMode::kLog) extra_ = SnapshotFields();
}

Status McChunkWriter::Begin() {
  if (!table_.partitioning) {
    SYNC_ASSIGN_OR_RETURN(UploadWriter * upload, UploadFor(""));
    row_.session = upload->session().id;
  }
  return state_.SaveChunk(binding_.SourceName(), row_);
}

Result<UploadWriter*> McChunkWriter::UploadFor(const std::string& spec) {
  if (UploadWriter* found = uploads_.Find(spec)) return found;
  UploadOptions options;
  options.create_partition = !spec.empty();
  SYNC_ASSIGN_OR_RETURN(auto session, client_.CreateUploadSession({table_.table, spec}, options));
  SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns, table_.columns, table_.table));
  const std::string where = binding_.SourceName() + " chunk " + std::to_string(row_.index) +
                            (spec.empty() ? "" : " partition " + spec);
  return &uploads_.Add(spec, UploadWriter(client_, std::move(session), std::move(columns), where));
}

Status McChunkWriter::Write(const std::vector<Value>& row) {
  std::string spec;
  if (table_.partitioning) {
    SYNC_ASSIGN_OR_RETURN(spec, PartitionSpecOf(*table_.partitioning, binding_, row));
  }
  SYNC_ASSIGN_OR_RETURN(UploadWriter * upload, UploadFor(spec));
  SYNC_RETURN_IF_ERROR(upload->Add(encoder_, row, extra_ ? std::span<const Value>(*extra_) : std::span<const Value>()));
  return uploads_.KeepBounded();
}

Status McChunkWriter::Commit() {
  for (auto& [spec, upload] : uploads_.all()) SYNC_RETURN_IF_ERROR(upload.Flush());
  CrashPoint("maxcompute.chunk_uploaded");
  // Recorded before a commit is asked for: a commit sent by a worker that
  // then died may still land, so a restart must finish these sessions, never
  // read the chunk again under others (whose rows a late commit would
  // overwrite with older ones).
  row_.state = "committing";
  for (auto& [spec, upload] : uploads_.all()) {
    if (spec.empty()) row_.blocks = upload.block_count();
    else row_.partitions.push_back({spec, upload.session().id, upload.block_count()});
  }
  SYNC_RETURN_IF_ERROR(state_.SaveChunk(binding_.SourceName(), row_));
  for (auto& [spec, upload] : uploads_.all()) {
    SYNC_ASSIGN_OR_RETURN(auto outcome, upload.Commit());
    (void)outcome;  // committed now or by an attempt whose answer was lost: the same
    if (!spec.empty()) CrashPoint("maxcompute.partition_committed");
  }
  CrashPoint("maxcompute.chunk_committed");
  row_.state = "done";
  return state_.SaveChunk(binding_.SourceName(), row_);
}

// Rows held back until the table has been asked about their keys (ignore).
constexpr size_t kProbeRows = 500;

McMergingChunkWriter::McMergingChunkWriter(const Client& client, StateStore& state, const TimeZone& zone,
                                           MappedTable table, sink::TableBinding binding, ChunkRow row,
                                           MakePartition make_partition)
    : client_(client),
      state_(state),
      encoder_(zone),
      table_(std::move(table)),
      binding_(std::move(binding)),
      row_(std::move(row)),
      make_partition_(std::move(make_partition)) {}

Status McMergingChunkWriter::Begin() {
  if (!table_.partitioning) {
    SYNC_ASSIGN_OR_RETURN(UpsertWriter * upsert, UpsertFor(""));
    row_.session = upsert->session().id();
  }
  return state_.SaveChunk(binding_.SourceName(), row_);
}

Result<UpsertWriter*> McMergingChunkWriter::UpsertFor(const std::string& spec) {
  if (UpsertWriter* found = upserts_.Find(spec)) return found;
  if (!spec.empty()) SYNC_RETURN_IF_ERROR(make_partition_(table_, spec));
  SYNC_ASSIGN_OR_RETURN(auto session, UpsertSession::Create(client_, {table_.table, spec}));
  SYNC_RETURN_IF_ERROR(CheckPartialUpdates(session, binding_, table_.table));
  SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns(), table_.columns, table_.table));
  return &upserts_.Add(spec, UpsertWriter(std::move(session), std::move(columns)));
}

Status McMergingChunkWriter::Write(const std::vector<Value>& row) {
  if (binding_.on_conflict() != config::ConflictPolicy::kIgnore) return Add(row);
  held_.push_back(row);
  return held_.size() >= kProbeRows ? WriteHeld() : Status::Ok();
}

Status McMergingChunkWriter::WriteHeld() {
  if (held_.empty()) return Status::Ok();
  std::vector<const std::vector<Value>*> rows;
  for (const auto& r : held_) rows.push_back(&r);
  SYNC_ASSIGN_OR_RETURN(auto present, KeysPresent(client_, binding_, table_, rows));
  for (size_t i = 0; i < held_.size(); ++i)
    if (!present[i]) SYNC_RETURN_IF_ERROR(Add(held_[i]));
  held_.clear();
  return Status::Ok();
}

Status McMergingChunkWriter::Add(const std::vector<Value>& row) {
  std::string spec;
  if (table_.partitioning) {
    SYNC_ASSIGN_OR_RETURN(spec, PartitionSpecOf(*table_.partitioning, binding_, row));
  }
  SYNC_ASSIGN_OR_RETURN(UpsertWriter * upsert, UpsertFor(spec));
  const std::string where = binding_.SourceName() + " chunk " + std::to_string(row_.index);
  SYNC_RETURN_IF_ERROR(upsert->Add(encoder_, row, UpsertOperation::kUpsert, /*partial=*/true).WithContext(where));
  return upserts_.KeepBounded();
}

Status McMergingChunkWriter::Commit() {
  SYNC_RETURN_IF_ERROR(WriteHeld());
  for (auto& [spec, upsert] : upserts_.all()) SYNC_RETURN_IF_ERROR(upsert.Flush());
  CrashPoint("maxcompute.chunk_uploaded");
  // Recorded before a commit is asked for, as McChunkWriter's sessions are.
  row_.state = "committing";
  row_.blocks = kUpsertSessionBlocks;
  for (auto& [spec, upsert] : upserts_.all())
    if (!spec.empty()) row_.partitions.push_back({spec, upsert.session().id(), kUpsertSessionBlocks});
  SYNC_RETURN_IF_ERROR(state_.SaveChunk(binding_.SourceName(), row_));
  for (auto& [spec, upsert] : upserts_.all()) {
    SYNC_ASSIGN_OR_RETURN(auto outcome, upsert.session().Commit());
    (void)outcome;
    if (!spec.empty()) CrashPoint("maxcompute.partition_committed");
  }
  CrashPoint("maxcompute.chunk_committed");
  row_.state = "done";
  return state_.SaveChunk(binding_.SourceName(), row_);
}

}  // namespace dbsync::maxcompute
