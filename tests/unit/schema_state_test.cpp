// schema.json and the tables a restarted worker binds from it: the stream's
// view wins over the catalog's, which may be past the checkpoint.

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "pipeline/schema_state.hpp"
#include "pipeline/table_binding.hpp"

using namespace dbsync;
using namespace dbsync::pipeline;

namespace {

TableSchema Table(const std::string& db, const std::string& table, std::vector<std::string> columns) {
  TableSchema t;
  t.db = db;
  t.table = table;
  for (const auto& c : columns) {
    ColumnSchema col;
    col.name = c;
    col.data_type = "int";
    col.column_type = "int(11)";
    t.columns.push_back(col);
  }
  t.primary_key = {t.columns.front().name};
  return t;
}

std::vector<std::string> Names(const std::vector<sink::TableBinding>& bindings) {
  std::vector<std::string> out;
  for (const auto& b : bindings) out.push_back(b.SourceName() + "(" + std::to_string(b.source.columns.size()) + ")");
  return out;
}

}  // namespace

TEST_SUITE("pipeline") {
  TEST_CASE("schema.json round-trips, and a missing file is no state") {
    char dir_template[] = "/tmp/schema-state-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    const std::string path = std::string(dir_template) + "/schema.json";
    auto none = SchemaState::Load(path);
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());

    SchemaState state;
    state.position.file = "binlog.000007";
    state.position.offset = 4242;
    state.catalog_position.file = "binlog.000007";
    state.catalog_position.offset = 100;
    state.tracked.push_back({Table("shop", "t", {"id", "v"}), {"utf8mb4", "utf8mb4_general_ci"}});
    state.tracked.push_back({Table("shop", "_t_new", {"id", "v", "qty"}), {"latin1", "latin1_swedish_ci"}});
    state.bound = {"shop.t"};
    state.copying = {"shop.u"};
    state.databases = {"shop"};
    REQUIRE(state.Save(path).ok());
    auto loaded = SchemaState::Load(path);
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    const SchemaState& s = **loaded;
    CHECK_FALSE(s.legacy);
    CHECK(s.position.offset == 4242);
    CHECK(s.catalog_position.offset == 100);
    REQUIRE(s.Find("shop._t_new") != nullptr);
    CHECK(s.Find("shop._t_new")->schema.columns.size() == 3);
    CHECK(s.Find("shop._t_new")->defaults.collation == "latin1_swedish_ci");
    CHECK(s.bound == std::set<std::string>{"shop.t"});
    CHECK(s.copying == std::set<std::string>{"shop.u"});
    CHECK(s.drift.empty());

    // What ignored DDL left the destination as, and a table whose creation was ignored.
    sink::DestinationDrift& d = state.drift["shop.t"];
    d.absent = {"added"};
    d.names = {{"renamed", "original"}};
    d.definitions["widened"] = Table("shop", "x", {"widened"}).columns[0];
    d.kept_schema = "dw";  // an ignored rename_table
    d.kept_table = "before_rename";
    state.ignored = {"shop.skipped"};
    REQUIRE(state.Save(path).ok());
    auto again = SchemaState::Load(path);
    REQUIRE(again.ok());
    CHECK((*again)->drift == state.drift);
    CHECK((*again)->ignored == state.ignored);

    // A damaged file is an error that says what to do, not an empty state.
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("{not json", f);
    std::fclose(f);
    auto damaged = SchemaState::Load(path);
    CHECK(damaged.status().code() == StatusCode::kCorruption);
    CHECK(damaged.status().message().find("schema.json") != std::string::npos);
    std::remove(path.c_str());
    rmdir(dir_template);
  }

  TEST_CASE("a restarted worker binds the saved tables, copies what was copying, and waits for the binlog's new tables") {
    config::TaskSpec spec;
    spec.source.tables = {"shop.*", "crm.accounts"};
    SchemaState state;
    state.databases = {"shop", "crm"};
    state.tracked.push_back({Table("shop", "t", {"id", "v"}), {}});          // bound: ALTERed since, at the source
    state.tracked.push_back({Table("shop", "old", {"id"}), {}});             // bound: renamed since, at the source
    state.tracked.push_back({Table("shop", "entering", {"id", "x"}), {}});   // its copy was running
    state.tracked.push_back({Table("crm", "accounts", {"id"}), {}});         // tracked, not bound: newly selected
    state.bound = {"shop.t", "shop.old"};
    state.copying = {"shop.entering"};
    state.drift["shop.t"].absent = {"v"};
    state.drift["shop.old"].kept_schema = "dw";  // its rename to shop.old was ignored
    state.drift["shop.old"].kept_table = "first_name";
    state.tracked.push_back({Table("shop", "skipped", {"id"}), {}});  // created under ddl.create_table: ignore
    state.ignored = {"shop.skipped"};
    // What information_schema lists now.
    std::vector<sink::TableBinding> catalog;
    for (auto t : {Table("shop", "t", {"id", "v", "added_later"}), Table("shop", "renamed_later", {"id"}),
                   Table("shop", "entering", {"id", "x"}), Table("crm", "accounts", {"id"}), Table("ops", "log", {"id"}),
                   Table("shop", "skipped", {"id"})})
      catalog.push_back(BindTable(spec, t));
    spec.source.tables.push_back("ops.*");  // a database selected from now on
    SavedTables restored = BindSavedTables(spec, state, catalog);
    CHECK(Names(restored.bound) == std::vector<std::string>{"shop.old(1)", "shop.t(2)"});
    CHECK(Names(restored.to_copy) == std::vector<std::string>{"shop.entering(2)", "crm.accounts(1)", "ops.log(1)"});
    CHECK(restored.bound[1].drift.absent == std::set<std::string>{"v"});  // shop.t keeps its drift
    CHECK(restored.bound[0].dest_schema + "." + restored.bound[0].dest_table == "dw.first_name");
    CHECK(restored.bound[1].dest_table == "t");
  }
}
