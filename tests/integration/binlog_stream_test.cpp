// The live binlog source against a real MariaDB: start by position and by GTID,
// rotation, server restart, purged binlogs, and values identical to the snapshot's.

#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "harness/servers.hpp"
#include "source/mysql/binlog_source.hpp"
#include "source/mysql/schema_reader.hpp"
#include "source/mysql/snapshot_reader.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;

namespace doctest {
template <>
struct StringMaker<Value> {
  static String convert(const Value& v) { return v.ToString().c_str(); }
};
}  // namespace doctest

namespace {

const char* kTypesTable =
    "CREATE TABLE s.types (id INT PRIMARY KEY, tiu TINYINT UNSIGNED, biu BIGINT UNSIGNED, bi BIGINT,"
    " dec1 DECIMAL(30,10), f FLOAT, d DOUBLE, b BIT(10), y YEAR, dt DATE, tm TIME(3), dtm DATETIME(6),"
    " ts TIMESTAMP(6) NULL, vc VARCHAR(100), l1 VARCHAR(20) CHARACTER SET latin1, vb VARBINARY(10), lb LONGBLOB,"
    " e ENUM('small','it''s big'), st SET('a','b','c'), j JSON, g GEOMETRY)";

const char* kTypesRow =
    "INSERT INTO s.types VALUES (%d, 255, 18446744073709551615, -9223372036854775808,"
    " -12345678901234567890.0123456789, 1.1, -2.2e-300, b'1000000001', 2155, '2024-02-29', '-838:59:59.500',"
    " '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.123456', 'h\xC3\xA9llo \xF0\x9F\x98\x80', 'caf\xC3\xA9',"
    " X'00FF', REPEAT('x', 2000000), 'it''s big', 'a,c', '{\"k\": [1, 2.5, null]}', ST_GeomFromText('POINT(1 2)'))";

std::string Row(const char* fmt, int id) {
  char buf[2048];
  std::snprintf(buf, sizeof buf, fmt, id);
  return buf;
}

struct Fixture {
  MariaDbServer server;
  Fixture() {
    server.Exec("CREATE DATABASE s");
    server.Exec("CREATE TABLE s.t (id INT PRIMARY KEY, v VARCHAR(20))");
    server.Exec(kTypesTable);
  }
  mysql::Endpoint Endpoint() const { return {"127.0.0.1", server.port(), "root", MariaDbServer::kRootPassword, 10, 60}; }
  BinlogPosition Now() const {
    auto r = mysql::SnapshotReader::Open(Endpoint());
    REQUIRE(r.ok());
    auto p = r->CurrentPosition();
    REQUIRE(p.ok());
    return *p;
  }
  std::unique_ptr<mysql::BinlogSource> Open(const BinlogPosition& start, bool use_gtid = false) {
    mysql::SourceOptions opts;
    opts.stream.server_id = 7001;
    opts.stream.heartbeat_seconds = 1;
    opts.stream.read_timeout_seconds = 5;
    opts.max_reconnect_seconds = 60;
    auto src = mysql::BinlogSource::Open(Endpoint(), opts, start, use_gtid);
    REQUIRE_MESSAGE(src.ok(), src.status().message());
    auto conn = server.Admin();
    auto schema = std::make_shared<std::map<std::string, TableSchema>>();
    for (const char* t : {"t", "types"}) (*schema)[t] = *mysql::ReadTableSchema(conn, "s", t);
    (*src)->SetTableMapEnricher([schema](const binlog::TableMap& tm,
                                          const BinlogPosition&) -> Result<std::shared_ptr<const binlog::TableMap>> {
      auto it = schema->find(tm.table);
      if (tm.database != "s" || it == schema->end()) return std::shared_ptr<const binlog::TableMap>();
      return mysql::EnrichTableMap(tm, it->second);
    });
    return std::move(src).value();
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

// Reads `count` transactions (failing the test on an error or a long silence).
std::vector<mysql::SourceTransaction> Read(mysql::BinlogSource& src, size_t count) {
  std::vector<mysql::SourceTransaction> out;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto t = src.Next(500ms);
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    if (*t) out.push_back(std::move(**t));
  }
  REQUIRE(out.size() == count);
  return out;
}

std::vector<binlog::RowChange> RowsOf(const mysql::SourceTransaction& t) {
  std::vector<binlog::RowChange> rows;
  for (const auto& e : t.events)
    if (auto* r = e.get_if<binlog::RowsEvent>()) rows.insert(rows.end(), r->rows.begin(), r->rows.end());
  return rows;
}

}  // namespace

TEST_CASE("streams inserts, updates and deletes from a position, one transaction each") {
  BinlogPosition start = F().Now();
  F().server.Exec("INSERT INTO s.t VALUES (1, 'a'), (2, 'b')");
  F().server.Exec("UPDATE s.t SET v = 'c' WHERE id = 1");
  F().server.Exec("DELETE FROM s.t WHERE id = 2");
  auto src = F().Open(start);
  auto txns = Read(*src, 3);
  auto ins = RowsOf(txns[0]);
  REQUIRE(ins.size() == 2);
  CHECK(ins[1].after[1].as<Bytes>().data == "b");
  auto upd = RowsOf(txns[1]);
  REQUIRE(upd.size() == 1);
  CHECK(upd[0].before[1].as<Bytes>().data == "a");
  CHECK(upd[0].after[1].as<Bytes>().data == "c");
  CHECK(RowsOf(txns[2])[0].before[0] == Value(int64_t{2}));
  // Commit positions increase and the GTID set follows.
  CHECK(txns[1].commit_position.Compare(txns[0].commit_position) > 0);
  CHECK(txns[2].commit_position.Compare(F().Now()) == 0);
  CHECK(txns[2].commit_position.gtid_set == F().Now().gtid_set);
  CHECK(!txns[2].gtid.empty());
}

TEST_CASE("Next returns on time while the source is quiet, between heartbeats") {
  auto src = F().Open(F().Now());
  // Drain what the dump sends first (artificial events, the current position).
  for (int i = 0; i < 5; ++i) REQUIRE(src->Next(50ms).ok());
  for (int i = 0; i < 10; ++i) {
    auto begin = std::chrono::steady_clock::now();
    auto t = src->Next(30ms);
    auto took = std::chrono::steady_clock::now() - begin;
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    CHECK_FALSE(t->has_value());
    // Heartbeats come once a second: waiting for one would take far longer.
    CHECK(took < 300ms);
  }
  F().server.Exec("INSERT INTO s.t VALUES (15, 'quiet')");
  auto txns = Read(*src, 1);
  CHECK(RowsOf(txns[0])[0].after[0] == Value(int64_t{15}));
}

TEST_CASE("streams from a GTID and resumes exactly after the given transaction") {
  F().server.Exec("INSERT INTO s.t VALUES (10, 'g1')");
  BinlogPosition after_first = F().Now();
  F().server.Exec("INSERT INTO s.t VALUES (11, 'g2')");
  F().server.Exec("INSERT INTO s.t VALUES (12, 'g3')");
  BinlogPosition gtid_only;
  gtid_only.gtid_set = after_first.gtid_set;
  auto src = F().Open(gtid_only, /*use_gtid=*/true);
  auto txns = Read(*src, 2);
  CHECK(RowsOf(txns[0])[0].after[0] == Value(int64_t{11}));
  CHECK(RowsOf(txns[1])[0].after[0] == Value(int64_t{12}));
}

TEST_CASE("binlog values equal snapshot values for every column type") {
  BinlogPosition start = F().Now();
  F().server.Exec(Row(kTypesRow, 1));
  F().server.Exec("INSERT INTO s.types (id) VALUES (2)");
  auto src = F().Open(start);
  auto txns = Read(*src, 2);
  auto reader = mysql::SnapshotReader::Open(F().Endpoint());
  auto conn = F().server.Admin();
  TableSchema schema = *mysql::ReadTableSchema(conn, "s", "types");
  std::vector<mysql::Row> snap;
  REQUIRE(reader->ReadChunk(schema, {}, [&](mysql::Row&& r) {
    snap.push_back(std::move(r));
    return Status::Ok();
  }).ok());
  REQUIRE(snap.size() == 2);
  for (int i = 0; i < 2; ++i) {
    auto rows = RowsOf(txns[size_t(i)]);
    REQUIRE(rows.size() == 1);
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      INFO("row " << i + 1 << " column " << schema.columns[c].name);
      CHECK(rows[0].after[c] == snap[size_t(i)][c]);
    }
  }
}

