// Tables added to a running task catch up exactly: CatchUp's bookkeeping, and
// a model of the worker (stream, flushes, copies, rewinds, restarts) crashed
// at random moments, checked for every change applied exactly once.

#include <doctest/doctest.h>

#include <optional>
#include <random>

#include "pipeline/catch_up.hpp"

using namespace dbsync;
using namespace dbsync::pipeline;

namespace dbsync {
bool operator==(const BinlogPosition& a, const BinlogPosition& b) {
  return a.file == b.file && a.offset == b.offset && a.gtid_set == b.gtid_set;
}
}  // namespace dbsync

namespace {

BinlogPosition P(uint64_t offset) { return BinlogPosition{"binlog.000001", offset, ""}; }

// A worker that just copied `snapshots` (no checkpoint yet).
CatchUp FirstStart(const std::map<std::string, BinlogPosition>& snapshots) {
  BinlogPosition start;
  return CatchUp::Resume(std::nullopt, snapshots, {}, {}, &start);
}

}  // namespace

TEST_CASE("CatchUp: a copied table behind the stream replays from its snapshot; the checkpoint holds until then") {
  CatchUp c = FirstStart({{"s.old", P(100)}});
  CHECK(c.Applied("s.old", P(100)));
  CHECK_FALSE(c.Applied("s.old", P(101)));
  CHECK_FALSE(c.Applied("s.new", P(1)));
  auto first = c.ForBatch(P(500));
  CHECK_FALSE(first.hold_checkpoint);
  CHECK(first.save.empty());

  c.Copying("s.new");
  BinlogPosition from = c.Copied({{"s.new", P(300)}}, P(900), {"s.old"});
  CHECK(from == P(300));
  CHECK(c.until() == P(900));
  CHECK(c.catching() == std::set<std::string>{"s.new"});
  CHECK(c.Applied("s.old", P(900)));
  CHECK_FALSE(c.Applied("s.old", P(901)));
  CHECK(c.Applied("s.new", P(300)));
  CHECK_FALSE(c.Applied("s.new", P(301)));

  auto replay = c.ForBatch(P(600));
  CHECK(replay.hold_checkpoint);
  CHECK(replay.save == std::map<std::string, BinlogPosition>{{"s.new", P(600)}});
  auto passed = c.ForBatch(P(950));
  CHECK_FALSE(passed.hold_checkpoint);
  CHECK(passed.save.empty());
  CHECK(passed.erase == std::vector<std::string>{"s.new"});
  CHECK(c.until().empty());
  CHECK(c.catching().empty());
}

TEST_CASE("CatchUp: a snapshot at or past the stream needs no replay, and its empty entry goes") {
  CatchUp c = FirstStart({{"s.old", P(100)}});
  c.Copying("s.new");
  CHECK(c.Copied({{"s.new", P(900)}}, P(900), {"s.old"}).empty());
  CHECK(c.until().empty());
  CHECK(c.Applied("s.new", P(900)));
  CHECK_FALSE(c.Applied("s.new", P(901)));
  auto next = c.ForBatch(P(950));
  CHECK_FALSE(next.hold_checkpoint);
  CHECK(next.erase == std::vector<std::string>{"s.new"});
}

TEST_CASE("CatchUp::Resume: entries below the checkpoint catch up, the rest is stale or done") {
  BinlogPosition start;
  auto c = CatchUp::Resume(P(1000),
                           {{"s.old", P(10)}, {"s.replaying", P(200)}, {"s.copied", P(300)}, {"s.ahead", P(1200)}},
                           {{"s.replaying", P(600)}, {"s.copied", BinlogPosition()}, {"s.gone", P(5)},
                            {"s.copying", BinlogPosition()}, {"s.ahead", BinlogPosition()}},
                           {"s.copying"}, &start);
  CHECK(start == P(300));
  CHECK(c.until() == P(1000));
  CHECK(c.catching() == std::set<std::string>{"s.copied", "s.replaying"});
  CHECK(c.Applied("s.old", P(1000)));
  CHECK_FALSE(c.Applied("s.old", P(1001)));
  CHECK(c.Applied("s.replaying", P(600)));
  CHECK_FALSE(c.Applied("s.replaying", P(601)));
  CHECK(c.Applied("s.ahead", P(1200)));
  CHECK_FALSE(c.Applied("s.copying", P(2000)));  // not applied at all: the stream ignores it
  auto erased = c.pending_erase();
  std::sort(erased.begin(), erased.end());
  CHECK(erased == std::vector<std::string>{"s.ahead", "s.gone"});

  BinlogPosition first;
  auto f = CatchUp::Resume(std::nullopt, {{"s.a", P(50)}, {"s.b", P(40)}}, {{"s.b", BinlogPosition()}}, {}, &first);
  CHECK(first == P(40));
  CHECK(f.until().empty());
  CHECK(f.pending_erase() == std::vector<std::string>{"s.b"});  // stale: from a worker that never checkpointed
}

