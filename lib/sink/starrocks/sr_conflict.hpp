#pragma once
// tables[].on_conflict for StarRocks. A Primary Key table's upsert writes
// whole rows, which is `replace`. `update` and `ignore` write with partial
// updates instead (specs/starrocks.md 1.6: `partial_update` with the task's
// columns), which leave the columns the task does not write as they are and
// give them their defaults in a row that was not there.
//
// A key the batch deleted must not keep anything of the row before: the
// delete, and every later write of that key in the batch, go in a second,
// whole-row load of the table, committed after the partial one (every load
// of one transaction must carry the same headers, so the two cannot share
// one). `ignore` leaves out an insert whose key the destination already has,
// asked over the query port just before the rows are loaded: a row another
// writer puts there in between is replaced, not kept.

#include <string>
#include <vector>

#include "config/task_spec.hpp"
#include "net/mysql_client.hpp"
#include "sink/sink.hpp"
#include "sink/starrocks/sr_types.hpp"

namespace dbsync::starrocks {

// The `columns` header of a partial update: every column the task writes.
std::string PartialUpdateColumns(const std::vector<SrColumn>& columns);

// `v` as a StarRocks SQL literal of `col`'s type.
Result<std::string> SqlLiteral(JsonRowEncoder& encoder, const Value& v, const SrColumn& col);

// For each of `rows` (source rows), whether db.table has its key already.
Result<std::vector<bool>> KeysPresent(mysql::Connection& conn, const std::string& db, const std::string& table,
                                      const std::vector<SrColumn>& columns,
                                      const std::vector<const std::vector<Value>*>& rows);

}  // namespace dbsync::starrocks
