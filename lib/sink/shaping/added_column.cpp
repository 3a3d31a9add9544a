#include "sink/shaping/added_column.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

#include "core/text_util.hpp"
#include "core/value_text.hpp"

namespace dbsync::sink {
namespace {

constexpr uint16_t kUtf8mb4Bin = 46;

const std::vector<std::string> kVariables = {
    "DB_NAME_SRC", "TABLE_NAME_SRC", "DATASOURCE_NAME_SRC", "DB_NAME_DEST",    "TABLE_NAME_DEST", "EXECUTE_TIME",
    "COMMIT_TIME", "OP_TYPE",        "SEQUENCE_ID",         "IS_BEFORE_IMAGE", "IS_AFTER_IMAGE"};

bool ChangeVariable(const std::string& name) {
  return name == "EXECUTE_TIME" || name == "COMMIT_TIME" || name == "OP_TYPE" || name == "SEQUENCE_ID" ||
         name == "IS_BEFORE_IMAGE" || name == "IS_AFTER_IMAGE";
}

bool IsIntegerType(const std::string& t) {
  return t == "bigint" || t == "int" || t == "tinyint" || t == "smallint" || t == "mediumint";
}

Value Text(std::string s) { return Bytes{std::move(s), kUtf8mb4Bin}; }

// Epoch microseconds of a UTC civil time.
int64_t EpochMicros(const DateTime& d) {
  return (DaysFromCivil(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 + d.second) * 1000000 +
         d.micros;
}

Timestamp FromEpochMicros(int64_t us, int fsp) {
  int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  return Timestamp{s, uint32_t(us - s * 1000000), uint8_t(fsp)};
}

// 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' as a DateTime.
bool ParseDateTimeText(const std::string& t, DateTime* out) {
  static const std::regex re(R"((\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?)");
  std::smatch m;
  if (!std::regex_match(t, m, re)) return false;
  out->year = std::stoi(m[1]);
  out->month = uint8_t(std::stoi(m[2]));
  out->day = uint8_t(std::stoi(m[3]));
  if (out->month > 12 || out->day > 31) return false;
  if (m[4].matched) {
    out->hour = uint8_t(std::stoi(m[4]));
    out->minute = uint8_t(std::stoi(m[5]));
    out->second = uint8_t(std::stoi(m[6]));
    if (out->hour > 23 || out->minute > 59 || out->second > 59) return false;
    if (m[7].matched) {
      std::string f = m[7].str();
      f.resize(6, '0');
      out->micros = uint32_t(std::stoul(f));
    }
  }
  return true;
}

// A date, datetime or timestamp as a UTC civil time.
bool AsCivil(const Value& v, DateTime* out) {
  if (auto d = v.get_if<DateTime>()) {
    *out = *d;
  } else if (auto t = v.get_if<Timestamp>()) {
    *out = t->ToUtcDateTime();
  } else if (auto day = v.get_if<Date>()) {
    *out = DateTime{day->year, day->month, day->day, 0, 0, 0, 0, 0};
  } else if (auto b = v.get_if<Bytes>()) {
    *out = DateTime{};
    return ParseDateTimeText(b->data, out);
  } else {
    return false;
  }
  return true;
}

Result<int64_t> AsInteger(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kInt: return v.as<int64_t>();
    case ValueKind::kUint:
      if (v.as<uint64_t>() > uint64_t(INT64_MAX)) break;
      return int64_t(v.as<uint64_t>());
    case ValueKind::kYear: return int64_t(v.as<Year>().value);
    case ValueKind::kBit: return int64_t(v.as<Bit>().bits);
    case ValueKind::kTimestamp: {  // milliseconds, as DataWorks' EXECUTE_TIME
      const auto& t = v.as<Timestamp>();
      return t.epoch_seconds * 1000 + t.micros / 1000;
    }
    case ValueKind::kBytes:
    case ValueKind::kDecimal:
    case ValueKind::kEnum: {
      std::string s = PlainText(v);
      char* end = nullptr;
      errno = 0;
      long long n = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0' && errno == 0) return int64_t(n);
      break;
    }
    default: break;
  }
  return Status::InvalidArgument("'" + PlainText(v) + "' is not an integer");
}

Result<double> AsDouble(const Value& v) {
  if (auto f = v.get_if<double>()) return *f;
  if (auto f = v.get_if<float>()) return double(*f);
  if (v.kind() == ValueKind::kBytes || v.kind() == ValueKind::kDecimal) {
    std::string s = PlainText(v);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0' && std::isfinite(d)) return d;
    return Status::InvalidArgument("'" + s + "' is not a number");
  }
  SYNC_ASSIGN_OR_RETURN(int64_t i, AsInteger(v));
  return double(i);
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string PlainText(const Value& v) {
  std::string out;
  switch (v.kind()) {
    case ValueKind::kNull: break;
    case ValueKind::kInt: AppendNumber(v.as<int64_t>(), &out); break;
    case ValueKind::kUint: AppendNumber(v.as<uint64_t>(), &out); break;
    case ValueKind::kFloat: AppendNumber(v.as<float>(), &out); break;
    case ValueKind::kDouble: AppendNumber(v.as<double>(), &out); break;
    case ValueKind::kDecimal: out = v.as<Decimal>().text; break;
    case ValueKind::kBytes: out = v.as<Bytes>().data; break;
    case ValueKind::kDate: {
      const auto& d = v.as<Date>();
      AppendDate(d.year, d.month, d.day, &out);
      break;
    }
    case ValueKind::kDateTime: AppendDateTime(v.as<DateTime>(), &out); break;
    case ValueKind::kTimestamp: AppendDateTime(v.as<Timestamp>().ToUtcDateTime(), &out); break;
    case ValueKind::kYear: AppendNumber(v.as<Year>().value, &out); break;
    case ValueKind::kBit: AppendNumber(v.as<Bit>().bits, &out); break;
    case ValueKind::kEnum: out = v.as<Enum>().label; break;
    case ValueKind::kSet: out = Join(v.as<Set>().labels, ","); break;
    case ValueKind::kJson: out = v.as<Json>().text; break;
    case ValueKind::kTime: {
      const auto& t = v.as<Time>();
      if (t.negative) out.push_back('-');
      AppendDigits(t.hours, 2, &out);
      out.push_back(':');
      AppendDigits(t.minutes, 2, &out);
      out.push_back(':');
      AppendDigits(t.seconds, 2, &out);
      AppendFraction(t.micros, &out);
      break;
    }
    case ValueKind::kGeometry: AppendHex(v.as<Geometry>().wkb, &out); break;
  }
  return out;
}

Result<std::string> FormatTime(const Value& v, const std::string& format) {
  DateTime d;
  if (!AsCivil(v, &d)) return Status::InvalidArgument("'" + PlainText(v) + "' is not a date or time");
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out.push_back(format[i]);
      continue;
    }
    switch (format[++i]) {
      case 'Y': AppendDigits(uint32_t(d.year), 4, &out); break;
      case 'y': AppendDigits(uint32_t(d.year % 100), 2, &out); break;
      case 'm': AppendDigits(d.month, 2, &out); break;
      case 'd': AppendDigits(d.day, 2, &out); break;
      case 'H': AppendDigits(d.hour, 2, &out); break;
      case 'M': AppendDigits(d.minute, 2, &out); break;
      case 'S': AppendDigits(d.second, 2, &out); break;
      case 'f': AppendDigits(d.micros, 6, &out); break;
      case 'j': {
        if (IsZeroDate(d.year, d.month, d.day)) return Status::InvalidArgument("a zero date has no day of the year");
        int64_t yday = DaysFromCivil(d.year, d.month, d.day) - DaysFromCivil(d.year, 1, 1) + 1;
        AppendDigits(uint32_t(yday), 3, &out);
        break;
      }
      case '%': out.push_back('%'); break;
      default:
        return Status::InvalidArgument(std::string("unknown format %") + format[i] +
                                       "; the formats are %Y %y %m %d %H %M %S %f %j %%");
    }
  }
  return out;
}

Result<ColumnSchema> AddedColumnType(const std::string& name, const std::string& type) {
  static const std::regex re(R"(\s*([a-zA-Z]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*)");
  std::smatch m;
  std::string t;
  int a = -1, b = -1;
  if (std::regex_match(type, m, re)) {
    t = ToLower(m[1].str());
    if (m[2].matched) a = std::stoi(m[2]);
    if (m[3].matched) b = std::stoi(m[3]);
  }
  ColumnSchema c;
  c.name = name;
  c.nullable = true;
  auto text = [&](const std::string& data_type, const std::string& column_type) {
    c.data_type = data_type;
    c.column_type = column_type;
    c.charset = "utf8mb4";
    c.collation_name = "utf8mb4_bin";
    c.collation = kUtf8mb4Bin;
  };
  if (t == "text" && a < 0) {
    text("text", "text");
  } else if (t == "varchar" && a > 0 && a <= 65535 && b < 0) {
    text("varchar", "varchar(" + std::to_string(a) + ")");
  } else if ((t == "bigint" || t == "int" || t == "integer") && b < 0) {
    c.data_type = t == "bigint" ? "bigint" : "int";
    c.column_type = c.data_type;
  } else if ((t == "boolean" || t == "bool") && a < 0) {
    c.data_type = "tinyint";
    c.column_type = "tinyint(1)";
  } else if (t == "double" && a < 0) {
    c.data_type = c.column_type = "double";
  } else if (t == "decimal" && a > 0 && a <= 65 && (b < 0 || b <= std::min(a, 30))) {
    c.data_type = "decimal";
    c.precision = a;
    c.scale = std::max(b, 0);
    c.column_type = "decimal(" + std::to_string(a) + "," + std::to_string(c.scale) + ")";
  } else if (t == "date" && a < 0) {
    c.data_type = c.column_type = "date";
  } else if ((t == "datetime" || t == "timestamp") && b < 0 && a <= 6) {
    c.data_type = t;
    c.fsp = std::max(a, 0);
    c.column_type = t + (a > 0 ? "(" + std::to_string(a) + ")" : "");
  } else {
    return Status::InvalidArgument("type '" + type + "' (of column '" + name +
                                   "') is not one sync gives a column; use text, varchar(n), bigint, int, boolean, "
                                   "double, decimal(p,s), date, datetime[(fsp)] or timestamp[(fsp)]");
  }
  return c;
}

Result<Value> ConvertTo(const Value& v, const ColumnSchema& c) {
  if (v.is_null()) return v;
  const std::string& t = c.data_type;
  if (t == "text" || t == "varchar") {
    std::string s = v.kind() == ValueKind::kTimestamp ? std::to_string(*AsInteger(v)) : PlainText(v);
    int max = DeclaredLength(c.column_type);
    if (max > 0 && Utf8Length(s) > size_t(max))
      return Status::InvalidArgument("'" + s + "' is longer than " + c.column_type);
    return Text(std::move(s));
  }
  if (IsIntegerType(t)) {
    SYNC_ASSIGN_OR_RETURN(int64_t i, AsInteger(v));
    if (t == "int" && (i < INT32_MIN || i > INT32_MAX)) return Status::InvalidArgument(std::to_string(i) + " is out of an int's range");
    if (t == "tinyint" && (i < -128 || i > 127)) return Status::InvalidArgument(std::to_string(i) + " is out of a boolean's range");
    return Value(i);
  }
  if (t == "double") {
    SYNC_ASSIGN_OR_RETURN(double d, AsDouble(v));
    return Value(d);
  }
  if (t == "decimal") {
    SYNC_ASSIGN_OR_RETURN(double d, AsDouble(v));
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.*f", c.scale, d);
    std::string s = buf;
    if (s[0] == '-' && s.find_first_of("123456789") == std::string::npos) s.erase(0, 1);  // no "-0.00"
    size_t first = s[0] == '-' ? 1 : 0, dot = s.find('.');
    size_t integer_digits = (dot == std::string::npos ? s.size() : dot) - first;
    if (s[first] == '0') integer_digits = 0;
    if (int(integer_digits) > c.precision - c.scale)
      return Status::InvalidArgument("'" + PlainText(v) + "' does not fit " + c.column_type);
    return Value(Decimal{s});
  }
  DateTime d;
  if (!AsCivil(v, &d)) return Status::InvalidArgument("'" + PlainText(v) + "' is not a date or time");
  if (t == "date") return Value(Date{d.year, d.month, d.day});
  if (c.fsp < 6) {
    uint32_t unit = 1;
    for (int i = c.fsp; i < 6; ++i) unit *= 10;
    d.micros -= d.micros % unit;
  }
  d.fsp = uint8_t(c.fsp);
  if (t == "datetime") return Value(d);
  if (IsZeroDate(d.year, d.month, d.day)) return Value(Timestamp{0, 0, uint8_t(c.fsp)});
  return Value(FromEpochMicros(EpochMicros(d), c.fsp));
}

AddedColumn AddedColumn::Fixed(ColumnSchema column, Value value) {
  AddedColumn a;
  a.column_ = std::move(column);
  a.fixed_ = std::move(value);
  a.is_fixed_ = true;
  return a;
}

Result<AddedColumn> AddedColumn::Make(const std::string& name, const std::string& type, const std::string& value,
                                      const TableSchema& source, const ShapeNames& names) {
  AddedColumn a;
  SYNC_ASSIGN_OR_RETURN(a.column_, AddedColumnType(name, type));
  a.names_ = names;
  const std::string where = "tables[].extra_fields '" + name + "' of " + source.FullName();
  for (size_t i = 0; i < value.size();) {
    size_t open = value.find("${", i);
    if (open != i) {
      a.parts_.push_back({Part::Kind::kText, value.substr(i, open == std::string::npos ? std::string::npos : open - i)});
      if (open == std::string::npos) break;
    }
    size_t close = value.find('}', open);
    if (close == std::string::npos) return Status::InvalidArgument(where + ": '${' without its '}' in '" + value + "'");
    std::string var = value.substr(open + 2, close - open - 2);
    i = close + 1;
    std::string format;
    if (size_t colon = var.find(':'); colon != std::string::npos) {
      format = var.substr(colon + 1);
      var = var.substr(0, colon);
    }
    if (std::find(kVariables.begin(), kVariables.end(), var) != kVariables.end() && format.empty()) {
      a.parts_.push_back({Part::Kind::kVariable, var});
      a.depends_on_change_ = a.depends_on_change_ || ChangeVariable(var);
      continue;
    }
    int col = source.ColumnIndex(var);
    if (col < 0) {
      std::vector<std::string> candidates = kVariables;
      for (const auto& c : source.columns) candidates.push_back(c.name);
      std::string nearest = NearestWord(var, candidates);
      return Status::InvalidArgument(where + ": ${" + var + "} is neither a variable (" + Join(kVariables, ", ") +
                                     ") nor a column of the table" +
                                     (nearest.empty() ? "" : "; did you mean ${" + nearest + "}?"));
    }
    if (!format.empty()) {
      SYNC_RETURN_IF_ERROR(FormatTime(Value(DateTime{2000, 1, 2, 3, 4, 5, 6, 6}), format).status().WithContext(where));
    }
    a.parts_.push_back({Part::Kind::kColumn, "", col, format});
  }
  // A constant must already be of its type, so a typo fails when the task is applied.
  if (!a.depends_on_change_) {
    bool constant = true;
    for (const auto& p : a.parts_) constant = constant && (p.kind == Part::Kind::kText ||
                                                          (p.kind == Part::Kind::kVariable));
    if (constant) {
      RowContext none;
      SYNC_RETURN_IF_ERROR(a.Compute({}, none).status().WithContext(where));
    }
  }
  return a;
}

Result<Value> AddedColumn::PartValue(const Part& part, const std::vector<Value>& row, const RowContext& ctx) const {
  switch (part.kind) {
    case Part::Kind::kText: return Text(part.text);
    case Part::Kind::kColumn:
      if (part.format.empty() || row[size_t(part.column)].is_null()) return row[size_t(part.column)];
      {
        SYNC_ASSIGN_OR_RETURN(std::string s, FormatTime(row[size_t(part.column)], part.format));
        return Text(std::move(s));
      }
    case Part::Kind::kVariable: break;
  }
  const std::string& v = part.text;
  if (v == "DB_NAME_SRC") return Text(names_.db_src);
  if (v == "TABLE_NAME_SRC") return Text(names_.table_src);
  if (v == "DATASOURCE_NAME_SRC") return Text(names_.datasource_src);
  if (v == "DB_NAME_DEST") return Text(names_.db_dest);
  if (v == "TABLE_NAME_DEST") return Text(names_.table_dest);
  if (v == "EXECUTE_TIME") return Value(ctx.execute_time);
  if (v == "COMMIT_TIME") return Value(Timestamp{ctx.commit_time, 0, 0});
  if (v == "OP_TYPE") return Text(std::string(1, ctx.op));
  if (v == "SEQUENCE_ID") return Value(ctx.sequence);
  if (v == "IS_AFTER_IMAGE") return Text(ctx.after_image ? "Y" : "N");
  return Text(ctx.after_image ? "N" : "Y");  // IS_BEFORE_IMAGE
}

Result<Value> AddedColumn::Compute(const std::vector<Value>& row, const RowContext& context) const {
  if (is_fixed_) return fixed_;
  if (parts_.size() == 1) {
    SYNC_ASSIGN_OR_RETURN(Value v, PartValue(parts_[0], row, context));
    return ConvertTo(v, column_);
  }
  std::string text;
  for (const auto& p : parts_) {
    SYNC_ASSIGN_OR_RETURN(Value v, PartValue(p, row, context));
    if (v.is_null()) return Value();  // as SQL's CONCAT
    text += v.kind() == ValueKind::kTimestamp ? std::to_string(*AsInteger(v)) : PlainText(v);
  }
  return ConvertTo(Text(std::move(text)), column_);
}

}  // namespace dbsync::sink
