// A binlog written by a real MariaDB 10.11 (tests/data/binlog/README.md has its
// SQL): every column type, compressed events, MariaDB GTIDs, XA.
#include "binlog_fixture_util.hpp"

using namespace binlog_test;

namespace {

const std::string kFile = std::string(SYNC_TEST_DATA_DIR) + "/binlog/mariadb-10.11-all-types.000001";

}  // namespace

TEST_SUITE("binlog") {
  TEST_CASE("MariaDB 10.11 binlog: every column type decodes to what the SQL wrote") {
    auto decoded = DecodeBinlogFile(kFile);
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().message());
    const auto& events = *decoded;
    auto rows = Rows(events);
    REQUIRE(rows.size() == 5);
    CHECK(rows[0]->compressed);
    CHECK(rows[0]->version == 1);
    const auto& v = rows[0]->rows.at(0).after;
    CHECK(v[0] == Value(int64_t{1}));
    CHECK(v[1] == Value(int64_t{-128}));
    // No SIGNEDNESS metadata from MariaDB by default: unsigned columns read as signed.
    CHECK(v[2] == Value(int64_t{-1}));
    CHECK(v[5] == Value(int64_t{-1}));
    CHECK(v[6].as<Decimal>().text == "-12345678901234567890.0123456789");
    CHECK(v[7] == Value(1.5f));
    CHECK(v[8] == Value(-2.25e100));
    CHECK(v[9].as<Bit>() == Bit{0b101010101010, 12});
    CHECK(v[10].as<Year>().value == 2155);
    CHECK(v[11].as<Date>() == Date{0, 0, 0});
    CHECK(v[12].ToString() == "'-838:59:59.999'");
    CHECK(v[13].as<DateTime>() == DateTime{2024, 2, 29, 23, 59, 59, 123456, 6});
    CHECK(v[14].as<Timestamp>() == Timestamp{2147483647, 990000, 2});
    CHECK(Str(v[15]) == "abc");
    CHECK(Str(v[16]) == "😀 ünïcode");
    CHECK(Str(v[17]) == std::string("\x00\xff\x10", 3));
    CHECK(Str(v[18]) == "\xde\xad\xbe\xef");
    CHECK(Str(v[19]) == std::string(100000, 'x'));
    CHECK(v[20].as<Enum>().index == 3);
    CHECK(v[21].as<Set>().mask == 0b101);
    // MariaDB's JSON is LONGTEXT with a check: it travels as text, not binary JSON.
    CHECK(Str(v[22]) == R"({"k": [1, 2.5, "s", null, true], "n": {"m": -1}})");
    CHECK(v[23].as<Geometry>().srid == 0);
    CHECK(v[23].as<Geometry>().wkb.size() == 21);  // WKB POINT
    CHECK(Str(v[24]) == "cafxe9");

    const auto& nulls = rows[1]->rows.at(0).after;
    for (size_t i = 1; i < nulls.size(); ++i) CHECK(nulls[i].is_null());

    const auto& update = rows[2]->rows.at(0);
    CHECK(update.before[16] == v[16]);
    CHECK(Str(update.after[16]).empty());
    CHECK(update.after[12].ToString() == "'12:00:00.500'");
    CHECK(update.after[6].as<Decimal>().text == "0.0000000000");
    CHECK(rows[3]->kind == RowsKind::kDelete);

    std::vector<std::string> gtids;
    bool checkpoint = false, annotate = false, xa_prepare = false, compressed_query = false;
    for (const auto& e : events) {
      if (auto* g = e.get_if<MariadbGtidEvent>()) gtids.push_back(g->gtid.ToString());
      checkpoint |= e.get_if<BinlogCheckpointEvent>() != nullptr;
      annotate |= e.header.type == EventType::kAnnotateRows;
      xa_prepare |= e.get_if<XaPrepareEvent>() != nullptr;
      if (e.header.type == EventType::kQueryCompressed)
        compressed_query |= e.get_if<QueryEvent>()->query.rfind("CREATE TABLE a (", 0) == 0;
    }
    CHECK(gtids == std::vector<std::string>{"0-1-1", "0-1-2", "0-1-3", "0-1-4", "0-1-5", "0-1-6", "0-1-7", "0-1-8"});
    CHECK(checkpoint);
    CHECK(annotate);
    CHECK(xa_prepare);
    CHECK(compressed_query);
  }

  TEST_CASE("a table_map_hook supplies signedness the binlog lacks") {
    DecoderOptions options;
    options.table_map_hook = [](TableMap& t) {
      for (size_t i : {2, 4, 5}) t.columns[i].is_unsigned = true;  // tu, mi, bi
      t.columns[0].name = "id";
    };
    auto events = DecodeBinlogFile(kFile, options);
    REQUIRE(events.ok());
    const auto& v = Rows(*events).at(0)->rows.at(0).after;
    CHECK(v[2] == Value(uint64_t{255}));
    CHECK(v[4] == Value(uint64_t{16777215}));
    CHECK(v[5] == Value(UINT64_MAX));
    CHECK(Rows(*events).at(0)->table->columns[0].name == "id");
  }

  TEST_CASE("dump starts at --start-position and reports rows whose TABLE_MAP it skipped") {
    std::ostringstream text;
    DumpOptions options;
    options.start_position = 1426;  // the first WRITE_ROWS, after its TABLE_MAP
    REQUIRE(DumpBinlogFile(kFile, options, text).ok());
    const std::string out = text.str();
    CHECK(out.rfind("# at 4\n", 0) == 0);  // the FORMAT_DESCRIPTION is always read first
    CHECK(out.find("# at 1426\n# ") != std::string::npos);
    CHECK(out.find("with no TABLE_MAP before it: skipped") != std::string::npos);
    CHECK(out.find("### DELETE FROM `t`.`a`") != std::string::npos);
    CHECK(out.find("# at 894\n") == std::string::npos);

    std::ostringstream json;
    options.format = DumpFormat::kJson;
    options.stop_position = 1816;
    REQUIRE(DumpBinlogFile(kFile, options, json).ok());
    std::istringstream lines(json.str());
    int n = 0;
    for (std::string line; std::getline(lines, line); ++n) CHECK(nlohmann::json::parse(line).is_object());
    CHECK(n == 3);  // FORMAT_DESCRIPTION, the skipped rows event, XID
  }
}
