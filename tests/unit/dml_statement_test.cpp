// ParseDmlStatement: DML logged as a statement, and the table it changes.

#include <doctest/doctest.h>

#include "source/mysql/dml_statement.hpp"

using namespace dbsync::mysql;

namespace {

std::string Target(const std::string& sql) {
  auto dml = ParseDmlStatement("shop", sql);
  REQUIRE_MESSAGE(dml.has_value(), sql);
  return dml->table ? dml->table->db + "." + dml->table->table : "(several)";
}

}  // namespace

TEST_CASE("ParseDmlStatement names the table of each single-table form, qualified or not") {
  CHECK(Target("INSERT INTO t2 VALUES (1, CONCAT('{\"a\": ', REPEAT('x', 3), '}'))") == "shop.t2");
  CHECK(Target("insert low_priority ignore `o`(a, b) select 1, 2") == "shop.o");
  CHECK(Target("REPLACE INTO `other`.`t` SET a = 1") == "other.t");
  CHECK(Target("UPDATE LOW_PRIORITY IGNORE t AS x SET x.a = 1 WHERE x.b IN (SELECT b FROM u JOIN v)") == "shop.t");
  CHECK(Target("/* a comment */ DELETE QUICK FROM d.t WHERE a = 1") == "d.t");
  CHECK(Target("LOAD DATA LOCAL INFILE '/tmp/x' REPLACE INTO TABLE t3 FIELDS TERMINATED BY ','") == "shop.t3");
  CHECK(Target("INSERT INTO t PARTITION (p0) VALUES (1)") == "shop.t");
}

TEST_CASE("ParseDmlStatement: several tables are not guessed, and other statements are not DML") {
  CHECK(Target("UPDATE a, b SET a.x = b.x WHERE a.id = b.id") == "(several)");
  CHECK(Target("UPDATE a JOIN b ON a.id = b.id SET a.x = 1") == "(several)");
  CHECK(Target("DELETE a, b FROM a JOIN b") == "(several)");
  CHECK(Target("DELETE FROM a USING a JOIN b") == "(several)");
  for (const char* other : {"BEGIN", "COMMIT", "CREATE TABLE t (a INT)", "SAVEPOINT s", "SELECT 1",
                            "ALTER USER 'root'@'localhost' IDENTIFIED WITH 'caching_sha2_password'", "", "'unterminated"})
    CHECK_FALSE_MESSAGE(ParseDmlStatement("shop", other).has_value(), other);
}
