#include "sink/postgres/pg_chunk_writer.hpp"

namespace dbsync::postgres {
namespace {

constexpr size_t kFlushBytes = 1 << 20;  // COPY data is sent in ~1 MiB pieces
// Values held before a merge: bounds memory whatever the row width.
constexpr size_t kMergeValues = 200000;

}  // namespace

Result<std::unique_ptr<PgChunkWriter>> PgChunkWriter::Open(PGconn* conn, ValueEncoder& encoder,
                                                           std::vector<PgColumn> columns, std::vector<size_t> key,
                                                           const std::string& copy_target, Chunk chunk) {
  std::unique_ptr<PgChunkWriter> w(
      new PgChunkWriter(conn, encoder, std::move(columns), std::move(key), std::move(chunk)));
  w->txn_ = std::make_unique<Transaction>(conn);
  if (!w->txn_->status().ok()) return w->txn_->status();
  auto copy = CopyIn::Start(conn, "COPY " + copy_target + " FROM STDIN");
  if (!copy.ok()) return copy.status().WithContext("starting the COPY into " + w->chunk_.dest_display);
  w->copy_.emplace(std::move(copy).value());
  return w;
}

PgChunkWriter::~PgChunkWriter() {
  // Order matters: end the COPY (aborting it) before the transaction rolls back.
  copy_.reset();
  txn_.reset();
}

Status PgChunkWriter::Fail(Status s) {
  // Roll back at once so the sink's connection is usable again while this writer lives on.
  copy_.reset();
  txn_.reset();
  failed_ = s.WithContext(chunk_.source_table + " chunk " + std::to_string(chunk_.index) + " -> " +
                          chunk_.dest_display);
  return failed_;
}

std::string PgChunkWriter::DescribeRow(const std::vector<Value>& row) const {
  if (key_.empty()) return "row " + std::to_string(rows_ + 1) + " of the chunk";
  std::string out = "row with key (";
  for (size_t n = 0; n < key_.size(); ++n) out += (n ? ", " : "") + columns_[key_[n]].name + "=" + row[key_[n]].ToString();
  return out + ")";
}

Status PgChunkWriter::Write(const std::vector<Value>& row) {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Internal("Write after Commit");
  if (row.size() != columns_.size())
    return Fail(Status::FailedPrecondition("a row has " + std::to_string(row.size()) + " columns but the table has " +
                                           std::to_string(columns_.size()) + "; restart the task"));
  size_t mark = buffer_.size();
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) buffer_ += '\t';
    Status s = encoder_.AppendCopyField(row[i], columns_[i], &buffer_);
    if (!s.ok()) {
      buffer_.resize(mark);
      return Fail(s.WithContext(DescribeRow(row) + ", column " + columns_[i].name));
    }
  }
  buffer_ += '\n';
  ++rows_;
  if (buffer_.size() >= kFlushBytes) {
    Status s = copy_->Put(buffer_);
    buffer_.clear();
    if (!s.ok()) return Fail(s);
  }
  return Status::Ok();
}

Status PgChunkWriter::Commit() {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Ok();
  Status s = copy_->Put(buffer_);
  buffer_.clear();
  if (!s.ok()) return Fail(s);
  auto stored = copy_->End();
  copy_.reset();
  if (!stored.ok()) return Fail(stored.status());
  Status recorded = RecordChunk(conn_, chunk_, long(*stored));
  if (!recorded.ok()) return Fail(recorded);
  s = txn_->Commit();
  if (!s.ok()) return Fail(s);
  committed_ = true;
  return Status::Ok();
}

Status RecordChunk(PGconn* conn, const PgChunkWriter::Chunk& chunk, long rows) {
  // A chunk committed twice is a caller error: the primary key refuses it, the rows roll back.
  auto recorded = ExecParams(conn,
                             "INSERT INTO sync_state.snapshot_chunks (task_id, source_table, chunk_index, binlog_file, "
                             "binlog_offset, gtid_set, rows_copied, committed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                             "now())",
                             {chunk.task_id, chunk.source_table, std::to_string(chunk.index), chunk.position.file,
                              std::to_string(chunk.position.offset), chunk.position.gtid_set, std::to_string(rows)});
  return recorded.ok() ? Status::Ok() : recorded.status().WithContext("recording the chunk as done");
}

Result<std::unique_ptr<PgMergingChunkWriter>> PgMergingChunkWriter::Open(PGconn* conn, BatchApplier applier,
                                                                         ApplyTarget target,
                                                                         PgChunkWriter::Chunk chunk) {
  std::unique_ptr<PgMergingChunkWriter> w(
      new PgMergingChunkWriter(conn, std::move(applier), std::move(target), std::move(chunk)));
  w->txn_ = std::make_unique<Transaction>(conn);
  if (!w->txn_->status().ok()) return w->txn_->status();
  SYNC_RETURN_IF_ERROR(w->applier_.PrepareStaging(w->target_));
  return w;
}

PgMergingChunkWriter::~PgMergingChunkWriter() {
  if (committed_) return;
  applier_.Abandon();
  txn_.reset();
}

Status PgMergingChunkWriter::Fail(Status s) {
  applier_.Abandon();
  txn_.reset();
  failed_ = s.WithContext(chunk_.source_table + " chunk " + std::to_string(chunk_.index) + " -> " +
                          chunk_.dest_display);
  return failed_;
}

Status PgMergingChunkWriter::Write(const std::vector<Value>& row) {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Internal("Write after Commit");
  sink::RowChange change;
  change.after = row;
  pending_.push_back(std::move(change));
  pending_values_ += row.size();
  ++rows_;
  return pending_values_ >= kMergeValues ? Flush() : Status::Ok();
}

Status PgMergingChunkWriter::Flush() {
  std::vector<const sink::RowChange*> rows;
  rows.reserve(pending_.size());
  for (const auto& r : pending_) rows.push_back(&r);
  // The merge may go on running from the stage while the next rows arrive:
  // its rows are encoded already, so the images can go.
  Status s = applier_.Apply(target_, rows);
  pending_.clear();
  pending_values_ = 0;
  return s.ok() ? s : Fail(s);
}

Status PgMergingChunkWriter::Commit() {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Ok();
  SYNC_RETURN_IF_ERROR(Flush());
  Status s = applier_.Settle();
  if (s.ok()) s = RecordChunk(conn_, chunk_, rows_);
  if (s.ok()) s = txn_->Commit();
  if (!s.ok()) return Fail(s);
  committed_ = true;
  return Status::Ok();
}

}  // namespace dbsync::postgres
