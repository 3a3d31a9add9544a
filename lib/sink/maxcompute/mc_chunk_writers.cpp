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

}  // namespace dbsync::maxcompute
