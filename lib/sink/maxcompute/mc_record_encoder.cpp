#include "sink/maxcompute/mc_record_encoder.hpp"

#include <isa-l/crc.h>
#include <zlib.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/value_text.hpp"

namespace dbsync::maxcompute {
namespace {

// Reserved field numbers of the record stream (3.6).
constexpr int kEndRecordField = 33553408;
constexpr int kRecordCountField = 33554430;
constexpr int kBlockChecksumField = 33554431;

constexpr int kWireVarint = 0;
constexpr int kWireFixed64 = 1;
constexpr int kWireLengthDelimited = 2;  // also TIMESTAMP and ARRAY, which carry no length (3.6 quirks)
constexpr int kWireFixed32 = 5;

constexpr uint32_t kCrcRegisterStart = 0xFFFFFFFF;

uint64_t ZigZag64(int64_t n) { return (uint64_t(n) << 1) ^ uint64_t(n >> 63); }
uint32_t ZigZag32(int32_t n) { return (uint32_t(n) << 1) ^ uint32_t(n >> 31); }

// `bytes` little-endian bytes of `v`: the form every number takes in a CRC.
template <size_t bytes>
struct LittleEndian {
  char data[bytes];
  explicit LittleEndian(uint64_t v) {
    for (size_t i = 0; i < bytes; ++i) data[i] = char(v >> (8 * i));
  }
  std::string_view view() const { return {data, bytes}; }
};

// ISA-L's crc32_iscsi is CRC-32C with the register passed in and returned
// as is: it starts from 0xFFFFFFFF and the caller applies the final xor.
uint32_t UpdateCrcRegister(uint32_t reg, std::string_view bytes) {
  auto* data = reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data()));
  return crc32_iscsi(data, int(bytes.size()), reg);
}

}  // namespace

uint32_t Crc32c(std::string_view bytes, uint32_t crc) { return ~UpdateCrcRegister(~crc, bytes); }

// --- RecordStreamWriter ---------------------------------------------------

RecordStreamWriter::RecordStreamWriter(std::string* out)
    : out_(out), record_start_(out->size()), record_crc_(kCrcRegisterStart), block_crc_(kCrcRegisterStart) {}

void RecordStreamWriter::Varint(uint64_t value) {
  while (value >= 0x80) {
    out_->push_back(char(value | 0x80));
    value >>= 7;
  }
  out_->push_back(char(value));
}

void RecordStreamWriter::Tag(int field, int wire_type) { Varint(uint64_t(field) << 3 | unsigned(wire_type)); }

void RecordStreamWriter::Checksum(std::string_view bytes) { record_crc_ = UpdateCrcRegister(record_crc_, bytes); }

// A field's CRC input: its number as a little-endian int32, then the value
// (a number and a value of up to 8 bytes go to ISA-L in one call).
void RecordStreamWriter::ChecksumField(int field, std::string_view value_bytes) {
  char buf[12];
  std::memcpy(buf, LittleEndian<4>(uint32_t(field)).data, 4);
  if (value_bytes.size() <= 8) {
    if (!value_bytes.empty()) std::memcpy(buf + 4, value_bytes.data(), value_bytes.size());
    Checksum({buf, 4 + value_bytes.size()});
  } else {
    Checksum({buf, 4});
    Checksum(value_bytes);
  }
}

void RecordStreamWriter::AddBoolean(int field, bool value) {
  Tag(field, kWireVarint);
  Varint(value ? 1 : 0);
  ChecksumField(field, value ? std::string_view("\1", 1) : std::string_view("\0", 1));
}

void RecordStreamWriter::AddInteger(int field, int64_t value) {
  Tag(field, kWireVarint);
  Varint(ZigZag64(value));
  ChecksumField(field, LittleEndian<8>(uint64_t(value)).view());
}

void RecordStreamWriter::AddFloat(int field, float value) {
  AddFixed(field, kWireFixed32, std::bit_cast<uint32_t>(value), 4);
}

