#include "source/mysql/charset_catalog.hpp"

#include <cstdlib>

#include "core/text_util.hpp"

namespace dbsync::mysql {
namespace {

struct BuiltinCharset {
  const char* name;
  int max_bytes;
  const char* default_collation;
  int default_id;
  const char* bin_collation;  // nullptr when the charset's _bin id is not listed
  int bin_id;
};

// Ids are the same on MySQL and MariaDB for these (see SHOW COLLATION).
constexpr BuiltinCharset kCharsets[] = {
    {"big5", 2, "big5_chinese_ci", 1, "big5_bin", 84},
    {"dec8", 1, "dec8_swedish_ci", 3, "dec8_bin", 69},
    {"cp850", 1, "cp850_general_ci", 4, "cp850_bin", 80},
    {"hp8", 1, "hp8_english_ci", 6, "hp8_bin", 72},
    {"koi8r", 1, "koi8r_general_ci", 7, "koi8r_bin", 74},
    {"latin1", 1, "latin1_swedish_ci", 8, "latin1_bin", 47},
    {"latin2", 1, "latin2_general_ci", 9, "latin2_bin", 77},
    {"swe7", 1, "swe7_swedish_ci", 10, "swe7_bin", 82},
    {"ascii", 1, "ascii_general_ci", 11, "ascii_bin", 65},
    {"ujis", 3, "ujis_japanese_ci", 12, "ujis_bin", 91},
    {"sjis", 2, "sjis_japanese_ci", 13, "sjis_bin", 88},
    {"hebrew", 1, "hebrew_general_ci", 16, "hebrew_bin", 71},
    {"tis620", 1, "tis620_thai_ci", 18, "tis620_bin", 89},
    {"euckr", 2, "euckr_korean_ci", 19, "euckr_bin", 85},
    {"koi8u", 1, "koi8u_general_ci", 22, "koi8u_bin", 75},
    {"gb2312", 2, "gb2312_chinese_ci", 24, "gb2312_bin", 86},
    {"greek", 1, "greek_general_ci", 25, "greek_bin", 70},
    {"cp1250", 1, "cp1250_general_ci", 26, "cp1250_bin", 66},
    {"gbk", 2, "gbk_chinese_ci", 28, "gbk_bin", 87},
    {"latin5", 1, "latin5_turkish_ci", 30, "latin5_bin", 78},
    {"armscii8", 1, "armscii8_general_ci", 32, "armscii8_bin", 64},
    {"utf8mb3", 3, "utf8mb3_general_ci", 33, "utf8mb3_bin", 83},
    {"ucs2", 2, "ucs2_general_ci", 35, "ucs2_bin", 90},
    {"cp866", 1, "cp866_general_ci", 36, "cp866_bin", 68},
    {"keybcs2", 1, "keybcs2_general_ci", 37, "keybcs2_bin", 73},
    {"macce", 1, "macce_general_ci", 38, "macce_bin", 43},
    {"macroman", 1, "macroman_general_ci", 39, "macroman_bin", 53},
    {"cp852", 1, "cp852_general_ci", 40, "cp852_bin", 81},
    {"latin7", 1, "latin7_general_ci", 41, "latin7_bin", 79},
    {"utf8mb4", 4, "utf8mb4_general_ci", 45, "utf8mb4_bin", 46},
    {"cp1251", 1, "cp1251_general_ci", 51, "cp1251_bin", 50},
    {"utf16", 4, "utf16_general_ci", 54, "utf16_bin", 55},
    {"utf16le", 4, "utf16le_general_ci", 56, "utf16le_bin", 62},
    {"cp1256", 1, "cp1256_general_ci", 57, "cp1256_bin", 67},
    {"cp1257", 1, "cp1257_general_ci", 59, "cp1257_bin", 58},
    {"utf32", 4, "utf32_general_ci", 60, "utf32_bin", 61},
    {"binary", 1, "binary", 63, nullptr, 0},
    {"geostd8", 1, "geostd8_general_ci", 92, "geostd8_bin", 93},
    {"cp932", 2, "cp932_japanese_ci", 95, "cp932_bin", 96},
    {"eucjpms", 3, "eucjpms_japanese_ci", 97, "eucjpms_bin", 98},
    {"gb18030", 4, "gb18030_chinese_ci", 248, "gb18030_bin", 249},
};

struct BuiltinCollation {
  const char* name;
  const char* charset;
  int id;
};

constexpr BuiltinCollation kCollations[] = {
    {"latin1_german1_ci", "latin1", 5},      {"latin1_danish_ci", "latin1", 15},
    {"latin1_german2_ci", "latin1", 31},     {"latin1_general_ci", "latin1", 48},
    {"latin1_general_cs", "latin1", 49},     {"latin1_spanish_ci", "latin1", 94},
    {"latin2_czech_cs", "latin2", 2},        {"cp1251_general_ci", "cp1251", 51},
    {"utf8mb3_unicode_ci", "utf8mb3", 192},  {"utf8mb3_unicode_520_ci", "utf8mb3", 214},
    {"utf8mb3_general_mysql500_ci", "utf8mb3", 223}, {"utf8mb3_general_nopad_ci", "utf8mb3", 1057},
    {"utf8mb4_unicode_ci", "utf8mb4", 224},  {"utf8mb4_unicode_520_ci", "utf8mb4", 246},
    {"utf8mb4_0900_ai_ci", "utf8mb4", 255},  {"utf8mb4_0900_as_ci", "utf8mb4", 305},
    {"utf8mb4_0900_as_cs", "utf8mb4", 278},  {"utf8mb4_0900_bin", "utf8mb4", 309},
    {"utf8mb4_general_nopad_ci", "utf8mb4", 1069}, {"utf8mb4_nopad_bin", "utf8mb4", 1070},
    {"utf8mb4_unicode_nopad_ci", "utf8mb4", 1248}, {"utf8mb4_unicode_520_nopad_ci", "utf8mb4", 1270},
    {"ucs2_unicode_ci", "ucs2", 128},        {"utf16_unicode_ci", "utf16", 101},
    {"utf32_unicode_ci", "utf32", 160},
};

// "utf8" and "utf8mb3" name the same charset; servers spell it one way.
std::string Utf8Alias(std::string_view name) {
  if (name == "utf8") return "utf8mb3";
  if (name == "utf8mb3") return "utf8";
  if (name.starts_with("utf8mb3_")) return "utf8_" + std::string(name.substr(8));
  if (name.starts_with("utf8_")) return "utf8mb3_" + std::string(name.substr(5));
  return "";
}

}  // namespace

CharsetCatalog CharsetCatalog::Builtin(bool mysql8_defaults) {
  CharsetCatalog c;
  for (const auto& cs : kCharsets) {
    c.AddCharset(cs.name, cs.default_collation, cs.max_bytes);
    c.AddCollation(cs.default_collation, cs.name, static_cast<uint16_t>(cs.default_id), true);
    if (cs.bin_collation) c.AddCollation(cs.bin_collation, cs.name, static_cast<uint16_t>(cs.bin_id), false);
  }
  for (const auto& co : kCollations) c.AddCollation(co.name, co.charset, static_cast<uint16_t>(co.id), false);
  if (mysql8_defaults) c.AddCollation("utf8mb4_0900_ai_ci", "utf8mb4", 255, true);
  return c;
}

Result<CharsetCatalog> CharsetCatalog::Load(Connection& conn) {
  CharsetCatalog c;
  SYNC_ASSIGN_OR_RETURN(auto sets, conn.Query("SELECT CHARACTER_SET_NAME, DEFAULT_COLLATE_NAME, MAXLEN "
                                              "FROM information_schema.CHARACTER_SETS"));
  for (const auto& row : sets.rows)
    c.AddCharset(row[0].value_or(""), row[1].value_or(""), std::atoi(row[2].value_or("1").c_str()));
  SYNC_ASSIGN_OR_RETURN(auto cols, conn.Query("SELECT COLLATION_NAME, CHARACTER_SET_NAME, ID, IS_DEFAULT "
                                              "FROM information_schema.COLLATIONS"));
  for (const auto& row : cols.rows) {
    if (!row[0] || !row[1]) continue;
    c.AddCollation(*row[0], *row[1], static_cast<uint16_t>(std::atoi(row[2].value_or("0").c_str())),
                   row[3].value_or("") == "Yes");
  }
  if (c.charsets_.empty()) return Status::FailedPrecondition("information_schema.CHARACTER_SETS is empty");
  return c;
}

void CharsetCatalog::AddCollation(const std::string& name, const std::string& charset, uint16_t id,
                                  bool is_default) {
  std::string n = ToLower(name), cs = ToLower(charset);
  collations_[n] = {cs, id};
  if (is_default) charsets_[cs].default_collation = n;
}

void CharsetCatalog::AddCharset(const std::string& name, const std::string& default_collation,
                                int max_bytes_per_char) {
  auto& e = charsets_[ToLower(name)];
  if (!default_collation.empty()) e.default_collation = ToLower(default_collation);
  e.max_bytes_per_char = max_bytes_per_char > 0 ? max_bytes_per_char : 1;
}

std::string CharsetCatalog::Charset(std::string_view name) const {
  std::string n = ToLower(name);
  if (charsets_.count(n)) return n;
  std::string alias = Utf8Alias(n);
  if (!alias.empty() && charsets_.count(alias)) return alias;
  return "";
}

std::string CharsetCatalog::Collation(std::string_view name) const {
  std::string n = ToLower(name);
  if (collations_.count(n)) return n;
  std::string alias = Utf8Alias(n);
  if (!alias.empty() && collations_.count(alias)) return alias;
  return "";
}

std::string CharsetCatalog::DefaultCollation(const std::string& charset) const {
  auto it = charsets_.find(charset);
  return it == charsets_.end() ? "" : it->second.default_collation;
}

std::string CharsetCatalog::CharsetOf(const std::string& collation) const {
  auto it = collations_.find(collation);
  return it == collations_.end() ? "" : it->second.charset;
}

uint16_t CharsetCatalog::CollationId(const std::string& collation) const {
  auto it = collations_.find(collation);
  return it == collations_.end() ? 0 : it->second.id;
}

int CharsetCatalog::MaxBytesPerChar(const std::string& charset) const {
  auto it = charsets_.find(charset);
  return it == charsets_.end() ? 1 : it->second.max_bytes_per_char;
}

}  // namespace dbsync::mysql
