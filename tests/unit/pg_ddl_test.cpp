// PostgreSQL/Hologres DDL rendering, type mapping and value text forms: no server.

#include <doctest/doctest.h>

#include "harness/sink_fixtures.hpp"
#include "sink/postgres/pg_ddl.hpp"
#include "sink/postgres/pg_hologres.hpp"
#include "sink/postgres/pg_types.hpp"

using namespace dbsync;
using namespace dbsync::postgres;
using dbsync::testing::Col;

namespace {

sink::TableBinding TrickyBinding() {
  sink::TableBinding b;
  b.source.db = "shop";
  b.source.table = "Order \"Items\"";
  b.source.columns = {Col("Id", "bigint", "bigint(20)", false), Col("line no", "int", "int(11)", false),
                      Col("naïve", "varchar", "varchar(20)"), Col("when", "datetime", "datetime(3)")};
  b.source.columns[3].fsp = 3;
  b.source.primary_key = {"Id", "line no"};
  b.key = b.source.primary_key;
  b.dest_schema = "Shop Schema";
  b.dest_table = "Order \"Items\"";
  return b;
}

std::string Text(const Value& v, const ColumnSchema& c) {
  ValueEncoder enc;
  auto col = MapColumn(c, Dialect::kPostgres);
  REQUIRE(col.ok());
  std::string out;
  Status s = enc.AppendText(v, *col, &out);
  REQUIRE_MESSAGE(s.ok(), s.message());
  return out;
}

}  // namespace

