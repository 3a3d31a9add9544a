// The conformance cases (sink_conformance.hpp). Every case uses its own task
// id and tables, so they run in any order against one destination.

#include "conformance/sink_conformance.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "core/text_util.hpp"
#include "harness/sink_fixtures.hpp"
#include "sink/shaping/shaping_sink.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using conformance::TheTarget;
using sink::RowChange;
using sink::TableBinding;

namespace {

// A keyed table id int, v varchar(20) in schema conf.
TableBinding Kv(const std::string& table) {
  return Binding("conf", table, {Col("id", "int", "int", false), Col("v", "varchar", "varchar(20)")}, {"id"});
}

BinlogPosition Pos(uint64_t offset) { return BinlogPosition{"binlog.000007", offset, ""}; }

std::unique_ptr<sink::Sink> Open(const std::string& task) {
  auto s = TheTarget().open(task);
  REQUIRE(s != nullptr);
  return s;
}

void Prepare(sink::Sink& s, const TableBinding& b) {
  Status st = s.PrepareTable(b);
  REQUIRE_MESSAGE(st.ok(), st.message());
}

void Chunk(sink::Sink& s, const TableBinding& b, int index, const std::vector<std::vector<Value>>& rows) {
  Status st = WriteChunk(s, b, index, rows, Pos(0).file);
  REQUIRE_MESSAGE(st.ok(), st.message());
}

std::vector<sink::TableChanges> Changes(const TableBinding& b, std::vector<RowChange> rows) {
  std::vector<sink::TableChanges> c(1);
  c[0].table = &b;
  c[0].rows = std::move(rows);
  return c;
}

Status Apply(sink::Sink& s, const TableBinding& b, std::vector<RowChange> rows, uint64_t offset) {
  return s.ApplyBatch(Changes(b, std::move(rows)), Pos(offset));
}

void ApplyOk(sink::Sink& s, const TableBinding& b, std::vector<RowChange> rows, uint64_t offset) {
  Status st = Apply(s, b, std::move(rows), offset);
  REQUIRE_MESSAGE(st.ok(), st.message());
}

std::vector<std::string> Rows(const TableBinding& b) { return TheTarget().rows(b); }
std::vector<std::string> Expect(const TableBinding& b, const std::vector<std::vector<Value>>& rows) {
  return TheTarget().render(b, rows);
}

std::string CheckpointOf(sink::Sink& s) {
  auto c = s.LoadCheckpoint();
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  return *c ? (*c)->ToString() : "";
}

Status Ddl(sink::Sink& s, SchemaChange change, const TableBinding& b, const TableBinding* old, uint64_t offset,
           std::optional<Value> fill = std::nullopt) {
  change.db = b.source.db;
  change.table = b.source.table;
  change.schema = b.source;
  return s.ApplySchemaChanges({sink::SchemaChangeStep{change, &b, old, fill, false}}, Pos(offset));
}

SchemaChange Kind(SchemaChangeKind kind, std::string column = "") {
  SchemaChange c;
  c.kind = kind;
  c.column = std::move(column);
  return c;
}

}  // namespace

