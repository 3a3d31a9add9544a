#include "source/mysql/binlog/rows_decoder.hpp"

#include <zlib.h>

#include "core/byte_reader.hpp"
#include "source/mysql/binlog/json_binary.hpp"
#include "source/mysql/binlog/json_diff.hpp"
#include "source/mysql/binlog/value_decoder.hpp"

namespace dbsync::binlog {
namespace {

constexpr uint64_t kPartialJsonUpdates = 1;  // binlog_row_value_options bit
constexpr uint64_t kDummyTableId = 0xFFFFFF;

struct Shape {
  RowsKind kind;
  int version;
  bool compressed;
};

Shape ShapeOf(EventType type) {
  switch (type) {
    case EventType::kWriteRowsV1: return {RowsKind::kInsert, 1, false};
    case EventType::kUpdateRowsV1: return {RowsKind::kUpdate, 1, false};
    case EventType::kDeleteRowsV1: return {RowsKind::kDelete, 1, false};
    case EventType::kWriteRowsCompressedV1: return {RowsKind::kInsert, 1, true};
    case EventType::kUpdateRowsCompressedV1: return {RowsKind::kUpdate, 1, true};
    case EventType::kDeleteRowsCompressedV1: return {RowsKind::kDelete, 1, true};
    case EventType::kWriteRowsCompressed: return {RowsKind::kInsert, 2, true};
    case EventType::kUpdateRowsCompressed: return {RowsKind::kUpdate, 2, true};
    case EventType::kDeleteRowsCompressed: return {RowsKind::kDelete, 2, true};
    case EventType::kWriteRowsV2: return {RowsKind::kInsert, 2, false};
    case EventType::kUpdateRowsV2:
    case EventType::kPartialUpdateRows: return {RowsKind::kUpdate, 2, false};
    default: return {RowsKind::kDelete, 2, false};
  }
}

std::vector<bool> ReadBitmap(ByteReader& r, size_t bits) {
  auto bytes = r.ReadBytes((bits + 7) / 8);
  std::vector<bool> out(bits, false);
  if (!r.ok()) return out;
  for (size_t i = 0; i < bits; ++i) out[i] = (bytes[i / 8] >> (i % 8)) & 1;
  return out;
}

class ImageReader {
 public:
  ImageReader(ByteReader& r, const TableMap& table, const RowsDecodeContext& ctx, uint64_t base)
      : r_(r), table_(table), ctx_(ctx), base_(base) {}

  // `present` lists the indexes of the columns the image carries, in order.
  Status Read(const std::vector<uint32_t>& present, bool partial_after, size_t row, std::vector<Value>* out,
              RowChange* change) {
    const size_t ncols = table_.columns.size();
    // Only PARTIAL_UPDATE_ROWS after-images can carry JSON diffs: no per-row
    // allocation for the common case.
    std::vector<bool> partial_json;
    if (partial_after) {
      partial_json.assign(ncols, false);
      uint64_t options = r_.ReadLengthEncoded();
      if (options & kPartialJsonUpdates) {
        std::vector<bool> bits = ReadBitmap(r_, table_.JsonColumnCount());
        size_t j = 0;
        for (size_t i = 0; i < ncols; ++i)
          if (table_.columns[i].real_type == ColumnType::kJson) partial_json[i] = bits[j++];
      }
    }
    // The NULL bitmap is read in place rather than unpacked into a vector.
    std::span<const uint8_t> nulls = r_.ReadBytes((present.size() + 7) / 8);
    if (!r_.ok()) return Error(row, -1, "row image header is truncated");
    out->resize(ncols);
    size_t k = 0;
    for (const uint32_t i : present) {
      const bool is_null = (nulls[k / 8] >> (k % 8)) & 1;
      ++k;
      if (is_null) continue;
      const size_t at = r_.position();
      Status st = !partial_json.empty() && partial_json[i] ? ReadJsonDiffs(i, change, &(*out)[i])
                                                           : DecodeColumnValue(r_, table_.columns[i], &(*out)[i]);
      if (!st.ok()) [[unlikely]]
        return Error(row, int(i), st.message(), at, st.code());
    }
    return Status::Ok();
  }

