#include "source/mysql/binlog/value_decoder.hpp"

#include <cstring>

#include "source/mysql/binlog/json_binary.hpp"

namespace dbsync::binlog {
namespace {

constexpr int kDigitsPerGroup = 9;
constexpr int kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr uint32_t kPow10[10] = {1,      10,      100,      1000,      10000,
                                 100000, 1000000, 10000000, 100000000, 1000000000};

Status Truncated(const ColumnDef& col) {
  return Status::Corruption(std::string(ColumnTypeName(col.real_type)) + " value runs past the end of the event");
}

int64_t SignExtend(uint64_t v, size_t bytes) {
  const int shift = 64 - 8 * static_cast<int>(bytes);
  return static_cast<int64_t>(v << shift) >> shift;
}

void SetInteger(uint64_t raw, size_t bytes, const ColumnDef& col, Value* out) {
  if (col.is_unsigned.value_or(false)) {
    out->Emplace<uint64_t>(raw);
  } else {
    out->Emplace<int64_t>(SignExtend(raw, bytes));
  }
}

// Fractional seconds of TIME2/DATETIME2/TIMESTAMP2: (fsp+1)/2 big-endian bytes.
uint32_t ReadMicros(ByteReader& r, uint8_t fsp) {
  switch ((fsp + 1) / 2) {
    case 1: return static_cast<uint32_t>(r.ReadUintBigEndian(1)) * 10000;
    case 2: return static_cast<uint32_t>(r.ReadUintBigEndian(2)) * 100;
    case 3: return static_cast<uint32_t>(r.ReadUintBigEndian(3));
    default: return 0;
  }
}

Time DecodeTime2(ByteReader& r, uint8_t fsp) {
  // my_time_packed_from_binary: a packed value with 24 bits of fraction.
  constexpr int64_t kIntOffset = 0x800000;
  int64_t packed = 0;
  switch (fsp) {
    case 1:
    case 2: {
      int64_t intpart = static_cast<int64_t>(r.ReadUintBigEndian(3)) - kIntOffset;
      int64_t frac = r.ReadU8();
      if (intpart < 0 && frac != 0) {
        // Negative values store the fraction in reverse order (for binary
        // sorting): borrow one second back from it.
        ++intpart;
        frac -= 0x100;
      }
      packed = intpart * (int64_t(1) << 24) + frac * 10000;
      break;
    }
    case 3:
    case 4: {
      int64_t intpart = static_cast<int64_t>(r.ReadUintBigEndian(3)) - kIntOffset;
      int64_t frac = static_cast<int64_t>(r.ReadUintBigEndian(2));
      if (intpart < 0 && frac != 0) {
        ++intpart;
        frac -= 0x10000;
      }
      packed = intpart * (int64_t(1) << 24) + frac * 100;
      break;
    }
    case 5:
    case 6:
      packed = static_cast<int64_t>(r.ReadUintBigEndian(6)) - (kIntOffset << 24);
      break;
    default:
      packed = (static_cast<int64_t>(r.ReadUintBigEndian(3)) - kIntOffset) * (int64_t(1) << 24);
  }
  Time t = UnpackTime(packed);
  t.fsp = fsp;
  return t;
}

DateTime DecodeDateTime2(ByteReader& r, uint8_t fsp) {
  int64_t intpart = static_cast<int64_t>(r.ReadUintBigEndian(5)) - 0x8000000000LL;
  uint32_t micros = ReadMicros(r, fsp);
  DateTime d = UnpackDateTime(intpart * (int64_t(1) << 24));
  d.micros = micros;
  d.fsp = fsp;
  return d;
}

DateTime DecodeOldDateTime(uint64_t v) {
  // YYYYMMDDhhmmss as a decimal number.
  DateTime d;
  d.second = v % 100, v /= 100;
  d.minute = v % 100, v /= 100;
  d.hour = v % 100, v /= 100;
  d.day = v % 100, v /= 100;
  d.month = v % 100, v /= 100;
  d.year = static_cast<int32_t>(v % 10000);
  return d;
}

Time DecodeOldTime(int64_t v) {
  Time t;
  t.negative = v < 0;
  uint64_t u = t.negative ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
  t.seconds = u % 100;
  t.minutes = (u / 100) % 100;
  t.hours = static_cast<uint32_t>(u / 10000);
  return t;
}

// Length-prefixed bytes: `prefix` little-endian length bytes, then data.
Status ReadPrefixed(ByteReader& r, size_t prefix, const ColumnDef& col, std::string* out) {
  if (prefix < 1 || prefix > 4) return Status::Corruption("bad length width " + std::to_string(prefix));
  uint64_t n = r.ReadUint(prefix);
  auto bytes = r.ReadString(n);
  if (!r.ok()) return Truncated(col);
  out->assign(bytes);
  return Status::Ok();
}

Status ReadBytesValue(ByteReader& r, size_t prefix, const ColumnDef& col, uint16_t collation, Value* out) {
  Bytes& b = out->Emplace<Bytes>();
  b.collation = collation;
  return ReadPrefixed(r, prefix, col, &b.data);
}

void SetEnum(uint64_t index, const ColumnDef& col, Value* out) {
  Enum& e = out->Emplace<Enum>();
  e.index = static_cast<uint32_t>(index);
  if (index >= 1 && index <= col.enum_values.size()) e.label = col.enum_values[index - 1];
}

Value SetValue(uint64_t mask, const ColumnDef& col) {
  Set s{mask, {}, !col.set_values.empty()};
  for (size_t i = 0; i < col.set_values.size() && i < 64; ++i)
    if ((mask >> i) & 1) s.labels.push_back(col.set_values[i]);
  return s;
}

}  // namespace

size_t DecimalBinarySize(int precision, int scale) {
  if (precision <= 0 || scale < 0 || scale > precision || precision > 81) return 0;
  const int intg = precision - scale;
  return (intg / kDigitsPerGroup) * 4 + kDigitBytes[intg % kDigitsPerGroup] +
         (scale / kDigitsPerGroup) * 4 + kDigitBytes[scale % kDigitsPerGroup];
}

Status DecodeDecimalInto(std::span<const uint8_t> bytes, int precision, int scale, std::string* out) {
  const size_t size = DecimalBinarySize(precision, scale);
  if (size == 0) {
    return Status::Corruption("invalid DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")");
  }
  if (bytes.size() != size) return Status::Corruption("DECIMAL value is truncated");
  // decimal2bin: the sign bit is flipped, and negative numbers have every byte inverted.
  uint8_t buf[48];
  std::memcpy(buf, bytes.data(), size);
  const bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative)
    for (size_t i = 0; i < size; ++i) buf[i] = ~buf[i];
  ByteReader r(std::span<const uint8_t>(buf, size));

