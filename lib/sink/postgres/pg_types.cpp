#include "sink/postgres/pg_types.hpp"

#include "core/value_text.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace dbsync::postgres {
namespace {

// A MySQL integer read as signed although the column is unsigned (metadata
// that lacked signedness): reinterpret within the column's width.
uint64_t AsUnsigned(int64_t v, int int_bytes) {
  if (v >= 0 || int_bytes >= 8 || int_bytes <= 0) return static_cast<uint64_t>(v);
  return static_cast<uint64_t>(v + (int64_t{1} << (8 * int_bytes)));
}

Status KindMismatch(const Value& v, const PgColumn& col) {
  return Status::FailedPrecondition(std::string("a ") + ValueKindName(v.kind()) + " value cannot be written to a " +
                                    col.type + " column; the table's schema changed without sync noticing: "
                                    "restart the task so that it re-reads the schema");
}

}  // namespace

Result<PgColumn> MapColumn(const ColumnSchema& col, Dialect dialect) {
  PgColumn out;
  out.name = col.name;
  out.not_null = !col.nullable;
  out.is_unsigned = col.is_unsigned;
  out.members = col.enum_values;
  const std::string& t = col.data_type;
  const bool holo = dialect == Dialect::kHologres;
  auto integer = [&](const char* type, int bytes) {
    out.type = type;
    out.kind = std::string(type).starts_with("numeric") ? PgKind::kNumeric : PgKind::kInteger;
    out.int_bytes = bytes;
  };
  if (t == "tinyint" || t == "boolean" || t == "bool") integer("smallint", 1);
  else if (t == "smallint") integer(col.is_unsigned ? "integer" : "smallint", 2);
  else if (t == "mediumint") integer("integer", 3);
  else if (t == "int" || t == "integer") integer(col.is_unsigned ? "bigint" : "integer", 4);
  else if (t == "bigint") integer(col.is_unsigned ? "numeric(20,0)" : "bigint", 8);
  else if (t == "year") integer("smallint", 2);
  else if (t == "decimal" || t == "numeric") {
    // Hologres stores at most 38 digits: wider decimals keep their exact text.
    if (holo && col.precision > 38) {
      out.type = "text";
      out.kind = PgKind::kText;
    } else {
      out.type = col.precision > 0 ? "numeric(" + std::to_string(col.precision) + "," + std::to_string(col.scale) + ")"
                                   : "numeric";
      out.kind = PgKind::kNumeric;
    }
  } else if (t == "float") {
    out.type = "real";
    out.kind = PgKind::kReal;
  } else if (t == "double" || t == "real" || t == "double precision") {
    out.type = "double precision";
    out.kind = PgKind::kDouble;
  } else if (t == "bit") {
    out.bit_width = col.precision > 0 ? col.precision : std::max(1, DeclaredLength(col.column_type));
    out.type = "bit(" + std::to_string(out.bit_width) + ")";
    out.kind = PgKind::kBit;
  } else if (t == "date") {
    out.type = "date";
    out.kind = PgKind::kDate;
  } else if (t == "time") {
    out.type = "interval";
    out.kind = PgKind::kInterval;
  } else if (t == "datetime" || t == "timestamp") {
    bool instant = t == "timestamp";
    // Hologres takes no precision modifier here (it keeps microseconds, and
    // milliseconds for timestamptz: see docs/type_mapping.md).
    std::string fsp = holo ? "" : "(" + std::to_string(col.fsp) + ")";
    out.type = "timestamp" + fsp + (instant ? " with time zone" : " without time zone");
    out.kind = instant ? PgKind::kTimestamptz : PgKind::kTimestamp;
  } else if (t == "char" || t == "varchar") {
    int n = DeclaredLength(col.column_type);
    out.type = n > 0 ? "varchar(" + std::to_string(n) + ")" : "text";
    out.kind = PgKind::kText;
  } else if (t == "tinytext" || t == "text" || t == "mediumtext" || t == "longtext" || t == "enum" || t == "set") {
    out.type = "text";
    out.kind = PgKind::kText;
  } else if (t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" ||
             t == "longblob" || IsGeometryType(t)) {
    out.type = "bytea";
    out.kind = PgKind::kBytea;
  } else if (t == "json") {
    out.type = "jsonb";
    out.kind = PgKind::kJsonb;
  } else {
    return Status::FailedPrecondition("column " + col.name + " has type '" +
                                      (col.column_type.empty() ? t : col.column_type) +
                                      "', which sync cannot map to PostgreSQL/Hologres; exclude the table or "
                                      "change the column type at the source");
  }
  if (out.kind == PgKind::kText && t != "enum" && t != "set" && t != "decimal" && t != "numeric")
    out.charset = !col.charset.empty() ? col.charset : CharsetOfCollation(col.collation);
  if (out.charset == "utf8") out.charset = "utf8mb3";
  static const char* kBase[] = {"", "numeric", "real", "double precision", "text", "bytea", "date", "interval",
                                "timestamp", "timestamptz", "varbit", "jsonb"};
  out.base_type = out.kind == PgKind::kInteger ? out.type : kBase[static_cast<int>(out.kind)];
  return out;
}

