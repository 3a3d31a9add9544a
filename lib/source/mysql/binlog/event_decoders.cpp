#include "source/mysql/binlog/event_decoders.hpp"

#include <cstdio>

#include "core/byte_reader.hpp"
#include "source/mysql/binlog/rows_decoder.hpp"

namespace dbsync::binlog {
namespace {

Status Truncated(const char* what, const ByteReader& r) {
  return Status::Corruption(std::string(what) + " is truncated (body offset " + std::to_string(r.position()) + ")");
}

Uuid ReadUuid(ByteReader& r) {
  Uuid u{};
  auto b = r.ReadBytes(16);
  if (r.ok()) std::copy(b.begin(), b.end(), u.begin());
  return u;
}

XaId ReadXid(ByteReader& r, size_t gtrid_width, size_t bqual_width) {
  XaId x;
  x.format_id = static_cast<int32_t>(r.ReadU32());
  const size_t gtrid_len = r.ReadUint(gtrid_width);
  const size_t bqual_len = r.ReadUint(bqual_width);
  x.gtrid = std::string(r.ReadString(gtrid_len));
  x.bqual = std::string(r.ReadString(bqual_len));
  return x;
}

// MySQL 8.3+ serialization library (mysql/serialization): variable-length
// integers whose first byte's trailing one-bits count the extra bytes.
class VarReader {
 public:
  explicit VarReader(ByteReader& r) : r_(r) {}
  uint64_t Unsigned() {
    const uint8_t first = r_.ReadU8();
    if (first == 0xFF) return r_.ReadU64();
    int n = 1;
    while (first & (1 << (n - 1))) ++n;
    uint64_t v = first;
    for (int i = 1; i < n; ++i) v |= uint64_t(r_.ReadU8()) << (8 * i);
    return v >> n;
  }
  int64_t Signed() {
    const uint64_t u = Unsigned();
    return static_cast<int64_t>((u >> 1) ^ (0 - (u & 1)));
  }
  std::string String() { return std::string(r_.ReadString(Unsigned())); }

