#pragma once
// Small text renderings of Values that every destination needs in its own
// format (digits, dates, hex), kept off the hot path's allocations: they
// append to a caller's buffer. Declared types come in as MySQL spells them.

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/value.hpp"

namespace dbsync {

// "varchar(255)" -> 255; -1 when the declaration has no length.
inline int DeclaredLength(const std::string& column_type) {
  size_t open = column_type.find('(');
  if (open == std::string::npos) return -1;
  return std::atoi(column_type.c_str() + open + 1);
}

inline bool IsGeometryType(const std::string& t) {
  return t == "geometry" || t == "point" || t == "linestring" || t == "polygon" || t == "multipoint" ||
         t == "multilinestring" || t == "multipolygon" || t == "geometrycollection" || t == "geomcollection";
}

// Lowercase hex digits of `bytes`.
inline void AppendHex(std::string_view bytes, std::string* out) {
  static const char* kDigits = "0123456789abcdef";
  size_t at = out->size();
  out->resize(at + bytes.size() * 2);
  char* p = out->data() + at;
  for (unsigned char c : bytes) {
    *p++ = kDigits[c >> 4];
    *p++ = kDigits[c & 15];
  }
}

// The shortest text that reads back as `v` (std::to_chars).
template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// `v` in at least `width` digits, zero-padded (snprintf's %0Nu without its
// format parsing, which showed in profiles of the full initialization).
inline void AppendDigits(uint32_t v, int width, std::string* out) {
  char buf[10];
  int n = 0;
  do {
    buf[n++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n) out->push_back(buf[--n]);
}

// ".ffffff" when there are microseconds, nothing otherwise.
inline void AppendFraction(uint32_t micros, std::string* out) {
  if (micros == 0) return;
  out->push_back('.');
  AppendDigits(micros % 1000000, 6, out);
}

// MySQL's zero and partial-zero dates ('0000-00-00', '2020-00-15').
inline bool IsZeroDate(int32_t year, unsigned month, unsigned day) { return year == 0 || month == 0 || day == 0; }

// YYYY-MM-DD (a negative year with its sign).
inline void AppendDate(int32_t year, unsigned month, unsigned day, std::string* out) {
  if (year < 0) out->push_back('-');
  AppendDigits(uint32_t(year < 0 ? -int64_t(year) : year), 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
}

// YYYY-MM-DD HH:MM:SS[.ffffff]
inline void AppendDateTime(const DateTime& d, std::string* out) {
  AppendDate(d.year, d.month, d.day, out);
  out->push_back(' ');
  AppendDigits(d.hour, 2, out);
  out->push_back(':');
  AppendDigits(d.minute, 2, out);
  out->push_back(':');
  AppendDigits(d.second, 2, out);
  AppendFraction(d.micros, out);
}

}  // namespace dbsync
