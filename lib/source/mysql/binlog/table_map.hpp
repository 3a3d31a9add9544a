#pragma once
// TABLE_MAP_EVENT: the column layout every following rows event is decoded with.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Table__map__event.html
// MySQL 8 "optional metadata" (binlog_row_metadata=MINIMAL|FULL) adds
// signedness, charsets, column names, enum/set values and the primary key.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace dbsync::binlog {

// Column type codes as written in TABLE_MAP (MySQL's enum_field_types).
enum class ColumnType : uint8_t {
  kDecimal = 0,
  kTiny = 1,
  kShort = 2,
  kLong = 3,
  kFloat = 4,
  kDouble = 5,
  kNull = 6,
  kTimestamp = 7,
  kLongLong = 8,
  kInt24 = 9,
  kDate = 10,
  kTime = 11,
  kDateTime = 12,
  kYear = 13,
  kNewDate = 14,
  kVarchar = 15,
  kBit = 16,
  kTimestamp2 = 17,
  kDateTime2 = 18,
  kTime2 = 19,
  kTypedArray = 20,
  kVector = 242,
  kJson = 245,
  kNewDecimal = 246,
  kEnum = 247,
  kSet = 248,
  kTinyBlob = 249,
  kMediumBlob = 250,
  kLongBlob = 251,
  kBlob = 252,
  kVarString = 253,
  kString = 254,
  kGeometry = 255,
};

const char* ColumnTypeName(ColumnType type);

struct ColumnDef {
  ColumnType type = ColumnType::kNull;  // as written in the binlog
  // The type the row data is really encoded as: ENUM and SET travel as
  // STRING with the real type in their metadata.
  ColumnType real_type = ColumnType::kNull;
  uint16_t meta = 0;  // type-specific metadata, decoded to one number
  bool nullable = true;
  // From SIGNEDNESS metadata; unset when the binlog does not say (MySQL < 8,
  // MariaDB): integers then decode as signed, like mysqlbinlog does.
  std::optional<bool> is_unsigned;
  uint16_t collation = 0;  // 0 = unknown; 63 = binary
  std::string name;        // empty unless COLUMN_NAME metadata is present
  std::vector<std::string> enum_values;
  std::vector<std::string> set_values;
  uint32_t geometry_type = 0;
  uint32_t vector_dimensions = 0;
  bool visible = true;

  bool IsNumeric() const;    // the columns SIGNEDNESS has a bit for
  bool IsCharacter() const;  // the columns DEFAULT/COLUMN_CHARSET cover
  bool IsEnumOrSet() const;
};

struct TableMap {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string database;
  std::string table;
  std::vector<ColumnDef> columns;
  std::vector<uint32_t> primary_key;  // column indexes; empty if unknown or none
  bool has_optional_metadata = false;

  size_t JsonColumnCount() const;
};

// Decodes a TABLE_MAP body (after the common header, without checksum).
// `table_id_size` is 4 for very old servers (post-header length 6), else 6.
// Errors carry an offset relative to the body for the caller to place.
Result<TableMap> DecodeTableMap(std::span<const uint8_t> body, size_t table_id_size);

}  // namespace dbsync::binlog
