// DDL tokenizer and parser: every statement form a binlog QUERY event can carry.

#include <doctest/doctest.h>

#include "source/mysql/ddl_lexer.hpp"
#include "source/mysql/ddl_parser.hpp"

using namespace dbsync;
using namespace dbsync::mysql;

namespace {

DdlStatement Parse(const std::string& sql, const std::string& db = "shop") {
  auto r = ParseDdl(db, sql);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r).value();
}

const DdlColumnDef& Column(const DdlStatement& st, const std::string& name) {
  for (const auto& c : st.columns)
    if (c.name == name) return c;
  FAIL("no column " << name);
  static DdlColumnDef none;
  return none;
}

}  // namespace

TEST_SUITE("ddl") {
  TEST_CASE("DdlLexer handles quoting, escapes, numbers and comments") {
    auto t = TokenizeSql("SELECT `a``b`, 'it''s\\n', \"q\\\"\", 1.5e-3, 0x1F, X'0A', b'01' /* c */ -- x\n # y\n z");
    REQUIRE(t.ok());
    const auto& v = *t;
    REQUIRE(v.size() == 16);
    CHECK(v[1].text == "a`b");
    CHECK(v[1].quoted);
    CHECK(v[3].text == "it's\n");
    CHECK(v[5].text == "q\"");
    CHECK(v[7].text == "1.5e-3");
    CHECK(v[9].text == "0x1F");
    CHECK(v[11].text == "X'0A'");
    CHECK(v[13].text == "b'01'");
    CHECK(v[13].type == DdlTokenType::kNumber);
    CHECK(v[14].text == "z");
    CHECK(v[15].type == DdlTokenType::kEnd);
    auto version = TokenizeSql("/*!50100 PARTITION */ /*M!100100 x */ /*+ hint */ y");
    REQUIRE(version.ok());
    REQUIRE(version->size() == 4);
    CHECK((*version)[0].text == "PARTITION");
    CHECK((*version)[1].text == "x");
    CHECK((*version)[2].text == "y");
    CHECK_FALSE(TokenizeSql("'open").ok());
    CHECK_FALSE(TokenizeSql("`open").ok());
    CHECK_FALSE(TokenizeSql("/* open").ok());
  }

  TEST_CASE("ParseDdl classifies statements that change no table definition") {
    struct Row {
      const char* name;
      const char* sql;
    };
    const Row rows[] = {
        {"begin", "BEGIN"},
        {"commit", "COMMIT"},
        {"insert", "INSERT INTO t VALUES (1, 'CREATE TABLE x (a int)')"},
        {"update", "UPDATE t SET a = 1"},
        {"grant", "GRANT SELECT ON *.* TO 'u'@'%'"},
        {"create user", "CREATE USER 'u'@'%' IDENTIFIED BY 'p'"},
        {"set", "SET @@session.foreign_key_checks = 0"},
        {"flush", "FLUSH PRIVILEGES"},
        {"analyze", "ANALYZE TABLE t"},
        {"optimize", "OPTIMIZE TABLE t"},
        {"create index", "CREATE UNIQUE INDEX i ON t (a)"},
        {"drop index", "DROP INDEX i ON t"},
        {"create view", "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW v AS SELECT 1"},
        {"create trigger", "CREATE DEFINER=`root`@`localhost` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1"},
        {"create procedure", "CREATE PROCEDURE p() BEGIN CREATE TABLE x (a INT); END"},
        {"drop view", "DROP VIEW IF EXISTS v"},
        {"temporary table", "CREATE TEMPORARY TABLE tmp (a INT)"},
        {"drop temporary", "DROP TEMPORARY TABLE IF EXISTS tmp"},
        {"rename user", "RENAME USER a TO b"},
        {"alter user", "ALTER USER u IDENTIFIED BY 'x'"},
        {"xa", "XA START 'x'"},
        {"savepoint", "SAVEPOINT s1"},
        {"create sequence", "CREATE SEQUENCE s START WITH 1"},
        {"empty", "  /* only a comment */ "},
        {"alter database upgrade", "ALTER DATABASE `#mysql50#a-b` UPGRADE DATA DIRECTORY NAME"},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      auto r = ParseDdl("shop", row.sql);
      REQUIRE_MESSAGE(r.ok(), r.status().message());
      CHECK(r->kind == DdlKind::kNone);
    }
  }

  TEST_CASE("ParseDdl resolves table names: qualified, backquoted, default database") {
    struct Row {
      const char* name;
      const char* sql;
      DdlTableName expected;
    };
    const Row rows[] = {
        {"bare", "TRUNCATE t", {"shop", "t"}},
        {"qualified", "TRUNCATE TABLE crm.t", {"crm", "t"}},
        {"backquoted", "TRUNCATE TABLE `crm`.`t`", {"crm", "t"}},
        {"spaces", "TRUNCATE TABLE `my db`.`my table`", {"my db", "my table"}},
        {"backquote inside", "TRUNCATE TABLE `a``b`", {"shop", "a`b"}},
        {"unicode", "TRUNCATE TABLE `caf\xC3\xA9`.`\xE8\xA1\xA8`", {"caf\xC3\xA9", "\xE8\xA1\xA8"}},
        {"bare unicode", "TRUNCATE TABLE caf\xC3\xA9", {"shop", "caf\xC3\xA9"}},
        {"keyword as quoted name", "TRUNCATE TABLE `select`", {"shop", "select"}},
        {"digit-leading name", "TRUNCATE TABLE 1st_table", {"shop", "1st_table"}},
        {"comments around", "/* x */ TRUNCATE -- y\n TABLE # z\n t", {"shop", "t"}},
        {"version comment", "/*!40000 TRUNCATE TABLE t */", {"shop", "t"}},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      DdlStatement st = Parse(row.sql);
      CHECK(st.kind == DdlKind::kTruncateTable);
      CHECK(st.table == row.expected);
    }
  }

  TEST_CASE("ParseDdl reads column types and attributes of CREATE TABLE") {
    struct Row {
      const char* name;
      const char* def;
      const char* type;
      long long length;  // -1: none
      int decimals;      // -1: none
      bool is_unsigned, zerofill;
      const char* charset;
      const char* collation;
      DdlNullability null;
    };
    using N = DdlNullability;
    const Row rows[] = {
        {"int", "c INT", "int", -1, -1, false, false, "", "", N::kUnspecified},
        {"integer unsigned", "c INTEGER(10) UNSIGNED NOT NULL", "int", 10, -1, true, false, "", "", N::kNotNull},
        {"zerofill", "c MEDIUMINT ZEROFILL", "mediumint", -1, -1, true, true, "", "", N::kUnspecified},
        {"bool", "c BOOLEAN NULL", "tinyint", 1, -1, false, false, "", "", N::kNull},
        {"decimal", "c NUMERIC(12,3) SIGNED", "decimal", 12, 3, false, false, "", "", N::kUnspecified},
        {"double precision", "c DOUBLE PRECISION(8,2)", "double", 8, 2, false, false, "", "", N::kUnspecified},
        {"datetime fsp", "c DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)", "datetime", 6,
         -1, false, false, "", "", N::kUnspecified},
        {"varchar charset", "c VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin", "varchar", 10, -1, false, false,
         "latin1", "latin1_bin", N::kUnspecified},
        {"charset keyword", "c TEXT CHARSET 'utf8mb4'", "text", -1, -1, false, false, "utf8mb4", "", N::kUnspecified},
        {"national", "c NATIONAL CHARACTER VARYING(5)", "varchar", 5, -1, false, false, "utf8", "", N::kUnspecified},
        {"nchar", "c NCHAR(2)", "char", 2, -1, false, false, "utf8", "", N::kUnspecified},
        {"char varying", "c CHARACTER VARYING(3)", "varchar", 3, -1, false, false, "", "", N::kUnspecified},
        {"ascii", "c CHAR(2) ASCII", "char", 2, -1, false, false, "latin1", "", N::kUnspecified},
        {"byte", "c VARCHAR(4) BYTE", "varchar", 4, -1, false, false, "binary", "", N::kUnspecified},
        {"long", "c LONG", "mediumtext", -1, -1, false, false, "", "", N::kUnspecified},
        {"long varbinary", "c LONG VARBINARY", "mediumblob", -1, -1, false, false, "", "", N::kUnspecified},
        {"serial", "c SERIAL", "bigint", -1, -1, true, false, "", "", N::kNotNull},
        {"json", "c JSON NOT NULL", "json", -1, -1, false, false, "", "", N::kNotNull},
        {"geometry srid", "c POINT NOT NULL SRID 4326", "point", -1, -1, false, false, "", "", N::kNotNull},
        {"generated", "c INT GENERATED ALWAYS AS ((a + 1) * 2) STORED NOT NULL", "int", -1, -1, false, false, "", "",
         N::kNotNull},
        {"short generated", "c VARCHAR(9) AS (concat(a, ',', ')')) VIRTUAL", "varchar", 9, -1, false, false, "", "",
         N::kUnspecified},
        {"comment with punctuation", "c INT COMMENT 'a, b (c)); d' NOT NULL", "int", -1, -1, false, false, "", "",
         N::kNotNull},
        {"default expression", "c VARCHAR(20) DEFAULT (concat('a,', 'b)')) NOT NULL", "varchar", 20, -1, false, false,
         "", "", N::kNotNull},
        {"default negative", "c INT DEFAULT -1 NOT NULL", "int", -1, -1, false, false, "", "", N::kNotNull},
        {"default introducer", "c VARCHAR(3) DEFAULT _utf8mb4'x' COLLATE utf8mb4_bin", "varchar", 3, -1, false, false,
         "", "utf8mb4_bin", N::kUnspecified},
        {"default bit literal", "c BIT(2) DEFAULT b'01'", "bit", 2, -1, false, false, "", "", N::kUnspecified},
        {"misc attributes", "c INT INVISIBLE COLUMN_FORMAT FIXED STORAGE DISK COMPRESSED=zlib CHECK (c > 0)", "int", -1,
         -1, false, false, "", "", N::kUnspecified},
        {"inline references", "c INT REFERENCES p (id) ON DELETE CASCADE", "int", -1, -1, false, false, "", "",
         N::kUnspecified},
        {"text length", "c TEXT(300)", "text", 300, -1, false, false, "", "", N::kUnspecified},
        {"uuid", "c UUID", "uuid", -1, -1, false, false, "", "", N::kUnspecified},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      DdlStatement st = Parse(std::string("CREATE TABLE t (") + row.def + ")");
      REQUIRE(st.columns.size() == 1);
      const DdlColumnDef& c = st.columns[0];
      CHECK(c.name == "c");
      CHECK(c.type == row.type);
      CHECK(c.length.value_or(-1) == row.length);
      CHECK(c.decimals.value_or(-1) == row.decimals);
      CHECK(c.is_unsigned == row.is_unsigned);
      CHECK(c.zerofill == row.zerofill);
      CHECK(c.charset == row.charset);
      CHECK(c.collation == row.collation);
      CHECK(c.null == row.null);
    }
  }

  TEST_CASE("ParseDdl keeps a literal DEFAULT as the catalog shows it; an expression is unknown") {
    const std::pair<const char*, std::optional<std::string>> rows[] = {
        {"c INT", ""},
        {"c INT NOT NULL DEFAULT 7", "7"},
        {"c INT DEFAULT -1 NOT NULL", "-1"},
        {"c DECIMAL(5,2) DEFAULT +2.50", "2.50"},
        {"c VARCHAR(9) DEFAULT 'caf\xC3\xA9' NULL", "'caf\xC3\xA9'"},
        {"c VARCHAR(9) DEFAULT 'it''s \\\\ x'", "'it''s \\\\ x'"},
        {"c VARCHAR(9) DEFAULT NULL", "NULL"},
        {"c VARCHAR(3) DEFAULT _utf8mb4'x'", std::nullopt},
        {"c DATETIME DEFAULT CURRENT_TIMESTAMP", std::nullopt},
        {"c INT DEFAULT (1 + 1)", std::nullopt},
        {"c BIT(2) DEFAULT b'01'", "b'01'"},
        {"c VARBINARY(2) DEFAULT x'0a'", std::nullopt},
        {"c VARBINARY(2) DEFAULT 0x0a", std::nullopt},
    };
    for (const auto& [def, literal] : rows) {
      const std::string sql = std::string("ALTER TABLE t ADD COLUMN ") + def;
      DdlStatement st = Parse(sql);
      REQUIRE(st.ops.size() == 1);
      const auto& got = st.ops[0].column.default_literal;
      CHECK_MESSAGE(got == literal, sql << ": " << got.value_or("(expression)"));
    }
  }

  TEST_CASE("ParseDdl reads ENUM and SET members with commas, quotes and escapes") {
    DdlStatement st = Parse(
        "CREATE TABLE t (e ENUM('a,b', 'it''s', 'say \"hi\"', 'back\\\\slash', '(x)', 'caf\xC3\xA9') NOT NULL,"
        " s SET(_utf8mb4'p' , \"q\", 'r' 's'))");
    CHECK(Column(st, "e").values ==
          std::vector<std::string>{"a,b", "it's", "say \"hi\"", "back\\slash", "(x)", "caf\xC3\xA9"});
    CHECK(Column(st, "s").values == std::vector<std::string>{"p", "q", "rs"});
  }

  TEST_CASE("ParseDdl reads primary keys and skips indexes, constraints and table options") {
    struct Row {
      const char* name;
      const char* sql;
      std::vector<std::string> key;
      std::string charset, collation;
    };
    const Row rows[] = {
        {"inline", "CREATE TABLE t (id INT PRIMARY KEY, v INT)", {"id"}, "", ""},
        {"bare KEY", "CREATE TABLE t (id INT NOT NULL KEY, v INT)", {"id"}, "", ""},
        {"table level", "CREATE TABLE t (a INT, b INT, PRIMARY KEY (b, a))", {"b", "a"}, "", ""},
        {"named constraint", "CREATE TABLE t (a INT, b INT, CONSTRAINT `pk` PRIMARY KEY USING BTREE (a(3) DESC, b))",
         {"a", "b"}, "", ""},
        {"everything else skipped",
         "CREATE TABLE t (a INT, b VARCHAR(9), KEY k (b(3)), INDEX (a), UNIQUE KEY u (a, b), FULLTEXT f (b),"
         " CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id) ON DELETE SET NULL, CHECK (a > 0),"
         " CONSTRAINT c CHECK (b <> ','), PRIMARY KEY (a) COMMENT 'x')",
         {"a"}, "", ""},
        {"table options", "CREATE TABLE t (a INT) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=latin1 "
         "COLLATE=latin1_bin ROW_FORMAT=DYNAMIC COMMENT='x, y' STATS_PERSISTENT=0", {}, "latin1", "latin1_bin"},
        {"options without =", "CREATE TABLE t (a INT) ENGINE InnoDB CHARACTER SET utf8mb4, COLLATE utf8mb4_bin",
         {}, "utf8mb4", "utf8mb4_bin"},
        {"version comment options", "CREATE TABLE t (a INT) /*!50100 TABLESPACE `innodb_system` */ "
         "ENGINE=InnoDB /*!40101 DEFAULT CHARSET=utf8mb3 */", {}, "utf8mb3", ""},
        {"partitioned", "CREATE TABLE t (a INT) PARTITION BY RANGE (a) (PARTITION p0 VALUES LESS THAN (10),"
         " PARTITION p1 VALUES LESS THAN MAXVALUE)", {}, "", ""},
        {"atomic ddl", "CREATE TABLE t (a INT) START TRANSACTION", {}, "", ""},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      DdlStatement st = Parse(row.sql);
      CHECK(st.kind == DdlKind::kCreateTable);
      CHECK(st.primary_key == row.key);
      CHECK(st.charset == row.charset);
      CHECK(st.collation == row.collation);
    }
  }

  TEST_CASE("ParseDdl reads CREATE TABLE variants") {
    DdlStatement like = Parse("CREATE TABLE IF NOT EXISTS copy LIKE crm.src");
    CHECK(like.kind == DdlKind::kCreateTableLike);
    CHECK(like.if_not_exists);
    CHECK(like.like == DdlTableName{"crm", "src"});
    CHECK(Parse("CREATE TABLE copy (LIKE src)").like == DdlTableName{"shop", "src"});
    DdlStatement sel = Parse("CREATE TABLE t2 AS SELECT a, b FROM t1");
    CHECK(sel.kind == DdlKind::kCreateTable);
    CHECK(sel.as_select);
    CHECK(Parse("CREATE TABLE t2 (x INT) IGNORE SELECT * FROM t1").as_select);
    CHECK(Parse("CREATE TABLE t2 SELECT 1").as_select);
    DdlStatement replace = Parse("CREATE OR REPLACE TABLE t (a INT)");
    CHECK(replace.or_replace);
  }

  TEST_CASE("ParseDdl reads ALTER TABLE specifications in order") {
    DdlStatement st = Parse(
        "ALTER TABLE `s`.`t` ADD COLUMN a INT FIRST, ADD b VARCHAR(3) AFTER `a`, ADD COLUMN (c INT, d INT),"
        " DROP COLUMN IF EXISTS e, DROP f, MODIFY COLUMN g BIGINT NOT NULL AFTER a,"
        " CHANGE h `h 2` TEXT COMMENT 'x, y' FIRST, RENAME COLUMN i TO j, DROP PRIMARY KEY,"
        " ADD CONSTRAINT pk PRIMARY KEY (a, b), CONVERT TO CHARACTER SET latin1 COLLATE latin1_bin,"
        " DEFAULT CHARSET = utf8mb4, ALGORITHM=INPLACE, LOCK=NONE, RENAME TO s2.t2");
    CHECK(st.kind == DdlKind::kAlterTable);
    CHECK(st.table == DdlTableName{"s", "t"});
    REQUIRE(st.ops.size() == 14);
    using K = AlterOpKind;
    CHECK(st.ops[0].kind == K::kAddColumn);
    CHECK(st.ops[0].position == DdlColumnPosition::kFirst);
    CHECK(st.ops[1].column.name == "b");
    CHECK(st.ops[1].position == DdlColumnPosition::kAfter);
    CHECK(st.ops[1].after == "a");
    CHECK(st.ops[2].column.name == "c");
    CHECK(st.ops[3].column.name == "d");
    CHECK(st.ops[4].kind == K::kDropColumn);
    CHECK(st.ops[4].if_exists);
    CHECK(st.ops[5].name == "f");
    CHECK(st.ops[6].kind == K::kModifyColumn);
    CHECK(st.ops[6].name == "g");
    CHECK(st.ops[6].column.null == DdlNullability::kNotNull);
    CHECK(st.ops[7].kind == K::kChangeColumn);
    CHECK(st.ops[7].name == "h");
    CHECK(st.ops[7].column.name == "h 2");
    CHECK(st.ops[7].position == DdlColumnPosition::kFirst);
    CHECK(st.ops[8].kind == K::kRenameColumn);
    CHECK(st.ops[8].new_name == "j");
    CHECK(st.ops[9].kind == K::kDropPrimaryKey);
    CHECK(st.ops[10].kind == K::kAddPrimaryKey);
    CHECK(st.ops[10].key_columns == std::vector<std::string>{"a", "b"});
    CHECK(st.ops[11].kind == K::kConvertCharset);
    CHECK(st.ops[11].collation == "latin1_bin");
    CHECK(st.ops[12].kind == K::kTableDefaults);
    CHECK(st.ops[12].charset == "utf8mb4");
    CHECK(st.ops[13].kind == K::kRenameTable);
    CHECK(st.ops[13].new_table == DdlTableName{"s2", "t2"});
  }

  TEST_CASE("ParseDdl treats index, constraint and option specifications as schema-neutral") {
    const char* rows[] = {
        "ALTER TABLE t ADD INDEX i (a), ADD UNIQUE KEY u (a, b), ADD FULLTEXT (c), ADD SPATIAL INDEX (g)",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id), ADD CONSTRAINT ck CHECK (a IN (1, 2))",
        "ALTER TABLE t DROP INDEX i, DROP KEY k, DROP FOREIGN KEY fk, DROP CONSTRAINT ck, DROP CHECK c2",
        "ALTER TABLE t RENAME INDEX a TO b, RENAME KEY c TO d, ALTER INDEX e INVISIBLE",
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x,y', ALTER b DROP DEFAULT",
        "ALTER TABLE t ENGINE=InnoDB, ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8, AUTO_INCREMENT = 10, COMMENT 'a, (b)'",
        "ALTER TABLE t FORCE",
        "ALTER TABLE t ORDER BY a, b DESC",
        "ALTER TABLE t DISABLE KEYS",
        "ALTER ONLINE IGNORE TABLE t ALGORITHM=COPY, LOCK=SHARED",
        "ALTER TABLE t PARTITION BY HASH(a) PARTITIONS 4",
        "ALTER TABLE t REMOVE PARTITIONING",
        "ALTER TABLE t",
    };
    for (const char* sql : rows) {
      INFO(sql);
      DdlStatement st = Parse(sql);
      CHECK(st.kind == DdlKind::kAlterTable);
      CHECK(st.ops.empty());
    }
    CHECK(Parse("ALTER TABLE t TRUNCATE PARTITION p0, p1").ops.at(0).kind == AlterOpKind::kPartitionData);
    CHECK(Parse("ALTER TABLE t DROP PARTITION p0").ops.at(0).kind == AlterOpKind::kPartitionData);
    CHECK(Parse("ALTER TABLE t EXCHANGE PARTITION p0 WITH TABLE t2").ops.at(0).kind == AlterOpKind::kPartitionData);
  }

  TEST_CASE("ParseDdl reads RENAME, DROP, TRUNCATE and database statements") {
    DdlStatement ren = Parse("RENAME TABLE a TO tmp, b TO a, crm.tmp TO `b`");
    REQUIRE(ren.renames.size() == 3);
    CHECK(ren.renames[0].first == DdlTableName{"shop", "a"});
    CHECK(ren.renames[0].second == DdlTableName{"shop", "tmp"});
    CHECK(ren.renames[2].first == DdlTableName{"crm", "tmp"});
    DdlStatement drop = Parse("DROP TABLE IF EXISTS `a`, crm.b /* generated by server */");
    CHECK(drop.kind == DdlKind::kDropTable);
    CHECK(drop.if_exists);
    CHECK(drop.tables == std::vector<DdlTableName>{{"shop", "a"}, {"crm", "b"}});
    CHECK(Parse("DROP TABLES a, b CASCADE").tables.size() == 2);
    DdlStatement cdb = Parse("CREATE DATABASE IF NOT EXISTS `new db` DEFAULT CHARACTER SET = latin1 COLLATE latin1_bin");
    CHECK(cdb.kind == DdlKind::kCreateDatabase);
    CHECK(cdb.database == "new db");
    CHECK(cdb.charset == "latin1");
    CHECK(cdb.collation == "latin1_bin");
    CHECK(Parse("CREATE SCHEMA s").kind == DdlKind::kCreateDatabase);
    DdlStatement adb = Parse("ALTER DATABASE CHARACTER SET utf8mb4");
    CHECK(adb.kind == DdlKind::kAlterDatabase);
    CHECK(adb.database == "shop");
    CHECK(Parse("ALTER SCHEMA crm COLLATE utf8mb4_bin").database == "crm");
    DdlStatement ddb = Parse("DROP DATABASE IF EXISTS crm");
    CHECK(ddb.kind == DdlKind::kDropDatabase);
    CHECK(ddb.database == "crm");
  }

  TEST_CASE("ParseDdl fails loudly on DDL it does not understand, naming the statement and the tables") {
    struct Row {
      const char* name;
      const char* sql;
      const char* message_part;
      std::vector<DdlTableName> touched;
    };
    const Row rows[] = {
        {"unknown type", "ALTER TABLE t ADD COLUMN c FOOTYPE", "unknown type 'footype'", {{"shop", "t"}}},
        {"unknown spec", "ALTER TABLE crm.t FROBNICATE c", "unknown table option 'FROBNICATE'", {{"crm", "t"}}},
        {"bad attribute", "CREATE TABLE t (a INT WIBBLE)", "unexpected 'WIBBLE'", {{"shop", "t"}}},
        {"unterminated", "CREATE TABLE t (a ENUM('x)", "unterminated string", {}},
        {"missing paren", "CREATE TABLE t (a INT", "expected ')'", {{"shop", "t"}}},
        {"system versioning", "ALTER TABLE t ADD SYSTEM VERSIONING", "SYSTEM VERSIONING", {{"shop", "t"}}},
        {"trailing garbage", "DROP TABLE t x", "unexpected text", {{"shop", "t"}}},
        {"rename half", "RENAME TABLE a TO b, c", "expected TO", {{"shop", "a"}, {"shop", "b"}, {"shop", "c"}}},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      std::vector<DdlTableName> touched;
      auto r = ParseDdl("shop", row.sql, &touched);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
      CHECK_MESSAGE(r.status().message().find(row.message_part) != std::string::npos, r.status().message());
      CHECK_MESSAGE(r.status().message().find(row.sql) != std::string::npos, r.status().message());
      CHECK(touched == row.touched);
    }
  }
}

TEST_CASE("IsDdlStatement tells DDL from DML by the first keyword, past comments") {
  using dbsync::mysql::IsDdlStatement;
  CHECK(IsDdlStatement("CREATE TABLE t (a INT)"));
  CHECK(IsDdlStatement("  /* a comment */ create table t select 1"));
  CHECK(IsDdlStatement("/*!40000 ALTER TABLE t DISABLE KEYS */"));
  CHECK(IsDdlStatement("# note\nDROP TABLE t"));
  CHECK(IsDdlStatement("rename table a to b"));
  CHECK(IsDdlStatement("TRUNCATE t"));
  CHECK_FALSE(IsDdlStatement("INSERT INTO t VALUES (1)"));
  CHECK_FALSE(IsDdlStatement("UPDATE t SET a = 1"));
  CHECK_FALSE(IsDdlStatement("/* CREATE */ DELETE FROM t"));
  CHECK_FALSE(IsDdlStatement("/* unterminated"));
}