void RecordStreamWriter::AddDouble(int field, double value) {
  AddFixed(field, kWireFixed64, std::bit_cast<uint64_t>(value), 8);
}

// FLOAT and DOUBLE: their IEEE bits, little-endian, on the wire and in the CRC.
void RecordStreamWriter::AddFixed(int field, int wire_type, uint64_t bits, size_t bytes) {
  const LittleEndian<8> all(bits);
  const std::string_view value(all.data, bytes);
  Tag(field, wire_type);
  out_->append(value);
  ChecksumField(field, value);
}

void RecordStreamWriter::AddBytes(int field, std::string_view bytes) {
  Tag(field, kWireLengthDelimited);
  Varint(bytes.size());
  out_->append(bytes);
  ChecksumField(field, bytes);  // the bytes only, not their length
}

void RecordStreamWriter::AddTimestamp(int field, int64_t seconds, int32_t nanos) {
  Tag(field, kWireLengthDelimited);
  Varint(ZigZag64(seconds));
  Varint(ZigZag32(nanos));
  ChecksumField(field, LittleEndian<8>(uint64_t(seconds)).view());
  Checksum(LittleEndian<4>(uint32_t(nanos)).view());
}

void RecordStreamWriter::AddBigintArray(int field, std::span<const std::optional<int64_t>> elements) {
  Tag(field, kWireLengthDelimited);
  Varint(elements.size());
  ChecksumField(field, {});
  for (const auto& e : elements) {
    Varint(e ? 0 : 1);  // the null flag
    if (!e) continue;
    Varint(ZigZag64(*e));
    Checksum(LittleEndian<8>(uint64_t(*e)).view());  // element values only, no count or flags
  }
}

void RecordStreamWriter::EndRecord() {
  const uint32_t crc = ~record_crc_;
  Tag(kEndRecordField, kWireVarint);
  Varint(crc);
  block_crc_ = UpdateCrcRegister(block_crc_, LittleEndian<4>(crc).view());
  record_crc_ = kCrcRegisterStart;
  record_start_ = out_->size();
  ++records_;
}

void RecordStreamWriter::DiscardRecord() {
  out_->resize(record_start_);
  record_crc_ = kCrcRegisterStart;
}

void RecordStreamWriter::Finish() {
  Tag(kRecordCountField, kWireVarint);
  Varint(ZigZag64(records_));
  Tag(kBlockChecksumField, kWireVarint);
  Varint(~block_crc_);
}

// --- RowEncoder --------------------------------------------------------------

namespace {

// MaxCompute's ranges (5.2): BIGINT leaves out INT64_MIN.
struct IntegerRange {
  int64_t min, max;
};
IntegerRange RangeOf(McKind kind) {
  switch (kind) {
    case McKind::kTinyint: return {-128, 127};
    case McKind::kSmallint: return {-32768, 32767};
    case McKind::kInt: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default: return {std::numeric_limits<int64_t>::min() + 1, std::numeric_limits<int64_t>::max()};
  }
}

// DATE 0001-01-01 .. 9999-12-31; DATETIME the same days in milliseconds (5.2).
constexpr int64_t kMinDays = -719162;
constexpr int64_t kMaxDays = 2932896;
constexpr int64_t kMillisPerDay = 86400000;

Status KindMismatch(const Value& v, const McColumn& col) {
  return Status::Internal(std::string("a ") + ValueKindName(v.kind()) + " value cannot go to the MaxCompute " +
                          col.type + " column (the table's schema and the row disagree)");
}

// Whether `v` is NULL at the destination: NULL, and the zero dates MaxCompute
// has no value for.
bool IsNullAtDestination(const Value& v) {
  if (const auto* d = v.get_if<Date>()) return IsZeroDate(d->year, d->month, d->day);
  if (const auto* t = v.get_if<DateTime>()) return IsZeroDate(t->year, t->month, t->day);
  if (const auto* ts = v.get_if<Timestamp>()) return ts->epoch_seconds == 0 && ts->micros == 0;
  return v.is_null();
}

Result<int64_t> IntegerOf(const Value& v, const McColumn& col) {
  int64_t n;
  if (const auto* i = v.get_if<int64_t>()) {
    n = *i;
  } else if (v.get_if<uint64_t>() || v.get_if<Bit>()) {
    const uint64_t u = v.get_if<Bit>() ? v.as<Bit>().bits : v.as<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max()))
      return Status::FailedPrecondition("value " + std::to_string(u) + " does not fit MaxCompute's " + col.type);
    n = int64_t(u);
  } else if (const auto* y = v.get_if<Year>()) {
    n = y->value;
  } else {
    return KindMismatch(v, col);
  }
  const IntegerRange range = RangeOf(col.kind);
  if (n < range.min || n > range.max)
    return Status::FailedPrecondition("value " + std::to_string(n) + " is outside MaxCompute's " + col.type +
                                      " range " + std::to_string(range.min) + ".." + std::to_string(range.max));
  return n;
}

