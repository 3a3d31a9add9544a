#include <doctest/doctest.h>

#include "harness/sink_fixtures.hpp"

#include "sink/shaping/table_shape.hpp"

using namespace dbsync;
using namespace dbsync::sink;

namespace {

TableSchema Events() {
  TableSchema t;
  t.db = "shop";
  t.table = "events";
  auto col = [&](const char* name, const char* type) { t.columns.push_back(testing::Col(name, type, type)); };
  col("id", "int");
  col("status", "varchar");
  col("created", "datetime");
  t.primary_key = {"id"};
  return t;
}

// shop.events keyed by id, with `settings` as its tables[] entry.
TableBinding KeyedEvents(const config::TableSpec& settings) {
  TableBinding b;
  b.source = Events();
  b.key = {"id"};
  b.settings = &settings;
  return b;
}

ShapeNames Names() { return {"shop", "events", "db1.example", "dw", "events_dest"}; }

Value Text(const char* s) { return Bytes{s, 45}; }

std::vector<Value> Row(int64_t id, const char* status) {
  return {Value(id), Text(status), Value(DateTime{2024, 2, 29, 13, 5, 9, 120000, 6})};
}

std::string MakeError(const std::string& type, const std::string& value) {
  auto made = AddedColumn::Make("f", type, value, Events(), Names());
  REQUIRE_FALSE(made.ok());
  return made.status().message();
}

Value Compute(const std::string& type, const std::string& value, const RowContext& ctx = {}) {
  auto made = AddedColumn::Make("f", type, value, Events(), Names());
  REQUIRE_MESSAGE(made.ok(), made.status().message());
  auto v = made->Compute(Row(7, "paid"), ctx);
  REQUIRE_MESSAGE(v.ok(), v.status().message());
  return *v;
}

}  // namespace

TEST_SUITE("added fields") {
  TEST_CASE("variables, columns with formats and templates, converted to the field's type") {
    CHECK(Compute("text", "${DB_NAME_SRC}.${TABLE_NAME_SRC}@${DATASOURCE_NAME_SRC}") ==
          Value(Bytes{"shop.events@db1.example", 46}));
    CHECK(Compute("varchar(40)", "${DB_NAME_DEST}/${TABLE_NAME_DEST}") == Value(Bytes{"dw/events_dest", 46}));
    CHECK(Compute("int", "${created:%Y%m%d}") == Value(int64_t{20240229}));
    CHECK(Compute("text", "${created:%y-%j %H:%M:%S.%f %%}") == Value(Bytes{"24-060 13:05:09.120000 %", 46}));
    CHECK(Compute("bigint", "${id}") == Value(int64_t{7}));
    CHECK(Compute("decimal(6,2)", "${id}") == Value(Decimal{"7.00"}));
    CHECK(Compute("date", "${created}") == Value(Date{2024, 2, 29}));
    CHECK(Compute("boolean", "1") == Value(int64_t{1}));
    RowContext ctx;
    ctx.op = 'U';
    ctx.commit_time = 1709211909;  // 2024-02-29 13:05:09 UTC
    ctx.sequence = 420000001234;
    ctx.execute_time = Timestamp{1709211910, 250000, 3};
    ctx.after_image = false;
    CHECK(Compute("bigint", "${EXECUTE_TIME}", ctx) == Value(int64_t{1709211910250}));  // milliseconds
    CHECK(Compute("text", "${EXECUTE_TIME}", ctx) == Value(Bytes{"1709211910250", 46}));
    CHECK(Compute("datetime", "${COMMIT_TIME}", ctx) == Value(DateTime{2024, 2, 29, 13, 5, 9, 0, 0}));
    CHECK(Compute("timestamp(3)", "${EXECUTE_TIME}", ctx) == Value(Timestamp{1709211910, 250000, 3}));
    CHECK(Compute("varchar(1)", "${OP_TYPE}", ctx) == Value(Bytes{"U", 46}));
    CHECK(Compute("bigint", "${SEQUENCE_ID}", ctx) == Value(int64_t{420000001234}));
    CHECK(Compute("text", "${IS_BEFORE_IMAGE}${IS_AFTER_IMAGE}", ctx) == Value(Bytes{"YN", 46}));
  }

  TEST_CASE("what cannot be an added field is refused with the reason") {
    CHECK(MakeError("text", "${TABLE_NAME_SCR}").find("did you mean ${TABLE_NAME_SRC}?") != std::string::npos);
    CHECK(MakeError("text", "${craeted}").find("did you mean ${created}?") != std::string::npos);
    CHECK(MakeError("text", "${created:%Q}").find("unknown format %Q") != std::string::npos);
    CHECK(MakeError("text", "${id").find("'${' without its '}'") != std::string::npos);
    CHECK(MakeError("bigint", "abc").find("'abc' is not an integer") != std::string::npos);
    CHECK(MakeError("varchar(3)", "abcd").find("longer than varchar(3)") != std::string::npos);
    CHECK(MakeError("decimal(4,2)", "123.5").find("does not fit decimal(4,2)") != std::string::npos);
    CHECK(MakeError("int", "3000000000").find("out of an int's range") != std::string::npos);
    CHECK(MakeError("json", "x").find("is not one sync gives a column") != std::string::npos);
    CHECK(MakeError("date", "2024-02-30x").find("is not a date or time") != std::string::npos);
  }
}

