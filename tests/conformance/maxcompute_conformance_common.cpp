#include "conformance/maxcompute_conformance_common.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harness/maxcompute_emulator.hpp"
#include "core/text_util.hpp"
#include "harness/sink_fixtures.hpp"
#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_sink.hpp"
#include "sink/maxcompute/mc_state.hpp"

namespace dbsync::conformance {
namespace {

using nlohmann::json;

config::TaskSpec Spec(const testing::MaxComputeEmulator& emulator, const std::string& write_mode) {
  config::TaskSpec spec;
  spec.destination.write_mode = write_mode;
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

// Each row of a change-log table as the user rebuilds it with SQL
// (RebuildSql, run by the emulator's SQL engine), rendered as its CSV cells;
// a keyless table's rows repeated as often as they are there.
std::vector<std::string> RebuildRows(const testing::MaxComputeEmulator& emulator, const sink::TableBinding& b) {
  if (!Table(emulator, b.dest_table).is_object()) return {};
  std::vector<std::string> columns;
  for (const auto& c : b.source.columns) columns.push_back(c.name);
  json sql = {{"project", "p1"},
              {"query", maxcompute::RebuildSql(b.dest_table, columns, b.key) + ";"},
              {"settings", {{"odps.sql.type.system.odps2", "true"}}}};
  json reply = json::parse(emulator.Post("/__emulator/sql", sql.dump()), nullptr, false);
  REQUIRE_MESSAGE(reply.value("status", "") == "Success", reply.dump());
  std::vector<std::string> out;
  for (const auto& cells : maxcompute::ParseCsvResult(reply.value("result", ""))) {
    std::string line;
    for (size_t i = 0; i < columns.size(); ++i) line += (i ? "|" : "") + cells[i].value_or("NULL");
    const int64_t copies = b.key.empty() ? std::stoll(cells.back().value_or("0")) : 1;
    for (int64_t k = 0; k < copies; ++k) out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Target MaxComputeTarget(const std::string& write_mode) {
  // Commits finish on their first POST, so a fault can pick out the second
  // table's commit of a batch.
  static testing::MaxComputeEmulator emulator({"--upsert-commit-polls", "0"});
  const bool log = write_mode == "log";
  {
    Target t;
    t.name = log ? "maxcompute, write_mode log" : "maxcompute";
    t.change_log = log;
    t.traits = sink::FindDestination("maxcompute")->traits;
    t.open = [write_mode](const std::string& task) -> std::unique_ptr<sink::Sink> {
      auto s = maxcompute::OpenMaxComputeSink(Spec(emulator, write_mode), task);
      REQUIRE_MESSAGE(s.ok(), s.status().message());
      return std::move(s).value();
    };
    // A keyless table is a change log in either mode.
    auto read = [log](const sink::TableBinding& b) {
      return log || b.key.empty() ? RebuildRows(emulator, b) : ReadRows(emulator, b);
    };
    t.rows = read;
    // The expected rows go through MaxCompute too: copied into a scratch
    // table of the same definition, read back the same way.
    t.render = [write_mode, read](const sink::TableBinding& b, const std::vector<std::vector<Value>>& rows) {
      auto s = maxcompute::OpenMaxComputeSink(Spec(emulator, write_mode), "render");
      REQUIRE_MESSAGE(s.ok(), s.status().message());
      sink::TableBinding scratch = b;
      scratch.dest_table = b.dest_table + "__expected";
      scratch.settings = nullptr;
      Status prepared = (*s)->PrepareTable(scratch);
      REQUIRE_MESSAGE(prepared.ok(), prepared.message());
      REQUIRE((*s)->ResetTable(scratch).ok());
      Status written = testing::WriteChunk(**s, scratch, 0, rows, "render");
      REQUIRE_MESSAGE(written.ok(), written.message());
      auto out = read(scratch);
      REQUIRE((*s)->DropTable(scratch).ok());
      return out;
    };
    // The source's columns: a change log's five fields are its own.
    t.columns = [](const std::string&, const std::string& table) {
      json info = Table(emulator, table);
      std::vector<std::string> out;
      if (info.is_object())
        for (const auto& c : info.value("columns", json::array()))
          if (!maxcompute::IsLogColumn(c.value("name", ""))) out.push_back(c.value("name", ""));
      return out;
    };
    t.create_by_hand = [log](const sink::TableBinding& b) {
      const std::string table = maxcompute::QuoteName(b.dest_table);
      json sql = {{"project", "p1"},
                  {"query", log ? "CREATE TABLE " + table + " (`id` INT, `v` STRING, `_sequence_id_` BIGINT, "
                                  "`_operation_type_` STRING, `_execute_time_` BIGINT, `_before_image_` STRING, "
                                  "`_after_image_` STRING);"
                                : "CREATE TABLE " + table + " (`id` INT NOT NULL, `v` STRING, PRIMARY KEY (`id`)) "
                                  "TBLPROPERTIES ('transactional'='true'" +
                                      std::string(b.on_conflict() == config::ConflictPolicy::kReplace
                                                      ? ""
                                                      : ", 'acid.partial.fields.update.enable'='true'") +
                                      ");"},
                  {"settings", {{"odps.sql.type.system.odps2", "true"}}}};
      emulator.Post("/__emulator/sql", sql.dump());
    };
    t.insert_by_hand = [](const sink::TableBinding& b, const std::vector<std::pair<int, std::string>>& rows) {
      json sql = {{"project", "p1"},
                  {"query", "INSERT INTO " + maxcompute::QuoteName(b.dest_table) + " VALUES " + SqlValues(rows) + ";"},
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
    // The sessions of a batch: upsert sessions, or batch uploads (log;
    // blocks and commits go to the table's resource, specs/maxcompute.md 3.4, 3.5).
    const std::string sessions = log ? "/tables/[^/]+$" : "/upserts$";
    const std::string session_id = log ? "uploadid=" : "upsertid=";
    t.break_next_batch = [sessions](sink::Sink&) {
      // A refusal no retry passes: the batch's first upload.
      json fault = {{"method", "PUT"}, {"endpoint", "tunnel"}, {"path_regex", sessions}, {"status", 403},
                    {"code", "NoPermission"}, {"message", "injected"}, {"count", 1}};
      emulator.Post("/__emulator/faults", fault.dump());
    };
    t.fail_second_load = [sessions, session_id] {
      json fault = {{"method", "POST"}, {"endpoint", "tunnel"}, {"path_regex", sessions}, {"query_regex", session_id},
                    {"status", 403}, {"code", "NoPermission"}, {"message", "injected: the tunnel went away"},
                    {"count", 1}, {"after", 1}};
      emulator.Post("/__emulator/faults", fault.dump());
    };
    return t;
  }
}

}  // namespace dbsync::conformance
