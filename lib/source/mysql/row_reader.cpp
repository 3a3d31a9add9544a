#include "source/mysql/row_reader.hpp"

#include <mysqld_error.h>

#include <cstring>

namespace dbsync::mysql {
namespace {

enum class Slot { kInt, kFloat, kDouble, kTime, kBytes };

struct ColumnBuffer {
  Slot slot = Slot::kBytes;
  int64_t integer = 0;
  float f = 0;
  double d = 0;
  MYSQL_TIME time{};
  std::string bytes = std::string(256, '\0');
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

Slot SlotFor(const std::string& t) {
  if (t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "integer" || t == "bigint" ||
      t == "year")
    return Slot::kInt;
  if (t == "float") return Slot::kFloat;
  if (t == "double" || t == "real") return Slot::kDouble;
  if (t == "date" || t == "datetime" || t == "timestamp" || t == "time") return Slot::kTime;
  return Slot::kBytes;  // decimal, strings, blobs, bit, enum, set, json, geometry
}

void Bind(MYSQL_BIND& b, ColumnBuffer& c, bool is_unsigned) {
  std::memset(&b, 0, sizeof b);
  b.is_null = &c.is_null;
  b.error = &c.error;
  b.length = &c.length;
  switch (c.slot) {
    case Slot::kInt:
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &c.integer;
      b.is_unsigned = is_unsigned;
      break;
    case Slot::kFloat:
      b.buffer_type = MYSQL_TYPE_FLOAT;
      b.buffer = &c.f;
      break;
    case Slot::kDouble:
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &c.d;
      break;
    case Slot::kTime:
      b.buffer_type = MYSQL_TYPE_DATETIME;
      b.buffer = &c.time;
      break;
    case Slot::kBytes:
      b.buffer_type = MYSQL_TYPE_BLOB;
      b.buffer = c.bytes.data();
      b.buffer_length = c.bytes.size();
      break;
  }
}

Value BytesValue(const ColumnSchema& col, std::string data) {
  const std::string& t = col.data_type;
  if (t == "decimal" || t == "numeric") return Decimal{std::move(data)};
  if (t == "json") return Json{std::move(data)};
  if (t == "bit") {
    uint64_t bits = 0;
    for (unsigned char ch : data) bits = (bits << 8) | ch;
    return Bit{bits, static_cast<uint16_t>(col.precision)};
  }
  if (t == "enum") {
    for (size_t i = 0; i < col.enum_values.size(); ++i)
      if (col.enum_values[i] == data) return Enum{static_cast<uint32_t>(i + 1), std::move(data)};
    return Enum{0, ""};  // the '' error value
  }
  if (t == "set") {
    Set s;
    s.has_labels = true;
    size_t start = 0;
    while (!data.empty() && start <= data.size()) {
      size_t comma = data.find(',', start);
      std::string member = data.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      for (size_t i = 0; i < col.enum_values.size(); ++i)
        if (col.enum_values[i] == member) s.mask |= uint64_t{1} << i;
      s.labels.push_back(member);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return s;
  }
  if (t == "geometry" || t == "point" || t == "linestring" || t == "polygon" || t == "multipoint" ||
      t == "multilinestring" || t == "multipolygon" || t == "geometrycollection" || t == "geomcollection") {
    Geometry g;
    if (data.size() >= 4) {
      g.srid = uint32_t(uint8_t(data[0])) | uint32_t(uint8_t(data[1])) << 8 | uint32_t(uint8_t(data[2])) << 16 |
               uint32_t(uint8_t(data[3])) << 24;
      g.wkb = data.substr(4);
    }
    return g;
  }
  return Bytes{std::move(data), col.collation};
}

Value TimeValue(const ColumnSchema& col, const MYSQL_TIME& t) {
  uint8_t fsp = static_cast<uint8_t>(col.fsp);
  if (col.data_type == "date") return Date{int32_t(t.year), uint8_t(t.month), uint8_t(t.day)};
  if (col.data_type == "time") {
    // Connector/C already folds the days into `hour` for TIME; older clients did not.
    uint32_t hours = t.hour >= t.day * 24 ? t.hour : t.day * 24 + t.hour;
    return Time{bool(t.neg), hours, uint8_t(t.minute), uint8_t(t.second), uint32_t(t.second_part), fsp};
  }
  if (col.data_type == "timestamp") {
    if (t.year == 0 && t.month == 0 && t.day == 0) return Timestamp{0, 0, fsp};
    int64_t days = DaysFromCivil(t.year, t.month, t.day);
    return Timestamp{days * 86400 + t.hour * 3600 + t.minute * 60 + t.second, uint32_t(t.second_part), fsp};
  }
  return DateTime{int32_t(t.year), uint8_t(t.month),  uint8_t(t.day), uint8_t(t.hour),
                  uint8_t(t.minute), uint8_t(t.second), uint32_t(t.second_part), fsp};
}

Value IntValue(const ColumnSchema& col, int64_t v) {
  if (col.data_type == "year") return Year{static_cast<uint16_t>(v)};
  if (col.is_unsigned) return static_cast<uint64_t>(v);
  return v;
}

Status StmtError(MYSQL_STMT* stmt, const std::string& what) {
  unsigned code = mysql_stmt_errno(stmt);
  std::string text = mysql_stmt_error(stmt);
  // A statement whose connection is gone has no connection of its own (null).
  if (stmt->mysql == nullptr)
    return Status::Unavailable(what + ": " + (text.empty() ? "the connection to the source was closed" : text));
  // Connector/C's unbuffered fetch leaves a read error on the connection
  // alone: a connection reset in the middle of a row packet gave the
  // statement no error (0, "") and the connection CR_SERVER_LOST.
  if (code == 0) {
    code = mysql_errno(stmt->mysql);
    text = mysql_error(stmt->mysql);
  }
  const std::string msg = what + ": " + text;
  // A failure no one named is retried rather than taken for one a restart cannot fix.
  if (IsConnectionLost(code) || code == 0)
    return Status::Unavailable((code == 0 ? msg + "the client library gave no error" : msg) +
                               "; the read is retried: check that the source is running and reachable");
  if (code == ER_NO_SUCH_TABLE || code == ER_BAD_DB_ERROR) return Status::NotFound(msg);  // dropped or renamed meanwhile
  return Status::FailedPrecondition(msg);
}

}  // namespace

Result<ReadStats> ReadRows(Connection& conn, const TableSchema& schema, const std::string& sql, const RowSink& sink) {
  std::unique_ptr<MYSQL_STMT, decltype(&mysql_stmt_close)> stmt(mysql_stmt_init(conn.handle()), mysql_stmt_close);
  if (!stmt) return Status::Internal("out of memory preparing a statement");
  if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0)
    return StmtError(stmt.get(), "cannot prepare snapshot query for " + schema.FullName());
  if (mysql_stmt_field_count(stmt.get()) != schema.columns.size())
    return Status::FailedPrecondition("the columns of " + schema.FullName() +
                                      " changed while reading it; the read is retried with the new definition");
  if (mysql_stmt_execute(stmt.get()) != 0) return StmtError(stmt.get(), "snapshot query on " + schema.FullName());