TEST_SUITE("sink conformance") {
  TEST_CASE("a chunk is wholly there or not at all; CompletedChunks; ResetTable") {
    auto s = Open("chunks");
    auto b = Kv("chunks");
    Prepare(*s, b);
    Prepare(*s, b);  // idempotent
    {
      auto w = s->OpenChunk(b, 0, Pos(100));
      REQUIRE(w.ok());
      REQUIRE((*w)->Write({int64_t{1}, Utf8("abandoned")}).ok());
    }  // destroyed without Commit
    CHECK(Rows(b).empty());
    CHECK(s->CompletedChunks(b)->empty());
    Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")}});
    Chunk(*s, b, 1, {{int64_t{3}, Utf8("c")}});
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")}, {int64_t{3}, Utf8("c")}}));
    auto done = s->CompletedChunks(b);
    REQUIRE(done.ok());
    REQUIRE(done->size() == 2);
    CHECK(done->at(0).ToString() == Pos(100).ToString());
    CHECK(done->at(1).ToString() == Pos(101).ToString());
    REQUIRE(s->ResetTable(b).ok());
    CHECK(Rows(b).empty());
    CHECK(s->CompletedChunks(b)->empty());
  }

  TEST_CASE("a copy after DropKeyForLoad, through a restart, then BuildKeys: changes apply by key; BuildKeys again is a no-op") {
    auto b = Kv("late_key");
    {
      auto s = Open("late_key");
      Prepare(*s, b);
      REQUIRE(s->ResetTable(b).ok());
      REQUIRE(s->DropKeyForLoad(b).ok());
      Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")}});
    }
    auto s = Open("late_key");  // a restart mid-copy: the table as the copy left it fits
    Prepare(*s, b);
    Chunk(*s, b, 1, {{int64_t{3}, Utf8("c")}});
    auto built = s->BuildKeys({&b});
    REQUIRE_MESSAGE(built.ok(), built.status().message());
    auto again = s->BuildKeys({&b});
    REQUIRE_MESSAGE(again.ok(), again.status().message());
    CHECK(again->empty());
    ApplyOk(*s, b,
            {Upd({int64_t{1}, Utf8("a")}, {int64_t{1}, Utf8("A")}), Del({int64_t{2}, Utf8("b")}),
             Ins({int64_t{3}, Utf8("C")}), Ins({int64_t{4}, Utf8("d")})},
            10);
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("A")}, {int64_t{3}, Utf8("C")}, {int64_t{4}, Utf8("d")}}));
  }

  TEST_CASE("a batch applies inserts, updates, deletes and key changes with its checkpoint") {
    auto s = Open("batch");
    auto b = Kv("batch");
    Prepare(*s, b);
    CHECK(CheckpointOf(*s).empty());
    ApplyOk(*s, b,
            {Ins({int64_t{1}, Utf8("a")}), Ins({int64_t{2}, Utf8("b")}), Ins({int64_t{3}, Utf8("c")}),
             Upd({int64_t{1}, Utf8("a")}, {int64_t{1}, Utf8("A")}), Del({int64_t{2}, Utf8("b")}),
             Upd({int64_t{3}, Utf8("c")}, {int64_t{30}, Utf8("c")}), Ins({int64_t{2}, Utf8("again")}),
             Upd({int64_t{2}, Utf8("again")}, {int64_t{2}, Utf8("twice")})},
            10);
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("A")}, {int64_t{2}, Utf8("twice")}, {int64_t{30}, Utf8("c")}}));
    CHECK(CheckpointOf(*s) == Pos(10).ToString());
    // Several tables in one batch.
    auto other = Kv("batch_other");
    Prepare(*s, other);
    std::vector<sink::TableChanges> two = Changes(b, {Del({int64_t{1}, Utf8("A")})});
    two.push_back({&other, {Ins({int64_t{5}, Utf8("x")})}});
    REQUIRE(s->ApplyBatch(two, Pos(11)).ok());
    CHECK(Rows(b) == Expect(b, {{int64_t{2}, Utf8("twice")}, {int64_t{30}, Utf8("c")}}));
    CHECK(Rows(other) == Expect(other, {{int64_t{5}, Utf8("x")}}));
    CHECK(CheckpointOf(*s) == Pos(11).ToString());
  }

  TEST_CASE("a failed batch leaves neither rows nor checkpoint, and applies in full when sent again") {
    auto s = Open("failed");
    auto b = Kv("failed");
    Prepare(*s, b);
    ApplyOk(*s, b, {Ins({int64_t{1}, Utf8("a")})}, 20);
    std::vector<RowChange> batch = {Ins({int64_t{2}, Utf8("b")}), Upd({int64_t{1}, Utf8("a")}, {int64_t{1}, Utf8("A")})};
    TheTarget().break_next_batch(*s);
    CHECK(!Apply(*s, b, batch, 21).ok());
    s.reset();  // the worker restarts
    s = Open("failed");
    CHECK(CheckpointOf(*s) == Pos(20).ToString());
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("a")}}));
    ApplyOk(*s, b, batch, 21);
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("A")}, {int64_t{2}, Utf8("b")}}));
    CHECK(CheckpointOf(*s) == Pos(21).ToString());
  }

  TEST_CASE("after a crash the checkpoint says what is applied; a replay of keyed changes converges") {
    auto s = Open("replay");
    auto b = Kv("replay");
    auto c = Kv("replay_c");
    Prepare(*s, b);
    Prepare(*s, c);
    std::vector<sink::TableChanges> batch = Changes(b, {Ins({int64_t{1}, Utf8("a")}), Ins({int64_t{2}, Utf8("b")})});
    batch.push_back({&c, {Ins({int64_t{9}, Utf8("z")})}});
    if (TheTarget().traits.exactly_once == sink::ExactlyOnce::kPerTableLoads) {
      // A crash between the two loads' commits: the first table is ahead of the checkpoint.
      TheTarget().fail_second_load();
      CHECK(!s->ApplyBatch(batch, Pos(30)).ok());
      s = Open("replay");
      // Either the checkpoint stayed (the batch is replayed, its first table
      // ahead), or it moved with the prepared loads, which reopening finished.
      std::string after_crash = CheckpointOf(*s);
      CHECK((after_crash.empty() || after_crash == Pos(30).ToString()));
      if (!after_crash.empty()) {
        CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")}}));
        CHECK(Rows(c) == Expect(c, {{int64_t{9}, Utf8("z")}}));
      }
    }
    REQUIRE(s->ApplyBatch(batch, Pos(30)).ok());
    s.reset();
    s = Open("replay");
    CHECK(CheckpointOf(*s) == Pos(30).ToString());
    // A replay of a longer run of the same keyed changes (the batch cut elsewhere) ends in the same rows.
    std::vector<sink::TableChanges> longer =
        Changes(b, {Ins({int64_t{1}, Utf8("a")}), Ins({int64_t{2}, Utf8("b")}), Upd({int64_t{2}, Utf8("b")}, {int64_t{2}, Utf8("B")})});
    longer.push_back({&c, {Ins({int64_t{9}, Utf8("z")})}});
    REQUIRE(s->ApplyBatch(longer, Pos(31)).ok());
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("B")}}));
    CHECK(Rows(c) == Expect(c, {{int64_t{9}, Utf8("z")}}));
  }

  TEST_CASE("tables[] shaping: filters, a logical delete and added fields, through a replay") {
    // The settings of the table's tables[] entry, and the spec around them.
    static config::TaskSpec spec = [] {
      config::TaskSpec t;
      t.source.host = "src.example";
      t.destination.database = "dw";
      config::TableSpec table;
      table.match = "conf.shaped";
      table.dml["insert"] = {config::DmlAction::kFilter, "v <> 'skip'"};
      table.dml["update"] = {config::DmlAction::kFilter, "v <> 'skip'"};
      config::DmlPolicy logical;
      logical.action = config::DmlAction::kLogicalDelete;
      logical.column = "deleted";
      table.dml["delete"] = logical;
      table.extra_fields = {{"origin", "varchar(40)", "${TABLE_NAME_SRC}@${DATASOURCE_NAME_SRC}"},
                            {"id_copy", "bigint", "${id}"}};
      t.tables = {table};
      return t;
    }();
    auto b = Kv("shaped");
    b.settings = &spec.tables[0];
    // What the destination holds: the source's columns, then the added ones.
    TableBinding seen = b;
    for (auto [name, type] : {std::pair{"origin", "varchar(40)"}, {"id_copy", "bigint"}, {"deleted", "bigint"}})
      seen.source.columns.push_back(*sink::AddedColumnType(name, type));
    auto row = [](int64_t id, const char* v, int64_t deleted) {
      return std::vector<Value>{id, Utf8(v), Bytes{"shaped@src.example", 46}, id, deleted};
    };
    auto open = [] { return std::make_unique<sink::ShapingSink>(Open("shaped"), spec); };
    auto s = open();
    Prepare(*s, b);
    Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("skip")}, {int64_t{3}, Utf8("c")}});
    CHECK(Rows(seen) == Expect(seen, {row(1, "a", 0), row(3, "c", 0)}));
    auto batch = Changes(b, {Ins({int64_t{4}, Utf8("d")}), Ins({int64_t{5}, Utf8("skip")}),
                             Upd({int64_t{1}, Utf8("a")}, {int64_t{1}, Utf8("skip")}),  // leaves: marked
                             Upd({int64_t{2}, Utf8("skip")}, {int64_t{2}, Utf8("b")}),  // starts to match
                             Del({int64_t{3}, Utf8("c")}), Del({int64_t{5}, Utf8("skip")})});
    const std::vector<std::string> expected =
        Expect(seen, {row(1, "a", 1), row(2, "b", 0), row(3, "c", 1), row(4, "d", 0)});
    REQUIRE(s->ApplyBatch(batch, Pos(40)).ok());
    CHECK(Rows(seen) == expected);
    // A worker killed and restarted replays the batch: the same rows.
    s.reset();
    s = open();
    REQUIRE(s->ApplyBatch(batch, Pos(40)).ok());
    CHECK(Rows(seen) == expected);
    CHECK(CheckpointOf(*s) == Pos(40).ToString());
  }

  TEST_CASE("tables[] column_types and type_overrides: retyped columns, the key among them, through a replay") {
    static config::TaskSpec spec = [] {
      config::TaskSpec t;
      t.source.host = "src.example";
      t.destination.database = "dw";
      config::TableSpec table;
      table.match = "conf.retyped";
      table.column_types = {{"v", "bigint"}};
      table.type_overrides = {{"int", "varchar(20)"}};
      t.tables = {table};
      return t;
    }();
    auto b = Kv("retyped");
    b.settings = &spec.tables[0];
    // What the destination holds: the key as text, v as a number.
    TableBinding seen = b;
    for (auto [i, type] : {std::pair{0, "varchar(20)"}, {1, "bigint"}}) {
      ColumnSchema c = *sink::AddedColumnType(b.source.columns[i].name, type);
      c.nullable = b.source.columns[i].nullable;
      seen.source.columns[i] = c;
    }
    auto row = [](const char* id, int64_t v) { return std::vector<Value>{Bytes{id, 46}, v}; };
    auto open = [] { return std::make_unique<sink::ShapingSink>(Open("retyped"), spec); };
    auto s = open();
    Prepare(*s, b);
    Chunk(*s, b, 0, {{int64_t{1}, Utf8("10")}, {int64_t{2}, Utf8("-20")}});
    CHECK(Rows(seen) == Expect(seen, {row("1", 10), row("2", -20)}));
    auto batch = Changes(b, {Ins({int64_t{3}, Utf8("30")}), Upd({int64_t{1}, Utf8("10")}, {int64_t{1}, Utf8("11")}),
                             Del({int64_t{2}, Utf8("-20")})});
    const std::vector<std::string> expected = Expect(seen, {row("1", 11), row("3", 30)});
    REQUIRE(s->ApplyBatch(batch, Pos(42)).ok());
    CHECK(Rows(seen) == expected);
    s.reset();
    s = open();
    REQUIRE(s->ApplyBatch(batch, Pos(42)).ok());
    CHECK(Rows(seen) == expected);
    // A value the type cannot hold is refused, naming the column and the row; nothing of the batch is applied.
    auto bad = Changes(b, {Ins({int64_t{4}, Utf8("forty")})});
    Status refused = s->ApplyBatch(bad, Pos(43));
    CHECK(refused.code() == StatusCode::kInvalidArgument);
    CHECK_MESSAGE(refused.message().find("column v of " + b.SourceName() + " cannot be written as bigint") !=
                      std::string::npos,
                  refused.message());
    CHECK(Rows(seen) == expected);
  }

  TEST_CASE("tables[].partition: rows into partitions made on demand, a row moving between them, through a replay") {
    static config::TaskSpec spec = [] {
      config::TaskSpec t;
      t.source.host = "src.example";
      t.destination.database = "dw";
      config::TableSpec table;
      table.match = "conf.parted";
      table.partition = config::PartitionSpec{"part", "p_${v}"};
      t.tables = {table};
      return t;
    }();
    auto b = Kv("parted");
    b.settings = &spec.tables[0];
    TableBinding seen = b;
    seen.source.columns.push_back(*sink::AddedColumnType("part", "text"));
    auto row = [](int64_t id, const char* v) {
      return std::vector<Value>{id, Utf8(v), Bytes{std::string("p_") + v, 46}};
    };
    auto open = [] { return std::make_unique<sink::ShapingSink>(Open("parted"), spec); };
    auto s = open();
    Prepare(*s, b);
    Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")}, {int64_t{3}, Utf8("a")}});
    CHECK(Rows(seen) == Expect(seen, {row(1, "a"), row(2, "b"), row(3, "a")}));
    auto batch = Changes(b, {Ins({int64_t{4}, Utf8("c")}), Upd({int64_t{1}, Utf8("a")}, {int64_t{1}, Utf8("d")}),
                             Del({int64_t{2}, Utf8("b")})});
    const std::vector<std::string> expected = Expect(seen, {row(1, "d"), row(3, "a"), row(4, "c")});
    REQUIRE(s->ApplyBatch(batch, Pos(44)).ok());
    CHECK(Rows(seen) == expected);
    s.reset();
    s = open();
    REQUIRE(s->ApplyBatch(batch, Pos(44)).ok());
    CHECK(Rows(seen) == expected);
  }

  TEST_CASE("a keyless table: identical rows are deleted one at a time, or the destination refuses it") {
    auto s = Open("keyless");
    auto b = Binding("conf", "keyless", {Col("a", "int", "int"), Col("v", "varchar", "varchar(20)")}, {});
    Status prepared = s->PrepareTable(b);
    if (TheTarget().traits.needs_primary_key) {
      CHECK(prepared.code() == StatusCode::kFailedPrecondition);
      CHECK(prepared.message().find("primary_key") != std::string::npos);
      return;
    }
    REQUIRE_MESSAGE(prepared.ok(), prepared.message());
    std::vector<Value> row = {int64_t{1}, Utf8("same")};
    ApplyOk(*s, b, {Ins(row), Ins(row), Ins(row), Ins({Value(), Utf8("null a")})}, 40);
    ApplyOk(*s, b, {Del(row), Upd(row, {int64_t{2}, Utf8("other")}), Del({Value(), Utf8("null a")})}, 41);
    CHECK(Rows(b) == Expect(b, {row, {int64_t{2}, Utf8("other")}}));
  }

  TEST_CASE("a source transaction larger than a batch commits with its end, or not at all") {
    auto s = Open("pieces");
    auto b = Kv("pieces");
    Prepare(*s, b);
    ApplyOk(*s, b, {Ins({int64_t{1}, Utf8("before")})}, 50);
    REQUIRE(s->ApplyPartial(Changes(b, {Ins({int64_t{2}, Utf8("p1")})})).ok());
    REQUIRE(s->ApplyPartial(Changes(b, {Ins({int64_t{3}, Utf8("p2")})})).ok());
    s.reset();  // killed before the transaction's end
    s = Open("pieces");
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("before")}}));
    CHECK(CheckpointOf(*s) == Pos(50).ToString());
    REQUIRE(s->ApplyPartial(Changes(b, {Ins({int64_t{2}, Utf8("p1")})})).ok());
    REQUIRE(s->ApplyPartial(Changes(b, {Ins({int64_t{3}, Utf8("p2")})})).ok());
    ApplyOk(*s, b, {Upd({int64_t{2}, Utf8("p1")}, {int64_t{2}, Utf8("end")})}, 51);
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("before")}, {int64_t{2}, Utf8("end")}, {int64_t{3}, Utf8("p2")}}));
    CHECK(CheckpointOf(*s) == Pos(51).ToString());
  }

  TEST_CASE("table positions commit with a batch, which may hold the checkpoint") {
    auto s = Open("positions");
    auto b = Kv("positions");
    Prepare(*s, b);
    ApplyOk(*s, b, {Ins({int64_t{1}, Utf8("a")})}, 60);
    sink::TablePositions held;
    held.hold_checkpoint = true;
    held.save["src.copied"] = Pos(61);
    held.save["src.fresh"] = BinlogPosition();
    REQUIRE(s->ApplyBatch(Changes(b, {Ins({int64_t{2}, Utf8("b")})}), Pos(61), held).ok());
    s = Open("positions");
    CHECK(CheckpointOf(*s) == Pos(60).ToString());
    auto positions = s->LoadTablePositions();
    REQUIRE(positions.ok());
    REQUIRE(positions->size() == 2);
    CHECK(positions->at("src.copied").ToString() == Pos(61).ToString());
    CHECK(positions->at("src.fresh").empty());
    sink::TablePositions done;
    done.erase = {"src.copied", "src.fresh"};
    REQUIRE(s->ApplyBatch({}, Pos(62), done).ok());
    CHECK(s->LoadTablePositions()->empty());
    CHECK(CheckpointOf(*s) == Pos(62).ToString());
  }

  TEST_CASE("schema changes: tables created, renamed, truncated and dropped") {
    auto s = Open("tables");
    auto b = Kv("made");
    REQUIRE(Ddl(*s, Kind(SchemaChangeKind::kTableCreated), b, nullptr, 70).ok());
    REQUIRE(Ddl(*s, Kind(SchemaChangeKind::kTableCreated), b, nullptr, 70).ok());  // a replay
    CHECK(TheTarget().columns("conf", "made") == std::vector<std::string>{"id", "v"});
    ApplyOk(*s, b, {Ins({int64_t{1}, Utf8("a")})}, 71);
    auto renamed = Kv("renamed");
    SchemaChange rename = Kind(SchemaChangeKind::kTableRenamed);
    rename.old_db = "src";
    rename.old_table = "made";
    REQUIRE(Ddl(*s, rename, renamed, &b, 72).ok());
    CHECK(TheTarget().columns("conf", "made").empty());
    CHECK(Rows(renamed) == Expect(renamed, {{int64_t{1}, Utf8("a")}}));
    CHECK(s->LastAppliedDdl()->value().ToString() == Pos(72).ToString());
    REQUIRE(Ddl(*s, Kind(SchemaChangeKind::kTableTruncated), renamed, nullptr, 73).ok());
    CHECK(Rows(renamed).empty());
    REQUIRE(Ddl(*s, Kind(SchemaChangeKind::kTableDropped), renamed, nullptr, 74).ok());
    CHECK(TheTarget().columns("conf", "renamed").empty());
    CHECK(Ddl(*s, Kind(SchemaChangeKind::kTableDropped), renamed, nullptr, 74).ok());  // a replay is harmless
    CHECK(s->LastAppliedDdl()->value().ToString() == Pos(74).ToString());
  }

  TEST_CASE("schema changes: columns added (with the source's fill), renamed, modified and dropped") {
    auto s = Open("columns");
    auto b0 = Kv("cols");
    Prepare(*s, b0);
    ApplyOk(*s, b0, {Ins({int64_t{1}, Utf8("a")})}, 80);
    auto b1 = b0;
    b1.source.columns.push_back(Col("n", "varchar", "varchar(10)"));
    SchemaChange add = Kind(SchemaChangeKind::kColumnAdded, "n");
    add.after = b1.source.columns[2];
    add.position = 2;
    Status added = Ddl(*s, add, b1, &b0, 81, Value(Utf8("dflt")));
    REQUIRE_MESSAGE(added.ok(), added.message());
    CHECK(TheTarget().columns("conf", "cols") == std::vector<std::string>{"id", "v", "n"});
    CHECK(Rows(b1) == Expect(b1, {{int64_t{1}, Utf8("a"), Utf8("dflt")}}));
    ApplyOk(*s, b1, {Ins({int64_t{2}, Utf8("b"), Utf8("x")})}, 82);

    auto b2 = b1;
    b2.source.columns[1].name = "w";
    SchemaChange rename = Kind(SchemaChangeKind::kColumnRenamed, "w");
    rename.old_column = "v";
    rename.before = b1.source.columns[1];
    rename.after = b2.source.columns[1];
    REQUIRE(Ddl(*s, rename, b2, &b1, 83).ok());
    auto b3 = b2;
    b3.source.columns[1] = Col("w", "varchar", "varchar(40)");
    SchemaChange widen = Kind(SchemaChangeKind::kColumnModified, "w");
    widen.before = b2.source.columns[1];
    widen.after = b3.source.columns[1];
    widen.position = 1;
    REQUIRE(Ddl(*s, widen, b3, &b2, 84).ok());
    ApplyOk(*s, b3, {Ins({int64_t{3}, Utf8("a value longer than 20"), Value()})}, 85);
    auto b4 = b3;
    b4.source.columns.erase(b4.source.columns.begin() + 2);
    SchemaChange drop = Kind(SchemaChangeKind::kColumnDropped, "n");
    drop.before = b3.source.columns[2];
    Status dropped = Ddl(*s, drop, b4, &b3, 86);
    REQUIRE_MESSAGE(dropped.ok(), dropped.message());
    auto after_drop = TheTarget().columns("conf", "cols");
    CHECK_MESSAGE((after_drop == std::vector<std::string>{"id", "w"}), Join(after_drop, ","));
    CHECK(Rows(b4) == Expect(b4, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")},
                                  {int64_t{3}, Utf8("a value longer than 20")}}));
  }

  TEST_CASE("schema changes: a new primary key is followed by later upserts; partition data is refused") {
    auto s = Open("pk");
    auto b0 = Binding("conf", "pk", {Col("id", "int", "int", false), Col("k", "int", "int", false),
                                     Col("v", "varchar", "varchar(20)")},
                      {"id"});
    Prepare(*s, b0);
    ApplyOk(*s, b0, {Ins({int64_t{1}, int64_t{10}, Utf8("a")}), Ins({int64_t{2}, int64_t{20}, Utf8("b")})}, 90);
    auto b1 = b0;
    b1.key = {"k"};
    b1.source.primary_key = {"k"};
    SchemaChange pk = Kind(SchemaChangeKind::kPrimaryKeyChanged);
    pk.old_primary_key = {"id"};
    pk.primary_key = {"k"};
    Status changed = Ddl(*s, pk, b1, &b0, 91);
    if (!TheTarget().traits.CanApply(SchemaChangeKind::kPrimaryKeyChanged)) {
      CHECK(changed.code() == StatusCode::kFailedPrecondition);
      CHECK(changed.message().find("primary key") != std::string::npos);
      CHECK(!s->LastAppliedDdl()->has_value());
      return;
    }
    REQUIRE_MESSAGE(changed.ok(), changed.message());
    ApplyOk(*s, b1, {Upd({int64_t{1}, int64_t{10}, Utf8("a")}, {int64_t{5}, int64_t{10}, Utf8("by k")})}, 92);
    CHECK(Rows(b1) == Expect(b1, {{int64_t{2}, int64_t{20}, Utf8("b")}, {int64_t{5}, int64_t{10}, Utf8("by k")}}));
    Status partition = Ddl(*s, Kind(SchemaChangeKind::kPartitionDataChanged), b1, nullptr, 93);
    CHECK(partition.code() == StatusCode::kFailedPrecondition);
    CHECK(partition.message().find("full initialization") != std::string::npos);
    CHECK(!TheTarget().traits.CanApply(SchemaChangeKind::kPartitionDataChanged));
    CHECK(s->LastAppliedDdl()->value().ToString() == Pos(91).ToString());
  }

  TEST_CASE("mode existing: a table made by hand is accepted and never altered") {
    config::TableSpec existing;
    existing.mode = config::TableMode::kExisting;
    auto b = Kv("by_hand");
    b.settings = &existing;
    TheTarget().create_by_hand(b);
    auto s = Open("existing");
    Prepare(*s, b);
    Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}});
    auto b1 = b;
    b1.source.columns.push_back(Col("n", "int", "int"));
    SchemaChange add = Kind(SchemaChangeKind::kColumnAdded, "n");
    add.after = b1.source.columns[2];
    Status st = Ddl(*s, add, b1, &b, 100);
    CHECK(st.code() == StatusCode::kFailedPrecondition);
    CHECK(st.message().find("mode: existing") != std::string::npos);
    CHECK(TheTarget().columns("conf", "by_hand") == std::vector<std::string>{"id", "v"});
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("a")}}));
  }

  TEST_CASE("tables[].on_conflict: another writer's rows meet the copy and the changes as the policy says") {
    for (auto policy : {config::ConflictPolicy::kReplace, config::ConflictPolicy::kUpdate, config::ConflictPolicy::kIgnore}) {
      const std::string name = std::string("conflict_") + config::ConflictPolicyName(policy);
      CAPTURE(name);
      const bool ignore = policy == config::ConflictPolicy::kIgnore;
      config::TableSpec settings;
      settings.mode = config::TableMode::kExisting;
      settings.on_conflict = policy;
      auto b = Kv(name);
      b.settings = &settings;
      TheTarget().create_by_hand(b);
      if (!TheTarget().change_log) TheTarget().insert_by_hand(b, {{1, "theirs1"}, {2, "theirs2"}, {4, "theirs4"}});
      auto s = Open(name);
      Status prepared = s->PrepareTable(b);
      if (TheTarget().change_log) {  // records meet no row: the keyed policies are refused
        if (policy == config::ConflictPolicy::kReplace) continue;
        CHECK(prepared.code() == StatusCode::kInvalidArgument);
        CHECK_MESSAGE(prepared.message().find("is for keyed writes") != std::string::npos, prepared.message());
        continue;
      }
      REQUIRE_MESSAGE(prepared.ok(), prepared.message());
      Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}, {int64_t{3}, Utf8("c")}});
      CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8(ignore ? "theirs1" : "a")}, {int64_t{2}, Utf8("theirs2")},
                                  {int64_t{3}, Utf8("c")}, {int64_t{4}, Utf8("theirs4")}}));
      // An insert meets their row 2; an update, a delete; 4 is deleted and
      // inserted again in the batch, which replaces it whatever the policy.
      ApplyOk(*s, b,
              {Ins({int64_t{2}, Utf8("b")}), Upd({int64_t{1}, Utf8("a")}, {int64_t{1}, Utf8("a2")}),
               Del({int64_t{3}, Utf8("c")}), Del({int64_t{4}, Utf8("x")}), Ins({int64_t{4}, Utf8("r4")})},
              100);
      CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("a2")}, {int64_t{2}, Utf8(ignore ? "theirs2" : "b")},
                                  {int64_t{4}, Utf8("r4")}}));
    }
  }

  TEST_CASE("every value type round-trips through a chunk and a batch") {
    std::vector<ColumnSchema> cols = {
        Col("id", "int", "int", false), Col("ti", "tinyint", "tinyint"), Col("iu", "int", "int unsigned"),
        Col("bi", "bigint", "bigint"), Col("biu", "bigint", "bigint unsigned"), Col("dec", "decimal", "decimal(30,10)"),
        Col("f", "float", "float"), Col("d", "double", "double"), Col("b", "bit", "bit(10)"), Col("y", "year", "year"),
        Col("dt", "date", "date"), Col("tm", "time", "time(6)"), Col("dtm", "datetime", "datetime(6)"),
        Col("ts", "timestamp", "timestamp(6)"), Col("vc", "varchar", "varchar(100)"), Col("bin", "varbinary", "varbinary(8)"),
        Col("tx", "text", "text"), Col("e", "enum", "enum('small','big')"), Col("st", "set", "set('a','b','c')"),
        Col("j", "json", "json")};
    cols[5].precision = 30;
    cols[5].scale = 10;
    cols[8].precision = 10;
    cols[11].fsp = 6;
    cols[12].fsp = 6;
    cols[13].fsp = 6;
    cols[17].enum_values = {"small", "big"};
    cols[18].enum_values = {"a", "b", "c"};
    auto b = Binding("conf", "types", cols, {"id"});
    std::vector<Value> extremes = {
        int64_t{1}, int64_t{-128}, uint64_t{4294967295u}, int64_t{INT64_MIN}, uint64_t{18446744073709551615ull},
        Decimal{"-12345678901234567890.0123456789"}, 1.5f, 0.1 + 0.2, Bit{0x201, 10}, Year{2155},
        Date{2024, 2, 29}, Time{true, 838, 59, 59, 0, 6}, DateTime{9999, 12, 31, 23, 59, 59, 999999, 6},
        Timestamp{2147483647, 123456, 6}, Utf8("h\xC3\xA9llo \xF0\x9F\x98\x80 \"q\" 'q' \\ tab\t nl\n"),
        Bytes{std::string("\x00\xFF\x00\x01", 4), kBinaryCollation}, Utf8(std::string(70000, 'x')), Enum{2, "big"},
        Set{0b101, {"a", "c"}, true}, Json{"{\"k\": [1, 2.5, null]}"}};
    if (TheTarget().within_range) TheTarget().within_range(extremes, cols);
    std::vector<Value> nulls(cols.size());
    nulls[0] = int64_t{2};
    std::vector<Value> small = {int64_t{3}, int64_t{0}, uint64_t{0}, int64_t{0}, uint64_t{0}, Decimal{"0.0000000000"},
                                0.0f, -0.0, Bit{0, 10}, Year{1901}, Date{1, 1, 1}, Time{false, 0, 0, 0, 1, 6},
                                DateTime{1000, 1, 1, 0, 0, 0, 0, 6}, Timestamp{1, 0, 6}, Utf8(""),
                                Bytes{"", kBinaryCollation}, Utf8(""), Enum{1, "small"}, Set{0, {}, true}, Json{"[]"}};
    auto s = Open("types");
    Prepare(*s, b);
    Chunk(*s, b, 0, {extremes, nulls});
    ApplyOk(*s, b, {Ins(small)}, 110);
    CHECK(Rows(b) == Expect(b, {extremes, nulls, small}));
    // Updates and deletes find the rows they change by these values too.
    std::vector<Value> changed = extremes;
    changed[14] = Utf8("changed");
    ApplyOk(*s, b, {Upd(extremes, changed), Del(small)}, 111);
    CHECK(Rows(b) == Expect(b, {changed, nulls}));
  }

  TEST_CASE("zero dates, bit(1), geometry, extreme times and floats round-trip; invalid text is refused by name") {
    std::vector<ColumnSchema> cols = {Col("id", "int", "int", false),   Col("dz", "date", "date"),
                                      Col("dtz", "datetime", "datetime"), Col("tsz", "timestamp", "timestamp"),
                                      Col("yz", "year", "year"),        Col("b1", "bit", "bit(1)"),
                                      Col("g", "geometry", "geometry"),  Col("tm", "time", "time"),
                                      Col("f", "float", "float"),        Col("d", "double", "double"),
                                      Col("dec", "decimal", "decimal(65,30)")};
    cols[5].precision = 1;
    cols[10].precision = 65;
    cols[10].scale = 30;
    auto b = Binding("conf", "zeros", cols, {"id"});
    std::string wkb("\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40", 21);
    std::vector<Value> zeros = {int64_t{1}, Date{0, 0, 0}, DateTime{0, 0, 0, 0, 0, 0, 0, 0}, Timestamp{0, 0, 0},
                                Year{0}, Bit{1, 1}, Geometry{4326, wkb}, Time{true, 838, 59, 59, 0, 0},
                                3.4028234663852886e38f, 1.7976931348623157e308,
                                Decimal{"99999999999999999999999999999999999.999999999999999999999999999999"}};
    std::vector<Value> lows = {int64_t{2}, Date{1000, 1, 1}, DateTime{1000, 1, 1, 0, 0, 0, 0, 0}, Timestamp{1, 0, 0},
                               Year{1901}, Bit{0, 1}, Value(), Time{false, 838, 59, 59, 0, 0},
                               -1.17549435e-38f, -2.2250738585072014e-308,
                               Decimal{"-0.000000000000000000000000000001"}};
    auto s = Open("zeros");
    Prepare(*s, b);
    Chunk(*s, b, 0, {zeros});
    ApplyOk(*s, b, {Ins(lows)}, 130);
    CHECK(Rows(b) == Expect(b, {zeros, lows}));
    ApplyOk(*s, b, {Del(zeros)}, 131);
    CHECK(Rows(b) == Expect(b, {lows}));

    // Text that is not valid in its charset: the destination stores it as
    // the source has it, or refuses it naming the table and column.
    auto t = Kv("invalid_text");
    Prepare(*s, t);
    Status bad = Apply(*s, t, {Ins({int64_t{1}, Utf8("ok \xFF\xFE")})}, 132);
    if (bad.ok()) {
      CHECK(Rows(t) == Expect(t, {{int64_t{1}, Utf8("ok \xFF\xFE")}}));
    } else {
      CHECK(bad.message().find("invalid_text") != std::string::npos);
      CHECK(bad.message().find("column v") != std::string::npos);
      CHECK(CheckpointOf(*s) == Pos(131).ToString());
      CHECK(Rows(t).empty());
    }
  }

  TEST_CASE("a sink reopened after a kill sees chunks, checkpoint, positions and DDL record as committed") {
    auto b = Kv("reopen");
    {
      auto s = Open("reopen");
      Prepare(*s, b);
      Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}});
      sink::TablePositions p;
      p.save["src.reopen"] = Pos(120);
      ApplyOk(*s, b, {Ins({int64_t{2}, Utf8("b")})}, 121);
      REQUIRE(s->SaveTablePositions(p).ok());
      REQUIRE(Ddl(*s, Kind(SchemaChangeKind::kTableTruncated), Kv("reopen_other"), nullptr, 122).code() !=
              StatusCode::kOk);  // a failed statement leaves no record
      REQUIRE(s->ApplyPartial(Changes(b, {Ins({int64_t{3}, Utf8("lost")})})).ok());
    }  // dropped mid-transaction, as by SIGKILL
    auto s = Open("reopen");
    CHECK(s->CompletedChunks(b)->size() == 1);
    CHECK(CheckpointOf(*s) == Pos(121).ToString());
    CHECK(s->LoadTablePositions()->at("src.reopen").ToString() == Pos(120).ToString());
    CHECK(!s->LastAppliedDdl()->has_value());
    CHECK(Rows(b) == Expect(b, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")}}));
    // Another task's bookkeeping on the same destination is its own.
    auto other = Open("reopen-other-task");
    CHECK(CheckpointOf(*other).empty());
    CHECK(other->CompletedChunks(b)->empty());
    REQUIRE(Ddl(*s, Kind(SchemaChangeKind::kTableTruncated), Kv("reopen"), nullptr, 123).ok());
    Chunk(*other, b, 1, {{int64_t{9}, Utf8("other")}});

    // Forgetting the task removes its records, not the rows, nor the other task's records.
    REQUIRE(s->ForgetTask().ok());
    s = Open("reopen");
    CHECK(CheckpointOf(*s).empty());
    CHECK(s->CompletedChunks(b)->empty());
    CHECK(s->LoadTablePositions()->empty());
    CHECK(!s->LastAppliedDdl()->has_value());
    CHECK(Rows(b) == Expect(b, {{int64_t{9}, Utf8("other")}}));
    CHECK(other->CompletedChunks(b)->size() == 1);
  }
}
