#include "pipeline/catch_up.hpp"

#include <algorithm>

namespace dbsync::pipeline {

BinlogPosition Later(const BinlogPosition& a, const BinlogPosition& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a.Compare(b) >= 0 ? a : b;
}

BinlogPosition Earlier(const BinlogPosition& a, const BinlogPosition& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a.Compare(b) <= 0 ? a : b;
}

CatchUp CatchUp::Resume(const std::optional<BinlogPosition>& checkpoint,
                        const std::map<std::string, BinlogPosition>& snapshots,
                        const std::map<std::string, BinlogPosition>& entries, const std::set<std::string>& copying,
                        BinlogPosition* start) {
  CatchUp c;
  *start = BinlogPosition();
  if (!checkpoint) {
    c.skip_ = snapshots;
    for (const auto& [table, snapshot] : snapshots) *start = Earlier(*start, snapshot);
    for (const auto& [table, position] : entries) c.erase_.push_back(table);
    return c;
  }
  for (const auto& [table, snapshot] : snapshots) {
    auto entry = entries.find(table);
    if (entry == entries.end()) {
      c.skip_[table] = Later(*checkpoint, snapshot);
      continue;
    }
    BinlogPosition applied = Later(entry->second, snapshot);
    c.skip_[table] = applied;
    if (applied.Compare(*checkpoint) < 0) c.catching_.insert(table);
    else if (entry->second.Compare(*checkpoint) > 0) c.ahead_[table] = applied;  // kept until a batch reaches it
    else c.erase_.push_back(table);  // caught up (the checkpoint says as much)
  }
  for (const auto& [table, position] : entries)
    if (!snapshots.count(table) && !copying.count(table)) c.erase_.push_back(table);  // no longer in the task
  *start = *checkpoint;
  for (const auto& table : c.catching_) *start = Earlier(*start, c.skip_[table]);
  if (!c.catching_.empty()) c.until_ = *checkpoint;
  return c;
}

bool CatchUp::Applied(const std::string& table, const BinlogPosition& position) const {
  auto it = skip_.find(table);
  return it != skip_.end() && !it->second.empty() && position.Compare(it->second) <= 0;
}

sink::TablePositions CatchUp::ForBatch(const BinlogPosition& position) {
  sink::TablePositions out;
  out.erase.swap(erase_);
  for (auto it = ahead_.begin(); it != ahead_.end();) {
    if (position.Compare(it->second) < 0) {
      ++it;
      continue;
    }
    out.erase.push_back(it->first);  // the checkpoint passes it now
    it = ahead_.erase(it);
  }
  if (until_.empty()) return out;
  if (position.Compare(until_) >= 0) {  // every table is applied through `position`: the checkpoint says it all
    out.erase.insert(out.erase.end(), catching_.begin(), catching_.end());
    catching_.clear();
    until_ = BinlogPosition();
    return out;
  }
  out.hold_checkpoint = true;
  for (const auto& table : catching_) out.save[table] = Later(position, skip_[table]);
  return out;
}

BinlogPosition CatchUp::Copied(const std::map<std::string, BinlogPosition>& snapshots, const BinlogPosition& flushed,
                               const std::vector<std::string>& others) {
  // What a restart would take as everyone's position: the held checkpoint, or `flushed`.
  const BinlogPosition checkpoint = until_.empty() ? flushed : until_;
  BinlogPosition start;
  for (const auto& [table, snapshot] : snapshots) {
    skip_[table] = snapshot;
    if (snapshot.Compare(checkpoint) < 0) {
      catching_.insert(table);
      if (snapshot.Compare(flushed) < 0) start = Earlier(start, snapshot);
    } else {
      erase_.push_back(table);  // the checkpoint never passes it while it is behind
    }
  }
  if (!catching_.empty() && until_.empty()) until_ = checkpoint;
  for (const auto& table : others) skip_[table] = Later(skip_[table], flushed);
  return start;
}

Status CatchUp::ForgetPositions() {
  if (!catching_.empty())
    return Status::FailedPrecondition("the source's binlog changed servers (resumed by GTID) while tables were "
                                      "catching up after their copy; their positions do not carry over: sync start "
                                      "--rerun-table them");
  skip_.clear();
  ahead_.clear();
  until_ = BinlogPosition();
  return Status::Ok();
}

void CatchUp::Remove(const std::string& table) {
  skip_.erase(table);
  catching_.erase(table);
  ahead_.erase(table);
  erase_.push_back(table);
}

void CatchUp::Copying(const std::string& table) {
  skip_.erase(table);
  catching_.erase(table);
  ahead_.erase(table);
  erase_.erase(std::remove(erase_.begin(), erase_.end(), table), erase_.end());
}

}  // namespace dbsync::pipeline
