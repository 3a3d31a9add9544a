#include "conformance/memory_conformance_common.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "core/text_util.hpp"

namespace dbsync::conformance {
namespace {

std::string Render(const std::vector<Value>& row) {
  std::vector<std::string> cells;
  for (const auto& v : row) cells.push_back(v.ToString());
  return Join(cells, " | ");
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

Target MemoryTarget(sink::ExactlyOnce mode) {
  auto store = std::make_shared<sink::memory::MemoryStore>();
  Target t;
  t.name = std::string("memory, ") + sink::ExactlyOnceName(mode);
  t.traits.exactly_once = mode;
  t.traits.needs_primary_key = mode == sink::ExactlyOnce::kPerTableLoads;
  t.traits.open_transaction_across_pieces = mode == sink::ExactlyOnce::kTransactional;
  t.open = [store, mode](const std::string& task) -> std::unique_ptr<sink::Sink> {
    return std::make_unique<sink::memory::MemorySink>(store, task, mode);
  };
  t.rows = [store](const sink::TableBinding& b) {
    std::vector<std::string> out;
    auto table = store->Table(b.dest_schema, b.dest_table);
    if (!table) return out;
    for (const auto& row : table->rows) {
      std::vector<Value> in_source_order;
      for (const auto& c : b.source.columns) {
        int at = table->ColumnIndex(c.name);
        in_source_order.push_back(at >= 0 ? row[size_t(at)] : Value());
      }
      out.push_back(Render(in_source_order));
    }
    return Sorted(out);
  };
  t.render = [](const sink::TableBinding&, const std::vector<std::vector<Value>>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(Render(row));
    return Sorted(out);
  };
  t.columns = [store](const std::string& schema, const std::string& table) {
    std::vector<std::string> out;
    auto t = store->Table(schema, table);
    if (t)
      for (const auto& c : t->columns) out.push_back(c.name);
    return out;
  };
  t.create_by_hand = [store](const sink::TableBinding& b) {
    REQUIRE(store->Commit("by hand", [&](sink::memory::MemoryStore::State& s) {
                   sink::memory::MemoryTable table;
                   table.columns = b.source.columns;
                   table.key = b.key;
                   s.tables[b.dest_schema + "." + b.dest_table] = table;
                   return Status::Ok();
                 }).ok());
  };
  t.insert_by_hand = [store](const sink::TableBinding& b, const std::vector<std::pair<int, std::string>>& rows) {
    REQUIRE(store->Commit("by hand", [&](sink::memory::MemoryStore::State& s) {
                   auto& table = s.tables[b.dest_schema + "." + b.dest_table];
                   for (const auto& [id, v] : rows) table.rows.push_back({int64_t{id}, Bytes{v, 45}});
                   return Status::Ok();
                 }).ok());
  };
  t.break_next_batch = [store](sink::Sink&) { store->FailNth("ApplyBatch", 1); };
  t.fail_second_load = [store] { store->FailNth("LoadCommit", 2); };
  return t;
}

}  // namespace dbsync::conformance
