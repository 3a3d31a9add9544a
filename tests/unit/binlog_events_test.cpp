// Hand-built events: checksums, truncation and corruption with positions,
// partial row images, MariaDB events, unknown events, the file reader.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "source/mysql/binlog/binlog_decoder.hpp"
#include "source/mysql/binlog/binlog_dump.hpp"
#include "source/mysql/binlog/binlog_file_reader.hpp"

using namespace dbsync;
using namespace dbsync::binlog;

namespace {

using Bytes8 = std::vector<uint8_t>;

void Put(Bytes8& b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(uint8_t(v >> (8 * i)));
}

Bytes8 Event(uint8_t type, const Bytes8& body, bool crc, uint32_t next_pos = 0) {
  Bytes8 e;
  Put(e, 1700000000, 4);
  e.push_back(type);
  Put(e, 7, 4);
  Put(e, 19 + body.size() + (crc ? 4 : 0), 4);
  Put(e, next_pos, 4);
  Put(e, 0, 2);
  e.insert(e.end(), body.begin(), body.end());
  if (crc) Put(e, BinlogCrc32(e), 4);
  return e;
}

// A FORMAT_DESCRIPTION for `version`, with MySQL 8 / MariaDB post-header lengths.
Bytes8 Fde(const std::string& version, bool crc) {
  Bytes8 body;
  Put(body, 4, 2);
  std::string v = version;
  v.resize(50, '\0');
  body.insert(body.end(), v.begin(), v.end());
  Put(body, 0, 4);
  body.push_back(19);
  Bytes8 post(171, 0);
  post[2 - 1] = 13;   // QUERY
  post[19 - 1] = 8;   // TABLE_MAP
  for (int t : {23, 24, 25, 166, 167, 168}) post[t - 1] = 8;
  for (int t : {30, 31, 32, 39}) post[t - 1] = 10;
  body.insert(body.end(), post.begin(), post.end());
  body.push_back(crc ? 1 : 0);  // checksum algorithm; the FDE itself always has a CRC
  return Event(15, body, true);
}

// TABLE_MAP of `db`.`t` (id 42) with the given column types and metadata bytes.
Bytes8 TableMapBody(const Bytes8& types, const Bytes8& meta) {
  Bytes8 b;
  Put(b, 42, 6);
  Put(b, 1, 2);
  b.push_back(2), b.push_back('d'), b.push_back('b'), b.push_back(0);
  b.push_back(1), b.push_back('t'), b.push_back(0);
  b.push_back(uint8_t(types.size()));
  b.insert(b.end(), types.begin(), types.end());
  b.push_back(uint8_t(meta.size()));
  b.insert(b.end(), meta.begin(), meta.end());
  Put(b, 0xFF, (types.size() + 7) / 8);  // all nullable
  return b;
}

// WRITE_ROWS v2 header for table 42 with `ncols` columns and a present-columns bitmap.
Bytes8 WriteRowsV2(uint8_t ncols, uint8_t present, const Bytes8& rows) {
  Bytes8 b;
  Put(b, 42, 6);
  Put(b, 1, 2);  // STMT_END_F
  Put(b, 2, 2);  // no extra data
  b.push_back(ncols);
  b.push_back(present);
  b.insert(b.end(), rows.begin(), rows.end());
  return b;
}

BinlogEvent MustDecode(BinlogDecoder& d, const Bytes8& e, uint64_t pos) {
  auto r = d.Decode(e, pos);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r).value();
}

// A copy of the event's body as T (empty when it is another type).
template <typename T>
std::optional<T> As(const BinlogEvent& e) {
  if (const T* t = e.get_if<T>()) return *t;
  return std::nullopt;
}

std::string TempFile(const Bytes8& content) {
  std::string path = std::filesystem::temp_directory_path().string() + "/sync-binlog-XXXXXX";
  int fd = mkstemp(path.data());
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, content.data(), content.size()) == ssize_t(content.size()));
  close(fd);
  return path;
}

}  // namespace

