#pragma once
// Helpers the sinks of mode (b) destinations share (sink.hpp): a batch's
// changes as last images per key, and the checks of a schema change step.

#include <map>
#include <string>
#include <unordered_set>
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

// tables[].on_conflict for a destination whose upserts write whole rows
// unless told to write some columns (partial updates): splits a table's
// changes of a batch between partial writes and whole-row ones. A key the
// batch deleted goes whole from the delete on (nothing of the row before may
// stay), and stays so across the pieces of one batch (Sink::ApplyPartial).
class ConflictRouter {
 public:
  struct Routed {
    bool whole = false;   // written whole (op 1: deleted)
    int op = 0;
    bool insert = false;  // the key's only change is an insert (ignore asks whether it is there)
    const std::vector<Value>* row = nullptr;
  };
  std::vector<Routed> Route(const TableChanges& changes);
  // The batch is applied or abandoned.
  void Clear() { whole_keys_.clear(); }

 private:
  std::map<std::string, std::unordered_set<std::string>> whole_keys_;  // by source table
};

// Whether `column` (a source name) is part of the table's key.
bool IsKeyColumn(const TableBinding& table, const std::string& column);

// The refusal of a step that would alter a mode: existing table.
Status RefuseOnExistingTable(const SchemaChangeStep& step);

}  // namespace dbsync::sink