TEST_SUITE("postgres") {
  TEST_CASE("RenderCreateTable quotes every identifier and keeps NOT NULL (PostgreSQL)") {
    auto b = TrickyBinding();
    auto cols = MapColumns(b.source, Dialect::kPostgres);
    REQUIRE(cols.ok());
    auto ddl = RenderCreateTable(b, *cols, Dialect::kPostgres);
    REQUIRE(ddl.ok());
    CHECK(ddl->create_schema == "CREATE SCHEMA IF NOT EXISTS \"Shop Schema\"");
    CHECK(ddl->create_table ==
          "CREATE TABLE IF NOT EXISTS \"Shop Schema\".\"Order \"\"Items\"\"\" (\n"
          "  \"Id\" bigint NOT NULL,\n"
          "  \"line no\" integer NOT NULL,\n"
          "  \"naïve\" varchar(20),\n"
          "  \"when\" timestamp(3) without time zone,\n"
          "  PRIMARY KEY (\"Id\",\"line no\")\n"
          ")");
    CHECK(ddl->properties.empty());
  }

  TEST_CASE("RenderCreateTable sets Hologres properties in the CREATE transaction") {
    auto b = TrickyBinding();
    config::TableSpec spec;
    SUBCASE("defaults: column orientation, distribution key = primary key") {
      b.settings = &spec;
      auto cols = MapColumns(b.source, Dialect::kHologres);
      REQUIRE(cols.ok());
      auto ddl = RenderCreateTable(b, *cols, Dialect::kHologres);
      REQUIRE(ddl.ok());
      CHECK(ddl->create_table.find("\"when\" timestamp without time zone") != std::string::npos);
      REQUIRE(ddl->properties.size() == 2);
      CHECK(ddl->properties[0] ==
            "CALL set_table_property('\"Shop Schema\".\"Order \"\"Items\"\"\"', 'orientation', 'column')");
      CHECK(ddl->properties[1] ==
            "CALL set_table_property('\"Shop Schema\".\"Order \"\"Items\"\"\"', 'distribution_key', "
            "'\"Id\",\"line no\"')");
    }
    SUBCASE("explicit storage, distribution, clustering and event time") {
      spec.storage = "row,column";
      spec.distribution_key = {"Id"};
      spec.clustering_key = {"when:desc", "Id"};
      spec.event_time_column = "when";
      b.settings = &spec;
      auto cols = MapColumns(b.source, Dialect::kHologres);
      auto ddl = RenderCreateTable(b, *cols, Dialect::kHologres);
      REQUIRE(ddl.ok());
      REQUIRE(ddl->properties.size() == 4);
      CHECK(ddl->properties[0].ends_with("'orientation', 'row,column')"));
      CHECK(ddl->properties[1].ends_with("'distribution_key', '\"Id\"')"));
      CHECK(ddl->properties[2].ends_with("'clustering_key', '\"when\":desc,\"Id\"')"));
      CHECK(ddl->properties[3].ends_with("'event_time_column', '\"when\"')"));
    }
    SUBCASE("a property naming a missing column is a spec error") {
      spec.distribution_key = {"nope"};
      b.settings = &spec;
      auto cols = MapColumns(b.source, Dialect::kHologres);
      auto ddl = RenderCreateTable(b, *cols, Dialect::kHologres);
      REQUIRE_FALSE(ddl.ok());
      CHECK(ddl.status().code() == StatusCode::kInvalidArgument);
      CHECK(ddl.status().message().find("'nope'") != std::string::npos);
    }
  }

  TEST_CASE("MapColumn maps every MySQL type") {
    struct Row {
      const char* data_type;
      const char* column_type;
      const char* pg;
    };
    const Row rows[] = {
        {"tinyint", "tinyint(4)", "smallint"},          {"tinyint", "tinyint(3) unsigned", "smallint"},
        {"smallint", "smallint(6)", "smallint"},        {"smallint", "smallint unsigned", "integer"},
        {"mediumint", "mediumint unsigned", "integer"}, {"int", "int(11)", "integer"},
        {"int", "int unsigned", "bigint"},              {"bigint", "bigint", "bigint"},
        {"bigint", "bigint unsigned", "numeric(20,0)"}, {"float", "float", "real"},
        {"double", "double", "double precision"},       {"year", "year(4)", "smallint"},
        {"date", "date", "date"},                       {"time", "time", "interval"},
        {"datetime", "datetime", "timestamp(0) without time zone"},
        {"timestamp", "timestamp", "timestamp(0) with time zone"},
        {"char", "char(0)", "text"},                    {"char", "char(5)", "varchar(5)"},
        {"tinytext", "tinytext", "text"},               {"longtext", "longtext", "text"},
        {"binary", "binary(4)", "bytea"},               {"longblob", "longblob", "bytea"},
        {"enum", "enum('a','b')", "text"},              {"set", "set('a','b')", "text"},
        {"json", "json", "jsonb"},                      {"point", "point", "bytea"},
        {"geometry", "geometry", "bytea"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.column_type);
      auto m = MapColumn(Col("c", r.data_type, r.column_type), Dialect::kPostgres);
      REQUIRE(m.ok());
      CHECK(m->type == r.pg);
    }
    ColumnSchema dec = Col("d", "decimal", "decimal(65,30)");
    dec.precision = 65;
    dec.scale = 30;
    CHECK(MapColumn(dec, Dialect::kPostgres)->type == "numeric(65,30)");
    CHECK(MapColumn(dec, Dialect::kHologres)->type == "text");
    ColumnSchema bit = Col("b", "bit", "bit(1)");
    bit.precision = 1;
    CHECK(MapColumn(bit, Dialect::kPostgres)->type == "bit(1)");
    auto unknown = MapColumn(Col("u", "inet6", "inet6"), Dialect::kPostgres);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.status().message().find("inet6") != std::string::npos);
  }

  TEST_CASE("ValueEncoder renders PostgreSQL text input") {
    CHECK(Text(Value(uint64_t{18446744073709551615ull}), Col("c", "bigint", "bigint unsigned")) ==
          "18446744073709551615");
    CHECK(Text(Value(int64_t{-1}), Col("c", "int", "int unsigned")) == "4294967295");
    CHECK(Text(Value(0.1f), Col("c", "float", "float")) == "0.1");
    CHECK(Text(Value(Time{true, 838, 59, 59, 0, 0}), Col("c", "time", "time")) == "-838:59:59");
    CHECK(Text(Value(Time{true, 0, 0, 1, 500000, 6}), Col("c", "time", "time(6)")) == "-0:00:01.500000");
    CHECK(Text(Value(Date{0, 0, 0}), Col("c", "date", "date")) == "-infinity");
    CHECK(Text(Value(Date{2020, 0, 15}), Col("c", "date", "date")) == "-infinity");
    CHECK(Text(Value(Date{1, 2, 3}), Col("c", "date", "date")) == "0001-02-03");
    CHECK(Text(Value(DateTime{999, 12, 31, 0, 0, 9, 1, 6}), Col("c", "datetime", "datetime(6)")) ==
          "0999-12-31 00:00:09.000001");
    CHECK(Text(Value(Time{false, 5, 7, 9, 0, 0}), Col("c", "time", "time")) == "5:07:09");
    CHECK(Text(Value(Time{false, 123, 0, 0, 999999, 6}), Col("c", "time", "time(6)")) == "123:00:00.999999");
    CHECK(Text(Value(DateTime{2024, 2, 29, 13, 5, 7, 123000, 3}), Col("c", "datetime", "datetime(3)")) ==
          "2024-02-29 13:05:07.123000");
    CHECK(Text(Value(Timestamp{0, 0, 0}), Col("c", "timestamp", "timestamp")) == "-infinity");
    CHECK(Text(Value(Timestamp{2147483647, 5, 6}), Col("c", "timestamp", "timestamp(6)")) ==
          "2038-01-19 03:14:07.000005+00");
    ColumnSchema bit = Col("c", "bit", "bit(10)");
    bit.precision = 10;
    CHECK(Text(Value(Bit{0x201, 10}), bit) == "1000000001");
    ColumnSchema e = Col("c", "enum", "enum('a','b')");
    e.enum_values = {"a", "b"};
    CHECK(Text(Value(Enum{2, ""}), e) == "b");
    CHECK(Text(Value(Set{0b11, {}, false}), e) == "a,b");
    CHECK(Text(Value(Geometry{4326, std::string("\x01\x02", 2)}), Col("c", "point", "point")) == "\\xe61000000102");
    ColumnSchema latin = Col("c", "varchar", "varchar(10)");
    latin.charset = "latin1";
    CHECK(Text(Value(Bytes{"caf\xE9 \x80", 8}), latin) == "caf\xC3\xA9 \xE2\x82\xAC");
  }

  TEST_CASE("ValueEncoder refuses NUL and invalid bytes in text, never in bytea") {
    ValueEncoder enc;
    auto text = MapColumn(Col("c", "varchar", "varchar(10)"), Dialect::kPostgres);
    auto blob = MapColumn(Col("c", "blob", "blob"), Dialect::kPostgres);
    std::string out;
    Status nul = enc.AppendText(Value(Bytes{std::string("a\0b", 3), 45}), *text, &out);
    CHECK(nul.code() == StatusCode::kFailedPrecondition);
    CHECK(nul.message().find("NUL") != std::string::npos);
    Status bad = enc.AppendText(Value(Bytes{"a\xC3(", 45}), *text, &out);
    CHECK(bad.code() == StatusCode::kFailedPrecondition);
    CHECK(bad.message().find("not valid UTF-8") != std::string::npos);
    out.clear();
    CHECK(enc.AppendText(Value(Bytes{std::string("a\0b", 3), 63}), *blob, &out).ok());
    CHECK(out == "\\x610062");
    // Past the first eight bytes, where ASCII is checked eight bytes at a time.
    Status late_nul = enc.AppendText(Value(Bytes{std::string("0123456789\0abcdefgh", 19), 45}), *text, &out);
    CHECK(late_nul.message().find("NUL") != std::string::npos);
    Status late_bad = enc.AppendText(Value(Bytes{"0123456789abcdef\xC3(xyzxyzxy", 45}), *text, &out);
    CHECK(late_bad.message().find("at byte 16") != std::string::npos);
    out.clear();
    CHECK(enc.AppendText(Value(Bytes{"01234567na\xC3\xAFve 0123456789 \xE2\x98\x83", 45}), *text, &out).ok());
    CHECK(out == "01234567na\xC3\xAFve 0123456789 \xE2\x98\x83");
  }

  TEST_CASE("CharsetConverter converts through iconv and knows collation ids") {
    CHECK(CharsetOfCollation(8) == "latin1");
    CHECK(CharsetOfCollation(255) == "utf8mb4");
    CHECK(CharsetOfCollation(28) == "gbk");
    CHECK(CharsetOfCollation(1000).empty());
    CharsetConverter conv;
    std::string out;
    REQUIRE(conv.AppendUtf8("gbk", "\xD6\xD0\xCE\xC4", &out).ok());
    CHECK(out == "\xE4\xB8\xAD\xE6\x96\x87");  // 中文
    Status bad = conv.AppendUtf8("gbk", "\xD6", &out);
    CHECK(bad.code() == StatusCode::kFailedPrecondition);
    CHECK(conv.CheckSupported("dec8").code() == StatusCode::kFailedPrecondition);
    CHECK(conv.CheckSupported("cp1251").ok());
  }

  TEST_CASE("COPY text escaping") {
    std::string out;
    AppendCopyEscaped("a\tb\nc\\d\re", &out);
    CHECK(out == "a\\tb\\nc\\\\d\\re");
  }
}