  // Every digit group is written zero-padded into one buffer (at most 81
  // digits, a sign and a point); leading zeros are dropped at the end. This
  // runs once per DECIMAL cell of every row event, so no temporaries.
  char text[96];
  char* p = text + 2;  // room for a sign and a lone integer zero in front
  bool valid = true;
  auto group = [&](int digits) {
    uint32_t v = static_cast<uint32_t>(r.ReadUintBigEndian(kDigitBytes[digits]));
    if (v >= kPow10[digits]) valid = false;
    for (int i = digits - 1; i >= 0; --i, v /= 10) p[i] = char('0' + v % 10);
    p += digits;
  };
  const int intg = precision - scale;
  if (intg % kDigitsPerGroup) group(intg % kDigitsPerGroup);
  for (int i = 0; i < intg / kDigitsPerGroup; ++i) group(kDigitsPerGroup);
  char* const int_end = p;
  for (int i = 0; i < scale / kDigitsPerGroup; ++i) group(kDigitsPerGroup);
  if (scale % kDigitsPerGroup) group(scale % kDigitsPerGroup);
  if (!valid) return Status::Corruption("DECIMAL digit group out of range");

  char* first = text + 2;
  while (first < int_end && *first == '0') ++first;
  bool is_zero = first == int_end;
  for (const char* f = int_end; is_zero && f < p; ++f) is_zero = *f == '0';
  if (first == int_end) *--first = '0';  // at least one integer digit
  if (scale > 0) {
    std::memmove(int_end + 1, int_end, size_t(p - int_end));
    *int_end = '.';
    ++p;
  }
  if (negative && !is_zero) *--first = '-';
  out->assign(first, size_t(p - first));
  return Status::Ok();
}

