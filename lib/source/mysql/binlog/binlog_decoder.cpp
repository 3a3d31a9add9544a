#include "source/mysql/binlog/binlog_decoder.hpp"

#include <isa-l/crc.h>
#include <zstd.h>

#include <cstdio>

#include "core/byte_reader.hpp"
#include "source/mysql/binlog/event_decoders.hpp"
#include "source/mysql/binlog/rows_decoder.hpp"

namespace dbsync::binlog {
namespace {

constexpr size_t kServerVersionLength = 50;
constexpr uint8_t kZstdCompression = 0;
constexpr uint8_t kNoCompression = 255;
constexpr size_t kFlagsOffset = 17;
constexpr uint8_t kBinlogInUseFlag = 0x01;

// True for servers that append the checksum algorithm (and a CRC) to the
// FORMAT_DESCRIPTION: MySQL >= 5.6.1 and every MariaDB >= 5.3.
bool HasChecksumAlgorithm(const std::string& version) {
  int major = 0, minor = 0, patch = 0;
  std::sscanf(version.c_str(), "%d.%d.%d", &major, &minor, &patch);
  if (version.find("MariaDB") != std::string::npos) return major > 5 || (major == 5 && minor >= 3);
  return major > 5 || (major == 5 && (minor > 6 || (minor == 6 && patch >= 1)));
}

EventHeader ReadHeader(std::span<const uint8_t> event, uint64_t position) {
  ByteReader r(event);
  EventHeader h;
  h.timestamp = r.ReadU32();
  h.type = static_cast<EventType>(r.ReadU8());
  h.server_id = r.ReadU32();
  h.event_length = r.ReadU32();
  h.next_position = r.ReadU32();
  h.flags = r.ReadU16();
  h.position = position;
  return h;
}

uint32_t StoredCrc(std::span<const uint8_t> event) {
  ByteReader r(event.subspan(event.size() - kChecksumSize));
  return r.ReadU32();
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

// The binlog checksum is zlib's CRC-32 (the gzip polynomial, reflected);
// ISA-L's crc32_gzip_refl computes the same value with PCLMULQDQ, and every
// event of the stream passes through here.
uint32_t BinlogCrc32(std::span<const uint8_t> bytes) {
  return crc32_gzip_refl(0, bytes.data(), bytes.size());
}

BinlogDecoder::BinlogDecoder(DecoderOptions options)
    : options_(std::move(options)), checksum_(options_.initial_checksum) {}

void BinlogDecoder::PutTableMap(std::shared_ptr<const TableMap> table) {
  const uint64_t id = table->table_id;
  tables_[id] = std::move(table);
}

std::shared_ptr<const TableMap> BinlogDecoder::FindTable(uint64_t table_id) const {
  auto it = tables_.find(table_id);
  return it == tables_.end() ? nullptr : it->second;
}

std::string BinlogDecoder::Where(uint64_t position, EventType type, bool in_payload) const {
  // Events inside a TRANSACTION_PAYLOAD have no file position of their own:
  // the payload's location is added around them.
  if (in_payload) return std::string(EventTypeName(type)) + ": ";
  std::string where = options_.source_name.empty() ? "binlog" : options_.source_name;
  return where + ": event at position " + std::to_string(position) + " (" + EventTypeName(type) + "): ";
}

Result<BinlogEvent> BinlogDecoder::Decode(std::span<const uint8_t> event, uint64_t position) {
  return DecodeInner(event, position, false);
}

Result<BinlogEvent> BinlogDecoder::DecodeInner(std::span<const uint8_t> event, uint64_t position,
                                               bool in_payload) {
  auto Error = [&](uint64_t, EventType type, const std::string& what) {
    return Status::Corruption(Where(position, type, in_payload) + what);
  };
  if (event.size() < kEventHeaderSize) {
    return Error(position, EventType::kUnknown,
                 "only " + std::to_string(event.size()) + " bytes, shorter than an event header");
  }
  BinlogEvent out;
  out.header = ReadHeader(event, position);
  const EventType type = out.header.type;
  if (out.header.event_length != event.size()) {
    return Error(position, type,
                 "header says " + std::to_string(out.header.event_length) + " bytes but the event has " +
                     std::to_string(event.size()));
  }

  if (type == EventType::kFormatDescription) {
    if (in_payload) return Error(position, type, "FORMAT_DESCRIPTION inside a payload");
    auto fde = DecodeFormatDescription(event);
    if (!fde.ok()) return Error(position, type, fde.status().message());
    out.body = std::move(fde).value();
    return out;
  }

  const bool has_crc = !in_payload && checksum_ == ChecksumAlgorithm::kCrc32;
  const size_t header_len = format_.header_length;
  const size_t trailer = has_crc ? kChecksumSize : 0;
  if (event.size() < header_len + trailer) return Error(position, type, "event is shorter than its header and checksum");
  if (has_crc && options_.verify_checksum) {
    const uint32_t stored = StoredCrc(event);
    const uint32_t computed = BinlogCrc32(event.first(event.size() - kChecksumSize));
    if (stored != computed) {
      return Error(position, type, "checksum mismatch: stored " + Hex32(stored) + ", computed " + Hex32(computed));
    }
  }
  auto body = event.subspan(header_len, event.size() - header_len - trailer);
  auto decoded = DecodeBody(out.header, body, in_payload);
  if (!decoded.ok()) {
    const Status& st = decoded.status();
    return Status(st.code(), Where(position, type, in_payload) + st.message());
  }
  out.body = std::move(decoded).value();
  return out;
}

Result<EventBody> BinlogDecoder::DecodeFormatDescription(std::span<const uint8_t> event) {
  ByteReader r(event.subspan(kEventHeaderSize));
  FormatDescriptionEvent f;
  f.binlog_version = r.ReadU16();
  auto version = r.ReadString(kServerVersionLength);
  f.server_version = std::string(version.substr(0, version.find('\0')));
  f.create_timestamp = r.ReadU32();
  f.header_length = r.ReadU8();
  if (!r.ok()) return Status::Corruption("event is truncated");
  if (f.header_length < kEventHeaderSize) {
    return Status::Corruption("declares a header of " + std::to_string(f.header_length) + " bytes");
  }
  auto rest = r.ReadRest();
  f.checksum = ChecksumAlgorithm::kOff;
  if (HasChecksumAlgorithm(f.server_version)) {
    if (rest.size() < 1 + kChecksumSize) return Status::Corruption("event is truncated");
    f.checksum = static_cast<ChecksumAlgorithm>(rest[rest.size() - 1 - kChecksumSize]);
    rest = rest.first(rest.size() - 1 - kChecksumSize);
    // The FORMAT_DESCRIPTION carries a CRC even when checksums are off for the rest.
    if (options_.verify_checksum && f.checksum != ChecksumAlgorithm::kUndefined) {
      // The server sets LOG_EVENT_BINLOG_IN_USE_F in a live file's FDE after
      // computing the CRC, so the CRC covers the flags with that bit clear.
      std::vector<uint8_t> copy(event.begin(), event.end() - kChecksumSize);
      copy[kFlagsOffset] &= static_cast<uint8_t>(~kBinlogInUseFlag);
      const uint32_t stored = StoredCrc(event);
      const uint32_t computed = BinlogCrc32(copy);
      if (stored != computed) {
        return Status::Corruption("checksum mismatch: stored " + Hex32(stored) + ", computed " + Hex32(computed));
      }
    }
    if (f.checksum != ChecksumAlgorithm::kOff && f.checksum != ChecksumAlgorithm::kCrc32) {
      return Status::Corruption("unknown checksum algorithm " + std::to_string(int(f.checksum)));
    }
  }
  f.post_header_lengths.assign(rest.begin(), rest.end());
  format_ = f;
  checksum_ = f.checksum;
  tables_.clear();  // table ids are only meaningful within one binlog
  return EventBody(std::move(f));
}

Result<EventBody> BinlogDecoder::DecodeBody(const EventHeader& header, std::span<const uint8_t> body,
                                            bool in_payload) {
  const EventType type = header.type;
  switch (type) {
    case EventType::kRotate: return DecodeRotate(body);
    case EventType::kQuery:
    case EventType::kQueryCompressed:
      return DecodeQuery(body, format_.PostHeaderLength(EventType::kQuery, 13),
                         type == EventType::kQueryCompressed, options_.max_uncompressed_size);
    case EventType::kXid: return DecodeXid(body);
    case EventType::kGtid: return DecodeGtid(body, false);
    case EventType::kAnonymousGtid: return DecodeGtid(body, true);
    case EventType::kGtidTagged: return DecodeGtidTagged(body);
    case EventType::kPreviousGtids: return DecodePreviousGtids(body);
    case EventType::kXaPrepare: return DecodeXaPrepare(body);
    case EventType::kMariadbGtid: return DecodeMariadbGtid(body, header.server_id);
    case EventType::kMariadbGtidList: return DecodeMariadbGtidList(body);
    case EventType::kBinlogCheckpoint: return DecodeBinlogCheckpoint(body);
    case EventType::kRowsQuery: return DecodeRowsQuery(body, true);
    case EventType::kAnnotateRows: return DecodeRowsQuery(body, false);
    case EventType::kHeartbeat: return DecodeHeartbeat(body, header.next_position, false);
    case EventType::kHeartbeatV2: return DecodeHeartbeat(body, header.next_position, true);
    case EventType::kIntvar: return DecodeIntvar(body);
    case EventType::kIncident: return DecodeIncident(body);
    case EventType::kStop: return EventBody(StopEvent{});
    case EventType::kStartEncryption:
      return Status::FailedPrecondition("the binlog is encrypted (encrypt_binlog=ON); decoding it is not supported");
    case EventType::kTableMap: {
      const size_t id_size = format_.PostHeaderLength(type, 8) == 6 ? 4 : 6;
      SYNC_ASSIGN_OR_RETURN(TableMap table, DecodeTableMap(body, id_size));
      if (options_.table_map_hook) {
        const size_t columns = table.columns.size();
        options_.table_map_hook(table);
        if (table.columns.size() != columns) return Status::Internal("table_map_hook changed the column count");
      }
      auto shared = std::make_shared<const TableMap>(std::move(table));
      tables_[shared->table_id] = shared;
      return EventBody(TableMapEvent{std::move(shared)});
    }
    case EventType::kTransactionPayload:
      if (in_payload) return Status::Corruption("TRANSACTION_PAYLOAD nested inside another");
      return DecodeTransactionPayload(header, body);
    default:
      if (IsRowsEvent(type)) return DecodeRows(header, body);
      return EventBody(UnknownEvent{});
  }
}

Result<EventBody> BinlogDecoder::DecodeRows(const EventHeader& header, std::span<const uint8_t> body) {
  RowsDecodeContext ctx;
  ctx.type = header.type;
  ctx.table_id_size = format_.PostHeaderLength(header.type, 8) == 6 ? 4 : 6;
  ctx.body_position = header.position + format_.header_length;
  ctx.max_uncompressed_size = options_.max_uncompressed_size;
  ctx.lookup = [this](uint64_t id) { return FindTable(id); };
  SYNC_ASSIGN_OR_RETURN(RowsEvent rows, DecodeRowsEvent(body, ctx));
  return EventBody(std::move(rows));
}

Result<EventBody> BinlogDecoder::DecodeTransactionPayload(const EventHeader& header,
                                                          std::span<const uint8_t> body) {
  // Header fields are (type, length, value) triples of length-encoded
  // integers, ended by type 0; the compressed events follow.
  ByteReader r(body);
  TransactionPayloadEvent e;
  while (true) {
    const uint64_t field = r.ReadLengthEncoded();
    if (!r.ok()) return Status::Corruption("payload header is truncated");
    if (field == 0) break;
    ByteReader value(r.ReadBytes(r.ReadLengthEncoded()));
    const uint64_t v = value.ReadLengthEncoded();
    if (!r.ok() || !value.ok()) return Status::Corruption("payload header field " + std::to_string(field) + " is truncated");
    if (field == 1) e.payload_size = v;
    if (field == 2) e.compression = static_cast<uint8_t>(v);
    if (field == 3) e.uncompressed_size = v;
  }
  auto payload = r.ReadRest();
  std::vector<uint8_t> plain;
  if (e.compression == kZstdCompression) {
    if (e.uncompressed_size > options_.max_uncompressed_size) {
      return Status::Corruption("payload claims " + std::to_string(e.uncompressed_size) + " uncompressed bytes");
    }
    plain.resize(e.uncompressed_size);
    const size_t n = ZSTD_decompress(plain.data(), plain.size(), payload.data(), payload.size());
    if (ZSTD_isError(n)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(n));
    if (n != plain.size()) {
      return Status::Corruption("payload inflates to " + std::to_string(n) + " bytes, header says " +
                                std::to_string(plain.size()));
    }
  } else if (e.compression == kNoCompression) {
    plain.assign(payload.begin(), payload.end());
  } else {
    return Status::FailedPrecondition("payload compression type " + std::to_string(e.compression) + " is unknown");
  }
  // The embedded events are whole events without checksums.
  size_t offset = 0;
  while (offset < plain.size()) {
    if (plain.size() - offset < kEventHeaderSize) return Status::Corruption("payload ends inside an event header");
    ByteReader len_reader(std::span<const uint8_t>(plain).subspan(offset + 9, 4));
    const uint32_t len = len_reader.ReadU32();
    if (len < kEventHeaderSize || len > plain.size() - offset) {
      return Status::Corruption("payload event at offset " + std::to_string(offset) + " has bad length " +
                                std::to_string(len));
    }
    auto inner = DecodeInner(std::span<const uint8_t>(plain).subspan(offset, len), header.position, true);
    if (!inner.ok()) return inner.status().WithContext("in payload at offset " + std::to_string(offset));
    e.events.push_back(std::move(inner).value());
    offset += len;
  }
  return EventBody(std::move(e));
}

}  // namespace dbsync::binlog
