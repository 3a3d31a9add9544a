// MaxCompute type mapping, the project time zone and the Tunnel record stream
// (specs/maxcompute.md 3.6, 4.2, 5): no server. The record blocks must match
// tests/emulators/maxcompute/fixtures/vectors.txt (made with pyodps) byte for
// byte, and the emulator's decoder must read what the encoder writes.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <unistd.h>

#include "core/value_text.hpp"
#include "harness/sink_fixtures.hpp"
#include "sink/maxcompute/mc_bucket_hash.hpp"
#include "sink/maxcompute/mc_record_encoder.hpp"
#include "sink/maxcompute/mc_time_zone.hpp"
#include "sink/maxcompute/mc_types.hpp"

using namespace dbsync;
using namespace dbsync::maxcompute;
using dbsync::testing::Col;
using dbsync::testing::Utf8;

namespace {

const std::string kEmulatorDir = SYNC_SOURCE_DIR "/tests/emulators/maxcompute";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "08 02 80" as the fixture file writes bytes.
std::string SpacedHex(std::string_view bytes) {
  std::string hex;
  for (unsigned char c : bytes) {
    if (!hex.empty()) hex.push_back(' ');
    AppendHex(std::string_view(reinterpret_cast<const char*>(&c), 1), &hex);
  }
  return hex;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The text after the first ": " of `line` when it starts with `prefix`.
bool FieldOf(std::string_view line, std::string_view prefix, std::string* value) {
  if (!line.starts_with(prefix)) return false;
  const size_t colon = line.find(": ");
  *value = std::string(Trim(line.substr(colon + 2)));
  return true;
}

struct RecordVector {
  std::string title;
  std::string schema;  // "id bigint, name string"
  std::string raw_hex;
  std::string zlib_hex;  // empty when the file gives none
};

struct HashVector {
  std::string line;
  bool is_string = false;
  std::string key;  // the bigint's digits or the string's text
  int32_t column_hash = 0, record_hash = 0;
  int buckets = 0, bucket = 0;
};

void ParseHashLine(const std::string& line, std::vector<HashVector>* out) {
  HashVector h;
  h.line = line;
  h.is_string = line.starts_with("string");
  const size_t key_at = line.find("key ") + 4, colon = line.find(": column hash=");
  h.key = line.substr(key_at, colon - key_at);
  if (h.is_string) h.key = h.key.substr(1, h.key.size() - 2);  // 'abc'
  REQUIRE(std::sscanf(line.c_str() + colon, ": column hash=%d, record hash=%d, bucket(mod %d)=%d", &h.column_hash,
                      &h.record_hash, &h.buckets, &h.bucket) == 4);
  out->push_back(h);
}

void LoadVectors(std::vector<RecordVector>* records, std::vector<HashVector>* hashes) {
  std::istringstream in(ReadText(kEmulatorDir + "/fixtures/vectors.txt"));
  std::string line, value;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) {
      records->push_back({std::string(Trim(line.substr(3))), "", "", ""});
    } else if (line.starts_with("bigint key") || line.starts_with("string key")) {
      ParseHashLine(line, hashes);
    } else if (records->empty()) {
      continue;
    } else if (FieldOf(line, "schema:", &value)) {
      records->back().schema = value;
    } else if (FieldOf(line, "bytes (", &value)) {
      records->back().raw_hex = value;
    } else if (FieldOf(line, "deflate(zlib)", &value)) {
      records->back().zlib_hex = value;
    }
  }
  // Sections without a block (the hash vectors' heading) carry no bytes.
  std::erase_if(*records, [](const RecordVector& v) { return v.raw_hex.empty(); });
}

// "id bigint, x decimal(10,2)" -> columns; commas inside () and <> do not split.
std::vector<McColumn> ColumnsOfSchema(const std::string& schema) {
  std::vector<std::string> parts(1);
  int depth = 0;
  for (char c : schema) {
    depth += (c == '(' || c == '<') - (c == ')' || c == '>');
    if (c == ',' && depth == 0)
      parts.emplace_back();
    else
      parts.back().push_back(c);
  }
  std::vector<McColumn> columns;
  for (const auto& part : parts) {
    std::string_view p = Trim(part);
    const size_t space = p.find(' ');
    auto c = ColumnOfType(std::string(p.substr(0, space)), Trim(p.substr(space + 1)));
    REQUIRE_MESSAGE(c.ok(), c.status().message());
    c->source_index = int(columns.size());
    columns.push_back(std::move(c).value());
  }
  return columns;
}

