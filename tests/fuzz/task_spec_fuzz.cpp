// Fuzz target for the task-spec loader: the input is the text of a task.yaml.
// ParseTaskSpec parses it with yaml-cpp and validates every key (an unknown
// key names the nearest valid one); a spec it accepts is then asked what the
// worker asks of it: which tables are selected, which tables[] entry applies,
// whether it is copied, and whether it changes only tables against itself.
// Malformed input must only ever produce a Status: any crash (an exception
// escaping included), hang or sanitizer report is a bug.
//
// Built with libFuzzer under clang, and with fuzz_replay_main.cpp (seeds plus
// time-bounded random mutations) under any compiler, for ctest.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/task_spec.hpp"
#include "config/task_spec_yaml.hpp"

using namespace dbsync::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A task file is a few KiB; larger inputs only slow the search down.
  if (size > 65536) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = ParseTaskSpec(text, "task.yaml");
  if (!spec.ok()) return 0;
  static const std::pair<std::string, std::string> kNames[] = {
      {"shop", "orders"}, {"shop", "_orders_new"}, {"db", "t1"}, {"", ""}, {"a.b", "c*"}};
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& [db, table] : kNames) {
    (void)IsTableSelected(spec->source, db, table);
    (void)IsCopiedTable(*spec, FindTableSpec(*spec, db, table));
    kept.emplace_back(db, table);
  }
  (void)ChangesOnlyTables(*spec, *spec, kept);
  return 0;
}
