// The sink conformance suite for StarRocks, against the emulator
// (tests/emulators/starrocks/), which follows specs/starrocks.md strictly.
#include <doctest/doctest.h>

#include <algorithm>

#include "conformance/sink_conformance.hpp"
#include "core/text_util.hpp"
#include "harness/sink_fixtures.hpp"
#include "harness/starrocks_emulator.hpp"
#include "sink/starrocks/sr_schema_change.hpp"
#include "sink/starrocks/sr_sink.hpp"
#include "sink/starrocks/sr_types.hpp"

namespace dbsync::conformance {
namespace {

config::TaskSpec Spec(const testing::StarRocksEmulator& emulator) {
  config::TaskSpec spec;
  spec.destination.type = "starrocks";
  spec.destination.host = "127.0.0.1";
  spec.destination.port = emulator.query_port();
  spec.destination.http_port = emulator.http_port();
  spec.destination.user = "root";
  spec.destination.password = testing::StarRocksEmulator::kPassword;
  spec.destination.database = "conf";
  spec.destination.replication_num = 1;  // the emulator has one BE (behaviour 55)
  return spec;
}

// Each row as its values in `b.source` order, as the FE's query port returns them.
std::vector<std::string> ReadRows(const testing::StarRocksEmulator& emulator, const sink::TableBinding& b) {
  std::vector<std::string> cols;
  for (const auto& c : b.source.columns) cols.push_back(starrocks::QuoteIdentifier(c.name));
  auto r = emulator.Admin().Query("SELECT " + Join(cols, ", ") + " FROM " +
                                  starrocks::QualifiedName(b.dest_schema, b.dest_table));
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  std::vector<std::string> out;
  for (const auto& row : r->rows) {
    std::string line;
    for (const auto& v : row) line += (line.empty() ? "" : "|") + v.value_or("NULL");
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

const Target& TheTarget() {
  static testing::StarRocksEmulator emulator;
  static const Target target = [] {
    Target t;
    t.name = "starrocks";
    t.traits = sink::FindDestination("starrocks")->traits;
    t.open = [](const std::string& task) -> std::unique_ptr<sink::Sink> {
      auto s = starrocks::OpenStarRocksSink(Spec(emulator), task);
      REQUIRE_MESSAGE(s.ok(), s.status().message());
      return std::move(s).value();
    };
    t.rows = [](const sink::TableBinding& b) { return ReadRows(emulator, b); };
    // The expected rows go through StarRocks too: copied into a scratch table
    // of the same definition, read back the same way.
    t.render = [](const sink::TableBinding& b, const std::vector<std::vector<Value>>& rows) {
      auto s = starrocks::OpenStarRocksSink(Spec(emulator), "render");
      REQUIRE_MESSAGE(s.ok(), s.status().message());
      sink::TableBinding scratch = b;
      scratch.dest_table = b.dest_table + "__expected";
      scratch.settings = nullptr;
      REQUIRE((*s)->PrepareTable(scratch).ok());
      REQUIRE((*s)->ResetTable(scratch).ok());
      Status written = testing::WriteChunk(**s, scratch, 0, rows, "render");
      REQUIRE_MESSAGE(written.ok(), written.message());
      auto out = ReadRows(emulator, scratch);
      REQUIRE((*s)->DropTable(scratch).ok());
      return out;
    };
    t.columns = [](const std::string& schema, const std::string& table) {
      auto r = emulator.Admin().Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                                      mysql::QuoteString(schema) + " AND TABLE_NAME = " + mysql::QuoteString(table) +
                                      " ORDER BY ORDINAL_POSITION");
      REQUIRE_MESSAGE(r.ok(), r.status().message());
      std::vector<std::string> out;
      for (const auto& row : r->rows) out.push_back(row[0].value_or(""));
      return out;
    };
    t.create_by_hand = [](const sink::TableBinding& b) {
      emulator.Exec("CREATE DATABASE IF NOT EXISTS " + starrocks::QuoteIdentifier(b.dest_schema));
      emulator.Exec("CREATE TABLE " + starrocks::QualifiedName(b.dest_schema, b.dest_table) +
                    " (`id` INT NOT NULL, `v` VARCHAR(80) NULL) PRIMARY KEY (`id`) DISTRIBUTED BY HASH (`id`) "
                    "PROPERTIES (\"replication_num\" = \"1\")");
    };
    t.insert_by_hand = [](const sink::TableBinding& b, const std::vector<std::pair<int, std::string>>& rows) {
      emulator.Exec("INSERT INTO " + starrocks::QualifiedName(b.dest_schema, b.dest_table) + " VALUES " + SqlValues(rows));
    };
    t.break_next_batch = [](sink::Sink&) {
      emulator.Post("/_emulator/fault/fail_next_txn_prepare", R"({"message": "injected: the BE went away"})");
    };
    t.fail_second_load = [] {
      emulator.Post("/_emulator/fault/fail_next_fe_commit",
                    R"({"message": "injected: the FE went away", "count": 1, "after": 1})");
    };
    return t;
  }();
  return target;
}

}  // namespace dbsync::conformance
