// The snapshot reader against a real MariaDB: typed values for every column
// type, chunking by primary key, exact snapshot positions, bounded memory.

#include <doctest/doctest.h>

#include <numeric>
#include <set>

#include "harness/servers.hpp"
#include "source/mysql/schema_reader.hpp"
#include "source/mysql/snapshot_reader.hpp"

using namespace dbsync;
using namespace dbsync::testing;

namespace doctest {
template <>
struct StringMaker<Value> {
  static String convert(const Value& v) { return v.ToString().c_str(); }
};
}  // namespace doctest

namespace {

MariaDbServer& Server() {
  static MariaDbServer server;
  static bool loaded = [] {
    server.Exec("CREATE DATABASE t");
    server.Exec("CREATE DATABASE seq");  // the SEQUENCE engine's seq_1_to_N tables need a database
    server.Exec(
        "CREATE TABLE t.all_types ("
        " id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, bi BIGINT,"
        " biu BIGINT UNSIGNED, dec1 DECIMAL(30,10), f FLOAT, d DOUBLE, b BIT(10), y YEAR, dt DATE, tm TIME(3),"
        " dtm DATETIME(6), ts TIMESTAMP(6) NULL, c CHAR(5), vc VARCHAR(100), l1 VARCHAR(20) CHARACTER SET latin1,"
        " bin BINARY(4), vb VARBINARY(10), tx TEXT, lb LONGBLOB, e ENUM('small','it''s big'), s SET('a','b','c'),"
        " j JSON, g GEOMETRY)");
    server.Exec(
        "INSERT INTO t.all_types VALUES (1, -128, 255, -32768, -8388608, -9223372036854775808, 18446744073709551615,"
        " -12345678901234567890.0123456789, 1.5, -2.25, b'1000000001', 2155, '2024-02-29', '-838:59:59.000',"
        " '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.123456', 'ab', 'h\xC3\xA9llo \xF0\x9F\x98\x80',"
        " 'caf\xC3\xA9', X'00FF0001', X'', '', REPEAT('x', 3000000), 'it''s big', 'a,c', '{\"k\": [1, 2.5, null]}',"
        " ST_GeomFromText('POINT(1 2)'))");
    server.Exec("INSERT INTO t.all_types (id) VALUES (2)");
    server.ExecSession({"SET SESSION sql_mode=''",
                        "INSERT INTO t.all_types (id, dt, dtm, y) VALUES (3, '0000-00-00', '0000-00-00 00:00:00', 0)"});
    server.Exec("CREATE TABLE t.big (id INT PRIMARY KEY, v VARCHAR(20))");
    server.Exec("INSERT INTO t.big SELECT seq, CONCAT('v', seq) FROM seq.seq_1_to_10000");
    server.Exec("CREATE TABLE t.composite (a VARCHAR(10), b INT, v INT, PRIMARY KEY (a, b))");
    server.Exec("INSERT INTO t.composite SELECT CONCAT('k', seq % 7), seq, seq FROM seq.seq_1_to_1000");
    server.Exec("CREATE TABLE t.latin (k VARCHAR(10) CHARACTER SET latin1 PRIMARY KEY)");
    server.Exec("INSERT INTO t.latin VALUES ('a'), ('\xC3\xA9t\xC3\xA9'), ('z'), ('\xC3\xBC" "ber'), ('b')");
    server.Exec("CREATE TABLE t.sparse (id BIGINT PRIMARY KEY)");
    server.Exec("INSERT INTO t.sparse SELECT seq * 1000 FROM seq.seq_1_to_100");
    server.Exec("CREATE TABLE t.odd (id INT PRIMARY KEY)");
    server.Exec("INSERT INTO t.odd SELECT seq * 2 - 1 FROM seq.seq_1_to_1000");
    server.Exec("CREATE TABLE t.top (id BIGINT UNSIGNED PRIMARY KEY)");
    server.Exec("INSERT INTO t.top SELECT 18446744073709551600 + seq FROM seq.seq_0_to_15");
    server.Exec("CREATE TABLE t.around_zero (id INT PRIMARY KEY)");
    server.Exec("INSERT INTO t.around_zero SELECT CAST(seq AS SIGNED) - 10 FROM seq.seq_0_to_20");
    server.Exec("CREATE TABLE t.nokey (v INT)");
    server.Exec("INSERT INTO t.nokey VALUES (1), (1), (2)");
    return true;
  }();
  (void)loaded;
  return server;
}

mysql::SnapshotReader Reader() {
  auto r = mysql::SnapshotReader::Open({"127.0.0.1", Server().port(), "root", MariaDbServer::kRootPassword, 10, 60});
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r).value();
}

