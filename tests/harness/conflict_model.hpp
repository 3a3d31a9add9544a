#pragma once
// What a mode: existing destination table holds when the source's writes meet
// another writer's rows under tables[].on_conflict (man sync-task(5)): the
// oracle of the on_conflict tests of every destination. Rows are id -> (v,
// note): `v` is the column the task writes, `note` the other writer's own.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "harness/servers.hpp"
#include "harness/workload.hpp"

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

  // The source's real-time side of an on_conflict test on `table` (id, v),
  // run in order, each element one statement; their effect is applied to the
  // model. `both` + 0..899 are keys of the source and of the other writer,
  // `theirs` a key of the other writer only, 100 and 9000 the source's only
  // (9000 is also the other writer's: an insert that meets its row).
  std::vector<std::string> Workload(const std::string& table, int both, int theirs) {
    auto key = [&](int offset) { return std::to_string(both + offset); };
    const std::string t = std::to_string(theirs);
    std::vector<std::string> sql = {
        "INSERT INTO " + table + " VALUES (9000, 's9000')",
        "UPDATE " + table + " SET v = 'u" + key(500) + "' WHERE id = " + key(500),
        "UPDATE " + table + " SET v = 'u100' WHERE id = 100",
        "DELETE FROM " + table + " WHERE id = " + key(600),
        // deleted and inserted again in one transaction: the other writer's row went with the delete
        "BEGIN", "DELETE FROM " + table + " WHERE id = " + key(700),
        "INSERT INTO " + table + " VALUES (" + key(700) + ", 'r" + key(700) + "')", "COMMIT",
        // a key change: the old key goes, the new one holds the source's row
        "UPDATE " + table + " SET id = 9800 WHERE id = " + key(800),
        // an insert and an update of a key only the other writer has, in one transaction
        "BEGIN", "INSERT INTO " + table + " VALUES (" + t + ", 'i" + t + "')",
        "UPDATE " + table + " SET v = 'u" + t + "' WHERE id = " + t, "COMMIT"};
    Insert(9000, "s9000");
    Update(both + 500, "u" + key(500));
    Update(100, "u100");
    Delete(both + 600);
    Reinsert(both + 700, "r" + key(700));
    Delete(both + 800);
    Update(9800, "s" + key(800));
    Insert(theirs, "i" + t);
    Update(theirs, "u" + t);
    return sql;
  }
};

// The rest of an on_conflict test once task `id` is started: its worker
// SIGKILLed while the copy merges (no chunk may be half there or twice), each
// model's Workload run on `<prefix><policy>` (prefixed "shop."), then the
// destination's rows of each table (`dest`, by table name) waited for until
// they are the model's. Models are keyed by policy.
void KillRunAndConverge(const SyncCli& cli, MariaDbServer& mysql, const std::string& id, const std::string& prefix,
                        std::map<std::string, ConflictModel>& models, int both, int theirs, const RowsOf& dest,
                        std::chrono::seconds limit);

}  // namespace dbsync::testing
