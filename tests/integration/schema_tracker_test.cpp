// The schema tracker against a real MariaDB: after every DDL statement run on
// the server, the definitions the tracker derived from the statement alone
// must equal what information_schema reports (the acceptance test of the
// schema-tracking part of issue 3).

#include <doctest/doctest.h>

#include <set>

#include "harness/servers.hpp"
#include "source/mysql/schema_reader.hpp"
#include "source/mysql/schema_tracker.hpp"

using namespace dbsync;
using namespace dbsync::testing;

namespace {

bool TestDb(const std::string& db) { return db.starts_with("d"); }

std::string Describe(const ColumnSchema& c) {
  std::string values;
  for (const auto& v : c.enum_values) values += "[" + v + "]";
  return c.name + " data_type=" + c.data_type + " column_type=" + c.column_type +
         " unsigned=" + std::to_string(c.is_unsigned) + " nullable=" + std::to_string(c.nullable) +
         " collation=" + std::to_string(c.collation) + " charset=" + c.charset + " collation_name=" + c.collation_name +
         " precision=" + std::to_string(c.precision) + " scale=" + std::to_string(c.scale) +
         " fsp=" + std::to_string(c.fsp) + " values=" + values;
}

// Every table of the test databases: tracked exactly as the server reads it back.
void ExpectAgrees(mysql::Connection& conn, const mysql::SchemaTracker& tracker, const std::string& sql) {
  INFO("after: " << sql);
  auto all = mysql::ListAllTables(conn);
  REQUIRE(all.ok());
  std::set<std::pair<std::string, std::string>> on_server;
  for (const auto& t : *all) {
    if (!TestDb(t.db)) continue;
    on_server.insert({t.db, t.table});
    auto expected = mysql::ReadTableSchema(conn, t.db, t.table);
    REQUIRE(expected.ok());
    const TableSchema* got = tracker.Find(t.db, t.table);
    CHECK_MESSAGE(got != nullptr, "not tracked: " << t.db << "." << t.table);
    if (!got) continue;
    INFO("table " << t.db << "." << t.table);
    CHECK(got->db == expected->db);
    CHECK(got->table == expected->table);
    CHECK(got->primary_key == expected->primary_key);
    REQUIRE(got->columns.size() == expected->columns.size());
    for (size_t i = 0; i < got->columns.size(); ++i)
      CHECK_MESSAGE(got->columns[i] == expected->columns[i], "tracked:  " << Describe(got->columns[i])
                                                                             << "\nexpected: " << Describe(expected->columns[i]));
  }
  for (const auto& name : tracker.Tables())  // (no structured binding: clang 14 cannot capture one)
    if (TestDb(name.first))
      CHECK_MESSAGE(on_server.count(name), "tracked but gone: " << name.first << "." << name.second);
}

// Runs each statement on the server (default database d1) and in the tracker.
void RunSeries(MariaDbServer& server, mysql::SchemaTracker& tracker, const std::vector<std::string>& series) {
  auto conn = server.Admin();
  REQUIRE(conn.Execute("USE d1").ok());
  for (const auto& sql : series) {
    Status s = conn.Execute(sql);
    REQUIRE_MESSAGE(s.ok(), sql << ": " << s.message());
    auto changes = tracker.ApplyDdl("d1", sql);
    REQUIRE_MESSAGE(changes.ok(), changes.status().message());
    auto check = server.Admin();
    ExpectAgrees(check, tracker, sql);
  }
}

}  // namespace

