// COPY's binary format (sink/postgres/pg_binary_copy.hpp) against a real
// PostgreSQL: for every column type the sink maps MySQL types to, the same
// values are COPYed once as text (the encoding the e2e type tests check) and
// once as binary, and PostgreSQL must read both back as the same text.
// A few values are also checked against their expected text outright.

#include <doctest/doctest.h>

#include "harness/servers.hpp"
#include "sink/postgres/pg_binary_copy.hpp"
#include "sink/postgres/pg_connection.hpp"
#include "sink/postgres/pg_ddl.hpp"
#include "sink/postgres/pg_exec.hpp"
#include "sink/postgres/pg_types.hpp"

using namespace dbsync;
using namespace dbsync::postgres;
using namespace dbsync::testing;

namespace {

// One server for the file's cases, with the database they write to.
struct Destination {
  PostgresServer server;
  Destination() { server.Exec("CREATE DATABASE dw"); }
};

PostgresServer& Pg() {
  static Destination destination;
  return destination.server;
}

struct Case {
  ColumnSchema source;       // the MySQL column
  std::vector<Value> values; // its values (NULL included)
};

ColumnSchema Column(std::string data_type, std::string column_type, bool is_unsigned = false, int precision = 0,
                    int scale = 0, int fsp = 0) {
  ColumnSchema c;
  c.name = "v";
  c.data_type = std::move(data_type);
  c.column_type = std::move(column_type);
  c.is_unsigned = is_unsigned;
  c.precision = precision;
  c.scale = scale;
  c.fsp = fsp;
  return c;
}

ColumnSchema Text(std::string data_type, std::string column_type) {
  ColumnSchema c = Column(std::move(data_type), std::move(column_type));
  c.charset = "utf8mb4";
  c.collation = 45;  // utf8mb4_general_ci
  return c;
}

Bytes Utf8(std::string s) { return Bytes{std::move(s), 45}; }

std::vector<Case> Cases() {
  ColumnSchema enum_column = Text("enum", "enum('a','b')");
  enum_column.enum_values = {"a", "b"};
  ColumnSchema set_column = Text("set", "set('x','y','z')");
  set_column.enum_values = {"x", "y", "z"};
  ColumnSchema blob = Column("blob", "blob");
  blob.collation = kBinaryCollation;
  return {
      {Column("tinyint", "tinyint(4)"), {int64_t{-128}, int64_t{0}, int64_t{127}, Value()}},
      {Column("tinyint", "tinyint(3) unsigned", true), {int64_t{-1}, uint64_t{255}, int64_t{7}}},
      {Column("smallint", "smallint(6)"), {int64_t{-32768}, int64_t{32767}}},
      {Column("smallint", "smallint(5) unsigned", true), {int64_t{-1}, uint64_t{65535}}},
      {Column("mediumint", "mediumint(8) unsigned", true), {int64_t{-1}, uint64_t{16777215}}},
      {Column("int", "int(11)"), {int64_t{-2147483648LL}, int64_t{2147483647}, int64_t{0}}},
      {Column("int", "int(10) unsigned", true), {int64_t{-1}, uint64_t{4294967295ULL}}},
      {Column("bigint", "bigint(20)"), {int64_t{INT64_MIN}, int64_t{INT64_MAX}, int64_t{-1}}},
      {Column("bigint", "bigint(20) unsigned", true), {int64_t{-1}, uint64_t{UINT64_MAX}, uint64_t{0}}},
      {Column("year", "year(4)"), {Year{0}, Year{1901}, Year{2155}}},
      {Column("decimal", "decimal(12,2)", false, 12, 2),
       {Decimal{"0.00"}, Decimal{"-0.00"}, Decimal{"123.45"}, Decimal{"-9999999999.99"}, Decimal{"10000.00"},
        Decimal{"0.05"}, Decimal{"1"}, Value()}},
      {Column("decimal", "decimal(65,30)", false, 65, 30),
       {Decimal{"12345678901234567890123456789012345.123456789012345678901234567890"},
        Decimal{"-0.000000000000000000000000000001"}, Decimal{"100000000.000100000000000000000000000000"}}},
      {Column("decimal", "decimal(10,0)", false, 10, 0), {Decimal{"0"}, Decimal{"-1234567890"}, Decimal{"20000"}}},
      {Column("float", "float"), {0.1f, -3.4e38f, 1.17549435e-38f, 0.0f}},
      {Column("double", "double"), {0.1, -1.7976931348623157e308, 4.9e-324, 1.0 / 3, 0.0}},
      {Column("double", "double"), {0.1f, 16777217.0f}},  // a FLOAT value into a double column
      {Text("varchar", "varchar(10)"), {Utf8("plain"), Utf8("tab\tnl\nbs\\"), Utf8("naïve ☃"), Utf8(""), Value()}},
      {Text("text", "text"), {Utf8(std::string(100000, 'x')), Utf8("\r\n\\N"), Bytes{"latin1 \xe9", 8}}},
      {enum_column, {Enum{1, "a"}, Enum{2, ""}, Enum{0, ""}}},
      {set_column, {Set{5, {}, false}, Set{0, {}, false}, Set{3, {"x", "y"}, true}}},
      {Column("binary", "binary(4)"), {Bytes{std::string("\0\1\xff\\", 4), kBinaryCollation}}},
      {blob, {Bytes{"", kBinaryCollation}, Bytes{std::string("a\0b\tc", 5), kBinaryCollation}}},
      {Column("geometry", "geometry"), {Geometry{4326, std::string("\x01\x01\x00\x00\x00", 5) + std::string(16, '\x3f')}}},
      {Column("json", "json"), {Json{"{\"a\": [1, 2.5, null, true], \"s\": \"\\u00e9\\t\"}"}, Json{"[]"}, Json{"\"x\""}}},
      {Column("date", "date"),
       {Date{2024, 2, 29}, Date{1, 1, 1}, Date{9999, 12, 31}, Date{1999, 12, 31}, Date{0, 0, 0}, Date{2020, 0, 15}}},
      {Column("time", "time(6)", false, 0, 0, 6),
       {Time{false, 838, 59, 59, 0, 0}, Time{true, 838, 59, 59, 0, 0}, Time{true, 0, 0, 1, 500000, 6},
        Time{false, 12, 30, 0, 123456, 6}}},
      {Column("datetime", "datetime(6)", false, 0, 0, 6),
       {DateTime{2024, 2, 29, 23, 59, 59, 999999, 6}, DateTime{1000, 1, 1, 0, 0, 0, 0, 0},
        DateTime{9999, 12, 31, 23, 59, 59, 0, 0}, DateTime{0, 0, 0, 0, 0, 0, 0, 0}, DateTime{1969, 7, 20, 20, 17, 40, 1, 6}}},
      {Column("datetime", "datetime(3)", false, 0, 0, 3), {DateTime{2024, 1, 1, 0, 0, 1, 999500, 3}}},  // rounds
      {Column("timestamp", "timestamp(6)", false, 0, 0, 6),
       {Timestamp{1, 0, 0}, Timestamp{2147483647, 999999, 6}, Timestamp{0, 0, 0}, Timestamp{946684800, 1, 6},
        Timestamp{946684799, 999999, 6}}},
      {Column("timestamp", "timestamp"), {Timestamp{1700000000, 0, 0}}},
      // Values of a neighbouring kind, as the text path writes them.
      {Column("datetime", "datetime"), {Date{2024, 2, 29}, Date{0, 0, 0}, Timestamp{1700000000, 0, 0}}},
      {Column("date", "date"), {Timestamp{1700000000, 5, 6}, Timestamp{0, 0, 0}, DateTime{2024, 3, 1, 23, 0, 0, 0, 0}}},
      {Column("bit", "bit(1)", false, 1), {Bit{0, 1}, Bit{1, 1}}},
      {Column("bit", "bit(10)", false, 10), {Bit{0x2a5, 10}, Bit{0, 10}, Bit{0x3ff, 10}}},
      {Column("bit", "bit(64)", false, 64), {Bit{UINT64_MAX, 64}, Bit{0x8000000000000001ULL, 64}}},
  };
}

// COPYs `rows` into `table` in one format; the error, if any.
Status CopyRows(Connection& conn, const std::string& table, const PgColumn& col, const std::vector<Value>& values,
                bool binary) {
  ValueEncoder encoder;
  std::string data;
  if (binary) AppendBinaryCopyHeader(&data);
  for (size_t k = 0; k < values.size(); ++k) {
    Value key = int64_t(k);
    PgColumn key_column = *MapColumn(Column("bigint", "bigint(20)"), Dialect::kPostgres);
    if (binary) {
      AppendBinaryRowStart(2, &data);
      SYNC_RETURN_IF_ERROR(encoder.AppendBinaryField(key, key_column, &data));
      SYNC_RETURN_IF_ERROR(encoder.AppendBinaryField(values[k], col, &data));
    } else {
      SYNC_RETURN_IF_ERROR(encoder.AppendCopyField(key, key_column, &data));
      data += '\t';
      SYNC_RETURN_IF_ERROR(encoder.AppendCopyField(values[k], col, &data));
      data += '\n';
    }
  }
  if (binary) AppendBinaryCopyTrailer(&data);
  SYNC_ASSIGN_OR_RETURN(auto copy, CopyIn::Start(conn.handle(), "COPY " + table + " (k, v) FROM STDIN" +
                                                                     (binary ? " (FORMAT binary)" : "")));
  SYNC_RETURN_IF_ERROR(copy.Put(data));
  return copy.End().status();
}

std::string ReadBack(const std::string& table) {
  return Pg().Scalar("SELECT string_agg(coalesce(v::text, 'NULL'), ' | ' ORDER BY k) FROM " + table, "dw");
}

}  // namespace