 private:
  // Json_diff_vector::write_binary: a 4-byte length, then diffs of
  // (operation, lenenc path, [lenenc binary JSON value]).
  Status ReadJsonDiffs(size_t column, RowChange* change, Value* out) {
    const uint32_t length = r_.ReadU32();
    ByteReader d(r_.ReadBytes(length));
    if (!r_.ok()) return Status::Corruption("JSON diff runs past the end of the event");
    std::vector<JsonDiff> diffs;
    while (!d.AtEnd()) {
      JsonDiff diff;
      const uint8_t op = d.ReadU8();
      if (op > 2) return Status::Corruption("unknown JSON diff operation " + std::to_string(op));
      diff.op = static_cast<JsonDiff::Op>(op);
      diff.path = std::string(d.ReadString(d.ReadLengthEncoded()));
      if (diff.op != JsonDiff::Op::kRemove) {
        auto value = d.ReadBytes(d.ReadLengthEncoded());
        if (!d.ok()) break;
        SYNC_ASSIGN_OR_RETURN(diff.value, JsonBinaryToText(value));
      }
      if (!d.ok()) break;
      diffs.push_back(std::move(diff));
    }
    if (!d.ok()) return Status::Corruption("JSON diff is truncated");
    *out = Json{RenderJsonDiffs(column, diffs)};
    change->json_diffs.emplace_back(static_cast<uint32_t>(column), std::move(diffs));
    return Status::Ok();
  }

  Status Error(size_t row, int column, const std::string& what, size_t at = SIZE_MAX,
               StatusCode code = StatusCode::kCorruption) const {
    std::string where = "row " + std::to_string(row + 1);
    if (column >= 0) {
      where += " column @" + std::to_string(column + 1) + " (" +
               ColumnTypeName(table_.columns[column].real_type) + ")";
    }
    const uint64_t pos = (at == SIZE_MAX ? r_.position() : at) + base_;
    std::string msg = "rows event for `" + table_.database + "`.`" + table_.table + "`: " + where +
                      " at byte " + std::to_string(pos) + ": " + what;
    return Status(code == StatusCode::kOk ? StatusCode::kCorruption : code, msg);
  }

