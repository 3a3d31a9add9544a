#include <doctest/doctest.h>

#include "source/mysql/binlog/binlog_file_reader.hpp"
#include "source/mysql/binlog_stream.hpp"
#include "source/mysql/gtid_state.hpp"
#include "source/mysql/transaction_assembler.hpp"

using namespace dbsync;
using namespace dbsync::mysql;

namespace {

std::vector<SourceTransaction> Assemble(const std::string& fixture, const std::string& start_gtids, bool mariadb) {
  auto events = binlog::DecodeBinlogFile(std::string(SYNC_SHARED_DIR) + "/fixtures/binlog/" + fixture);
  REQUIRE_MESSAGE(events.ok(), events.status().message());
  auto gtids = GtidState::Parse(start_gtids, mariadb);
  REQUIRE(gtids.ok());
  TransactionAssembler assembler(BinlogPosition{"log.bin", 4, start_gtids}, *gtids);
  std::vector<SourceTransaction> out;
  for (auto& e : *events)
    if (auto t = assembler.Add(std::move(e))) out.push_back(std::move(*t));
  return out;
}

size_t RowCount(const SourceTransaction& t) {
  size_t n = 0;
  for (const auto& e : t.events)
    if (auto* r = e.get_if<binlog::RowsEvent>()) n += r->rows.size();
  return n;
}

}  // namespace

TEST_SUITE("source") {
  TEST_CASE("MySQL GTID sets merge adjacent transactions into intervals") {
    auto st = GtidState::Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7, 4e11fa47-71ca-11e1-9e33-c80aa9429562:2", false);
    REQUIRE(st.ok());
    st->AddMysql("3e11fa47-71ca-11e1-9e33-c80aa9429562", 6);
    st->AddMysql("4e11fa47-71ca-11e1-9e33-c80aa9429562", 1);
    st->AddMysql("5e11fa47-71ca-11e1-9e33-c80aa9429562", 9);
    CHECK(st->ToString() ==
          "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2,"
          "5e11fa47-71ca-11e1-9e33-c80aa9429562:9");
  }

  TEST_CASE("MariaDB GTID positions keep one entry per domain") {
    auto st = GtidState::Parse("0-1-100,1-2-5", true);
    REQUIRE(st.ok());
    st->SetMariadb(0, 3, 101);
    CHECK(st->ToString() == "0-3-101,1-2-5");
    CHECK_FALSE(GtidState::Parse("0-1", true).ok());
  }

  TEST_CASE("COM_BINLOG_DUMP_GTID encodes a GTID set with end-exclusive intervals") {
    auto bytes = EncodeMysqlGtidSet("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7");
    REQUIRE(bytes.ok());
    REQUIRE(bytes->size() == 8 + 16 + 8 + 2 * 16);
    CHECK((*bytes)[0] == 1);     // one sid
    CHECK((*bytes)[8] == 0x3e);  // uuid bytes follow
    CHECK((*bytes)[24] == 2);    // two intervals
    CHECK((*bytes)[32] == 1);
    CHECK((*bytes)[40] == 6);    // 1-5 is [1, 6)
    CHECK((*bytes)[48] == 7);
    CHECK((*bytes)[56] == 8);
    CHECK_FALSE(EncodeMysqlGtidSet("not-a-uuid:1").ok());
    CHECK_FALSE(EncodeMysqlGtidSet("3e11fa47-71ca-11e1-9e33-c80aa9429562:0").ok());
  }

  TEST_CASE("transactions of a MySQL 5.7 binlog: DDL alone, DML grouped, GTIDs tracked" * doctest::test_suite("source fixtures")) {
    auto txns = Assemble("boxercrab/32_delete_rows_v2/log.bin", "", false);
    REQUIRE(txns.size() == 4);
    CHECK(txns[0].is_ddl);
    CHECK(txns[1].is_ddl);
    CHECK(RowCount(txns[2]) == 1);
    CHECK(RowCount(txns[3]) >= 1);
    CHECK(txns[3].commit_position.Compare(txns[2].commit_position) > 0);
    CHECK(!txns[3].gtid.empty());
    // Four GTIDs of one server: one interval ending at the last one.
    std::string last = txns[3].gtid.substr(txns[3].gtid.rfind(':') + 1);
    CHECK(txns[3].commit_position.gtid_set.ends_with("-" + last));
  }

  TEST_CASE("a compressed MySQL 8 transaction payload is one transaction" * doctest::test_suite("source fixtures")) {
    auto txns = Assemble("mariadb-test-data/std_data/mdev35643_mysql_80_binlog.000001", "", false);
    REQUIRE(txns.size() == 9);
    size_t biggest = 0;
    for (const auto& t : txns) biggest = std::max(biggest, RowCount(t));
    CHECK(biggest == 100);
    for (size_t i = 1; i < txns.size(); ++i) CHECK(txns[i].commit_position.Compare(txns[i - 1].commit_position) > 0);
  }
}

