#pragma once
// A column's default as information_schema.COLUMNS.COLUMN_DEFAULT shows it,
// as a typed Value of that column: what MySQL wrote into the rows that were
// already there when the column was added (without writing row events).
// MariaDB quotes string and temporal defaults ('abc', '2020-01-01'), leaves
// numbers bare, writes BIT defaults as b'101', and shows expressions
// (CURRENT_TIMESTAMP, functions) as written; MySQL shows literals unquoted.

#include <optional>
#include <vector>
#include <string>

#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::mysql {

// The value of `column_default` for `col`. nullopt for NULL.
// kFailedPrecondition for an expression, whose value the source computed when the column was
// added and the catalog does not show; kInvalidArgument for text that does
// not fit the type.
Result<std::optional<Value>> ParseColumnDefault(const ColumnSchema& col, const std::string& column_default);

// The value MySQL gives the rows of a NOT NULL column added without a
// default (0, '', the first ENUM member); nullopt where there is none we can
// name (temporal and binary types: their zero values are left NULL).
std::optional<Value> ImplicitDefault(const ColumnSchema& col);

}  // namespace dbsync::mysql
