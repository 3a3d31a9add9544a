// tables[].partition in MaxCompute without a server: the partition spec of a
// row, the values MaxCompute takes, the DDL of a partitioned Delta table and
// of the statement that adds a batch's partitions.

#include <doctest/doctest.h>

#include "harness/sink_fixtures.hpp"
#include "sink/maxcompute/mc_partitions.hpp"
#include "sink/maxcompute/mc_schema_change.hpp"

using namespace dbsync;
using namespace dbsync::maxcompute;
using dbsync::testing::Col;
using dbsync::testing::Utf8;

TEST_SUITE("maxcompute partitions") {
  TEST_CASE("a row's partition spec, and the values MaxCompute refuses named with the row's key") {
    static config::TableSpec settings = [] {
      config::TableSpec s;
      s.partition = config::PartitionSpec{"region", ""};
      return s;
    }();
    sink::TableBinding b = dbsync::testing::Binding(
        "shop", "events", {Col("id", "int", "int(11)", false), Col("region", "varchar", "varchar(20)", false)},
        {"id", "region"});
    b.settings = &settings;
    auto p = PartitioningOf(b);
    REQUIRE(p.ok());
    REQUIRE(p->has_value());
    CHECK((*p)->index == 1);
    CHECK(*PartitionSpecOf(**p, b, {int64_t{1}, Utf8("sa east 1")}) == "region=sa east 1");
    CHECK(*PartitionSpecOf(**p, b, {int64_t{2}, int64_t{202401}}) == "region=202401");
    auto bad = PartitionSpecOf(**p, b, {int64_t{3}, Utf8("eu/west")});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message() ==
          "the partition column region of src.events (tables[].partition), for the row with key (id, region)=(3, "
          "'eu/west'): 'eu/west' is no MaxCompute partition value, which takes letters, digits, space and "
          ": _ $ # . ! @ only; choose a value template that gives one (e.g. '${created:%Y%m%d}' for a date)");
    CHECK_FALSE(PartitionSpecOf(**p, b, {int64_t{4}, Value()}).ok());
    CHECK_FALSE(PartitionSpecOf(**p, b, {int64_t{5}, Date{2024, 1, 2}}).ok());  // 2024-01-02: '-' is refused
    CHECK(KeyWithoutPartitionColumn(**p, b.key) == std::vector<std::string>{"id"});
    b.settings = nullptr;
    CHECK_FALSE(PartitioningOf(b)->has_value());
  }

  TEST_CASE("partition values: letters, digits, space and : _ $ # . ! @, at most 128 bytes") {
    CHECK(CheckPartitionValue("20240101").ok());
    CHECK(CheckPartitionValue("a b:c_d$e#f.g!h@i").ok());
    CHECK(CheckPartitionValue(std::string(128, 'x')).ok());
    CHECK_FALSE(CheckPartitionValue(std::string(129, 'x')).ok());
    CHECK_FALSE(CheckPartitionValue("").ok());
    for (const char* bad : {"2024-01-01", "a/b", "a=b", "a,b", "\xe6\x97\xa5", "a\tb"}) {
      CAPTURE(bad);
      CHECK_FALSE(CheckPartitionValue(bad).ok());
    }
  }

  TEST_CASE("DDL: PARTITIONED BY after the comment; partitions added in one statement") {
    McColumn id;
    id.name = "id";
    id.type = "BIGINT";
    id.key = true;
    CHECK(CreateTableSql("orders", {id}, {"id"}, "month") ==
          "CREATE TABLE IF NOT EXISTS `orders` (`id` BIGINT NOT NULL, PRIMARY KEY (`id`)) COMMENT 'created by sync' "
          "PARTITIONED BY (`month` STRING) TBLPROPERTIES ('transactional'='true')");
    CHECK(CreateTableSql("orders", {id}, {"id"}).find("PARTITIONED") == std::string::npos);
    CHECK(AddPartitionsSql("orders", "month", {"202401", "it's"}) ==
          "ALTER TABLE `orders` ADD IF NOT EXISTS PARTITION (`month`='202401') PARTITION (`month`='it\\'s')");
    CHECK(PartitionValueOfSpec("month=202401") == "202401");
  }
}
