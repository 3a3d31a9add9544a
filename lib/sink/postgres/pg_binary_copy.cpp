#include "sink/postgres/pg_binary_copy.hpp"

#include <bit>
#include <cstdlib>
#include <limits>

#include "core/value_text.hpp"

namespace dbsync::postgres {
namespace {

// Seconds and days from the Unix epoch to PostgreSQL's (2000-01-01).
constexpr int64_t kPgEpochDays = 10957;
constexpr int64_t kPgEpochSeconds = kPgEpochDays * 86400;
// -infinity of date and of timestamp[tz] (DATEVAL_NOBEGIN, DT_NOBEGIN).
constexpr int32_t kDateMinusInfinity = std::numeric_limits<int32_t>::min();
constexpr int64_t kTimestampMinusInfinity = std::numeric_limits<int64_t>::min();

template <typename T>
void PutBigEndian(T v, std::string* out) {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>(u >> (8 * (sizeof(T) - 1 - i)));
  out->append(bytes, sizeof(T));
}

// A field: its length, then what `append` writes (the length is patched in after).
template <typename Append>
Status AppendSized(std::string* out, Append append) {
  size_t at = out->size();
  out->append(4, '\0');
  Status s = append();
  if (!s.ok()) return s;
  size_t length = out->size() - at - 4;
  if (length > size_t(std::numeric_limits<int32_t>::max()))
    return Status::FailedPrecondition("a value of " + std::to_string(length) +
                                      " bytes is larger than PostgreSQL stores in one field (1 GB)");
  std::string size;
  PutBigEndian(int32_t(length), &size);
  out->replace(at, 4, size);
  return Status::Ok();
}

Status KindMismatch(const Value& v, const PgColumn& col) {
  return Status::FailedPrecondition(std::string("a ") + ValueKindName(v.kind()) + " value cannot be written to a " +
                                    col.type + " column; the table's schema changed without sync noticing: "
                                    "restart the task so that it re-reads the schema");
}

// A MySQL integer read as signed although the column is unsigned: reinterpret within the column's width.
uint64_t AsUnsigned(int64_t v, int int_bytes) {
  if (v >= 0 || int_bytes >= 8 || int_bytes <= 0) return static_cast<uint64_t>(v);
  return static_cast<uint64_t>(v + (int64_t{1} << (8 * int_bytes)));
}

bool IsValidDate(int64_t year, unsigned month, unsigned day) {
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month != 2 || day <= 28 || leap;
}

Status OutOfRange(const std::string& what) {
  return Status::FailedPrecondition("date/time field value out of range: " + what +
                                    " (PostgreSQL has no such date; fix the value at the source)");
}

// Days since 2000-01-01 of a calendar date the caller checked.
Result<int32_t> PgDays(int32_t year, unsigned month, unsigned day) {
  if (!IsValidDate(year, month, day)) {
    std::string text;
    AppendDate(year, month, day, &text);
    return OutOfRange(text);
  }
  return int32_t(DaysFromCivil(year, month, day) - kPgEpochDays);
}

Result<int64_t> PgMicros(const DateTime& d) {
  if (d.hour > 23 || d.minute > 59 || d.second > 59 || d.micros > 999999 || !IsValidDate(d.year, d.month, d.day)) {
    std::string text;
    AppendDateTime(d, &text);
    return OutOfRange(text);
  }
  int64_t days = DaysFromCivil(d.year, d.month, d.day) - kPgEpochDays;
  return ((days * 24 + d.hour) * 60 + d.minute) * 60 * 1000000 + int64_t(d.second) * 1000000 + d.micros;
}

DateTime MidnightOf(const Date& d) { return DateTime{d.year, d.month, d.day, 0, 0, 0, 0, 0}; }

// The on-wire numeric (NumericVar): digit count, weight, sign, display
// scale, then base-10000 digits, from decimal text ("-123.4500").
Status AppendNumeric(std::string_view text, std::string* out) {
  bool negative = false;
  size_t p = 0;
  if (p < text.size() && (text[p] == '-' || text[p] == '+')) negative = text[p++] == '-';
  const size_t dot = text.find('.', p);
  std::string_view whole = text.substr(p, (dot == std::string_view::npos ? text.size() : dot) - p);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto all_digits = [](std::string_view s) { return s.find_first_not_of("0123456789") == std::string_view::npos; };
  if ((whole.empty() && fraction.empty()) || !all_digits(whole) || !all_digits(fraction) || fraction.size() > 0x3FFF)
    return Status::FailedPrecondition("'" + std::string(text) + "' is not a decimal number");
  while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
  std::string padded((4 - whole.size() % 4) % 4, '0');
  padded.append(whole);
  int weight = int(padded.size() / 4) - 1;  // the power of 10000 of the first group
  padded.append(fraction).append((4 - fraction.size() % 4) % 4, '0');
  std::vector<int16_t> groups;
  for (size_t i = 0; i < padded.size(); i += 4)
    groups.push_back(int16_t((padded[i] - '0') * 1000 + (padded[i + 1] - '0') * 100 + (padded[i + 2] - '0') * 10 +
                             (padded[i + 3] - '0')));
  size_t first = 0, last = groups.size();
  while (first < last && groups[first] == 0) ++first, --weight;
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) weight = 0, negative = false;
  PutBigEndian(int16_t(last - first), out);
  PutBigEndian(int16_t(weight), out);
  PutBigEndian(uint16_t(negative ? 0x4000 : 0), out);
  PutBigEndian(int16_t(fraction.size()), out);
  for (size_t i = first; i < last; ++i) PutBigEndian(groups[i], out);
  return Status::Ok();
}

Status AppendInteger(const Value& v, const PgColumn& col, std::string* out) {
  int64_t n;
  if (v.kind() == ValueKind::kInt && !col.is_unsigned) n = v.as<int64_t>();
  else if (v.kind() == ValueKind::kInt || v.kind() == ValueKind::kUint) {
    uint64_t u = v.kind() == ValueKind::kUint ? v.as<uint64_t>() : AsUnsigned(v.as<int64_t>(), col.int_bytes);
    if (u > uint64_t(std::numeric_limits<int64_t>::max()))
      return Status::FailedPrecondition(std::to_string(u) + " is out of range for " + col.type);
    n = int64_t(u);
  } else if (v.kind() == ValueKind::kYear) n = v.as<Year>().value;
  else return KindMismatch(v, col);
  auto fits = [&](auto type) {
    using T = decltype(type);
    return n >= std::numeric_limits<T>::min() && n <= std::numeric_limits<T>::max();
  };
  // col.type is smallint, integer or bigint (MapColumn): told apart by the first letter, per value.
  if (col.type[0] == 'b') {
    PutBigEndian(int32_t(8), out);
    PutBigEndian(n, out);
  } else if (col.type[0] == 'i' && fits(int32_t())) {
    PutBigEndian(int32_t(4), out);
    PutBigEndian(int32_t(n), out);
  } else if (col.type[0] == 's' && fits(int16_t())) {
    PutBigEndian(int32_t(2), out);
    PutBigEndian(int16_t(n), out);
  } else {
    return Status::FailedPrecondition(std::to_string(n) + " is out of range for " + col.type);
  }
  return Status::Ok();
}

Status AppendNumericField(ValueEncoder& encoder, const Value& v, const PgColumn& col, std::string* out) {
  if (v.kind() == ValueKind::kDecimal)
    return AppendSized(out, [&] { return AppendNumeric(v.as<Decimal>().text, out); });
  std::string text;  // integers (BIGINT UNSIGNED is numeric(20,0)), floats: their exact text
  SYNC_RETURN_IF_ERROR(encoder.AppendText(v, col, &text));
  return AppendSized(out, [&] { return AppendNumeric(text, out); });
}

Status AppendFloat(const Value& v, const PgColumn& col, std::string* out) {
  double d;
  if (v.kind() == ValueKind::kDouble) {
    d = v.as<double>();
  } else if (v.kind() == ValueKind::kFloat && col.kind == PgKind::kReal) {
    d = v.as<float>();
  } else if (v.kind() == ValueKind::kFloat) {
    // The text path writes the float's shortest text, which a double column reads as that decimal.
    std::string text;
    AppendNumber(v.as<float>(), &text);
    d = std::strtod(text.c_str(), nullptr);
  } else {
    return KindMismatch(v, col);
  }
  if (col.kind == PgKind::kReal) {
    PutBigEndian(int32_t(4), out);
    PutBigEndian(std::bit_cast<uint32_t>(float(d)), out);
  } else {
    PutBigEndian(int32_t(8), out);
    PutBigEndian(std::bit_cast<uint64_t>(d), out);
  }
  return Status::Ok();
}

Status AppendDateField(const Value& v, const PgColumn& col, std::string* out) {
  DateTime d;
  if (v.kind() == ValueKind::kDate) d = MidnightOf(v.as<Date>());
  else if (v.kind() == ValueKind::kDateTime) d = v.as<DateTime>();
  else if (v.kind() == ValueKind::kTimestamp && (v.as<Timestamp>().epoch_seconds || v.as<Timestamp>().micros))
    d = v.as<Timestamp>().ToUtcDateTime();  // the text form is its UTC wall clock
  else if (v.kind() != ValueKind::kTimestamp) return KindMismatch(v, col);
  int32_t days = kDateMinusInfinity;
  if (!IsZeroDate(d.year, d.month, d.day)) {
    SYNC_ASSIGN_OR_RETURN(days, PgDays(d.year, d.month, d.day));
  }
  PutBigEndian(int32_t(4), out);
  PutBigEndian(days, out);
  return Status::Ok();
}

Status AppendTimestampField(const Value& v, const PgColumn& col, std::string* out) {
  int64_t micros = kTimestampMinusInfinity;
  if (v.kind() == ValueKind::kTimestamp) {
    const Timestamp& ts = v.as<Timestamp>();
    // MySQL's TIMESTAMP range starts at epoch 1, so epoch 0 is the zero value.
    if (ts.epoch_seconds != 0 || ts.micros != 0) micros = (ts.epoch_seconds - kPgEpochSeconds) * 1000000 + ts.micros;
  } else if ((v.kind() == ValueKind::kDateTime || v.kind() == ValueKind::kDate) && col.kind == PgKind::kTimestamp) {
    // A date is its midnight, as the text form reads. (A wall clock into
    // timestamptz would depend on the session's time zone: not written in binary.)
    DateTime d;
    d = v.kind() == ValueKind::kDate ? MidnightOf(v.as<Date>()) : v.as<DateTime>();
    if (!IsZeroDate(d.year, d.month, d.day)) {
      SYNC_ASSIGN_OR_RETURN(micros, PgMicros(d));
    }
  } else {
    return KindMismatch(v, col);
  }
  PutBigEndian(int32_t(8), out);
  PutBigEndian(micros, out);
  return Status::Ok();
}

Status AppendInterval(const Value& v, const PgColumn& col, std::string* out) {
  if (v.kind() != ValueKind::kTime) return KindMismatch(v, col);
  const Time& t = v.as<Time>();
  int64_t micros = ((int64_t(t.hours) * 60 + t.minutes) * 60 + t.seconds) * 1000000 + t.micros;
  PutBigEndian(int32_t(16), out);
  PutBigEndian(t.negative ? -micros : micros, out);
  PutBigEndian(int32_t(0), out);  // days
  PutBigEndian(int32_t(0), out);  // months
  return Status::Ok();
}

Status AppendBit(const Value& v, const PgColumn& col, std::string* out) {
  if (v.kind() != ValueKind::kBit) return KindMismatch(v, col);
  const Bit& b = v.as<Bit>();
  const int width = col.bit_width > 0 ? col.bit_width : b.width;
  std::string bytes(size_t(width + 7) / 8, '\0');
  // Most significant bit first, as the text form "0101" reads.
  for (int i = 0; i < width; ++i) {
    int bit = width - 1 - i;
    if (bit < 64 && ((b.bits >> bit) & 1)) bytes[size_t(i / 8)] = char(bytes[size_t(i / 8)] | (0x80 >> (i % 8)));
  }
  PutBigEndian(int32_t(4 + bytes.size()), out);
  PutBigEndian(int32_t(width), out);
  out->append(bytes);
  return Status::Ok();
}

Status AppendBytea(ValueEncoder& encoder, const Value& v, const PgColumn& col, std::string* out) {
  return AppendSized(out, [&] {
    if (v.kind() == ValueKind::kBytes) {
      out->append(v.as<Bytes>().data);
      return Status::Ok();
    }
    if (v.kind() == ValueKind::kGeometry) {
      const Geometry& g = v.as<Geometry>();
      for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(g.srid >> (8 * i)));  // little-endian SRID
      out->append(g.wkb);
      return Status::Ok();
    }
    return encoder.AppendText(v, col, out);
  });
}

}  // namespace

