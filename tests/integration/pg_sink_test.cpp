// The PostgreSQL sink against a real PostgreSQL: schema migration, every type
// round-tripping through a chunk, chunk atomicity, batch apply semantics and
// checkpoint atomicity. SYNC_BENCH=1 also times the two upsert strategies.

#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <thread>

#include "sink/registry.hpp"
#include "harness/servers.hpp"
#include "harness/sink_fixtures.hpp"
#include "sink/postgres/pg_chunk_writer.hpp"
#include "sink/postgres/pg_partitions.hpp"
#include "sink/postgres/pg_sink.hpp"
#include "sink/sink.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using sink::RowChange;
using sink::TableBinding;

namespace {

PostgresServer& Pg() {
  static PostgresServer server;
  static bool created = [] {
    server.Exec("CREATE DATABASE dw");
    return true;
  }();
  (void)created;
  return server;
}

config::TaskSpec Spec() { return PostgresDestinationSpec(Pg(), "dw"); }

std::unique_ptr<sink::Sink> Open(const std::string& task = "task-1") {
  auto s = sink::OpenSink(Spec(), task);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

std::string Q(const std::string& sql) { return Pg().Scalar(sql, "dw"); }


void Chunk(sink::Sink& s, const TableBinding& b, int index, const std::vector<std::vector<Value>>& rows) {
  Status st = testing::WriteChunk(s, b, index, rows);
  REQUIRE_MESSAGE(st.ok(), st.message());
}


Status Apply(sink::Sink& s, const TableBinding& b, std::vector<RowChange> rows, uint64_t offset) {
  std::vector<sink::TableChanges> changes(1);
  changes[0].table = &b;
  changes[0].rows = std::move(rows);
  return s.ApplyBatch(changes, BinlogPosition{"binlog.000002", offset, "0-1-" + std::to_string(offset)});
}

std::string Hex(const std::string& data) {
  std::string out;
  char buf[3];
  for (unsigned char c : data) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string out;
  char buf[3];
  for (unsigned char c : digest) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

}  // namespace

TEST_SUITE("postgres") {
  TEST_CASE("PrepareTable creates tricky identifiers, keeps keys and NOT NULL, and is idempotent") {
    auto s = Open();
    auto b = Binding("Odd \"Schema\"", "Ta ble ü", {Col("Id", "bigint", "bigint", false), Col("na me", "varchar", "varchar(10)", false),
                                                  Col("ÄÖ", "int", "int")},
                     {"Id"});
    REQUIRE(s->PrepareTable(b).ok());
    Status again = s->PrepareTable(b);
    CHECK_MESSAGE(again.ok(), again.message());
    CHECK(Q("SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable, ',' ORDER BY ordinal_position) "
            "FROM information_schema.columns WHERE table_schema = 'Odd \"Schema\"' AND table_name = 'Ta ble ü'") ==
          "Id:bigint:NO,na me:character varying:NO,ÄÖ:integer:YES");
    CHECK(Q("SELECT string_agg(a.attname, ',') FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
            "a.attnum = ANY(i.indkey) WHERE i.indisprimary AND i.indrelid = '\"Odd \"\"Schema\"\"\".\"Ta ble ü\"'::regclass") ==
          "Id");
    Chunk(*s, b, 0, {{int64_t{1}, Utf8("x"), Value()}});
    CHECK(Q("SELECT count(*) FROM \"Odd \"\"Schema\"\"\".\"Ta ble ü\"") == "1");
  }

  TEST_CASE("mode existing validates and never alters") {
    auto s = Open();
    for (const char* sql : {"CREATE SCHEMA ex", "CREATE TABLE ex.good (id bigint PRIMARY KEY, v text, extra int)",
                            "CREATE TABLE ex.nokey (id bigint, v text)", "CREATE TABLE ex.short (id bigint PRIMARY KEY)"})
      Pg().Exec(sql, "dw");
    config::TableSpec existing;
    existing.mode = config::TableMode::kExisting;
    auto make = [&](const std::string& table) {
      auto b = Binding("ex", table, {Col("id", "bigint", "bigint", false), Col("v", "text", "text")}, {"id"});
      b.settings = &existing;
      return b;
    };
    CHECK(s->PrepareTable(make("good")).ok());
    Status missing_col = s->PrepareTable(make("short"));
    CHECK(missing_col.code() == StatusCode::kFailedPrecondition);
    CHECK(missing_col.message().find("lacks column(s) v text") != std::string::npos);
    Status no_key = s->PrepareTable(make("nokey"));
    CHECK(no_key.code() == StatusCode::kFailedPrecondition);
    CHECK(no_key.message().find("no primary key or unique index on (id)") != std::string::npos);
    Status absent = s->PrepareTable(make("absent"));
    CHECK(absent.code() == StatusCode::kNotFound);
    CHECK(absent.message().find("set mode: new") != std::string::npos);
    CHECK(Q("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'ex' AND table_name = 'short'") == "1");
    CHECK(Q("SELECT to_regclass('ex.absent') IS NULL") == "t");
  }

  TEST_CASE("every type round-trips through a chunk") {
    auto s = Open();
    std::vector<ColumnSchema> cols = {
        Col("id", "int", "int", false), Col("ti", "tinyint", "tinyint"), Col("tiu", "tinyint", "tinyint unsigned"),
        Col("siu", "smallint", "smallint unsigned"), Col("mi", "mediumint", "mediumint"),
        Col("iu", "int", "int unsigned"), Col("bi", "bigint", "bigint"), Col("biu", "bigint", "bigint unsigned"),
        Col("dec", "decimal", "decimal(65,30)"), Col("f", "float", "float"), Col("d", "double", "double"),
        Col("b", "bit", "bit(10)"), Col("b1", "bit", "bit(1)"), Col("y", "year", "year"), Col("dt", "date", "date"),
        Col("dz", "date", "date", false), Col("tm", "time", "time(3)"), Col("tm2", "time", "time(6)"),
        Col("dtm", "datetime", "datetime(6)"), Col("dtz", "datetime", "datetime", false),
        Col("ts", "timestamp", "timestamp(6)"), Col("tsz", "timestamp", "timestamp"), Col("c", "char", "char(5)"),
        Col("vc", "varchar", "varchar(100)"), Col("l1", "varchar", "varchar(20)"), Col("bin", "binary", "binary(4)"),
        Col("tx", "text", "text"), Col("lb", "longblob", "longblob"), Col("e", "enum", "enum('small','it''s big')"),
        Col("st", "set", "set('a','b','c')"), Col("j", "json", "json"), Col("g", "geometry", "geometry"),
        Col("mj", "longtext", "longtext"), Col("n", "varchar", "varchar(3)")};
    cols[8].precision = 65;
    cols[8].scale = 30;
    cols[11].precision = 10;
    cols[12].precision = 1;
    cols[16].fsp = 3;
    cols[17].fsp = 6;
    cols[18].fsp = 6;
    cols[20].fsp = 6;
    cols[24].charset = "latin1";
    cols[24].collation = 8;
    cols[28].enum_values = {"small", "it's big"};
    cols[29].enum_values = {"a", "b", "c"};
    cols[32].collation = 46;
    auto b = Binding("types", "all_types", cols, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    std::string blob(2 * 1024 * 1024, '\0');
    for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 7 % 256);
    std::string dec = "-12345678901234567890123456789012345.123456789012345678901234567890";
    std::string wkb("\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40", 21);
    std::vector<Value> row = {
        int64_t{1}, int64_t{-128}, uint64_t{255}, uint64_t{65535}, int64_t{-8388608}, uint64_t{4294967295u},
        int64_t{INT64_MIN}, uint64_t{18446744073709551615ull}, Decimal{dec}, 1.1f, 0.1 + 0.2, Bit{0x201, 10},
        Bit{1, 1}, Year{2155}, Date{2024, 2, 29}, Date{0, 0, 0}, Time{true, 838, 59, 59, 0, 3},
        Time{true, 0, 0, 1, 500000, 6}, DateTime{9999, 12, 31, 23, 59, 59, 999999, 6},
        DateTime{0, 0, 0, 0, 0, 0, 0, 0}, Timestamp{2147483647, 123456, 6}, Timestamp{0, 0, 0}, Utf8("ab"),
        Utf8("h\xC3\xA9llo \xF0\x9F\x98\x80"), Bytes{"caf\xE9 \x80", 8}, Bytes{std::string("\x00\xFF\x00\x01", 4), 63},
        Utf8("tab\there\nnew line\\ back\rslash"), Bytes{blob, 63}, Enum{2, "it's big"}, Set{0b101, {"a", "c"}, true},
        Json{"{\"k\": [1, 2.5, null], \"u\": \"\\u00e9\"}"}, Geometry{4326, wkb}, Bytes{"{\"a\":1}", 46}, Value()};
    Chunk(*s, b, 0, {row});
    struct Expect {
      const char* expr;
      std::string text;
    };
    const Expect expect[] = {
        {"ti", "-128"}, {"tiu", "255"}, {"siu", "65535"}, {"mi", "-8388608"}, {"iu", "4294967295"},
        {"bi", "-9223372036854775808"}, {"biu", "18446744073709551615"}, {"dec", dec}, {"f", "1.1"},
        {"d", "0.30000000000000004"}, {"b", "1000000001"}, {"b1", "1"}, {"y", "2155"}, {"dt", "2024-02-29"},
        {"dz", "-infinity"}, {"tm", "-838:59:59"}, {"tm2", "-00:00:01.5"}, {"dtm", "9999-12-31 23:59:59.999999"},
        {"dtz", "-infinity"}, {"(ts AT TIME ZONE 'UTC')", "2038-01-19 03:14:07.123456"}, {"tsz", "-infinity"},
        {"c", "ab"}, {"vc", "h\xC3\xA9llo \xF0\x9F\x98\x80"}, {"l1", "caf\xC3\xA9 \xE2\x82\xAC"},
        {"bin", "\\x00ff0001"}, {"tx", "tab\there\nnew line\\ back\rslash"}, {"length(lb)", "2097152"},
        {"encode(sha256(lb), 'hex')", Sha256Hex(blob)}, {"e", "it's big"}, {"st", "a,c"},
        {"j", "{\"k\": [1, 2.5, null], \"u\": \"\xC3\xA9\"}"},
        {"g", "\\xe6100000" + Hex(wkb)}, {"mj", "{\"a\":1}"},
        {"coalesce(n, 'null')", "null"}, {"pg_typeof(ts)::text", "timestamp with time zone"},
        {"pg_typeof(j)::text", "jsonb"}, {"pg_typeof(tm)::text", "interval"}};
    for (const auto& e : expect) {
      CAPTURE(e.expr);
      CHECK(Q(std::string("SELECT ") + e.expr + "::text FROM types.all_types WHERE id = 1") == e.text);
    }
    // The same values through real-time apply (one row: as arrays, the
    // 2 MB blob included) read back exactly as the COPY wrote them; then the
    // staged way (more than 5,000 keys) too.
    std::vector<Value> applied = row;
    applied[0] = int64_t{2};
    REQUIRE(Apply(*s, b, {Ins(applied)}, 60).ok());
    const std::string same = "SELECT count(DISTINCT (to_jsonb(t) - 'id')::text) || ':' || count(*) FROM types.all_types t";
    CHECK(Q(same) == "1:2");
    std::vector<RowChange> many;
    for (int64_t id = 3; id <= 5003; ++id) {
      std::vector<Value> r = row;
      r[0] = id;
      r[27] = Bytes{"small", 63};  // 5,001 copies of 2 MB would be 10 GB
      many.push_back(Ins(std::move(r)));
    }
    REQUIRE(Apply(*s, b, std::move(many), 61).ok());
    CHECK(Q("SELECT count(DISTINCT (to_jsonb(t) - 'id')::text) || ':' || count(*) FROM types.all_types t WHERE id > 2") ==
          "1:5001");
    CHECK(Q("SELECT count(*) FROM types.all_types row_a JOIN types.all_types row_b ON row_b.id = 3 WHERE row_a.id = 1 AND "
            "(to_jsonb(row_a) - 'id' - 'lb') = (to_jsonb(row_b) - 'id' - 'lb')") == "1");
  }

  TEST_CASE("text that array literals quote and escape goes through apply unchanged") {
    auto s = Open();
    auto b = Binding("types", "quoting", {Col("id", "int", "int", false), Col("v", "text", "text")}, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    const std::vector<Value> values = {Utf8("NULL"), Utf8(""), Utf8("a\"b"), Utf8("{x,y}"), Utf8(" lead "),
                                       Utf8("back\\slash"), Value(), Utf8("comma,"), Utf8("\"")};
    std::vector<RowChange> rows;
    for (size_t i = 0; i < values.size(); ++i) rows.push_back(Ins({int64_t(i), values[i]}));
    REQUIRE(Apply(*s, b, std::move(rows), 70).ok());
    const std::string expected = "0=NULL|1=|2=a\"b|3={x,y}|4= lead |5=back\\slash|6=<null>|7=comma,|8=\"";
    CHECK(Q("SELECT string_agg(id || '=' || coalesce(v, '<null>'), '|' ORDER BY id) FROM types.quoting") == expected);
    // Updates and deletes find the same keys.
    REQUIRE(Apply(*s, b, {Upd({int64_t{2}, values[2]}, {int64_t{2}, Utf8("x\"y")}), Del({int64_t{3}, values[3]})}, 71).ok());
    CHECK(Q("SELECT string_agg(id || '=' || coalesce(v, '<null>'), '|' ORDER BY id) FROM types.quoting WHERE id IN "
            "(2, 3)") == "2=x\"y");
  }

  TEST_CASE("text with NUL or invalid bytes fails the chunk, naming table, column and key") {
    auto s = Open();
    auto b = Binding("types", "strict", {Col("id", "int", "int", false), Col("v", "varchar", "varchar(10)")}, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    for (std::string bad : {std::string("a\0b", 3), std::string("a\xFF")}) {
      auto w = s->OpenChunk(b, 0, {});
      REQUIRE(w.ok());
      CHECK((*w)->Write({int64_t{1}, Utf8("fine")}).ok());
      Status st = (*w)->Write({int64_t{7}, Utf8(bad)});
      CHECK(st.code() == StatusCode::kFailedPrecondition);
      CHECK(st.message().find("src.strict chunk 0 -> types.strict") != std::string::npos);
      CHECK(st.message().find("key (id=7), column v") != std::string::npos);
      CHECK(!(*w)->Commit().ok());
    }
    CHECK(Q("SELECT count(*) FROM types.strict") == "0");
    CHECK(s->CompletedChunks(b)->empty());
  }

  TEST_CASE("chunks are atomic; CompletedChunks and ResetTable") {
    auto s = Open();
    auto b = Binding("init", "t", {Col("id", "int", "int", false), Col("v", "text", "text")}, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    {
      auto w = s->OpenChunk(b, 0, {});
      REQUIRE(w.ok());
      REQUIRE((*w)->Write({int64_t{1}, Utf8("abandoned")}).ok());
    }  // destroyed without Commit
    CHECK(Q("SELECT count(*) FROM init.t") == "0");
    CHECK(s->CompletedChunks(b)->empty());
    Chunk(*s, b, 0, {{int64_t{1}, Utf8("a")}, {int64_t{2}, Utf8("b")}});
    Chunk(*s, b, 1, {{int64_t{3}, Utf8("c")}});
    auto done = s->CompletedChunks(b);
    REQUIRE(done.ok());
    REQUIRE(done->size() == 2);
    CHECK(done->at(1).file == "binlog.000001");
    CHECK(done->at(1).offset == 101);
    // Another task's chunks are its own.
    CHECK(Open("task-2")->CompletedChunks(b)->empty());
    // Committing a chunk twice is refused, and its rows roll back.
    auto dup = s->OpenChunk(b, 1, {});
    REQUIRE(dup.ok());
    REQUIRE((*dup)->Write({int64_t{4}, Utf8("d")}).ok());
    CHECK(!(*dup)->Commit().ok());
    CHECK(Q("SELECT count(*) FROM init.t") == "3");
    REQUIRE(s->ResetTable(b).ok());
    CHECK(Q("SELECT count(*) FROM init.t") == "0");
    CHECK(s->CompletedChunks(b)->empty());
  }

  TEST_CASE("ApplyBatch applies inserts, updates, deletes, key changes and repeated keys") {
    for (auto strategy : {postgres::ApplyStrategy::kStaging, postgres::ApplyStrategy::kMultiRowInsert}) {
      CAPTURE(int(strategy));
      auto s = Open("apply-" + std::to_string(int(strategy)));
      static_cast<postgres::PgSink&>(*s).SetApplyStrategy(strategy);
      std::string table = "k" + std::to_string(int(strategy));
      auto b = Binding("rt", table, {Col("a", "int", "int", false), Col("b", "varchar", "varchar(5)", false),
                                     Col("v", "text", "text")},
                       {"a", "b"});
      REQUIRE(s->PrepareTable(b).ok());
      Chunk(*s, b, 0, {{int64_t{1}, Utf8("x"), Utf8("one")}, {int64_t{2}, Utf8("x"), Utf8("two")},
                            {int64_t{3}, Utf8("x"), Utf8("three")}});
      Status st = Apply(*s, b,
                        {Ins({int64_t{4}, Utf8("x"), Utf8("four")}),
                         Upd({int64_t{1}, Utf8("x"), Utf8("one")}, {int64_t{1}, Utf8("x"), Utf8("ONE")}),
                         Del({int64_t{2}, Utf8("x"), Utf8("two")}),
                         // key change 3 -> 30, then 30 updated again, then old key 3 re-inserted
                         Upd({int64_t{3}, Utf8("x"), Utf8("three")}, {int64_t{30}, Utf8("x"), Utf8("thirty")}),
                         Upd({int64_t{30}, Utf8("x"), Utf8("thirty")}, {int64_t{30}, Utf8("x"), Value()}),
                         Ins({int64_t{3}, Utf8("x"), Utf8("new three")}),
                         // repeated key: insert, update, delete, insert again
                         Ins({int64_t{5}, Utf8("y"), Utf8("v1")}),
                         Upd({int64_t{5}, Utf8("y"), Utf8("v1")}, {int64_t{5}, Utf8("y"), Utf8("v2")}),
                         Del({int64_t{5}, Utf8("y"), Utf8("v2")}), Ins({int64_t{5}, Utf8("y"), Utf8("v3")}),
                         Ins({int64_t{6}, Utf8("y"), Utf8("gone")}), Del({int64_t{6}, Utf8("y"), Utf8("gone")})},
                        10);
      REQUIRE_MESSAGE(st.ok(), st.message());
      CHECK(Q("SELECT string_agg(a || b || '=' || coalesce(v, 'NULL'), ' ' ORDER BY a, b) FROM rt." + table) ==
            "1x=ONE 3x=new three 4x=four 5y=v3 30x=NULL");
      auto cp = s->LoadCheckpoint();
      REQUIRE(cp.ok());
      REQUIRE(cp->has_value());
      CHECK((*cp)->offset == 10);
      CHECK((*cp)->gtid_set == "0-1-10");
      // A second batch touching the same table (staging tables are reused).
      REQUIRE(Apply(*s, b, {Del({int64_t{1}, Utf8("x"), Utf8("ONE")})}, 11).ok());
      CHECK(Q("SELECT count(*) FROM rt." + table) == "4");
    }
  }

  TEST_CASE("ApplyBatch on a keyless table deletes exactly one of identical rows") {
    auto s = Open("nokey");
    auto b = Binding("rt", "nokey", {Col("v", "int", "int"), Col("w", "varchar", "varchar(5)"),
                                     Col("f", "float", "float"), Col("j", "json", "json")},
                     {});
    REQUIRE(s->PrepareTable(b).ok());
    std::vector<Value> dup = {int64_t{1}, Value(), 0.1f, Json{"{\"a\": 1}"}};
    Chunk(*s, b, 0, {dup, dup, dup, {int64_t{2}, Utf8("z"), 1.5f, Value()}});
    Status st = Apply(*s, b,
                      {Del(dup), Upd(dup, {int64_t{1}, Utf8("u"), 0.1f, Value()}),
                       Ins({int64_t{3}, Value(), Value(), Value()}), Ins({int64_t{3}, Value(), Value(), Value()})},
                      20);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(Q("SELECT string_agg(v || ':' || coalesce(w, '-'), ' ' ORDER BY v, w) FROM rt.nokey") ==
          "1:u 1:- 2:z 3:- 3:-");
  }

  TEST_CASE("a failing batch leaves neither data nor checkpoint; LoadCheckpoint") {
    auto s = Open("atomic");
    CHECK(!s->LoadCheckpoint()->has_value());
    auto b = Binding("rt", "atomic", {Col("id", "int", "int", false), Col("v", "text", "text", false)}, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    REQUIRE(Apply(*s, b, {Ins({int64_t{1}, Utf8("a")})}, 30).ok());
    Status bad = Apply(*s, b, {Ins({int64_t{2}, Utf8("b")}), Ins({int64_t{3}, Value()})}, 31);
    CHECK(bad.code() == StatusCode::kDataRejected);  // NOT NULL: the row is refused
    CHECK(bad.message().find("src.atomic") != std::string::npos);
    CHECK(Q("SELECT string_agg(id::text, ',' ORDER BY id) FROM rt.atomic") == "1");
    CHECK(Open("atomic")->LoadCheckpoint()->value().offset == 30);
    // The sink stays usable after a failed batch.
    REQUIRE(Apply(*s, b, {Ins({int64_t{2}, Utf8("b")})}, 32).ok());
    CHECK(s->LoadCheckpoint()->value().offset == 32);
  }

  TEST_CASE("a session the server terminates (57P01: a fast restart, pg_terminate_backend) is a lost connection") {
    // The soak met it as a destination restart cut a batch's COPY: taken for
    // an error a restart cannot fix, it failed the task.
    auto s = Open("terminated");
    auto b = Binding("rt", "terminated", {Col("id", "int", "int", false), Col("v", "text", "text", false)}, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    // A set of more than 5,000 keys goes through the staging table, a small
    // one as arrays: the first batch makes the stage in this session.
    auto rows = [](int64_t first, int count) {
      std::vector<RowChange> out;
      for (int64_t id = first; id < first + count; ++id) out.push_back(Ins({id, Utf8("r")}));
      return out;
    };
    constexpr int kStaged = 5001;
    REQUIRE(Apply(*s, b, rows(1, kStaged), 50).ok());
    // Round 0 is cut in the staged merge (the FATAL is read while libpq still
    // sees the connection open), round 1 in an INSERT of a new session.
    const int counts[2] = {kStaged, 1};
    for (int round = 0; round < 2; ++round) {
      auto holder = Pg().Admin("dw");
      REQUIRE(holder.Execute("BEGIN").ok());
      REQUIRE(holder.Execute("LOCK TABLE rt.terminated IN ACCESS EXCLUSIVE MODE").ok());
      std::thread terminator([] {
        for (int i = 0; i < 200; ++i) {
          if (Q("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'dw' AND "
                "wait_event_type = 'Lock'") != "0")
            return;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      });
      Status cut = Apply(*s, b, rows(100000 * (round + 1), counts[round]), 51 + round);
      terminator.join();
      REQUIRE(holder.Execute("ROLLBACK").ok());
      CHECK_MESSAGE(cut.code() == StatusCode::kUnavailable, cut.ToString());
      if (round == 0)
        CHECK_MESSAGE(cut.message().find("terminating connection due to administrator command") != std::string::npos,
                      cut.message());
      s = Open("terminated");  // as the worker does after the failover
    }
    REQUIRE(Apply(*s, b, rows(300000, 100), 53).ok());
    REQUIRE(Apply(*s, b, rows(400000, 1), 54).ok());
    CHECK(Q("SELECT count(*) || ':' || sum(id) FROM rt.terminated") ==
          std::to_string(kStaged + 101) + ":" + std::to_string(int64_t(kStaged) * (kStaged + 1) / 2 + 30004950 + 400000));
  }

  TEST_CASE("pieces of one transaction commit together; a failing piece, found at the commit, rolls all back") {
    auto s = Open("pieces");
    auto b = Binding("rt", "pieces", {Col("id", "int", "int", false), Col("v", "text", "text", false)}, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    REQUIRE(Apply(*s, b, {Ins({int64_t{1}, Utf8("a")})}, 50).ok());
    auto changes = [&](std::vector<RowChange> rows) {
      std::vector<sink::TableChanges> c(1);
      c[0].table = &b;
      c[0].rows = std::move(rows);
      return c;
    };
    const BinlogPosition end{"binlog.000002", 51, ""};
    REQUIRE(s->ApplyPartial(changes({Ins({int64_t{2}, Utf8("b")}), Ins({int64_t{3}, Utf8("c")})})).ok());
    // The merge of this piece fails (v is NOT NULL); it may still be running
    // when ApplyPartial returns, so the failure can come with the commit.
    Status second = s->ApplyPartial(changes({Upd({int64_t{2}, Utf8("b")}, {int64_t{2}, Utf8("bb")}),
                                             Ins({int64_t{4}, Value()})}));
    Status last = second.ok() ? s->ApplyBatch(changes({Ins({int64_t{5}, Utf8("e")})}), end) : second;
    CHECK(last.code() == StatusCode::kDataRejected);
    CHECK_MESSAGE(last.message().find("src.pieces") != std::string::npos, last.message());
    CHECK(Q("SELECT string_agg(id || v, ',' ORDER BY id) FROM rt.pieces") == "1a");
    CHECK(s->LoadCheckpoint()->value().offset == 50);
    // The same sink takes the transaction again, whole.
    REQUIRE(s->ApplyPartial(changes({Ins({int64_t{2}, Utf8("b")}), Ins({int64_t{3}, Utf8("c")})})).ok());
    REQUIRE(s->ApplyPartial(changes({Upd({int64_t{2}, Utf8("b")}, {int64_t{2}, Utf8("bb")})})).ok());
    REQUIRE(s->ApplyBatch(changes({Ins({int64_t{5}, Utf8("e")}), Del({int64_t{3}, Utf8("c")})}), end).ok());
    CHECK(Q("SELECT string_agg(id || v, ',' ORDER BY id) FROM rt.pieces") == "1a,2bb,5e");
    CHECK(s->LoadCheckpoint()->value().offset == 51);
  }

  TEST_CASE("a piece's failing statement, still running when the next piece reads a new table's columns, is reported") {
    auto s = Open("pieces_two");
    auto a = Binding("rt", "piece_a", {Col("id", "int", "int", false), Col("v", "text", "text", false)}, {"id"});
    auto b = Binding("rt", "piece_b", {Col("id", "int", "int", false), Col("v", "text", "text", false)}, {"id"});
    REQUIRE(s->PrepareTable(a).ok());
    REQUIRE(s->PrepareTable(b).ok());
    REQUIRE(Apply(*s, a, {Ins({int64_t{1}, Utf8("a")})}, 60).ok());
    auto changes = [](const sink::TableBinding& t, std::vector<RowChange> rows) {
      std::vector<sink::TableChanges> c(1);
      c[0].table = &t;
      c[0].rows = std::move(rows);
      return c;
    };
    // Fails at the server (v is NOT NULL) after ApplyPartial returned; the
    // next piece is the first of piece_b, whose columns are read first.
    Status first = s->ApplyPartial(changes(a, {Ins({int64_t{2}, Value()})}));
    Status second = first.ok() ? s->ApplyPartial(changes(b, {Ins({int64_t{1}, Utf8("b")})})) : first;
    CHECK_MESSAGE(second.code() == StatusCode::kDataRejected, second.ToString());
    CHECK_MESSAGE(second.message().find("src.piece_a") != std::string::npos, second.message());
    CHECK(Q("SELECT count(*) FROM rt.piece_b") == "0");
    CHECK(s->LoadCheckpoint()->value().offset == 60);
  }

  TEST_CASE("table positions commit with a batch, which can leave the checkpoint where it is") {
    auto s = Open("positions");
    auto b = Binding("rt", "positions", {Col("id", "int", "int", false), Col("v", "text", "text", false)}, {"id"});
    REQUIRE(s->PrepareTable(b).ok());
    REQUIRE(Apply(*s, b, {Ins({int64_t{1}, Utf8("a")})}, 40).ok());
    sink::TablePositions empty_entries;
    empty_entries.save = {{"src.added", BinlogPosition()}, {"src.other\"quoted\"", BinlogPosition()}};
    REQUIRE(s->SaveTablePositions(empty_entries).ok());
    auto loaded = s->LoadTablePositions();
    REQUIRE(loaded.ok());
    CHECK(loaded->size() == 2);
    CHECK(loaded->at("src.added").empty());
    CHECK(Open("other-task")->LoadTablePositions()->empty());  // keyed by task

    std::vector<sink::TableChanges> changes(1);
    changes[0].table = &b;
    changes[0].rows = {Ins({int64_t{2}, Utf8("b")})};
    sink::TablePositions held;
    held.hold_checkpoint = true;
    held.save = {{"src.added", BinlogPosition{"binlog.000002", 35, "0-1-35"}}};
    REQUIRE(s->ApplyBatch(changes, BinlogPosition{"binlog.000002", 35, ""}, held).ok());
    CHECK(s->LoadCheckpoint()->value().offset == 40);  // held
    CHECK(s->LoadTablePositions()->at("src.added").offset == 35);
    CHECK(s->LoadTablePositions()->at("src.added").gtid_set == "0-1-35");

    // A failed batch keeps neither its rows nor its positions.
    changes[0].rows = {Ins({int64_t{3}, Utf8("c")}), Ins({int64_t{4}, Value()})};
    held.save["src.added"].offset = 38;
    CHECK(!s->ApplyBatch(changes, BinlogPosition{"binlog.000002", 38, ""}, held).ok());
    CHECK(s->LoadTablePositions()->at("src.added").offset == 35);

    sink::TablePositions done;
    done.erase = {"src.added", "src.other\"quoted\"", "src.never"};
    changes[0].rows = {Ins({int64_t{5}, Utf8("e")})};
    REQUIRE(s->ApplyBatch(changes, BinlogPosition{"binlog.000002", 50, ""}, done).ok());
    CHECK(s->LoadCheckpoint()->value().offset == 50);
    CHECK(s->LoadTablePositions()->empty());
    CHECK(Q("SELECT string_agg(id::text, ',' ORDER BY id) FROM rt.positions") == "1,2,5");
  }

  // Not a timed test: prints the numbers behind the default upsert strategy.
  // SYNC_BENCH=N for N rows (1: 100,000; 5,000 or fewer go as arrays).
  TEST_CASE("upsert strategies on 100k updated rows (SYNC_BENCH=1)") {
    if (!std::getenv("SYNC_BENCH")) return;
    const int n = std::atoi(std::getenv("SYNC_BENCH")) > 1 ? std::atoi(std::getenv("SYNC_BENCH")) : 100000;
    for (auto strategy : {postgres::ApplyStrategy::kStaging, postgres::ApplyStrategy::kMultiRowInsert}) {
      auto s = Open("bench");
      static_cast<postgres::PgSink&>(*s).SetApplyStrategy(strategy);
      std::string table = "bench" + std::to_string(int(strategy));
      auto b = Binding("bench", table,
                       {Col("id", "bigint", "bigint", false), Col("i", "int", "int"), Col("bi", "bigint", "bigint"),
                        Col("d", "double", "double"), Col("dec", "decimal", "decimal(12,2)"),
                        Col("name", "varchar", "varchar(64)"), Col("note", "text", "text"),
                        Col("dt", "datetime", "datetime"), Col("ts", "timestamp", "timestamp(3)"),
                        Col("flag", "tinyint", "tinyint")},
                       {"id"});
      b.source.columns[4].precision = 12;
      b.source.columns[4].scale = 2;
      REQUIRE(s->PrepareTable(b).ok());
      auto row = [](int id, int version) {
        return std::vector<Value>{int64_t{id}, int64_t{id * 3 + version}, int64_t{id} * 1000003, id * 0.25 + version,
                                  Decimal{std::to_string(id % 100000) + "." + std::to_string(10 + version % 90)},
                                  Utf8("name-" + std::to_string(id) + "-v" + std::to_string(version)),
                                  Utf8("a somewhat longer note for row " + std::to_string(id)),
                                  DateTime{2024, 5, uint8_t(1 + id % 28), 12, 30, uint8_t(id % 60), 0, 0},
                                  Timestamp{1700000000 + id, uint32_t(version * 1000), 3}, int64_t{id % 2}};
      };
      std::vector<std::vector<Value>> initial;
      for (int id = 0; id < n; ++id) initial.push_back(row(id, 0));
      auto t0 = std::chrono::steady_clock::now();
      Chunk(*s, b, 0, initial);
      auto t1 = std::chrono::steady_clock::now();
      std::vector<RowChange> updates;
      for (int id = 0; id < n; ++id) updates.push_back(Upd(row(id, 0), row(id, 1)));
      auto t2 = std::chrono::steady_clock::now();
      REQUIRE(Apply(*s, b, std::move(updates), 40).ok());
      auto t3 = std::chrono::steady_clock::now();
      auto ms = [](auto a, auto b) { return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count(); };
      MESSAGE(std::string(strategy == postgres::ApplyStrategy::kStaging ? "staging" : "multi-row INSERT")
              << ": COPY of " << n << " rows " << ms(t0, t1) << " ms; ApplyBatch of " << n << " updates "
              << ms(t2, t3) << " ms");
      CHECK(Q("SELECT count(*) FROM bench." + table + " WHERE name LIKE '%-v1'") == std::to_string(n));
    }
  }

  TEST_CASE("a Hologres engine: V2.0+ gets the transaction switch, older ones are refused with the fix") {
    // Databases whose hg_version() says Hologres: PostgreSQL stands in for the
    // engine's catalog, and (like any non-Hologres server) rejects the switch.
    for (const char* version : {"1.3.55", "2.1.5"}) {
      CAPTURE(version);
      std::string db = std::string("holo_") + (version[0] == '1' ? "old" : "new");
      Pg().Exec("CREATE DATABASE " + db);
      Pg().Exec(std::string("CREATE FUNCTION hg_version() RETURNS text LANGUAGE sql AS $$ SELECT 'Hologres ") + version +
                    " (tag: x build: Release), compatible with PostgreSQL 11.3 (Release-build@x on origin/release-x) "
                    "on x86_64-pc-linux-gnu'::text $$",
                db);
      postgres::Endpoint ep{"127.0.0.1", Pg().port(), db, "postgres", PostgresServer::kSuperPassword, 10};
      auto s = postgres::PgSink::Open(ep, postgres::Dialect::kHologres, "holo");
      REQUIRE(!s.ok());
      if (version[0] == '1') {
        CHECK(s.status().code() == StatusCode::kFailedPrecondition);
        CHECK(s.status().message().find("upgrade the instance to V2.0") != std::string::npos);
      } else {
        CHECK(s.status().message().find("hg_experimental_enable_transaction") != std::string::npos);
      }
    }
  }

  TEST_CASE("a partitioned table: children made on demand, rows moving between them, a chunk outgrowing its "
            "bound copied again after its new child is made") {
    config::TableSpec settings;
    settings.partition = config::PartitionSpec{"region", ""};
    TableBinding b = Binding("parts", "visits", {Col("id", "int", "int", false), Col("region", "varchar", "varchar(40)", false),
                                                 Col("n", "int", "int")},
                             {"id", "region"});
    b.settings = &settings;
    auto s = Open("task-parts");
    REQUIRE(s->PrepareTable(b).ok());
    CHECK(Q("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'parts.visits'::regclass") == "l");
    auto row = [](int64_t id, const char* region, int64_t n) {
      return std::vector<Value>{Value(id), Value(Utf8(region)), Value(n)};
    };
    Chunk(*s, b, 0, {row(1, "eu", 1), row(2, "us", 2), row(3, "eu", 3), row(4, "a b/c", 4)});
    const std::string where = "SELECT string_agg(v.id || '@' || c.relname, ',' ORDER BY v.id) FROM parts.visits v "
                              "JOIN pg_class c ON c.oid = v.tableoid";
    const std::string hashed = postgres::ChildTableName("visits", "a b/c");
    CHECK(hashed.size() == std::string("visits_").size() + 16);
    CHECK(Q(where) == "1@visits_eu,2@visits_us,3@visits_eu,4@" + hashed);
    // Real time: a new child, a row that moves (a key change), a delete.
    REQUIRE(Apply(*s, b, {Ins(row(5, "ap", 5)), Upd(row(1, "eu", 1), row(1, "af", 9)), Del(row(3, "eu", 3))}, 10).ok());
    CHECK(Q(where) == "1@visits_af,2@visits_us,4@" + hashed + ",5@visits_ap");
    // Pieces of one transaction: the first piece's children are made before
    // it begins; PostgreSQL makes a later piece's inside it, and a rollback
    // takes that child with it (and the sink forgets it).
    std::vector<sink::TableChanges> piece1(1), piece2(1);
    piece1[0].table = piece2[0].table = &b;
    piece1[0].rows = {Ins(row(6, "zz", 6))};
    piece2[0].rows = {Ins(row(7, "yy", 7))};
    REQUIRE(s->ApplyPartial(piece1).ok());
    REQUIRE(s->ApplyPartial(piece2).ok());
    CHECK_FALSE(Apply(*s, b, {Ins({Value(int64_t{9}), Value(Utf8(std::string("nul\0", 4))), Value(int64_t{9})})}, 20).ok());
    CHECK(Q("SELECT count(*) FROM pg_class WHERE relname = 'visits_zz'") == "1");
    CHECK(Q("SELECT count(*) FROM pg_class WHERE relname = 'visits_yy'") == "0");
    CHECK(Q("SELECT count(*) FROM parts.visits WHERE id IN (6, 7)") == "0");
    REQUIRE(s->ApplyPartial(piece1).ok());
    REQUIRE(s->ApplyPartial(piece2).ok());
    REQUIRE(Apply(*s, b, {Ins(row(8, "zz", 8))}, 30).ok());
    CHECK(Q("SELECT string_agg(id::text, ',' ORDER BY id) FROM parts.visits_zz") == "6,8");
    CHECK(Q("SELECT string_agg(id::text, ',' ORDER BY id) FROM parts.visits_yy") == "7");

    // A chunk past its bound whose later rows need a new child: rolled back
    // with the child made, then copied again.
    auto pg = postgres::PgSink::Open({"127.0.0.1", Pg().port(), "dw", "postgres", PostgresServer::kSuperPassword, 10},
                                     postgres::Dialect::kPostgres, "task-parts");
    REQUIRE(pg.ok());
    auto columns = postgres::MapColumns(b.source, postgres::Dialect::kPostgres);
    REQUIRE(columns.ok());
    postgres::PartitionChildren children("parts", "visits");
    REQUIRE((*pg)->connection().Execute("SELECT 1").ok());
    REQUIRE(children.Load((*pg)->connection()).ok());
    postgres::ValueEncoder encoder;
    auto copy = [&]() -> Status {
      auto target = postgres::MakeApplyTarget(b, *columns);
      if (!target.ok()) return target.status();
      postgres::PgChunkWriter::Chunk chunk{"task-parts", "src.visits", "parts.visits", 1, {"binlog.000001", 101, ""}};
      auto w = postgres::PgPartitionedChunkWriter::Open((*pg)->connection(), encoder, std::move(*target), children,
                                                        chunk, 1);
      if (!w.ok()) return w.status();
      for (const auto& r : {row(20, "us", 1), row(21, "late", 2), row(22, "us", 3)}) SYNC_RETURN_IF_ERROR((*w)->Write(r));
      return (*w)->Commit();
    };
    Status first = copy();
    CHECK(first.code() == StatusCode::kUnavailable);
    CHECK_MESSAGE(first.message().find("new partition(s), made now; the chunk is copied again") != std::string::npos,
                  first.message());
    CHECK(Q("SELECT count(*) FROM parts.visits WHERE id >= 20") == "0");
    CHECK(Q("SELECT count(*) FROM pg_class WHERE relname = 'visits_late'") == "1");
    Status second = copy();
    CHECK_MESSAGE(second.ok(), second.message());
    CHECK(Q("SELECT string_agg(v.id || '@' || c.relname, ',' ORDER BY v.id) FROM parts.visits v JOIN pg_class c ON "
            "c.oid = v.tableoid WHERE v.id >= 20") == "20@visits_us,21@visits_late,22@visits_us");
  }
}