TableSchema Schema(const std::string& table) {
  auto conn = Server().Admin();
  auto s = mysql::ReadTableSchema(conn, "t", table);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

std::vector<mysql::Row> ReadAll(const std::string& table, uint64_t chunk_rows, size_t* chunks = nullptr) {
  auto reader = Reader();
  TableSchema schema = Schema(table);
  auto plan = reader.PlanChunks(schema, chunk_rows);
  REQUIRE(plan.ok());
  if (chunks) *chunks = plan->size();
  std::vector<mysql::Row> rows;
  for (const auto& c : *plan) {
    auto r = reader.ReadChunk(schema, c, [&](mysql::Row&& row) {
      rows.push_back(std::move(row));
      return Status::Ok();
    });
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->exact_position);
  }
  return rows;
}

}  // namespace

TEST_CASE("schema reader: types, signedness, collations, enum members, primary key") {
  TableSchema s = Schema("all_types");
  CHECK(s.primary_key == std::vector<std::string>{"id"});
  CHECK(s.columns.size() == 27);
  CHECK(s.columns[size_t(s.ColumnIndex("tiu"))].is_unsigned);
  CHECK_FALSE(s.columns[size_t(s.ColumnIndex("ti"))].is_unsigned);
  CHECK(s.columns[size_t(s.ColumnIndex("e"))].enum_values == std::vector<std::string>{"small", "it's big"});
  CHECK(s.columns[size_t(s.ColumnIndex("lb"))].collation == 63);
  CHECK(s.columns[size_t(s.ColumnIndex("l1"))].collation == 8);  // latin1_swedish_ci
  CHECK(s.columns[size_t(s.ColumnIndex("dtm"))].fsp == 6);
  CHECK(s.columns[size_t(s.ColumnIndex("b"))].precision == 10);
  CHECK(Schema("composite").primary_key == std::vector<std::string>{"a", "b"});
  CHECK(Schema("nokey").primary_key.empty());
}

TEST_CASE("every column type becomes the right typed value") {
  auto rows = ReadAll("all_types", 1000);
  REQUIRE(rows.size() == 3);
  TableSchema s = Schema("all_types");
  auto v = [&](const char* col) -> const Value& { return rows[0][size_t(s.ColumnIndex(col))]; };
  CHECK(v("ti") == Value(int64_t{-128}));
  CHECK(v("tiu") == Value(uint64_t{255}));
  CHECK(v("bi") == Value(int64_t{INT64_MIN}));
  CHECK(v("biu") == Value(uint64_t{UINT64_MAX}));
  CHECK(v("dec1") == Value(Decimal{"-12345678901234567890.0123456789"}));
  CHECK(v("f") == Value(1.5f));
  CHECK(v("d") == Value(-2.25));
  CHECK(v("b") == Value(Bit{0b1000000001, 10}));
  CHECK(v("y") == Value(Year{2155}));
  CHECK(v("dt") == Value(Date{2024, 2, 29}));
  CHECK(v("tm") == Value(Time{true, 838, 59, 59, 0, 3}));
  CHECK(v("dtm") == Value(DateTime{9999, 12, 31, 23, 59, 59, 999999, 6}));
  CHECK(v("ts") == Value(Timestamp{2147483647, 123456, 6}));
  CHECK(v("c").as<Bytes>().data == "ab");
  CHECK(v("vc").as<Bytes>().data == "h\xC3\xA9llo \xF0\x9F\x98\x80");
  CHECK(v("l1").as<Bytes>().data == "caf\xE9");  // raw latin1 bytes, never transcoded
  CHECK(v("bin") == Value(Bytes{std::string("\x00\xFF\x00\x01", 4), 63}));
  CHECK(v("vb") == Value(Bytes{"", 63}));
  CHECK(v("tx").as<Bytes>().data.empty());
  CHECK(v("lb").as<Bytes>().data == std::string(3000000, 'x'));
  CHECK(v("e") == Value(Enum{2, "it's big"}));
  CHECK(v("s").as<Set>().mask == 0b101);
  CHECK(v("j").as<Bytes>().data == "{\"k\": [1, 2.5, null]}");  // MariaDB JSON is LONGTEXT
  CHECK(v("g").as<Geometry>().wkb.size() == 21);                // WKB point: 1+4+8+8
  for (size_t i = 1; i < rows[1].size(); ++i) CHECK(rows[1][i].is_null());
  auto z = [&](const char* col) -> const Value& { return rows[2][size_t(s.ColumnIndex(col))]; };
  CHECK(z("dt") == Value(Date{0, 0, 0}));
  CHECK(z("dtm") == Value(DateTime{0, 0, 0, 0, 0, 0, 0, 6}));
  CHECK(z("y") == Value(Year{0}));
}

