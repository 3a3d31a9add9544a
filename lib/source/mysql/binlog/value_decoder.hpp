#pragma once
// Column value decoders: the packed row format of rows events into Value.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Rows__event.html
// https://mariadb.com/kb/en/rows_event_v1v2-rows_compressed_event_v1/ (column data formats)
// DECIMAL: strings/decimal.cc decimal2bin; temporal: mysys/my_time.cc *_from_binary.
//
// All functions are pure and bounds-checked: bad bytes give kCorruption with
// a message naming what was wrong, and callers add the byte position.

#include <cstdint>
#include <span>
#include <string>

#include "core/byte_reader.hpp"
#include "core/status.hpp"
#include "core/value.hpp"
#include "source/mysql/binlog/table_map.hpp"

namespace dbsync::binlog {

// Reads one non-NULL value of column `col` at the reader's position.
// Unsupported types (old DECIMAL, typed arrays) give kFailedPrecondition:
// never guessed, because a wrong width would mis-decode every later column.
Status DecodeColumnValue(ByteReader& r, const ColumnDef& col, Value* out);

// Bytes a DECIMAL(precision, scale) takes in binary form; 0 if invalid.
size_t DecimalBinarySize(int precision, int scale);
// Binary DECIMAL to canonical text ("-12.50"); `bytes` must hold exactly
// DecimalBinarySize bytes.
Result<std::string> DecodeDecimal(std::span<const uint8_t> bytes, int precision, int scale);
// The same into `out`, reusing its storage (the per-cell path of row events).
Status DecodeDecimalInto(std::span<const uint8_t> bytes, int precision, int scale, std::string* out);

// MySQL's in-memory packed temporal integers (used inside binary JSON).
DateTime UnpackDateTime(int64_t packed);
Time UnpackTime(int64_t packed);

}  // namespace dbsync::binlog
