#include "sink/maxcompute/mc_types.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/value_text.hpp"

namespace dbsync::maxcompute {
namespace {

const char* kExcludeFix = "exclude the table with source.exclude";

Status Refused(const ColumnSchema& col, const std::string& why, const std::string& fix) {
  return Status::FailedPrecondition("column " + col.name + " (" + col.column_type + ") " + why + "; " + fix);
}

// The code point at `*at` of UTF-8 text, advancing `*at`; 0xFFFFFFFF for a
// byte that does not start a well-formed sequence.
uint32_t NextCodePoint(std::string_view s, size_t* at) {
  const unsigned char lead = static_cast<unsigned char>(s[(*at)++]);
  const int extra = lead < 0x80 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : -1;
  if (extra < 0 || *at + size_t(extra) > s.size()) return 0xFFFFFFFF;
  uint32_t cp = extra == 0 ? lead : lead & (0x3F >> extra);
  for (int i = 0; i < extra; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[(*at)++]);
    if ((c & 0xC0) != 0x80) return 0xFFFFFFFF;
    cp = cp << 6 | (c & 0x3F);
  }
  return cp;
}

bool IsAsciiNameChar(uint32_t cp) { return cp < 0x80 && (std::isalnum(int(cp)) || cp == '_'); }

// Spec 5.2 allows "Chinese" in column names: the CJK Unified Ideographs block,
// as the emulator does.
bool IsCjkIdeograph(uint32_t cp) { return cp >= 0x4E00 && cp <= 0x9FFF; }

Status CheckColumnName(const ColumnSchema& col) {
  const std::string fix = "rename the column in MySQL or " + std::string(kExcludeFix);
  if (col.name.empty()) return Refused(col, "has an empty name", fix);
  if (col.name.size() > kMaxNameBytes)
    return Refused(col, "has a name of " + std::to_string(col.name.size()) + " bytes, MaxCompute allows " +
                            std::to_string(kMaxNameBytes),
                   fix);
  size_t at = 0;
  while (at < col.name.size()) {
    const bool first = at == 0;
    const uint32_t cp = NextCodePoint(col.name, &at);
    const bool allowed = IsCjkIdeograph(cp) || (IsAsciiNameChar(cp) && !(first && std::isdigit(int(cp))));
    if (!allowed)
      return Refused(col, "has a name MaxCompute refuses: it allows letters, digits (not first), '_' and CJK "
                          "ideographs",
                     fix);
  }
  return Status::Ok();
}

std::string DecimalType(int precision, int scale) {
  return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
}

// The MaxCompute type of `col` without the key and name rules; an empty type
// when there is none.
McColumn MappedType(const ColumnSchema& col) {
  McColumn out;
  const std::string& t = col.data_type;
  auto set = [&](std::string type, McKind kind) {
    out.type = std::move(type);
    out.kind = kind;
  };
  if (t == "tinyint") {
    col.is_unsigned ? set("SMALLINT", McKind::kSmallint) : set("TINYINT", McKind::kTinyint);
  } else if (t == "smallint") {
    col.is_unsigned ? set("INT", McKind::kInt) : set("SMALLINT", McKind::kSmallint);
  } else if (t == "mediumint") {
    set("INT", McKind::kInt);
  } else if (t == "int" || t == "integer") {
    col.is_unsigned ? set("BIGINT", McKind::kBigint) : set("INT", McKind::kInt);
  } else if (t == "bigint" && !col.is_unsigned) {
    set("BIGINT", McKind::kBigint);
  } else if (t == "bigint" || (t == "bit" && col.precision == 64)) {
    set(DecimalType(20, 0), McKind::kDecimal);  // up to 18446744073709551615
    out.precision = 20;
  } else if (t == "bit") {
    col.precision <= 1 ? set("BOOLEAN", McKind::kBoolean) : set("BIGINT", McKind::kBigint);
  } else if (t == "float") {
    set("FLOAT", McKind::kFloat);
  } else if (t == "double" || t == "real") {
    set("DOUBLE", McKind::kDouble);
  } else if (t == "decimal" || t == "numeric") {
    const int p = col.precision > 0 ? col.precision : 10;  // MySQL's default DECIMAL(10,0)
    if (p <= kMaxDecimalPrecision && col.scale <= kMaxDecimalScale) {
      set(DecimalType(p, col.scale), McKind::kDecimal);
      out.precision = p;
      out.scale = col.scale;
    } else {
      set("STRING", McKind::kString);  // the exact text
    }
  } else if (t == "date") {
    set("DATE", McKind::kDate);
  } else if (t == "datetime") {
    set("DATETIME", McKind::kDateTime);
  } else if (t == "timestamp") {
    set("TIMESTAMP", McKind::kTimestamp);
  } else if (t == "time" || t == "tinytext" || t == "text" || t == "mediumtext" || t == "longtext" || t == "json" ||
             t == "enum" || t == "set") {
    set("STRING", McKind::kString);
  } else if (t == "char" || t == "varchar") {
    col.collation == kBinaryCollation ? set("BINARY", McKind::kBinary) : set("STRING", McKind::kString);
  } else if (t == "year") {
    set("INT", McKind::kInt);
  } else if (t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" ||
             t == "longblob" || IsGeometryType(t)) {
    set("BINARY", McKind::kBinary);
  }
  return out;
}

}  // namespace