TEST_CASE("binary COPY reads back as the text COPY of the same values, for every mapped type") {
  auto conn = Pg().Admin("dw");
  REQUIRE(conn.Execute("SET TimeZone TO 'UTC'").ok());
  int n = 0;
  for (const auto& c : Cases()) {
    auto col = MapColumn(c.source, Dialect::kPostgres);
    REQUIRE_MESSAGE(col.ok(), col.status().message());
    const std::string name = "t" + std::to_string(n++);
    CAPTURE(c.source.column_type);
    CAPTURE(col->type);
    for (const char* suffix : {"_text", "_binary"})
      REQUIRE(conn.Execute("CREATE TABLE " + name + suffix + " (k bigint PRIMARY KEY, v " + col->type + ")").ok());
    Status text = CopyRows(conn, name + "_text", *col, c.values, false);
    REQUIRE_MESSAGE(text.ok(), text.message());
    Status binary = CopyRows(conn, name + "_binary", *col, c.values, true);
    REQUIRE_MESSAGE(binary.ok(), binary.message());
    CHECK(ReadBack(name + "_binary") == ReadBack(name + "_text"));
    // The destination's own type names are those the binary forms are written for.
    auto types = TableColumnTypes(conn, "public", name + "_binary");
    REQUIRE(types.ok());
    CHECK(BinaryCopyTypeName(*col) == (*types)["v"]);
  }
}