Result<std::vector<PgColumn>> MapColumns(const TableSchema& table, Dialect dialect) {
  std::vector<PgColumn> out;
  for (const auto& c : table.columns) {
    auto mapped = MapColumn(c, dialect);
    if (!mapped.ok()) return mapped.status().WithContext("table " + table.FullName());
    out.push_back(std::move(mapped).value());
  }
  return out;
}

Status ValueEncoder::AppendText(const Value& v, const PgColumn& col, std::string* out) {
  switch (v.kind()) {
    case ValueKind::kNull:
      return Status::Internal("NULL has no text form");
    case ValueKind::kInt:
      if (col.is_unsigned) AppendNumber(AsUnsigned(v.as<int64_t>(), col.int_bytes), out);
      else AppendNumber(v.as<int64_t>(), out);
      return Status::Ok();
    case ValueKind::kUint:
      AppendNumber(v.as<uint64_t>(), out);
      return Status::Ok();
    case ValueKind::kFloat:
      // Shortest text that reads back as the same float: bit-exact round trip.
      AppendNumber(v.as<float>(), out);
      return Status::Ok();
    case ValueKind::kDouble:
      AppendNumber(v.as<double>(), out);
      return Status::Ok();
    case ValueKind::kDecimal:
      out->append(v.as<Decimal>().text);
      return Status::Ok();
    case ValueKind::kBytes: {
      const Bytes& b = v.as<Bytes>();
      if (col.kind == PgKind::kBytea) {
        out->append("\\x");
        AppendHex(b.data, out);
        return Status::Ok();
      }
      std::string_view charset =
          b.collation != kUnknownCollation && !b.is_binary() ? CharsetOfCollation(b.collation) : std::string_view();
      if (charset.empty()) charset = col.charset;
      return charsets_.AppendUtf8(charset, b.data, out);
    }
    case ValueKind::kDate: {
      const Date& d = v.as<Date>();
      if (IsZeroDate(d.year, d.month, d.day)) {
        out->append("-infinity");
        return Status::Ok();
      }
      AppendDate(d.year, d.month, d.day, out);
      return Status::Ok();
    }
    case ValueKind::kTime: {
      const Time& t = v.as<Time>();
      if (t.negative) out->push_back('-');
      AppendDigits(t.hours, 1, out);
      out->push_back(':');
      AppendDigits(t.minutes, 2, out);
      out->push_back(':');
      AppendDigits(t.seconds, 2, out);
      AppendFraction(t.micros, out);
      return Status::Ok();
    }
    case ValueKind::kDateTime: {
      const DateTime& d = v.as<DateTime>();
      if (IsZeroDate(d.year, d.month, d.day)) out->append("-infinity");
      else AppendDateTime(d, out);
      return Status::Ok();
    }
    case ValueKind::kTimestamp: {
      const Timestamp& ts = v.as<Timestamp>();
      // MySQL's TIMESTAMP range starts at epoch 1, so epoch 0 is the zero value.
      if (ts.epoch_seconds == 0 && ts.micros == 0) {
        out->append("-infinity");
        return Status::Ok();
      }
      AppendDateTime(ts.ToUtcDateTime(), out);
      out->append(col.kind == PgKind::kTimestamptz ? "+00" : "");
      return Status::Ok();
    }
    case ValueKind::kYear:
      AppendNumber(unsigned(v.as<Year>().value), out);
      return Status::Ok();
    case ValueKind::kBit: {
      const Bit& b = v.as<Bit>();
      int width = col.bit_width > 0 ? col.bit_width : b.width;
      for (int i = width; i-- > 0;) out->push_back(i < 64 && ((b.bits >> i) & 1) ? '1' : '0');
      return Status::Ok();
    }
    case ValueKind::kEnum: {
      const Enum& e = v.as<Enum>();
      if (e.index == 0 || !e.label.empty()) {
        out->append(e.label);  // index 0 is MySQL's '' error value
        return Status::Ok();
      }
      if (e.index > col.members.size())
        return Status::FailedPrecondition("ENUM index " + std::to_string(e.index) +
                                          " is beyond the column's known members; restart the task so that it "
                                          "re-reads the schema");
      out->append(col.members[e.index - 1]);
      return Status::Ok();
    }
    case ValueKind::kSet: {
      const Set& s = v.as<Set>();
      if (s.has_labels) {
        for (size_t i = 0; i < s.labels.size(); ++i) out->append(i ? "," : "").append(s.labels[i]);
        return Status::Ok();
      }
      bool first = true;
      for (size_t i = 0; i < 64; ++i) {
        if (!((s.mask >> i) & 1)) continue;
        if (i >= col.members.size())
          return Status::FailedPrecondition("SET bit " + std::to_string(i) +
                                            " is beyond the column's known members; restart the task so that it "
                                            "re-reads the schema");
        out->append(first ? "" : ",").append(col.members[i]);
        first = false;
      }
      return Status::Ok();
    }
    case ValueKind::kJson: {
      const std::string& text = v.as<Json>().text;
      if (col.kind == PgKind::kBytea) return KindMismatch(v, col);
      // jsonb rejects the \u0000 escape; say so with the rule instead of a bare server error.
      for (size_t p = text.find("\\u0000"); p != std::string::npos; p = text.find("\\u0000", p + 1)) {
        size_t slashes = 0;
        while (p >= slashes + 1 && text[p - slashes - 1] == '\\') ++slashes;
        if (slashes % 2 == 0)
          return Status::FailedPrecondition("the JSON value contains \\u0000, which PostgreSQL jsonb cannot "
                                            "store; remove the NUL character at the source");
      }
      return charsets_.AppendUtf8("utf8mb4", text, out);
    }
    case ValueKind::kGeometry: {
      const Geometry& g = v.as<Geometry>();
      if (col.kind != PgKind::kBytea) return KindMismatch(v, col);
      std::string raw(4, '\0');
      for (int i = 0; i < 4; ++i) raw[size_t(i)] = static_cast<char>(g.srid >> (8 * i));
      out->append("\\x");
      AppendHex(raw, out);
      AppendHex(g.wkb, out);
      return Status::Ok();
    }
  }
  return Status::Internal("unhandled value kind");
}

void AppendCopyEscaped(std::string_view text, std::string* out) {
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    const char* esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
    if (!esc) continue;
    out->append(text.data() + run, i - run);
    out->append(esc);
    run = i + 1;
  }
  out->append(text.data() + run, text.size() - run);
}

Status ValueEncoder::AppendCopyField(const Value& v, const PgColumn& col, std::string* out) {
  if (v.is_null()) {
    out->append("\\N");
    return Status::Ok();
  }
  scratch_.clear();
  SYNC_RETURN_IF_ERROR(AppendText(v, col, &scratch_));
  AppendCopyEscaped(scratch_, out);
  return Status::Ok();
}

Result<std::optional<std::string>> ValueEncoder::ParameterText(const Value& v, const PgColumn& col) {
  if (v.is_null()) return std::optional<std::string>();
  std::string text;
  SYNC_RETURN_IF_ERROR(AppendText(v, col, &text));
  return std::optional<std::string>(std::move(text));
}

}  // namespace dbsync::postgres
