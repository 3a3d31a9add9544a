// The canonical texts sync verify compares for StarRocks
// (sink/starrocks/sr_readback.hpp): what the Stream Load body carries and
// what the FE's query port prints back for the same value meet in one text.

#include <doctest/doctest.h>

#include "sink/starrocks/sr_readback.hpp"

using dbsync::starrocks::CanonicalText;
using dbsync::starrocks::SrColumn;
using dbsync::starrocks::SrKind;

namespace {
SrColumn Of(SrKind kind, const char* type) {
  SrColumn c;
  c.kind = kind;
  c.type = type;
  return c;
}
}  // namespace

TEST_CASE("StarRocks canonical text: the load body's form and the query port's form meet") {
  // DECIMAL(p,s) prints its scale; a DECIMAL key (VARCHAR) keeps the source's text.
  CHECK(CanonicalText(Of(SrKind::kNumber, "DECIMAL(10,4)"), "12.5000") == "12.5");
  CHECK(CanonicalText(Of(SrKind::kDecimalText, "VARCHAR(12)"), "12.50") == "12.5");
  CHECK(CanonicalText(Of(SrKind::kNumber, "DECIMAL(10,2)"), "-0.00") == "0");
  // Integers and LARGEINT as they are.
  CHECK(CanonicalText(Of(SrKind::kNumber, "LARGEINT"), "18446744073709551615") == "18446744073709551615");
  // FLOAT: the shortest text of the float, not of the double.
  CHECK(CanonicalText(Of(SrKind::kNumber, "FLOAT"), "0.1") == CanonicalText(Of(SrKind::kNumber, "FLOAT"), "0.100000001"));
  CHECK(CanonicalText(Of(SrKind::kNumber, "DOUBLE"), "-1000.125") == "-1000.125");
  // BOOLEAN: true/false in the body, 1/0 from the FE.
  CHECK(CanonicalText(Of(SrKind::kBoolean, "BOOLEAN"), "true") == CanonicalText(Of(SrKind::kBoolean, "BOOLEAN"), "1"));
  CHECK(CanonicalText(Of(SrKind::kBoolean, "BOOLEAN"), "false") == "0");
  // DATETIME: the fraction's trailing zeros.
  CHECK(CanonicalText(Of(SrKind::kDateTime, "DATETIME"), "2024-01-02 03:04:05.500000") == "2024-01-02 03:04:05.5");
  CHECK(CanonicalText(Of(SrKind::kDateTime, "DATETIME"), "2024-01-02 03:04:05.000000") == "2024-01-02 03:04:05");
  // JSON: key order and spaces.
  CHECK(CanonicalText(Of(SrKind::kJson, "JSON"), R"({"s": "x", "k": [1, 2.5, null]})") ==
        CanonicalText(Of(SrKind::kJson, "JSON"), R"({"k":[1,2.5,null],"s":"x"})"));
  // Text, hex and TIME as stored; different values stay different.
  CHECK(CanonicalText(Of(SrKind::kTime, "VARCHAR(17)"), "-838:59:59.000001") == "-838:59:59.000001");
  CHECK(CanonicalText(Of(SrKind::kText, "VARCHAR(40)"), "a ") != CanonicalText(Of(SrKind::kText, "VARCHAR(40)"), "a"));
  CHECK(CanonicalText(Of(SrKind::kNumber, "DECIMAL(10,2)"), "1.10") != CanonicalText(Of(SrKind::kNumber, "DECIMAL(10,2)"), "1.01"));
}
