#pragma once
// Typed binlog events: what the decoder produces from raw bytes.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html
// https://mariadb.com/kb/en/replication-protocol/

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/value.hpp"
#include "source/mysql/binlog/event_type.hpp"
#include "source/mysql/binlog/table_map.hpp"

namespace dbsync::binlog {

inline constexpr size_t kEventHeaderSize = 19;
inline constexpr size_t kChecksumSize = 4;

struct EventHeader {
  uint32_t timestamp = 0;  // seconds since the epoch, UTC
  EventType type = EventType::kUnknown;
  uint32_t server_id = 0;
  uint32_t event_length = 0;  // header + body + checksum
  uint32_t next_position = 0;  // log_pos: where the next event starts (0 inside payloads)
  uint16_t flags = 0;
  uint64_t position = 0;  // where this event starts in its file
};

enum class ChecksumAlgorithm : uint8_t { kOff = 0, kCrc32 = 1, kUndefined = 255 };

struct FormatDescriptionEvent {
  uint16_t binlog_version = 4;
  std::string server_version;
  uint32_t create_timestamp = 0;
  uint8_t header_length = kEventHeaderSize;
  std::vector<uint8_t> post_header_lengths;  // index = event type - 1
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kOff;

  bool IsMariaDb() const;
  // Post-header length of `type`, or `fallback` when the FDE does not list it.
  uint8_t PostHeaderLength(EventType type, uint8_t fallback) const;
};

struct RotateEvent {
  uint64_t position = 0;
  std::string next_file;
};

struct QueryEvent {
  uint32_t thread_id = 0;
  uint32_t exec_time = 0;
  uint16_t error_code = 0;
  std::string database;
  std::string query;
};

struct XidEvent {
  uint64_t xid = 0;
};

using Uuid = std::array<uint8_t, 16>;
std::string UuidToString(const Uuid& uuid);

// MySQL GTID, ANONYMOUS_GTID and (MySQL 9) GTID_TAGGED.
struct GtidEvent {
  bool anonymous = false;
  uint8_t flags = 0;  // bit 0: may have dependents (commit flag)
  Uuid sid{};
  std::string tag;  // MySQL 8.3+ tagged GTIDs; empty otherwise
  int64_t gno = 0;
  std::optional<int64_t> last_committed;  // logical clock, absent before 5.7
  std::optional<int64_t> sequence_number;
  std::optional<uint64_t> immediate_commit_micros;  // 8.0.1+
  std::optional<uint64_t> original_commit_micros;
  std::optional<uint64_t> transaction_length;
  std::optional<uint32_t> immediate_server_version;
  std::optional<uint32_t> original_server_version;
  std::string ToString() const;  // "uuid[:tag]:gno", or "ANONYMOUS"
};

// Intervals are end-exclusive, as on disk: [start, end).
struct GtidInterval {
  int64_t start = 0;
  int64_t end = 0;
};
struct GtidSetEntry {
  Uuid sid{};
  std::string tag;
  std::vector<GtidInterval> intervals;
};
struct PreviousGtidsEvent {
  std::vector<GtidSetEntry> sets;
  std::string ToString() const;  // MySQL text form: "uuid:1-13:mytag:1-2,..."
};

struct XaId {
  int32_t format_id = -1;  // -1: no XA
  std::string gtrid;
  std::string bqual;
};

struct XaPrepareEvent {
  bool one_phase = false;
  XaId xid;
};

struct MariadbGtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;
  std::string ToString() const;  // "domain-server-seq"
};

struct MariadbGtidEvent {
  MariadbGtid gtid;
  uint8_t flags = 0;  // 1 standalone, 2 group commit id, 0x40/0x80 XA prepared/completed ...
  std::optional<uint64_t> commit_id;
  std::optional<XaId> xid;
  bool standalone() const { return flags & 1; }
};

struct MariadbGtidListEvent {
  uint32_t flags = 0;
  std::vector<MariadbGtid> gtids;
};

