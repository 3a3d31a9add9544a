#include "source/mysql/column_default.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/text_util.hpp"

namespace dbsync::mysql {
namespace {

bool Is(const ColumnSchema& c, std::initializer_list<const char*> types) {
  for (const char* t : types)
    if (c.data_type == t) return true;
  return false;
}

bool IsInteger(const ColumnSchema& c) { return Is(c, {"tinyint", "smallint", "mediumint", "int", "bigint"}); }
bool IsText(const ColumnSchema& c) {
  return Is(c, {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"});
}
bool IsBinary(const ColumnSchema& c) {
  return Is(c, {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"});
}

// 'it''s' -> it's; nullopt when `text` is not one quoted literal.
std::optional<std::string> Unquote(const std::string& text) {
  if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) {
      char c = text[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == '0' ? '\0' : c;
      continue;
    }
    out += text[i];
    if (text[i] == '\'' && text[i + 1] == '\'') ++i;
  }
  return out;
}

Status Bad(const ColumnSchema& c, const std::string& text) {
  return Status::InvalidArgument("the default " + text + " of column " + c.name + " (" + c.column_type +
                                 ") cannot be read as a value of its type");
}

// Canonical DECIMAL text with exactly `scale` fractional digits.
Result<Value> DecimalValue(const ColumnSchema& c, const std::string& text) {
  std::string s = text;
  bool negative = !s.empty() && (s[0] == '-' || s[0] == '+');
  if (negative && s[0] == '+') negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.erase(0, 1);
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot), fraction = dot == std::string::npos ? "" : s.substr(dot + 1);
  for (const auto* part : {&whole, &fraction})
    for (char ch : *part)
      if (ch < '0' || ch > '9') return Bad(c, text);
  whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size()));
  if (whole.empty()) whole = "0";
  fraction.resize(size_t(c.scale), '0');
  std::string out = whole + (c.scale > 0 ? "." + fraction : "");
  if (negative && out.find_first_not_of("0.") != std::string::npos) out = "-" + out;
  return Value(Decimal{out});
}

// "YYYY-MM-DD[ HH:MM:SS[.ffffff]]"
bool ParseDateTime(const std::string& s, DateTime* out) {
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char frac[8] = {0};
  int n = std::sscanf(s.c_str(), "%4u-%2u-%2u %2u:%2u:%2u.%6[0-9]", &y, &mo, &d, &h, &mi, &se, frac);
  if (n != 3 && n < 6) return false;
  *out = DateTime{int32_t(y), uint8_t(mo), uint8_t(d), uint8_t(h), uint8_t(mi), uint8_t(se), 0, 0};
  if (n == 7) {
    std::string f = frac;
    f.resize(6, '0');
    out->micros = uint32_t(std::strtoul(f.c_str(), nullptr, 10));
  }
  return true;
}

Result<Value> TemporalValue(const ColumnSchema& c, const std::string& text) {
  if (c.data_type == "time") {
    bool negative = !text.empty() && text[0] == '-';
    unsigned h = 0, m = 0, s = 0;
    char frac[8] = {0};
    int n = std::sscanf(text.c_str() + (negative ? 1 : 0), "%u:%2u:%2u.%6[0-9]", &h, &m, &s, frac);
    if (n < 3) return Bad(c, text);
    std::string f = n == 4 ? frac : "";
    f.resize(6, '0');
    return Value(Time{negative, h, uint8_t(m), uint8_t(s), uint32_t(std::strtoul(f.c_str(), nullptr, 10)),
                      uint8_t(c.fsp)});
  }
  if (c.data_type == "year") return Value(Year{uint16_t(std::strtoul(text.c_str(), nullptr, 10))});
  DateTime dt;
  if (!ParseDateTime(text, &dt)) return Bad(c, text);
  if (c.data_type == "date") return Value(Date{dt.year, dt.month, dt.day});
  dt.fsp = uint8_t(c.fsp);
  if (c.data_type == "datetime") return Value(dt);
  // TIMESTAMP: the catalog shows the default as a UTC wall clock to a session
  // at time_zone '+00:00', the way every source connection is opened.
  if (dt.year == 0) return Value(Timestamp{0, 0, uint8_t(c.fsp)});
  int64_t days = DaysFromCivil(dt.year, dt.month, dt.day);
  return Value(Timestamp{days * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second, dt.micros, uint8_t(c.fsp)});
}

Result<Value> EnumValue(const ColumnSchema& c, const std::string& label) {
  for (size_t i = 0; i < c.enum_values.size(); ++i)
    if (c.enum_values[i] == label) return Value(Enum{uint32_t(i + 1), label});
  return Bad(c, "'" + label + "'");
}

Result<Value> SetValue(const ColumnSchema& c, const std::string& text) {
  Set set;
  set.has_labels = true;
  if (!text.empty()) {
    std::vector<std::string> labels;
    for (size_t from = 0;;) {
      size_t comma = text.find(',', from);
      labels.push_back(text.substr(from, comma - from));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    for (const auto& label : labels) {
      size_t i = 0;
      while (i < c.enum_values.size() && c.enum_values[i] != label) ++i;
      if (i == c.enum_values.size()) return Bad(c, "'" + text + "'");
      set.mask |= uint64_t{1} << i;
    }
  }
  for (size_t i = 0; i < c.enum_values.size(); ++i)
    if (set.mask & (uint64_t{1} << i)) set.labels.push_back(c.enum_values[i]);
  return Value(set);
}

Result<Value> BitValue(const ColumnSchema& c, const std::string& text) {
  uint64_t bits = 0;
  if (text.size() >= 3 && (text[0] == 'b' || text[0] == 'B') && text[1] == '\'' && text.back() == '\'') {
    for (size_t i = 2; i + 1 < text.size(); ++i) {
      if (text[i] != '0' && text[i] != '1') return Bad(c, text);
      bits = (bits << 1) | uint64_t(text[i] - '0');
    }
  } else {
    char* end = nullptr;
    bits = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end) return Bad(c, text);
  }
  return Value(Bit{bits, uint16_t(c.precision > 0 ? c.precision : 1)});
}

}  // namespace

Result<std::optional<Value>> ParseColumnDefault(const ColumnSchema& col, const std::string& column_default) {
  using Out = std::optional<Value>;
  if (column_default == "NULL") return Out();
  std::optional<std::string> quoted = Unquote(column_default);
  if (col.data_type == "bit") {
    SYNC_ASSIGN_OR_RETURN(Value v, BitValue(col, column_default));
    return Out(v);
  }
  std::string text = quoted.value_or(column_default);
  // MariaDB quotes literals; MySQL shows them bare. Either shows an
  // expression as written (CURRENT_TIMESTAMP, functions, parentheses).
  std::string lower = ToLower(column_default);
  bool literal = quoted.has_value() ||
                 (lower.find('(') == std::string::npos && lower.find("current_timestamp") == std::string::npos);
  if (!literal)
    return Status::FailedPrecondition("the default " + column_default + " of column " + col.name +
                                 " is an expression the source evaluated when the column was added");
  if (IsText(col)) return Out(Value(Bytes{text, col.collation}));
  if (IsBinary(col)) return Out(Value(Bytes{text, kBinaryCollation}));
  if (col.data_type == "json") return Out(Value(Json{text}));
  if (col.data_type == "enum") {
    SYNC_ASSIGN_OR_RETURN(Value v, EnumValue(col, text));
    return Out(v);
  }
  if (col.data_type == "set") {
    SYNC_ASSIGN_OR_RETURN(Value v, SetValue(col, text));
    return Out(v);
  }
  if (IsInteger(col)) {
    char* end = nullptr;
    errno = 0;
    Value v = col.is_unsigned ? Value(uint64_t(std::strtoull(text.c_str(), &end, 10)))
                              : Value(int64_t(std::strtoll(text.c_str(), &end, 10)));
    if (text.empty() || *end || errno) return Bad(col, column_default);
    return Out(v);
  }
  if (col.data_type == "decimal") {
    SYNC_ASSIGN_OR_RETURN(Value v, DecimalValue(col, text));
    return Out(v);
  }
  if (col.data_type == "float" || col.data_type == "double") {
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || *end) return Bad(col, column_default);
    return Out(col.data_type == "float" ? Value(float(d)) : Value(d));
  }
  if (Is(col, {"date", "datetime", "timestamp", "time", "year"})) {
    SYNC_ASSIGN_OR_RETURN(Value v, TemporalValue(col, text));
    return Out(v);
  }
  return Status::FailedPrecondition("defaults of " + col.data_type + " column " + col.name + " are not read");
}

std::optional<Value> ImplicitDefault(const ColumnSchema& col) {
  if (IsInteger(col)) return col.is_unsigned ? Value(uint64_t{0}) : Value(int64_t{0});
  if (col.data_type == "decimal") return DecimalValue(col, "0").value();
  if (col.data_type == "float") return Value(0.0f);
  if (col.data_type == "double") return Value(0.0);
  if (col.data_type == "year") return Value(Year{0});
  if (col.data_type == "bit") return Value(Bit{0, uint16_t(col.precision > 0 ? col.precision : 1)});
  if (col.data_type == "enum" && !col.enum_values.empty()) return Value(Enum{1, col.enum_values.front()});
  if (col.data_type == "set") return Value(Set{0, {}, true});
  if (IsText(col)) return Value(Bytes{"", col.collation});
  return std::nullopt;  // temporal and binary implicit defaults: left NULL
}

}  // namespace dbsync::mysql
