// ParseColumnDefault / ImplicitDefault: information_schema's COLUMN_DEFAULT
// text as MariaDB and MySQL show it, turned into the value of the column's type.

#include <doctest/doctest.h>

#include "harness/sink_fixtures.hpp"
#include "source/mysql/column_default.hpp"

using namespace dbsync;
using dbsync::mysql::ImplicitDefault;
using dbsync::mysql::ParseColumnDefault;
using dbsync::testing::Col;

namespace {

Value Parsed(const ColumnSchema& c, const std::string& text) {
  auto v = ParseColumnDefault(c, text);
  REQUIRE_MESSAGE(v.ok(), v.status().message());
  REQUIRE(v->has_value());
  return **v;
}

}  // namespace

TEST_SUITE("column defaults") {
  TEST_CASE("numbers, bare (MariaDB and MySQL) and quoted") {
    CHECK(Parsed(Col("i", "int", "int(11)"), "-42") == Value(int64_t{-42}));
    CHECK(Parsed(Col("u", "bigint", "bigint(20) unsigned"), "18446744073709551615") ==
          Value(uint64_t{18446744073709551615ull}));
    CHECK(Parsed(Col("q", "int", "int(11)"), "'7'") == Value(int64_t{7}));
    auto dec = Col("d", "decimal", "decimal(10,3)");
    dec.precision = 10;
    dec.scale = 3;
    CHECK(Parsed(dec, "1.5") == Value(Decimal{"1.500"}));
    CHECK(Parsed(dec, "-0.000") == Value(Decimal{"0.000"}));
    CHECK(Parsed(dec, "007.25") == Value(Decimal{"7.250"}));
    CHECK(Parsed(Col("f", "double", "double"), "2.5e3") == Value(2500.0));
    CHECK(Parsed(Col("f", "float", "float"), "0.5") == Value(0.5f));
    CHECK(!ParseColumnDefault(Col("i", "int", "int(11)"), "'x'").ok());
  }

  TEST_CASE("text, enum, set and json keep their characters") {
    CHECK(Parsed(Col("s", "varchar", "varchar(10)"), "'it''s'") == Value(Bytes{"it's", 45}));
    CHECK(Parsed(Col("s", "varchar", "varchar(10)"), "plain") == Value(Bytes{"plain", 45}));  // MySQL: unquoted
    CHECK(Parsed(Col("s", "varchar", "varchar(10)"), "''") == Value(Bytes{"", 45}));
    auto e = Col("e", "enum", "enum('small','big')");
    e.enum_values = {"small", "big"};
    CHECK(Parsed(e, "'big'") == Value(Enum{2, "big"}));
    CHECK(!ParseColumnDefault(e, "'huge'").ok());
    auto set = Col("st", "set", "set('a','b','c')");
    set.enum_values = {"a", "b", "c"};
    CHECK(Parsed(set, "'c,a'") == Value(Set{0b101, {"a", "c"}, true}));
    CHECK(Parsed(set, "''") == Value(Set{0, {}, true}));
    CHECK(Parsed(Col("j", "json", "json"), "'{\"a\": 1}'") == Value(Json{"{\"a\": 1}"}));
  }

  TEST_CASE("bit, temporal and zero values") {
    auto bit = Col("b", "bit", "bit(3)");
    bit.precision = 3;
    CHECK(Parsed(bit, "b'101'") == Value(Bit{5, 3}));
    CHECK(Parsed(bit, "5") == Value(Bit{5, 3}));
    CHECK(Parsed(Col("d", "date", "date"), "'2024-02-29'") == Value(Date{2024, 2, 29}));
    CHECK(Parsed(Col("d", "date", "date"), "'0000-00-00'") == Value(Date{0, 0, 0}));
    auto dt = Col("dt", "datetime", "datetime(3)");
    dt.fsp = 3;
    CHECK(Parsed(dt, "'2020-01-02 03:04:05.250'") == Value(DateTime{2020, 1, 2, 3, 4, 5, 250000, 3}));
    CHECK(Parsed(Col("ts", "timestamp", "timestamp"), "'1970-01-02 00:00:01'") == Value(Timestamp{86401, 0, 0}));
    CHECK(Parsed(Col("t", "time", "time"), "'-838:59:59'") == Value(Time{true, 838, 59, 59, 0, 0}));
    CHECK(Parsed(Col("y", "year", "year(4)"), "2155") == Value(Year{2155}));
  }

  TEST_CASE("NULL, expressions and implicit defaults") {
    auto null = ParseColumnDefault(Col("i", "int", "int(11)"), "NULL");
    REQUIRE(null.ok());
    CHECK(!null->has_value());
    for (const char* expr : {"current_timestamp()", "CURRENT_TIMESTAMP", "(now() + interval 1 day)", "uuid()"}) {
      CAPTURE(expr);
      CHECK(ParseColumnDefault(Col("t", "datetime", "datetime"), expr).status().code() ==
            StatusCode::kFailedPrecondition);
    }
    CHECK(ImplicitDefault(Col("i", "int", "int(11) unsigned")) == Value(uint64_t{0}));
    CHECK(ImplicitDefault(Col("s", "varchar", "varchar(3)")) == Value(Bytes{"", 45}));
    auto e = Col("e", "enum", "enum('x','y')");
    e.enum_values = {"x", "y"};
    CHECK(ImplicitDefault(e) == Value(Enum{1, "x"}));
    CHECK(!ImplicitDefault(Col("d", "date", "date")).has_value());
    CHECK(!ImplicitDefault(Col("b", "blob", "blob")).has_value());
  }
}
