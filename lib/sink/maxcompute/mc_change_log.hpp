#pragma once
// write_mode log: a table written as a change log, as DataWorks writes
// real-time records for MaxCompute (specs/maxcompute.md 4.3,
// dataworks-and-peers.md): a plain table (no key, not transactional) with the
// source's columns and DataWorks' five real-time fields, every change
// appended, nothing updated in place. It is the only mode for a source table
// without a key, and a choice for any other (a history a user can query).
//
//   _sequence_id_     BIGINT  0 for the rows of the full initialization; for
//                             changes 1, 2, ... in binlog order, unique
//                             within the task and never used twice
//   _operation_type_  STRING  I (insert and full initialization), U, D
//   _execute_time_    BIGINT  the source transaction's commit time in ms
//                             since the epoch (the binlog has seconds);
//                             0 for the full initialization
//   _before_image_    STRING  Y for an update's old row and a deleted row
//   _after_image_     STRING  Y for an inserted row, an update's new row and
//                             a row of the full initialization
//
// An update is two records, its old row then its new row, with consecutive
// sequence ids. The table as it was at time T is, per key, the record with
// the highest _sequence_id_ among those with _execute_time_ <= T, kept when
// it is an after image (RebuildSql); without a key, every distinct row
// counted as its after images less its before images.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/task_spec.hpp"
#include "core/status.hpp"
#include "core/value.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/sink.hpp"

namespace dbsync::maxcompute {

enum class WriteMode { kUpsert, kLog };

// tables[].write_mode, else destination.write_mode, else upsert for a table
// with a key and log for one without. An explicit upsert of a keyless table
// is kFailedPrecondition saying what to set.
Result<WriteMode> WriteModeOf(const sink::TableBinding& t, const config::DestinationSpec& d);

inline constexpr const char* kSequenceIdColumn = "_sequence_id_";
inline constexpr const char* kOperationTypeColumn = "_operation_type_";
inline constexpr const char* kExecuteTimeColumn = "_execute_time_";
inline constexpr const char* kBeforeImageColumn = "_before_image_";
inline constexpr const char* kAfterImageColumn = "_after_image_";
inline constexpr int kLogFieldCount = 5;

// The five columns, in the order above, taking their values from
// source_index first_index, first_index + 1, ... (RowEncoder's `extra`).
std::vector<McColumn> LogColumns(int first_index);
// Whether `name` is one of the five (a source column of that name would
// collide: MapLogColumns refuses it).
bool IsLogColumn(const std::string& name);

// The source's columns (as MapColumns, none of them a key: a plain table has
// none) followed by LogColumns.
Result<std::vector<McColumn>> MapLogColumns(const TableSchema& table);

// The values of the five fields of one record.
using LogFields = std::array<Value, kLogFieldCount>;
LogFields SnapshotFields();
LogFields ChangeFields(int64_t sequence_id, char operation, int64_t execute_time_ms, bool before_image);

// Calls `emit(row, fields)` for each record of `change`, numbering them from
// *next_sequence on (which it advances).
template <class Emit>
Status ForEachLogRecord(const sink::RowChange& change, int64_t* next_sequence, Emit&& emit) {
  const int64_t ms = change.commit_time * 1000;
  switch (change.op) {
    case sink::RowChange::Op::kInsert:
      return emit(change.after, ChangeFields((*next_sequence)++, 'I', ms, false));
    case sink::RowChange::Op::kUpdate:
      SYNC_RETURN_IF_ERROR(emit(change.before, ChangeFields((*next_sequence)++, 'U', ms, true)));
      return emit(change.after, ChangeFields((*next_sequence)++, 'U', ms, false));
    case sink::RowChange::Op::kDelete:
      return emit(change.before, ChangeFields((*next_sequence)++, 'D', ms, true));
  }
  return Status::Ok();
}

// CREATE TABLE of the change log of `t`.
Result<std::string> CreateLogTableSql(const sink::TableBinding& t);

// A query of the table's rows as they were at `as_of_ms` (every change when
// unset), with the source's columns `columns`: by `key` when there is one,
// else each distinct row repeated as often as it is there (the count is the
// column _rows_).
std::string RebuildSql(const std::string& table, const std::vector<std::string>& columns,
                       const std::vector<std::string>& key, std::optional<int64_t> as_of_ms = std::nullopt);

}  // namespace dbsync::maxcompute