void AppendBinaryCopyHeader(std::string* out) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // and its terminating NUL
  out->append(kSignature, sizeof kSignature);
  PutBigEndian(int32_t(0), out);  // flags: no OIDs
  PutBigEndian(int32_t(0), out);  // header extension length
}

void AppendBinaryCopyTrailer(std::string* out) { PutBigEndian(int16_t(-1), out); }

void AppendBinaryRowStart(size_t fields, std::string* out) { PutBigEndian(int16_t(fields), out); }

Status ValueEncoder::AppendBinaryField(const Value& v, const PgColumn& col, std::string* out) {
  if (v.is_null()) {
    PutBigEndian(int32_t(-1), out);
    return Status::Ok();
  }
  switch (col.kind) {
    case PgKind::kInteger: return AppendInteger(v, col, out);
    case PgKind::kNumeric: return AppendNumericField(*this, v, col, out);
    case PgKind::kReal:
    case PgKind::kDouble: return AppendFloat(v, col, out);
    case PgKind::kDate: return AppendDateField(v, col, out);
    case PgKind::kTimestamp:
    case PgKind::kTimestamptz: return AppendTimestampField(v, col, out);
    case PgKind::kInterval: return AppendInterval(v, col, out);
    case PgKind::kBit: return AppendBit(v, col, out);
    case PgKind::kBytea: return AppendBytea(*this, v, col, out);
    case PgKind::kJsonb:
      return AppendSized(out, [&] {
        out->push_back('\1');  // jsonb's binary input: a version byte, then the text
        return AppendText(v, col, out);
      });
    case PgKind::kText: return AppendSized(out, [&] { return AppendText(v, col, out); });
  }
  return Status::Internal("unhandled column kind");
}

std::string BinaryCopyTypeName(const PgColumn& col) {
  switch (col.kind) {
    case PgKind::kInteger: return col.type;  // smallint, integer, bigint
    case PgKind::kText: return col.type.starts_with("varchar") ? "character varying" : "text";
    case PgKind::kTimestamp: return "timestamp without time zone";
    case PgKind::kTimestamptz: return "timestamp with time zone";
    case PgKind::kBit: return "bit";
    default: return col.base_type;  // numeric, real, double precision, bytea, date, interval, jsonb
  }
}

bool BinaryCopyTypesMatch(const std::vector<PgColumn>& columns, const std::vector<std::string>& destination_types) {
  if (columns.size() != destination_types.size()) return false;
  for (size_t i = 0; i < columns.size(); ++i)
    if (BinaryCopyTypeName(columns[i]) != destination_types[i]) return false;
  return true;
}

}  // namespace dbsync::postgres