 private:
  ByteReader& r_;
};

std::string RestAsString(ByteReader& r) {
  auto rest = r.ReadRest();
  return std::string(reinterpret_cast<const char*>(rest.data()), rest.size());
}

}  // namespace

Result<EventBody> DecodeRotate(Body body) {
  ByteReader r(body);
  RotateEvent e;
  e.position = r.ReadU64();
  e.next_file = RestAsString(r);
  if (!r.ok()) return Truncated("ROTATE", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeQuery(Body body, uint8_t post_header_length, bool compressed, size_t max_size) {
  ByteReader r(body);
  QueryEvent e;
  e.thread_id = r.ReadU32();
  e.exec_time = r.ReadU32();
  const uint8_t db_len = r.ReadU8();
  e.error_code = r.ReadU16();
  uint16_t status_len = 0;
  if (post_header_length >= 13) status_len = r.ReadU16();
  if (post_header_length > 13) r.Skip(post_header_length - 13);
  r.Skip(status_len);  // session variables: not needed to decode rows
  e.database = std::string(r.ReadString(db_len));
  r.Skip(1);
  auto query = r.ReadRest();
  if (!r.ok()) return Truncated("QUERY", r);
  if (compressed) {
    SYNC_ASSIGN_OR_RETURN(auto text, MariadbUncompress(query, max_size));
    e.query.assign(text.begin(), text.end());
  } else {
    e.query.assign(reinterpret_cast<const char*>(query.data()), query.size());
  }
  return EventBody(std::move(e));
}

Result<EventBody> DecodeXid(Body body) {
  ByteReader r(body);
  XidEvent e{r.ReadU64()};
  if (!r.ok()) return Truncated("XID", r);
  return EventBody(e);
}

Result<EventBody> DecodeGtid(Body body, bool anonymous) {
  ByteReader r(body);
  GtidEvent e;
  e.anonymous = anonymous;
  e.flags = r.ReadU8();
  e.sid = ReadUuid(r);
  e.gno = static_cast<int64_t>(r.ReadU64());
  if (!r.ok()) return Truncated("GTID", r);
  // Later fields were appended release by release; each is optional.
  if (r.remaining() >= 17 && r.ReadU8() == 2) {
    e.last_committed = static_cast<int64_t>(r.ReadU64());
    e.sequence_number = static_cast<int64_t>(r.ReadU64());
  }
  if (r.remaining() >= 7) {
    uint64_t ts = r.ReadUint(7);
    constexpr uint64_t kHasOriginal = uint64_t(1) << 55;
    e.immediate_commit_micros = ts & ~kHasOriginal;
    e.original_commit_micros = (ts & kHasOriginal) ? r.ReadUint(7) : *e.immediate_commit_micros;
  }
  if (r.ok() && !r.AtEnd()) e.transaction_length = r.ReadLengthEncoded();
  if (r.ok() && r.remaining() >= 4) {
    uint32_t v = r.ReadU32();
    constexpr uint32_t kHasOriginal = uint32_t(1) << 31;
    e.immediate_server_version = v & ~kHasOriginal;
    e.original_server_version = (v & kHasOriginal) ? r.ReadU32() : *e.immediate_server_version;
  }
  if (!r.ok()) return Truncated("GTID", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeGtidTagged(Body body) {
  ByteReader r(body);
  VarReader v(r);
  GtidEvent e;
  v.Unsigned();  // serialization format version
  v.Unsigned();  // message size
  v.Unsigned();  // last non-ignorable field id
  bool has_original_ts = false, has_original_version = false;
  while (r.ok() && !r.AtEnd()) {
    const uint64_t field = v.Unsigned();
    switch (field) {
      case 0: e.flags = static_cast<uint8_t>(v.Unsigned()); break;
      case 1:
        for (auto& b : e.sid) b = static_cast<uint8_t>(v.Unsigned());
        break;
      case 2: e.gno = v.Signed(); break;
      case 3: e.tag = v.String(); break;
      case 4: e.last_committed = v.Signed(); break;
      case 5: e.sequence_number = v.Signed(); break;
      case 6: e.immediate_commit_micros = v.Unsigned(); break;
      case 7: e.original_commit_micros = v.Unsigned(), has_original_ts = true; break;
      case 8: e.transaction_length = v.Unsigned(); break;
      case 9: e.immediate_server_version = static_cast<uint32_t>(v.Unsigned()); break;
      case 10: e.original_server_version = static_cast<uint32_t>(v.Unsigned()), has_original_version = true; break;
      case 11: v.Unsigned(); break;  // commit group ticket
      default: r.ReadRest(); break;  // a newer field: its encoding is unknown, stop here
    }
  }
  if (!r.ok()) return Truncated("GTID_TAGGED", r);
  if (!has_original_ts) e.original_commit_micros = e.immediate_commit_micros;
  if (!has_original_version) e.original_server_version = e.immediate_server_version;
  return EventBody(std::move(e));
}

Result<EventBody> DecodePreviousGtids(Body body) {
  ByteReader r(body);
  VarReader v(r);
  PreviousGtidsEvent e;
  uint64_t n = r.ReadU64();
  // MySQL 8.3+ tagged format: the format (1) in the first and last byte, the count between.
  const bool tagged = (n >> 56) == 1;
  if (tagged) n = (n >> 8) & 0xFFFFFFFFFFFFULL;
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    GtidSetEntry entry;
    entry.sid = ReadUuid(r);
    if (tagged) entry.tag = v.String();
    const uint64_t intervals = r.ReadU64();
    if (intervals > r.remaining() / 16) return Truncated("PREVIOUS_GTIDS", r);
    for (uint64_t k = 0; k < intervals; ++k) {
      GtidInterval iv;
      iv.start = static_cast<int64_t>(r.ReadU64());
      iv.end = static_cast<int64_t>(r.ReadU64());
      entry.intervals.push_back(iv);
    }
    e.sets.push_back(std::move(entry));
  }
  if (!r.ok()) return Truncated("PREVIOUS_GTIDS", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeXaPrepare(Body body) {
  ByteReader r(body);
  XaPrepareEvent e;
  e.one_phase = r.ReadU8() != 0;
  e.xid = ReadXid(r, 4, 4);
  if (!r.ok()) return Truncated("XA_PREPARE", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeMariadbGtid(Body body, uint32_t server_id) {
  constexpr uint8_t kGroupCommitId = 2, kPreparedXa = 0x40, kCompletedXa = 0x80;
  ByteReader r(body);
  MariadbGtidEvent e;
  e.gtid.sequence = r.ReadU64();
  e.gtid.domain_id = r.ReadU32();
  e.gtid.server_id = server_id;
  e.flags = r.ReadU8();
  if (e.flags & kGroupCommitId) e.commit_id = r.ReadU64();
  if (e.flags & (kPreparedXa | kCompletedXa)) e.xid = ReadXid(r, 1, 1);
  if (!r.ok()) return Truncated("MARIADB_GTID", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeMariadbGtidList(Body body) {
  ByteReader r(body);
  MariadbGtidListEvent e;
  const uint32_t word = r.ReadU32();
  const uint32_t count = word & 0x0FFFFFFF;  // the top 4 bits are flags
  e.flags = word >> 28;
  if (count > r.remaining() / 16) return Truncated("MARIADB_GTID_LIST", r);
  for (uint32_t i = 0; i < count; ++i) {
    MariadbGtid g;
    g.domain_id = r.ReadU32();
    g.server_id = r.ReadU32();
    g.sequence = r.ReadU64();
    e.gtids.push_back(g);
  }
  if (!r.ok()) return Truncated("MARIADB_GTID_LIST", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeBinlogCheckpoint(Body body) {
  ByteReader r(body);
  BinlogCheckpointEvent e;
  e.file = std::string(r.ReadString(r.ReadU32()));
  if (!r.ok()) return Truncated("BINLOG_CHECKPOINT", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeRowsQuery(Body body, bool mysql_rows_query) {
  ByteReader r(body);
  if (mysql_rows_query) r.Skip(1);  // a length byte that overflows for long queries: ignored by MySQL too
  RowsQueryEvent e{RestAsString(r)};
  if (!r.ok()) return Truncated("ROWS_QUERY", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeHeartbeat(Body body, uint32_t header_position, bool v2) {
  ByteReader r(body);
  HeartbeatEvent e;
  if (!v2) {
    e.log_file = RestAsString(r);
    e.position = header_position;
    return EventBody(std::move(e));
  }
  // HEARTBEAT_V2: (type, length, value) fields; 1 = log file name, 2 = position.
  while (r.ok() && !r.AtEnd()) {
    const uint64_t type = r.ReadLengthEncoded();
    if (type == 0) break;
    ByteReader field(r.ReadBytes(r.ReadLengthEncoded()));
    if (type == 1) e.log_file = RestAsString(field);
    if (type == 2) e.position = field.ReadLengthEncoded();
  }
  if (!r.ok()) return Truncated("HEARTBEAT_V2", r);
  return EventBody(std::move(e));
}

Result<EventBody> DecodeIntvar(Body body) {
  ByteReader r(body);
  IntvarEvent e;
  e.kind = r.ReadU8();
  e.value = r.ReadU64();
  if (!r.ok()) return Truncated("INTVAR", r);
  return EventBody(e);
}

Result<EventBody> DecodeIncident(Body body) {
  ByteReader r(body);
  IncidentEvent e;
  e.incident = r.ReadU16();
  e.message = std::string(r.ReadString(r.ReadU8()));
  if (!r.ok()) return Truncated("INCIDENT", r);
  return EventBody(std::move(e));
}

}  // namespace dbsync::binlog