Result<std::string> DecodeDecimal(std::span<const uint8_t> bytes, int precision, int scale) {
  std::string text;
  SYNC_RETURN_IF_ERROR(DecodeDecimalInto(bytes, precision, scale, &text));
  return text;
}

DateTime UnpackDateTime(int64_t packed) {
  DateTime d;
  // Unsigned magnitude: negating INT64_MIN (hostile input) would overflow.
  const uint64_t magnitude = packed < 0 ? 0 - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
  d.micros = static_cast<uint32_t>(magnitude % (uint64_t(1) << 24));
  const int64_t ymdhms = static_cast<int64_t>(magnitude >> 24);
  const int64_t ymd = ymdhms >> 17;
  const int64_t ym = ymd >> 5;
  const int64_t hms = ymdhms % (1 << 17);
  d.day = ymd % 32;
  d.month = ym % 13;
  d.year = static_cast<int32_t>(ym / 13);
  d.second = hms % 64;
  d.minute = (hms >> 6) % 64;
  d.hour = static_cast<uint8_t>(hms >> 12);
  return d;
}

Time UnpackTime(int64_t packed) {
  Time t;
  t.negative = packed < 0;
  const uint64_t magnitude = t.negative ? 0 - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
  const int64_t hms = static_cast<int64_t>(magnitude >> 24);
  t.micros = static_cast<uint32_t>(magnitude % (uint64_t(1) << 24));
  t.hours = static_cast<uint32_t>((hms >> 12) % (1 << 10));
  t.minutes = (hms >> 6) % 64;
  t.seconds = hms % 64;
  return t;
}

