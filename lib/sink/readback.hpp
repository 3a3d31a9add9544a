#pragma once
// Reading a destination table back, for `sync verify`.
//
// Source and destination render the same value differently (PostgreSQL
// trims a timestamp's trailing zeros, orders jsonb keys, prints floats its
// own way), so both sides are compared in one canonical text per column:
// Expected() gives it for a value the sink would write into a column, Read()
// for what the destination holds. Equal rows compare equal as strings.
//
// Contract: canonical texts never depend on the session's settings (time
// zone, date style); NULL is nullopt. Thread-compatible: one per thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::sink {

using CanonicalRow = std::vector<std::optional<std::string>>;

// Which rows of a destination table to read.
struct ReadbackRequest {
  std::string schema, table;
  // The columns to read, as the destination names and types them (the
  // shaped binding's columns); rows come back in this order.
  std::vector<ColumnSchema> columns;
  // The key columns' positions in `columns`.
  std::vector<size_t> key;
  enum class Select {
    kRange,      // lower < key <= upper by the key's order; an empty bound is open (numeric keys)
    kKeys,       // key in `keys` (canonical key texts)
    kKeysAfter,  // key columns only: up to `limit` keys greater than `after`, in key order (empty: from the start)
    kAll,        // every row (a table without a key), streamed
  };
  Select select = Select::kAll;
  std::vector<std::string> lower, upper;  // kRange: SQL numbers
  std::vector<CanonicalRow> keys;         // kKeys
  CanonicalRow after;                     // kKeysAfter
  size_t limit = 0;
  // Rows whose `hidden_column` holds `hidden_value` are left out (a logical
  // delete's marker: the row is gone at the source).
  std::string hidden_column, hidden_value;
};

class Readback {
 public:
  virtual ~Readback() = default;
  // The canonical text of `v` written into destination column `column`.
  virtual Result<std::optional<std::string>> Expected(const ColumnSchema& column, const Value& v) = 0;
  // Hands every selected row to `each`, canonical, in the request's column
  // order (kKeysAfter: the key columns only).
  virtual Status Read(const ReadbackRequest& request, const std::function<void(CanonicalRow&&)>& each) = 0;
};

}  // namespace dbsync::sink
