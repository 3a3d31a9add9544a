// SchemaTracker without a server: definitions derived from DDL, the changes
// reported, loudness, atomicity, dialects and charset resolution.

#include <doctest/doctest.h>

#include <algorithm>

#include "source/mysql/schema_tracker.hpp"

using namespace dbsync;
using namespace dbsync::mysql;

namespace {

SchemaTracker MariaDbTracker(TableFilter filter = {}) {
  CharsetCatalog catalog = CharsetCatalog::Builtin();
  SchemaTracker t(catalog, DdlDialect::ForServerVersion("10.11.6-MariaDB"), {"utf8mb4", "utf8mb4_general_ci"},
                  std::move(filter));
  t.SetDatabaseDefault("shop", {"utf8mb4", "utf8mb4_general_ci"});
  t.SetDatabaseDefault("legacy", {"latin1", "latin1_swedish_ci"});
  return t;
}

std::vector<SchemaChange> Apply(SchemaTracker& t, const std::string& sql, const std::string& db = "shop") {
  auto r = t.ApplyDdl(db, sql);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r).value();
}

std::vector<std::string> Names(const TableSchema* s) {
  std::vector<std::string> out;
  REQUIRE(s != nullptr);
  for (const auto& c : s->columns) out.push_back(c.name);
  return out;
}

std::vector<SchemaChangeKind> Kinds(const std::vector<SchemaChange>& changes) {
  std::vector<SchemaChangeKind> out;
  for (const auto& c : changes) out.push_back(c.kind);
  return out;
}

const ColumnSchema& Col(const SchemaTracker& t, const std::string& table, const std::string& name,
                        const std::string& db = "shop") {
  const TableSchema* s = t.Find(db, table);
  REQUIRE(s != nullptr);
  int i = s->ColumnIndex(name);
  REQUIRE_MESSAGE(i >= 0, "no column " << name);
  return s->columns[size_t(i)];
}

using K = SchemaChangeKind;

}  // namespace