struct BinlogCheckpointEvent {
  std::string file;
};

// ROWS_QUERY (MySQL, binlog_rows_query_log_events) and ANNOTATE_ROWS (MariaDB).
struct RowsQueryEvent {
  std::string query;
};

// HEARTBEAT (v1: file name in the body, position in the header) and HEARTBEAT_V2.
struct HeartbeatEvent {
  std::string log_file;
  uint64_t position = 0;
};

struct IntvarEvent {
  uint8_t kind = 0;  // 1 LAST_INSERT_ID, 2 INSERT_ID
  uint64_t value = 0;
};

struct IncidentEvent {
  uint16_t incident = 0;
  std::string message;
};

struct StopEvent {};

// Any event we do not decode: skipped by its length, never an error.
struct UnknownEvent {};

struct TableMapEvent {
  std::shared_ptr<const TableMap> table;
};

enum class RowsKind { kInsert, kUpdate, kDelete };
const char* RowsKindName(RowsKind kind);

// One JSON partial update (binlog_row_value_options=PARTIAL_JSON).
struct JsonDiff {
  enum class Op : uint8_t { kReplace = 0, kInsert = 1, kRemove = 2 };
  Op op = Op::kReplace;
  std::string path;   // MySQL JSON path, e.g. "$.a[2]"
  std::string value;  // JSON text; empty for kRemove
};

struct RowChange {
  // Full width (one slot per table column). Columns absent from the image
  // (see RowsEvent::before_columns/after_columns) hold NULL: check the
  // bitmap, never read them as data.
  std::vector<Value> before;
  std::vector<Value> after;
  // PARTIAL_UPDATE_ROWS: JSON columns whose after value arrived as diffs.
  // `after` then holds the before document with the diffs applied when that
  // was possible (listed in json_diffs_applied), else the diffs rendered as
  // mysqlbinlog prints them (JSON_REPLACE(@3, '$.a', 1)).
  std::vector<std::pair<uint32_t, std::vector<JsonDiff>>> json_diffs;
  std::vector<uint32_t> json_diffs_applied;
};

struct RowsEvent {
  RowsKind kind = RowsKind::kInsert;
  int version = 2;  // 1 (MariaDB, MySQL < 5.6) or 2
  bool compressed = false;  // MariaDB *_COMPRESSED variants
  bool partial_json = false;  // PARTIAL_UPDATE_ROWS
  uint64_t table_id = 0;
  uint16_t flags = 0;  // bit 0: end of statement
  std::shared_ptr<const TableMap> table;
  std::vector<bool> before_columns;  // columns present in before images
  std::vector<bool> after_columns;   // columns present in after images
  // False when some column is missing from an image: binlog_row_image is
  // MINIMAL or NOBLOB on the source. A consumer that needs whole rows must
  // treat such an event as unsupported, never fill the gaps with NULL.
  bool full_image = true;
  std::vector<RowChange> rows;
};

struct BinlogEvent;

struct TransactionPayloadEvent {
  uint8_t compression = 0;  // 0 ZSTD, 255 NONE
  uint64_t payload_size = 0;
  uint64_t uncompressed_size = 0;
  std::vector<BinlogEvent> events;  // the transaction, decoded
};

using EventBody =
    std::variant<UnknownEvent, FormatDescriptionEvent, RotateEvent, QueryEvent, XidEvent, GtidEvent,
                 PreviousGtidsEvent, XaPrepareEvent, MariadbGtidEvent, MariadbGtidListEvent,
                 BinlogCheckpointEvent, RowsQueryEvent, HeartbeatEvent, IntvarEvent, IncidentEvent,
                 StopEvent, TableMapEvent, RowsEvent, TransactionPayloadEvent>;

struct BinlogEvent {
  EventHeader header;
  EventBody body;

  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&body);
  }
};

}  // namespace dbsync::binlog
