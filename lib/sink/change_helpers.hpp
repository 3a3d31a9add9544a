#pragma once
// Helpers the sinks of mode (b) destinations share (sink.hpp): a batch's
// changes as last images per key, and the checks of a schema change step.

#include <string>
#include <utility>
#include <vector>

#include "sink/sink.hpp"

namespace dbsync::sink {

// The last image per key of a table's changes, in first-seen key order:
// (op, row) with op 0 upsert (the after image), 1 delete (the before image).
// An update that changes the key is a delete of the old key and an upsert of
// the new one. The rows point into `changes`.
std::vector<std::pair<int, const std::vector<Value>*>> LastImagePerKey(const TableChanges& changes);

// The same, with what the batch did to the key, for tables[].on_conflict:
// kInsert when its only change is an insert, kReinsert when the batch deleted
// the key and then wrote it again, kUpsert for other writes. `key` is the
// key's text (unique per key within the table).
struct FinalImage {
  enum Kind { kDelete, kUpsert, kInsert, kReinsert };
  Kind kind = kUpsert;
  const std::vector<Value>* row = nullptr;
  std::string key;
};
std::vector<FinalImage> FinalImagePerKey(const TableChanges& changes);

// Whether `column` (a source name) is part of the table's key.
bool IsKeyColumn(const TableBinding& table, const std::string& column);

// The refusal of a step that would alter a mode: existing table.
Status RefuseOnExistingTable(const SchemaChangeStep& step);

}  // namespace dbsync::sink
