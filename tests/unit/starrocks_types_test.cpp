// StarRocks type mapping, CREATE TABLE and JSON load bodies (specs/starrocks.md
// 2.2, 3.2, 3.3): no server.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness/sink_fixtures.hpp"
#include "sink/starrocks/sr_types.hpp"

using namespace dbsync;
using namespace dbsync::starrocks;
using dbsync::testing::Col;

namespace {

std::string TypeOf(ColumnSchema c, bool key = false) {
  auto mapped = MapColumn(c, key);
  REQUIRE_MESSAGE(mapped.ok(), mapped.status().message());
  return mapped->type;
}

ColumnSchema TextCol(const std::string& type, const std::string& decl, const std::string& charset) {
  ColumnSchema c = Col("c", type, decl);
  c.charset = charset;
  c.collation = charset == "latin1" ? 8 : 255;
  return c;
}

std::string Rendered(const Value& v, const ColumnSchema& c, bool key = false) {
  auto col = MapColumn(c, key);
  REQUIRE(col.ok());
  JsonRowEncoder enc;
  std::string out;
  Status s = enc.AppendValue(v, *col, &out);
  REQUIRE_MESSAGE(s.ok(), s.message());
  return out;
}

}  // namespace

TEST_SUITE("starrocks_types") {
  TEST_CASE("integers widen when unsigned; decimals keep their digits up to 38") {
    CHECK(TypeOf(Col("c", "tinyint", "tinyint(4)")) == "TINYINT");
    ColumnSchema u = Col("c", "tinyint", "tinyint(3) unsigned");
    u.is_unsigned = true;
    CHECK(TypeOf(u) == "SMALLINT");
    u.data_type = "int";
    CHECK(TypeOf(u) == "BIGINT");
    u.data_type = "bigint";
    CHECK(TypeOf(u) == "LARGEINT");
    CHECK(TypeOf(Col("c", "mediumint", "mediumint(9)")) == "INT");
    ColumnSchema d = Col("c", "decimal", "decimal(12,3)");
    d.precision = 12;
    d.scale = 3;
    CHECK(TypeOf(d) == "DECIMAL(12,3)");
    d.precision = 65;
    CHECK(TypeOf(d) == "STRING");
    d.precision = 12;
    CHECK(TypeOf(d, true) == "VARCHAR(14)");  // keys cannot be DECIMAL (F-KEYS)
  }

  TEST_CASE("character lengths are UTF-8 bytes of the source charset, capped at 1048576") {
    CHECK(TypeOf(TextCol("varchar", "varchar(10)", "utf8mb4")) == "VARCHAR(40)");
    CHECK(TypeOf(TextCol("varchar", "varchar(10)", "utf8mb3")) == "VARCHAR(30)");
    CHECK(TypeOf(TextCol("varchar", "varchar(10)", "latin1")) == "VARCHAR(30)");  // cp1252's euro sign is 3 bytes
    CHECK(TypeOf(TextCol("varchar", "varchar(10)", "ascii")) == "VARCHAR(10)");
    CHECK(TypeOf(TextCol("varchar", "varchar(65000)", "utf8mb4")) == "VARCHAR(260000)");
    CHECK(TypeOf(TextCol("longtext", "longtext", "utf8mb4")) == "VARCHAR(1048576)");
    CHECK(TypeOf(Col("c", "varbinary", "varbinary(16)")) == "VARCHAR(32)");  // hex
  }

  TEST_CASE("keys refuse what a StarRocks primary key cannot hold, with the fix") {
    auto f = MapColumn(Col("c", "double", "double"), true);
    REQUIRE_FALSE(f.ok());
    CHECK(f.status().message().find("tables[].primary_key") != std::string::npos);
    CHECK_FALSE(MapColumn(Col("c", "json", "json"), true).ok());
    CHECK_FALSE(MapColumn(Col("c", "blob", "blob"), true).ok());
    CHECK(TypeOf(Col("c", "datetime", "datetime"), true) == "DATETIME");
  }

  TEST_CASE("CREATE TABLE puts the key first, in key order, NOT NULL, and distributes by it") {
    TableSchema t;
    t.db = "shop";
    t.table = "orders";
    t.columns = {Col("note", "varchar", "varchar(5)"), Col("b", "int", "int(11)", false), Col("a", "bigint", "bigint(20)", false)};
    t.columns[0].charset = "utf8mb4";
    auto cols = MapColumns(t, {"a", "b"});
    REQUIRE(cols.ok());
    REQUIRE(cols->size() == 3);
    CHECK((*cols)[0].name == "a");
    CHECK((*cols)[0].source_index == 2);
    CHECK((*cols)[1].name == "b");
    CHECK((*cols)[2].name == "note");
    TableOptions o;
    o.replication_num = 1;
    std::string sql = CreateTableSql("shop", "my`orders", *cols, o);
    CHECK(sql.find("CREATE TABLE IF NOT EXISTS `shop`.`my``orders`") == 0);
    CHECK(sql.find("`a` BIGINT NOT NULL,\n  `b` INT NOT NULL,\n  `note` VARCHAR(20) NULL") != std::string::npos);
    CHECK(sql.find("PRIMARY KEY (`a`, `b`)") != std::string::npos);
    CHECK(sql.find("DISTRIBUTED BY HASH (`a`, `b`)") != std::string::npos);
    CHECK(sql.find("\"replication_num\" = \"1\"") != std::string::npos);
    CHECK(sql.find("BUCKETS") == std::string::npos);  // unset: StarRocks chooses
    o.buckets = 8;
    CHECK(CreateTableSql("shop", "t", *cols, o).find("DISTRIBUTED BY HASH (`a`, `b`) BUCKETS 8\n") != std::string::npos);
    CHECK(sql.find("PARTITION BY") == std::string::npos);
    // tables[].partition: column expression partitioning, between the comment and the distribution (grammar order).
    CHECK(CreateTableSql("shop", "t", *cols, o, "b").find("COMMENT \"created by sync\"\nPARTITION BY (`b`)\n"
                                                         "DISTRIBUTED BY") != std::string::npos);
  }

  TEST_CASE("values render as StarRocks reads them from JSON") {
    CHECK(Rendered(Value(int64_t(-5)), Col("c", "int", "int(11)")) == "-5");
    CHECK(Rendered(Value(uint64_t(18446744073709551615ULL)), Col("c", "bigint", "bigint(20) unsigned")) ==
          "18446744073709551615");
    ColumnSchema d = Col("c", "decimal", "decimal(5,2)");
    d.precision = 5;
    d.scale = 2;
    CHECK(Rendered(Value(Decimal{"-1.50"}), d) == "-1.50");
    CHECK(Rendered(Value(Decimal{"-1.50"}), d, true) == "\"-1.50\"");
    CHECK(Rendered(Value(Date{0, 0, 0}), Col("c", "date", "date")) == "null");
    CHECK(Rendered(Value(Date{2020, 2, 29}), Col("c", "date", "date")) == "\"2020-02-29\"");
    CHECK(Rendered(Value(DateTime{2021, 1, 2, 3, 4, 5, 60, 6}), Col("c", "datetime", "datetime(6)")) ==
          "\"2021-01-02 03:04:05.000060\"");
    CHECK(Rendered(Value(Timestamp{86400, 0, 0}), Col("c", "timestamp", "timestamp")) == "\"1970-01-02 00:00:00\"");
    CHECK(Rendered(Value(Timestamp{0, 0, 0}), Col("c", "timestamp", "timestamp")) == "null");
    CHECK(Rendered(Value(Time{true, 838, 59, 59, 0, 0}), Col("c", "time", "time")) == "\"-838:59:59\"");
    CHECK(Rendered(Value(Bit{1, 1}), Col("c", "bit", "bit(1)")) == "true");
    CHECK(Rendered(Value(Bytes{std::string("\x00\xff", 2), kBinaryCollation}), Col("c", "varbinary", "varbinary(4)")) ==
          "\"00ff\"");
    CHECK(Rendered(Value(Json{"{\"a\": [1, null]}"}), Col("c", "json", "json")) == "{\"a\": [1, null]}");
    Set s;
    s.mask = 5;
    s.labels = {"a", "c"};
    s.has_labels = true;
    CHECK(Rendered(Value(s), Col("c", "set", "set('a','b','c')")) == "\"a,c\"");
  }

  TEST_CASE("text is converted to UTF-8 and escaped; invalid bytes are an error, not a guess") {
    CHECK(Rendered(Value(Bytes{"a\"b\\c\n\x01", 255}), TextCol("varchar", "varchar(9)", "utf8mb4")) == "\"a\\\"b\\\\c\\n\\u0001\"");
    CHECK(Rendered(Value(Bytes{"caf\xe9", 8}), TextCol("varchar", "varchar(9)", "latin1")) == "\"caf\xc3\xa9\"");
    auto col = MapColumn(TextCol("varchar", "varchar(9)", "utf8mb4"), false);
    REQUIRE(col.ok());
    JsonRowEncoder enc;
    std::string out;
    CHECK_FALSE(enc.AppendValue(Value(Bytes{"\xff\xfe", 255}), *col, &out).ok());
  }

  TEST_CASE("a row is one JSON object with every column and __op, valid JSON") {
    TableSchema t;
    t.columns = {Col("v", "varchar", "varchar(5)"), Col("id", "int", "int(11)", false)};
    t.columns[0].charset = "utf8mb4";
    auto cols = MapColumns(t, {"id"});
    REQUIRE(cols.ok());
    JsonRowEncoder enc;
    std::string out;
    REQUIRE(enc.AppendRow({Value(Bytes{"x", 255}), Value(int64_t(7))}, *cols, 1, &out).ok());
    CHECK(out == "{\"id\":7,\"v\":\"x\",\"__op\":1}");
    auto parsed = nlohmann::json::parse(out);
    CHECK(parsed["__op"] == 1);
  }
}
