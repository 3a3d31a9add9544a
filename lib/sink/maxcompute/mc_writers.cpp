#include "sink/maxcompute/mc_writers.hpp"

#include <algorithm>

#include "core/text_util.hpp"
#include "sink/maxcompute/mc_bucket_hash.hpp"

namespace dbsync::maxcompute {
namespace {

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

}  // namespace

Result<std::vector<McColumn>> InTableOrder(const std::vector<SessionColumn>& table_columns,
                                           const std::vector<McColumn>& mapped, const std::string& table) {
  std::vector<McColumn> out;
  std::vector<bool> placed(mapped.size(), false);
  for (const auto& have : table_columns) {
    auto it = std::find_if(mapped.begin(), mapped.end(),
                           [&](const McColumn& c) { return ToLower(c.name) == ToLower(have.name); });
    if (it != mapped.end()) {
      placed[size_t(it - mapped.begin())] = true;
      out.push_back(*it);
      continue;
    }
    McColumn absent;  // written NULL
    absent.name = have.name;
    absent.type = have.type;
    absent.source_index = -1;
    out.push_back(std::move(absent));
  }
  for (size_t i = 0; i < mapped.size(); ++i)
    if (!placed[i])
      return Status::FailedPrecondition("MaxCompute table " + table + " has no column " + mapped[i].name +
                                        "; add it (ALTER TABLE " + table + " ADD COLUMNS (" + mapped[i].name + " " +
                                        mapped[i].type + ")), or drop the table so that sync creates it");
  return out;
}

std::string Block::Finish() {
  writer_->Finish();
  std::string out = std::move(bytes_);
  Reset();
  return out;
}

void Block::Reset() {
  bytes_.clear();
  bytes_.reserve(limit_ + limit_ / 8);
  writer_.emplace(&bytes_);
}

Status UploadWriter::Add(RowEncoder& encoder, const std::vector<Value>& row, std::span<const Value> extra) {
  SYNC_RETURN_IF_ERROR(encoder.AppendRow(row, columns_, &block_->writer(), extra).WithContext(where_));
  return block_->full() ? Flush() : Status::Ok();
}

Status UploadWriter::Flush() {
  if (block_->records() == 0) return Status::Ok();
  const int64_t id = int64_t(blocks_.size());
  SYNC_RETURN_IF_ERROR(client_->UploadBlock(session_, id, block_->Finish(), true).WithContext(where_));
  blocks_.push_back(id);
  return Status::Ok();
}

UpsertWriter::UpsertWriter(UpsertSession session, std::vector<McColumn> columns)
    : session_(std::move(session)),
      columns_(std::move(columns)),
      pack_bytes_(std::max<size_t>(1 << 20, kBlockBytes / size_t(std::max(1, session_.bucket_count())))) {
  for (const auto& name : session_.hash_key())
    for (const auto& c : columns_)
      if (ToLower(c.name) == ToLower(name)) hash_at_.push_back(c.source_index);
  // columns_ is in the session's order (InTableOrder); -1: a column of the table only.
  for (size_t i = 0; i < columns_.size() && i < session_.columns().size(); ++i)
    if (columns_[i].source_index >= 0) written_ids_.push_back(session_.columns()[i].id);
}

Status UpsertWriter::Add(RowEncoder& encoder, const std::vector<Value>& row, UpsertOperation op, bool partial) {
  hashes_.clear();  // a member: no allocation per row
  for (int i : hash_at_) hashes_.push_back(KeyHash(row[size_t(i)]));
  const int bucket = BucketOf(RecordHash(hashes_), session_.bucket_count());
  Block& block = blocks_.try_emplace(bucket, pack_bytes_).first->second;
  SYNC_RETURN_IF_ERROR(encoder.AppendUpsert(row, columns_, op, &block.writer(),
                                            partial ? std::span<const std::optional<int64_t>>(written_ids_)
                                                    : std::span<const std::optional<int64_t>>()));
  return block.full() ? Send(bucket, block) : Status::Ok();
}

Status UpsertWriter::Flush() {
  for (auto& [bucket, block] : blocks_)
    if (block.records() > 0) SYNC_RETURN_IF_ERROR(Send(bucket, block));
  return Status::Ok();
}

Status UpsertWriter::Send(int bucket, Block& block) {
  const int64_t records = block.records();
  return session_.Upload(bucket, block.Finish(), records, true);
}

size_t UpsertWriter::buffered_bytes() const {
  size_t total = 0;
  for (const auto& [bucket, block] : blocks_) total += block.bytes();
  return total;
}

}  // namespace dbsync::maxcompute
