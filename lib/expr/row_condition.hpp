#pragma once
// A row condition: the small SQL expression of a tables[].dml filter, such as
//   status <> 'archived' AND amount BETWEEN 10 AND 100 OR note LIKE 'vip%'
// parsed once when the spec is read and evaluated for every row change by
// the worker. The language (sync-task(5), "Filter conditions"):
//   OR, AND, NOT (also ||, &&, !); = <=> != <> < <= > >=;
//   IS [NOT] NULL, IS [NOT] TRUE|FALSE, [NOT] IN (...), [NOT] BETWEEN .. AND ..,
//   [NOT] LIKE pattern [ESCAPE 'c']; + - * / % and unary minus;
//   LOWER(x), UPPER(x), LENGTH(x), COALESCE(x, ...);
//   numbers, 'strings' (or "strings"), TRUE, FALSE, NULL,
//   DATE '2024-01-31', TIMESTAMP|DATETIME '2024-01-31 12:00:00';
//   column names, bare or in `backquotes`.
//
// Evaluation follows SQL's three-valued logic: a comparison with NULL is
// unknown, NOT unknown is unknown, and only a condition that is true keeps
// a row. Values compare as MySQL compares them, except that strings compare
// byte by byte (case matters: use LOWER() for a case-insensitive test).
// A string compared with a date or time column is read as a date or time
// (a literal that is not one fails Bind); with a number, as a number. A
// TIMESTAMP column compares in UTC. Division by zero is NULL, as in MySQL.
//
// Thread-safe once bound: Evaluate does not modify the condition.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::expr {

struct Node;

class RowCondition {
 public:
  RowCondition();
  ~RowCondition();
  RowCondition(const RowCondition&);
  RowCondition& operator=(const RowCondition&);
  RowCondition(RowCondition&&) noexcept;
  RowCondition& operator=(RowCondition&&) noexcept;

  // Parses `text`. On failure, kInvalidArgument; *error_offset (if given) is
  // the 0-based offset in `text` of the token that could not be read.
  static Result<RowCondition> Parse(std::string_view text, size_t* error_offset = nullptr);

  // The same condition with its column names resolved against `schema`:
  // kInvalidArgument names a column the table lacks (and the nearest one
  // it has), or a literal that cannot be the date it is compared with.
  Result<RowCondition> Bind(const TableSchema& schema) const;

  // Column names it refers to, in order of appearance (duplicates removed).
  std::vector<std::string> Columns() const;

  // Whether the condition is true for `row` (columns in the bound schema's
  // order); false when it is false or unknown. Requires Bind.
  bool Matches(const std::vector<Value>& row) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
  bool bound_ = false;
};

}  // namespace dbsync::expr