// MySQL TIME as '[-]HH:MM:SS[.ffffff]' (a duration: hours up to 838).
void AppendTimeText(const Time& t, std::string* out) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%s%02u:%02u:%02u", t.negative ? "-" : "", t.hours, unsigned(t.minutes),
                        unsigned(t.seconds));
  out->append(buf, size_t(n));
  AppendFraction(t.micros, out);
}

size_t CodePoints(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

Status BinaryOf(const Value& v, const McColumn& col, std::string* out) {
  if (const auto* b = v.get_if<Bytes>()) {
    *out = b->data;
  } else if (const auto* g = v.get_if<Geometry>()) {
    out->append(LittleEndian<4>(g->srid).view());  // MySQL's form: SRID, then WKB
    *out += g->wkb;
  } else {
    return KindMismatch(v, col);
  }
  return Status::Ok();
}

// DECIMAL(p,s) as plain decimal text; BIGINT UNSIGNED and BIT(64) are DECIMAL(20,0).
Status DecimalTextOf(const Value& v, const McColumn& col, std::string* out) {
  if (const auto* d = v.get_if<Decimal>()) {
    *out = d->text;
  } else if (const auto* u = v.get_if<uint64_t>()) {
    AppendNumber(*u, out);
  } else if (const auto* bit = v.get_if<Bit>()) {
    AppendNumber(bit->bits, out);
  } else {
    return KindMismatch(v, col);
  }
  return Status::Ok();
}

}  // namespace

RowEncoder::RowEncoder(TimeZone project_zone, size_t max_field_bytes)
    : zone_(std::move(project_zone)), max_field_bytes_(max_field_bytes) {}

Status RowEncoder::AppendRow(const std::vector<Value>& row, const std::vector<McColumn>& columns,
                             RecordStreamWriter* block, std::span<const Value> extra) {
  return AppendRecord(row, extra, columns, std::nullopt, block);
}

Status RowEncoder::AppendUpsert(const std::vector<Value>& row, const std::vector<McColumn>& columns,
                                UpsertOperation op, RecordStreamWriter* block,
                                std::span<const std::optional<int64_t>> value_cols) {
  return AppendRecord(row, {}, columns, op, block, value_cols);
}

Status RowEncoder::AppendRecord(const std::vector<Value>& row, std::span<const Value> extra,
                                const std::vector<McColumn>& columns, std::optional<UpsertOperation> op,
                                RecordStreamWriter* block, std::span<const std::optional<int64_t>> value_cols) {
  Status s = AppendFields(row, extra, columns, block);
  if (!s.ok()) {
    block->DiscardRecord();
    return s;
  }
  if (op) {
    // The upsert session's hidden columns N+1..N+5 (4.2): __version,
    // __app_version, __operation, __key_cols, __value_cols.
    const int n = int(columns.size());
    block->AddInteger(n + 3, int64_t(*op));
    block->AddBigintArray(n + 5, value_cols);
  }
  block->EndRecord();
  return Status::Ok();
}