  size_t n = schema.columns.size();
  std::vector<ColumnBuffer> buffers(n);
  std::vector<MYSQL_BIND> binds(n);
  for (size_t i = 0; i < n; ++i) {
    buffers[i].slot = SlotFor(schema.columns[i].data_type);
    Bind(binds[i], buffers[i], schema.columns[i].is_unsigned);
  }
  if (mysql_stmt_bind_result(stmt.get(), binds.data()) != 0) return StmtError(stmt.get(), "bind result");

  ReadStats stats;
  while (true) {
    int rc = mysql_stmt_fetch(stmt.get());
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) return StmtError(stmt.get(), "reading " + schema.FullName());
    bool rebind = false;
    if (rc == MYSQL_DATA_TRUNCATED || rc == 0) {
      // A value longer than its buffer: grow the buffer and fetch that column again.
      for (size_t i = 0; i < n; ++i) {
        if (buffers[i].slot != Slot::kBytes || buffers[i].is_null || buffers[i].length <= buffers[i].bytes.size())
          continue;
        buffers[i].bytes.resize(buffers[i].length);
        MYSQL_BIND b = binds[i];
        b.buffer = buffers[i].bytes.data();
        b.buffer_length = buffers[i].bytes.size();
        if (mysql_stmt_fetch_column(stmt.get(), &b, unsigned(i), 0) != 0)
          return StmtError(stmt.get(), "reading a long value of " + schema.FullName());
        rebind = true;
      }
    }
    Row row;
    row.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const ColumnBuffer& c = buffers[i];
      const ColumnSchema& col = schema.columns[i];
      if (c.is_null) {
        row.emplace_back();
        continue;
      }
      switch (c.slot) {
        case Slot::kInt: row.push_back(IntValue(col, c.integer)); break;
        case Slot::kFloat: row.emplace_back(c.f); break;
        case Slot::kDouble: row.emplace_back(c.d); break;
        case Slot::kTime: row.push_back(TimeValue(col, c.time)); break;
        case Slot::kBytes:
          stats.bytes += c.length;
          row.push_back(BytesValue(col, std::string(c.bytes.data(), c.length)));
          break;
      }
    }
    if (rebind) {
      for (size_t i = 0; i < n; ++i) Bind(binds[i], buffers[i], schema.columns[i].is_unsigned);
      if (mysql_stmt_bind_result(stmt.get(), binds.data()) != 0) return StmtError(stmt.get(), "bind result");
    }
    ++stats.rows;
    SYNC_RETURN_IF_ERROR(sink(std::move(row)));
  }
  return stats;
}

}  // namespace dbsync::mysql