Result<McColumn> MapColumn(const ColumnSchema& col, bool key) {
  SYNC_RETURN_IF_ERROR(CheckColumnName(col));
  McColumn out = MappedType(col);
  if (out.type.empty())
    return Status::FailedPrecondition("column " + col.name + " has the type " + col.column_type +
                                      ", which sync cannot map to MaxCompute; " + kExcludeFix);
  if (key && out.kind == McKind::kTimestamp)
    return Refused(col, "is part of the key, but MaxCompute's upsert bucket hash is not defined for TIMESTAMP",
                   "choose other key columns with tables[].primary_key");
  out.name = col.name;
  out.key = key;
  out.charset = col.charset;
  return out;
}

Result<std::vector<McColumn>> MapColumns(const TableSchema& table, const std::vector<std::string>& key) {
  if (table.columns.size() > kMaxColumns)
    return Status::FailedPrecondition(table.FullName() + " has " + std::to_string(table.columns.size()) +
                                      " columns, MaxCompute allows " + std::to_string(kMaxColumns) + "; " +
                                      kExcludeFix);
  for (const auto& k : key)
    if (table.ColumnIndex(k) < 0)
      return Status::InvalidArgument("key column " + k + " is not a column of " + table.FullName());
  std::vector<McColumn> out;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const bool in_key = std::find(key.begin(), key.end(), table.columns[i].name) != key.end();
    auto c = MapColumn(table.columns[i], in_key);
    if (!c.ok()) return c.status().WithContext(table.FullName());
    c->source_index = int(i);
    out.push_back(std::move(c).value());
  }
  return out;
}

Status CheckTableName(std::string_view name) {
  auto refused = [&](const std::string& why) {
    return Status::FailedPrecondition("MaxCompute refuses the table name " + std::string(name) + ": " + why +
                                      "; map the table to another name");
  };
  if (name.size() > kMaxNameBytes) return refused("it is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return refused("it must start with a letter");
  for (char c : name)
    if (!IsAsciiNameChar(static_cast<unsigned char>(c))) return refused("it may hold only letters, digits and '_'");
  return Status::Ok();
}

namespace {

// "(10,2)" -> 10, 2; "(5)" -> 5 with `second` untouched.
bool ParseTypeParams(std::string_view params, int* first, int* second) {
  if (params.size() < 3 || params.front() != '(' || params.back() != ')') return false;
  params = params.substr(1, params.size() - 2);
  const size_t comma = params.find(',');
  auto number = [](std::string_view s, int* n) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    auto r = std::from_chars(s.data(), s.data() + s.size(), *n);
    return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  if (comma == std::string_view::npos) return number(params, first);
  return second != nullptr && number(params.substr(0, comma), first) && number(params.substr(comma + 1), second);
}

}  // namespace

Result<McColumn> ColumnOfType(std::string name, std::string_view type) {
  std::string t;
  for (char c : type)
    if (c != ' ') t.push_back(char(std::tolower(static_cast<unsigned char>(c))));
  static const std::pair<const char*, McKind> kPlain[] = {
      {"boolean", McKind::kBoolean}, {"tinyint", McKind::kTinyint},   {"smallint", McKind::kSmallint},
      {"int", McKind::kInt},         {"bigint", McKind::kBigint},     {"float", McKind::kFloat},
      {"double", McKind::kDouble},   {"string", McKind::kString},     {"binary", McKind::kBinary},
      {"json", McKind::kJson},       {"date", McKind::kDate},         {"datetime", McKind::kDateTime},
      {"timestamp", McKind::kTimestamp}, {"array<bigint>", McKind::kBigintArray}};
  McColumn out;
  out.name = std::move(name);
  for (const auto& [spelling, kind] : kPlain)
    if (t == spelling) out.kind = kind;
  std::string_view view(t);
  const size_t open = view.find('(');
  const std::string_view base = view.substr(0, open);
  const std::string_view params = open == std::string_view::npos ? "" : view.substr(open);
  bool known = std::any_of(std::begin(kPlain), std::end(kPlain), [&](const auto& p) { return t == p.first; });
  if (base == "decimal") {
    out.kind = McKind::kDecimal;
    out.precision = kMaxDecimalPrecision;  // the 2.0 default DECIMAL(38,18) (5.2)
    out.scale = params.empty() ? kMaxDecimalScale : 0;
    known = params.empty() || (ParseTypeParams(params, &out.precision, &out.scale) && out.precision >= 1 &&
                               out.precision <= kMaxDecimalPrecision && out.scale >= 0 && out.scale <= out.precision);
  } else if (base == "varchar" || base == "char") {
    out.kind = base == "varchar" ? McKind::kVarchar : McKind::kChar;
    known = ParseTypeParams(params, &out.precision, nullptr) && out.precision >= 1 &&
            out.precision <= (base == "varchar" ? 65535 : 255);
  }
  if (!known)
    return Status::InvalidArgument("column " + out.name + " has the MaxCompute type " + std::string(type) +
                                   ", which sync cannot write");
  for (char& c : t) c = char(std::toupper(static_cast<unsigned char>(c)));
  out.type = out.kind == McKind::kDecimal ? DecimalType(out.precision, out.scale) : t;
  return out;
}

}  // namespace dbsync::maxcompute
