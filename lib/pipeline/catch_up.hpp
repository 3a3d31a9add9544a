#pragma once
// Tables added to a running task (`sync apply`) catch up without pausing the
// others, and every table resumes exactly after a crash. Pure bookkeeping:
// realtime_sync.cpp reads the binlog and calls it; the worker plans a restart
// with PlanResume.
//
// Every table has an applied-through position A_t: the destination holds
// exactly its changes committed at or before A_t, so the stream skips those
// and applies the rest (keyless tables are not idempotent: replays must be
// exact). With P_t its snapshot position (the oldest of its completed chunks):
//  - a table being copied has none: the stream ignores its changes;
//  - a table catching up has an entry in table_positions (Sink::
//    LoadTablePositions): A_t = max(entry, P_t), an empty entry (written
//    before its copy began) meaning P_t;
//  - every other table: A_t = max(checkpoint, P_t);
//  - a table whose entry is ahead of the checkpoint (a destination of
//    per-table loads committed its load of a batch, and lost another
//    table's: the checkpoint went back, this table did not) skips to its
//    entry, which stays until a batch reaches it.
//
// The sequence for added tables:
//  1. they get an empty entry, then their copy runs on its own thread while
//     the stream goes on applying the others; the checkpoint moves as usual;
//  2. when the copy is done, everything read so far is flushed (at C); tables
//     with P_t < C catch up: the binlog is read again from min(P_t); they
//     apply what follows their P_t, the others skip up to C;
//  3. meanwhile the checkpoint stays at C (`until`) and every batch records
//     the catching-up tables' positions with its rows; the first batch at or
//     past C moves the checkpoint again and erases their entries.
// A restart at any moment reads from min(checkpoint, A_t of the tables
// catching up) and skips per table up to A_t: nothing is lost or applied twice.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "sink/sink.hpp"

namespace dbsync::pipeline {

// The later (earlier) of two positions; an empty one counts as absent.
BinlogPosition Later(const BinlogPosition& a, const BinlogPosition& b);
BinlogPosition Earlier(const BinlogPosition& a, const BinlogPosition& b);

class CatchUp {
 public:
  // A worker's starting point from the destination's records: the checkpoint,
  // the snapshot positions of the copied tables, the entries of
  // table_positions and the tables still being copied (which have, or are
  // given, empty entries). *start is where to read the binlog from. Without a
  // checkpoint (real-time sync never ran; every table was just copied) it is
  // the oldest snapshot position, and every entry is stale.
  static CatchUp Resume(const std::optional<BinlogPosition>& checkpoint,
                        const std::map<std::string, BinlogPosition>& snapshots,
                        const std::map<std::string, BinlogPosition>& entries, const std::set<std::string>& copying,
                        BinlogPosition* start);
  CatchUp() = default;

  // Whether a change to `table` committed at `position` is already applied.
  bool Applied(const std::string& table, const BinlogPosition& position) const;
  // The bookkeeping of a batch that ends at `position`; moves the state on
  // (the catch-up ends with the first batch at or past `until`).
  sink::TablePositions ForBatch(const BinlogPosition& position);
  // The copy of these tables (name -> P_t) is done and everything read so far
  // is durable up to `flushed`. `others` are the other tables being applied.
  // Returns where to read the binlog again from, or an empty position when
  // no table is behind the stream. Empty entries of tables that need none are
  // erased with the next batch.
  BinlogPosition Copied(const std::map<std::string, BinlogPosition>& snapshots, const BinlogPosition& flushed,
                        const std::vector<std::string>& others);
  // `table` left the task: forgotten, its entry erased with the next batch.
  void Remove(const std::string& table);
  // The source's binlog is another server's now (resumed by GTID): the
  // positions held do not compare with its positions. Nothing is held back
  // any more: the stream starts right after the checkpoint. Refused while
  // tables catch up (their positions are behind the checkpoint).
  Status ForgetPositions();
  // `table` gets an empty entry of its own now (its copy begins): none of
  // its entry is to be erased any more.
  void Copying(const std::string& table);

  const BinlogPosition& until() const { return until_; }
  const std::set<std::string>& catching() const { return catching_; }
  const std::vector<std::string>& pending_erase() const { return erase_; }

 private:
  std::map<std::string, BinlogPosition> skip_;  // A_t per table
  std::set<std::string> catching_;              // tables behind until_, with entries
  BinlogPosition until_;                        // the held checkpoint; empty: not held
  std::vector<std::string> erase_;              // entries to erase with the next batch
  std::map<std::string, BinlogPosition> ahead_;  // entries ahead of the checkpoint, erased once it passes them
};

}  // namespace dbsync::pipeline