TEST_SUITE("table shape") {
  TEST_CASE("column_types and type_overrides retype source columns at the destination and convert their values") {
    config::TableSpec settings;
    settings.column_types = {{"id", "text"}};
    settings.type_overrides = {{"datetime", "varchar(32)"}, {"int", "bigint"}};  // id's own entry wins
    TableBinding b = KeyedEvents(settings);
    auto shape = TableShape::Make(b, Names());
    REQUIRE_MESSAGE(shape.ok(), shape.status().message());
    const TableShape& s = **shape;
    CHECK_FALSE(s.passthrough());
    REQUIRE(s.inner().source.columns.size() == 3);
    CHECK(s.inner().source.columns[0].data_type == "text");
    CHECK(s.inner().source.columns[1] == Events().columns[1]);  // varchar: untouched
    CHECK(s.inner().source.columns[2].column_type == "varchar(32)");
    CHECK(s.inner().key == std::vector<std::string>{"id"});

    std::vector<RowChange> in = {{RowChange::Op::kUpdate, Row(3, "new"), Row(4, "paid"), 100, 5}};
    std::vector<RowChange> out;
    DmlCounts counts;
    REQUIRE(s.ShapeChanges(in, Timestamp{200, 0, 3}, &out, &counts).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].before[0] == Value(Bytes{"3", 46}));
    CHECK(out[0].after[0] == Value(Bytes{"4", 46}));
    CHECK(out[0].after[1] == Text("paid"));
    CHECK(out[0].after[2] == Value(Bytes{"2024-02-29 13:05:09.120000", 46}));
    // A DDL's column definitions and fill values go the same way.
    auto added = s.DestinationColumn(testing::Col("later", "datetime", "datetime"));
    REQUIRE(added.ok());
    CHECK(added->column_type == "varchar(32)");
    auto plain = s.DestinationColumn(testing::Col("note", "text", "text"));
    REQUIRE(plain.ok());
    CHECK(plain->column_type == "text");

    // A value the type cannot hold stops the batch naming the column and the row.
    settings.column_types = {{"status", "int"}};
    settings.type_overrides.clear();
    auto strict = TableShape::Make(b, Names());
    REQUIRE(strict.ok());
    std::vector<RowChange> bad = {{RowChange::Op::kInsert, {}, Row(9, "paid"), 100, 5}};
    out.clear();
    Status st = (*strict)->ShapeChanges(bad, Timestamp{200, 0, 3}, &out, &counts);
    REQUIRE_FALSE(st.ok());
    CHECK_MESSAGE(st.message().find("column status of shop.events cannot be written as int") != std::string::npos,
                  st.message());
    CHECK(st.message().find("(id)=(9)") != std::string::npos);

    settings.column_types = {{"stauts", "text"}};
    auto misspelt = TableShape::Make(b, Names());
    REQUIRE_FALSE(misspelt.ok());
    CHECK(misspelt.status().message().find("did you mean 'status'?") != std::string::npos);
  }

  TEST_CASE("filters, a logical delete and added columns turn changes into what the destination applies") {
    config::TableSpec settings;
    settings.dml["insert"] = {config::DmlAction::kFilter, "status <> 'void'"};
    settings.dml["update"] = {config::DmlAction::kFilter, "status <> 'void'"};
    config::DmlPolicy logical;
    logical.action = config::DmlAction::kLogicalDelete;
    logical.column = "gone";
    logical.value = "yes";
    logical.live_value = "no";
    logical.time_column = "gone_at";
    settings.dml["delete"] = logical;
    settings.extra_fields = {{"op", "varchar(1)", "${OP_TYPE}"}};
    TableBinding b = KeyedEvents(settings);
    auto shape = TableShape::Make(b, Names());
    REQUIRE_MESSAGE(shape.ok(), shape.status().message());
    const TableShape& s = **shape;
    CHECK_FALSE(s.passthrough());
    REQUIRE(s.inner().source.columns.size() == 6);
    CHECK(s.inner().source.columns[3].name == "op");
    CHECK(s.inner().source.columns[4].column_type == "varchar(255)");  // 'yes'/'no' are not integers
    CHECK(s.inner().source.columns[5].data_type == "timestamp");

    std::vector<RowChange> in = {
        {RowChange::Op::kInsert, {}, Row(1, "new"), 100, 5},
        {RowChange::Op::kInsert, {}, Row(2, "void"), 100, 5},           // filtered
        {RowChange::Op::kUpdate, Row(3, "new"), Row(3, "void"), 100, 5},  // leaves: marked deleted
        {RowChange::Op::kUpdate, Row(4, "void"), Row(4, "paid"), 100, 5}, // appears
        {RowChange::Op::kUpdate, Row(5, "void"), Row(5, "void"), 100, 5}, // filtered
        {RowChange::Op::kDelete, Row(6, "paid"), {}, 100, 5},             // marked
        {RowChange::Op::kDelete, Row(7, "void"), {}, 100, 5},             // never there: filtered
    };
    std::vector<RowChange> out;
    DmlCounts counts;
    REQUIRE(s.ShapeChanges(in, Timestamp{200, 0, 3}, &out, &counts).ok());
    CHECK(counts.applied == 4);
    CHECK(counts.filtered == 3);
    CHECK(counts.ignored == 0);
    REQUIRE(out.size() == 4);
    CHECK(out[0].op == RowChange::Op::kInsert);
    CHECK(out[0].after[3] == Value(Bytes{"I", 46}));
    CHECK(out[0].after[4] == Value(Bytes{"no", 46}));
    CHECK(out[0].after[5].is_null());
    // The update that leaves the filter: the old row, marked, at the commit time.
    CHECK(out[1].op == RowChange::Op::kUpdate);
    CHECK(out[1].after[1] == Text("new"));
    CHECK(out[1].after[3] == Value(Bytes{"D", 46}));
    CHECK(out[1].after[4] == Value(Bytes{"yes", 46}));
    CHECK(out[1].after[5] == Value(Timestamp{100, 0, 0}));
    CHECK(out[1].before[4] == Value(Bytes{"no", 46}));
    CHECK(out[2].op == RowChange::Op::kUpdate);
    CHECK(out[2].after[1] == Text("paid"));
    CHECK(out[2].after[3] == Value(Bytes{"U", 46}));
    CHECK(out[3].after[0] == Value(int64_t{6}));
    CHECK(out[3].after[4] == Value(Bytes{"yes", 46}));
    // Full initialization copies only the rows the insert filter keeps.
    std::vector<Value> copied;
    CHECK(*s.ShapeCopiedRow(Row(8, "new"), RowContext{}, &copied));
    CHECK(copied.size() == 6);
    CHECK_FALSE(*s.ShapeCopiedRow(Row(9, "void"), RowContext{}, &copied));
  }

  TEST_CASE("a table without a key cannot take values from the change; names must be new") {
    config::TableSpec settings;
    settings.extra_fields = {{"written", "bigint", "${EXECUTE_TIME}"}};
    TableBinding b;
    b.source = Events();
    b.settings = &settings;  // no key
    auto keyless = TableShape::Make(b, Names());
    REQUIRE_FALSE(keyless.ok());
    CHECK(keyless.status().message().find("the table has no key") != std::string::npos);
    settings.extra_fields = {{"Status", "text", "x"}};
    b.key = {"id"};
    auto clash = TableShape::Make(b, Names());
    REQUIRE_FALSE(clash.ok());
    CHECK(clash.status().message().find("is a column of the source table") != std::string::npos);
    settings.extra_fields = {};
    settings.dml["update"] = {config::DmlAction::kFilter, "stauts = 1"};
    auto typo = TableShape::Make(b, Names());
    REQUIRE_FALSE(typo.ok());
    CHECK(typo.status().message().find("did you mean 'status'?") != std::string::npos);
  }
}

