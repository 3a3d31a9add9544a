#include "sink/postgres/pg_chunk_writer.hpp"

#include "core/text_util.hpp"
#include "sink/crash_point.hpp"
#include "sink/postgres/pg_binary_copy.hpp"
#include "sink/postgres/pg_ddl.hpp"

namespace dbsync::postgres {
namespace {

constexpr size_t kFlushBytes = 1 << 20;  // COPY data is sent in ~1 MiB pieces
// Values held before a merge: bounds memory whatever the row width.
constexpr size_t kMergeValues = 200000;

// "db.t chunk 3 -> schema.t", the context of a chunk's errors.
std::string Describe(const PgChunkWriter::Chunk& chunk) {
  return chunk.source_table + " chunk " + std::to_string(chunk.index) + " -> " + chunk.dest_display;
}

Status CheckRowWidth(const std::vector<PgColumn>& columns, const std::vector<Value>& row) {
  if (row.size() == columns.size()) return Status::Ok();
  return Status::FailedPrecondition("a row has " + std::to_string(row.size()) + " columns but the table has " +
                                    std::to_string(columns.size()) + "; restart the task");
}

// The error of a bad value, naming the row (by key, else by `ordinal`) and the column.
Status BadValue(Status s, const std::vector<PgColumn>& columns, const std::vector<size_t>& key,
                const std::vector<Value>& row, long ordinal, size_t column) {
  std::string which = "row " + std::to_string(ordinal) + " of the chunk";
  if (!key.empty()) {
    which = "row with key (";
    for (size_t n = 0; n < key.size(); ++n)
      which += (n ? ", " : "") + columns[key[n]].name + "=" + row[key[n]].ToString();
    which += ")";
  }
  return s.WithContext(which + ", column " + columns[column].name);
}

// `row` as one row of COPY text (or binary) after `out`; on a bad value `out`
// is as it was.
Status AppendCopyRow(ValueEncoder& encoder, const std::vector<PgColumn>& columns, const std::vector<size_t>& key,
                     const std::vector<Value>& row, long ordinal, std::string* out, bool binary = false) {
  SYNC_RETURN_IF_ERROR(CheckRowWidth(columns, row));
  size_t mark = out->size();
  if (binary) AppendBinaryRowStart(row.size(), out);
  for (size_t i = 0; i < row.size(); ++i) {
    if (i && !binary) *out += '\t';
    Status s = binary ? encoder.AppendBinaryField(row[i], columns[i], out)
                      : encoder.AppendCopyField(row[i], columns[i], out);
    if (s.ok()) continue;
    out->resize(mark);
    return BadValue(s, columns, key, row, ordinal, i);
  }
  if (!binary) *out += '\n';
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<PgChunkWriter>> PgChunkWriter::Open(PGconn* conn, ValueEncoder& encoder,
                                                           std::vector<PgColumn> columns, std::vector<size_t> key,
                                                           const std::string& copy_target, Chunk chunk,
                                                           bool binary) {
  std::unique_ptr<PgChunkWriter> w(
      new PgChunkWriter(conn, encoder, std::move(columns), std::move(key), std::move(chunk), binary));
  w->txn_ = std::make_unique<Transaction>(conn);
  if (!w->txn_->status().ok()) return w->txn_->status();
  auto copy = CopyIn::Start(conn, "COPY " + copy_target + " FROM STDIN" + (binary ? " (FORMAT binary)" : ""));
  if (!copy.ok()) return copy.status().WithContext("starting the COPY into " + w->chunk_.dest_display);
  w->copy_.emplace(std::move(copy).value());
  if (binary) AppendBinaryCopyHeader(&w->buffer_);
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
  if (s.message().find("duplicate key value violates unique constraint") != std::string::npos && !key_.empty()) {
    std::vector<std::string> key;
    for (size_t i : key_) key.push_back(columns_[i].name);
    s = Status(s.code(), s.message() + "\nThe key (" + Join(key, ", ") + ") is not unique at the source: set "
                         "tables[].primary_key to columns that are");
  }
  failed_ = s.WithContext(Describe(chunk_));
  return failed_;
}

Status PgChunkWriter::Write(const std::vector<Value>& row) {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Internal("Write after Commit");
  Status s = AppendCopyRow(encoder_, columns_, key_, row, rows_ + 1, &buffer_, binary_);
  if (!s.ok()) return Fail(s);
  ++rows_;
  if (buffer_.size() >= kFlushBytes) {
    s = copy_->Put(buffer_);
    buffer_.clear();
    if (!s.ok()) return Fail(s);
  }
  return Status::Ok();
}

Status PgChunkWriter::Commit() {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Ok();
  if (binary_) AppendBinaryCopyTrailer(&buffer_);
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

Result<std::unique_ptr<PgMergingChunkWriter>> PgMergingChunkWriter::Open(Connection& conn, BatchApplier applier,
                                                                         ApplyTarget target,
                                                                         PgChunkWriter::Chunk chunk,
                                                                         PartitionChildren* children) {
  std::unique_ptr<PgMergingChunkWriter> w(
      new PgMergingChunkWriter(conn, std::move(applier), std::move(target), std::move(chunk), children));
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
  failed_ = s.WithContext(Describe(chunk_));
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

Status PgMergingChunkWriter::MakeChildren() {
  if (!children_ || target_.partition < 0) return Status::Ok();
  std::set<std::string> values;
  for (const auto& change : pending_) {
    SYNC_ASSIGN_OR_RETURN(std::string value, PartitionValueOf(applier_.encoder(), target_, change.after));
    values.insert(std::move(value));
  }
  std::set<std::string> missing = children_->Missing(values);
  if (missing.empty()) return Status::Ok();
  bool began = txn_ != nullptr;
  if (began) {
    SYNC_RETURN_IF_ERROR(applier_.Settle());
    txn_.reset();
  }
  SYNC_RETURN_IF_ERROR(children_->Create(conn_, missing));
  if (began)
    return Status::Unavailable("later rows of the chunk needed " + std::to_string(missing.size()) +
                               " new partition(s), made now; the chunk is copied again");
  return Status::Ok();
}

Status PgMergingChunkWriter::Flush() {
  if (Status s = MakeChildren(); !s.ok()) return Fail(s);
  if (!txn_) {
    txn_ = std::make_unique<Transaction>(conn_.handle());
    if (!txn_->status().ok()) return Fail(txn_->status());
  }
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
  if (s.ok()) s = RecordChunk(conn_.handle(), chunk_, rows_);
  if (s.ok()) s = txn_->Commit();
  if (!s.ok()) return Fail(s);
  committed_ = true;
  return Status::Ok();
}

Result<std::unique_ptr<PgPartitionedChunkWriter>> PgPartitionedChunkWriter::Open(
    Connection& conn, ValueEncoder& encoder, ApplyTarget target, PartitionChildren& children,
    PgChunkWriter::Chunk chunk, size_t bound_bytes) {
  if (target.partition < 0) return Status::Internal("PgPartitionedChunkWriter for an unpartitioned table");
  return std::unique_ptr<PgPartitionedChunkWriter>(new PgPartitionedChunkWriter(
      conn, encoder, std::move(target), children, std::move(chunk), bound_bytes));
}

PgPartitionedChunkWriter::~PgPartitionedChunkWriter() { txn_.reset(); }

Status PgPartitionedChunkWriter::Fail(Status s) {
  txn_.reset();
  groups_.clear();
  failed_ = s.WithContext(Describe(chunk_));
  return failed_;
}

Status PgPartitionedChunkWriter::Write(const std::vector<Value>& row) {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Internal("Write after Commit");
  if (Status s = CheckRowWidth(target_.columns, row); !s.ok()) return Fail(s);
  auto value = PartitionValueOf(encoder_, target_, row);
  if (!value.ok()) return Fail(value.status());
  std::string& out = groups_[*value];
  size_t before = out.size();
  Status s = AppendCopyRow(encoder_, target_.columns, target_.key, row, rows_ + 1, &out);
  if (!s.ok()) return Fail(s);
  bytes_ += out.size() - before;
  ++rows_;
  return bytes_ >= bound_ ? Flush() : Status::Ok();
}

Status PgPartitionedChunkWriter::Flush() {
  std::set<std::string> values;
  for (const auto& [value, rows] : groups_) values.insert(value);
  std::set<std::string> missing = children_.Missing(values);
  if (!missing.empty()) {
    bool began = txn_ != nullptr;
    txn_.reset();  // a child is made outside the chunk's transaction
    Status made = children_.Create(conn_, missing);
    if (!made.ok()) return Fail(made);
    sink::CrashPoint("postgres.partitions_made");  // children without rows: found there after a restart
    if (began)
      return Fail(Status::Unavailable("rows after the first " + std::to_string(bound_ >> 20) + " MiB of the chunk "
                                      "needed " + std::to_string(missing.size()) + " new partition(s), made now; "
                                      "the chunk is copied again"));
  }
  if (!txn_) {
    txn_ = std::make_unique<Transaction>(conn_.handle());
    if (!txn_->status().ok()) return Fail(txn_->status());
  }
  std::vector<std::string> names;
  for (const auto& c : target_.columns) names.push_back(QuoteIdentifier(c.name));
  const std::string columns = " (" + Join(names, ", ") + ")";
  for (auto& [value, rows] : groups_) {
    const std::string* child = children_.ChildOf(value);
    if (!child) return Fail(Status::Internal("no partition of " + chunk_.dest_display + " for " + value));
    auto copy = CopyIn::Start(conn_.handle(), "COPY " + QualifiedName(target_.binding->dest_schema, *child) +
                                                  columns + " FROM STDIN");
    if (!copy.ok()) return Fail(copy.status().WithContext("starting the COPY into partition " + *child));
    Status s = copy->Put(rows);
    if (!s.ok()) return Fail(s);
    auto stored = copy->End();
    if (!stored.ok()) return Fail(stored.status().WithContext("partition " + *child));
  }
  groups_.clear();
  bytes_ = 0;
  return Status::Ok();
}

Status PgPartitionedChunkWriter::Commit() {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::Ok();
  SYNC_RETURN_IF_ERROR(Flush());
  sink::CrashPoint("postgres.partition_chunk_copied");  // rows in the children, the chunk not recorded: rolled back
  Status s = RecordChunk(conn_.handle(), chunk_, rows_);
  if (s.ok()) s = txn_->Commit();
  if (!s.ok()) return Fail(s);
  committed_ = true;
  return Status::Ok();
}

}  // namespace dbsync::postgres
