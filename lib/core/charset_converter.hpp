#pragma once
// Character data to UTF-8, for destinations that store text as UTF-8
// (PostgreSQL/Hologres with client_encoding UTF8, StarRocks).
//
// A Bytes value holds the raw bytes of a CHAR/VARCHAR/TEXT column in the
// column's MySQL charset. The rules (docs/type_mapping.md):
//  - utf8mb4, utf8mb3 (utf8) and ascii are already UTF-8: validated, copied.
//  - latin1 is MySQL's latin1, which is Windows-1252 with the five bytes that
//    cp1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) mapped to the C1
//    controls U+0081.. as MySQL does; converted here without iconv.
//  - every other charset goes through glibc iconv under its iconv name.
//  - bytes that are not valid in the charset, and U+0000 (PostgreSQL text
//    cannot hold it), are errors: kFailedPrecondition naming the byte offset
//    and the fix. Nothing is replaced or dropped silently.
//
// Not thread-safe (caches iconv descriptors): one converter per sink.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace dbsync {

// The MySQL charset name of a collation id ("utf8mb4", "latin1", ...), or ""
// when the id is not known. Covers MySQL 5.x-9.x and MariaDB's classic ids.
std::string_view CharsetOfCollation(uint16_t collation_id);

class CharsetConverter {
 public:
  CharsetConverter() = default;
  ~CharsetConverter();
  CharsetConverter(const CharsetConverter&) = delete;
  CharsetConverter& operator=(const CharsetConverter&) = delete;

  // Whether `charset` (a MySQL charset name) can be converted. Checked at
  // schema migration so an unconvertible column fails before any data moves.
  Status CheckSupported(const std::string& charset);
  // Appends `bytes`, in `charset`, to `out` as UTF-8. On error `out` may hold a
  // partial append; the message says what is wrong with the value (the caller
  // adds the table and column).
  Status AppendUtf8(std::string_view charset, std::string_view bytes, std::string* out);

 private:
  void* Descriptor(const std::string& iconv_name);  // iconv_t, or (void*)-1
  std::map<std::string, void*> descriptors_;
};

// Checks that `text` is well-formed UTF-8 without U+0000; describes the first
// problem found (empty when fine).
std::string Utf8Problem(std::string_view text);

}  // namespace dbsync