TEST_CASE("TIMESTAMP is read as a UTC instant whatever the writer's time zone") {
  Server().Exec("CREATE TABLE t.tz (id INT PRIMARY KEY, ts TIMESTAMP NULL, dt DATETIME)");
  Server().ExecSession({"SET time_zone = '+08:00'",
                        "INSERT INTO t.tz VALUES (1, '2024-01-01 08:00:00', '2024-01-01 08:00:00')"});
  auto rows = ReadAll("tz", 100);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][1] == Value(Timestamp{1704067200, 0, 0}));               // 2024-01-01 00:00:00 UTC
  CHECK(rows[0][2] == Value(DateTime{2024, 1, 1, 8, 0, 0, 0, 0}));      // wall clock, unshifted
}

TEST_CASE("chunks cover a table exactly once") {
  size_t chunks = 0;
  auto rows = ReadAll("big", 999, &chunks);
  CHECK(chunks == 11);
  CHECK(rows.size() == 10000);
  std::set<int64_t> ids;
  for (const auto& r : rows) ids.insert(r[0].as<int64_t>());
  CHECK(ids.size() == 10000);
  CHECK(*ids.begin() == 1);
  CHECK(*ids.rbegin() == 10000);
}

// The chunks' upper bounds, and the rows each chunk read.
std::pair<std::vector<std::string>, std::vector<size_t>> PlanAndRead(const std::string& table, uint64_t chunk_rows,
                                                                     bool key_is_unique = true) {
  auto reader = Reader();
  TableSchema schema = Schema(table);
  auto plan = reader.PlanChunks(schema, chunk_rows, key_is_unique);
  REQUIRE_MESSAGE(plan.ok(), plan.status().message());
  std::vector<std::string> uppers;
  std::vector<size_t> rows;
  for (const auto& c : *plan) {
    uppers.push_back(c.upper.empty() ? "" : c.upper[0]);
    size_t n = 0;
    REQUIRE(reader.ReadChunk(schema, c, [&](mysql::Row&&) { ++n; return Status::Ok(); }).ok());
    rows.push_back(n);
  }
  return {uppers, rows};
}

size_t Sum(const std::vector<size_t>& v) { return std::accumulate(v.begin(), v.end(), size_t{0}); }

