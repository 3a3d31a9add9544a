#pragma once
// Value: one typed cell of a MySQL row, shared by the binlog decoder, the
// snapshot reader and every sink.
//
// Time semantics (the "8 hours off" rule of DESIGN.md):
//  - Timestamp is an instant: seconds since the Unix epoch in UTC plus
//    microseconds. The binlog carries exactly this; the snapshot reader must
//    read TIMESTAMP columns with session time_zone='+00:00' to get the same.
//  - DateTime is a wall clock with no zone, exactly as stored; it is never
//    shifted by any time zone.
//  - Date, DateTime and Year keep MySQL's zero values ('0000-00-00',
//    '0000-00-00 00:00:00', year 0) and partial zero dates ('2020-00-00')
//    representable: a sink decides what to map them to, we never guess.
//  - Time is a duration (-838:59:59 .. 838:59:59), not a time of day.
//
// Strings keep their raw bytes: `collation` is the MySQL collation id when
// known (from TABLE_MAP metadata or information_schema), kBinaryCollation for
// BINARY/VARBINARY/BLOB, and kUnknownCollation when the source did not say
// (binlogs older than MySQL 8 carry no charset). Decimal is canonical text so
// no precision is ever lost.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace dbsync {

struct NullValue {
  bool operator==(const NullValue&) const = default;
};

// DECIMAL in canonical text: optional '-', integer digits (at least one), and
// exactly `scale` fractional digits ("-0.50", "12", "0.000").
struct Decimal {
  std::string text;
  bool operator==(const Decimal&) const = default;
};

inline constexpr uint16_t kUnknownCollation = 0;
inline constexpr uint16_t kBinaryCollation = 63;

// CHAR/VARCHAR/TEXT/BINARY/VARBINARY/BLOB contents: raw bytes, never transcoded.
struct Bytes {
  std::string data;
  uint16_t collation = kUnknownCollation;
  bool is_binary() const { return collation == kBinaryCollation; }
  bool operator==(const Bytes&) const = default;
};

struct Date {
  int32_t year = 0;  // 0..9999; 0 with month 0 and day 0 is the zero date
  uint8_t month = 0;
  uint8_t day = 0;
  bool operator==(const Date&) const = default;
};

struct Time {
  bool negative = false;
  uint32_t hours = 0;  // up to 838, not a time of day
  uint8_t minutes = 0;
  uint8_t seconds = 0;
  uint32_t micros = 0;
  uint8_t fsp = 0;  // declared fractional digits, for rendering
  bool operator==(const Time&) const = default;
};

struct DateTime {
  int32_t year = 0;
  uint8_t month = 0;
  uint8_t day = 0;
  uint8_t hour = 0;
  uint8_t minute = 0;
  uint8_t second = 0;
  uint32_t micros = 0;
  uint8_t fsp = 0;
  bool operator==(const DateTime&) const = default;
};

// An instant: UTC epoch seconds. Zero ('0000-00-00 00:00:00') is epoch 0.
struct Timestamp {
  int64_t epoch_seconds = 0;
  uint32_t micros = 0;
  uint8_t fsp = 0;
  // The same instant as a UTC wall clock (for sinks that want a civil time).
  DateTime ToUtcDateTime() const;
  bool operator==(const Timestamp&) const = default;
};

struct Year {
  uint16_t value = 0;  // 0 = the zero year, else 1901..2155
  bool operator==(const Year&) const = default;
};

struct Bit {
  uint64_t bits = 0;
  uint16_t width = 1;  // declared BIT(width)
  bool operator==(const Bit&) const = default;
};

// ENUM: 1-based index (0 = the '' error value) and its label when known.
struct Enum {
  uint32_t index = 0;
  std::string label;  // empty when the column's values are unknown
  bool operator==(const Enum&) const = default;
};

// SET: member bitmask (bit 0 = first member) and the labels of the set bits
// when known.
struct Set {
  uint64_t mask = 0;
  std::vector<std::string> labels;
  bool has_labels = false;
  bool operator==(const Set&) const = default;
};

struct Json {
  std::string text;  // MySQL's JSON text rendering ({"a": 1, "b": [true, null]})
  bool operator==(const Json&) const = default;
};

// GEOMETRY as MySQL stores it: a 4-byte little-endian SRID, then WKB.
struct Geometry {
  uint32_t srid = 0;
  std::string wkb;
  bool operator==(const Geometry&) const = default;
};

enum class ValueKind {
  kNull, kInt, kUint, kFloat, kDouble, kDecimal, kBytes, kDate, kTime, kDateTime,
  kTimestamp, kYear, kBit, kEnum, kSet, kJson, kGeometry,
};

class Value {
 public:
  // The alternatives are listed in ValueKind order.
  using Storage = std::variant<NullValue, int64_t, uint64_t, float, double, Decimal, Bytes, Date,
                               Time, DateTime, Timestamp, Year, Bit, Enum, Set, Json, Geometry>;

  Value() = default;
  template <typename T>
    requires(!std::is_same_v<std::decay_t<T>, Value> && std::is_constructible_v<Storage, T>)
  Value(T&& v) : v_(std::forward<T>(v)) {}  // NOLINT: implicit from any alternative

  static Value Null() { return Value(); }

  ValueKind kind() const { return static_cast<ValueKind>(v_.index()); }
  bool is_null() const { return kind() == ValueKind::kNull; }
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }
  template <typename T>
  const T& as() const {
    return std::get<T>(v_);
  }
  const Storage& storage() const { return v_; }
  // Builds the alternative in place: decoders fill strings without a
  // temporary Value per cell.
  template <typename T, typename... Args>
  T& Emplace(Args&&... args) {
    return v_.template emplace<T>(std::forward<Args>(args)...);
  }

  // Rendering comparable with `mysqlbinlog -v` ("###   @1=..." lines):
  // NULL, 42, 'text', 'YYYY-MM-DD HH:MM:SS.ffffff', b'101', TIMESTAMP as epoch
  // seconds, ENUM as its index, SET as a bit string.
  std::string ToString() const;
  // A JSON value for machine output: numbers stay numbers (DECIMAL and
  // 64-bit values beyond 2^53 are strings), temporals are ISO-like strings,
  // TIMESTAMP is "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", binary bytes are "0x..." hex.
  nlohmann::json ToJson() const;
  // The memory this value holds: the Value itself and its string's heap
  // buffer (what bounds a batch of changes in bytes, not rows).
  size_t MemoryBytes() const;

  bool operator==(const Value&) const = default;

 private:
  Storage v_;
};

const char* ValueKindName(ValueKind kind);

// The memory a row image holds (the sum of its values' MemoryBytes).
size_t MemoryBytes(const std::vector<Value>& row);

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace dbsync
