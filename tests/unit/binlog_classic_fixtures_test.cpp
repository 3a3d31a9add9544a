// Real binlogs from MySQL 5.1-8.0 and MariaDB's test data: v1/v2 rows events,
// partial images, old temporal types, checksums on and off, compressed
// transactions. Expected values: shared/fixtures/binlog/EXPECTED.md, the
// mysqlbinlog --verbose result files next to the fixtures, and the SQL that
// produced them.
#include <map>

#include "binlog_fixture_util.hpp"

using namespace binlog_test;

namespace {

// The "###" lines of one file's section in binlog_row_mysqlbinlog_verbose.result.
std::vector<std::string> VerboseResult(const std::string& file) {
  const std::string text = ReadText(Fixture("mysql-server-results/binlog_row_mysqlbinlog_verbose.result"));
  const std::string marker = "Verbose statements from : " + file + "\n";
  size_t pos = text.find(marker);
  REQUIRE(pos != std::string::npos);
  std::istringstream in(text.substr(pos + marker.size()));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line) && line.rfind("drop table", 0) != 0;)
    if (line.rfind("###", 0) == 0) out.push_back(line);
  return out;
}

}  // namespace

TEST_SUITE("binlog fixtures") {  // the shared binlog fixtures (tests/CMakeLists.txt)
  TEST_CASE("every fixture decodes without error") {
    const char* files[] = {
        "boxercrab/14_user_var/log.bin", "boxercrab/31_update_rows_v2/log.bin",
        "boxercrab/32_delete_rows_v2/log.bin",
        "mariadb-test-data/std_data/mdev35643_mysql_80_binlog.000001",
        "mariadb-test-data/std_data/rpl/mysql-8.0.13-stm-temporal-round-binlog.000001",
        "mysql-binlog-connector-java/mysql-bin.aurora-padding", "mysql-binlog-connector-java/mysql-bin.checksum-crc32",
        "mysql-binlog-connector-java/mysql-bin.checksum-none", "mysql-binlog-connector-java/mysql-bin.compressed",
        "mysql-binlog-connector-java/mysql-bin.sakila.gz", "mysql-cdc-rs/8.0/02_query_bigger/binlog.000733",
        "mysql-cdc-rs/8.0/32_delete_rows_v2/binlog.000001", "rust_mysql_common/binlog-invisible-columns.000001",
        "rust_mysql_common/binlog_56_gtid_reserved_word.000001",
        "rust_mysql_common/binlog_transaction_previous_GTID_no_tag.000001",
        "rust_mysql_common/binlog_transaction_with_GTID_TAG.000001",
        "rust_mysql_common/binlog_transaction_with_anonymous_GTID.000001", "rust_mysql_common/json-opaque.binlog",
        "rust_mysql_common/json.binlog.000001", "rust_mysql_common/minimal_row_metadata.000001",
        "rust_mysql_common/mysql-enum-string-set.000001", "rust_mysql_common/mysql_type_bit.000001",
        "rust_mysql_common/rpl_unfiltered_hidden_gcol.000001", "rust_mysql_common/time_issue.000001",
        "rust_mysql_common/transaction_compression.000001", "rust_mysql_common/update-full-row.binlog",
        "rust_mysql_common/update-partial-row.binlog", "rust_mysql_common/vector.binlog",
        "rust_mysql_common/ver_trunk_row_v2.001", "rust_mysql_common/write-full-row.binlog",
        "rust_mysql_common/write-partial-row.binlog"};
    for (const char* f : files) {
      CAPTURE(f);
      auto events = DecodeBinlogFile(Fixture(f));
      CHECK_MESSAGE(events.ok(), events.status().message());
      if (events.ok()) CHECK(!events->empty());
    }
  }

  TEST_CASE("NDB v1 rows with partial images match mysqlbinlog --verbose") {
    for (const char* f : {"write-partial-row.binlog", "write-full-row.binlog", "update-partial-row.binlog",
                          "update-full-row.binlog"}) {
      CAPTURE(f);
      auto events = Load(std::string("rust_mysql_common/") + f);
      CHECK(HashLines(events, true) == VerboseResult(f));
      // NDB logs deletes with the key only; inserts and updates are partial in the *-partial files.
      bool partial = false;
      for (const auto* r : Rows(events)) {
        if (r->kind == RowsKind::kDelete) CHECK_FALSE(r->full_image);
        else partial |= !r->full_image;
      }
      CHECK(partial == (std::string(f).find("partial") != std::string::npos));
    }
  }

  TEST_CASE("fixture mysql-cdc-rs 32_delete_rows_v2 matches mysqlbinlog -vv") {
    std::istringstream dump(ReadText(Fixture("mysql-cdc-rs/8.0/32_delete_rows_v2/dump.utf8.txt")));
    std::vector<std::string> expected;
    for (std::string line; std::getline(dump, line);) {
      if (line.rfind("###", 0) != 0) continue;
      if (size_t c = line.find(" /*"); c != std::string::npos) line.resize(c);  // -vv type comments
      expected.push_back(line);
    }
    REQUIRE(expected.size() == 31);
    CHECK(HashLines(Load("mysql-cdc-rs/8.0/32_delete_rows_v2/binlog.000001"), false) == expected);
  }

  TEST_CASE("fixture mysql-cdc-rs 02_query_bigger: DECIMAL, DATE, UTF-8 VARCHAR from its SQL") {
    auto loaded = Load("mysql-cdc-rs/8.0/02_query_bigger/binlog.000733");
    auto rows = Rows(loaded);
    const auto& first = rows.at(0)->rows.at(0).after;
    CHECK(first[0] == Value(int64_t{1234567890111}));
    CHECK(first[4].as<Decimal>().text == "99.911");
    CHECK(first[5].as<Decimal>().text == "76.11");
    CHECK(first[6].as<Decimal>().text == "888.1");
    CHECK(first[7].as<Decimal>().text == "109.1");
    CHECK(first[10].as<Date>() == Date{1990, 8, 1});
    CHECK(first[12].as<Date>() == Date{1990, 1, 1});
    const auto& multi = rows.at(1)->rows;
    REQUIRE(multi.size() == 5);
    CHECK(Str(multi[2].after[15]).rfind("使用箭头标记 -> 不是 SQL 语句的一部分", 0) == 0);
    const RowsEvent* update = rows.at(2);
    REQUIRE(update->kind == RowsKind::kUpdate);
    CHECK(update->rows.at(0).before[4].as<Decimal>().text == "99.997");
    CHECK(update->rows.at(0).after[4].as<Decimal>().text == "88.880");
    CHECK(Str(update->rows.at(0).after[8]) == "update L_RETURNFLAG ");
  }

  TEST_CASE("boxercrab fixtures: FLOAT, DOUBLE, DECIMAL, TEXT sizes, ROWS_QUERY") {
    auto loaded = Load("boxercrab/31_update_rows_v2/log.bin");
    auto rows = Rows(loaded);
    REQUIRE(rows.size() == 1);
    const auto& row = rows[0]->rows.at(0);
    for (int i = 1; i <= 5; ++i) {
      CHECK(Str(row.before[i]) == "abc");
      CHECK(Str(row.after[i]) == "xd");
    }
    CHECK(row.before[6] == Value(1.0f));
    CHECK(row.before[7] == Value(2.0));
    CHECK(row.before[8].as<Decimal>().text == "3.0000");
    CHECK(row.after[6] == Value(4.0f));
    CHECK(row.after[8].as<Decimal>().text == "4.0000");

    auto events = Load("boxercrab/32_delete_rows_v2/log.bin");
    std::vector<std::string> queries;
    for (const auto& e : events)
      if (auto* q = e.get_if<RowsQueryEvent>()) queries.push_back(q->query);
    CHECK(queries == std::vector<std::string>{"INSERT INTO `boxercrab` (`title`) VALUES ('abcde')",
                                              "DELETE FROM `boxercrab`"});
    auto del = Rows(events);
    REQUIRE(del.size() == 2);
    CHECK(Str(del[1]->rows.at(0).before[1]) == "abcde");

    bool user_var_query = false;
    for (const auto& e : Load("boxercrab/14_user_var/log.bin"))
      if (auto* q = e.get_if<QueryEvent>()) user_var_query |= q->query.find("VALUES (@val_s, @val_i, @val_d)") != std::string::npos;
    CHECK(user_var_query);
  }

  TEST_CASE("mysql-binlog-connector-java fixtures: event counts, checksums, payloads, Aurora padding") {
    CHECK(Load("mysql-binlog-connector-java/mysql-bin.checksum-crc32").size() == 303);
    auto none = Load("mysql-binlog-connector-java/mysql-bin.checksum-none");
    CHECK(none.size() == 191);
    CHECK(none[0].get_if<FormatDescriptionEvent>()->checksum == ChecksumAlgorithm::kOff);

    auto compressed = Load("mysql-binlog-connector-java/mysql-bin.compressed");
    REQUIRE(compressed.size() == 5);
    const auto* payload = compressed[3].get_if<TransactionPayloadEvent>();
    REQUIRE(payload);
    std::vector<EventType> inner;
    for (const auto& e : payload->events) inner.push_back(e.header.type);
    CHECK(inner == std::vector<EventType>{EventType::kQuery, EventType::kTableMap, EventType::kUpdateRowsV2,
                                          EventType::kXid});
    CHECK(payload->events[1].get_if<TableMapEvent>()->table->table == "movies");

    auto aurora = Load("mysql-binlog-connector-java/mysql-bin.aurora-padding");
    std::vector<uint64_t> positions;
    for (const auto& e : aurora) positions.push_back(e.header.position);
    CHECK(positions == std::vector<uint64_t>{4, 185, 216, 281, 1209});
    CHECK(std::holds_alternative<UnknownEvent>(aurora[3].body));
    CHECK(aurora[4].get_if<QueryEvent>()->query == "BEGIN");
  }

  TEST_CASE("fixture mysql-bin.sakila.gz: 47,273 v1 rows with the documented per-table counts") {
    auto events = Load("mysql-binlog-connector-java/mysql-bin.sakila.gz");
    CHECK(events.size() == 1462);
    std::map<std::string, size_t> counts;
    size_t total = 0;
    for (const auto* r : Rows(events)) {
      CHECK(r->version == 1);
      CHECK(r->kind == RowsKind::kInsert);
      counts[r->table->table] += r->rows.size();
      total += r->rows.size();
    }
    CHECK(total == 47273);
    const std::map<std::string, size_t> expected = {
        {"actor", 200},         {"address", 603}, {"category", 16},       {"city", 600},
        {"country", 109},       {"customer", 599}, {"film", 1000},        {"film_actor", 5462},
        {"film_category", 1000}, {"film_text", 1000}, {"inventory", 4581}, {"language", 6},
        {"payment", 16049},     {"rental", 16044}, {"staff", 2},           {"store", 2}};
    CHECK(counts == expected);
    // First actor of the public Sakila data: (1, 'PENELOPE', 'GUINESS', '2006-02-15 04:34:33').
    const auto& actor = Rows(events).at(0)->rows.at(0).after;
    CHECK(actor[0] == Value(int64_t{1}));
    CHECK(Str(actor[1]) == "PENELOPE");
    CHECK(Str(actor[2]) == "GUINESS");
    CHECK(actor[3].get_if<Timestamp>() != nullptr);
  }

  TEST_CASE("fixture ver_trunk_row_v2.001: MySQL 5.6.4 v2 rows without checksums") {
    auto events = Load("rust_mysql_common/ver_trunk_row_v2.001");
    CHECK(HashLines(events, false) ==
          std::vector<std::string>{"### INSERT INTO `test`.`t1`", "### SET", "###   @1=0", "###   @2='one'",
                                   "### INSERT INTO `test`.`t1`", "### SET", "###   @1=1", "###   @2='two'",
                                   "### UPDATE `test`.`t1`", "### WHERE", "###   @1=0", "###   @2='one'", "### SET",
                                   "###   @1=1", "###   @2='one'", "### UPDATE `test`.`t1`", "### WHERE",
                                   "###   @1=1", "###   @2='two'", "### SET", "###   @1=2", "###   @2='two'",
                                   "### DELETE FROM `test`.`t1`", "### WHERE", "###   @1=2", "###   @2='two'"});
  }

  TEST_CASE("fixture mdev35643 (MySQL 8.0.40): latin1, a 100-row compressed transaction, partial JSON") {
    auto events = Load("mariadb-test-data/std_data/mdev35643_mysql_80_binlog.000001");
    auto rows = Rows(events);
    std::vector<std::tuple<int64_t, int64_t, std::string>> t1;
    for (const auto* r : rows) {
      if (r->table->table != "t1") continue;
      for (const auto& row : r->rows) {
        CHECK(row.after[2].as<Bytes>().collation == 8);  // latin1_swedish_ci
        t1.emplace_back(row.after[0].as<int64_t>(), row.after[1].as<int64_t>(), Str(row.after[2]));
      }
    }
    REQUIRE(t1.size() == 105);
    CHECK(t1[0] == std::make_tuple(int64_t{1}, int64_t{0}, std::string()));
    CHECK(t1[1] == std::make_tuple(int64_t{2}, int64_t{0}, std::string("hulu")));
    CHECK(t1[2] == std::make_tuple(int64_t{3}, int64_t{0}, std::string("bulu")));
    CHECK(t1[3] == std::make_tuple(int64_t{4}, int64_t{0}, std::string("skip")));
    for (int i = 0; i < 100; ++i) {
      CHECK(t1[4 + i] ==
            std::make_tuple(int64_t{1000 + i}, int64_t{i}, "--" + std::to_string(i) + "--" + std::string(100, '/') + "--"));
    }
    CHECK(t1[104] == std::make_tuple(int64_t{5}, int64_t{0}, std::string("after compressed")));

    const RowsEvent* partial = rows.back();
    REQUIRE(partial->partial_json);
    const RowChange& change = partial->rows.at(0);
    CHECK(change.json_diffs_applied == std::vector<uint32_t>{1});
    std::string zyzzy, ooo;
    for (int i = 0; i < 100; ++i) zyzzy += "[zyzzy]";
    for (int i = 0; i < 50; ++i) ooo += "oOo";
    CHECK(change.before[1].as<Json>().text == R"({"a": "hulu", "b": ")" + zyzzy + R"(", "c": "bulu"})");
    CHECK(change.after[1].as<Json>().text == R"({"a": "hulu", "b": ")" + ooo + R"(", "c": "bulu"})");
    CHECK(change.json_diffs.at(0).second.at(0).path == "$.b");
  }

  TEST_CASE("fixture mysql-8.0.13-stm-temporal-round: statement events") {
    int inserts = 0;
    for (const auto& e : Load("mariadb-test-data/std_data/rpl/mysql-8.0.13-stm-temporal-round-binlog.000001"))
      if (auto* q = e.get_if<QueryEvent>())
        inserts += q->query == "INSERT INTO t1 (a) VALUES ('2001-01-01 00:00:00.999999')";
    CHECK(inserts == 2);
  }
}
