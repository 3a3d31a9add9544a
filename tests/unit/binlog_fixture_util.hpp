#pragma once
// Helpers for tests over the real binlog files in shared/fixtures/binlog/
// (see EXPECTED.md there for what each file must decode to).

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "source/mysql/binlog/binlog_dump.hpp"
#include "source/mysql/binlog/binlog_file_reader.hpp"

namespace binlog_test {

using namespace dbsync;
using namespace dbsync::binlog;

inline std::string Fixture(const std::string& name) { return std::string(SYNC_SHARED_DIR) + "/fixtures/binlog/" + name; }

inline std::vector<BinlogEvent> Load(const std::string& name) {
  auto r = DecodeBinlogFile(Fixture(name));
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r).value();
}

// Top-level events and the events inside TRANSACTION_PAYLOADs, in order.
inline std::vector<const BinlogEvent*> Flatten(const std::vector<BinlogEvent>& events) {
  std::vector<const BinlogEvent*> out;
  for (const auto& e : events) {
    out.push_back(&e);
    if (const auto* p = e.get_if<TransactionPayloadEvent>())
      for (const auto& inner : p->events) out.push_back(&inner);
  }
  return out;
}

inline std::vector<const RowsEvent*> Rows(const std::vector<BinlogEvent>& events) {
  std::vector<const RowsEvent*> out;
  for (const auto* e : Flatten(events))
    if (const auto* r = e->get_if<RowsEvent>()) out.push_back(r);
  return out;
}

// The "###" lines `sync binlog dump` prints for a file, backticks removed
// when `strip_backticks` (MySQL 5.x result files print bare names).
inline std::vector<std::string> HashLines(const std::vector<BinlogEvent>& events, bool strip_backticks) {
  std::ostringstream text;
  for (const auto& e : events) PrintEventText(e, text);
  std::vector<std::string> out;
  std::istringstream in(text.str());
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("###", 0) != 0) continue;
    if (strip_backticks) std::erase(line, '`');
    out.push_back(line);
  }
  return out;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Str(const Value& v) {
  const auto* b = v.get_if<Bytes>();
  REQUIRE_MESSAGE(b, "expected bytes, got " << v.ToString());
  return b->data;
}

}  // namespace binlog_test
