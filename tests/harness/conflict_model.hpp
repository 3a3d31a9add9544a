#pragma once
// What a mode: existing destination table holds when the source's writes meet
// another writer's rows under tables[].on_conflict (man sync-task(5)): the
// oracle of the on_conflict tests of every destination. Rows are id -> (v,
// note): `v` is the column the task writes, `note` the other writer's own.

#include <map>
#include <string>
#include <vector>

namespace dbsync::testing {

struct ConflictModel {
  std::string policy;                 // replace, update or ignore
  std::string whole_note = "dflt";    // `note` after a write of the whole row
  std::string partial_note = "dflt";  // `note` of a new key written by update or ignore
  struct Row {
    std::string v, note;
  };
  std::map<int, Row> rows;

  std::string NewNote() const { return policy == "replace" ? whole_note : partial_note; }
  void Theirs(int id, const std::string& v) { rows[id] = {v, "mine"}; }
  // The source inserts a key: replace overwrites, update sets v, ignore keeps the row.
  void Insert(int id, const std::string& v) {
    auto it = rows.find(id);
    if (it == rows.end()) rows[id] = {v, NewNote()};
    else if (policy == "replace") it->second = {v, whole_note};
    else if (policy == "update") it->second.v = v;
  }
  // The source updates a key: update and ignore set v only.
  void Update(int id, const std::string& v) {
    auto it = rows.find(id);
    if (it == rows.end()) rows[id] = {v, NewNote()};
    else if (policy == "replace") it->second = {v, whole_note};
    else it->second.v = v;
  }
  // Deleted and written again in one batch: the delete took the other writer's row.
  void Reinsert(int id, const std::string& v) { rows[id] = {v, whole_note}; }
  void Delete(int id) { rows.erase(id); }
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const auto& [id, row] : rows) out.push_back(std::to_string(id) + "|" + row.v + "|" + row.note);
    return out;
  }
};

}  // namespace dbsync::testing
