// Column value decoders over hand-built bytes: the cases real binlogs rarely
// carry (extreme decimals, negative fractional times, zero dates).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/byte_reader.hpp"
#include "source/mysql/binlog/json_binary.hpp"
#include "source/mysql/binlog/value_decoder.hpp"

using namespace dbsync;
using namespace dbsync::binlog;

namespace {

ColumnDef Col(ColumnType type, uint16_t meta = 0, std::optional<bool> is_unsigned = std::nullopt) {
  ColumnDef c;
  c.type = c.real_type = type;
  c.meta = meta;
  c.is_unsigned = is_unsigned;
  return c;
}

Value Decode(const ColumnDef& col, const std::vector<uint8_t>& bytes, size_t* consumed = nullptr) {
  ByteReader r(bytes);
  Value v;
  Status st = DecodeColumnValue(r, col, &v);
  REQUIRE_MESSAGE(st.ok(), st.message());
  if (consumed) *consumed = r.position();
  return v;
}

std::string DecimalText(const std::vector<uint8_t>& bytes, int precision, int scale) {
  auto r = DecodeDecimal(bytes, precision, scale);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

}  // namespace

TEST_SUITE("binlog") {
  TEST_CASE("DECIMAL binary format decodes every precision, sign and scale") {
    // The two examples in MySQL's strings/decimal.cc (decimal2bin comment).
    CHECK(DecimalText({0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2}, 14, 4) == "1234567890.1234");
    CHECK(DecimalText({0x7E, 0xF2, 0x04, 0xC7, 0x2D, 0xFB, 0x2D}, 14, 4) == "-1234567890.1234");
    SUBCASE("zero keeps its scale and has no sign") {
      CHECK(DecimalText({0x80, 0x00, 0x00, 0x00, 0x00}, 10, 4) == "0.0000");
      CHECK(DecimalText({0x80}, 1, 0) == "0");
    }
    SUBCASE("fraction only") {
      // DECIMAL(1,1): no integer bytes, the sign bit sits in the fraction byte.
      CHECK(DecimalText({uint8_t(~(0x80 | 5))}, 1, 1) == "-0.5");
      CHECK(DecimalText({0x80 | 5}, 1, 1) == "0.5");
      // DECIMAL(2,1) -0.5: one integer byte (0) and one fraction byte, all inverted.
      CHECK(DecimalText({0x7F, 0xFA}, 2, 1) == "-0.5");
    }
    SUBCASE("leading zeros of the fraction are kept") {
      // DECIMAL(10,4) 3.0050: int 3 in 3 bytes, frac 0050 in 2 bytes.
      CHECK(DecimalText({0x80, 0x00, 0x03, 0x00, 0x32}, 10, 4) == "3.0050");
    }
    SUBCASE("maximum precision 65 with 30 decimals") {
      // 35 integer digits: 8 in 4 bytes then 3 groups; 30 decimals: 3 groups then 3 digits.
      std::vector<uint8_t> b;
      auto group = [&](uint32_t v, int n) {
        for (int i = n - 1; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
      };
      group(99999999, 4);
      for (int i = 0; i < 3; ++i) group(999999999, 4);
      for (int i = 0; i < 3; ++i) group(999999999, 4);
      group(999, 2);
      b[0] |= 0x80;
      CHECK(b.size() == DecimalBinarySize(65, 30));
      CHECK(DecimalText(b, 65, 30) == std::string(35, '9') + "." + std::string(30, '9'));
      for (auto& x : b) x = ~x;
      CHECK(DecimalText(b, 65, 30) == "-" + std::string(35, '9') + "." + std::string(30, '9'));
    }
    SUBCASE("invalid digits and declarations are corruption") {
      const std::vector<uint8_t> fifteen = {0x80 | 0x0F}, zero = {0x80};
      CHECK(DecodeDecimal(fifteen, 1, 0).status().code() == StatusCode::kCorruption);  // 15 > 9
      CHECK(DecodeDecimal(zero, 1, 2).status().code() == StatusCode::kCorruption);
      CHECK(DecodeDecimal(zero, 10, 4).status().code() == StatusCode::kCorruption);  // truncated
    }
  }

  TEST_CASE("DECIMAL decoding round-trips random values of every precision and scale") {
    // decimal2bin from its description in strings/decimal.cc, digit by digit,
    // independent of the decoder's arithmetic.
    constexpr int kBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
    auto encode = [&](bool negative, const std::string& int_digits, const std::string& frac_digits) {
      std::vector<uint8_t> b;
      auto put = [&](const std::string& digits) {
        const uint32_t v = digits.empty() ? 0 : uint32_t(std::stoul(digits));
        for (int i = kBytes[digits.size()] - 1; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
      };
      const size_t lead = int_digits.size() % 9;
      put(int_digits.substr(0, lead));
      for (size_t i = lead; i < int_digits.size(); i += 9) put(int_digits.substr(i, 9));
      for (size_t i = 0; i + 9 <= frac_digits.size(); i += 9) put(frac_digits.substr(i, 9));
      put(frac_digits.substr(frac_digits.size() - frac_digits.size() % 9));
      b[0] ^= 0x80;
      if (negative)
        for (auto& x : b) x = uint8_t(~x);
      return b;
    };
    uint64_t seed = 88172645463325252ull;
    auto next = [&] {
      seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
      return seed;
    };
    for (int round = 0; round < 20000; ++round) {
      const int precision = 1 + int(next() % 65);
      const int scale = int(next() % (std::min(precision, 30) + 1));
      std::string int_digits, frac_digits;
      const int zeros = int(next() % (precision + 1));  // how many leading integer zeros
      for (int i = 0; i < precision - scale; ++i) int_digits += i < zeros ? '0' : char('0' + next() % 10);
      for (int i = 0; i < scale; ++i) frac_digits += next() % 3 ? char('0' + next() % 10) : '0';
      const bool negative = next() % 2;
      std::string expected = int_digits.substr(std::min(int_digits.find_first_not_of('0'), int_digits.size()));
      if (expected.empty()) expected = "0";
      const bool zero = expected == "0" && frac_digits.find_first_not_of('0') == std::string::npos;
      if (scale > 0) expected += "." + frac_digits;
      if (negative && !zero) expected = "-" + expected;
      auto bytes = encode(negative, int_digits, frac_digits);
      REQUIRE(bytes.size() == DecimalBinarySize(precision, scale));
      INFO("DECIMAL(", precision, ",", scale, ") ", expected);
      REQUIRE(DecimalText(bytes, precision, scale) == expected);
    }
  }

  TEST_CASE("integers follow TABLE_MAP signedness") {
    CHECK(Decode(Col(ColumnType::kTiny), {0xFF}) == Value(int64_t{-1}));
    CHECK(Decode(Col(ColumnType::kTiny, 0, true), {0xFF}) == Value(uint64_t{255}));
    CHECK(Decode(Col(ColumnType::kShort), {0x00, 0x80}) == Value(int64_t{-32768}));
    CHECK(Decode(Col(ColumnType::kInt24), {0x00, 0x00, 0x80}) == Value(int64_t{-8388608}));
    CHECK(Decode(Col(ColumnType::kInt24, 0, true), {0xFF, 0xFF, 0xFF}) == Value(uint64_t{16777215}));
    CHECK(Decode(Col(ColumnType::kLong), {0xFF, 0xFF, 0xFF, 0x7F}) == Value(int64_t{2147483647}));
    std::vector<uint8_t> all_ones(8, 0xFF);
    CHECK(Decode(Col(ColumnType::kLongLong), all_ones) == Value(int64_t{-1}));
    CHECK(Decode(Col(ColumnType::kLongLong, 0, true), all_ones) == Value(UINT64_MAX));
    CHECK(Decode(Col(ColumnType::kLongLong, 0, true), all_ones).ToString() == "18446744073709551615");
  }

  TEST_CASE("TIME2 with fractional seconds, negative values included") {
    // Disk values from the table in MySQL's my_time_packed_from_binary.
    struct Case {
      std::vector<uint8_t> bytes;
      uint8_t fsp;
      std::string text;
    } cases[] = {
        {{0x80, 0x00, 0x00, 0x00}, 2, "'00:00:00.00'"},
        {{0x7F, 0xFF, 0xFF, 0xFF}, 2, "'-00:00:00.01'"},
        {{0x7F, 0xFF, 0xFF, 0x9D}, 2, "'-00:00:00.99'"},
        {{0x7F, 0xFF, 0xFF, 0x00}, 2, "'-00:00:01.00'"},
        {{0x7F, 0xFF, 0xFE, 0xFF}, 2, "'-00:00:01.01'"},
        {{0x7F, 0xFF, 0xFE, 0xF6}, 2, "'-00:00:01.10'"},
        // 838:59:59 fsp 0: hms = 838<<12 | 59<<6 | 59
        {{0x80 | 0x34, 0x6E, 0xFB}, 0, "'838:59:59'"},
        // 01:02:03.456 fsp 3: the fraction in units of 100 microseconds, two bytes
        {{0x80, 0x10, 0x83, 0x11, 0xD0}, 3, "'01:02:03.456'"},
        // -00:00:01.500000 fsp 6: 48-bit packed value plus 0x800000000000
        {{0x7F, 0xFF, 0xFE, 0xF8, 0x5E, 0xE0}, 6, "'-00:00:01.500000'"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.text);
      CHECK(Decode(Col(ColumnType::kTime2, c.fsp), c.bytes).ToString() == c.text);
    }
  }

  TEST_CASE("DATETIME2, TIMESTAMP2 and DATE keep fsp and zero dates") {
    // 2001-01-01 00:00:00.999999: ym = 2001*13+1, ymd = ym<<5 | 1, intpart = ymd<<17.
    const uint64_t ymd = ((2001ull * 13 + 1) << 5) | 1;
    const uint64_t packed = (ymd << 17) + 0x8000000000ull;
    std::vector<uint8_t> b;
    for (int i = 4; i >= 0; --i) b.push_back(uint8_t(packed >> (8 * i)));
    b.insert(b.end(), {0x0F, 0x42, 0x3F});  // 999999
    auto dt = Decode(Col(ColumnType::kDateTime2, 6), b);
    CHECK(dt.ToString() == "'2001-01-01 00:00:00.999999'");
    CHECK(dt.as<DateTime>() == DateTime{2001, 1, 1, 0, 0, 0, 999999, 6});

    // The zero datetime and the zero date stay representable.
    CHECK(Decode(Col(ColumnType::kDateTime2, 0), {0x80, 0, 0, 0, 0}).ToString() == "'0000-00-00 00:00:00'");
    CHECK(Decode(Col(ColumnType::kDate), {0, 0, 0}).as<Date>() == Date{0, 0, 0});
    CHECK(Decode(Col(ColumnType::kDate), {0, 0, 0}).ToString() == "'0000-00-00'");
    // 2020-00-00: a partial zero date.
    CHECK(Decode(Col(ColumnType::kDate), {0x00, 0xC8, 0x0F}).ToString() == "'2020-00-00'");

    // TIMESTAMP2(3): seconds big-endian, then milliseconds in two bytes (x100 = micros).
    auto ts = Decode(Col(ColumnType::kTimestamp2, 3), {0x51, 0xC8, 0x8C, 0x5B, 0x00, 0x7B});
    CHECK(ts.as<Timestamp>() == Timestamp{1372097627, 12300, 3});
    CHECK(ts.ToString() == "1372097627.012");
    CHECK(ts.ToJson() == "2013-06-24T18:13:47.012Z");
    CHECK(Decode(Col(ColumnType::kTimestamp2, 0), {0, 0, 0, 0}).as<Timestamp>().epoch_seconds == 0);

    // Pre-5.6 DATETIME (YYYYMMDDhhmmss as an integer) and YEAR.
    const uint64_t old = 20060215043433ull;
    std::vector<uint8_t> ob;
    for (int i = 0; i < 8; ++i) ob.push_back(uint8_t(old >> (8 * i)));
    CHECK(Decode(Col(ColumnType::kDateTime), ob).ToString() == "'2006-02-15 04:34:33'");
    CHECK(Decode(Col(ColumnType::kYear), {106}).ToString() == "2006");
    CHECK(Decode(Col(ColumnType::kYear), {0}).as<Year>().value == 0);
  }

  TEST_CASE("strings, BIT, ENUM, SET, GEOMETRY and JSON") {
    ColumnDef varchar = Col(ColumnType::kVarchar, 300);  // > 255: two length bytes
    varchar.collation = 255;
    auto v = Decode(varchar, {3, 0, 'a', 'b', 'c'});
    CHECK(v.as<Bytes>() == Bytes{"abc", 255});
    CHECK(Decode(Col(ColumnType::kVarchar, 40), {0}).as<Bytes>().data.empty());  // empty string, not NULL

    // CHAR(255) utf8mb4 = 1020 bytes: the length's high bits live in the real-type byte.
    ColumnDef chr = Col(ColumnType::kString, (0xCE << 8) | 0xFC);
    chr.real_type = ColumnType::kString;
    CHECK(Decode(chr, {2, 0, 'h', 'i'}).as<Bytes>().data == "hi");

    CHECK(Decode(Col(ColumnType::kBit, (1 << 8) | 3), {0x00, 0x04}).as<Bit>() == Bit{4, 11});
    CHECK(Decode(Col(ColumnType::kBit, 3), {0x04}).ToString() == "b'100'");

    ColumnDef en = Col(ColumnType::kEnum, 1);
    en.enum_values = {"var1", "variant2"};
    CHECK(Decode(en, {2}).as<Enum>() == Enum{2, "variant2"});
    ColumnDef set = Col(ColumnType::kSet, 1);
    set.set_values = {"one", "two", "three", "four"};
    auto s = Decode(set, {0x05});
    CHECK(s.as<Set>().labels == std::vector<std::string>{"one", "three"});
    CHECK(s.ToString() == "b'00000101'");

    ColumnDef blob = Col(ColumnType::kBlob, 2);
    blob.collation = kBinaryCollation;
    CHECK(Decode(blob, {2, 0, 0x00, 0xFF}).ToJson() == "0x00ff");

    auto g = Decode(Col(ColumnType::kGeometry, 4), {9, 0, 0, 0, 0xE6, 0x10, 0, 0, 1, 1, 0, 0, 0});
    CHECK(g.as<Geometry>().srid == 4326);
    CHECK(g.as<Geometry>().wkb == std::string("\x01\x01\x00\x00\x00", 5));

    // Binary JSON {"a": [1, true, null], "b": "x"} written by hand (small object).
    std::vector<uint8_t> doc = {
        0x00,                    // small object
        0x02, 0x00, 0x23, 0x00,  // 2 members, 35 bytes
        0x12, 0x00, 0x01, 0x00,  // key "a" at 18
        0x13, 0x00, 0x01, 0x00,  // key "b" at 19
        0x02, 0x14, 0x00,        // value: small array at 20
        0x0C, 0x21, 0x00,        // value: string at 33
        'a', 'b',
        0x03, 0x00, 0x0D, 0x00,  // array: 3 elements, 13 bytes
        0x05, 0x01, 0x00,        // int16 1 (inline)
        0x04, 0x01, 0x00,        // true
        0x04, 0x00, 0x00,        // null
        0x01, 'x'};
    auto text = JsonBinaryToText(doc);
    REQUIRE(text.ok());
    CHECK(*text == R"({"a": [1, true, null], "b": "x"})");
    doc[3] = 0x40;  // container larger than the document
    CHECK(JsonBinaryToText(doc).status().code() == StatusCode::kCorruption);
    CHECK(*JsonBinaryToText(std::span<const uint8_t>()) == "null");
  }

  TEST_CASE("values cut short by the end of the event are corruption") {
    // ByteReader views its bytes: each buffer must outlive its reader.
    const std::vector<uint8_t> short_varchar{5, 'a'}, short_decimal{0x80, 0x00}, one_byte{0};
    ByteReader r(short_varchar);
    Value v;
    Status st = DecodeColumnValue(r, Col(ColumnType::kVarchar, 10), &v);
    CHECK(st.code() == StatusCode::kCorruption);
    ByteReader r2(short_decimal);
    CHECK(DecodeColumnValue(r2, Col(ColumnType::kNewDecimal, (10 << 8) | 4), &v).code() == StatusCode::kCorruption);
    ByteReader r3(one_byte);
    CHECK(DecodeColumnValue(r3, Col(ColumnType::kTypedArray), &v).code() == StatusCode::kFailedPrecondition);
  }
}