TEST_CASE("a dense integer key is cut by value, a sparse one or a split column is walked") {
  SUBCASE("dense: equal steps of values, no chunk above chunk_rows") {
    auto [uppers, rows] = PlanAndRead("odd", 100);  // 1, 3, ..., 1999: 1,000 rows over 1,999 values
    CHECK(uppers.size() == 20);
    CHECK(uppers[0] == "100");
    CHECK(uppers[18] == "1900");
    CHECK(uppers[19] == "");
    CHECK(Sum(rows) == 1000);
    CHECK(*std::max_element(rows.begin(), rows.end()) == 50);
  }
  SUBCASE("the same key as a split column (maybe not unique) is walked: bounds are keys") {
    auto [uppers, rows] = PlanAndRead("odd", 100, false);
    CHECK(uppers.size() == 11);
    CHECK(uppers[0] == "199");
    CHECK(Sum(rows) == 1000);
  }
  SUBCASE("sparse: more than four values a row, walked") {
    auto [uppers, rows] = PlanAndRead("sparse", 10);
    CHECK(uppers.size() == 11);
    CHECK(uppers[0] == "10000");
    CHECK(Sum(rows) == 100);
  }
  SUBCASE("BIGINT UNSIGNED at the top of its range") {
    auto [uppers, rows] = PlanAndRead("top", 5);
    CHECK(uppers == std::vector<std::string>{"18446744073709551604", "18446744073709551609", "18446744073709551614", ""});
    CHECK(rows == std::vector<size_t>{5, 5, 5, 1});
  }
  SUBCASE("negative keys") {
    auto [uppers, rows] = PlanAndRead("around_zero", 7);
    CHECK(uppers == std::vector<std::string>{"-4", "3", ""});
    CHECK(rows == std::vector<size_t>{7, 7, 7});
  }
}

TEST_CASE("composite keys chunk correctly") {
  size_t chunks = 0;
  auto rows = ReadAll("composite", 77, &chunks);
  CHECK(chunks == 13);
  std::set<std::pair<std::string, int64_t>> keys;
  for (const auto& r : rows) keys.insert({r[0].as<Bytes>().data, r[1].as<int64_t>()});
  CHECK(keys.size() == 1000);
  CHECK(rows.size() == 1000);
}

TEST_CASE("non-ASCII keys in a latin1 column chunk in collation order") {
  size_t chunks = 0;
  auto rows = ReadAll("latin", 1, &chunks);
  CHECK(chunks == 6);
  CHECK(rows.size() == 5);
  std::set<std::string> keys;
  for (const auto& r : rows) keys.insert(r[0].as<Bytes>().data);
  CHECK(keys.count("\xE9t\xE9") == 1);  // raw latin1
  CHECK(keys.size() == 5);
}

TEST_CASE("a table without a primary key is one chunk and keeps duplicate rows") {
  size_t chunks = 0;
  auto rows = ReadAll("nokey", 1, &chunks);
  CHECK(chunks == 1);
  CHECK(rows.size() == 3);
}

TEST_CASE("the snapshot position is exact: later commits are not in the snapshot, earlier ones are") {
  auto reader = Reader();
  TableSchema schema = Schema("big");
  mysql::SnapshotChunk all;
  auto before = reader.CurrentPosition();
  REQUIRE(before.ok());
  CHECK(!before->gtid_set.empty());
  size_t seen = 0;
  bool inserted = false;
  auto r = reader.ReadChunk(schema, all, [&](mysql::Row&&) {
    if (!inserted) {
      // Committed while the snapshot is open: must not be visible, and must
      // lie after the snapshot's position.
      Server().Exec("INSERT INTO t.big VALUES (20001, 'late')");
      inserted = true;
    }
    ++seen;
    return Status::Ok();
  });
  REQUIRE(r.ok());
  CHECK(seen == 10000);
  CHECK(r->position.Compare(*before) == 0);
  auto after = reader.CurrentPosition();
  CHECK(after->Compare(r->position) > 0);
  Server().Exec("DELETE FROM t.big WHERE id = 20001");
}

TEST_CASE("a sink error stops the read and is returned") {
  auto reader = Reader();
  auto r = reader.ReadChunk(Schema("big"), {}, [](mysql::Row&&) { return Status::IOError("disk full"); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "disk full");
  // The connection is still usable.
  CHECK(reader.CurrentPosition().ok());
}

TEST_CASE("chunk plans survive a JSON round trip for resumption") {
  auto reader = Reader();
  auto plan = reader.PlanChunks(Schema("composite"), 100);
  REQUIRE(plan.ok());
  for (const auto& c : *plan) {
    auto back = mysql::SnapshotChunk::FromJson(c.ToJson());
    CHECK(back.index == c.index);
    CHECK(back.lower == c.lower);
    CHECK(back.upper == c.upper);
  }
}
