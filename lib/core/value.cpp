#include "core/value.hpp"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace dbsync {
namespace {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang < 17 lacks aggregate CTAD

std::string FormatFloat(double v, bool single) {
  char buf[64];
  auto r = single ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v))
                  : std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

// ".ffffff" cut to `fsp` digits; empty for fsp 0.
std::string Fraction(uint32_t micros, uint8_t fsp) {
  if (fsp == 0) return "";
  if (fsp > 6) fsp = 6;
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%06u", micros % 1000000);
  return "." + std::string(buf, fsp);
}

std::string DateText(const Date& d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", d.year, unsigned(d.month), unsigned(d.day));
  return buf;
}

std::string TimeText(const Time& t) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%02u:%02u:%02u", t.negative ? "-" : "", t.hours,
                unsigned(t.minutes), unsigned(t.seconds));
  return buf + Fraction(t.micros, t.fsp);
}

std::string DateTimeText(const DateTime& d, char sep) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u%c%02u:%02u:%02u", d.year, unsigned(d.month),
                unsigned(d.day), sep, unsigned(d.hour), unsigned(d.minute), unsigned(d.second));
  return buf + Fraction(d.micros, d.fsp);
}

// mysqlbinlog's quoting: control bytes as \xNN, everything else verbatim.
std::string Quoted(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  for (unsigned char c : s) {
    if (c > 0x1F) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  out += '\'';
  return out;
}

std::string BitString(uint64_t bits, unsigned width) {
  std::string out = "b'";
  for (unsigned i = width; i-- > 0;) out += ((bits >> i) & 1) ? '1' : '0';
  return out + "'";
}

std::string Hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out = "0x";
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Integers beyond 2^53 lose precision in most JSON readers: keep them exact as text.
template <typename T>
nlohmann::json ExactNumber(T v) {
  constexpr T kLimit = T(1) << 53;
  if (v > kLimit || (std::is_signed_v<T> && v < T(0) - kLimit)) return std::to_string(v);
  return v;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil: eras of 400 years keep it branch-light.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2);
}

DateTime Timestamp::ToUtcDateTime() const {
  int64_t days = epoch_seconds / 86400;
  int64_t secs = epoch_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return DateTime{static_cast<int32_t>(y),      static_cast<uint8_t>(m),
                  static_cast<uint8_t>(d),      static_cast<uint8_t>(secs / 3600),
                  static_cast<uint8_t>(secs / 60 % 60), static_cast<uint8_t>(secs % 60),
                  micros,                       fsp};
}

const char* ValueKindName(ValueKind kind) {
  static const char* kNames[] = {"null", "int",  "uint",     "float",    "double",  "decimal",
                                 "bytes", "date", "time",    "datetime", "timestamp", "year",
                                 "bit",  "enum", "set",      "json",     "geometry"};
  return kNames[static_cast<int>(kind)];
}

std::string Value::ToString() const {
  return std::visit(
      Overloaded{
          [](const NullValue&) -> std::string { return "NULL"; },
          [](int64_t v) { return std::to_string(v); },
          [](uint64_t v) { return std::to_string(v); },
          [](float v) { return FormatFloat(v, true); },
          [](double v) { return FormatFloat(v, false); },
          [](const Decimal& v) { return v.text; },
          [](const Bytes& v) { return Quoted(v.data); },
          [](const Date& v) { return "'" + DateText(v) + "'"; },
          [](const Time& v) { return "'" + TimeText(v) + "'"; },
          [](const DateTime& v) { return "'" + DateTimeText(v, ' ') + "'"; },
          [](const Timestamp& v) { return std::to_string(v.epoch_seconds) + Fraction(v.micros, v.fsp); },
          [](const Year& v) { return std::to_string(v.value); },
          [](const Bit& v) { return BitString(v.bits, v.width); },
          [](const Enum& v) { return std::to_string(v.index); },
          [](const Set& v) { return BitString(v.mask, (64 - __builtin_clzll(v.mask | 1) + 7) & ~7u); },
          [](const Json& v) { return Quoted(v.text); },
          [](const Geometry& v) {
            std::string raw(4, '\0');
            for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>(v.srid >> (8 * i));
            return Quoted(raw + v.wkb);
          },
      },
      v_);
}

nlohmann::json Value::ToJson() const {
  return std::visit(
      Overloaded{
          [](const NullValue&) -> nlohmann::json { return nullptr; },
          [](int64_t v) -> nlohmann::json { return ExactNumber(v); },
          [](uint64_t v) -> nlohmann::json { return ExactNumber(v); },
          [](float v) -> nlohmann::json { return static_cast<double>(v); },
          [](double v) -> nlohmann::json { return v; },
          [](const Decimal& v) -> nlohmann::json { return v.text; },
          [](const Bytes& v) -> nlohmann::json { return v.is_binary() ? Hex(v.data) : v.data; },
          [](const Date& v) -> nlohmann::json { return DateText(v); },
          [](const Time& v) -> nlohmann::json { return TimeText(v); },
          [](const DateTime& v) -> nlohmann::json { return DateTimeText(v, ' '); },
          [](const Timestamp& v) -> nlohmann::json { return DateTimeText(v.ToUtcDateTime(), 'T') + "Z"; },
          [](const Year& v) -> nlohmann::json { return v.value; },
          [](const Bit& v) -> nlohmann::json { return ExactNumber(v.bits); },
          [](const Enum& v) -> nlohmann::json {
            if (v.label.empty()) return v.index;
            return v.label;
          },
          [](const Set& v) -> nlohmann::json {
            if (!v.has_labels) return ExactNumber(v.mask);
            return v.labels;
          },
          [](const Json& v) -> nlohmann::json { return v.text; },
          [](const Geometry& v) -> nlohmann::json {
            return {{"srid", v.srid}, {"wkb", Hex(v.wkb)}};
          },
      },
      v_);
}

size_t Value::MemoryBytes() const {
  // Strings of up to 15 bytes live inside the std::string (libstdc++'s SSO).
  auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() : 0; };
  size_t bytes = sizeof(Value);
  std::visit(Overloaded{[&](const Decimal& d) { bytes += heap(d.text); },
                        [&](const Bytes& b) { bytes += heap(b.data); },
                        [&](const Enum& e) { bytes += heap(e.label); },
                        [&](const Set& s) {
                          for (const auto& label : s.labels) bytes += sizeof(std::string) + heap(label);
                        },
                        [&](const Json& j) { bytes += heap(j.text); },
                        [&](const Geometry& g) { bytes += heap(g.wkb); },
                        [](const auto&) {}},
             v_);
  return bytes;
}

size_t MemoryBytes(const std::vector<Value>& row) {
  size_t bytes = 0;
  for (const auto& v : row) bytes += v.MemoryBytes();
  return bytes;
}

}  // namespace dbsync