Status RowEncoder::AppendFields(const std::vector<Value>& row, std::span<const Value> extra,
                                const std::vector<McColumn>& columns, RecordStreamWriter* block) {
  for (size_t i = 0; i < columns.size(); ++i) {
    const McColumn& col = columns[i];
    if (col.source_index < 0) continue;  // not in the source: NULL
    const size_t at = size_t(col.source_index);
    if (at >= row.size() + extra.size())
      return Status::Internal("row has " + std::to_string(row.size()) + " values, column " + col.name + " is missing");
    const Value& v = at < row.size() ? row[at] : extra[at - row.size()];
    if (IsNullAtDestination(v)) {
      if (!col.key) continue;
      return Status::FailedPrecondition(
          "column " + col.name + " is part of the key, and a MaxCompute key cannot be NULL" +
          (v.is_null() ? "" : ", which the zero date " + v.ToString() + " becomes") +
          "; correct the row in MySQL or choose other key columns with tables[].primary_key");
    }
    SYNC_RETURN_IF_ERROR(AppendValue(v, col, int(i) + 1, block).WithContext("column " + col.name));
  }
  return Status::Ok();
}

Status RowEncoder::AppendValue(const Value& v, const McColumn& col, int field, RecordStreamWriter* block) {
  switch (col.kind) {
    case McKind::kBoolean:
      if (v.get_if<Bit>()) block->AddBoolean(field, v.as<Bit>().bits != 0);
      else if (v.get_if<int64_t>()) block->AddBoolean(field, v.as<int64_t>() != 0);
      else return KindMismatch(v, col);
      return Status::Ok();
    case McKind::kTinyint:
    case McKind::kSmallint:
    case McKind::kInt:
    case McKind::kBigint: {
      SYNC_ASSIGN_OR_RETURN(int64_t n, IntegerOf(v, col));
      block->AddInteger(field, n);
      return Status::Ok();
    }
    case McKind::kFloat:
    case McKind::kDouble: {
      const float* f = v.get_if<float>();
      const double* d = v.get_if<double>();
      if (!f && !d) return KindMismatch(v, col);
      const double x = f ? double(*f) : *d;
      col.kind == McKind::kFloat ? block->AddFloat(field, float(x)) : block->AddDouble(field, x);
      return Status::Ok();
    }
    case McKind::kDate: {
      const Date* d = v.get_if<Date>();
      if (!d) return KindMismatch(v, col);
      block->AddInteger(field, DaysFromCivil(d->year, d->month, d->day));
      return Status::Ok();
    }
    case McKind::kDateTime: {
      const DateTime* t = v.get_if<DateTime>();
      if (!t) return KindMismatch(v, col);
      SYNC_ASSIGN_OR_RETURN(int64_t ms, DateTimeMillis(*t));
      block->AddInteger(field, ms);
      return Status::Ok();
    }
    case McKind::kTimestamp: {
      const Timestamp* ts = v.get_if<Timestamp>();
      if (!ts) return KindMismatch(v, col);
      block->AddTimestamp(field, ts->epoch_seconds, int32_t(ts->micros * 1000));
      return Status::Ok();
    }
    case McKind::kBigintArray:
      return Status::Internal("ARRAY<BIGINT> has no Value form; write it with RecordStreamWriter::AddBigintArray");
    default:
      return AppendText(v, col, field, block);
  }
}

