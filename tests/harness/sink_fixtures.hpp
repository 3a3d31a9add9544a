#pragma once
// Small builders shared by the sink tests: a table binding and row changes.

#include <string>
#include <vector>

#include "sink/sink.hpp"

namespace dbsync::testing {

// A source column as the schema reader gives it; character columns are utf8mb4.
inline ColumnSchema Col(std::string name, std::string data_type, std::string column_type, bool nullable = true) {
  ColumnSchema c;
  c.name = std::move(name);
  c.data_type = std::move(data_type);
  c.column_type = std::move(column_type);
  c.nullable = nullable;
  c.is_unsigned = c.column_type.find("unsigned") != std::string::npos;
  if (c.data_type.find("text") != std::string::npos || c.data_type.find("char") != std::string::npos) {
    c.charset = "utf8mb4";
    c.collation = 45;
  }
  return c;
}

// Source table src.`table` bound to `schema`.`table` at the destination, keyed by `key`.
inline sink::TableBinding Binding(const std::string& schema, const std::string& table, std::vector<ColumnSchema> cols,
                                  std::vector<std::string> key) {
  sink::TableBinding b;
  b.source.db = "src";
  b.source.table = table;
  b.source.columns = std::move(cols);
  b.source.primary_key = key;
  b.key = std::move(key);
  b.dest_schema = schema;
  b.dest_table = table;
  return b;
}

// Writes `rows` as chunk `index` of `b` (snapshot position <binlog_file>:100+index)
// and commits it; returns the first failure.
inline Status WriteChunk(sink::Sink& s, const sink::TableBinding& b, int index,
                         const std::vector<std::vector<Value>>& rows, const std::string& binlog_file = "binlog.000001") {
  auto w = s.OpenChunk(b, index, BinlogPosition{binlog_file, uint64_t(100 + index), ""});
  if (!w.ok()) return w.status();
  for (const auto& r : rows) SYNC_RETURN_IF_ERROR((*w)->Write(r));
  return (*w)->Commit();
}

inline Bytes Utf8(std::string s) { return Bytes{std::move(s), 45}; }  // utf8mb4_general_ci
inline sink::RowChange Ins(std::vector<Value> after) { return {sink::RowChange::Op::kInsert, {}, std::move(after)}; }
inline sink::RowChange Upd(std::vector<Value> before, std::vector<Value> after) {
  return {sink::RowChange::Op::kUpdate, std::move(before), std::move(after)};
}
inline sink::RowChange Del(std::vector<Value> before) { return {sink::RowChange::Op::kDelete, std::move(before), {}}; }

}  // namespace dbsync::testing
