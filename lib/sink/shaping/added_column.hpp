#pragma once
// A column that the destination table has and the source table does not:
// a tables[].extra_fields entry, or the marker of a logical delete. Its value
// is a template of constants and variables (DataWorks' names), computed for
// every row the destination is given. sync-task(5) "Added fields" lists the
// variables and what each means during full initialization and real time.

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::sink {

// What the variables of one table stand for.
struct ShapeNames {
  std::string db_src, table_src, datasource_src;  // DB_NAME_SRC, TABLE_NAME_SRC, DATASOURCE_NAME_SRC
  std::string db_dest, table_dest;                // DB_NAME_DEST, TABLE_NAME_DEST
};

// What a row's variables take from the change that carries it.
struct RowContext {
  char op = 'I';                // OP_TYPE: I, U or D (a copied row is I)
  int64_t commit_time = 0;      // COMMIT_TIME, UTC epoch seconds (a copied row: when its chunk was read)
  int64_t sequence = 0;         // SEQUENCE_ID (0 for a copied row)
  Timestamp execute_time;       // EXECUTE_TIME: when sync wrote the row
  bool after_image = true;      // IS_AFTER_IMAGE / IS_BEFORE_IMAGE
};

// An added column's type, from the few names tables[].extra_fields takes
// (text, varchar(n), bigint, int, double, decimal(p,s), date, datetime[(fsp)],
// timestamp[(fsp)], boolean), as information_schema would describe it.
Result<ColumnSchema> AddedColumnType(const std::string& name, const std::string& type);

class AddedColumn {
 public:
  // Parses `value` against the source table: kInvalidArgument for an
  // unknown variable (with the nearest name), a column the table lacks, a
  // bad format, or a constant that is not of `type`.
  static Result<AddedColumn> Make(const std::string& name, const std::string& type, const std::string& value,
                                  const TableSchema& source, const ShapeNames& names);
  // A fixed value (the logical delete marker), typed as `column`.
  static AddedColumn Fixed(ColumnSchema column, Value value);

  const ColumnSchema& column() const { return column_; }
  // Whether the value depends on the change rather than only on the row
  // (EXECUTE_TIME, COMMIT_TIME, OP_TYPE, SEQUENCE_ID, image flags).
  bool depends_on_change() const { return depends_on_change_; }
  // Whether the value takes a column of the row.
  bool depends_on_row() const {
    for (const auto& p : parts_)
      if (p.kind == Part::Kind::kColumn) return true;
    return false;
  }
  // The value for `row` (source columns in source order); an error names
  // what could not be converted (the caller adds the row's key).
  Result<Value> Compute(const std::vector<Value>& row, const RowContext& context) const;

 private:
  struct Part {
    enum class Kind { kText, kVariable, kColumn } kind = Kind::kText;
    std::string text;    // kText; kVariable: its name
    int column = -1;     // kColumn
    std::string format;  // kColumn: strftime-like, empty for the plain value
  };
  Result<Value> PartValue(const Part& part, const std::vector<Value>& row, const RowContext& context) const;

  ColumnSchema column_;
  std::vector<Part> parts_;
  bool depends_on_change_ = false;
  ShapeNames names_;
  Value fixed_;
  bool is_fixed_ = false;
};

// The value as plain text ('2024-01-31 12:00:00', 42, abc); empty for NULL.
std::string PlainText(const Value& v);
// `v` (a date, datetime or timestamp in UTC) rendered with `format`:
// %Y %y %m %d %H %M %S %f %j %%.
Result<std::string> FormatTime(const Value& v, const std::string& format);
// `v` converted to `column`'s type, as sync-task(5) "Added fields" says.
Result<Value> ConvertTo(const Value& v, const ColumnSchema& column);

}  // namespace dbsync::sink