int64_t EpochSeconds(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

using BlockWriter = std::function<void(RowEncoder&, const std::vector<McColumn>&, RecordStreamWriter&)>;

// What each vector of vectors.txt encodes, by its title: source rows, or for
// the values no Value can carry (nanoseconds, arrays, upsert records), the
// calls that write them.
struct VectorInput {
  std::string title;
  std::vector<std::vector<Value>> rows;
  BlockWriter write;
};

std::vector<VectorInput> VectorInputs() {
  auto big = [](int64_t v) { return Value(v); };
  return {
      {"one BIGINT column, value 1", {{big(1)}}, nullptr},
      {"one BIGINT column, value -1", {{big(-1)}}, nullptr},
      {"BIGINT NULL (field omitted)", {{Value::Null()}}, nullptr},
      {"two rows bigint,string", {{big(1), Utf8("abc")}, {big(2), Value::Null()}}, nullptr},
      {"empty block (zero records)", {}, nullptr},
      {"DOUBLE 1.5", {{Value(1.5)}}, nullptr},
      {"FLOAT 1.5", {{Value(1.5f)}}, nullptr},
      {"BOOLEAN true,false", {{Value(Bit{1, 1}), Value(Bit{0, 1})}}, nullptr},
      {"DATETIME 2024-01-02 03:04:05.678 UTC", {{Value(DateTime{2024, 1, 2, 3, 4, 5, 678000, 3})}}, nullptr},
      {"DATE 2024-01-02", {{Value(Date{2024, 1, 2})}}, nullptr},
      {"DECIMAL(10,2) 123.45", {{Value(Decimal{"123.45"})}}, nullptr},
      {"TINYINT/SMALLINT/INT -5,300,70000", {{big(-5), big(300), big(70000)}}, nullptr},
      {"CHAR(5)/VARCHAR(10)", {{Utf8("ab"), Utf8("xyz")}}, nullptr},
      {"BINARY 00 ff", {{Value(Bytes{std::string("\0\xff", 2), kBinaryCollation})}}, nullptr},
      {"STRING utf-8 'é'", {{Utf8("\xc3\xa9")}}, nullptr},
      {"TIMESTAMP 2024-01-02 03:04:05.123456789 UTC", {},
       [](RowEncoder&, const std::vector<McColumn>&, RecordStreamWriter& block) {
         block.AddTimestamp(1, EpochSeconds(2024, 1, 2, 3, 4, 5), 123456789);
         block.EndRecord();
       }},
      {"JSON {\"k\":1}", {{Value(Json{"{\"k\": 1}"})}}, nullptr},
      {"ARRAY<BIGINT> [1,NULL]", {},
       [](RowEncoder&, const std::vector<McColumn>&, RecordStreamWriter& block) {
         const std::array<std::optional<int64_t>, 2> elements = {1, std::nullopt};
         block.AddBigintArray(1, elements);
         block.EndRecord();
       }},
      {"UPSERT session block: row1 UPSERT(id=1,val='a'), row2 DELETE(id=1)", {},
       [](RowEncoder& encoder, const std::vector<McColumn>& schema, RecordStreamWriter& block) {
         // The schema line lists the five hidden columns AppendUpsert adds.
         REQUIRE(schema.size() == 7);
         CHECK(schema[4].name == "__operation");
         CHECK(schema[6].name == "__value_cols");
         const std::vector<McColumn> table(schema.begin(), schema.begin() + 2);
         const std::vector<Value> upserted = {Value(int64_t(1)), Utf8("a")};
         const std::vector<Value> deleted = {Value(int64_t(1)), Value::Null()};
         REQUIRE(encoder.AppendUpsert(upserted, table, UpsertOperation::kUpsert, &block).ok());
         REQUIRE(encoder.AppendUpsert(deleted, table, UpsertOperation::kDelete, &block).ok());
       }},
  };
}

std::string EncodeBlock(RowEncoder& encoder, const std::vector<std::vector<Value>>& rows,
                        const std::vector<McColumn>& columns) {
  std::string body;
  RecordStreamWriter block(&body);
  for (const auto& row : rows) {
    Status s = encoder.AppendRow(row, columns, &block);
    REQUIRE_MESSAGE(s.ok(), s.message());
  }
  block.Finish();
  return body;
}

// The field bytes of a one-column block holding `row`, for comparing values.
std::string EncodedRow(const std::vector<Value>& row, const std::vector<McColumn>& columns,
                       const TimeZone& zone = TimeZone()) {
  RowEncoder encoder(zone);
  return EncodeBlock(encoder, {row}, columns);
}

std::string BlockOf(const std::function<void(RecordStreamWriter&)>& fields) {
  std::string body;
  RecordStreamWriter block(&body);
  fields(block);
  block.EndRecord();
  block.Finish();
  return body;
}

// A block of one record whose field 1 holds `bytes` / `n`.
std::string BytesBlock(std::string_view bytes) {
  return BlockOf([&](RecordStreamWriter& b) { b.AddBytes(1, bytes); });
}
std::string IntegerBlock(int64_t n) {
  return BlockOf([&](RecordStreamWriter& b) { b.AddInteger(1, n); });
}

McColumn Mapped(const ColumnSchema& c, bool key = false) {
  auto mapped = MapColumn(c, key);
  REQUIRE_MESSAGE(mapped.ok(), mapped.status().message());
  return mapped.value();
}

ColumnSchema DecimalColumn(int precision, int scale) {
  ColumnSchema c = Col("d", "decimal", "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")");
  c.precision = precision;
  c.scale = scale;
  return c;
}

// Runs `python3 -c script args` and returns what it printed; "" when it failed.
std::string RunPython(const std::string& script, const std::string& args) {
  std::string quoted = "'";
  for (char c : script) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  FILE* pipe = popen(("python3 -c " + quoted + " " + args).c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  return pclose(pipe) == 0 ? out : "";
}

// A file in the temp directory, removed when it goes out of scope.
struct TempFile {
  std::string path;
  TempFile(const std::string& name, const std::string& content)
      : path((std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid()))).string()) {
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace

TEST_SUITE("maxcompute_types") {
  TEST_CASE("MaxCompute record blocks reproduce every vector of vectors.txt, raw and deflated") {
    std::vector<RecordVector> vectors;
    std::vector<HashVector> hashes;
    LoadVectors(&vectors, &hashes);
    CHECK(vectors.size() == 19);
    const std::vector<VectorInput> inputs = VectorInputs();
    size_t deflated = 0;
    for (const auto& v : vectors) {
      CAPTURE(v.title);
      auto input = std::find_if(inputs.begin(), inputs.end(), [&](const VectorInput& i) { return i.title == v.title; });
      REQUIRE_MESSAGE(input != inputs.end(), "no input for the vector '" << v.title << "': add it to VectorInputs()");
      const std::vector<McColumn> columns = ColumnsOfSchema(v.schema);
      RowEncoder encoder{TimeZone()};  // the vectors were made with TZ=UTC
      std::string body;
      if (input->write) {
        RecordStreamWriter block(&body);
        input->write(encoder, columns, block);
        block.Finish();
      } else {
        body = EncodeBlock(encoder, input->rows, columns);
      }
      CHECK(SpacedHex(body) == v.raw_hex);
      if (v.zlib_hex.empty()) continue;
      std::string compressed;
      REQUIRE(AppendDeflated(body, &compressed).ok());
      CHECK(SpacedHex(compressed) == v.zlib_hex);
      ++deflated;
    }
    CHECK(deflated == 18);
    CHECK(inputs.size() == vectors.size());  // no input left without its vector
  }

  TEST_CASE("MaxCompute upsert buckets reproduce the hash vectors of vectors.txt") {
    std::vector<RecordVector> vectors;
    std::vector<HashVector> hashes;
    LoadVectors(&vectors, &hashes);
    REQUIRE(hashes.size() == 6);
    for (const auto& h : hashes) {
      CAPTURE(h.line);
      const int32_t column = h.is_string ? HashBytes(h.key) : HashInteger(std::stoll(h.key));
      CHECK(column == h.column_hash);
      const int32_t record = RecordHash(std::span(&column, 1));
      CHECK(record == h.record_hash);
      CHECK(BucketOf(record, h.buckets) == h.bucket);
    }
    // Non-ASCII text hashes its bytes as signed, as Java does (spec 4.2).
    const int32_t e_acute = HashBytes("\xc3\xa9");
    CHECK(RecordHash(std::span(&e_acute, 1)) == 173607432);
  }

  TEST_CASE("MaxCompute CRC-32C is the Castagnoli CRC with its check value") {
    CHECK(Crc32c("123456789") == 0xE3069283u);
    CHECK(Crc32c("56789", Crc32c("1234")) == 0xE3069283u);
    CHECK(Crc32c("") == 0u);
  }

  TEST_CASE("MaxCompute mapping widens unsigned integers and keeps decimals exact") {
    struct Case {
      const char* data_type;
      const char* column_type;
      const char* expected;
    } cases[] = {
        {"tinyint", "tinyint(4)", "TINYINT"},          {"tinyint", "tinyint(1)", "TINYINT"},
        {"tinyint", "tinyint(3) unsigned", "SMALLINT"}, {"smallint", "smallint(6)", "SMALLINT"},
        {"smallint", "smallint(5) unsigned", "INT"},   {"mediumint", "mediumint(8) unsigned", "INT"},
        {"int", "int(11)", "INT"},                     {"int", "int(10) unsigned", "BIGINT"},
        {"bigint", "bigint(20)", "BIGINT"},            {"bigint", "bigint(20) unsigned", "DECIMAL(20,0)"},
        {"float", "float", "FLOAT"},                   {"double", "double", "DOUBLE"},
        {"date", "date", "DATE"},                      {"datetime", "datetime(6)", "DATETIME"},
        {"timestamp", "timestamp(3)", "TIMESTAMP"},    {"time", "time", "STRING"},
        {"year", "year(4)", "INT"},                    {"varchar", "varchar(10)", "STRING"},
        {"longtext", "longtext", "STRING"},            {"json", "json", "STRING"},
        {"enum", "enum('a','b')", "STRING"},           {"set", "set('a','b')", "STRING"},
        {"varbinary", "varbinary(16)", "BINARY"},      {"longblob", "longblob", "BINARY"},
        {"point", "point", "BINARY"},                  {"geometry", "geometry", "BINARY"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.column_type);
      CHECK(Mapped(Col("c", c.data_type, c.column_type)).type == c.expected);
    }
    ColumnSchema bit = Col("b", "bit", "bit(1)");
    bit.precision = 1;
    CHECK(Mapped(bit).type == "BOOLEAN");
    bit.precision = 5;
    CHECK(Mapped(bit).type == "BIGINT");
    bit.precision = 64;
    CHECK(Mapped(bit).type == "DECIMAL(20,0)");
    ColumnSchema binary_char = Col("c", "char", "char(4)");
    binary_char.collation = kBinaryCollation;
    CHECK(Mapped(binary_char).type == "BINARY");

    CHECK(Mapped(DecimalColumn(12, 3)).type == "DECIMAL(12,3)");
    CHECK(Mapped(DecimalColumn(38, 18)).type == "DECIMAL(38,18)");
    CHECK(Mapped(DecimalColumn(20, 19)).type == "STRING");  // scale beyond 18
    const McColumn wide = Mapped(DecimalColumn(65, 30));
    CHECK(wide.type == "STRING");
    const std::string digits = "12345678901234567890123456789012345.123456789012345678901234567890";
    CHECK(EncodedRow({Value(Decimal{digits})}, {wide}) == BytesBlock(digits));

    const McColumn unsigned_big = Mapped(Col("u", "bigint", "bigint(20) unsigned"));
    CHECK(EncodedRow({Value(uint64_t(18446744073709551615ULL))}, {unsigned_big}) ==
          BytesBlock("18446744073709551615"));
    const McColumn widened = Mapped(Col("u", "int", "int(10) unsigned"));
    CHECK(EncodedRow({Value(uint64_t(4294967295ULL))}, {widened}) == IntegerBlock(4294967295LL));
  }

  TEST_CASE("MaxCompute values: text in UTF-8, TIME, ENUM, SET, JSON, BIT, YEAR, spatial") {
    const McColumn text = Mapped(Col("t", "varchar", "varchar(10)"));
    const std::string emoji = "caf\xc3\xa9 \xf0\x9f\x98\x80";  // café 😀, utf8mb4
    CHECK(EncodedRow({Utf8(emoji)}, {text}) == BytesBlock(emoji));
    ColumnSchema latin1 = Col("t", "varchar", "varchar(10)");
    latin1.charset = "latin1";
    CHECK(EncodedRow({Value(Bytes{"caf\xe9", 8})}, {Mapped(latin1)}) == BytesBlock("caf\xc3\xa9"));
    RowEncoder encoder{TimeZone()};
    std::string body;
    RecordStreamWriter block(&body);
    Status bad_utf8 = encoder.AppendRow({Utf8("\xff")}, {text}, &block);
    CHECK_FALSE(bad_utf8.ok());
    CHECK(bad_utf8.message().find("column t") != std::string::npos);

    const McColumn time = Mapped(Col("t", "time", "time(6)"));
    CHECK(EncodedRow({Value(Time{true, 838, 59, 59, 0, 0})}, {time}) == BytesBlock("-838:59:59"));
    CHECK(EncodedRow({Value(Time{false, 1, 2, 3, 500, 6})}, {time}) == BytesBlock("01:02:03.000500"));
    const McColumn set = Mapped(Col("s", "set", "set('a','b','c')"));
    CHECK(EncodedRow({Value(Set{5, {"a", "c"}, true})}, {set}) == BytesBlock("a,c"));
    const McColumn enumeration = Mapped(Col("e", "enum", "enum('x','y')"));
    CHECK(EncodedRow({Value(Enum{2, "y"})}, {enumeration}) == BytesBlock("y"));
    const McColumn json = Mapped(Col("j", "json", "json"));
    CHECK(EncodedRow({Value(Json{"{\"a\": [1, null]}"})}, {json}) == BytesBlock("{\"a\": [1, null]}"));
    ColumnSchema bit5 = Col("b", "bit", "bit(5)");
    bit5.precision = 5;
    CHECK(EncodedRow({Value(Bit{5, 5})}, {Mapped(bit5)}) == IntegerBlock(5));
    CHECK(EncodedRow({Value(Year{2024})}, {Mapped(Col("y", "year", "year(4)"))}) == IntegerBlock(2024));
    const McColumn point = Mapped(Col("p", "point", "point"));
    CHECK(EncodedRow({Value(Geometry{4326, std::string("\x01\x01\0\0\0", 5)})}, {point}) ==
          BytesBlock(std::string("\xe6\x10\0\0\x01\x01\0\0\0", 9)));
    const McColumn ts = Mapped(Col("ts", "timestamp", "timestamp(6)"));
    CHECK(EncodedRow({Value(Timestamp{1704164645, 123456, 6})}, {ts}) ==
          BlockOf([](RecordStreamWriter& b) { b.AddTimestamp(1, 1704164645, 123456000); }));
  }

  TEST_CASE("MaxCompute zero dates are NULL, and refused in a key") {
    std::vector<McColumn> columns = {Mapped(Col("d", "date", "date")), Mapped(Col("t", "datetime", "datetime")),
                                     Mapped(Col("s", "timestamp", "timestamp"))};
    columns[1].source_index = 1;
    columns[2].source_index = 2;
    const std::string all_null = BlockOf([](RecordStreamWriter&) {});
    CHECK(EncodedRow({Value(Date{0, 0, 0}), Value(DateTime{}), Value(Timestamp{})}, columns) == all_null);
    CHECK(EncodedRow({Value(Date{2020, 0, 15}), Value(DateTime{2020, 2, 0, 1, 2, 3, 0, 0}), Value::Null()}, columns) ==
          all_null);

    const McColumn key_date = Mapped(Col("d", "date", "date", false), true);
    CHECK(key_date.key);
    RowEncoder encoder{TimeZone()};
    std::string body;
    RecordStreamWriter block(&body);
    REQUIRE(encoder.AppendRow({Value(Date{2024, 1, 2})}, {key_date}, &block).ok());
    const std::string after_one = body;
    Status zero = encoder.AppendRow({Value(Date{0, 0, 0})}, {key_date}, &block);
    REQUIRE_FALSE(zero.ok());
    CHECK(zero.message().find("column d is part of the key") != std::string::npos);
    CHECK(zero.message().find("tables[].primary_key") != std::string::npos);
    CHECK(body == after_one);  // the failed row left nothing behind
    CHECK(block.record_count() == 1);
    CHECK_FALSE(encoder.AppendRow({Value::Null()}, {key_date}, &block).ok());
  }

  TEST_CASE("MaxCompute refuses what it cannot hold, naming the column and the fix") {
    auto refused = [](const ColumnSchema& c, bool key = false) {
      auto r = MapColumn(c, key);
      REQUIRE_FALSE(r.ok());
      return r.status().message();
    };
    CHECK(refused(Col("addr", "inet6", "inet6")) ==
          "column addr has the type inet6, which sync cannot map to MaxCompute; exclude the table with source.exclude");
    CHECK(refused(Col(std::string(129, 'n'), "int", "int(11)")).find("129 bytes, MaxCompute allows 128") !=
          std::string::npos);
    CHECK(MapColumn(Col(std::string(128, 'n'), "int", "int(11)"), false).ok());
    CHECK(refused(Col("order-id", "int", "int(11)")).find("rename the column") != std::string::npos);
    CHECK(refused(Col("1st", "int", "int(11)")).find("digits (not first)") != std::string::npos);
    CHECK(MapColumn(Col("_\xe5\x90\x8d\xe5\xad\x97", "int", "int(11)"), false).ok());  // _名字
    CHECK(refused(Col("ts", "timestamp", "timestamp", false), true).find("tables[].primary_key") != std::string::npos);
    CHECK(Mapped(Col("dt", "datetime", "datetime", false), true).key);

    const McColumn big = Mapped(Col("b", "bigint", "bigint(20)"));
    RowEncoder encoder{TimeZone()};
    std::string body;
    RecordStreamWriter block(&body);
    Status min = encoder.AppendRow({Value(std::numeric_limits<int64_t>::min())}, {big}, &block);
    REQUIRE_FALSE(min.ok());
    CHECK(min.message().find("outside MaxCompute's BIGINT range") != std::string::npos);
    CHECK(body.empty());
  }

  TEST_CASE("MaxCompute MapColumns keeps source order, marks the key, and checks the table") {
    TableSchema t;
    t.db = "shop";
    t.table = "orders";
    t.columns = {Col("note", "varchar", "varchar(5)"), Col("b", "int", "int(11)", false),
                 Col("a", "bigint", "bigint(20)", false)};
    auto cols = MapColumns(t, {"a", "b"});
    REQUIRE(cols.ok());
    REQUIRE(cols->size() == 3);
    CHECK((*cols)[0].name == "note");
    CHECK_FALSE((*cols)[0].key);
    CHECK((*cols)[2].key);
    CHECK((*cols)[2].source_index == 2);
    CHECK(MapColumns(t, {"missing"}).status().code() == StatusCode::kInvalidArgument);
    t.columns.push_back(Col("bad name", "int", "int(11)"));
    CHECK(MapColumns(t, {}).status().message().starts_with("shop.orders: column bad name"));
    t.columns.assign(1201, Col("c", "int", "int(11)"));
    CHECK(MapColumns(t, {}).status().message().find("1201 columns, MaxCompute allows 1200") != std::string::npos);

    CHECK(CheckTableName("orders_2024").ok());
    CHECK_FALSE(CheckTableName("_orders").ok());
    CHECK_FALSE(CheckTableName("order-items").ok());
    CHECK_FALSE(CheckTableName(std::string(129, 't')).ok());
  }

  TEST_CASE("MaxCompute ColumnOfType reads the tunnel schema's type names") {
    CHECK(ColumnOfType("x", "decimal(10,2)")->type == "DECIMAL(10,2)");
    CHECK(ColumnOfType("x", "DECIMAL")->type == "DECIMAL(38,18)");
    CHECK(ColumnOfType("x", "decimal(5)")->type == "DECIMAL(5,0)");
    CHECK(ColumnOfType("x", "varchar(10)")->precision == 10);
    CHECK(ColumnOfType("x", "array<bigint>")->kind == McKind::kBigintArray);
    CHECK_FALSE(ColumnOfType("x", "decimal(39,0)").ok());
    CHECK_FALSE(ColumnOfType("x", "map<string,bigint>").ok());
    CHECK_FALSE(ColumnOfType("x", "varchar(0)").ok());
    const McColumn v3 = ColumnOfType("v", "varchar(3)").value();
    RowEncoder encoder{TimeZone()};
    std::string body;
    RecordStreamWriter block(&body);
    CHECK(encoder.AppendRow({Utf8("\xc3\xa9\xc3\xa9\xc3\xa9")}, {v3}, &block).ok());  // 3 characters, 6 bytes
    CHECK_FALSE(encoder.AppendRow({Utf8("abcd")}, {v3}, &block).ok());
  }

  TEST_CASE("MaxCompute DATETIME keeps MySQL's wall clock in the project time zone") {
    const McColumn dt = Mapped(Col("dt", "datetime", "datetime(6)"));
    auto millis_in = [&](const TimeZone& zone, DateTime t) {
      const std::string body = EncodedRow({Value(t)}, {dt}, zone);
      const int64_t local = EpochSeconds(t.year, t.month, t.day, t.hour, t.minute, t.second);
      const int64_t ms = zone.LocalToUtc(local) * 1000 + t.micros / 1000;
      CHECK(body == IntegerBlock(ms));
      return ms;
    };
    auto shanghai = TimeZone::Load("Asia/Shanghai");
    REQUIRE_MESSAGE(shanghai.ok(), shanghai.status().message());
    CHECK(millis_in(*shanghai, {2024, 1, 2, 3, 4, 5, 678999, 6}) ==
          EpochSeconds(2024, 1, 1, 19, 4, 5) * 1000 + 678);  // +08:00; microseconds past the ms dropped
    CHECK(shanghai->LocalToUtc(EpochSeconds(1900, 1, 1, 0, 0, 0)) ==
          EpochSeconds(1900, 1, 1, 0, 0, 0) - (8 * 3600 + 5 * 60 + 43));  // local mean time +08:05:43

    auto new_york = TimeZone::Load("America/New_York");
    REQUIRE(new_york.ok());
    const TimeZone& ny = *new_york;
    struct Case {
      const char* what;
      DateTime local;
      int64_t utc;
    } cases[] = {
        {"before the spring change", {2024, 3, 10, 1, 59, 59, 0, 0}, EpochSeconds(2024, 3, 10, 6, 59, 59)},
        {"in the spring gap: shows 03:30", {2024, 3, 10, 2, 30, 0, 0, 0}, EpochSeconds(2024, 3, 10, 7, 30, 0)},
        {"after the spring change", {2024, 3, 10, 3, 0, 0, 0, 0}, EpochSeconds(2024, 3, 10, 7, 0, 0)},
        {"twice in autumn: the earlier, EDT", {2024, 11, 3, 1, 30, 0, 0, 0}, EpochSeconds(2024, 11, 3, 5, 30, 0)},
        {"after the autumn change", {2024, 11, 3, 2, 0, 0, 0, 0}, EpochSeconds(2024, 11, 3, 7, 0, 0)},
        {"summer after the table: the footer rule", {2100, 7, 1, 12, 0, 0, 0, 0}, EpochSeconds(2100, 7, 1, 16, 0, 0)},
        {"winter after the table", {2100, 12, 1, 12, 0, 0, 0, 0}, EpochSeconds(2100, 12, 1, 17, 0, 0)},
    };
    for (const auto& c : cases) {
      CAPTURE(c.what);
      CHECK(millis_in(ny, c.local) == c.utc * 1000);
    }
    // Every wall clock of 2024 that exists reads back as itself.
    for (int64_t local = EpochSeconds(2024, 1, 1, 0, 0, 0); local < EpochSeconds(2025, 1, 1, 0, 0, 0); local += 900) {
      const int64_t utc = ny.LocalToUtc(local);
      const int64_t shown = utc + ny.OffsetAt(utc);
      if (shown != local) {
        CHECK(shown == local + 3600);  // only the spring gap's wall clocks move
        CHECK(local >= EpochSeconds(2024, 3, 10, 2, 0, 0));
        CHECK(local < EpochSeconds(2024, 3, 10, 3, 0, 0));
      }
    }
  }

  TEST_CASE("MaxCompute time zones: offsets, the southern hemisphere, and unknown names") {
    CHECK(TimeZone::Load("+08:00")->OffsetAt(0) == 8 * 3600);
    CHECK(TimeZone::Load("GMT-5")->OffsetAt(0) == -5 * 3600);
    CHECK(TimeZone::Load("+0530")->OffsetAt(0) == 5 * 3600 + 1800);
    CHECK(TimeZone::Load("utc")->OffsetAt(0) == 0);
    auto sydney = TimeZone::Load("Australia/Sydney");
    REQUIRE(sydney.ok());
    CHECK(sydney->OffsetAt(EpochSeconds(2060, 1, 15, 0, 0, 0)) == 11 * 3600);  // summer: DST
    CHECK(sydney->OffsetAt(EpochSeconds(2060, 7, 15, 0, 0, 0)) == 10 * 3600);
    auto unknown = TimeZone::Load("Mars/Olympus_Mons");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.status().code() == StatusCode::kNotFound);
    CHECK(unknown.status().message().find("Asia/Shanghai") != std::string::npos);
    CHECK_FALSE(TimeZone::Load("../../etc/passwd").ok());
    CHECK(TimeZone::FromTzif("broken", "TZif2 not really").status().code() == StatusCode::kCorruption);
  }

  TEST_CASE("MaxCompute emulator decodes what the encoder writes; Python's zoneinfo agrees on DATETIME instants") {
    TableSchema t;
    t.db = "shop";
    t.table = "items";
    t.columns = {Col("id", "bigint", "bigint(20)", false), Col("n", "int", "int(10) unsigned"), DecimalColumn(65, 30),
                 Col("name", "varchar", "varchar(20)"), Col("at", "datetime", "datetime(3)"),
                 Col("ts", "timestamp", "timestamp(6)"), Col("day", "date", "date"), Col("dur", "time", "time"),
                 Col("doc", "json", "json"), Col("raw", "blob", "blob"), Col("flag", "bit", "bit(1)"),
                 Col("f", "float", "float"), Col("e", "enum", "enum('x','y')")};
    t.columns[10].precision = 1;
    auto columns = MapColumns(t, {"id"});
    REQUIRE(columns.ok());
    auto zone = TimeZone::Load("America/New_York");
    REQUIRE(zone.ok());
    const std::vector<std::vector<Value>> rows = {
        {Value(int64_t(1)), Value(uint64_t(4294967295ULL)), Value(Decimal{"-0.000000000000000000000000000001"}),
         Utf8("caf\xc3\xa9"), Value(DateTime{2024, 7, 1, 12, 0, 0, 250000, 3}), Value(Timestamp{1704164645, 5, 6}),
         Value(Date{2024, 2, 29}), Value(Time{true, 1, 2, 3, 0, 0}), Value(Json{"{\"a\": 1}"}),
         Value(Bytes{std::string("\0\xff", 2), kBinaryCollation}), Value(Bit{1, 1}), Value(2.5f), Value(Enum{2, "y"})},
        {Value(int64_t(2)), Value::Null(), Value::Null(), Value::Null(), Value(DateTime{}), Value(Timestamp{}),
         Value(Date{}), Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null()},
    };
    RowEncoder encoder(*zone);
    const TempFile block("mc_block", EncodeBlock(encoder, rows, *columns));
    std::string types;
    for (const auto& c : *columns) types += (types.empty() ? "" : ";") + c.type;
    const std::string decoded = RunPython(
        "import sys; sys.path.insert(0, sys.argv[1]); import record_format as rf, datatypes as dt\n"
        "types = [dt.parse_type(t) for t in sys.argv[3].split(';')]\n"
        "for row in rf.decode_block(open(sys.argv[2], 'rb').read(), types, not_null=[0]): print(row)\n",
        kEmulatorDir + " " + block.path + " '" + types + "'");
    const int64_t at_ms = EpochSeconds(2024, 7, 1, 16, 0, 0) * 1000 + 250;  // EDT: UTC-4
    CHECK(decoded == "[1, 4294967295, '-0.000000000000000000000000000001', 'café', " + std::to_string(at_ms) +
                         ", (1704164645, 5000), 19782, '-01:02:03', '{\"a\": 1}', b'\\x00\\xff', True, 2.5, 'y']\n"
                         "[2, None, None, None, None, None, None, None, None, None, None, None, None]\n");

    // The same local wall clocks through Python's own reading of the tz database.
    std::string locals;
    for (int64_t local = EpochSeconds(1890, 1, 1, 0, 30, 0); local < EpochSeconds(2110, 1, 1, 0, 0, 0);
         local += 29 * 86400 + 5 * 3600 + 17 * 60)
      locals += std::to_string(local) + "\n";
    for (int day = 0; day < 366; ++day)  // every hour of 2024: all of its changes of offset
      for (int hour = 0; hour < 24; ++hour)
        locals += std::to_string(EpochSeconds(2024, 1, 1, hour, 30, 0) + day * 86400) + "\n";
    const TempFile wall_clocks("mc_locals", locals);
    for (const char* name : {"America/New_York", "Australia/Sydney", "Europe/London", "Asia/Shanghai",
                             "America/Sao_Paulo", "Asia/Kolkata"}) {
      CAPTURE(name);
      const std::string instants = RunPython(
          "import sys, datetime, zoneinfo\n"
          "z = zoneinfo.ZoneInfo(sys.argv[1]); epoch = datetime.datetime(1970, 1, 1)\n"
          "for line in open(sys.argv[2]):\n"
          "  local = epoch + datetime.timedelta(seconds=int(line))\n"
          "  print(int(local.replace(tzinfo=z).timestamp()))\n",
          std::string(name) + " " + wall_clocks.path);
      auto tz = TimeZone::Load(name);
      REQUIRE(tz.ok());
      std::istringstream expected(instants), asked(locals);
      int64_t local = 0, utc = 0, mismatches = 0, compared = 0;
      while (asked >> local && expected >> utc) {
        ++compared;
        if (tz->LocalToUtc(local) == utc) continue;
        if (++mismatches <= 5)
          CHECK_MESSAGE(false, "wall clock " << local << ": " << tz->LocalToUtc(local) << ", Python " << utc);
      }
      CHECK(compared > 10000);
      CHECK(mismatches == 0);
    }
  }
}