TEST_SUITE("ddl") {
  TEST_CASE("SchemaTracker derives information_schema's view of each column type (MariaDB)") {
    struct Row {
      const char* name;
      const char* def;
      const char* data_type;
      const char* column_type;
      bool is_unsigned;
      int collation;
      int precision, scale, fsp;
    };
    const Row rows[] = {
        {"int", "INT", "int", "int(11)", false, 0, 10, 0, 0},
        {"int unsigned", "INT UNSIGNED", "int", "int(10) unsigned", true, 0, 10, 0, 0},
        {"tinyint", "TINYINT", "tinyint", "tinyint(4)", false, 0, 3, 0, 0},
        {"bool", "BOOL", "tinyint", "tinyint(1)", false, 0, 3, 0, 0},
        {"mediumint zerofill", "MEDIUMINT ZEROFILL", "mediumint", "mediumint(8) unsigned zerofill", true, 0, 8, 0, 0},
        {"bigint", "BIGINT", "bigint", "bigint(20)", false, 0, 19, 0, 0},
        {"serial", "SERIAL", "bigint", "bigint(20) unsigned", true, 0, 20, 0, 0},
        {"int width", "INT(5)", "int", "int(5)", false, 0, 10, 0, 0},
        {"decimal default", "DECIMAL", "decimal", "decimal(10,0)", false, 0, 10, 0, 0},
        {"decimal", "DECIMAL(30,10) UNSIGNED", "decimal", "decimal(30,10) unsigned", true, 0, 30, 10, 0},
        {"float", "FLOAT", "float", "float", false, 0, 12, 0, 0},
        {"float(p) is double", "FLOAT(30)", "double", "double", false, 0, 22, 0, 0},
        {"float(m,d)", "FLOAT(7,3)", "float", "float(7,3)", false, 0, 7, 3, 0},
        {"real", "REAL", "double", "double", false, 0, 22, 0, 0},
        {"bit", "BIT", "bit", "bit(1)", false, 0, 1, 0, 0},
        {"bit(10)", "BIT(10)", "bit", "bit(10)", false, 0, 10, 0, 0},
        {"year", "YEAR", "year", "year(4)", false, 0, 0, 0, 0},
        {"time(3)", "TIME(3)", "time", "time(3)", false, 0, 0, 0, 3},
        {"datetime", "DATETIME", "datetime", "datetime", false, 0, 0, 0, 0},
        {"timestamp(6)", "TIMESTAMP(6) NULL", "timestamp", "timestamp(6)", false, 0, 0, 0, 6},
        {"char", "CHAR", "char", "char(1)", false, 45, 0, 0, 0},
        {"varchar latin1", "VARCHAR(5) CHARSET latin1", "varchar", "varchar(5)", false, 8, 0, 0, 0},
        {"char binary", "CHAR(3) BINARY", "char", "char(3)", false, 46, 0, 0, 0},
        {"nchar", "NCHAR(3)", "char", "char(3)", false, 33, 0, 0, 0},
        {"ascii", "CHAR(2) ASCII", "char", "char(2)", false, 8, 0, 0, 0},
        {"collate only", "TEXT COLLATE utf8mb4_unicode_ci", "text", "text", false, 224, 0, 0, 0},
        {"binary", "BINARY", "binary", "binary(1)", false, 63, 0, 0, 0},
        {"varchar byte", "VARCHAR(5) BYTE", "varbinary", "varbinary(5)", false, 63, 0, 0, 0},
        {"text charset binary", "TEXT CHARACTER SET binary", "blob", "blob", false, 63, 0, 0, 0},
        {"text(100) utf8mb4", "TEXT(100)", "text", "text", false, 45, 0, 0, 0},
        {"text(60) utf8mb4", "TEXT(60)", "tinytext", "tinytext", false, 45, 0, 0, 0},
        {"blob(70000)", "BLOB(70000)", "mediumblob", "mediumblob", false, 63, 0, 0, 0},
        {"long", "LONG", "mediumtext", "mediumtext", false, 45, 0, 0, 0},
        {"json", "JSON", "longtext", "longtext", false, 46, 0, 0, 0},
        {"enum", "ENUM('a','it''s','b\\\\c')", "enum", "enum('a','it''s','b\\\\c')", false, 45, 0, 0, 0},
        {"set latin1", "SET('x','y') CHARACTER SET latin1 COLLATE latin1_bin", "set", "set('x','y')", false, 47, 0, 0, 0},
        {"geometry", "GEOMETRY", "geometry", "geometry", false, 0, 0, 0, 0},
        {"uuid", "UUID", "uuid", "uuid", false, 0, 0, 0, 0},
    };
    for (const auto& row : rows) {
      INFO(row.name);
      SchemaTracker t = MariaDbTracker();
      Apply(t, std::string("CREATE TABLE t (c ") + row.def + ")");
      const ColumnSchema& c = Col(t, "t", "c");
      CHECK(c.data_type == row.data_type);
      CHECK(c.column_type == row.column_type);
      CHECK(c.is_unsigned == row.is_unsigned);
      CHECK(c.collation == row.collation);
      CHECK(c.precision == row.precision);
      CHECK(c.scale == row.scale);
      CHECK(c.fsp == row.fsp);
    }
  }

  TEST_CASE("SchemaTracker resolves charsets from column, table and database defaults") {
    SchemaTracker t = MariaDbTracker();
    Apply(t, "CREATE TABLE legacy.a (v VARCHAR(3), w VARCHAR(3) CHARACTER SET utf8mb4, x VARCHAR(3) COLLATE utf8mb4_bin)");
    CHECK(Col(t, "a", "v", "legacy").collation_name == "latin1_swedish_ci");
    CHECK(Col(t, "a", "w", "legacy").collation_name == "utf8mb4_general_ci");
    CHECK(Col(t, "a", "x", "legacy").charset == "utf8mb4");
    Apply(t, "CREATE TABLE b (v VARCHAR(3), e ENUM('x')) DEFAULT CHARSET=latin1 COLLATE=latin1_bin");
    CHECK(Col(t, "b", "v").collation == 47);
    CHECK(Col(t, "b", "e").collation == 47);
    Apply(t, "CREATE TABLE c (v VARCHAR(3)) COLLATE utf8mb4_unicode_ci");
    CHECK(Col(t, "c", "v").collation == 224);
    Apply(t, "CREATE TABLE d (v VARCHAR(3) CHARACTER SET utf8)");  // utf8 is utf8mb3 on MariaDB 10.6+
    CHECK(Col(t, "d", "v").charset == "utf8mb3");
    CHECK(Col(t, "d", "v").collation == 33);
    Apply(t, "CREATE DATABASE n CHARACTER SET latin1");
    Apply(t, "CREATE TABLE n.t (v VARCHAR(3))");
    CHECK(Col(t, "t", "v", "n").collation == 8);
    Apply(t, "ALTER DATABASE n COLLATE utf8mb4_bin");
    Apply(t, "CREATE TABLE n.u (v VARCHAR(3))");
    CHECK(Col(t, "u", "v", "n").collation == 46);
    Apply(t, "ALTER TABLE b DEFAULT CHARSET utf8mb4, ADD COLUMN w TEXT");  // new default; old columns stay
    CHECK(Col(t, "b", "w").collation == 45);
    CHECK(Col(t, "b", "v").collation == 47);
    auto bad = t.ApplyDdl("shop", "CREATE TABLE e (v VARCHAR(3) CHARACTER SET klingon)");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("klingon") != std::string::npos);
    auto mismatch = t.ApplyDdl("shop", "CREATE TABLE e (v VARCHAR(3) CHARACTER SET latin1 COLLATE utf8mb4_bin)");
    CHECK_FALSE(mismatch.ok());
  }

  TEST_CASE("SchemaTracker applies ALTER TABLE column changes with positions and reports them") {
    SchemaTracker t = MariaDbTracker();
    Apply(t, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT)");
    struct Step {
      const char* name;
      const char* sql;
      std::vector<std::string> columns;
      std::vector<SchemaChangeKind> changes;
    };
    const Step steps[] = {
        {"add last", "ALTER TABLE t ADD COLUMN c INT", {"id", "a", "b", "c"}, {K::kColumnAdded}},
        {"add first", "ALTER TABLE t ADD z INT FIRST", {"z", "id", "a", "b", "c"}, {K::kColumnAdded}},
        {"add after", "ALTER TABLE t ADD COLUMN y INT AFTER id", {"z", "id", "y", "a", "b", "c"}, {K::kColumnAdded}},
        {"add several", "ALTER TABLE t ADD COLUMN (p INT, q INT)", {"z", "id", "y", "a", "b", "c", "p", "q"},
         {K::kColumnAdded, K::kColumnAdded}},
        {"drop", "ALTER TABLE t DROP COLUMN p, DROP q", {"z", "id", "y", "a", "b", "c"},
         {K::kColumnDropped, K::kColumnDropped}},
        {"modify moves", "ALTER TABLE t MODIFY c INT FIRST", {"c", "z", "id", "y", "a", "b"}, {K::kColumnModified}},
        {"modify same is no change", "ALTER TABLE t MODIFY COLUMN c INT COMMENT 'x'", {"c", "z", "id", "y", "a", "b"},
         {}},
        {"modify type", "ALTER TABLE t MODIFY a BIGINT", {"c", "z", "id", "y", "a", "b"}, {K::kColumnModified}},
        {"change renames and moves", "ALTER TABLE t CHANGE b b2 INT AFTER c", {"c", "b2", "z", "id", "y", "a"},
         {K::kColumnRenamed, K::kColumnModified}},
        {"change rename only", "ALTER TABLE t CHANGE COLUMN b2 b3 INT", {"c", "b3", "z", "id", "y", "a"},
         {K::kColumnRenamed}},
        {"rename column", "ALTER TABLE t RENAME COLUMN y TO `y 2`", {"c", "b3", "z", "id", "y 2", "a"},
         {K::kColumnRenamed}},
        {"case-insensitive names", "ALTER TABLE t DROP COLUMN Z", {"c", "b3", "id", "y 2", "a"}, {K::kColumnDropped}},
        {"if exists / if not exists", "ALTER TABLE t DROP COLUMN IF EXISTS nope, ADD COLUMN IF NOT EXISTS a INT",
         {"c", "b3", "id", "y 2", "a"}, {}},
        {"neutral specs", "ALTER TABLE t ADD INDEX (a), ENGINE=InnoDB", {"c", "b3", "id", "y 2", "a"}, {}},
        {"version comment", "/*!40101 ALTER TABLE t ADD COLUMN v INT */", {"c", "b3", "id", "y 2", "a", "v"},
         {K::kColumnAdded}},
    };
    for (const auto& step : steps) {
      INFO(step.name);
      auto changes = Apply(t, step.sql);
      CHECK(Names(t.Find("shop", "t")) == step.columns);
      CHECK(Kinds(changes) == step.changes);
    }
    auto changes = Apply(t, "ALTER TABLE t MODIFY a VARCHAR(5) NOT NULL AFTER c");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].column == "a");
    CHECK(changes[0].position == 1);
    REQUIRE(changes[0].before);
    CHECK(changes[0].before->data_type == "bigint");
    CHECK(changes[0].after->data_type == "varchar");
    CHECK_FALSE(changes[0].after->nullable);
  }

  TEST_CASE("SchemaTracker follows primary keys through CHANGE, DROP and ADD PRIMARY KEY") {
    SchemaTracker t = MariaDbTracker();
    Apply(t, "CREATE TABLE t (id INT, k VARCHAR(3), v INT, PRIMARY KEY (id, k))");
    CHECK(t.Find("shop", "t")->primary_key == std::vector<std::string>{"id", "k"});
    CHECK_FALSE(Col(t, "t", "id").nullable);
    auto changes = Apply(t, "ALTER TABLE t CHANGE id order_id BIGINT");
    CHECK(Kinds(changes) == std::vector<K>{K::kColumnRenamed, K::kColumnModified});
    CHECK(t.Find("shop", "t")->primary_key == std::vector<std::string>{"order_id", "k"});
    CHECK_FALSE(Col(t, "t", "order_id").nullable);  // still in the key: stays NOT NULL
    changes = Apply(t, "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (v)");
    CHECK(Kinds(changes) == std::vector<K>{K::kPrimaryKeyChanged, K::kPrimaryKeyChanged, K::kColumnModified});
    CHECK(changes[1].old_primary_key.empty());
    CHECK(changes[1].primary_key == std::vector<std::string>{"v"});
    CHECK_FALSE(Col(t, "t", "v").nullable);
    changes = Apply(t, "ALTER TABLE t DROP COLUMN v");
    CHECK(Kinds(changes) == std::vector<K>{K::kColumnDropped, K::kPrimaryKeyChanged});
    CHECK(t.Find("shop", "t")->primary_key.empty());
    changes = Apply(t, "ALTER TABLE t ADD COLUMN n INT AUTO_INCREMENT PRIMARY KEY FIRST");
    CHECK(Kinds(changes) == std::vector<K>{K::kColumnAdded, K::kPrimaryKeyChanged});
    CHECK(t.Find("shop", "t")->primary_key == std::vector<std::string>{"n"});
    CHECK(Apply(t, "ALTER TABLE t RENAME COLUMN n TO m").size() == 1);
    CHECK(t.Find("shop", "t")->primary_key == std::vector<std::string>{"m"});
    CHECK_FALSE(t.ApplyDdl("shop", "ALTER TABLE t DROP PRIMARY KEY, DROP PRIMARY KEY").ok());
  }

  TEST_CASE("SchemaTracker creates, copies, renames, truncates and drops tables") {
    SchemaTracker t = MariaDbTracker();
    auto created = Apply(t, "CREATE TABLE IF NOT EXISTS a (id INT PRIMARY KEY, v TEXT)");
    CHECK(Kinds(created) == std::vector<K>{K::kTableCreated});
    CHECK(Apply(t, "CREATE TABLE IF NOT EXISTS a (x INT)").empty());
    CHECK(Names(t.Find("shop", "a")) == std::vector<std::string>{"id", "v"});
    Apply(t, "CREATE TABLE b LIKE a");
    TableSchema b = *t.Find("shop", "b");
    CHECK(b.table == "b");
    CHECK(b.columns == t.Find("shop", "a")->columns);
    CHECK(b.primary_key == std::vector<std::string>{"id"});
    Apply(t, "ALTER TABLE b ADD COLUMN extra INT");
    // The classic swap through a temporary name, in one statement.
    auto swapped = Apply(t, "RENAME TABLE a TO tmp, b TO a, tmp TO b");
    CHECK(Kinds(swapped) == std::vector<K>{K::kTableRenamed, K::kTableRenamed, K::kTableRenamed});
    CHECK(swapped[1].old_table == "b");
    CHECK(swapped[1].table == "a");
    CHECK(Names(t.Find("shop", "a")) == std::vector<std::string>{"id", "v", "extra"});
    CHECK(Names(t.Find("shop", "b")) == std::vector<std::string>{"id", "v"});
    CHECK(t.Find("shop", "a")->table == "a");
    CHECK_FALSE(t.IsTracked("shop", "tmp"));
    auto moved = Apply(t, "ALTER TABLE b ADD COLUMN w INT, RENAME TO crm.b2");
    CHECK(Kinds(moved) == std::vector<K>{K::kColumnAdded, K::kTableRenamed});
    CHECK(moved[0].table == "b");  // column changes come before the rename, under the old name
    CHECK(t.Find("crm", "b2")->db == "crm");
    CHECK(Kinds(Apply(t, "TRUNCATE TABLE crm.b2")) == std::vector<K>{K::kTableTruncated});
    auto dropped = Apply(t, "DROP TABLE IF EXISTS crm.b2, nonexistent /* generated by server */");
    CHECK(Kinds(dropped) == std::vector<K>{K::kTableDropped});
    CHECK_FALSE(t.IsTracked("crm", "b2"));
    auto replaced = Apply(t, "CREATE OR REPLACE TABLE a (z INT)");
    CHECK(Kinds(replaced) == std::vector<K>{K::kTableDropped, K::kTableCreated});
    CHECK(Names(t.Find("shop", "a")) == std::vector<std::string>{"z"});
    Apply(t, "CREATE TABLE shop.c (x INT)");
    auto dropdb = Apply(t, "DROP DATABASE shop");
    CHECK(Kinds(dropdb) == std::vector<K>{K::kTableDropped, K::kTableDropped});
    CHECK(t.Tables().empty());
  }

  TEST_CASE("SchemaTracker marks definitions it cannot derive as unknown") {
    SchemaTracker t = MariaDbTracker();
    auto sel = Apply(t, "CREATE TABLE s AS SELECT * FROM other");
    REQUIRE(sel.size() == 1);
    CHECK(sel[0].schema_unknown);
    CHECK_FALSE(t.IsTracked("shop", "s"));
    auto like = Apply(t, "CREATE TABLE l LIKE untracked");
    REQUIRE(like.size() == 1);
    CHECK(like[0].kind == K::kTableCreated);
    CHECK(like[0].schema_unknown);
  }

  TEST_CASE("SchemaTracker is loud about unparseable or contradicting DDL on tracked tables only") {
    SchemaTracker t = MariaDbTracker([](const std::string& db, const std::string&) { return db == "shop"; });
    Apply(t, "CREATE TABLE t (id INT PRIMARY KEY)");
    Apply(t, "CREATE TABLE other.x (id INT)");  // outside the filter: not tracked
    CHECK_FALSE(t.IsTracked("other", "x"));
    auto loud = t.ApplyDdl("shop", "ALTER TABLE t ADD COLUMN c FANCYTYPE");
    REQUIRE_FALSE(loud.ok());
    CHECK(loud.status().message().find("ALTER TABLE t ADD COLUMN c FANCYTYPE") != std::string::npos);
    CHECK(loud.status().message().find("fancytype") != std::string::npos);
    CHECK(t.ApplyDdl("shop", "ALTER TABLE other.x ADD COLUMN c FANCYTYPE").ok());      // not ours: ignored
    CHECK_FALSE(t.ApplyDdl("shop", "CREATE TABLE newone (c FANCYTYPE)").ok());        // would be ours
    CHECK(t.ApplyDdl("other", "CREATE TABLE newone (c FANCYTYPE)").ok());             // would not
    // Contradictions mean the tracked state is wrong: an error, and nothing applied.
    auto missing = t.ApplyDdl("shop", "ALTER TABLE t ADD COLUMN a INT, DROP COLUMN nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == StatusCode::kFailedPrecondition);
    CHECK(Names(t.Find("shop", "t")) == std::vector<std::string>{"id"});
    CHECK_FALSE(t.ApplyDdl("shop", "ALTER TABLE t ADD COLUMN id INT").ok());
    CHECK_FALSE(t.ApplyDdl("shop", "ALTER TABLE t ADD COLUMN b INT AFTER nope").ok());
    CHECK_FALSE(t.ApplyDdl("shop", "CREATE TABLE t (x INT)").ok());
    CHECK_FALSE(t.ApplyDdl("shop", "RENAME TABLE t TO t2, t2 TO t3, t3 TO t, x TO t").ok());
    CHECK(t.IsTracked("shop", "t"));
    // A table renamed into the selection from outside has an unknown definition.
    auto in = Apply(t, "RENAME TABLE other.x TO shop.x");
    REQUIRE(in.size() == 1);
    CHECK(in[0].schema_unknown);
    // Tracked tables follow renames out of the filter.
    Apply(t, "RENAME TABLE shop.t TO other.t");
    CHECK(t.IsTracked("other", "t"));
    // Statements that are not DDL change nothing.
    CHECK(Apply(t, "INSERT INTO other.t VALUES (1)").empty());
    CHECK(Apply(t, "CREATE INDEX i ON other.t (id)").empty());
  }

  TEST_CASE("SchemaTracker converts character columns with CONVERT TO CHARACTER SET") {
    SchemaTracker t = MariaDbTracker();
    Apply(t, "CREATE TABLE legacy.t (a TINYTEXT, b TEXT, c MEDIUMTEXT, d VARCHAR(10) COLLATE latin1_bin, e ENUM('x'),"
             " n INT, bl BLOB)");
    auto changes = Apply(t, "ALTER TABLE legacy.t CONVERT TO CHARACTER SET utf8mb4");
    CHECK(changes.size() == 5);
    CHECK(Col(t, "t", "a", "legacy").data_type == "text");  // 255 latin1 characters need 1020 bytes
    CHECK(Col(t, "t", "b", "legacy").data_type == "mediumtext");
    CHECK(Col(t, "t", "c", "legacy").data_type == "longtext");
    CHECK(Col(t, "t", "d", "legacy").collation_name == "utf8mb4_general_ci");
    CHECK(Col(t, "t", "e", "legacy").collation == 45);
    CHECK(Col(t, "t", "bl", "legacy").collation == 63);
    CHECK(t.TableDefaults("legacy", "t")->charset == "utf8mb4");
    Apply(t, "ALTER TABLE legacy.t CONVERT TO CHARSET latin1 COLLATE latin1_bin");
    CHECK(Col(t, "t", "b", "legacy").data_type == "mediumtext");  // shrinking never changes the type
    CHECK(Col(t, "t", "d", "legacy").collation == 47);
  }

  TEST_CASE("SchemaTracker spells types like MySQL 8 with a MySQL 8 dialect and catalog") {
    SchemaTracker t(CharsetCatalog::Builtin(/*mysql8_defaults=*/true), DdlDialect::ForServerVersion("8.0.36"),
                    {"utf8mb4", "utf8mb4_0900_ai_ci"});
    Apply(t, "CREATE TABLE t (a INT, b INT UNSIGNED, c TINYINT(1), d INT ZEROFILL, j JSON, y YEAR, v VARCHAR(3))");
    CHECK(Col(t, "t", "a").column_type == "int");
    CHECK(Col(t, "t", "b").column_type == "int unsigned");
    CHECK(Col(t, "t", "c").column_type == "tinyint(1)");
    CHECK(Col(t, "t", "d").column_type == "int(10) unsigned zerofill");
    CHECK(Col(t, "t", "j").data_type == "json");
    CHECK(Col(t, "t", "j").collation == 0);
    CHECK(Col(t, "t", "y").column_type == "year");
    CHECK(Col(t, "t", "v").collation == 255);
    CHECK(DdlDialect::ForServerVersion("5.7.44-log").integer_display_width);
    CHECK_FALSE(DdlDialect::ForServerVersion("5.7.44-log").mariadb);
  }

  TEST_CASE("SchemaTracker makes TIMESTAMP NOT NULL when explicit_defaults_for_timestamp is off") {
    DdlDialect d = DdlDialect::ForServerVersion("5.7.44");
    d.explicit_defaults_for_timestamp = false;
    SchemaTracker t(CharsetCatalog::Builtin(), d, {"latin1", "latin1_swedish_ci"});
    Apply(t, "CREATE TABLE t (a TIMESTAMP, b TIMESTAMP NULL, c DATETIME)");
    CHECK_FALSE(Col(t, "t", "a").nullable);
    CHECK(Col(t, "t", "b").nullable);
    CHECK(Col(t, "t", "c").nullable);
  }

  TEST_CASE("SchemaTracker folds table names with lower_case_table_names") {
    SchemaTracker t(CharsetCatalog::Builtin(), DdlDialect{}, {"utf8mb4", "utf8mb4_general_ci"}, {}, true);
    Apply(t, "CREATE TABLE Shop.Orders (id INT)");
    CHECK(t.IsTracked("shop", "orders"));
    CHECK(Kinds(Apply(t, "ALTER TABLE SHOP.ORDERS ADD COLUMN v INT")) == std::vector<K>{K::kColumnAdded});
  }

  TEST_CASE("CharsetCatalog maps names and ids, with utf8/utf8mb3 aliases") {
    CharsetCatalog c = CharsetCatalog::Builtin();
    CHECK(c.CollationId("utf8mb4_general_ci") == 45);
    CHECK(c.CollationId("utf8mb4_bin") == 46);
    CHECK(c.CollationId("utf8mb4_unicode_ci") == 224);
    CHECK(c.CollationId("utf8mb4_0900_ai_ci") == 255);
    CHECK(c.CollationId("latin1_swedish_ci") == 8);
    CHECK(c.CollationId("latin1_bin") == 47);
    CHECK(c.CollationId("binary") == 63);
    CHECK(c.CollationId("ascii_general_ci") == 11);
    CHECK(c.Charset("UTF8") == "utf8mb3");
    CHECK(c.Collation("utf8_general_ci") == "utf8mb3_general_ci");
    CHECK(c.CollationId(c.Collation("utf8_general_ci")) == 33);
    CHECK(c.DefaultCollation("utf8mb4") == "utf8mb4_general_ci");
    CHECK(CharsetCatalog::Builtin(true).DefaultCollation("utf8mb4") == "utf8mb4_0900_ai_ci");
    CHECK(c.MaxBytesPerChar("utf8mb4") == 4);
    CHECK(c.Charset("nope").empty());
    CharsetCatalog old;  // a MySQL 5.7 style server that only knows "utf8"
    old.AddCharset("utf8", "utf8_general_ci", 3);
    old.AddCollation("utf8_general_ci", "utf8", 33, true);
    CHECK(old.Charset("utf8mb3") == "utf8");
    CHECK(old.Collation("utf8mb3_general_ci") == "utf8_general_ci");
  }

  TEST_CASE("an ALTER drops the key, changes columns, then adds the key, whatever the statement's order") {
    SchemaTracker t = MariaDbTracker();
    Apply(t, "CREATE TABLE t1 (c1 INT NOT NULL, c2 INT NOT NULL, c3 CHAR(10), PRIMARY KEY (c1))");
    auto changes = Apply(t, "ALTER TABLE t1 DROP PRIMARY KEY, ADD PRIMARY KEY(c22f, c1, c4(5)), "
                            "CHANGE c2 c22f INT, ADD COLUMN c4 VARCHAR(6) DEFAULT 'x'");
    CHECK(t.Find("shop", "t1")->primary_key == std::vector<std::string>{"c22f", "c1", "c4"});
    CHECK(Names(t.Find("shop", "t1")) == std::vector<std::string>{"c1", "c22f", "c3", "c4"});
    CHECK(changes.front().kind == K::kPrimaryKeyChanged);  // dropped first
    auto kinds = Kinds(changes);
    auto added = std::find(kinds.begin(), kinds.end(), K::kColumnAdded);
    CHECK(std::find(added, kinds.end(), K::kPrimaryKeyChanged) != kinds.end());  // the new key after the columns
  }

  TEST_CASE("every change carries the definition its statement left at that point: a swap through a temporary name") {
    SchemaTracker t = MariaDbTracker();
    Apply(t, "CREATE TABLE a (id INT PRIMARY KEY, from_a INT)");
    Apply(t, "CREATE TABLE b (id INT PRIMARY KEY, from_b INT)");
    auto changes = Apply(t, "RENAME TABLE a TO tmp, b TO a, tmp TO b");
    REQUIRE(changes.size() == 3);
    REQUIRE(changes[0].schema);
    CHECK(changes[0].table == "tmp");
    CHECK(Names(&*changes[0].schema) == std::vector<std::string>{"id", "from_a"});
    CHECK(changes[1].table == "a");
    CHECK(Names(&*changes[1].schema) == std::vector<std::string>{"id", "from_b"});
    CHECK(changes[2].old_table == "tmp");
    CHECK(Names(&*changes[2].schema) == std::vector<std::string>{"id", "from_a"});
    CHECK(Names(t.Find("shop", "b")) == std::vector<std::string>{"id", "from_a"});
    CHECK(t.Find("shop", "tmp") == nullptr);
    // Column changes before a rename in one ALTER carry the table under its old name.
    auto altered = Apply(t, "ALTER TABLE a ADD COLUMN n INT, RENAME TO c");
    REQUIRE(altered.size() == 2);
    CHECK(altered[0].table == "a");
    CHECK(Names(&*altered[0].schema) == std::vector<std::string>{"id", "from_b", "n"});
    CHECK(altered[1].table == "c");
  }

  TEST_CASE("CHARACTER SET DEFAULT takes the database's") {
    SchemaTracker t = MariaDbTracker();
    Apply(t, "CREATE TABLE l (a VARCHAR(10)) CHARACTER SET DEFAULT, CHARACTER SET DEFAULT", "legacy");
    CHECK(Col(t, "l", "a", "legacy").charset == "latin1");
  }
}