TEST_SUITE("source") {
  TEST_CASE("a compressed transaction payload is never split into pieces, and loses no row" * doctest::test_suite("source fixtures")) {
    auto events = binlog::DecodeBinlogFile(std::string(SYNC_SHARED_DIR) +
                                           "/fixtures/binlog/mariadb-test-data/std_data/mdev35643_mysql_80_binlog.000001");
    REQUIRE(events.ok());
    TransactionAssembler assembler(BinlogPosition{"log.bin", 4, ""}, *GtidState::Parse("", false));
    assembler.set_max_rows(30);
    std::vector<SourceTransaction> out;
    for (auto& e : *events)
      if (auto t = assembler.Add(std::move(e))) out.push_back(std::move(*t));
    size_t pieces = 0, rows_in_big = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].partial) continue;
      ++pieces;
      rows_in_big += RowCount(out[i]);
      CHECK(i + 1 < out.size());  // a piece is never the last thing handed out
    }
    CHECK(pieces == 0);
    CHECK(rows_in_big == 0);
    size_t commits = 0, biggest = 0;
    for (const auto& t : out) {
      commits += !t.partial;
      biggest = std::max(biggest, RowCount(t));
    }
    CHECK(commits == 9);
    CHECK(biggest == 100);
  }
}

namespace {

binlog::BinlogEvent Event(binlog::EventBody body, uint32_t next_position) {
  binlog::BinlogEvent e;
  e.header.next_position = next_position;
  e.body = std::move(body);
  return e;
}

// An UPDATE rows event of one row whose before and after images each hold a `value_bytes` blob.
binlog::BinlogEvent BlobUpdate(size_t value_bytes, uint32_t next_position) {
  binlog::RowsEvent rows;
  rows.kind = binlog::RowsKind::kUpdate;
  binlog::RowChange change;
  change.before = {Value(int64_t{1}), Value(Bytes{std::string(value_bytes, 'a'), kBinaryCollation})};
  change.after = {Value(int64_t{1}), Value(Bytes{std::string(value_bytes, 'b'), kBinaryCollation})};
  rows.rows.push_back(std::move(change));
  return Event(std::move(rows), next_position);
}

}  // namespace

TEST_SUITE("source") {
  TEST_CASE("a transaction of large rows is cut into pieces by its decoded size, not only by its row count") {
    TransactionAssembler assembler(BinlogPosition{"log.bin", 4, ""}, *GtidState::Parse("", false));
    assembler.set_max_rows(10000);
    assembler.set_max_bytes(5 << 20);
    std::vector<SourceTransaction> out;
    uint32_t at = 100;
    auto add = [&](binlog::BinlogEvent e) {
      if (auto t = assembler.Add(std::move(e))) out.push_back(std::move(*t));
    };
    add(Event(binlog::QueryEvent{.query = "BEGIN"}, at += 10));
    for (int i = 0; i < 10; ++i) add(BlobUpdate(1 << 20, at += 10));  // ~2 MB a row change
    add(Event(binlog::XidEvent{7}, at += 10));
    // 2 + 2 + 2 MB >= 5 MB: pieces of three row changes, then the commit with the last one.
    REQUIRE(out.size() == 4);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(out[i].partial);
      CHECK(RowCount(out[i]) == 3);
    }
    CHECK_FALSE(out[3].partial);
    CHECK(RowCount(out[3]) == 1);
    CHECK(out[3].commit_position.offset == at);
  }

  TEST_CASE("a value's memory counts its string's heap buffer") {
    CHECK(Value(int64_t{5}).MemoryBytes() == sizeof(Value));
    CHECK(Value(Bytes{std::string(1 << 20, 'x')}).MemoryBytes() >= sizeof(Value) + (1 << 20));
    CHECK(MemoryBytes({Value(int64_t{5}), Value(Decimal{"1.5"})}) == 2 * sizeof(Value));
  }
}
