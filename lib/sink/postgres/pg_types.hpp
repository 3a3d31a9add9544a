#pragma once
// MySQL -> PostgreSQL/Hologres type mapping, and Values in PostgreSQL's text
// input form (for COPY and for bound parameters). docs/type_mapping.md is the
// user-facing table; keep the two in step.
//
// Rules chosen where MySQL and PostgreSQL disagree:
//  - Zero and partial-zero dates ('0000-00-00', '2020-00-15', year 0) of DATE,
//    DATETIME and TIMESTAMP become '-infinity': PostgreSQL has no such dates,
//    and NULL would break NOT NULL columns. The zero YEAR is the number 0.
//  - TIMESTAMP is an instant, written with an explicit +00 offset; DATETIME is
//    a wall clock written as is. Neither depends on any session time zone.
//  - TIME is a signed duration up to 838 hours: interval.
//  - BIT(n) is bit(n) for every n, BIT(1) included (exact, one rule).
//  - GEOMETRY is bytea holding MySQL's internal form: 4-byte little-endian
//    SRID, then WKB (ST_GeomFromWKB(substring(g from 5)) in PostGIS).
//  - Text that is not valid in its charset, or contains NUL, is an error
//    (see core/charset_converter.hpp); binary types never are.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"
#include "core/charset_converter.hpp"

namespace dbsync::postgres {

enum class Dialect { kPostgres, kHologres };

// How values of a destination column are rendered.
enum class PgKind {
  kInteger, kNumeric, kReal, kDouble, kText, kBytea, kDate, kInterval, kTimestamp,
  kTimestamptz, kBit, kJsonb,
};

struct PgColumn {
  std::string name;      // destination column name = source column name
  std::string type;      // destination SQL type, e.g. "numeric(20,0)", "timestamp(6) without time zone"
  std::string base_type; // the type without modifiers, for casts that must not round or truncate ("numeric")
  PgKind kind = PgKind::kText;
  bool not_null = false;
  std::string charset;   // MySQL charset of character columns ("" otherwise)
  int bit_width = 0;     // BIT(n)
  int int_bytes = 0;     // width of a MySQL integer type (1, 2, 3, 4, 8), for unsigned values
  bool is_unsigned = false;
  std::vector<std::string> members;  // ENUM/SET members in declaration order
};

// The destination column for `col`. kFailedPrecondition for a type sync does
// not map (the message names the column and type).
Result<PgColumn> MapColumn(const ColumnSchema& col, Dialect dialect);
// Every column of `table`, in source order.
Result<std::vector<PgColumn>> MapColumns(const TableSchema& table, Dialect dialect);

// Renders Values as PostgreSQL text input. Not thread-safe (owns a charset
// converter with cached iconv descriptors).
class ValueEncoder {
 public:
  // Appends the text form of non-NULL `v` for column `col`. Errors describe
  // the value; the caller adds table and column.
  Status AppendText(const Value& v, const PgColumn& col, std::string* out);
  // Appends one field of COPY's text format: \N for NULL, else the text form
  // with backslash, tab, newline and carriage return escaped.
  Status AppendCopyField(const Value& v, const PgColumn& col, std::string* out);
  // Appends one field of COPY's binary format: its length (-1 for NULL),
  // then the value as the destination type's binary input reads it
  // (pg_binary_copy.hpp: only for columns of the types MapColumn gives).
  Status AppendBinaryField(const Value& v, const PgColumn& col, std::string* out);
  // The text form, or nullopt for NULL (for bound parameters).
  Result<std::optional<std::string>> ParameterText(const Value& v, const PgColumn& col);
  CharsetConverter& charsets() { return charsets_; }

 private:
  CharsetConverter charsets_;
  std::string scratch_;
};

// Appends `text` escaped for COPY's text format.
void AppendCopyEscaped(std::string_view text, std::string* out);

}  // namespace dbsync::postgres
