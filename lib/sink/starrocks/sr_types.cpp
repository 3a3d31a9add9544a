#include "sink/starrocks/sr_types.hpp"

#include <algorithm>

#include "core/value_text.hpp"

namespace dbsync::starrocks {
namespace {

constexpr int kMaxVarchar = 1048576;
constexpr int kMaxDecimalDigits = 38;

// The most UTF-8 bytes one character of a MySQL charset can become.
int Utf8BytesPerChar(const std::string& charset) {
  if (charset == "ascii" || charset.empty()) return 1;
  if (charset == "latin1" || charset == "latin2" || charset == "cp1250" || charset == "cp1251" ||
      charset == "cp1256" || charset == "cp1257" || charset == "greek" || charset == "hebrew" ||
      charset == "latin5" || charset == "latin7" || charset == "koi8r" || charset == "koi8u" || charset == "cp850" ||
      charset == "cp852" || charset == "cp866" || charset == "swe7" || charset == "dec8" || charset == "hp8" ||
      charset == "armscii8" || charset == "geostd8" || charset == "keybcs2" || charset == "macce" ||
      charset == "macroman")
    return 3;  // single-byte charsets reach U+2000.. (e.g. cp1252's euro sign, 3 bytes)
  if (charset == "utf8mb4" || charset == "utf16" || charset == "utf16le" || charset == "utf32") return 4;
  return 3;  // utf8mb3 and the multi-byte CJK charsets stay in the BMP
}

std::string Varchar(int64_t bytes) { return "VARCHAR(" + std::to_string(std::clamp<int64_t>(bytes, 1, kMaxVarchar)) + ")"; }

Status KeyRefused(const ColumnSchema& col, const std::string& why) {
  return Status::FailedPrecondition("column " + col.name + " (" + col.column_type + ") is part of the key, but " + why +
                                    "; choose other key columns with tables[].primary_key");
}

const char* kHexDigits = "0123456789abcdef";

void AppendQuotedHex(std::string_view bytes, std::string* out) {
  out->push_back('"');
  AppendHex(bytes, out);
  out->push_back('"');
}

void AppendQuotedDateTime(const DateTime& t, std::string* out) {
  out->push_back('"');
  AppendDateTime(t, out);
  out->push_back('"');
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

Result<SrColumn> MapColumn(const ColumnSchema& col, bool key) {
  SrColumn out;
  out.name = col.name;
  out.key = key;
  const std::string& t = col.data_type;
  auto set = [&](std::string type, SrKind kind) {
    out.type = std::move(type);
    out.kind = kind;
  };
  if (t == "tinyint") {
    set(col.is_unsigned ? "SMALLINT" : "TINYINT", SrKind::kNumber);
  } else if (t == "smallint") {
    set(col.is_unsigned ? "INT" : "SMALLINT", SrKind::kNumber);
  } else if (t == "mediumint") {
    set("INT", SrKind::kNumber);
  } else if (t == "int" || t == "integer") {
    set(col.is_unsigned ? "BIGINT" : "INT", SrKind::kNumber);
  } else if (t == "bigint") {
    set(col.is_unsigned ? "LARGEINT" : "BIGINT", SrKind::kNumber);
  } else if (t == "float" || t == "double" || t == "real") {
    if (key) return KeyRefused(col, "StarRocks primary keys cannot hold floating-point columns");
    set(t == "float" ? "FLOAT" : "DOUBLE", SrKind::kNumber);
  } else if (t == "decimal" || t == "numeric") {
    int p = col.precision > 0 ? col.precision : 10;
    if (key) {
      set(Varchar(p + 2), SrKind::kDecimalText);  // sign and point: the exact text
    } else if (p > kMaxDecimalDigits) {
      set("STRING", SrKind::kDecimalText);
    } else {
      set("DECIMAL(" + std::to_string(p) + "," + std::to_string(col.scale) + ")", SrKind::kNumber);
    }
  } else if (t == "bit") {
    int width = col.precision > 0 ? col.precision : 1;
    if (width == 1)
      set("BOOLEAN", SrKind::kBoolean);
    else
      set(width < 64 ? "BIGINT" : "LARGEINT", SrKind::kBitNumber);
  } else if (t == "date") {
    set("DATE", SrKind::kDate);
  } else if (t == "datetime" || t == "timestamp") {
    set("DATETIME", SrKind::kDateTime);
  } else if (t == "time") {
    set(Varchar(17), SrKind::kTime);  // -838:59:59.000000
  } else if (t == "year") {
    set("SMALLINT", SrKind::kNumber);
  } else if (t == "char" || t == "varchar") {
    int n = std::max(DeclaredLength(col.column_type), 1);
    bool binary_charset = col.collation == kBinaryCollation;
    set(binary_charset ? Varchar(int64_t(n) * 2) : Varchar(int64_t(n) * Utf8BytesPerChar(col.charset)),
        binary_charset ? SrKind::kHex : SrKind::kText);
  } else if (t == "tinytext" || t == "text" || t == "mediumtext" || t == "longtext") {
    set(Varchar(t == "tinytext" ? 255 * Utf8BytesPerChar(col.charset) : kMaxVarchar), SrKind::kText);
  } else if (t == "binary" || t == "varbinary") {
    set(Varchar(int64_t(std::max(DeclaredLength(col.column_type), 1)) * 2), SrKind::kHex);
  } else if (t == "tinyblob" || t == "blob" || t == "mediumblob" || t == "longblob" || IsGeometryType(t)) {
    if (key) return KeyRefused(col, "a " + t + " is too long for a StarRocks primary key");
    set(Varchar(t == "tinyblob" ? 510 : kMaxVarchar), SrKind::kHex);
  } else if (t == "json") {
    if (key) return KeyRefused(col, "StarRocks primary keys cannot hold JSON");
    set("JSON", SrKind::kJson);
  } else if (t == "enum" || t == "set") {
    size_t bytes = 1;
    for (const auto& m : col.enum_values) bytes = t == "enum" ? std::max(bytes, m.size()) : bytes + m.size() + 1;
    set(Varchar(int64_t(bytes)), SrKind::kText);
  } else {
    return Status::FailedPrecondition("column " + col.name + " has the type " + col.column_type +
                                      ", which sync cannot map to StarRocks; exclude the table with source.exclude");
  }
  if (!col.charset.empty()) out.charset = col.charset;
  return out;
}

Result<std::vector<SrColumn>> MapColumns(const TableSchema& table, const std::vector<std::string>& key) {
  std::vector<SrColumn> out;
  for (const auto& k : key) {
    int i = table.ColumnIndex(k);
    if (i < 0) return Status::InvalidArgument("key column " + k + " is not a column of " + table.FullName());
    auto c = MapColumn(table.columns[i], true);
    if (!c.ok()) return c.status().WithContext(table.FullName());
    c->source_index = i;
    out.push_back(std::move(c).value());
  }
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (std::find(key.begin(), key.end(), table.columns[i].name) != key.end()) continue;
    auto c = MapColumn(table.columns[i], false);
    if (!c.ok()) return c.status().WithContext(table.FullName());
    c->source_index = int(i);
    out.push_back(std::move(c).value());
  }
  return out;
}

std::string CreateTableSql(const std::string& db, const std::string& table, const std::vector<SrColumn>& columns,
                           const TableOptions& options, const std::string& partition_column) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QuoteIdentifier(db) + "." + QuoteIdentifier(table) + " (\n";
  std::string key;
  for (size_t i = 0; i < columns.size(); ++i) {
    const SrColumn& c = columns[i];
    sql += "  " + QuoteIdentifier(c.name) + " " + c.type + (c.key ? " NOT NULL" : " NULL");
    sql += i + 1 < columns.size() ? ",\n" : "\n";
    if (c.key) key += (key.empty() ? "" : ", ") + QuoteIdentifier(c.name);
  }
  sql += ") ENGINE=OLAP\nPRIMARY KEY (" + key + ")\n";
  sql += "COMMENT \"created by sync\"\n";
  if (!partition_column.empty()) sql += "PARTITION BY (" + QuoteIdentifier(partition_column) + ")\n";
  sql += "DISTRIBUTED BY HASH (" + key + ")";
  if (options.buckets > 0) sql += " BUCKETS " + std::to_string(options.buckets);
  sql += "\nPROPERTIES (\"enable_persistent_index\" = \"true\"";
  if (options.replication_num > 0) sql += ", \"replication_num\" = \"" + std::to_string(options.replication_num) + "\"";
  sql += ")";
  return sql;
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHexDigits[c >> 4]);
          out->push_back(kHexDigits[c & 15]);
        } else {
          out->push_back(char(c));
        }
    }
  }
  out->push_back('"');
}

