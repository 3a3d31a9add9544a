#pragma once
// MySQL -> StarRocks type mapping (specs/starrocks.md 3.2; man/sync-types.7
// is the user-facing table, keep the two in step) and Values rendered for a
// JSON Stream Load body (specs/starrocks.md 3.3).
//
// Rules chosen where MySQL and StarRocks disagree:
//  - Unsigned integers widen to the next signed type (BIGINT UNSIGNED ->
//    LARGEINT); MEDIUMINT is INT.
//  - DECIMAL up to 38 digits is DECIMAL(p,s); wider ones are STRING holding
//    the exact text (StarRocks before 4.0 has no wider decimal).
//  - StarRocks lengths are bytes, and every value arrives as UTF-8: a
//    VARCHAR(n) of a charset whose characters take up to k UTF-8 bytes is
//    VARCHAR(k*n), capped at 1048576; TEXT types are VARCHAR(1048576).
//  - A JSON Stream Load cannot carry VARBINARY (3.3), so BINARY, VARBINARY,
//    BLOB and GEOMETRY (MySQL's SRID + WKB) are VARCHAR of lowercase hex
//    (hex_decode_binary() turns them back into bytes).
//  - Zero and partial-zero dates are NULL: they are outside StarRocks' range.
//    Hence every column outside the key is nullable at the destination; key
//    columns are NOT NULL as StarRocks requires.
//  - Key columns take only the types StarRocks allows in a primary key
//    (3.2/F-KEYS): DECIMAL keys are VARCHAR holding the exact text; FLOAT
//    and DOUBLE keys are refused with the fix (tables[].primary_key).
//  - BIT(1) is BOOLEAN; BIT(n) a BIGINT (LARGEINT for 64) of its bits.
//  - TIME is VARCHAR '[-]HH:MM:SS[.ffffff]' (hours up to 838) (a duration, not a time of day);
//    YEAR is SMALLINT (0 is the zero year); ENUM and SET are VARCHAR of
//    their labels; JSON is JSON.
//  - TIMESTAMP is a DATETIME holding the UTC wall clock of the instant.

#include <string>
#include <vector>

#include "core/charset_converter.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::starrocks {

// How a column's values are rendered in a load body.
enum class SrKind { kNumber, kDecimalText, kBoolean, kText, kHex, kDate, kDateTime, kTime, kJson, kBitNumber };

struct SrColumn {
  std::string name;  // destination column name = source column name
  std::string type;  // StarRocks DDL type: "BIGINT", "VARCHAR(1020)", "DECIMAL(10,2)"
  SrKind kind = SrKind::kText;
  bool key = false;
  std::string charset;   // MySQL charset of character columns
  int source_index = 0;  // position of the column in the source row
};

// The destination column for `col`; `key` when it is part of the table's key.
// kFailedPrecondition for what StarRocks cannot hold, saying what to do.
Result<SrColumn> MapColumn(const ColumnSchema& col, bool key);

// The table's destination columns: key columns first in key order (StarRocks
// wants them as an ordered prefix), then the others in source order.
// `key` names source columns.
Result<std::vector<SrColumn>> MapColumns(const TableSchema& table, const std::vector<std::string>& key);

// CREATE TABLE for a Primary Key table.
struct TableOptions {
  int buckets = 0;          // 0: let StarRocks choose (2.5.7+)
  int replication_num = 0;  // 0: the cluster's default
};
// A `partition_column` (a key column: tables[].partition) partitions the
// table by its values, StarRocks' column expression partitioning (3.1+):
// StarRocks makes the partition of a new value as the rows are loaded.
std::string CreateTableSql(const std::string& db, const std::string& table, const std::vector<SrColumn>& columns,
                           const TableOptions& options, const std::string& partition_column = "");

std::string QuoteIdentifier(const std::string& name);

// Renders rows as the JSON objects of a Stream Load body. Not thread-safe.
class JsonRowEncoder {
 public:
  // Appends `{"col":value,...,"__op":op}` for a row in source column order.
  // Errors name the column and describe the value.
  Status AppendRow(const std::vector<Value>& row, const std::vector<SrColumn>& columns, int op, std::string* out);
  // Appends one value as JSON (null for NULL).
  Status AppendValue(const Value& v, const SrColumn& col, std::string* out);

 private:
  CharsetConverter charsets_;
  std::string scratch_;
};

// Appends `text` (UTF-8) as a JSON string literal.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace dbsync::starrocks