Status DecodeColumnValue(ByteReader& r, const ColumnDef& col, Value* out) {
  const uint16_t meta = col.meta;
  switch (col.real_type) {
    case ColumnType::kTiny: SetInteger(r.ReadUint(1), 1, col, out); break;
    case ColumnType::kShort: SetInteger(r.ReadUint(2), 2, col, out); break;
    case ColumnType::kInt24: SetInteger(r.ReadUint(3), 3, col, out); break;
    case ColumnType::kLong: SetInteger(r.ReadUint(4), 4, col, out); break;
    case ColumnType::kLongLong: SetInteger(r.ReadUint(8), 8, col, out); break;
    case ColumnType::kFloat: {
      uint32_t bits = r.ReadU32();
      float f;
      std::memcpy(&f, &bits, sizeof f);
      out->Emplace<float>(f);
      break;
    }
    case ColumnType::kDouble: {
      uint64_t bits = r.ReadU64();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      out->Emplace<double>(d);
      break;
    }
    case ColumnType::kNewDecimal: {
      const int precision = meta >> 8, scale = meta & 0xFF;
      const size_t size = DecimalBinarySize(precision, scale);
      if (size == 0) return Status::Corruption("TABLE_MAP declares an invalid DECIMAL");
      auto bytes = r.ReadBytes(size);
      if (!r.ok()) return Truncated(col);
      return DecodeDecimalInto(bytes, precision, scale, &out->Emplace<Decimal>().text);
    }
    case ColumnType::kYear: {
      uint8_t y = r.ReadU8();
      out->Emplace<Year>(Year{static_cast<uint16_t>(y == 0 ? 0 : 1900 + y)});
      break;
    }
    case ColumnType::kDate:
    case ColumnType::kNewDate: {
      uint32_t v = r.ReadU24();
      out->Emplace<Date>(Date{static_cast<int32_t>(v >> 9), static_cast<uint8_t>((v >> 5) & 15), static_cast<uint8_t>(v & 31)});
      break;
    }
    case ColumnType::kTime: out->Emplace<Time>(DecodeOldTime(SignExtend(r.ReadU24(), 3))); break;
    case ColumnType::kTime2: out->Emplace<Time>(DecodeTime2(r, static_cast<uint8_t>(meta))); break;
    case ColumnType::kDateTime: out->Emplace<DateTime>(DecodeOldDateTime(r.ReadU64())); break;
    case ColumnType::kDateTime2: out->Emplace<DateTime>(DecodeDateTime2(r, static_cast<uint8_t>(meta))); break;
    case ColumnType::kTimestamp: out->Emplace<Timestamp>(Timestamp{r.ReadU32(), 0, 0}); break;
    case ColumnType::kTimestamp2: {
      int64_t secs = static_cast<int64_t>(r.ReadUintBigEndian(4));
      uint32_t micros = ReadMicros(r, static_cast<uint8_t>(meta));
      out->Emplace<Timestamp>(Timestamp{secs, micros, static_cast<uint8_t>(meta)});
      break;
    }
    case ColumnType::kBit: {
      const unsigned nbits = (meta >> 8) * 8 + (meta & 0xFF);
      if (nbits == 0 || nbits > 64) return Status::Corruption("BIT width " + std::to_string(nbits));
      out->Emplace<Bit>(Bit{r.ReadUintBigEndian((nbits + 7) / 8), static_cast<uint16_t>(nbits)});
      break;
    }
    case ColumnType::kVarchar:
    case ColumnType::kVarString: return ReadBytesValue(r, meta < 256 ? 1 : 2, col, col.collation, out);
    case ColumnType::kString: {
      // CHAR(n) longer than 255 bytes keeps two length bits in the real-type byte.
      const unsigned max_len = (((meta >> 4) & 0x300) ^ 0x300) + (meta & 0xFF);
      return ReadBytesValue(r, max_len < 256 ? 1 : 2, col, col.collation, out);
    }
    case ColumnType::kEnum: {
      const size_t width = meta & 0xFF;
      if (width != 1 && width != 2) return Status::Corruption("ENUM width " + std::to_string(width));
      SetEnum(r.ReadUint(width), col, out);
      break;
    }
    case ColumnType::kSet: {
      const size_t width = meta & 0xFF;
      if (width < 1 || width > 8) return Status::Corruption("SET width " + std::to_string(width));
      *out = SetValue(r.ReadUint(width), col);
      break;
    }
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kBlob: return ReadBytesValue(r, meta, col, col.collation, out);
    case ColumnType::kVector: return ReadBytesValue(r, meta, col, kBinaryCollation, out);
    case ColumnType::kGeometry: {
      std::string raw;
      SYNC_RETURN_IF_ERROR(ReadPrefixed(r, meta, col, &raw));
      if (raw.size() < 4) return Status::Corruption("GEOMETRY value shorter than its SRID");
      Geometry g;
      for (int i = 0; i < 4; ++i) g.srid |= uint32_t(uint8_t(raw[i])) << (8 * i);
      g.wkb = raw.substr(4);
      *out = std::move(g);
      break;
    }
    case ColumnType::kJson: {
      std::string raw;
      SYNC_RETURN_IF_ERROR(ReadPrefixed(r, meta, col, &raw));
      SYNC_ASSIGN_OR_RETURN(std::string text,
                            JsonBinaryToText({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}));
      *out = Json{std::move(text)};
      break;
    }
    case ColumnType::kNull:
      *out = Value::Null();
      break;
    default:
      return Status::FailedPrecondition(std::string("column type ") + ColumnTypeName(col.real_type) + " (" +
                                        std::to_string(int(col.real_type)) + ") is not supported");
  }
  if (!r.ok()) return Truncated(col);
  return Status::Ok();
}

}  // namespace dbsync::binlog
