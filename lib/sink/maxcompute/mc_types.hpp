#pragma once
// MySQL -> MaxCompute type mapping (specs/maxcompute.md 5.1, 5.2, with the
// 2.0 type system on: odps.sql.type.system.odps2=true and
// odps.sql.decimal.odps2=true). docs/type_mapping.md "MySQL to MaxCompute" is
// the user-facing table; keep the two in step.
//
// Rules chosen where MySQL and MaxCompute disagree:
//  - Unsigned integers widen to the next signed type; BIGINT UNSIGNED (and
//    BIT(64)) is DECIMAL(20,0). MEDIUMINT is INT.
//  - DECIMAL(p,s) with p <= 38 and s <= 18 is DECIMAL(p,s); any other is
//    STRING holding MySQL's exact text (a wider DECIMAL needs project flags
//    sync cannot assume).
//  - Text is STRING in UTF-8 (no length to get wrong: MaxCompute VARCHAR
//    counts characters and stops at 65535). CHAR keeps no padding.
//  - Binary strings, BLOBs and spatial values (MySQL's SRID + WKB) are BINARY.
//  - DATETIME is DATETIME, an instant: the encoder reads the wall clock in the
//    project's time zone, so MaxCompute SQL shows MySQL's wall clock
//    (milliseconds kept, finer digits dropped). TIMESTAMP is TIMESTAMP, the
//    same instant with its microseconds.
//  - Zero and partial-zero dates are NULL, so every column outside the key is
//    nullable; key columns are NOT NULL and a zero date there is an error.
//  - TIME is STRING '[-]HH:MM:SS[.ffffff]' (a duration); YEAR is INT; BIT(1)
//    is BOOLEAN, BIT(2..63) BIGINT; ENUM and SET are STRING of their labels;
//    JSON is STRING (the JSON type needs a project flag on older projects).
//  - Names: at most 128 bytes of letters, digits, '_' and CJK ideographs, not
//    starting with a digit; at most 1200 columns (5.2).
//  - A key column takes only types the upsert bucket hash of 4.2 defines:
//    TIMESTAMP is refused in a key, with the fix.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/table_schema.hpp"

namespace dbsync::maxcompute {

// How the record encoder writes a column's values (specs/maxcompute.md 3.6).
// MapColumn never gives kVarchar, kChar, kJson or kBigintArray: they exist
// for tables described by ColumnOfType and the upsert session's hidden columns.
enum class McKind {
  kBoolean, kTinyint, kSmallint, kInt, kBigint, kFloat, kDouble, kDecimal,
  kString, kVarchar, kChar, kJson, kBinary, kDate, kDateTime, kTimestamp, kBigintArray,
};

struct McColumn {
  std::string name;   // destination column name = source column name
  std::string type;   // MaxCompute DDL type: "BIGINT", "DECIMAL(20,0)", "STRING"
  McKind kind = McKind::kString;
  int precision = 0;  // DECIMAL(precision, scale); the length of VARCHAR(n)/CHAR(n)
  int scale = 0;
  bool key = false;      // part of the table's key: NOT NULL at the destination
  std::string charset;   // MySQL charset of character columns (for the UTF-8 conversion)
  int source_index = 0;  // position of the column's value in the source row
};

// Limits of specs/maxcompute.md 5.2.
inline constexpr size_t kMaxNameBytes = 128;
inline constexpr size_t kMaxColumns = 1200;
inline constexpr int kMaxDecimalPrecision = 38;
inline constexpr int kMaxDecimalScale = 18;

// The destination column for `col`; `key` when it is part of the table's key.
// kFailedPrecondition, naming the column and what to do, for a type
// MaxCompute cannot hold, a name it refuses, or a type refused in a key.
Result<McColumn> MapColumn(const ColumnSchema& col, bool key);

// The table's destination columns in source order (source_index = position),
// with `key` (source column names) marked. kInvalidArgument for a key name
// that is not a column; kFailedPrecondition for more than kMaxColumns columns
// or a column MapColumn refuses; messages carry the table's name.
Result<std::vector<McColumn>> MapColumns(const TableSchema& table, const std::vector<std::string>& key);

// OK when MaxCompute accepts `name` as a table name (5.2: at most 128 bytes
// of [A-Za-z0-9_], starting with a letter); else kFailedPrecondition saying why.
Status CheckTableName(std::string_view name);

// A column of a MaxCompute type as the tunnel's schema JSON or DDL spells it,
// in any case: "bigint", "decimal(10,2)", "varchar(10)", "array<bigint>".
// Used to compare a table with the mapping and to build columns for tests;
// source_index is 0. kInvalidArgument for a type the encoder cannot write
// (MAP, STRUCT, intervals, other arrays, TIMESTAMP_NTZ).
Result<McColumn> ColumnOfType(std::string name, std::string_view type);

}  // namespace dbsync::maxcompute
