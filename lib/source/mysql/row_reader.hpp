#pragma once
// Streams the rows of one SELECT through the binary protocol into typed Values.
// The binary protocol gives FLOAT/DOUBLE bit-exact and temporals as structs, so
// snapshot values equal what the binlog decoder produces for the same row.
// Rows are fetched one at a time (no result buffering): memory stays bounded by
// the largest row, whatever the table size.

#include <mysql.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"
#include "source/mysql/mysql_connection.hpp"

namespace dbsync::mysql {

using Row = std::vector<Value>;
// Receives each row; a non-OK Status stops the read and is returned.
using RowSink = std::function<Status(Row&& row)>;

struct ReadStats {
  uint64_t rows = 0;
  uint64_t bytes = 0;  // payload bytes of variable-length columns
};

// Runs `sql`, whose select list is exactly `schema.columns` in order, and hands
// every row to `sink`. TIMESTAMP values assume the session time_zone is '+00:00'.
Result<ReadStats> ReadRows(Connection& conn, const TableSchema& schema, const std::string& sql, const RowSink& sink);

}  // namespace dbsync::mysql
