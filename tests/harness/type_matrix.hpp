#pragma once
// The type matrix the end-to-end type tests share: a table of every MySQL
// column type, random values for it (NULLs, extremes, 4-byte UTF-8, latin1,
// multi-hundred-kilobyte blobs) and random changes (inserts, updates of some
// columns, key changes, deletes, grouped in transactions now and then).

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "harness/servers.hpp"

namespace dbsync::testing {

// The columns after `id INT NOT NULL`, for CREATE TABLE (id, <these>).
extern const char* const kTypeMatrixColumnsDdl;
// Their names in order (id excluded), as TypeMatrixRows::Values() fills them.
extern const char* const kTypeMatrixColumnNames[25];

// One canonical text per column, the same on both sides when the values
// are: a MySQL expression and a PostgreSQL expression (digests compare them).
struct CanonicalColumn {
  const char* name;
  const char* mysql;
  const char* postgres;
};
extern const CanonicalColumn kTypeMatrixCanonical[25];

class TypeMatrixRows {
 public:
  // One LONGBLOB value in 40 holds 0.6 to 1.4 times `big_blob_bytes`.
  explicit TypeMatrixRows(uint32_t seed, int big_blob_bytes = 1500000) : rng_(seed), big_blob_bytes_(big_blob_bytes) {}

  // The smallest BIGINT written: MaxCompute's BIGINT stops at -2^63 + 1.
  void set_bigint_min(std::string value) { bigint_min_ = std::move(value); }

  // A random value of every column but id, as SQL expressions.
  std::vector<std::string> Values() {
    return {
        Nullable(std::to_string(int(Pick(256)) - 128)),
        Nullable(std::to_string(Pick(256))),
        Nullable(std::to_string(int(Pick(65536)) - 32768)),
        Nullable(std::to_string(Pick(16777216))),
        Nullable(OneOf({bigint_min_, "9223372036854775807", std::to_string(int64_t(rng64()))})),
        Nullable(OneOf({"0", "18446744073709551615", std::to_string(rng64())})),
        Nullable(Decimal()),
        Nullable(std::to_string(int(Pick(8000)) - 4000) + "/4"),
        Nullable(std::to_string(int(Pick(800000)) - 400000) + "/8"),
        Nullable("b'" + Bits(10) + "'"),
        Nullable(std::to_string(1901 + Pick(255))),
        Nullable("DATE_ADD('1000-01-01', INTERVAL " + std::to_string(Pick(3000000)) + " DAY)"),
        Nullable("SEC_TO_TIME(" + std::to_string(int64_t(Pick(6040798)) - 3020399) + ")"),
        Nullable("TIMESTAMPADD(MICROSECOND, " + std::to_string(rng64() % 250000000000000000ull) +
                 ", '1000-01-01 00:00:00')"),
        Nullable("FROM_UNIXTIME(" + std::to_string(1 + Pick(2000000000)) + "." + Digits(6) + ")"),
        Nullable("'" + Ascii(Pick(6)) + "'"),
        Nullable("'" + Unicode(Pick(30)) + "'"),
        Nullable(OneOf({"'caf\xC3\xA9 \xE2\x82\xAC'", "'na\xC3\xAFve'", "''", "'plain'"})),
        Nullable("UNHEX('" + HexBytes(Pick(11)) + "')"),
        Nullable("'" + Unicode(Pick(200)) + "\\t\\n\\\\ end'"),
        Nullable(Pick(40) == 0 ? "REPEAT(UNHEX('00ff10'), " +
                                     std::to_string(big_blob_bytes_ / 5 + Pick(big_blob_bytes_ * 4 / 15)) + ")"
                               : "UNHEX('" + HexBytes(Pick(64)) + "')"),
        Nullable(OneOf({"'small'", "'it''s big'"})),
        Nullable(OneOf({"''", "'a'", "'a,c'", "'b,c'", "'a,b,c'"})),
        Nullable("'{\"k\": [" + std::to_string(Pick(1000)) + ", 2.5, null], \"s\": \"\xC3\xA9\xF0\x9F\x98\x80\"}'"),
        Nullable("ST_GeomFromText('POINT(" + std::to_string(Pick(180)) + " " + std::to_string(Pick(90)) + ")', 4326)")};
  }
  uint32_t Pick(uint32_t n) { return rng_() % n; }

 private:
  uint64_t rng64() { return (uint64_t(rng_()) << 32) | rng_(); }
  std::string Nullable(std::string v) { return Pick(10) == 0 ? "NULL" : v; }
  std::string OneOf(std::initializer_list<std::string> options) {
    auto it = options.begin();
    std::advance(it, Pick(uint32_t(options.size())));
    return *it;
  }
  std::string Digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += char('0' + Pick(10));
    return s;
  }
  std::string Decimal() {
    std::string s = Pick(2) ? "-" : "";
    s += std::to_string(Pick(1000000000)) + Digits(int(Pick(12))) + "." + Digits(10);
    return s;
  }
  std::string Bits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += char('0' + Pick(2));
    return s;
  }
  std::string Ascii(uint32_t n) {
    std::string s;
    for (uint32_t i = 0; i < n; ++i) s += char('a' + Pick(26));
    return s;
  }
  std::string Unicode(uint32_t n) {
    static const char* kPieces[] = {"a", "Z", " ", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "''", "7"};
    std::string s;
    for (uint32_t i = 0; i < n; ++i) s += kPieces[Pick(8)];
    return s;
  }
  std::string HexBytes(uint32_t n) {
    static const char* kHex = "0123456789abcdef";
    std::string s;
    for (uint32_t i = 0; i < 2 * n; ++i) s += kHex[Pick(16)];
    return s;
  }

  std::mt19937 rng_;
  int big_blob_bytes_;
  std::string bigint_min_ = "-9223372036854775808";
};

// INSERT INTO shop.`table` of one random row with this id.
std::string TypeMatrixInsert(const std::string& table, int id, TypeMatrixRows& gen);

// `n` random changes on shop.`table`, ids in [1, key_space] (key changes move
// a row by key_space).
void TypeMatrixChurn(const MariaDbServer& mysql, const std::string& table, int n, TypeMatrixRows& gen, int key_space);

}  // namespace dbsync::testing
