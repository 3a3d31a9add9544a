// PgSink::ApplySchemaChange against a real PostgreSQL: every change kind on a
// table holding rows (rows intact, later batches land in the new shape), the
// checkpoint committed with the DDL (a failing change leaves neither), replays
// that find the change done, mode: existing tables, and identifiers that need
// quoting.

#include <doctest/doctest.h>

#include "sink/registry.hpp"
#include "harness/servers.hpp"
#include "harness/sink_fixtures.hpp"
#include "sink/postgres/pg_sink.hpp"
#include "sink/sink.hpp"

using namespace dbsync;
using namespace dbsync::testing;

using sink::RowChange;
using sink::TableBinding;

namespace {

PostgresServer& Pg() {
  static PostgresServer server;
  static bool created = [] {
    server.Exec("CREATE DATABASE dw");
    return true;
  }();
  (void)created;
  return server;
}

config::TaskSpec Spec() { return PostgresDestinationSpec(Pg(), "dw"); }

std::unique_ptr<sink::Sink> Open(const std::string& task) {
  auto s = sink::OpenSink(Spec(), task);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

std::string Q(const std::string& sql) { return Pg().Scalar(sql, "dw"); }

ColumnSchema Dec(std::string name, int precision, int scale) {
  ColumnSchema c = Col(std::move(name), "decimal",
                       "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")");
  c.precision = precision;
  c.scale = scale;
  return c;
}

ColumnSchema BitCol(std::string name, int width) {
  ColumnSchema c = Col(std::move(name), "bit", "bit(" + std::to_string(width) + ")");
  c.precision = width;
  return c;
}


BinlogPosition Pos(uint64_t offset) { return BinlogPosition{"binlog.000003", offset, ""}; }

void Apply(sink::Sink& s, const TableBinding& b, std::vector<RowChange> rows, uint64_t offset) {
  std::vector<sink::TableChanges> changes(1);
  changes[0].table = &b;
  changes[0].rows = std::move(rows);
  Status st = s.ApplyBatch(changes, Pos(offset));
  REQUIRE_MESSAGE(st.ok(), st.message());
}

// A table made by schema migration, holding `rows`.
void Prepare(sink::Sink& s, const TableBinding& b, std::vector<RowChange> rows) {
  Status st = s.PrepareTable(b);
  REQUIRE_MESSAGE(st.ok(), st.message());
  Apply(s, b, std::move(rows), 1);
}

SchemaChange Change(SchemaChangeKind kind, const TableBinding& b, std::string column = "") {
  SchemaChange c;
  c.kind = kind;
  c.db = b.source.db;
  c.table = b.source.table;
  c.column = std::move(column);
  return c;
}

// A source DDL statement with one destination step.
Status ApplyStatement(sink::Sink& s, const SchemaChange& c, const TableBinding& b, const TableBinding* old,
                      uint64_t offset) {
  return s.ApplySchemaChanges({sink::SchemaChangeStep{c, &b, old, std::nullopt, false}}, Pos(offset));
}

void Ok(sink::Sink& s, const SchemaChange& c, const TableBinding& b, const TableBinding* old, uint64_t offset) {
  Status st = ApplyStatement(s, c, b, old, offset);
  REQUIRE_MESSAGE(st.ok(), st.message());
}

// The position of the last statement applied (sync_state.ddl_applied).
std::string LastDdl(const std::string& task) {
  return Q("SELECT binlog_file || ':' || binlog_offset FROM sync_state.ddl_applied WHERE task_id = '" + task + "'");
}

// "name:type:nullable" of every column, in the destination's order.
std::string Shape(const std::string& schema, const std::string& table) {
  return Q("SELECT string_agg(column_name || ':' || data_type || coalesce('(' || character_maximum_length || ')', "
           "'') || ':' || is_nullable, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE "
           "table_schema = " + postgres::QuoteLiteral(schema) + " AND table_name = " + postgres::QuoteLiteral(table));
}

std::string Rows(const std::string& qualified, const std::string& columns, const std::string& order) {
  return Q("SELECT string_agg(concat_ws('|', " + columns + "), ';' ORDER BY " + order + ") FROM " + qualified);
}

}  // namespace

TEST_SUITE("postgres schema changes") {
  TEST_CASE("create_table creates a table, is idempotent, and refuses an existing table of another shape") {
    auto s = Open("create");
    auto b = Binding("New \"Sch\"", "Crea ted", {Col("Id", "bigint", "bigint", false), Col("v", "text", "text")},
                     {"Id"});
    Ok(*s, Change(SchemaChangeKind::kTableCreated, b), b, nullptr, 10);
    CHECK(LastDdl("create") == "binlog.000003:10");
    Ok(*s, Change(SchemaChangeKind::kTableCreated, b), b, nullptr, 11);
    CHECK(LastDdl("create") == "binlog.000003:11");
    Apply(*s, b, {Ins({int64_t{1}, Utf8("a")})}, 12);
    CHECK(Rows("\"New \"\"Sch\"\"\".\"Crea ted\"", "\"Id\", v", "1") == "1|a");

    auto other = Binding("New \"Sch\"", "Crea ted", {Col("Id", "bigint", "bigint", false), Col("w", "int", "int")},
                         {"Id"});
    Status st = ApplyStatement(*s, Change(SchemaChangeKind::kTableCreated, other), other, nullptr, 13);
    CHECK(st.code() == StatusCode::kFailedPrecondition);
    CHECK(st.message().find("already exists and does not fit") != std::string::npos);
    CHECK(LastDdl("create") == "binlog.000003:11");
  }

  TEST_CASE("drop_table drops the table with its statement record; a replay is harmless") {
    auto s = Open("drop");
    auto b = Binding("dr", "Gone \"t\"", {Col("id", "int", "int", false)}, {"id"});
    Prepare(*s, b, {Ins({int64_t{1}})});
    Ok(*s, Change(SchemaChangeKind::kTableDropped, b), b, nullptr, 20);
    CHECK(Q("SELECT to_regclass('dr.\"Gone \"\"t\"\"\"') IS NULL") == "t");
    CHECK(LastDdl("drop") == "binlog.000003:20");
    Ok(*s, Change(SchemaChangeKind::kTableDropped, b), b, nullptr, 21);
    CHECK(LastDdl("drop") == "binlog.000003:21");
  }

  TEST_CASE("rename_table within a schema and to another schema keeps the rows") {
    auto s = Open("rename");
    std::vector<ColumnSchema> cols = {Col("id", "int", "int", false), Col("v", "varchar", "varchar(10)")};
    auto before = Binding("Ren", "old T", cols, {"id"});
    Prepare(*s, before, {Ins({int64_t{1}, Utf8("a")}), Ins({int64_t{2}, Utf8("b")})});

    auto after = Binding("Ren", "new \"T\"", cols, {"id"});
    SchemaChange c = Change(SchemaChangeKind::kTableRenamed, after);
    c.old_db = "src";
    c.old_table = "old T";
    Ok(*s, c, after, &before, 30);
    CHECK(Q("SELECT to_regclass('\"Ren\".\"old T\"') IS NULL") == "t");
    CHECK(Rows("\"Ren\".\"new \"\"T\"\"\"", "id, v", "id") == "1|a;2|b");
    CHECK(LastDdl("rename") == "binlog.000003:30");
    Ok(*s, c, after, &before, 31);  // a replay finds it renamed
    Apply(*s, after, {Ins({int64_t{3}, Utf8("c")}), Del({int64_t{1}, Utf8("a")})}, 32);
    CHECK(Rows("\"Ren\".\"new \"\"T\"\"\"", "id, v", "id") == "2|b;3|c");

    auto moved = Binding("Other \"S\"", "moved", cols, {"id"});
    Ok(*s, Change(SchemaChangeKind::kTableRenamed, moved), moved, &after, 33);
    CHECK(Rows("\"Other \"\"S\"\"\".moved", "id, v", "id") == "2|b;3|c");
    Apply(*s, moved, {Upd({int64_t{2}, Utf8("b")}, {int64_t{2}, Utf8("B")})}, 34);
    CHECK(Rows("\"Other \"\"S\"\"\".moved", "id, v", "id") == "2|B;3|c");

    auto nowhere = Binding("Ren", "never there", cols, {"id"});
    auto elsewhere = Binding("Ren", "nor here", cols, {"id"});
    Status st =
        ApplyStatement(*s, Change(SchemaChangeKind::kTableRenamed, elsewhere), elsewhere, &nowhere, 35);
    CHECK(st.code() == StatusCode::kFailedPrecondition);
    CHECK(st.message().find("neither table exists") != std::string::npos);
    CHECK(LastDdl("rename") == "binlog.000003:33");
  }

  TEST_CASE("truncate_table empties the table and later rows land") {
    auto s = Open("truncate");
    auto b = Binding("tr", "T", {Col("id", "int", "int", false)}, {"id"});
    Prepare(*s, b, {Ins({int64_t{1}}), Ins({int64_t{2}})});
    Ok(*s, Change(SchemaChangeKind::kTableTruncated, b), b, nullptr, 40);
    CHECK(Q("SELECT count(*) FROM tr.\"T\"") == "0");
    Apply(*s, b, {Ins({int64_t{3}})}, 41);
    CHECK(Rows("tr.\"T\"", "id", "id") == "3");
  }

  TEST_CASE("add_column appends a NULL-able column; rows written later are matched by name") {
    auto s = Open("add");
    auto* pg = dynamic_cast<postgres::PgSink*>(s.get());
    REQUIRE(pg);
    struct Variant {
      const char* name;
      postgres::ApplyStrategy strategy;
      bool keyed;
    };
    for (Variant v : {Variant{"staging", postgres::ApplyStrategy::kStaging, true},
                      Variant{"multirow", postgres::ApplyStrategy::kMultiRowInsert, true},
                      Variant{"keyless", postgres::ApplyStrategy::kStaging, false}}) {
      SUBCASE(v.name) {
        pg->SetApplyStrategy(v.strategy);
        std::vector<std::string> key = v.keyed ? std::vector<std::string>{"Id"} : std::vector<std::string>{};
        std::string table = std::string("add ") + v.name;
        auto before = Binding("Add", table, {Col("Id", "int", "int", false), Col("na\"me", "varchar", "varchar(5)")},
                              key);
        Prepare(*s, before, {Ins({int64_t{1}, Utf8("a")}), Ins({int64_t{2}, Utf8("b")})});
        // ALTER TABLE ... ADD COLUMN `Größe x` INT FIRST
        auto after = Binding("Add", table, {Col("Größe x", "int", "int"), Col("Id", "int", "int", false),
                                            Col("na\"me", "varchar", "varchar(5)")},
                             key);
        SchemaChange c = Change(SchemaChangeKind::kColumnAdded, after, "Größe x");
        c.after = after.source.columns[0];
        c.position = 0;
        Ok(*s, c, after, &before, 50);
        CHECK(Shape("Add", table) == "Id:integer:NO,na\"me:character varying(5):YES,Größe x:integer:YES");
        CHECK(LastDdl("add") == "binlog.000003:50");
        Ok(*s, c, after, &before, 51);  // a replay finds the column there

        std::string q = "\"Add\".\"" + table + "\"";
        Apply(*s, after, {Ins({int64_t{7}, int64_t{3}, Utf8("c")}),
                          Upd({Value(), int64_t{2}, Utf8("b")}, {int64_t{8}, int64_t{2}, Utf8("bb")})}, 52);
        CHECK(Rows(q, "\"Id\", \"na\"\"me\", \"Größe x\"", "\"Id\"") == "1|a;2|bb|8;3|c|7");
      }
    }
  }

  TEST_CASE("drop_column and rename_column keep the rows; later rows land in the new shape") {
    auto s = Open("columns");
    auto b0 = Binding("Col", "T", {Col("id", "int", "int", false), Col("Old Name", "text", "text"),
                                   Col("gone", "int", "int")},
                      {"id"});
    Prepare(*s, b0, {Ins({int64_t{1}, Utf8("x"), int64_t{5}})});

    auto b1 = Binding("Col", "T", {Col("id", "int", "int", false), Col("Old Name", "text", "text")}, {"id"});
    SchemaChange drop = Change(SchemaChangeKind::kColumnDropped, b1, "gone");
    drop.before = b0.source.columns[2];
    Ok(*s, drop, b1, &b0, 60);
    CHECK(Shape("Col", "T") == "id:integer:NO,Old Name:text:YES");
    Ok(*s, drop, b1, &b0, 61);  // replay
    Apply(*s, b1, {Ins({int64_t{2}, Utf8("y")})}, 62);

    auto b2 = Binding("Col", "T", {Col("id", "int", "int", false), Col("new \"N\"", "text", "text")}, {"id"});
    SchemaChange ren = Change(SchemaChangeKind::kColumnRenamed, b2, "new \"N\"");
    ren.old_column = "Old Name";
    Ok(*s, ren, b2, &b1, 63);
    CHECK(Shape("Col", "T") == "id:integer:NO,new \"N\":text:YES");
    Ok(*s, ren, b2, &b1, 64);  // replay
    CHECK(LastDdl("columns") == "binlog.000003:64");
    Apply(*s, b2, {Ins({int64_t{3}, Utf8("z")}), Upd({int64_t{1}, Utf8("x")}, {int64_t{1}, Utf8("X")})}, 65);
    CHECK(Rows("\"Col\".\"T\"", "id, \"new \"\"N\"\"\"", "id") == "1|X;2|y;3|z");

    // A NOT NULL source column arrives NULL-able: the rows already there have no value for it.
    auto b3 = b2;
    b3.source.columns.push_back(Col("req", "int", "int", false));
    SchemaChange add = Change(SchemaChangeKind::kColumnAdded, b3, "req");
    add.after = b3.source.columns.back();
    Ok(*s, add, b3, &b2, 66);
    CHECK(Shape("Col", "T") == "id:integer:NO,new \"N\":text:YES,req:integer:YES");
    Apply(*s, b3, {Ins({int64_t{4}, Utf8("w"), int64_t{0}})}, 67);
    CHECK(Rows("\"Col\".\"T\"", "id, req", "id") == "1;2;3;4|0");
  }

  TEST_CASE("modify_column widens types, keeps values and follows nullability") {
    auto s = Open("modify");
    std::vector<ColumnSchema> cols = {Col("id", "int", "int", false), Col("v", "varchar", "varchar(20)"),
                                      Dec("d", 10, 2), BitCol("b", 4), Col("n", "int", "int", false)};
    auto b0 = Binding("Mod", "T", cols, {"id"});
    Prepare(*s, b0, {Ins({int64_t{1}, Utf8("short"), Decimal{"12345678.91"}, Bit{5, 4}, int64_t{7}})});

    auto widen = [&](const TableBinding& before, size_t i, ColumnSchema to, uint64_t offset) {
      TableBinding after = before;
      after.source.columns[i] = to;
      SchemaChange c = Change(SchemaChangeKind::kColumnModified, after, to.name);
      c.before = before.source.columns[i];
      c.after = to;
      Ok(*s, c, after, &before, offset);
      Ok(*s, c, after, &before, offset + 1);  // a replay finds the new type
      return after;
    };
    auto b1 = widen(b0, 0, Col("id", "bigint", "bigint", false), 70);
    auto b2 = widen(b1, 1, Col("v", "varchar", "varchar(100)", false), 72);
    auto b3 = widen(b2, 2, Dec("d", 20, 4), 74);
    auto b4 = widen(b3, 3, BitCol("b", 8), 76);
    auto b5 = widen(b4, 4, Col("n", "int", "int", true), 78);
    CHECK(Shape("Mod", "T") ==
          "id:bigint:NO,v:character varying(100):NO,d:numeric:YES,b:bit(8):YES,n:integer:YES");
    CHECK(Q("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '\"Mod\".\"T\"'::regclass "
            "AND attname = 'd'") == "numeric(20,4)");
    CHECK(Rows("\"Mod\".\"T\"", "id, v, d, b, n", "id") == "1|short|12345678.9100|00000101|7");
    CHECK(LastDdl("modify") == "binlog.000003:79");
    Apply(*s, b5,
          {Ins({int64_t{5000000000}, Utf8(std::string(100, 'x')), Decimal{"1234567890123456.1234"}, Bit{255, 8},
                Value()})},
          80);
    CHECK(Rows("\"Mod\".\"T\"", "id, length(v), d, b, n", "id") ==
          "1|5|12345678.9100|00000101|7;5000000000|100|1234567890123456.1234|11111111");
  }

  TEST_CASE("a change that fails leaves neither the DDL nor its statement record") {
    auto s = Open("fail");
    auto b0 = Binding("Fail", "T", {Col("id", "int", "int", false), Col("v", "varchar", "varchar(10)")}, {"id"});
    Prepare(*s, b0, {Ins({int64_t{1}, Utf8("12")}), Ins({int64_t{2}, Utf8("abc")})});
    Ok(*s, Change(SchemaChangeKind::kTableTruncated, b0), b0, nullptr, 89);  // the checkpoint to keep
    Apply(*s, b0, {Ins({int64_t{1}, Utf8("12")}), Ins({int64_t{2}, Utf8("abc")})}, 90);

    auto b1 = b0;
    b1.source.columns[1] = Col("v", "int", "int", false);
    SchemaChange c = Change(SchemaChangeKind::kColumnModified, b1, "v");
    c.before = b0.source.columns[1];
    c.after = b1.source.columns[1];
    Status st = ApplyStatement(*s, c, b1, &b0, 91);
    CHECK(st.code() == StatusCode::kDataRejected);  // "abc" is no integer: PostgreSQL refuses the row
    CHECK(st.message().find("modify_column") != std::string::npos);
    CHECK(st.message().find("\"abc\"") != std::string::npos);
    CHECK(Shape("Fail", "T") == "id:integer:NO,v:character varying(10):YES");
    CHECK(LastDdl("fail") == "binlog.000003:89");
    CHECK(Rows("\"Fail\".\"T\"", "id, v", "id") == "1|12;2|abc");
  }

  TEST_CASE("mode existing tables are never altered; a change made by hand is accepted") {
    auto s = Open("existing");
    Pg().Exec("CREATE SCHEMA \"Ex\"", "dw");
    Pg().Exec("CREATE TABLE \"Ex\".\"T\" (id int PRIMARY KEY, v text, mine int)", "dw");
    config::TableSpec existing;
    existing.mode = config::TableMode::kExisting;
    auto b0 = Binding("Ex", "T", {Col("id", "int", "int", false), Col("v", "text", "text")}, {"id"});
    b0.settings = &existing;
    Prepare(*s, b0, {Ins({int64_t{1}, Utf8("a")})});

    auto b1 = b0;
    b1.source.columns.push_back(Col("w", "int", "int"));
    SchemaChange add = Change(SchemaChangeKind::kColumnAdded, b1, "w");
    add.after = b1.source.columns[2];
    Status st = ApplyStatement(*s, add, b1, &b0, 100);
    CHECK(st.code() == StatusCode::kFailedPrecondition);
    CHECK(st.message().find("Ex.T has mode: existing") != std::string::npos);
    CHECK(st.message().find("ALTER TABLE \"Ex\".\"T\" ADD COLUMN IF NOT EXISTS \"w\" integer") != std::string::npos);
    CHECK(Shape("Ex", "T") == "id:integer:NO,v:text:YES,mine:integer:YES");
    CHECK(LastDdl("existing").empty());

    Pg().Exec("ALTER TABLE \"Ex\".\"T\" ADD COLUMN w integer", "dw");
    Ok(*s, add, b1, &b0, 101);
    CHECK(LastDdl("existing") == "binlog.000003:101");

    Status drop = ApplyStatement(*s, Change(SchemaChangeKind::kTableDropped, b1), b1, nullptr, 102);
    CHECK(drop.code() == StatusCode::kFailedPrecondition);
    CHECK(drop.message().find("ddl.drop_table: ignore") != std::string::npos);
    Status trunc = ApplyStatement(*s, Change(SchemaChangeKind::kTableTruncated, b1), b1, nullptr, 103);
    CHECK(trunc.code() == StatusCode::kFailedPrecondition);
    CHECK(Q("SELECT count(*) FROM \"Ex\".\"T\"") == "1");
    CHECK(LastDdl("existing") == "binlog.000003:101");
  }

  TEST_CASE("primary_key changes replace the constraint and upserts follow the new key") {
    auto s = Open("pk");
    auto b0 = Binding("Pk", "T",
                      {Col("a", "int", "int", false), Col("B b", "int", "int", false), Col("v", "text", "text")}, {"a"});
    Prepare(*s, b0, {Ins({int64_t{1}, int64_t{1}, Utf8("x")})});
    auto b1 = b0;
    b1.key = b1.source.primary_key = {"a", "B b"};
    SchemaChange c = Change(SchemaChangeKind::kPrimaryKeyChanged, b1);
    c.old_primary_key = b0.key;
    c.primary_key = b1.key;
    Ok(*s, c, b1, &b0, 110);
    Ok(*s, c, b1, &b0, 111);  // replay
    CHECK(Q("SELECT string_agg(a.attname, ',' ORDER BY array_position(i.indkey::int2[], a.attnum)) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indisprimary AND "
            "i.indrelid = '\"Pk\".\"T\"'::regclass") == "a,B b");
    Apply(*s, b1, {Ins({int64_t{1}, int64_t{2}, Utf8("y")}), Del({int64_t{1}, int64_t{1}, Utf8("x")})}, 112);
    CHECK(Rows("\"Pk\".\"T\"", "a, \"B b\", v", "a, \"B b\"") == "1|2|y");

    // tables[].primary_key fixes the destination key whatever the source does.
    config::TableSpec fixed;
    fixed.primary_key = {"a", "B b"};
    auto b2 = b1;
    b2.settings = &fixed;
    b2.source.primary_key = {"a"};
    Ok(*s, c, b2, &b1, 113);
    CHECK(Q("SELECT count(*) FROM pg_index WHERE indisprimary AND indrelid = '\"Pk\".\"T\"'::regclass AND "
            "indnatts = 2") == "1");
  }

  TEST_CASE("partition_data changes are refused: the table needs a new full initialization") {
    auto s = Open("partition");
    auto b = Binding("Part", "T", {Col("id", "int", "int", false)}, {"id"});
    Prepare(*s, b, {Ins({int64_t{1}})});
    Status st = ApplyStatement(*s, Change(SchemaChangeKind::kPartitionDataChanged, b), b, nullptr, 120);
    CHECK(st.code() == StatusCode::kFailedPrecondition);
    CHECK(st.message().find("full initialization") != std::string::npos);
    CHECK(LastDdl("partition").empty());
  }
}
