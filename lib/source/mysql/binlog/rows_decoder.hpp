#pragma once
// WRITE/UPDATE/DELETE_ROWS (v1, v2, MariaDB compressed) and PARTIAL_UPDATE_ROWS
// bodies into before/after images, using the event's TABLE_MAP.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Rows__event.html
// https://mariadb.com/kb/en/rows_event_v1v2-rows_compressed_event_v1/

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "core/status.hpp"
#include "source/mysql/binlog/binlog_event.hpp"

namespace dbsync::binlog {

using TableLookup = std::function<std::shared_ptr<const TableMap>(uint64_t table_id)>;

struct RowsDecodeContext {
  EventType type = EventType::kWriteRowsV2;
  size_t table_id_size = 6;
  uint64_t body_position = 0;  // file position of body[0], for error messages
  size_t max_uncompressed_size = size_t(1) << 30;
  TableLookup lookup;
};

// `body` excludes the common header and the checksum. A table id that
// `lookup` does not know gives kNotFound; malformed rows give kCorruption
// naming the row, the column and the byte position.
Result<RowsEvent> DecodeRowsEvent(std::span<const uint8_t> body, const RowsDecodeContext& ctx);

// zlib-decompresses MariaDB's compressed event payload: one header byte
// (low 3 bits = width of the big-endian uncompressed length), the length,
// then a zlib stream.
Result<std::vector<uint8_t>> MariadbUncompress(std::span<const uint8_t> data, size_t max_size);

}  // namespace dbsync::binlog