TEST_CASE("CatchUp::Resume: an entry ahead of the checkpoint skips to it and stays until a batch passes it") {
  // A per-table-loads destination lost one table's load of the batch ending
  // at 1500 and went back to 1000; s.kept's load of it had committed.
  BinlogPosition start;
  auto c = CatchUp::Resume(P(1000), {{"s.kept", P(10)}, {"s.lost", P(10)}}, {{"s.kept", P(1500)}}, {}, &start);
  CHECK(start == P(1000));
  CHECK(c.until().empty());
  CHECK(c.Applied("s.kept", P(1500)));
  CHECK_FALSE(c.Applied("s.kept", P(1501)));
  CHECK_FALSE(c.Applied("s.lost", P(1001)));
  CHECK(c.pending_erase().empty());
  CHECK(c.ForBatch(P(1200)).erase.empty());  // a crash now must still skip s.kept
  auto past = c.ForBatch(P(1500));
  CHECK(past.erase == std::vector<std::string>{"s.kept"});
  CHECK_FALSE(past.hold_checkpoint);
}

namespace {

// The model. A binlog of single-row transactions on tables A (in the task from
// the start), B and C (added by `sync apply` while running). The destination
// keeps what a transaction commits; a crash loses everything else.
struct Txn {
  uint64_t pos;
  std::string table;
};

struct Destination {
  std::optional<BinlogPosition> checkpoint;
  std::map<std::string, BinlogPosition> entries;
  std::map<std::string, BinlogPosition> snapshots;  // tables whose copy committed
  std::map<uint64_t, int> applied;                   // transaction -> times applied

  void Commit(const std::vector<Txn>& batch, const BinlogPosition& position, const sink::TablePositions& t) {
    for (const auto& txn : batch) ++applied[txn.pos];
    if (!t.hold_checkpoint) checkpoint = position;
    for (const auto& e : t.erase) entries.erase(e);
    for (const auto& [k, v] : t.save) entries[k] = v;
  }
};

struct Copy {
  std::vector<std::string> tables;
  int committed_at = 0;  // step when its chunks commit (snapshot positions durable)
  int seen_at = 0;       // step when the stream notices it is done
};

struct World {
  std::vector<Txn> log;
  Destination dest;
  std::set<std::string> selected{"A"};
  std::map<int, std::string> applies;  // step -> table added then
  int step = 0;
  uint64_t head = 0;  // the furthest position any reader has seen: snapshots are at or past it
  std::mt19937 rng;

  BinlogPosition Snapshot() {
    uint64_t end = log.back().pos;
    return P(std::min<uint64_t>(end, head + rng() % 60));
  }

