#include "core/charset_converter.hpp"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

namespace dbsync {
namespace {

const iconv_t kNoIconv = reinterpret_cast<iconv_t>(-1);

// Collation id ranges -> charset, from SHOW COLLATION of MySQL 8.4 and
// MariaDB 11 (ids below 1024; MariaDB's UCA-14 ids above come with a charset
// name from information_schema, which the caller prefers).
struct IdRange {
  uint16_t first, last;
  const char* charset;
};
const IdRange kCollations[] = {
    {1, 1, "big5"},        {2, 2, "latin2"},      {3, 3, "dec8"},        {4, 4, "cp850"},
    {5, 5, "latin1"},      {6, 6, "hp8"},         {7, 7, "koi8r"},       {8, 8, "latin1"},
    {9, 9, "latin2"},      {10, 10, "swe7"},      {11, 11, "ascii"},     {12, 12, "ujis"},
    {13, 13, "sjis"},      {14, 14, "cp1251"},    {15, 15, "latin1"},    {16, 16, "hebrew"},
    {18, 18, "tis620"},    {19, 19, "euckr"},     {20, 20, "latin7"},    {21, 21, "latin2"},
    {22, 22, "koi8u"},     {23, 23, "cp1251"},    {24, 24, "gb2312"},    {25, 25, "greek"},
    {26, 26, "cp1250"},    {27, 27, "latin2"},    {28, 28, "gbk"},       {29, 29, "cp1257"},
    {30, 30, "latin5"},    {31, 31, "latin1"},    {32, 32, "armscii8"},  {33, 33, "utf8mb3"},
    {34, 34, "cp1250"},    {35, 35, "ucs2"},      {36, 36, "cp866"},     {37, 37, "keybcs2"},
    {38, 38, "macce"},     {39, 39, "macroman"},  {40, 40, "cp852"},     {41, 42, "latin7"},
    {43, 43, "macce"},     {44, 44, "cp1250"},    {45, 46, "utf8mb4"},   {47, 49, "latin1"},
    {50, 52, "cp1251"},    {53, 53, "macroman"},  {54, 55, "utf16"},     {56, 56, "utf16le"},
    {57, 57, "cp1256"},    {58, 59, "cp1257"},    {60, 61, "utf32"},     {62, 62, "utf16le"},
    {64, 64, "armscii8"},  {65, 65, "ascii"},     {66, 66, "cp1250"},    {67, 67, "cp1256"},
    {68, 68, "cp866"},     {69, 69, "dec8"},      {70, 70, "greek"},     {71, 71, "hebrew"},
    {72, 72, "hp8"},       {73, 73, "keybcs2"},   {74, 74, "koi8r"},     {75, 75, "koi8u"},
    {76, 76, "utf8mb3"},   {77, 77, "latin2"},    {78, 78, "latin5"},    {79, 79, "latin7"},
    {80, 80, "cp850"},     {81, 81, "cp852"},     {82, 82, "swe7"},      {83, 83, "utf8mb3"},
    {84, 84, "big5"},      {85, 85, "euckr"},     {86, 86, "gb2312"},    {87, 87, "gbk"},
    {88, 88, "sjis"},      {89, 89, "tis620"},    {90, 90, "ucs2"},      {91, 91, "ujis"},
    {92, 93, "geostd8"},   {94, 94, "latin1"},    {95, 96, "cp932"},     {97, 98, "eucjpms"},
    {99, 99, "cp1250"},    {101, 124, "utf16"},   {128, 151, "ucs2"},    {159, 159, "ucs2"},
    {160, 183, "utf32"},   {192, 215, "utf8mb3"}, {223, 223, "utf8mb3"}, {224, 247, "utf8mb4"},
    {248, 250, "gb18030"}, {255, 323, "utf8mb4"}, {576, 671, "utf8mb3"}, {608, 671, "utf8mb4"},
};

// MySQL charset -> glibc iconv name. Charsets missing here (dec8, swe7,
// keybcs2, ...) have no glibc converter and are rejected at schema migration.
const std::pair<const char*, const char*> kIconvNames[] = {
    {"big5", "BIG5"},        {"latin2", "ISO-8859-2"},   {"cp850", "CP850"},
    {"hp8", "HP-ROMAN8"},    {"koi8r", "KOI8-R"},        {"ujis", "EUC-JP"},
    {"sjis", "SHIFT_JIS"},   {"cp1251", "CP1251"},       {"hebrew", "ISO-8859-8"},
    {"tis620", "TIS-620"},   {"euckr", "EUC-KR"},        {"latin7", "ISO-8859-13"},
    {"koi8u", "KOI8-U"},     {"gb2312", "EUC-CN"},       {"greek", "ISO-8859-7"},
    {"cp1250", "CP1250"},    {"gbk", "GBK"},             {"cp1257", "CP1257"},
    {"latin5", "ISO-8859-9"}, {"armscii8", "ARMSCII-8"}, {"ucs2", "UCS-2BE"},
    {"cp866", "CP866"},      {"macroman", "MACINTOSH"},  {"cp852", "CP852"},
    {"utf16", "UTF-16BE"},   {"utf16le", "UTF-16LE"},    {"cp1256", "CP1256"},
    {"utf32", "UTF-32BE"},   {"geostd8", "GEORGIAN-PS"}, {"cp932", "CP932"},
    {"eucjpms", "EUC-JP-MS"}, {"gb18030", "GB18030"},
};

// MySQL latin1 bytes 0x80..0x9F (cp1252, undefined bytes kept as C1 controls).
const uint16_t kLatin1High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string HexAround(std::string_view bytes, size_t at) {
  std::string out;
  size_t end = std::min(bytes.size(), at + 8);
  for (size_t i = at; i < end; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned char>(bytes[i]));
    out += buf;
  }
  return out;
}

bool IsUtf8Family(std::string_view charset) {
  return charset == "utf8mb4" || charset == "utf8mb3" || charset == "utf8" || charset == "ascii";
}

Status NulError(size_t at) {
  return Status::FailedPrecondition(
      "the text contains a NUL character (U+0000) at byte " + std::to_string(at) +
      ", which text columns at the destination do not take (PostgreSQL cannot store it); remove it at the "
      "source (e.g. REPLACE(col, CHAR(0), '')) or make the column VARBINARY/BLOB, which maps to binary");
}

}  // namespace

