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
#include "net/mysql_client.hpp"
#include "source/source.hpp"

namespace dbsync::mysql {

using source::ReadStats;
using source::Row;
using source::RowSink;

// Runs `sql`, whose select list is exactly `schema.columns` in order, and hands
// every row to `sink`. TIMESTAMP values assume the session time_zone is '+00:00'.
Result<ReadStats> ReadRows(Connection& conn, const TableSchema& schema, const std::string& sql, const RowSink& sink);

}  // namespace dbsync::mysql
