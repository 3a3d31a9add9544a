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

// Whether `column` (a source name) is part of the table's key.
bool IsKeyColumn(const TableBinding& table, const std::string& column);

// The refusal of a step that would alter a mode: existing table.
Status RefuseOnExistingTable(const SchemaChangeStep& step);

}  // namespace dbsync::sink