TEST_SUITE("ddl") {
  TEST_CASE("SchemaTracker agrees with MariaDB's information_schema after every DDL statement") {
    MariaDbServer server;
    server.Exec("CREATE DATABASE d1");
    server.Exec("CREATE DATABASE d2 CHARACTER SET latin1");
    server.Exec("CREATE TABLE d1.pre (id INT PRIMARY KEY, v VARCHAR(10) CHARACTER SET latin1, e ENUM('a','b'))");
    auto conn = server.Admin();
    auto loaded = mysql::SchemaTracker::Load(conn);
    REQUIRE_MESSAGE(loaded.ok(), loaded.status().message());
    mysql::SchemaTracker tracker = std::move(loaded).value();
    ExpectAgrees(conn, tracker, "(load)");

    RunSeries(server, tracker, {
        "CREATE TABLE t1 (id INT PRIMARY KEY, a VARCHAR(10), b TEXT)",
        "CREATE TABLE `all` (a TINYINT, b SMALLINT UNSIGNED, c MEDIUMINT ZEROFILL, d INT, e BIGINT UNSIGNED, f FLOAT,"
        " g DOUBLE, h FLOAT(7,3), i DECIMAL, j DECIMAL(10,2) UNSIGNED, k BIT, l BIT(10), m YEAR, n DATE, o TIME(3),"
        " p DATETIME, q TIMESTAMP(6) NULL, r CHAR, s VARCHAR(10), t BINARY, u VARBINARY(5), v TINYTEXT, w TEXT,"
        " x MEDIUMBLOB, y LONGTEXT CHARSET latin1, z JSON, aa ENUM('a','b'), bb SET('x','y'), cc GEOMETRY, dd POINT,"
        " ee BOOL, ff DOUBLE PRECISION, gg REAL, hh NUMERIC(5), ii INTEGER, jj DEC(4,1), kk NCHAR(3),"
        " ll NATIONAL VARCHAR(3), mm CHAR(3) BINARY, nn LONG, oo LONG VARBINARY, pp SERIAL, qq FLOAT(30),"
        " rr DOUBLE(10,2), ss INT(5), tt UUID, uu INET6, vv TEXT(100), ww BLOB(70000), xx VARCHAR(5) BYTE,"
        " yy CHAR(2) ASCII, zz CHAR(2) UNICODE, a1 FLOAT UNSIGNED, a2 INT1, a3 INT8 ZEROFILL, a4 MIDDLEINT,"
        " a5 FIXED(6,2), a6 CHARACTER VARYING(7), a7 TEXT CHARACTER SET binary, a8 YEAR(4), a9 TIMESTAMP NULL,"
        " b1 LONGBLOB, b2 TINYBLOB, b3 MULTIPOLYGON, b4 TEXT COLLATE utf8mb4_bin, b5 VARCHAR(3) COLLATE latin1_german2_ci)",
        "ALTER TABLE t1 ADD COLUMN c INT UNSIGNED NOT NULL DEFAULT 0 AFTER id",
        "ALTER TABLE t1 ADD COLUMN (d DECIMAL(12,3), e ENUM('x','y,z','it''s', 'back\\\\slash') CHARACTER SET latin1),"
        " ADD e2 SET('a','(b)') FIRST",
        "ALTER TABLE t1 MODIFY a VARCHAR(20) CHARACTER SET utf8mb3 NOT NULL, CHANGE b bb MEDIUMTEXT COLLATE "
        "utf8mb4_unicode_ci AFTER e2",
        "ALTER TABLE t1 CHANGE id id2 BIGINT UNSIGNED AUTO_INCREMENT",
        "ALTER TABLE t1 DROP PRIMARY KEY, ADD PRIMARY KEY (id2, c)",
        "ALTER TABLE t1 RENAME COLUMN c TO c_renamed, DROP COLUMN d",
        "ALTER TABLE t1 CONVERT TO CHARACTER SET latin1",
        "ALTER TABLE t1 DEFAULT CHARSET=utf8mb4, ADD COLUMN f VARCHAR(5), ADD COLUMN g CHAR(3) BINARY,"
        " ADD COLUMN h TEXT(300), ADD COLUMN i BLOB(70000)",
        "ALTER TABLE t1 MODIFY COLUMN f VARCHAR(5) AFTER id2, ALTER COLUMN g SET DEFAULT 'a,b'",
        "ALTER TABLE t1 ADD INDEX idx (f), ADD UNIQUE KEY (id2), ADD CONSTRAINT ck CHECK (c_renamed >= 0)",
        "ALTER TABLE t1 DROP INDEX idx, DROP CONSTRAINT ck, ENGINE=InnoDB, ROW_FORMAT=DYNAMIC, COMMENT='x, (y)'",
        "CREATE INDEX i2 ON t1 (f)",
        "ALTER TABLE t1 ADD COLUMN IF NOT EXISTS f INT, DROP COLUMN IF EXISTS nonexist",
        "CREATE TABLE `we ird``name` (`col with space` INT, `\xC3\xBC` VARCHAR(3), PRIMARY KEY(`col with space`))"
        " DEFAULT CHARSET latin1 COLLATE latin1_bin",
        "ALTER TABLE `we ird``name` CHANGE `col with space` `key` INT",
        "CREATE TABLE t3 LIKE t1",
        "RENAME TABLE t1 TO tmp, t3 TO t1, tmp TO t3",
        "ALTER TABLE t3 RENAME TO d2.t3moved",
        "CREATE TABLE d2.j (id INT, doc JSON, ts TIMESTAMP(3) NULL, ts2 TIMESTAMP, dt DATETIME(6), tm TIME,"
        " g GEOMETRY NOT NULL, b BIT(7), y YEAR, f FLOAT(10,2), n NATIONAL CHAR VARYING(3), s VARCHAR(4),"
        " t TEXT, CONSTRAINT pk PRIMARY KEY USING BTREE (id DESC, s(2)), FOREIGN KEY fk1 (id) REFERENCES d2.j (id) ON DELETE CASCADE)",
        "CREATE TABLE gen (a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c VARCHAR(20) AS (concat('x', a))"
        " PERSISTENT COMMENT 'a, (b)', KEY (a), CONSTRAINT chk CHECK (a > 0), UNIQUE KEY uk (c))",
        "/*!40101 ALTER TABLE gen ADD COLUMN v INT */",
        "ALTER TABLE gen ADD COLUMN w VARCHAR(10) DEFAULT (concat('a','b')) COMMENT 'x,y' FIRST, ALGORITHM=COPY",
        "CREATE TABLE dflt (a DATETIME DEFAULT CURRENT_TIMESTAMP(), b INT DEFAULT -1, c DOUBLE DEFAULT 1.5e3,"
        " d VARCHAR(3) DEFAULT _utf8mb4'x', e BIT(2) DEFAULT b'01', f INT COMMENT 'it''s', "
        " g TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, h INT NOT NULL DEFAULT ((1 + 2) * 3))",
        "CREATE DATABASE d3 CHARACTER SET latin1",
        "CREATE TABLE d3.t (v VARCHAR(3), w TEXT CHARACTER SET utf8mb4, x TINYTEXT, e ENUM('a b'))",
        "ALTER DATABASE d3 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        // (not in d3.t: MariaDB 10.11's CONVERT TO turns non-ASCII ENUM labels of a latin1 column into '?')
        "CREATE TABLE d3.t2 (v VARCHAR(3), w VARCHAR(3) CHARACTER SET utf8mb4, e ENUM('\xC3\xA9'))",
        "ALTER TABLE d3.t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        "ALTER TABLE d3.t2 COLLATE latin1_bin, ADD COLUMN x CHAR(1)",
        "TRUNCATE TABLE d3.t",
        "DROP TABLE IF EXISTS d3.t, d3.nonexist",
        "DROP DATABASE d3",
        "CREATE TABLE IF NOT EXISTS gen (x INT)",
        "CREATE OR REPLACE TABLE gen (z INT KEY)",
        "CREATE TABLE part (id INT, v INT, PRIMARY KEY (id)) PARTITION BY HASH (id) PARTITIONS 4",
        "ALTER TABLE part TRUNCATE PARTITION p0",
        "ALTER TABLE part ADD COLUMN w INT FIRST, DROP COLUMN v",
        "DROP TABLE part, dflt /* generated by server */",
    });
  }

  TEST_CASE("SchemaTracker follows explicit_defaults_for_timestamp=0 and re-reads CREATE ... SELECT tables") {
    MariaDbServer server({"--explicit-defaults-for-timestamp=0"});
    server.Exec("CREATE DATABASE d1");
    auto conn = server.Admin();
    auto loaded = mysql::SchemaTracker::Load(conn);
    REQUIRE_MESSAGE(loaded.ok(), loaded.status().message());
    mysql::SchemaTracker tracker = std::move(loaded).value();
    CHECK_FALSE(tracker.dialect().explicit_defaults_for_timestamp);
    RunSeries(server, tracker, {
        "CREATE TABLE ts (a TIMESTAMP, b TIMESTAMP NULL, c TIMESTAMP DEFAULT '2000-01-01 00:00:00', d DATETIME)",
        "ALTER TABLE ts ADD COLUMN e TIMESTAMP(3), MODIFY b TIMESTAMP(6) NULL",
    });
    // In statement format CREATE ... SELECT carries no column list: the tracker says so, Reload reads it.
    const std::string sql = "CREATE TABLE d1.sel AS SELECT 1 AS x, 'abc' AS y, NOW(3) AS z";
    server.Exec(sql);
    auto changes = tracker.ApplyDdl("d1", sql);
    REQUIRE(changes.ok());
    REQUIRE(changes->size() == 1);
    CHECK((*changes)[0].schema_unknown);
    CHECK_FALSE(tracker.IsTracked("d1", "sel"));
    REQUIRE(tracker.Reload(conn, "d1", "sel").ok());
    ExpectAgrees(conn, tracker, sql);
    server.Exec("ALTER TABLE d1.sel ADD COLUMN w VARCHAR(3)");
    REQUIRE(tracker.ApplyDdl("d1", "ALTER TABLE d1.sel ADD COLUMN w VARCHAR(3)").ok());
    ExpectAgrees(conn, tracker, "ALTER TABLE d1.sel ADD COLUMN w VARCHAR(3)");
  }
}
