#pragma once
// The Table Tunnel record stream (specs/maxcompute.md 3.6): the body of one
// block PUT (batch upload, 3.4), stream pack (4.1) or upsert PUT (4.2).
//
// A block is `record* trailer`. A record is, for each non-NULL column i in
// table order, a protobuf-style field numbered i+1, then the end-of-record
// tag and the record's CRC-32C; the trailer holds the record count and the
// CRC-32C of all record CRCs. Two layers:
//  - RecordStreamWriter writes fields of MaxCompute values (the wire format
//    and the checksums), with nothing to do with MySQL;
//  - RowEncoder turns a source row of Values into one record, following the
//    McColumn list of mc_types.hpp.
// Both append to a caller-owned string, so the sink decides where a block
// ends: after any record, look at the string's size, then Finish() the block.
//
// Not thread-safe: one writer per block, one RowEncoder per sink.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/charset_converter.hpp"
#include "core/status.hpp"
#include "core/value.hpp"
#include "sink/maxcompute/mc_time_zone.hpp"
#include "sink/maxcompute/mc_types.hpp"

namespace dbsync::maxcompute {

// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and
// final xor 0xFFFFFFFF; "123456789" gives 0xE3069283). Pass a previous result
// as `crc` to continue it over more bytes.
uint32_t Crc32c(std::string_view bytes, uint32_t crc = 0);

// Writes one block into `*out`, starting at its size when the writer is
// made. Until Finish() the caller may read `*out` but must not change it.
class RecordStreamWriter {
 public:
  explicit RecordStreamWriter(std::string* out);

  // Each adds field `field` (the 1-based column number) to the current
  // record. Fields of one record must come in increasing field order; a NULL
  // column is a field not added. The caller matches the method to the
  // column's type; nothing checks it here.
  void AddBoolean(int field, bool value);
  // TINYINT, SMALLINT, INT, BIGINT; DATE as days and DATETIME as milliseconds
  // since 1970-01-01 (UTC).
  void AddInteger(int field, int64_t value);
  void AddFloat(int field, float value);
  void AddDouble(int field, double value);
  // STRING, VARCHAR, CHAR, JSON (UTF-8), BINARY, and DECIMAL as plain decimal
  // text ("123.45", no exponent).
  void AddBytes(int field, std::string_view bytes);
  // TIMESTAMP: seconds since the epoch and nanoseconds 0..999999999.
  void AddTimestamp(int field, int64_t seconds, int32_t nanos);
  // ARRAY<BIGINT>; nullopt elements are NULL.
  void AddBigintArray(int field, std::span<const std::optional<int64_t>> elements);

  // Closes the current record (also one with no fields: every column NULL).
  void EndRecord();
  // Removes the fields added since the last EndRecord(), for a row that failed
  // half way: `*out` is as it was after the last record.
  void DiscardRecord();
  // Appends the trailer. The block is then complete; add nothing more.
  void Finish();

  int64_t record_count() const { return records_; }

 private:
  void Tag(int field, int wire_type);
  void AddFixed(int field, int wire_type, uint64_t bits, size_t bytes);
  void Varint(uint64_t value);
  void Checksum(std::string_view bytes);
  void ChecksumField(int field, std::string_view value_bytes);

  std::string* out_;
  size_t record_start_;
  uint32_t record_crc_;  // running CRC-32C register of the current record
  uint32_t block_crc_;   // running register over the record CRCs
  int64_t records_ = 0;
};

// The operation of an upsert session record (4.2): the value of __operation.
enum class UpsertOperation : int8_t { kUpsert = 'U', kDelete = 'D' };

// The default cell limit of STRING and BINARY values (5.2, 3.7).
inline constexpr size_t kMaxFieldBytes = 8 * 1024 * 1024;

// Encodes source rows as records. Value rules (docs/type_mapping.md):
// zero dates are NULL; text is converted to UTF-8 from the column's charset;
// DATETIME wall clocks are read in `project_zone`, the zone MaxCompute SQL
// shows DATETIME in (odps.sql.timezone).
class RowEncoder {
 public:
  explicit RowEncoder(TimeZone project_zone, size_t max_field_bytes = kMaxFieldBytes);

  // Appends one record: field i+1 is row[columns[i].source_index] written as
  // columns[i] says. On error nothing is appended; the message names the
  // column and says what is wrong with the value (a NULL or zero date in a
  // key column, a value outside the type's range or over max_field_bytes,
  // text that does not convert to UTF-8, a value of an unexpected kind).
  // A column whose source_index is row.size() + k takes extra[k] (the
  // change-log fields, mc_change_log.hpp); one with source_index -1 is NULL
  // (a column of the table the source does not have).
  Status AppendRow(const std::vector<Value>& row, const std::vector<McColumn>& columns, RecordStreamWriter* block,
                   std::span<const Value> extra = {});

  // The same for an upsert session: the row's fields, then the session's five
  // hidden columns numbered after them: __version and __app_version NULL,
  // __operation `op`, __key_cols NULL, __value_cols `value_cols` (the
  // column ids a partial update sets; empty: the full row).
  // A DELETE may carry NULL outside the key; key columns are never NULL.
  Status AppendUpsert(const std::vector<Value>& row, const std::vector<McColumn>& columns, UpsertOperation op,
                      RecordStreamWriter* block, std::span<const std::optional<int64_t>> value_cols = {});

 private:
  Status AppendRecord(const std::vector<Value>& row, std::span<const Value> extra, const std::vector<McColumn>& columns,
                      std::optional<UpsertOperation> op, RecordStreamWriter* block,
                      std::span<const std::optional<int64_t>> value_cols = {});
  Status AppendFields(const std::vector<Value>& row, std::span<const Value> extra,
                      const std::vector<McColumn>& columns, RecordStreamWriter* block);
  Status AppendValue(const Value& v, const McColumn& col, int field, RecordStreamWriter* block);
  Status AppendText(const Value& v, const McColumn& col, int field, RecordStreamWriter* block);
  Status TextOf(const Value& v, const McColumn& col);
  Result<int64_t> DateTimeMillis(const DateTime& t) const;

  TimeZone zone_;
  size_t max_field_bytes_;
  CharsetConverter charsets_;
  std::string scratch_;
};

// Appends `raw` compressed as a zlib stream (RFC 1950) at level 1: the body of
// a PUT with `Content-Encoding: deflate` (3.4, 6 #18; byte-identical to the
// SDKs' level-1 output). kInternal only when zlib fails.
Status AppendDeflated(std::string_view raw, std::string* out);

}  // namespace dbsync::maxcompute