TEST_SUITE("binlog") {
  TEST_CASE("the binlog CRC32 is zlib's CRC-32 for every length and alignment") {
    Bytes8 data(70000);
    uint32_t x = 12345;
    for (auto& b : data) b = uint8_t((x = x * 1103515245 + 12345) >> 16);
    for (size_t offset : {0, 1, 3, 7}) {
      for (size_t len : {0, 1, 2, 15, 16, 63, 64, 65, 255, 1000, 4096, 65537}) {
        std::span<const uint8_t> s(data.data() + offset, len);
        const uint32_t expected = uint32_t(crc32(crc32(0L, Z_NULL, 0), s.data(), uInt(s.size())));
        CHECK_MESSAGE(BinlogCrc32(s) == expected, "offset ", offset, " length ", len);
      }
    }
  }

  TEST_CASE("a CRC32 mismatch is corruption naming the source and position") {
    BinlogDecoder d({.source_name = "binlog.000042"});
    MustDecode(d, Fde("8.0.40", true), 4);
    Bytes8 xid = Event(16, {1, 0, 0, 0, 0, 0, 0, 0}, true);
    CHECK(As<XidEvent>(MustDecode(d, xid, 200))->xid == 1);
    xid[19] = 2;
    auto r = d.Decode(xid, 200);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
    CHECK(r.status().message().find("binlog.000042: event at position 200 (XID): checksum mismatch") == 0);

    BinlogDecoder lenient({.verify_checksum = false});
    MustDecode(lenient, Fde("8.0.40", true), 4);
    CHECK(As<XidEvent>(MustDecode(lenient, xid, 200))->xid == 2);

    Bytes8 fde = Fde("8.0.40", true);
    fde[30] ^= 1;
    CHECK(BinlogDecoder().Decode(fde, 4).status().message().find("checksum mismatch") != std::string::npos);
  }

  TEST_CASE("truncated events give an error with their position") {
    BinlogDecoder d;
    MustDecode(d, Fde("8.0.40", false), 4);
    Bytes8 xid = Event(16, {1, 0, 0, 0, 0, 0, 0, 0}, false);
    auto short_header = d.Decode(Bytes8(xid.begin(), xid.begin() + 10), 300);
    CHECK(short_header.status().code() == StatusCode::kCorruption);
    CHECK(short_header.status().message().find("position 300") != std::string::npos);
    auto cut = d.Decode(Bytes8(xid.begin(), xid.end() - 3), 300);
    CHECK(cut.status().message().find("header says 27 bytes but the event has 24") != std::string::npos);
    // A body shorter than the event's fields claim.
    Bytes8 short_xid = Event(16, {1, 0, 0}, false);
    CHECK(d.Decode(short_xid, 300).status().message().find("XID is truncated") != std::string::npos);

    // A row value cut short names the row, the column and the byte.
    MustDecode(d, Event(19, TableMapBody({3}, {}), false), 400);
    Bytes8 rows = Event(30, WriteRowsV2(1, 0x01, {0x00, 0x01, 0x02}), false);
    auto bad = d.Decode(rows, 500);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == StatusCode::kCorruption);
    CHECK(bad.status().message().find("event at position 500 (WRITE_ROWS_V2)") != std::string::npos);
    CHECK(bad.status().message().find("row 1 column @1 (INT) at byte 532") != std::string::npos);
  }

  TEST_CASE("rows events report partial images (binlog_row_image != FULL)") {
    BinlogDecoder d;
    MustDecode(d, Fde("8.0.40", true), 4);
    MustDecode(d, Event(19, TableMapBody({3, 3, 3}, {}), true), 100);
    // Columns 1 and 3 present; null bitmap over the 2 present columns; @3 NULL.
    auto ev = MustDecode(d, Event(30, WriteRowsV2(3, 0b101, {0b10, 7, 0, 0, 0}), true), 200);
    const auto* rows = ev.get_if<RowsEvent>();
    REQUIRE(rows);
    CHECK_FALSE(rows->full_image);
    CHECK(rows->after_columns == std::vector<bool>{true, false, true});
    REQUIRE(rows->rows.size() == 1);
    CHECK(rows->rows[0].after[0] == Value(int64_t{7}));
    CHECK(rows->rows[0].after[2].is_null());
    std::ostringstream text;
    PrintEventText(ev, text);
    CHECK(text.str().find("###   @1=7\n###   @3=NULL\n") != std::string::npos);
    CHECK(text.str().find("@2=") == std::string::npos);

    auto full = MustDecode(d, Event(30, WriteRowsV2(3, 0b111, {0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0}), true), 300);
    CHECK(full.get_if<RowsEvent>()->full_image);

    // Rows of a table whose TABLE_MAP was never seen (a dump started mid-transaction).
    BinlogDecoder fresh;
    MustDecode(fresh, Fde("8.0.40", true), 4);
    CHECK(fresh.Decode(Event(30, WriteRowsV2(3, 0b111, {}), true), 300).status().code() == StatusCode::kNotFound);
  }

  TEST_CASE("unknown event types are skipped by their length") {
    BinlogDecoder d;
    MustDecode(d, Fde("5.7.12-log", true), 4);
    auto ev = MustDecode(d, Event(100, Bytes8(928, 0), true), 281);
    CHECK(std::holds_alternative<UnknownEvent>(ev.body));
    CHECK(std::string(EventTypeName(ev.header.type)) == "TYPE_100");
  }

  TEST_CASE("MariaDB GTID, GTID_LIST, BINLOG_CHECKPOINT, ANNOTATE_ROWS and compressed rows") {
    BinlogDecoder d;
    MustDecode(d, Fde("10.11.6-MariaDB-log", true), 4);
    CHECK(d.format().IsMariaDb());
    Bytes8 gtid;
    Put(gtid, 1234, 8), Put(gtid, 3, 4), gtid.push_back(0x02), Put(gtid, 99, 8);  // group commit id
    auto g = As<MariadbGtidEvent>(MustDecode(d, Event(162, gtid, true), 100));
    REQUIRE(g);
    CHECK(g->gtid.ToString() == "3-7-1234");
    CHECK(g->commit_id == 99u);
    CHECK_FALSE(g->standalone());

    Bytes8 list;
    Put(list, 2, 4), Put(list, 0, 4), Put(list, 1, 4), Put(list, 10, 8), Put(list, 1, 4), Put(list, 2, 4), Put(list, 5, 8);
    auto l = As<MariadbGtidListEvent>(MustDecode(d, Event(163, list, true), 150));
    REQUIRE(l);
    CHECK(l->gtids.size() == 2);
    CHECK(l->gtids[1].ToString() == "1-2-5");

    Bytes8 cp;
    Put(cp, 10, 4);
    for (char c : std::string("bin.000001")) cp.push_back(c);
    CHECK(As<BinlogCheckpointEvent>(MustDecode(d, Event(161, cp, true), 200))->file == "bin.000001");
    Bytes8 ann = {'I', 'N', 'S', 'E', 'R', 'T'};
    CHECK(As<RowsQueryEvent>(MustDecode(d, Event(160, ann, true), 250))->query == "INSERT");

    // XA: MariaDB marks an XA PREPARE in the GTID event.
    Bytes8 xa;
    Put(xa, 5, 8), Put(xa, 0, 4), xa.push_back(0x40), Put(xa, 1, 4), xa.push_back(2), xa.push_back(1);
    xa.insert(xa.end(), {'g', 't', 'b'});
    auto x = As<MariadbGtidEvent>(MustDecode(d, Event(162, xa, true), 260));
    REQUIRE(x->xid);
    CHECK(x->xid->gtrid == "gt");
    CHECK(x->xid->bqual == "b");

    // WRITE_ROWS_COMPRESSED_V1: the row data after the bitmaps is zlib-compressed.
    MustDecode(d, Event(19, TableMapBody({3}, {}), true), 300);
    Bytes8 plain = {0x00, 0x2A, 0, 0, 0, 0x00, 0x2B, 0, 0, 0};  // two rows: 42, 43
    uLongf clen = compressBound(plain.size());
    Bytes8 z(clen);
    REQUIRE(compress(z.data(), &clen, plain.data(), plain.size()) == Z_OK);
    Bytes8 body;
    Put(body, 42, 6), Put(body, 1, 2), body.push_back(1), body.push_back(0x01);
    body.push_back(0x81), body.push_back(uint8_t(plain.size()));
    body.insert(body.end(), z.begin(), z.begin() + clen);
    auto rows = As<RowsEvent>(MustDecode(d, Event(166, body, true), 400));
    REQUIRE(rows);
    CHECK(rows->compressed);
    CHECK(rows->version == 1);
    REQUIRE(rows->rows.size() == 2);
    CHECK(rows->rows[1].after[0] == Value(int64_t{43}));
  }

  TEST_CASE("MySQL GTID, XA_PREPARE and HEARTBEAT") {
    BinlogDecoder d;
    MustDecode(d, Fde("8.0.40", true), 4);
    Bytes8 gtid = {1};
    for (int i = 0; i < 16; ++i) gtid.push_back(uint8_t(i));
    Put(gtid, 77, 8), gtid.push_back(2), Put(gtid, 5, 8), Put(gtid, 6, 8);
    Put(gtid, (uint64_t(1) << 55) | 1000, 7), Put(gtid, 900, 7);  // immediate + original timestamps
    gtid.push_back(200);                                          // transaction length
    Put(gtid, 80040, 4);
    auto g = As<GtidEvent>(MustDecode(d, Event(33, gtid, true), 100));
    REQUIRE(g);
    CHECK(g->ToString() == "00010203-0405-0607-0809-0a0b0c0d0e0f:77");
    CHECK(g->last_committed == 5);
    CHECK(g->sequence_number == 6);
    CHECK(g->immediate_commit_micros == 1000u);
    CHECK(g->original_commit_micros == 900u);
    CHECK(g->transaction_length == 200u);
    CHECK(g->immediate_server_version == 80040u);

    Bytes8 xa = {0};
    Put(xa, 1, 4), Put(xa, 2, 4), Put(xa, 1, 4);
    xa.insert(xa.end(), {'g', '1', 'b'});
    auto x = As<XaPrepareEvent>(MustDecode(d, Event(38, xa, true), 200));
    REQUIRE(x);
    CHECK(x->xid.gtrid == "g1");
    CHECK_FALSE(x->one_phase);

    Bytes8 hb = {'b', 'i', 'n', '.', '1'};
    auto h = As<HeartbeatEvent>(MustDecode(d, Event(27, hb, true, 4096), 0));
    CHECK(h->log_file == "bin.1");
    CHECK(h->position == 4096);
  }

  TEST_CASE("the file reader checks the magic and frames events; truncation names file and position") {
    Bytes8 file = {0xFE, 'b', 'i', 'n'};
    Bytes8 fde = Fde("8.0.40", true);
    Bytes8 xid = Event(16, {9, 0, 0, 0, 0, 0, 0, 0}, true);
    file.insert(file.end(), fde.begin(), fde.end());
    file.insert(file.end(), xid.begin(), xid.end());
    std::string ok = TempFile(file);
    auto events = DecodeBinlogFile(ok);
    REQUIRE_MESSAGE(events.ok(), events.status().message());
    CHECK(events->size() == 2);
    CHECK((*events)[1].header.position == 4 + fde.size());

    std::ostringstream json;
    REQUIRE(DumpBinlogFile(ok, {.format = DumpFormat::kJson}, json).ok());
    CHECK(json.str().find(R"("type":"XID","xid":9)") != std::string::npos);

    Bytes8 cut(file.begin(), file.end() - 5);
    std::string truncated = TempFile(cut);
    auto r = DecodeBinlogFile(truncated);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
    CHECK(r.status().message().find(truncated + ": event at position " + std::to_string(4 + fde.size()) +
                                    " is truncated") == 0);

    file[0] = 0;
    std::string not_binlog = TempFile(file);
    CHECK(DecodeBinlogFile(not_binlog).status().message().find("not a binlog file") != std::string::npos);
    CHECK(DecodeBinlogFile("/nonexistent/binlog").status().code() == StatusCode::kNotFound);
    for (const auto& p : {ok, truncated, not_binlog}) std::filesystem::remove(p);
  }
}
