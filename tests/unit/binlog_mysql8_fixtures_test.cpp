// Real MySQL 8/9 binlogs (rust_mysql_common test data): JSON, partial JSON
// updates, optional metadata, compressed transactions, tagged GTIDs, VECTOR.
// Expected values come from shared/fixtures/binlog/EXPECTED.md.
#include "binlog_fixture_util.hpp"

using namespace binlog_test;

namespace {

const std::string kLong =
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567801234567890123456789012345678901234567890123456789012345678901234567890"
    "12345678901234567890123456789012345678901234567890123456780123456789012345678901234567890123456789";

}  // namespace

TEST_SUITE("binlog fixtures") {  // the shared binlog fixtures (tests/CMakeLists.txt)
  TEST_CASE("fixture json-opaque.binlog: JSON opaque scalars, arrays and null") {
    auto loaded = Load("rust_mysql_common/json-opaque.binlog");
    auto rows = Rows(loaded);
    REQUIRE(rows.size() == 8);
    // EXPECTED.md (mysql_common) quotes the two DECIMALs ("123.456", "9.00"); MySQL itself
    // renders a DECIMAL inside JSON as a number, and so do we.
    const char* expected[] = {R"({"a": "base64:type15:VQ=="})", R"({"b": "2012-03-18"})",
                              R"({"c": "2012-03-18 11:30:45.000000"})", R"({"c": "87:31:46.654321"})",
                              R"({"d": 123.456})", R"({"e": 9.00})", R"({"e": [0, 1, true, false]})",
                              R"({"e": null})"};
    for (size_t i = 0; i < 8; ++i) {
      REQUIRE(rows[i]->rows.size() == 1);
      CHECK(rows[i]->rows[0].after[0].as<Json>().text == expected[i]);
    }
  }

  TEST_CASE("fixture json.binlog.000001: JSON with generated columns and partial updates") {
    auto loaded = Load("rust_mysql_common/json.binlog.000001");
    auto rows = Rows(loaded);
    REQUIRE(rows.size() == 6);  // 4 WRITE_ROWS, 1 UPDATE_ROWS, 1 PARTIAL_UPDATE_ROWS
    int images = 0;
    for (const RowsEvent* r : rows) {
      for (const auto& row : r->rows) {
        for (const auto* image : {&row.before, &row.after}) {
          if (image->empty() || !(*image)[1].get_if<Json>() || r->partial_json) continue;
          // Self-consistency: the generated name/age columns equal the document's keys.
          const std::string& doc = (*image)[1].as<Json>().text;
          CHECK(doc.find("\"name\": \"" + Str((*image)[2]) + "\"") != std::string::npos);
          CHECK(doc.find("\"age\": " + (*image)[3].ToString() + ",") != std::string::npos);
          ++images;
        }
      }
    }
    CHECK(images == 18);  // 6 inserts + 6 updates x 2 images
    const RowsEvent* partial = rows.back();
    CHECK(partial->partial_json);
    CHECK_FALSE(partial->full_image);  // binlog_row_image=MINIMAL: the before image is only the key
    REQUIRE(partial->rows.size() == 6);
    for (const auto& row : partial->rows) {
      REQUIRE(row.json_diffs.size() == 1);
      const auto& [column, diffs] = row.json_diffs[0];
      CHECK(column == 1);
      REQUIRE(diffs.size() == 1);
      CHECK(diffs[0].op == JsonDiff::Op::kReplace);
      CHECK(diffs[0].path == "$.age");
      CHECK(diffs[0].value == row.after[3].ToString());  // the diff sets the generated age
      CHECK(row.json_diffs_applied.empty());              // no before document to apply it to
    }
  }

  TEST_CASE("fixture transaction_compression.000001: a zstd TRANSACTION_PAYLOAD") {
    auto events = Load("rust_mysql_common/transaction_compression.000001");
    const TransactionPayloadEvent* payload = nullptr;
    for (const auto& e : events)
      if (auto* p = e.get_if<TransactionPayloadEvent>()) payload = p;
    REQUIRE(payload);
    CHECK(payload->compression == 0);
    REQUIRE(payload->events.size() == 4);
    CHECK(payload->events[0].get_if<QueryEvent>()->query == "BEGIN");
    const auto* tm = payload->events[1].get_if<TableMapEvent>();
    REQUIRE(tm);
    CHECK(tm->table->database == "test");
    CHECK(tm->table->table == "tb1");
    REQUIRE(tm->table->columns.size() == 1);
    CHECK(tm->table->columns[0].real_type == ColumnType::kLong);
    CHECK(payload->events[2].header.type == EventType::kWriteRowsV2);
    CHECK(payload->events[3].get_if<XidEvent>());
  }

  TEST_CASE("fixture mysql-enum-string-set.000001: CHAR, VARCHAR, ENUM, SET, TEXT") {
    auto loaded = Load("rust_mysql_common/mysql-enum-string-set.000001");
    auto rows = Rows(loaded);
    REQUIRE(rows.size() == 3);
    auto check_first = [&](const std::vector<Value>& v) {
      CHECK(Str(v[0]) == [] { std::string s; for (int i = 0; i < 10; ++i) s += "0123456789"; return s; }());
      CHECK(Str(v[1]) == kLong);
      CHECK(v[2].as<Enum>() == Enum{1, "var1"});
      CHECK(v[3].as<Set>().mask == 0b0101);
      CHECK(v[3].as<Set>().labels == std::vector<std::string>{"one", "three"});
      CHECK(Str(v[4]) == "0123456789");
    };
    auto check_second = [&](const std::vector<Value>& v) {
      CHECK(Str(v[0]) == "field1");
      CHECK(Str(v[1]) == "field_2");
      CHECK(v[2].as<Enum>() == Enum{2, "variant2"});
      CHECK(v[3].as<Set>().mask == 0b1010);
      CHECK(Str(v[4]) == kLong);
    };
    check_first(rows[0]->rows.at(0).after);
    check_first(rows[1]->rows.at(0).before);
    check_second(rows[1]->rows.at(0).after);
    check_second(rows[2]->rows.at(0).before);
    CHECK(rows[2]->kind == RowsKind::kDelete);
  }

  TEST_CASE("fixture mysql_type_bit.000001: BIT(3), TEXT, BIT(8)") {
    auto loaded = Load("rust_mysql_common/mysql_type_bit.000001");
    auto rows = Rows(loaded);
    REQUIRE(rows.size() == 1);
    const auto& v = rows[0]->rows.at(0).after;
    CHECK(v[0].as<Bit>() == Bit{0b100, 3});
    CHECK(Str(v[1]) == "foo");
    CHECK(v[2].as<Bit>() == Bit{0b00100000, 8});
    CHECK(v[0].ToString() == "b'100'");
  }

  TEST_CASE("fixture binlog-invisible-columns.000001: optional metadata with invisible columns") {
    auto events = Load("rust_mysql_common/binlog-invisible-columns.000001");
    const TableMap* t = nullptr;
    for (const auto& e : events)
      if (auto* tm = e.get_if<TableMapEvent>()) t = tm->table.get();
    REQUIRE(t);
    REQUIRE(t->columns.size() == 6);
    const char* names[] = {"f1", "f2", "f3", "f4", "f5", "f6"};
    const bool visible[] = {false, false, true, true, true, false};
    for (size_t i = 0; i < 6; ++i) {
      CHECK(t->columns[i].name == names[i]);
      CHECK(t->columns[i].visible == visible[i]);
    }
    CHECK(t->columns[0].is_unsigned == true);
    CHECK(t->columns[2].is_unsigned == false);
    CHECK(t->columns[3].collation == 255);  // TEXT utf8mb4
    CHECK(t->columns[4].collation == 63);   // BLOB
    CHECK(Rows(events).size() == 3);
  }

  TEST_CASE("fixture minimal_row_metadata.000001: MINIMAL metadata and a partial image") {
    auto loaded = Load("rust_mysql_common/minimal_row_metadata.000001");
    auto rows = Rows(loaded);
    REQUIRE(rows.size() == 1);
    CHECK_FALSE(rows[0]->full_image);
    CHECK(rows[0]->after_columns == std::vector<bool>{true, false, true, false, true});
    const auto& v = rows[0]->rows.at(0).after;
    CHECK(v[0] == Value(int64_t{1}));
    CHECK(v[2].as<Bytes>() == Bytes{"a", 255});
    CHECK(v[4] == Value(uint64_t{3230202323}));  // INT UNSIGNED via SIGNEDNESS metadata
  }

  TEST_CASE("fixture time_issue.000001: TIME2 beyond 24 hours, negative") {
    auto loaded = Load("rust_mysql_common/time_issue.000001");
    auto rows = Rows(loaded);
    REQUIRE(rows.size() == 1);
    const Value& v = rows[0]->rows.at(0).after[0];
    CHECK(v.ToString() == "'-507:48:27'");
    CHECK(v.as<Time>().negative);
  }

  TEST_CASE("fixture vector.binlog: MySQL 9 VECTOR and its dimensionality") {
    auto events = Load("rust_mysql_common/vector.binlog");
    std::vector<std::vector<uint32_t>> dims;
    for (const auto& e : events) {
      if (auto* tm = e.get_if<TableMapEvent>()) {
        std::vector<uint32_t> d;
        for (const auto& c : tm->table->columns)
          if (c.real_type == ColumnType::kVector) d.push_back(c.vector_dimensions);
        dims.push_back(d);
      }
    }
    REQUIRE(dims.size() >= 2);
    CHECK(dims[0] == std::vector<uint32_t>{3});
    CHECK(dims[1] == std::vector<uint32_t>{2, 4});
    auto rows = Rows(events);
    REQUIRE(rows[0]->rows.size() == 2);
    CHECK(Str(rows[0]->rows[0].after[1]) == std::string("\xcd\xcc\x8c\x3f\xcd\xcc\x0c\x40\x33\x33\x53\x40", 12));
    CHECK(Str(rows[0]->rows[1].after[1]) == std::string("\x00\x00\x80\x3f\x00\x00\x80\xbf\x00\x00\x00\x00", 12));
    int deletes = 0;
    for (const auto* r : rows) deletes += r->kind == RowsKind::kDelete;
    CHECK(deletes == 1);
  }

  TEST_CASE("fixtures with GTIDs: tagged, untagged, anonymous, MySQL 5.6") {
    auto tagged = Load("rust_mysql_common/binlog_transaction_with_GTID_TAG.000001");
    const PreviousGtidsEvent* prev = nullptr;
    const GtidEvent* gtid = nullptr;
    for (const auto& e : tagged) {
      if (auto* p = e.get_if<PreviousGtidsEvent>()) prev = p;
      if (auto* g = e.get_if<GtidEvent>()) gtid = g;
    }
    REQUIRE(prev);
    REQUIRE(prev->sets.size() == 2);
    CHECK(UuidToString(prev->sets[0].sid) == "55778904-0299-11f1-b1b8-4ef0c4956feb");
    CHECK(prev->sets[0].tag.empty());
    CHECK(prev->sets[0].intervals.at(0).start == 1);
    CHECK(prev->sets[0].intervals.at(0).end == 14);
    CHECK(prev->sets[1].tag == "mytag");
    CHECK(prev->sets[1].intervals.at(0).end == 3);
    REQUIRE(gtid);
    CHECK(gtid->ToString() == "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3");
    CHECK(Rows(tagged).at(0)->rows.at(0).after[2].as<Decimal>().text == "250.00");

    auto untagged = Load("rust_mysql_common/binlog_transaction_previous_GTID_no_tag.000001");
    CHECK(untagged[1].get_if<PreviousGtidsEvent>()->ToString() == "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2");

    int anonymous = 0;
    for (const auto& e : Load("rust_mysql_common/binlog_transaction_with_anonymous_GTID.000001"))
      if (auto* g = e.get_if<GtidEvent>()) anonymous += g->anonymous;
    CHECK(anonymous == 2);

    auto v56 = Load("rust_mysql_common/binlog_56_gtid_reserved_word.000001");
    int gtids = 0;
    for (const auto& e : v56) gtids += e.get_if<GtidEvent>() != nullptr;
    CHECK(gtids == 6);
    auto rows = Rows(v56);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]->table->table == "GENERATED");
    // The three-row INSERT is a statement event; the one row event matches MariaDB's mysqlbinlog -v.
    CHECK(HashLines(v56, false) ==
          std::vector<std::string>{"### INSERT INTO `test`.`GENERATED`", "### SET", "###   @1=65"});
  }

  TEST_CASE("fixture rpl_unfiltered_hidden_gcol.000001: hidden generated column, two FDEs") {
    auto events = Load("rust_mysql_common/rpl_unfiltered_hidden_gcol.000001");
    int fdes = 0;
    for (const auto& e : events) fdes += e.get_if<FormatDescriptionEvent>() != nullptr;
    CHECK(fdes == 2);
    auto rows = Rows(events);
    REQUIRE(rows.size() == 1);
    const auto& cols = rows[0]->table->columns;
    REQUIRE(cols.size() == 3);
    CHECK(cols[0].real_type == ColumnType::kLong);
    CHECK(cols[1].real_type == ColumnType::kLongLong);
    CHECK(cols[2].real_type == ColumnType::kBlob);
  }
}
