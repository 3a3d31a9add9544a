#include "ops/progress_view.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "core/atomic_file.hpp"
#include "core/fork_gate.hpp"
#include "core/text_util.hpp"
#include "state/task_dir.hpp"

namespace dbsync::ops {

namespace {

using nlohmann::json;

// "205000/400000 rows, 48000 rows/s, ETA 4 s" (the parts the table has).
std::string CopyDetail(const json& t) {
  std::string out = std::to_string(t.value("rows", uint64_t{0}));
  if (t.value("estimated_rows", uint64_t{0}) > 0 && t.value("state", "") != "done")
    out += "/~" + std::to_string(t.value("estimated_rows", uint64_t{0}));
  out += " rows";
  if (t.contains("rows_per_second")) out += ", " + std::to_string(t.value("rows_per_second", int64_t{0})) + " rows/s";
  if (t.contains("eta_seconds")) out += ", ETA " + HumanDuration(t.value("eta_seconds", int64_t{0}));
  return out;
}

std::string RealtimeLine(const json& step) {
  const int64_t lag = step.value("lag_seconds", int64_t{-1});
  return fmt::format("real-time sync {}: lag {}, {} events/s, {} rows applied, position {}", step.value("state", ""),
                     lag < 0 ? std::string("unknown") : std::to_string(lag) + " s", step.value("events_per_second", 0.0),
                     step.value("rows_applied", uint64_t{0}), step.value("position", std::string("-")));
}

bool Copying(const json& state) {
  if (!state.contains("tables")) return false;
  for (const auto& [name, t] : state["tables"].items())
    if (t.value("state", "") == "copying" || t.value("state", "") == "pending") return true;
  return false;
}

}  // namespace

std::string ProgressBar(double percent, int cells) {
  const int full = std::clamp(int(percent / 100.0 * cells + 0.5), 0, cells);
  return "[" + std::string(size_t(full), '#') + std::string(size_t(cells - full), '-') + "]";
}

std::string ProgressView::Render(const json& state, int64_t now) {
  return terminal_ ? Block(state) : Lines(state, now);
}

std::string ProgressView::Block(const json& state) {
  std::vector<std::string> lines;
  const json steps = state.value("steps", json::object());
  if (state.contains("tables") && (Copying(state) || !steps.contains("realtime_sync"))) {
    size_t name_width = 0;
    for (const auto& [name, t] : state["tables"].items()) name_width = std::max(name_width, name.size());
    name_width = std::min<size_t>(name_width, 40);
    for (const auto& [name, t] : state["tables"].items()) {
      const double percent = t.value("percent", 0.0);
      lines.push_back(fmt::format("{:<{}} {} {:5.1f}%  {}", name.substr(0, name_width), name_width, ProgressBar(percent, 20),
                                  percent, CopyDetail(t)));
    }
  }
  if (steps.contains("realtime_sync")) lines.push_back(RealtimeLine(steps["realtime_sync"]));
  std::string out;
  // Back over the last block, then each line cleared as it is written.
  if (drawn_lines_ > 0) out += "\033[" + std::to_string(drawn_lines_) + "F";
  for (const auto& line : lines) out += "\033[2K" + line.substr(0, size_t(std::max(width_ - 1, 20))) + "\n";
  out += "\033[J";
  drawn_lines_ = int(lines.size());
  return out;
}

std::string ProgressView::Lines(const json& state, int64_t now) {
  std::string out;
  const std::string stamp = FormatUtcTime(now);
  const json steps = state.value("steps", json::object());
  for (const auto& [name, step] : steps.items()) {
    const std::string s = step.value("state", "");
    if (step_states_[name] == s) continue;
    step_states_[name] = s;
    out += stamp + " " + name + " " + s +
           (step.contains("finished_at") ? " (took " + HumanDuration(step.value("duration_seconds", int64_t{0})) + ")" : "") + "\n";
  }
  if (state.contains("tables")) {
    for (const auto& [name, t] : state["tables"].items()) {
      const std::string s = t.value("state", "");
      auto& [printed_at, printed_state] = table_lines_[name];
      const bool changed = s != printed_state;
      if (!changed && (s != "copying" || now - printed_at < 10)) continue;
      if (s == "pending" && printed_state.empty()) {
        printed_state = s;
        continue;
      }
      printed_at = now;
      printed_state = s;
      out += fmt::format("{} {} {} {} ({}%)\n", stamp, name, s, CopyDetail(t), t.value("percent", 0.0));
    }
  }
  if (steps.contains("realtime_sync")) {
    const json& rt = steps["realtime_sync"];
    const uint64_t rows = rt.value("rows_applied", uint64_t{0});
    if (rt.contains("lag_seconds") && rows != realtime_rows_ && now - realtime_printed_ >= 30) {
      realtime_printed_ = now;
      realtime_rows_ = rows;
      out += stamp + " " + RealtimeLine(rt) + "\n";
    }
  }
  return out;
}

ProgressPrinter::ProgressPrinter(std::string home, std::string task_id, std::FILE* out, bool terminal, int width)
    : home_(std::move(home)), task_id_(std::move(task_id)), out_(out), view_(terminal, width) {
  thread_ = StartedThread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      lock.unlock();
      PrintOnce();
      lock.lock();
    }
  });
}

ProgressPrinter::~ProgressPrinter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
  PrintOnce();
}

void ProgressPrinter::PrintOnce() {
  std::lock_guard<std::mutex> gate(ForkGate());
  auto text = ReadFile(state::TaskDir{home_, task_id_}.StateFile());
  if (!text.ok()) return;
  json state = json::parse(*text, nullptr, false);
  if (state.is_discarded()) return;
  const std::string out = view_.Render(state, std::time(nullptr));
  if (out.empty()) return;
  std::fputs(out.c_str(), out_);
  std::fflush(out_);
}

}  // namespace dbsync::ops