  // One worker until it crashes (true) or everything is applied (false).
  bool Worker() {
    std::set<std::string> bound = selected;
    std::map<std::string, BinlogPosition> snapshots;
    std::set<std::string> copying;
    CatchUp c;
    BinlogPosition start;
    if (!dest.checkpoint) {
      for (const auto& t : bound) {  // a first start copies everything first
        if (!dest.snapshots.count(t)) dest.snapshots[t] = Snapshot();
        snapshots[t] = dest.snapshots[t];
      }
      c = CatchUp::Resume(std::nullopt, snapshots, dest.entries, {}, &start);
    } else {
      for (const auto& t : bound) {
        if (dest.snapshots.count(t)) snapshots[t] = dest.snapshots[t];
        else copying.insert(t);
      }
      c = CatchUp::Resume(dest.checkpoint, snapshots, dest.entries, copying, &start);
    }
    std::set<std::string> streaming;
    for (const auto& [t, p] : snapshots) streaming.insert(t);
    std::optional<Copy> copy;
    auto start_copy = [&](std::vector<std::string> tables) {
      for (const auto& t : tables) {
        dest.entries[t] = BinlogPosition();
        c.Copying(t);
      }
      copy = Copy{tables, step + 1 + int(rng() % 40), 0};
      copy->seen_at = copy->committed_at + int(rng() % 5);
    };
    if (!copying.empty()) start_copy({copying.begin(), copying.end()});

    size_t next = 0;
    auto seek = [&](const BinlogPosition& from) {
      next = 0;
      while (next < log.size() && P(log[next].pos).Compare(from) <= 0) ++next;
    };
    seek(start);
    std::vector<Txn> batch;
    BinlogPosition batch_position = start;
    bool moved = false;
    auto flush = [&] {
      if (batch.empty() && !moved) return;
      dest.Commit(batch, batch_position, c.ForBatch(batch_position));
      batch.clear();
      moved = false;
    };
    while (true) {
      ++step;
      if (rng() % 45 == 0) return true;  // SIGKILL: the batch in hand is lost
      for (const auto& [when, table] : applies) {
        if (when > step || selected.count(table)) continue;
        selected.insert(table);  // sync apply, then SIGHUP
        flush();
        std::vector<std::string> to_copy{table};
        if (copy) to_copy.insert(to_copy.end(), copy->tables.begin(), copy->tables.end());
        start_copy(to_copy);
        bound.insert(table);
      }
      if (copy && step >= copy->committed_at)
        for (const auto& t : copy->tables)
          if (!dest.snapshots.count(t)) dest.snapshots[t] = Snapshot();
      if (copy && step >= copy->seen_at && step >= copy->committed_at) {
        flush();
        std::map<std::string, BinlogPosition> copied;
        for (const auto& t : copy->tables) copied[t] = dest.snapshots[t];
        BinlogPosition from = c.Copied(copied, batch_position, {streaming.begin(), streaming.end()});
        for (const auto& t : copy->tables) streaming.insert(t);
        copy.reset();
        if (!from.empty()) {
          seek(from);
          batch_position = from;
        }
        continue;
      }
      if (next < log.size()) {
        const Txn& txn = log[next++];
        head = std::max(head, txn.pos);
        BinlogPosition at = P(txn.pos);
        if (!c.until().empty() && at.Compare(c.until()) > 0 && batch_position.Compare(c.until()) < 0) {
          batch_position = c.until();
          moved = true;
        }
        if (streaming.count(txn.table) && !c.Applied(txn.table, at)) batch.push_back(txn);
        batch_position = at;
        moved = true;
        if (rng() % 3 == 0) flush();
      } else {
        flush();
        if (!copy && c.until().empty() && step > 400) return false;
      }
    }
  }
};

}  // namespace

TEST_CASE("CatchUp model: tables added while streaming, workers killed at random, every change applied exactly once") {
  for (unsigned seed = 1; seed <= 3000; ++seed) {
    World w;
    w.rng.seed(seed);
    const char* names[] = {"A", "B", "C"};
    for (uint64_t i = 1; i <= 240; ++i) w.log.push_back({i * 10, names[w.rng() % 3]});
    int add_b = 5 + int(w.rng() % 120);
    w.applies[add_b] = "B";
    w.applies[add_b + 1 + int(w.rng() % 80)] = "C";
    int workers = 0;
    while (w.Worker()) REQUIRE(++workers < 1000);
    REQUIRE_MESSAGE(w.dest.snapshots.size() == 3, "seed " << seed << ": " << w.dest.snapshots.size() << " tables copied");
    for (const auto& txn : w.log) {
      int expected = P(txn.pos).Compare(w.dest.snapshots.at(txn.table)) > 0 ? 1 : 0;
      int applied = w.dest.applied.count(txn.pos) ? w.dest.applied[txn.pos] : 0;
      if (applied != expected) {
        FAIL_CHECK("seed " << seed << ": " << txn.table << " at " << txn.pos << " applied " << applied
                           << " times, expected " << expected << " (snapshot "
                           << w.dest.snapshots.at(txn.table).offset << ", " << workers << " crashes)");
        break;
      }
    }
  }
}