std::string_view CharsetOfCollation(uint16_t id) {
  // Looked up for every text value: the ranges are laid out once, later
  // ranges winning where they overlap (MariaDB reused 608.. for utf8mb4).
  static const std::vector<const char*> by_id = [] {
    uint16_t last = 0;
    for (const auto& r : kCollations) last = std::max<uint16_t>(last, r.last);
    std::vector<const char*> table(size_t(last) + 1, "");
    for (const auto& r : kCollations)
      for (uint32_t i = r.first; i <= r.last; ++i) table[i] = r.charset;
    return table;
  }();
  return id < by_id.size() ? by_id[id] : "";
}

std::string Utf8Problem(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // Eight ASCII bytes without a NUL at a time: most text of a snapshot is
    // ASCII. Each byte with its high bit set, minus one, keeps it unless the byte was 0.
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    if (i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      bool ascii = (word & kHighs) == 0;
      bool no_nul = (((word | kHighs) - kOnes) & kHighs) == kHighs;
      if (ascii && no_nul) {
        i += 8;
        continue;
      }
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return "a NUL character (U+0000) at byte " + std::to_string(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    uint32_t cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0Fu : c & 0x1Fu;
    bool ok = len != 0 && c < 0xF5 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid too.
    if (ok) ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
                 !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
    if (!ok) return "bytes that are not valid UTF-8 (0x" + HexAround(s, i) + "...) at byte " + std::to_string(i);
    i += len;
  }
  return "";
}

CharsetConverter::~CharsetConverter() {
  for (auto& [name, cd] : descriptors_)
    if (cd != reinterpret_cast<void*>(kNoIconv)) iconv_close(static_cast<iconv_t>(cd));
}

void* CharsetConverter::Descriptor(const std::string& iconv_name) {
  auto it = descriptors_.find(iconv_name);
  if (it != descriptors_.end()) return it->second;
  iconv_t cd = iconv_open("UTF-8", iconv_name.c_str());
  descriptors_[iconv_name] = static_cast<void*>(cd);
  return static_cast<void*>(cd);
}

Status CharsetConverter::CheckSupported(const std::string& charset) {
  if (IsUtf8Family(charset) || charset == "latin1" || charset == "binary") return Status::Ok();
  for (const auto& [mysql_name, iconv_name] : kIconvNames)
    if (charset == mysql_name && Descriptor(iconv_name) != reinterpret_cast<void*>(kNoIconv)) return Status::Ok();
  return Status::FailedPrecondition("character set '" + charset +
                                    "' has no converter to UTF-8 on this machine; convert the column at the "
                                    "source (ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4) or exclude the table");
}

Status CharsetConverter::AppendUtf8(std::string_view charset, std::string_view bytes, std::string* out) {
  if (IsUtf8Family(charset) || charset.empty()) {
    // An unknown charset (no metadata at all) is taken as UTF-8 and validated,
    // so a wrong guess fails loudly instead of storing mojibake.
    std::string problem = Utf8Problem(bytes);
    if (!problem.empty()) {
      if (problem.starts_with("a NUL")) return NulError(bytes.find('\0'));
      return Status::FailedPrecondition("the " + (charset.empty() ? std::string("utf8mb4") : std::string(charset)) +
                                        " text has " + problem +
                                        "; fix the value at the source or declare the column's real charset");
    }
    out->append(bytes);
    return Status::Ok();
  }
  if (charset == "latin1") {
    for (size_t i = 0; i < bytes.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(bytes[i]);
      if (c == 0) return NulError(i);
      if (c < 0x80) out->push_back(static_cast<char>(c));
      else if (c < 0xA0) AppendCodePoint(kLatin1High[c - 0x80], out);
      else AppendCodePoint(c, out);
    }
    return Status::Ok();
  }
  const char* iconv_name = nullptr;
  for (const auto& [mysql_name, name] : kIconvNames)
    if (charset == mysql_name) iconv_name = name;
  void* handle = iconv_name ? Descriptor(iconv_name) : reinterpret_cast<void*>(kNoIconv);
  if (handle == reinterpret_cast<void*>(kNoIconv)) return CheckSupported(std::string(charset));
  iconv_t cd = static_cast<iconv_t>(handle);
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
  size_t start = out->size();
  std::vector<char> buf(bytes.size() * 4 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  while (in_left > 0) {
    char* dst = buf.data();
    size_t dst_left = buf.size();
    size_t rc = iconv(cd, &in, &in_left, &dst, &dst_left);
    out->append(buf.data(), size_t(dst - buf.data()));
    if (rc == size_t(-1) && errno != E2BIG) {
      size_t at = bytes.size() - in_left;
      const std::string name(charset);
      return Status::FailedPrecondition("the " + name + " text has bytes that are not valid in " + name +
                                        " (0x" + HexAround(bytes, at) + "...) at byte " + std::to_string(at) +
                                        "; fix the value at the source or declare the column's real charset");
    }
  }
  std::string_view converted(out->data() + start, out->size() - start);
  size_t nul = converted.find('\0');
  if (nul != std::string_view::npos) return NulError(nul);
  return Status::Ok();
}

}  // namespace dbsync