Status JsonRowEncoder::AppendRow(const std::vector<Value>& row, const std::vector<SrColumn>& columns, int op,
                                 std::string* out) {
  out->push_back('{');
  for (const auto& c : columns) {
    AppendJsonString(c.name, out);
    out->push_back(':');
    if (size_t(c.source_index) >= row.size())
      return Status::Internal("row has " + std::to_string(row.size()) + " values, column " + c.name + " is missing");
    SYNC_RETURN_IF_ERROR(AppendValue(row[c.source_index], c, out).WithContext("column " + c.name));
    out->push_back(',');
  }
  out->append("\"__op\":");
  out->push_back(char('0' + op));
  out->push_back('}');
  return Status::Ok();
}

Status JsonRowEncoder::AppendValue(const Value& v, const SrColumn& col, std::string* out) {
  switch (v.kind()) {
    case ValueKind::kNull:
      out->append("null");
      return Status::Ok();
    case ValueKind::kInt:
      AppendNumber(v.as<int64_t>(), out);
      return Status::Ok();
    case ValueKind::kUint:
      AppendNumber(v.as<uint64_t>(), out);
      return Status::Ok();
    case ValueKind::kFloat:
      AppendNumber(v.as<float>(), out);
      return Status::Ok();
    case ValueKind::kDouble:
      AppendNumber(v.as<double>(), out);
      return Status::Ok();
    case ValueKind::kDecimal:
      // The exact text: a JSON number token for DECIMAL (the raw token is
      // parsed, 3.3), a string for the VARCHAR and STRING forms.
      if (col.kind == SrKind::kDecimalText)
        AppendJsonString(v.as<Decimal>().text, out);
      else
        out->append(v.as<Decimal>().text);
      return Status::Ok();
    case ValueKind::kBytes: {
      const Bytes& b = v.as<Bytes>();
      if (col.kind == SrKind::kHex || b.is_binary()) {
        AppendQuotedHex(b.data, out);
        return Status::Ok();
      }
      scratch_.clear();
      std::string_view charset = col.charset.empty() && b.collation != kUnknownCollation
                                     ? CharsetOfCollation(b.collation)
                                     : std::string_view(col.charset);
      SYNC_RETURN_IF_ERROR(charsets_.AppendUtf8(charset.empty() ? "utf8mb4" : charset, b.data, &scratch_));
      AppendJsonString(scratch_, out);
      return Status::Ok();
    }
    case ValueKind::kDate: {
      const Date& d = v.as<Date>();
      if (IsZeroDate(d.year, d.month, d.day)) {
        out->append("null");
        return Status::Ok();
      }
      out->push_back('"');
      AppendDate(d.year, d.month, d.day, out);
      out->push_back('"');
      return Status::Ok();
    }
    case ValueKind::kDateTime: {
      const DateTime& t = v.as<DateTime>();
      if (IsZeroDate(t.year, t.month, t.day))
        out->append("null");
      else
        AppendQuotedDateTime(t, out);
      return Status::Ok();
    }
    case ValueKind::kTimestamp: {
      const Timestamp& ts = v.as<Timestamp>();
      if (ts.epoch_seconds == 0 && ts.micros == 0)
        out->append("null");  // MySQL's zero TIMESTAMP (1970-01-01 00:00:00 UTC is outside its range)
      else
        AppendQuotedDateTime(ts.ToUtcDateTime(), out);
      return Status::Ok();
    }
    case ValueKind::kTime: {
      const Time& t = v.as<Time>();
      out->push_back('"');
      if (t.negative) out->push_back('-');
      AppendDigits(t.hours, 2, out);
      out->push_back(':');
      AppendDigits(t.minutes, 2, out);
      out->push_back(':');
      AppendDigits(t.seconds, 2, out);
      AppendFraction(t.micros, out);
      out->push_back('"');
      return Status::Ok();
    }
    case ValueKind::kYear:
      AppendNumber(unsigned(v.as<Year>().value), out);
      return Status::Ok();
    case ValueKind::kBit: {
      const Bit& b = v.as<Bit>();
      if (col.kind == SrKind::kBoolean)
        out->append(b.bits ? "true" : "false");
      else
        AppendNumber(b.bits, out);
      return Status::Ok();
    }
    case ValueKind::kEnum: {
      const Enum& e = v.as<Enum>();
      if (e.index != 0 && e.label.empty())
        return Status::FailedPrecondition("ENUM value " + std::to_string(e.index) + " has no known label");
      AppendJsonString(e.label, out);
      return Status::Ok();
    }
    case ValueKind::kSet: {
      const Set& s = v.as<Set>();
      if (s.mask != 0 && !s.has_labels)
        return Status::FailedPrecondition("SET value " + std::to_string(s.mask) + " has no known labels");
      std::string joined;
      for (const auto& l : s.labels) joined += (joined.empty() ? "" : ",") + l;
      AppendJsonString(joined, out);
      return Status::Ok();
    }
    case ValueKind::kJson: {
      // The document as a JSON value (a quoted string would be stored as a
      // JSON string scalar, 3.3). MySQL's rendering is valid JSON.
      const std::string& text = v.as<Json>().text;
      out->append(text.empty() ? "null" : text);
      return Status::Ok();
    }
    case ValueKind::kGeometry: {
      const Geometry& g = v.as<Geometry>();
      std::string raw(4, '\0');
      for (int i = 0; i < 4; ++i) raw[i] = char((g.srid >> (8 * i)) & 0xff);
      AppendQuotedHex(raw + g.wkb, out);
      return Status::Ok();
    }
  }
  return Status::Internal(std::string("no StarRocks rendering for a ") + ValueKindName(v.kind()));
}

}  // namespace dbsync::starrocks