TEST_CASE("follows a binlog rotation") {
  BinlogPosition start = F().Now();
  F().server.Exec("INSERT INTO s.t VALUES (20, 'before')");
  F().server.Exec("FLUSH BINARY LOGS");
  F().server.Exec("INSERT INTO s.t VALUES (21, 'after')");
  auto src = F().Open(start);
  auto txns = Read(*src, 2);
  CHECK(RowsOf(txns[1])[0].after[0] == Value(int64_t{21}));
  CHECK(txns[1].commit_position.file != txns[0].commit_position.file);
  // MariaDB may append a BINLOG_CHECKPOINT after the commit, so "now" can be later.
  CHECK(txns[1].commit_position.file == F().Now().file);
  CHECK(txns[1].commit_position.Compare(F().Now()) <= 0);
}

TEST_CASE("survives a server restart mid-stream without losing or repeating a transaction") {
  BinlogPosition start = F().Now();
  auto src = F().Open(start);
  for (int i = 0; i < 5; ++i) F().server.Exec("INSERT INTO s.t VALUES (" + std::to_string(100 + i) + ", 'r')");
  auto first = Read(*src, 5);
  F().server.Stop();
  F().server.Start();
  for (int i = 5; i < 10; ++i) F().server.Exec("INSERT INTO s.t VALUES (" + std::to_string(100 + i) + ", 'r')");
  auto second = Read(*src, 5);
  CHECK(src->reconnects() >= 1);
  std::vector<int64_t> ids;
  for (const auto* batch : {&first, &second})
    for (const auto& t : *batch) ids.push_back(RowsOf(t)[0].after[0].as<int64_t>());
  CHECK(ids == std::vector<int64_t>{100, 101, 102, 103, 104, 105, 106, 107, 108, 109});
}

