#pragma once
// BinlogDecoder: raw event bytes to typed events. Knows nothing about files or
// sockets, so a binlog file and a live replication stream go through the same
// code. https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html
//
// The decoder is a function of the bytes plus the context the binlog itself
// carries: the latest FORMAT_DESCRIPTION (post-header lengths, checksum
// algorithm) and the TABLE_MAPs seen so far (rows events refer to them by
// table id). Feed it every event of a stream in order.
//
// Errors: a corrupt, truncated or checksum-failing event gives kCorruption
// whose message names the source (file name, when set) and the byte position
// of the event and, where known, of the bad byte. A rows event whose
// TABLE_MAP was never seen (a dump started mid-transaction) gives kNotFound.
// An unsupported column type gives kFailedPrecondition. Event types we do not
// know are returned as UnknownEvent, skipped by their length.
//
// Not thread-safe; one decoder per stream.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>

#include "core/status.hpp"
#include "source/mysql/binlog/binlog_event.hpp"

namespace dbsync::binlog {

struct DecoderOptions {
  // Verify CRC32 checksums when the FORMAT_DESCRIPTION says they are present.
  bool verify_checksum = true;
  // Checksum algorithm to assume before a FORMAT_DESCRIPTION arrives (a live
  // stream's first fake ROTATE); kUndefined = guess from the event length.
  ChecksumAlgorithm initial_checksum = ChecksumAlgorithm::kUndefined;
  // Upper bound for a decompressed transaction payload or MariaDB compressed
  // event, so a hostile length cannot exhaust memory. MySQL's own limit is 1 GiB.
  size_t max_uncompressed_size = size_t(1) << 30;
  // Named in error messages ("binlog.000003: event at 1234: ...").
  std::string source_name;
  // Called on every decoded TABLE_MAP before rows use it: schema tracking
  // fills in what the binlog lacks (signedness, names, enum/set labels and
  // charsets on MySQL 5.x and MariaDB without binlog_row_metadata=FULL).
  // It must not change the column count or types.
  std::function<void(TableMap&)> table_map_hook;
};

class BinlogDecoder {
 public:
  explicit BinlogDecoder(DecoderOptions options = {});

  // Decodes one whole event (common header through checksum) that starts at
  // byte `position` of its file or stream.
  Result<BinlogEvent> Decode(std::span<const uint8_t> event, uint64_t position);

  // The FORMAT_DESCRIPTION in force (a v4 default until one is decoded).
  const FormatDescriptionEvent& format() const { return format_; }
  ChecksumAlgorithm checksum() const { return checksum_; }
  void set_source_name(std::string name) { options_.source_name = std::move(name); }
  // Replaces a table's layout, e.g. with names and signedness from
  // information_schema when the binlog has no optional metadata.
  void PutTableMap(std::shared_ptr<const TableMap> table);
  std::shared_ptr<const TableMap> FindTable(uint64_t table_id) const;

 private:
  Result<BinlogEvent> DecodeInner(std::span<const uint8_t> event, uint64_t position, bool in_payload);
  Result<EventBody> DecodeBody(const EventHeader& header, std::span<const uint8_t> body, bool in_payload);
  Result<EventBody> DecodeFormatDescription(std::span<const uint8_t> body);
  Result<EventBody> DecodeTransactionPayload(const EventHeader& header, std::span<const uint8_t> body);
  Result<EventBody> DecodeRows(const EventHeader& header, std::span<const uint8_t> body);
  std::string Where(uint64_t position, EventType type, bool in_payload) const;

  DecoderOptions options_;
  FormatDescriptionEvent format_;
  ChecksumAlgorithm checksum_;
  std::unordered_map<uint64_t, std::shared_ptr<const TableMap>> tables_;
};

// CRC32 (zlib's polynomial) as MySQL uses for binlog_checksum=CRC32.
uint32_t BinlogCrc32(std::span<const uint8_t> bytes);

}  // namespace dbsync::binlog
