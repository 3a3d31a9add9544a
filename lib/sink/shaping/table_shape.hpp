#pragma once
// How one source table's rows become the rows its destination table is
// given: the tables[].dml policies (normal, ignore, filter, logical_delete)
// and the columns added to it (tables[].extra_fields, then a logical
// delete's marker and time columns, appended after the source's columns),
// the types tables[].column_types and type_overrides give source columns at
// the destination (values converted as added fields' are), and the source
// columns the destination gets (tables[].exclude_columns) and their names
// there (tables[].column_names), with what ignored DDL left the destination
// as (TableBinding::drift: columns it lacks, names and types it kept).
// Conditions and templates name source columns.
//
// The policies, as sync-task(5) "DML policies" documents them:
//  - insert: filter keeps the rows whose after image matches; full
//    initialization copies only such rows too (a copied row is an insert).
//  - update: filter looks at both images. The new row matches: the update is
//    applied (an upsert, so a row that starts to match appears). Only the old
//    row matched: the row leaves the destination, as a delete (which a
//    logical_delete policy marks instead). Neither: nothing happens.
//  - delete: filter deletes only rows whose before image matches; a row that
//    the insert and update filters both keep out is not there to delete;
//    logical_delete turns the delete into an update of the row that sets the
//    marker to `value` (and the time column to the commit time); inserted,
//    updated and copied rows carry `live_value` (and NULL).
// Counts of applied, ignored and filtered changes go to DmlCounts.
//
// tables[].partition names the destination's partition column: a source
// column, or one added (text) whose value is a template of the row's columns
// and constants. It joins the destination's key, so an update that changes it
// reaches the destination as a key change (the row leaves one partition and
// enters another); a row whose partition value is NULL stops the batch.
//
// Immutable once made; thread-safe.

#include <memory>
#include <optional>
#include <vector>

#include "config/task_spec.hpp"
#include "expr/row_condition.hpp"
#include "sink/shaping/added_column.hpp"
#include "sink/sink.hpp"

namespace dbsync::sink {

struct DmlCounts {
  uint64_t applied = 0;        // row changes handed to the destination
  uint64_t ignored = 0;        // dropped by an ignore policy
  uint64_t filtered = 0;       // dropped by a filter
  uint64_t copy_filtered = 0;  // rows full initialization left out (insert filter)
  bool empty() const { return !applied && !ignored && !filtered && !copy_filtered; }
};

// Whether `settings` change a table's rows on their way (dml, extra_fields,
// column_types, type_overrides, partition).
bool ShapesRows(const config::TableSpec& settings);

class TableShape {
 public:
  // kInvalidArgument naming the table and the setting: a condition or an
  // added field that names a column the table lacks, an added column whose
  // name the table already has, a value that depends on the change for a
  // table without a key (its rows could not be matched again).
  // `names_checked`: column_types, column_names and exclude_columns must
  // name columns of the table (sync check). The worker passes false: a
  // source DDL may drop a column they name, which then simply has no effect.
  static Result<std::shared_ptr<const TableShape>> Make(const TableBinding& outer, const ShapeNames& names,
                                                        bool names_checked = true);

  // Nothing to change: the outer binding and its rows go through as they are.
  bool passthrough() const { return passthrough_; }
  // The binding the destination sees: the source schema with the added columns.
  const TableBinding& inner() const { return inner_; }

  // The key columns that are added fields with one value for every row
  // (constants, names of the source), as "name=value": what tells this
  // table's rows from those of other tables merged into the same one.
  std::vector<std::string> ConstantKeyValues() const;
  // A column of the source table as the destination has it: of the type
  // tables[].column_types or type_overrides gives it, if either does, and
  // named as tables[].column_names says.
  Result<ColumnSchema> DestinationColumn(const ColumnSchema& source_column) const;
  std::string DestinationName(const std::string& source_column) const;
  // Whether tables[].exclude_columns (or an ignored add_column) keeps the
  // source column from the destination.
  bool Excludes(const std::string& source_column) const;
  // `value` of `source_column` as the destination takes it.
  Result<Value> DestinationValue(const ColumnSchema& source_column, const Value& value) const;

  // A row read by full initialization: false when the insert filter leaves
  // it out; else *out is the destination's row.
  Result<bool> ShapeCopiedRow(const std::vector<Value>& row, const RowContext& context,
                              std::vector<Value>* out) const;
  // A batch's changes to the table, in source order, as the destination is
  // to apply them; `now` is EXECUTE_TIME.
  Status ShapeChanges(const std::vector<RowChange>& in, const Timestamp& now, std::vector<RowChange>* out,
                      DmlCounts* counts) const;

 private:
  struct Policy {
    config::DmlAction action = config::DmlAction::kNormal;
    std::optional<expr::RowCondition> condition;
  };
  enum class Outcome { kApply, kIgnore, kFilter };

  // `row` with the added columns' values; `deleted` marks a logical delete.
  Result<std::vector<Value>> Image(const std::vector<Value>& row, const RowContext& context, bool deleted) const;
  // The source columns the destination gets, as it gets them (inner_.source's first columns).
  Status Project(const TableBinding& outer, bool names_checked);
  Status Emit(const RowChange& change, RowChange::Op op, const Timestamp& now, std::vector<RowChange>* out) const;
  std::string KeyOf(const std::vector<Value>& row) const;
  // Whether the destination can hold `row`: false when the insert and update
  // policies kept it out, so a delete of it has nothing to delete (or mark).
  bool MayBeAtDestination(const std::vector<Value>& row) const;

  bool passthrough_ = true;
  TableBinding inner_;
  const config::TableSpec* settings_ = nullptr;  // never null once made
  DestinationDrift drift_;                       // of the outer binding
  std::vector<size_t> kept_;     // source column of each of inner_.source's first columns
  std::vector<bool> retyped_;    // of kept_: of another type at the destination
  std::vector<std::pair<std::string, size_t>> source_key_;  // key columns of a source row, to name it
  std::vector<AddedColumn> added_;
  bool logical_delete_ = false;
  Value live_, deleted_;
  bool time_column_ = false;
  Policy insert_, update_, delete_;
  int partition_ = -1;  // tables[].partition's column in inner_.source, never NULL in a row
};

}  // namespace dbsync::sink