TEST_CASE("a purged start position is a clear error naming the oldest available binlog") {
  BinlogPosition old = F().Now();
  F().server.Exec("FLUSH BINARY LOGS");
  F().server.Exec("FLUSH BINARY LOGS");
  BinlogPosition now = F().Now();
  // A binlog stays until MariaDB's binlog checkpoint has passed it and no dump
  // thread reads it, so purge until the server has really let go of it.
  for (int i = 0; i < 100 && F().server.Scalar("SHOW BINARY LOGS") != now.file; ++i) {
    F().server.Exec("PURGE BINARY LOGS TO '" + now.file + "'");
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(F().server.Scalar("SHOW BINARY LOGS") == now.file);
  mysql::SourceOptions opts;
  opts.stream.server_id = 7002;
  INFO(old.ToString() << " now " << now.ToString());
  auto src = mysql::BinlogSource::Open(F().Endpoint(), opts, old, false);
  REQUIRE_FALSE(src.ok());
  CHECK(src.status().code() == StatusCode::kFailedPrecondition);
  INFO(src.status().message());
  CHECK(src.status().message().find("purged") != std::string::npos);
  CHECK(src.status().message().find(now.file + ":4") != std::string::npos);

  BinlogPosition gtid_start;
  gtid_start.gtid_set = "0-1-1";  // long gone
  auto by_gtid = mysql::BinlogSource::Open(F().Endpoint(), opts, gtid_start, true);
  std::string message = by_gtid.ok() ? "" : by_gtid.status().message();
  if (by_gtid.ok()) {
    auto t = (*by_gtid)->Next(5s);
    REQUIRE_FALSE(t.ok());
    message = t.status().message();
  }
  CHECK(message.find("new full initialization") != std::string::npos);
}

TEST_CASE("DDL arrives as its own transaction between row changes") {
  BinlogPosition start = F().Now();
  F().server.Exec("INSERT INTO s.t VALUES (300, 'x')");
  F().server.Exec("CREATE TABLE s.other (id INT PRIMARY KEY)");
  F().server.Exec("INSERT INTO s.t VALUES (301, 'y')");
  auto src = F().Open(start);
  auto txns = Read(*src, 3);
  CHECK_FALSE(txns[0].is_ddl);
  CHECK(txns[1].is_ddl);
  REQUIRE(txns[1].events.size() == 1);
  CHECK(txns[1].events[0].get_if<binlog::QueryEvent>()->query.find("CREATE TABLE s.other") != std::string::npos);
  CHECK(RowsOf(txns[2])[0].after[0] == Value(int64_t{301}));
}
