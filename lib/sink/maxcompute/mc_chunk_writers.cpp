#include "sink/maxcompute/mc_chunk_writers.hpp"

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
  if (partitioning) columns = WithoutPartitionColumn(*partitioning, std::move(columns));
  return MappedTable{t.dest_table, mode, std::move(columns), partitioning};
}

McChunkWriter::McChunkWriter(const Client& client, StateStore& state, const TimeZone& zone, MappedTable table,
                             std::string source, ChunkRow row)
    : client_(client),
      state_(state),
      encoder_(zone),
      table_(std::move(table)),
      source_(std::move(source)),
      row_(std::move(row)) {
  if (table_.mode == WriteMode::kLog) extra_ = SnapshotFields();
}

Status McChunkWriter::Begin() {
  SYNC_ASSIGN_OR_RETURN(auto session, client_.CreateUploadSession({table_.table, ""}));
  SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns, table_.columns, table_.table));
  row_.session = session.id;
  upload_.emplace(client_, std::move(session), std::move(columns), source_ + " chunk " + std::to_string(row_.index));
  return state_.SaveChunk(source_, row_);
}

Status McChunkWriter::Write(const std::vector<Value>& row) {
  return upload_->Add(encoder_, row, extra_ ? std::span<const Value>(*extra_) : std::span<const Value>());
}

Status McChunkWriter::Commit() {
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

McPartitionedChunkWriter::McPartitionedChunkWriter(const Client& client, StateStore& state, const TimeZone& zone,
                                                   MappedTable table, sink::TableBinding binding, ChunkRow row)
    : client_(client),
      state_(state),
      encoder_(zone),
      table_(std::move(table)),
      binding_(std::move(binding)),
      row_(std::move(row)) {
  if (table_.mode == WriteMode::kLog) extra_ = SnapshotFields();
}

Status McPartitionedChunkWriter::Write(const std::vector<Value>& row) {
  SYNC_ASSIGN_OR_RETURN(std::string spec, PartitionSpecOf(*table_.partitioning, binding_, row));
  UploadWriter* upload = uploads_.Find(spec);
  if (!upload) {
    UploadOptions options;
    options.create_partition = true;
    SYNC_ASSIGN_OR_RETURN(auto session, client_.CreateUploadSession({table_.table, spec}, options));
    SYNC_ASSIGN_OR_RETURN(auto columns, InTableOrder(session.columns, table_.columns, table_.table));
    upload = &uploads_.Add(spec, UploadWriter(client_, std::move(session), std::move(columns),
                                              binding_.SourceName() + " chunk " + std::to_string(row_.index) +
                                                  " partition " + spec));
  }
  SYNC_RETURN_IF_ERROR(upload->Add(encoder_, row, extra_ ? std::span<const Value>(*extra_) : std::span<const Value>()));
  return uploads_.KeepBounded();
}

Status McPartitionedChunkWriter::Commit() {
  for (auto& [spec, upload] : uploads_.all()) SYNC_RETURN_IF_ERROR(upload.Flush());
  CrashPoint("maxcompute.chunk_uploaded");
  // As McChunkWriter::Commit: every session is named before any commit.
  row_.state = "committing";
  row_.partitions.clear();
  for (auto& [spec, upload] : uploads_.all())
    row_.partitions.push_back({spec, upload.session().id, upload.block_count()});
  SYNC_RETURN_IF_ERROR(state_.SaveChunk(binding_.SourceName(), row_));
  for (auto& [spec, upload] : uploads_.all()) {
    SYNC_ASSIGN_OR_RETURN(auto outcome, upload.Commit());
    (void)outcome;
    CrashPoint("maxcompute.partition_committed");
  }
  CrashPoint("maxcompute.chunk_committed");
  row_.state = "done";
  return state_.SaveChunk(binding_.SourceName(), row_);
}

}  // namespace dbsync::maxcompute