TEST_CASE("Hologres version detection and the session its transactions need") {
  auto v = ParseHologresVersion(
      "Hologres 2.1.5 (tag: 2.1.5 build: Release,Skylake,clang), compatible with PostgreSQL 11.3 (Release-build@abc "
      "on origin/release-2.1.x) on x86_64-pc-linux-gnu, compiled by clang 10.0.0, 64-bit");
  REQUIRE(v.has_value());
  CHECK(v->major == 2);
  CHECK(v->minor == 1);
  CHECK(v->fix == 5);
  auto old = ParseHologresVersion("PostgreSQL 11.3 (Release-build@1234 on origin/release-0.8.x) on x86_64-pc-linux-gnu");
  REQUIRE(old.has_value());
  CHECK(old->major == 0);
  CHECK(old->minor == 8);
  CHECK(!ParseHologresVersion("PostgreSQL 15.5 (Debian 15.5-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc").has_value());

  auto setup = HologresSessionSetup(*v);
  REQUIRE(setup.ok());
  CHECK(*setup == std::vector<std::string>{"SET hg_experimental_enable_transaction = on"});
  auto v31 = HologresSessionSetup(HologresVersion{3, 1, 2});
  REQUIRE(v31.ok());
  CHECK(*v31 == std::vector<std::string>{"SET hg_experimental_enable_transaction = on",
                                         "SET hg_enable_truncate_as_dml = off"});
  auto refused = HologresSessionSetup(HologresVersion{1, 3, 55});
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  CHECK(refused.status().message().find("Hologres 1.3.55") != std::string::npos);
  CHECK(refused.status().message().find("V2.0") != std::string::npos);
}
