#pragma once
// The task's alert outbox (TaskDir::AlertOutbox): the worker appends the
// events it raises, one JSON line each; the supervisor reads what is new and
// sends it (alerter.hpp). A file, so that an event outlives a worker killed
// right after raising it, and the worker's hot path never waits on delivery.
//
// One write(2) per line on an O_APPEND descriptor: lines from the worker and
// a restarted one never interleave. The reader keeps its offset and skips a
// torn last line until it is whole; the file is emptied when it passes
// kOutboxMaxBytes and everything in it was read.

#include <optional>
#include <string>
#include <vector>

#include "alert/alert_event.hpp"
#include "core/status.hpp"

namespace dbsync::alert {

inline constexpr size_t kOutboxMaxBytes = 1 << 20;

// Appends `event` (its `at` filled when empty); the file is made 0600.
Status Raise(const std::string& outbox, AlertEvent event);

class OutboxReader {
 public:
  // Starts at the end: events raised before the supervisor started are old.
  explicit OutboxReader(std::string path);
  // The whole lines appended since the last call.
  std::vector<AlertEvent> ReadNew();

 private:
  std::string path_;
  size_t offset_ = 0;
};

}  // namespace dbsync::alert
