#pragma once
// The source's rows for `sync verify`: chunks in key order and rows by key,
// each read inside a consistent snapshot whose binlog position is at or after
// every change the snapshot shows. A destination that has applied the binlog
// up to that position holds at least what the snapshot showed.
//
// Thread-compatible: one per thread (it owns one connection).

#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "net/mysql_client.hpp"
#include "source/source.hpp"

namespace dbsync::verify {

// A key value as a MySQL literal that compares in the column's collation,
// so that a lookup uses the index. kFailedPrecondition for a type no key of
// a verified table may have (FLOAT, DOUBLE, JSON, GEOMETRY).
Result<std::string> KeyLiteral(const ColumnSchema& column, const Value& v);
// The same from a key's canonical text at the destination (sink/readback.hpp).
std::string KeyLiteralFromText(const ColumnSchema& column, const std::string& text);

class SourceRows {
 public:
  static Result<SourceRows> Open(const mysql::Endpoint& endpoint);

  // Starts a snapshot and returns a position at or after every change it shows.
  Result<BinlogPosition> Begin();
  Status End();

  // In the snapshot: up to `limit` rows of `table` (whose primary_key is the
  // key compared) with keys greater than `after` (from the start when
  // empty), in key order. Returns how many were read.
  Result<size_t> ReadAfter(const TableSchema& table, const std::vector<std::string>& after, size_t limit,
                           const source::RowSink& sink);
  // The rows whose keys are among `keys` (tuples of KeyLiteral texts).
  Status ReadKeys(const TableSchema& table, const std::vector<std::vector<std::string>>& keys,
                  const source::RowSink& sink);
  // Every row (a table without a key), streamed.
  Status ReadAll(const TableSchema& table, const source::RowSink& sink);

 private:
  explicit SourceRows(mysql::Connection conn) : conn_(std::move(conn)) {}
  Status Read(const TableSchema& table, const std::string& where_and_order, const source::RowSink& sink,
              size_t* rows);

  mysql::Connection conn_;
};

}  // namespace dbsync::verify
