#pragma once
// The writers of one Tunnel session each: rows encoded into record streams
// (mc_record_encoder.hpp) of about kBlockBytes, sent as they fill, so memory
// stays bounded however large a chunk or a batch is.
//
// Record field i+1 is the session's column i, which is the table's order,
// not the source's: a column added with AFTER, or a table made by hand,
// puts columns elsewhere (InTableOrder).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_record_encoder.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/maxcompute/mc_upload.hpp"
#include "sink/maxcompute/mc_upsert.hpp"

namespace dbsync::maxcompute {

// Blocks and upsert packs are sent at about this size.
inline constexpr size_t kBlockBytes = 16 << 20;

// `mapped` (the source's columns, and the change-log fields) in the order of
// the table's columns `table_columns`; a column of the table the source does
// not have is written NULL. kFailedPrecondition when the table lacks one of
// `mapped`, naming it and the fix.
Result<std::vector<McColumn>> InTableOrder(const std::vector<SessionColumn>& table_columns,
                                           const std::vector<McColumn>& mapped, const std::string& table);

// One block of records being filled: the bytes and their writer.
class Block {
 public:
  explicit Block(size_t limit = kBlockBytes) : limit_(limit) { Reset(); }
  // The writer points into the bytes: a block stays where it was made.
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  RecordStreamWriter& writer() { return *writer_; }
  int64_t records() const { return writer_->record_count(); }
  bool full() const { return bytes_.size() >= limit_; }
  size_t bytes() const { return bytes_.size(); }
  // The finished record stream; the block is empty again after.
  std::string Finish();

 private:
  void Reset();
  size_t limit_;
  std::string bytes_;
  std::optional<RecordStreamWriter> writer_;
};

// A batch upload session being written: blocks 0, 1, ... in order.
class UploadWriter {
 public:
  UploadWriter(const Client& client, UploadSession session, std::vector<McColumn> columns, std::string where)
      : client_(&client), session_(std::move(session)), columns_(std::move(columns)), where_(std::move(where)) {}

  // Appends one record (`extra`: RowEncoder::AppendRow's).
  Status Add(RowEncoder& encoder, const std::vector<Value>& row, std::span<const Value> extra = {});
  // Sends the block being filled, if it holds any record.
  Status Flush();
  // Makes the blocks sent visible (call Flush first).
  Result<CommitOutcome> Commit() const { return client_->CommitUploadSession(session_, blocks_); }

  const UploadSession& session() const { return session_; }
  int64_t block_count() const { return int64_t(blocks_.size()); }
  // Bytes of records held, not sent yet.
  size_t buffered_bytes() const { return block_->bytes(); }

 private:
  const Client* client_;
  UploadSession session_;
  std::vector<McColumn> columns_;
  std::string where_;  // for messages: the table and chunk
  std::unique_ptr<Block> block_ = std::make_unique<Block>();
  std::vector<int64_t> blocks_;
};

// An upsert session being written, with one block per bucket being filled.
// The blocks of all buckets together hold about kBlockBytes: a pack leaves
// when its bucket's share is full, the rest with Flush, so the pieces of a
// batch fill the same packs.
class UpsertWriter {
 public:
  UpsertWriter(UpsertSession session, std::vector<McColumn> columns);
  UpsertSession& session() { return session_; }

  // `partial`: the record sets the columns the task writes and leaves the
  // table's others as they are (the session must allow partial updates).
  Status Add(RowEncoder& encoder, const std::vector<Value>& row, UpsertOperation op, bool partial = false);
  Status Flush();
  // Bytes of records held, not sent yet.
  size_t buffered_bytes() const;

 private:
  Status Send(int bucket, Block& block);

  UpsertSession session_;
  std::vector<McColumn> columns_;
  size_t pack_bytes_;
  std::vector<int> hash_at_;  // source indexes of the hash key columns, in hash_key order
  std::vector<std::optional<int64_t>> written_ids_;  // column ids of the columns the task writes
  std::vector<int32_t> hashes_;
  std::map<int, Block> blocks_;
};

}  // namespace dbsync::maxcompute
