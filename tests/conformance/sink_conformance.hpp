#pragma once
// The sink conformance suite: the Sink contract (sink/sink.hpp) as test cases
// every destination runs, after restic's backend test suite. Each destination
// has one <name>_conformance_test.cpp that defines Target(); the cases in
// sink_conformance.cpp are compiled into each such binary.
//
// What the cases ask of a destination is said in terms of the contract only:
// rows are compared through the target's own rendering (`rows` of what the
// destination holds against `render` of what it should hold), so no case
// knows SQL or the destination's types.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sink/registry.hpp"
#include "sink/sink.hpp"

namespace dbsync::conformance {

struct Target {
  std::string name;
  sink::Traits traits;
  // Rows are appended as change records (MaxCompute write_mode: log), which
  // meet no row: a keyed policy (tables[].on_conflict) is refused.
  bool change_log = false;
  // A sink for `task` on the destination, connected afresh: opening a second
  // one after dropping the first is a worker killed and restarted.
  std::function<std::unique_ptr<sink::Sink>(const std::string& task)> open;
  // The rows of `b`'s destination table, each rendered with the columns in
  // `b.source` order, sorted. Empty when the table has no rows.
  std::function<std::vector<std::string>(const sink::TableBinding& b)> rows;
  // The same rendering of rows given as values in `b.source` order, sorted.
  std::function<std::vector<std::string>(const sink::TableBinding& b, const std::vector<std::vector<Value>>& rows)>
      render;
  // The destination table's column names in its order; empty when it does not exist.
  std::function<std::vector<std::string>(const std::string& schema, const std::string& table)> columns;
  // Creates `b`'s destination table by hand, as a user does for mode: existing:
  // the columns id int (the key) and v (text) of the cases' tables, made to
  // take what b.settings asks (partial updates, for on_conflict).
  std::function<void(const sink::TableBinding& b)> create_by_hand;
  // Another writer's rows (id, v) in a table create_by_hand made.
  std::function<void(const sink::TableBinding& b, const std::vector<std::pair<int, std::string>>& rows)> insert_by_hand;
  // Replaces values of `row` (columns as given) that the destination cannot
  // hold by the nearest it can, where its types are narrower than MySQL's
  // (the sink refuses the original with a message; the target's own tests
  // show that). Unset: every value round-trips.
  std::function<void(std::vector<Value>& row, const std::vector<ColumnSchema>& columns)> within_range;
  // Makes the next ApplyBatch of `sink` fail before it commits anything: the
  // destination goes away.
  std::function<void(sink::Sink& sink)> break_next_batch;
  // kPerTableLoads destinations: makes the commit of the batch's second table
  // load fail, the first one having committed (a crash between two commits).
  std::function<void()> fail_second_load;
};

// Defined by each destination's test file.
const Target& TheTarget();

// "(1, 'a'), (2, 'b')": insert_by_hand's rows as a SQL VALUES list.
inline std::string SqlValues(const std::vector<std::pair<int, std::string>>& rows) {
  std::string values;
  for (const auto& [id, v] : rows) values += (values.empty() ? "" : ", ") + ("(" + std::to_string(id) + ", '" + v + "')");
  return values;
}

}  // namespace dbsync::conformance