TEST_CASE("binary COPY: values checked against their expected text") {
  auto conn = Pg().Admin("dw");
  REQUIRE(conn.Execute("SET TimeZone TO 'UTC'").ok());
  auto expect = [&](const ColumnSchema& source, const std::vector<Value>& values, const std::string& text) {
    auto col = MapColumn(source, Dialect::kPostgres);
    REQUIRE(col.ok());
    static int n = 0;
    const std::string table = "expect" + std::to_string(n++);
    REQUIRE(conn.Execute("CREATE TABLE " + table + " (k bigint, v " + col->type + ")").ok());
    Status s = CopyRows(conn, table, *col, values, true);
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(ReadBack(table) == text);
  };
  expect(Column("decimal", "decimal(12,4)", false, 12, 4), {Decimal{"-0.0005"}, Decimal{"10000"}, Decimal{"-0.0000"}},
         "-0.0005 | 10000.0000 | 0.0000");
  expect(Column("bigint", "bigint(20) unsigned", true), {int64_t{-1}}, "18446744073709551615");
  expect(Column("date", "date"), {Date{2000, 1, 1}, Date{0, 0, 0}}, "2000-01-01 | -infinity");
  expect(Column("timestamp", "timestamp(6)", false, 0, 0, 6), {Timestamp{1, 5, 6}},
         "1970-01-01 00:00:01.000005+00");
  expect(Column("time", "time"), {Time{true, 838, 59, 59, 0, 0}}, "-838:59:59");
  expect(Column("bit", "bit(3)", false, 3), {Bit{0b101, 3}}, "101");
}

TEST_CASE("binary COPY refuses what PostgreSQL has no value for, naming it") {
  ValueEncoder encoder;
  std::string out;
  auto date = MapColumn(Column("date", "date"), Dialect::kPostgres);
  Status s = encoder.AppendBinaryField(Date{2023, 2, 29}, *date, &out);
  CHECK(s.code() == StatusCode::kFailedPrecondition);
  CHECK(s.message().find("2023-02-29") != std::string::npos);
  auto small = MapColumn(Column("tinyint", "tinyint(4)"), Dialect::kPostgres);
  CHECK_FALSE(encoder.AppendBinaryField(int64_t{40000}, *small, &out).ok());
  auto numeric = MapColumn(Column("decimal", "decimal(5,2)", false, 5, 2), Dialect::kPostgres);
  CHECK_FALSE(encoder.AppendBinaryField(Decimal{"1e5"}, *numeric, &out).ok());
}

TEST_CASE("binary COPY only for destination columns of the mapped types") {
  auto col = MapColumn(Column("int", "int(11)"), Dialect::kPostgres);
  auto text = MapColumn(Text("varchar", "varchar(10)"), Dialect::kPostgres);
  CHECK(BinaryCopyTypesMatch({*col, *text}, {"integer", "character varying"}));
  CHECK_FALSE(BinaryCopyTypesMatch({*col, *text}, {"bigint", "character varying"}));  // widened by hand
  CHECK_FALSE(BinaryCopyTypesMatch({*col, *text}, {"integer", "text"}));
  CHECK_FALSE(BinaryCopyTypesMatch({*col}, {"integer", "text"}));
}