TEST_SUITE("partitions") {
  TEST_CASE("an added partition column from a template joins the key; a move is a key change") {
    config::TableSpec settings;
    settings.partition = config::PartitionSpec{"month", "${created:%Y%m}"};
    TableBinding b = KeyedEvents(settings);
    auto shape = TableShape::Make(b, Names());
    REQUIRE_MESSAGE(shape.ok(), shape.status().message());
    const TableShape& s = **shape;
    CHECK_FALSE(s.passthrough());
    REQUIRE(s.inner().source.columns.size() == 4);
    CHECK(s.inner().source.columns[3].name == "month");
    CHECK(s.inner().source.columns[3].data_type == "text");
    CHECK(s.inner().key == std::vector<std::string>{"id", "month"});

    std::vector<Value> moved = Row(1, "paid");
    moved[2] = Value(DateTime{2024, 3, 1, 0, 0, 0, 0, 0});
    std::vector<RowChange> out;
    DmlCounts counts;
    REQUIRE(s.ShapeChanges({{RowChange::Op::kUpdate, Row(1, "paid"), moved, 100, 5}}, Timestamp{200, 0, 3}, &out,
                           &counts).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].before[3] == Value(Bytes{"202402", 46}));
    CHECK(out[0].after[3] == Value(Bytes{"202403", 46}));

    // A row without a partition value stops the batch, naming the row.
    std::vector<Value> undated = Row(9, "new");
    undated[2] = Value();
    out.clear();
    Status null = s.ShapeChanges({{RowChange::Op::kInsert, {}, undated, 100, 5}}, Timestamp{200, 0, 3}, &out, &counts);
    REQUIRE_FALSE(null.ok());
    CHECK_MESSAGE(null.message().find("the partition column month of shop.events (tables[].partition) is NULL for the "
                                      "row with key (id)=(9)") != std::string::npos, null.message());
  }

  TEST_CASE("a source column partitions as it is; what cannot partition is refused with the reason") {
    config::TableSpec settings;
    settings.partition = config::PartitionSpec{"status", ""};
    TableBinding b = KeyedEvents(settings);
    auto own = TableShape::Make(b, Names());
    REQUIRE_MESSAGE(own.ok(), own.status().message());
    CHECK((*own)->inner().source.columns.size() == 3);
    CHECK((*own)->inner().key == std::vector<std::string>{"id", "status"});

    auto refused = [&](config::PartitionSpec p, bool keyed = true) {
      settings.partition = p;
      TableBinding t = KeyedEvents(settings);
      if (!keyed) t.key.clear();
      auto made = TableShape::Make(t, Names());
      REQUIRE_FALSE(made.ok());
      return made.status().message();
    };
    CHECK(refused({"status", "${id}"}).find("is a column of the table, whose own values partition it") !=
          std::string::npos);
    CHECK(refused({"day", ""}).find("is not a column of the table; give value") != std::string::npos);
    CHECK(refused({"day", "${COMMIT_TIME}"}).find("takes its value from the change") != std::string::npos);
    CHECK_MESSAGE(refused({"day", "${craeted:%Y}"}).find("craeted") != std::string::npos,
                  refused({"day", "${craeted:%Y}"}));
    CHECK(refused({"status", ""}, false).find("the table has no key") != std::string::npos);
  }
}

