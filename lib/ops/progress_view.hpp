#pragma once
// A task's progress as `sync start --foreground` and `sync status --watch`
// show it, rendered from the task's state.json (as sync status reads it):
//  - on a terminal, a block redrawn in place: a bar per table with its rows,
//    rate and ETA while tables are copied, then the real-time line;
//  - elsewhere (cron, CI, a log), timestamped lines saying only what changed:
//    a step's state, a table's copy every 10 s and when it ends, the
//    real-time line every 30 s while changes are applied.

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace dbsync::ops {

class ProgressView {
 public:
  ProgressView(bool terminal, int width) : terminal_(terminal), width_(width) {}

  // What to print now for `state`; on a terminal it moves the cursor back
  // over the last block first. `now` is the Unix time.
  std::string Render(const nlohmann::json& state, int64_t now);

 private:
  std::string Block(const nlohmann::json& state);
  std::string Lines(const nlohmann::json& state, int64_t now);

  bool terminal_;
  int width_;
  int drawn_lines_ = 0;
  std::map<std::string, std::string> step_states_;
  std::map<std::string, std::pair<int64_t, std::string>> table_lines_;  // last printed: when, state
  int64_t realtime_printed_ = 0;
  uint64_t realtime_rows_ = 0;
};

// One table's bar: "[#####-----]" `cells` wide for `percent`.
std::string ProgressBar(double percent, int cells);

// Prints a task's progress to `out` every second from a thread of its own,
// until destroyed (then once more). It works under the fork gate
// (core/fork_gate.hpp): it runs beside a foreground supervisor.
class ProgressPrinter {
 public:
  ProgressPrinter(std::string home, std::string task_id, std::FILE* out, bool terminal, int width);
  ~ProgressPrinter();
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

 private:
  void PrintOnce();

  std::string home_, task_id_;
  std::FILE* out_;
  ProgressView view_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace dbsync::ops
