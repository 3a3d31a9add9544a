#pragma once
// tables[].on_conflict for MaxCompute. An upsert session writes whole rows,
// which is `replace`. `update` and `ignore` write partial updates instead
// (specs/maxcompute.md 4.2: __value_cols naming the task's columns), which a
// Delta table takes only when it was made with
// 'acid.partial.fields.update.enable'='true' (sync makes its own tables so
// under these policies); they leave the table's other columns as they are,
// NULL in a new row. One session holds a table's changes of a batch in order,
// so a key the batch deleted is deleted, then written whole.
//
// `ignore` leaves out an insert whose key the table already has, asked with
// a SQL query just before the rows are written: a row another writer adds in
// between is overwritten, not kept.

#include <optional>
#include <string>
#include <vector>

#include "sink/maxcompute/mc_chunk_writers.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_upsert.hpp"
#include "sink/sink.hpp"

namespace dbsync::maxcompute {

// The policy writes partial updates (update, ignore).
bool WritesPartially(const sink::TableBinding& t);

// kFailedPrecondition, with the fix, when `t`'s policy needs partial updates
// and `session`'s table does not take them.
Status CheckPartialUpdates(const UpsertSession& session, const sink::TableBinding& t, const std::string& table);

// `value` as a MaxCompute SQL literal of `col`'s type; kInvalidArgument for
// a kind sync cannot write in SQL.
Result<std::string> SqlLiteralOf(const McColumn& col, const Value& value);

// For each of `rows` (source rows of `t`), whether `m`'s table has its key
// already (in the row's partition, for a partitioned table).
Result<std::vector<bool>> KeysPresent(const Client& client, const sink::TableBinding& t, const MappedTable& m,
                                      const std::vector<const std::vector<Value>*>& rows);

}  // namespace dbsync::maxcompute
