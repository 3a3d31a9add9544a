// The canonical texts sync verify compares (sink/postgres/pg_readback.hpp):
// what sync writes into PostgreSQL and what PostgreSQL prints back for the
// same value must meet in one text, and different values must not.

#include <doctest/doctest.h>

#include "sink/postgres/pg_readback.hpp"

using dbsync::postgres::CanonicalText;
using dbsync::postgres::PgKind;

TEST_CASE("canonical text: sync's input form and PostgreSQL's output form meet") {
  // timestamp(6): sync writes six digits, PostgreSQL trims them.
  CHECK(CanonicalText(PgKind::kTimestamp, "2024-01-02 03:04:05.500000") ==
        CanonicalText(PgKind::kTimestamp, "2024-01-02 03:04:05.5"));
  CHECK(CanonicalText(PgKind::kTimestamp, "2024-01-02 03:04:05.000000") == "2024-01-02 03:04:05");
  CHECK(CanonicalText(PgKind::kTimestamp, "-infinity") == "-infinity");
  // timestamptz read in UTC.
  CHECK(CanonicalText(PgKind::kTimestamptz, "2024-01-02 03:04:05.120000+00") ==
        CanonicalText(PgKind::kTimestamptz, "2024-01-02 03:04:05.12+00"));
  CHECK(CanonicalText(PgKind::kTimestamptz, "2024-01-02 03:04:05+00") == "2024-01-02 03:04:05");
  // interval: MySQL TIME as hours, PostgreSQL's days when someone wrote them.
  CHECK(CanonicalText(PgKind::kInterval, "838:59:59.000000") == "838:59:59");
  CHECK(CanonicalText(PgKind::kInterval, "-838:59:59.5") == "-838:59:59.5");
  CHECK(CanonicalText(PgKind::kInterval, "1 day 02:00:00") == "26:00:00");
  CHECK(CanonicalText(PgKind::kInterval, "00:00:00.000001") == "0:00:00.000001");
  CHECK(CanonicalText(PgKind::kInterval, "-00:00:01") == "-0:00:01");
  // numeric: the declared scale's trailing zeros.
  CHECK(CanonicalText(PgKind::kNumeric, "12.500") == "12.5");
  CHECK(CanonicalText(PgKind::kNumeric, "-0.000") == "0");
  CHECK(CanonicalText(PgKind::kNumeric, "100") == "100");
  CHECK(CanonicalText(PgKind::kNumeric, "100.10") != CanonicalText(PgKind::kNumeric, "100.01"));
  // floats: the shortest exact text either way.
  CHECK(CanonicalText(PgKind::kReal, "1.10000002") == CanonicalText(PgKind::kReal, "1.1"));
  CHECK(CanonicalText(PgKind::kDouble, "0.1000000000000000055511151231257827") == CanonicalText(PgKind::kDouble, "0.1"));
  CHECK(CanonicalText(PgKind::kDouble, "0.1") != CanonicalText(PgKind::kDouble, "0.10000000000000002"));
  // jsonb orders keys and drops spaces; MySQL's text keeps its own order.
  CHECK(CanonicalText(PgKind::kJsonb, R"({"b": [1, 2.5, null], "a": "é"})") ==
        CanonicalText(PgKind::kJsonb, R"({"a":"é","b":[1,2.5,null]})"));
  CHECK(CanonicalText(PgKind::kJsonb, R"({"a": 1})") != CanonicalText(PgKind::kJsonb, R"({"a": 2})"));
  // bytea in either case.
  CHECK(CanonicalText(PgKind::kBytea, "\\xDEADbeef") == "\\xdeadbeef");
  // Everything else as it is.
  CHECK(CanonicalText(PgKind::kText, "Caf\xC3\xA9  ") == "Caf\xC3\xA9  ");
  CHECK(CanonicalText(PgKind::kBit, "0101") == "0101");
}