// The kinds written as bytes: DECIMAL text, text types, BINARY.
Status RowEncoder::AppendText(const Value& v, const McColumn& col, int field, RecordStreamWriter* block) {
  scratch_.clear();
  if (col.kind == McKind::kBinary) {
    SYNC_RETURN_IF_ERROR(BinaryOf(v, col, &scratch_));
  } else if (col.kind == McKind::kDecimal) {
    SYNC_RETURN_IF_ERROR(DecimalTextOf(v, col, &scratch_));
  } else {
    SYNC_RETURN_IF_ERROR(TextOf(v, col));
  }
  if (scratch_.size() > max_field_bytes_)
    return Status::FailedPrecondition("a value of " + std::to_string(scratch_.size()) +
                                      " bytes is over MaxCompute's cell limit of " + std::to_string(max_field_bytes_) +
                                      " bytes");
  if ((col.kind == McKind::kVarchar || col.kind == McKind::kChar) && CodePoints(scratch_) > size_t(col.precision))
    return Status::FailedPrecondition("a value of " + std::to_string(CodePoints(scratch_)) +
                                      " characters does not fit " + col.type);
  block->AddBytes(field, scratch_);
  return Status::Ok();
}

// Text as UTF-8 into scratch_: character data converted from its charset,
// and the MySQL types MaxCompute holds as STRING.
Status RowEncoder::TextOf(const Value& v, const McColumn& col) {
  if (const auto* b = v.get_if<Bytes>()) {
    if (b->is_binary()) {
      scratch_ = b->data;
      return Status::Ok();
    }
    std::string_view charset = col.charset.empty() && b->collation != kUnknownCollation
                                   ? CharsetOfCollation(b->collation)
                                   : std::string_view(col.charset);
    return charsets_.AppendUtf8(charset.empty() ? "utf8mb4" : charset, b->data, &scratch_);
  }
  if (const auto* d = v.get_if<Decimal>()) {
    scratch_ = d->text;  // a DECIMAL too wide for MaxCompute's
  } else if (const auto* t = v.get_if<Time>()) {
    AppendTimeText(*t, &scratch_);
  } else if (const auto* e = v.get_if<Enum>()) {
    if (e->index != 0 && e->label.empty())
      return Status::FailedPrecondition("ENUM value " + std::to_string(e->index) + " has no known label");
    scratch_ = e->label;
  } else if (const auto* s = v.get_if<Set>()) {
    if (s->mask != 0 && !s->has_labels)
      return Status::FailedPrecondition("SET value " + std::to_string(s->mask) + " has no known labels");
    for (const auto& label : s->labels) scratch_.append(scratch_.empty() ? "" : ",").append(label);
  } else if (const auto* j = v.get_if<Json>()) {
    scratch_ = j->text;
  } else {
    return KindMismatch(v, col);
  }
  return Status::Ok();
}

Result<int64_t> RowEncoder::DateTimeMillis(const DateTime& t) const {
  const int64_t days = DaysFromCivil(t.year, t.month, t.day);
  const int64_t local = days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
  // MaxCompute keeps milliseconds: finer digits are dropped, never rounded
  // up into the next second (or day).
  const int64_t ms = zone_.LocalToUtc(local) * 1000 + t.micros / 1000;
  if (ms < kMinDays * kMillisPerDay || ms >= (kMaxDays + 1) * kMillisPerDay) {
    std::string text;
    AppendDateTime(t, &text);
    return Status::FailedPrecondition("DATETIME " + text + " in the project's time zone " + zone_.name() +
                                      " is outside MaxCompute's range 0001-01-01 .. 9999-12-31 (UTC)");
  }
  return ms;
}

// --- deflate -------------------------------------------------------------------

Status AppendDeflated(std::string_view raw, std::string* out) {
  const size_t at = out->size();
  uLongf size = compressBound(uLong(raw.size()));
  out->resize(at + size);
  const int rc = compress2(reinterpret_cast<Bytef*>(out->data() + at), &size,
                           reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()), 1);
  if (rc != Z_OK) {
    out->resize(at);
    return Status::Internal("zlib compress2 failed with code " + std::to_string(rc));
  }
  out->resize(at + size);
  return Status::Ok();
}

}  // namespace dbsync::maxcompute