TEST_SUITE("columns") {
  TEST_CASE("exclude_columns and column_names: the destination's columns, key and rows") {
    config::TableSpec settings;
    settings.exclude_columns = {"status"};
    settings.column_names = {{"id", "event_id"}, {"created", "at"}};
    settings.extra_fields = {{"src", "text", "${TABLE_NAME_SRC}"}};
    TableBinding b = KeyedEvents(settings);
    auto shape = TableShape::Make(b, Names());
    REQUIRE_MESSAGE(shape.ok(), shape.status().message());
    const TableShape& s = **shape;
    std::vector<std::string> names;
    for (const auto& c : s.inner().source.columns) names.push_back(c.name);
    CHECK(names == std::vector<std::string>{"event_id", "at", "src"});
    CHECK(s.inner().key == std::vector<std::string>{"event_id"});
    CHECK(s.inner().source.columns[1].data_type == "datetime");
    std::vector<Value> copied;
    REQUIRE(*s.ShapeCopiedRow(Row(3, "paid"), RowContext{}, &copied));
    REQUIRE(copied.size() == 3);
    CHECK(copied[0] == Value(int64_t{3}));
    CHECK(copied[1] == Row(3, "paid")[2]);
    CHECK(copied[2] == Value(Bytes{"events", 46}));
    CHECK(s.Excludes("status"));
    CHECK(s.DestinationName("created") == "at");
  }

  TEST_CASE("what cannot be excluded or renamed is refused with the reason") {
    config::TableSpec settings;
    auto refused = [&]() {
      TableBinding b = KeyedEvents(settings);
      auto made = TableShape::Make(b, Names());
      REQUIRE_FALSE(made.ok());
      return made.status().message();
    };
    settings.exclude_columns = {"stauts"};
    CHECK(refused().find("tables[].exclude_columns names column 'stauts', which shop.events does not have; did you "
                         "mean 'status'?") != std::string::npos);
    settings.exclude_columns = {"id"};
    CHECK(refused().find("a key column of shop.events") != std::string::npos);
    settings.exclude_columns = {};
    settings.column_names = {{"status", "ID"}};
    CHECK(refused().find("two columns named ID") != std::string::npos);
    settings.column_names = {{"craeted", "at"}};
    CHECK(refused().find("did you mean 'created'?") != std::string::npos);
  }
}
