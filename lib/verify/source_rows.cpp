#include "verify/source_rows.hpp"

#include <fmt/format.h>

#include <set>

#include "core/text_util.hpp"
#include "core/value_text.hpp"
#include "source/mysql/row_reader.hpp"
#include "source/mysql/snapshot_reader.hpp"

namespace dbsync::verify {

namespace {

std::string Hex(std::string_view bytes) {
  std::string out;
  AppendHex(bytes, &out);
  return out;
}

bool IsBinaryColumn(const ColumnSchema& c) { return c.charset.empty() || c.collation_name == "binary"; }

std::string TableRef(const TableSchema& t) {
  return mysql::QuoteIdentifier(t.db) + "." + mysql::QuoteIdentifier(t.table);
}

std::vector<std::string> QuotedKey(const TableSchema& t) {
  std::vector<std::string> out;
  for (const auto& k : t.primary_key) out.push_back(mysql::QuoteIdentifier(k));
  return out;
}

}  // namespace

Result<std::string> KeyLiteral(const ColumnSchema& column, const Value& v) {
  std::string out;
  switch (v.kind()) {
    case ValueKind::kInt: AppendNumber(v.as<int64_t>(), &out); return out;
    case ValueKind::kUint: AppendNumber(v.as<uint64_t>(), &out); return out;
    case ValueKind::kDecimal: return v.as<Decimal>().text;
    case ValueKind::kYear: AppendNumber(unsigned(v.as<Year>().value), &out); return out;
    case ValueKind::kEnum: AppendNumber(v.as<Enum>().index, &out); return out;
    case ValueKind::kSet: AppendNumber(v.as<Set>().mask, &out); return out;
    case ValueKind::kBit: AppendNumber(v.as<Bit>().bits, &out); return out;
    case ValueKind::kBytes: {
      const std::string hex = Hex(v.as<Bytes>().data);
      if (IsBinaryColumn(column)) return "X'" + hex + "'";
      return "_" + column.charset + " X'" + hex + "' COLLATE " + column.collation_name;
    }
    case ValueKind::kDate: {
      const Date& d = v.as<Date>();
      AppendDate(d.year, d.month, d.day, &out);
      return mysql::QuoteString(out);
    }
    case ValueKind::kDateTime: AppendDateTime(v.as<DateTime>(), &out); return mysql::QuoteString(out);
    case ValueKind::kTimestamp:
      // The session reads TIMESTAMP in UTC (time_zone '+00:00').
      AppendDateTime(v.as<Timestamp>().ToUtcDateTime(), &out);
      return mysql::QuoteString(out);
    case ValueKind::kTime: {
      const Time& t = v.as<Time>();
      out = fmt::format("{}{}:{:02}:{:02}.{:06}", t.negative ? "-" : "", t.hours, t.minutes, t.seconds, t.micros);
      return mysql::QuoteString(out);
    }
    default:
      return Status::FailedPrecondition("sync verify cannot look up rows by a key column of type " +
                                        column.data_type + " (" + column.name + ")");
  }
}

std::string KeyLiteralFromText(const ColumnSchema& column, const std::string& text) {
  static const std::set<std::string> kNumbers = {"tinyint", "smallint", "mediumint", "int", "integer",
                                                 "bigint",  "decimal",  "numeric",   "year"};
  if (kNumbers.count(column.data_type)) return text;
  if (column.data_type == "bit") return "b'" + text + "'";
  if (column.data_type == "enum" || column.data_type == "set") return mysql::QuoteString(text);
  static const std::set<std::string> kTemporal = {"date", "datetime", "timestamp", "time"};
  if (kTemporal.count(column.data_type)) return mysql::QuoteString(text);
  if (IsBinaryColumn(column)) return "X'" + (text.starts_with("\\x") ? text.substr(2) : Hex(text)) + "'";
  // The destination holds text in UTF-8; the column may be in another charset.
  return "CONVERT(_utf8mb4 X'" + Hex(text) + "' USING " + column.charset + ") COLLATE " + column.collation_name;
}

Result<SourceRows> SourceRows::Open(const mysql::Endpoint& endpoint) {
  SYNC_ASSIGN_OR_RETURN(mysql::Connection conn, mysql::Connection::Connect(endpoint));
  // As the snapshot reader reads: TIMESTAMP in UTC, raw stored bytes.
  SYNC_RETURN_IF_ERROR(
      conn.Execute("SET SESSION time_zone = '+00:00', SESSION sql_mode = '', character_set_results = binary"));
  SYNC_RETURN_IF_ERROR(conn.Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  return SourceRows(std::move(conn));
}

Result<BinlogPosition> SourceRows::Begin() {
  SYNC_RETURN_IF_ERROR(conn_.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"));
  // Read after the snapshot began: every change it shows is in the binlog
  // before this position (it may show fewer; a retry settles that).
  auto end = mysql::BinlogEnd(conn_);
  if (!end.ok()) (void)conn_.Execute("ROLLBACK");
  return end;
}

Status SourceRows::End() { return conn_.Execute("COMMIT"); }

Status SourceRows::Read(const TableSchema& table, const std::string& where_and_order, const source::RowSink& sink,
                        size_t* rows) {
  std::vector<std::string> columns;
  for (const auto& c : table.columns) columns.push_back(mysql::QuoteIdentifier(c.name));
  std::string sql = "SELECT " + Join(columns, ", ") + " FROM " + TableRef(table) + where_and_order;
  SYNC_ASSIGN_OR_RETURN(auto stats, mysql::ReadRows(conn_, table, sql, sink));
  if (rows) *rows = stats.rows;
  return Status::Ok();
}

Result<size_t> SourceRows::ReadAfter(const TableSchema& table, const std::vector<std::string>& after, size_t limit,
                                     const source::RowSink& sink) {
  std::vector<std::string> key = QuotedKey(table);
  std::string clause = after.empty() ? "" : " WHERE " + mysql::KeyCondition(key, after, ">");
  clause += " ORDER BY " + Join(key, ", ") + " LIMIT " + std::to_string(limit);
  size_t rows = 0;
  SYNC_RETURN_IF_ERROR(Read(table, clause, sink, &rows));
  return rows;
}

Status SourceRows::ReadKeys(const TableSchema& table, const std::vector<std::vector<std::string>>& keys,
                            const source::RowSink& sink) {
  if (keys.empty()) return Status::Ok();
  std::vector<std::string> key = QuotedKey(table);
  std::vector<std::string> matches;
  for (const auto& literals : keys) {
    std::vector<std::string> equal;
    for (size_t i = 0; i < key.size(); ++i) equal.push_back(key[i] + " = " + literals[i]);
    matches.push_back("(" + Join(equal, " AND ") + ")");
  }
  return Read(table, " WHERE " + Join(matches, " OR "), sink, nullptr);
}

Status SourceRows::ReadAll(const TableSchema& table, const source::RowSink& sink) {
  return Read(table, "", sink, nullptr);
}

}  // namespace dbsync::verify
