// The sink conformance suite for MaxCompute, against the emulator
// (tests/emulators/maxcompute/), which follows specs/maxcompute.md strictly.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "conformance/sink_conformance.hpp"
#include "harness/maxcompute_emulator.hpp"
#include "core/text_util.hpp"
#include "harness/sink_fixtures.hpp"
#include "sink/maxcompute/mc_sink.hpp"
#include "sink/maxcompute/mc_state.hpp"

namespace dbsync::conformance {
namespace {

using nlohmann::json;

config::TaskSpec Spec(const testing::MaxComputeEmulator& emulator) {
  config::TaskSpec spec;
  spec.destination.type = "maxcompute";
  spec.destination.endpoint = emulator.endpoint();
  spec.destination.project = "p1";
  spec.destination.access_id = testing::MaxComputeEmulator::kAccessId;
  spec.destination.access_key = testing::MaxComputeEmulator::kAccessKey;
  return spec;
}

// A committed value as the emulator's admin hook shows it, as text.
std::string Text(const json& v) {
  if (v.is_null()) return "NULL";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// The emulator's admin view of a table (schema and committed rows); null
// when there is no such table.
json Table(const testing::MaxComputeEmulator& emulator, const std::string& table) {
  json tables = json::parse(emulator.Get("/__emulator/tables/p1"), nullptr, false);
  bool exists = false;
  for (const auto& name : tables.value("tables", json::array())) exists = exists || name == table;
  return exists ? json::parse(emulator.Get("/__emulator/tables/p1/" + table), nullptr, false) : json();
}

// Each row as its values in `b.source` order, from the emulator's admin hook.
std::vector<std::string> ReadRows(const testing::MaxComputeEmulator& emulator, const sink::TableBinding& b) {
  json table = Table(emulator, b.dest_table);
  std::vector<std::string> out;
  if (!table.is_object() || !table.contains("rows")) return out;
  for (const auto& row : table["rows"]) {
    std::string line;
    for (const auto& c : b.source.columns) {
      const json* v = nullptr;
      for (const auto& [name, value] : row.items())
        if (name == c.name || ToLower(name) == ToLower(c.name)) v = &value;
      line += (line.empty() ? "" : "|") + (v ? Text(*v) : std::string("NULL"));
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

const Target& TheTarget() {
  // Commits finish on their first POST, so a fault can pick out the second
  // table's commit of a batch.
  static testing::MaxComputeEmulator emulator({"--upsert-commit-polls", "0"});
  static const Target target = [] {
    Target t;
    t.name = "maxcompute";
    t.traits = sink::FindDestination("maxcompute")->traits;
    t.open = [](const std::string& task) -> std::unique_ptr<sink::Sink> {
      auto s = maxcompute::OpenMaxComputeSink(Spec(emulator), task);
      REQUIRE_MESSAGE(s.ok(), s.status().message());
      return std::move(s).value();
    };
    t.rows = [](const sink::TableBinding& b) { return ReadRows(emulator, b); };
    // The expected rows go through MaxCompute too: copied into a scratch
    // table of the same definition, read back the same way.
    t.render = [](const sink::TableBinding& b, const std::vector<std::vector<Value>>& rows) {
      auto s = maxcompute::OpenMaxComputeSink(Spec(emulator), "render");
      REQUIRE_MESSAGE(s.ok(), s.status().message());
      sink::TableBinding scratch = b;
      scratch.dest_table = b.dest_table + "__expected";
      scratch.settings = nullptr;
      Status prepared = (*s)->PrepareTable(scratch);
      REQUIRE_MESSAGE(prepared.ok(), prepared.message());
      REQUIRE((*s)->ResetTable(scratch).ok());
      Status written = testing::WriteChunk(**s, scratch, 0, rows, "render");
      REQUIRE_MESSAGE(written.ok(), written.message());
      auto out = ReadRows(emulator, scratch);
      REQUIRE((*s)->DropTable(scratch).ok());
      return out;
    };
    t.columns = [](const std::string&, const std::string& table) {
      json info = Table(emulator, table);
      std::vector<std::string> out;
      if (info.is_object())
        for (const auto& c : info.value("columns", json::array())) out.push_back(c.value("name", ""));
      return out;
    };
    t.create_by_hand = [](const sink::TableBinding& b) {
      json sql = {{"project", "p1"},
                  {"query", "CREATE TABLE " + maxcompute::QuoteName(b.dest_table) +
                                " (`id` INT NOT NULL, `v` STRING, PRIMARY KEY (`id`)) "
                                "TBLPROPERTIES ('transactional'='true');"},
                  {"settings", {{"odps.sql.type.system.odps2", "true"}}}};
      emulator.Post("/__emulator/sql", sql.dump());
    };
    // MaxCompute's BIGINT stops at -2^63 + 1 (specs/maxcompute.md 5.1); the
    // sink refuses -2^63 by name (tests/unit/maxcompute_types_test.cpp).
    t.within_range = [](std::vector<Value>& row, const std::vector<ColumnSchema>& columns) {
      for (size_t i = 0; i < row.size(); ++i)
        if (columns[i].data_type == "bigint" && !columns[i].is_unsigned && row[i].get_if<int64_t>() &&
            row[i].as<int64_t>() == INT64_MIN)
          row[i] = int64_t{INT64_MIN + 1};
    };
    t.break_next_batch = [](sink::Sink&) {
      // A refusal no retry passes: the batch's first upload.
      emulator.Post("/__emulator/faults", R"({"method": "PUT", "endpoint": "tunnel", "path_regex": "/upserts$",
                                             "status": 403, "code": "NoPermission", "message": "injected", "count": 1})");
    };
    t.fail_second_load = [] {
      emulator.Post("/__emulator/faults", R"({"method": "POST", "endpoint": "tunnel", "path_regex": "/upserts$",
                                             "query_regex": "upsertid=", "status": 403, "code": "NoPermission",
                                             "message": "injected: the tunnel went away", "count": 1, "after": 1})");
    };
    return t;
  }();
  return target;
}

}  // namespace dbsync::conformance