  ByteReader& r_;
  const TableMap& table_;
  const RowsDecodeContext& ctx_;
  uint64_t base_;
};

}  // namespace

Result<std::vector<uint8_t>> MariadbUncompress(std::span<const uint8_t> data, size_t max_size) {
  ByteReader r(data);
  const uint8_t header = r.ReadU8();
  const size_t width = header & 0x07;
  if (width < 1 || width > 4) return Status::Corruption("compressed event header has length width " + std::to_string(width));
  const uint64_t size = r.ReadUintBigEndian(width);
  if (!r.ok()) return Status::Corruption("compressed event header is truncated");
  if (size > max_size) return Status::Corruption("compressed event claims " + std::to_string(size) + " bytes");
  std::vector<uint8_t> out(size);
  auto in = r.ReadRest();
  uLongf out_len = size;
  int rc = uncompress(out.data(), &out_len, in.data(), in.size());
  if (rc != Z_OK || out_len != size) return Status::Corruption("compressed event does not inflate (zlib error " + std::to_string(rc) + ")");
  return out;
}

Result<RowsEvent> DecodeRowsEvent(std::span<const uint8_t> body, const RowsDecodeContext& ctx) {
  const Shape shape = ShapeOf(ctx.type);
  RowsEvent ev;
  ev.kind = shape.kind;
  ev.version = shape.version;
  ev.compressed = shape.compressed;
  ev.partial_json = ctx.type == EventType::kPartialUpdateRows;

  ByteReader r(body);
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption(std::string(EventTypeName(ctx.type)) + " " + what + " at byte " +
                              std::to_string(ctx.body_position + r.position()));
  };
  ev.table_id = r.ReadUint(ctx.table_id_size);
  ev.flags = r.ReadU16();
  if (shape.version == 2) {
    const uint16_t extra = r.ReadU16();  // includes its own two bytes
    if (extra < 2) return corrupt("extra-data length " + std::to_string(extra) + " is invalid");
    r.Skip(extra - 2);
  }
  if (!r.ok()) return corrupt("post-header is truncated");
  if (ev.table_id == kDummyTableId && r.AtEnd()) return ev;  // statement-end marker without rows
  ev.table = ctx.lookup ? ctx.lookup(ev.table_id) : nullptr;
  if (!ev.table) {
    return Status::NotFound(std::string(EventTypeName(ctx.type)) + " at byte " +
                            std::to_string(ctx.body_position) + " refers to table id " +
                            std::to_string(ev.table_id) + " with no TABLE_MAP before it");
  }
  const TableMap& table = *ev.table;
  const uint64_t width = r.ReadLengthEncoded();
  if (!r.ok()) return corrupt("column count is truncated");
  if (width != table.columns.size()) {
    return corrupt("has " + std::to_string(width) + " columns but the TABLE_MAP of `" + table.database + "`.`" +
                   table.table + "` has " + std::to_string(table.columns.size()));
  }
  ev.before_columns = ReadBitmap(r, width);
  if (shape.kind == RowsKind::kUpdate) {
    ev.after_columns = ReadBitmap(r, width);
  } else {
    ev.after_columns = ev.before_columns;
  }
  if (!r.ok()) return corrupt("column bitmaps are truncated");
  for (size_t i = 0; i < width; ++i) {
    if (!ev.before_columns[i] || !ev.after_columns[i]) ev.full_image = false;
  }

  std::vector<uint8_t> inflated;
  std::span<const uint8_t> rows = r.ReadRest();
  uint64_t rows_base = ctx.body_position + (body.size() - rows.size());
  if (shape.compressed) {
    SYNC_ASSIGN_OR_RETURN(inflated, MariadbUncompress(rows, ctx.max_uncompressed_size));
    rows = inflated;
    rows_base = 0;  // positions inside inflated data are not file positions
  }
  auto indexes = [](const std::vector<bool>& bits) {
    std::vector<uint32_t> present;
    for (uint32_t i = 0; i < bits.size(); ++i)
      if (bits[i]) present.push_back(i);
    return present;
  };
  const std::vector<uint32_t> before_present = indexes(ev.before_columns);
  const std::vector<uint32_t> after_present = indexes(ev.after_columns);
  ByteReader rr(rows);
  ImageReader images(rr, table, ctx, rows_base);
  while (!rr.AtEnd()) {
    const size_t row_start = rr.position();
    RowChange change;
    const size_t n = ev.rows.size();
    if (shape.kind != RowsKind::kInsert) {
      SYNC_RETURN_IF_ERROR(images.Read(before_present, false, n, &change.before, &change));
    }
    if (shape.kind != RowsKind::kDelete) {
      SYNC_RETURN_IF_ERROR(images.Read(after_present, ev.partial_json, n, &change.after, &change));
    }
    // An image of zero present columns takes no bytes: leftover bytes then
    // would loop forever instead of being the corruption they are.
    if (rr.position() == row_start) return corrupt("has rows that take no bytes");
    if (!change.json_diffs.empty()) ApplyJsonDiffs(&change);
    ev.rows.push_back(std::move(change));
    // Rows of one event are usually alike: size the vector once from the first.
    if (n == 0) ev.rows.reserve(std::min<size_t>(65536, 1 + rr.remaining() / (rr.position() - row_start)));
  }
  return ev;
}

}  // namespace dbsync::binlog
