#pragma once
// StarRocks tables read back for `sync verify` (sink/readback.hpp), over the
// FE's MySQL-protocol query port with SELECT ... WHERE ... [ORDER BY ...
// LIMIT n]: the port the sink already asks (sr_conflict's KeysPresent), and
// the only interface StarRocks offers for reading rows by key.
//
// Expected() renders a value as the JSON Stream Load body carries it
// (JsonRowEncoder, sr_types.hpp), unquoted, then canonical; Read() takes
// StarRocks' text for the stored value to the same form. Per destination
// type, what is normalized:
//  - DECIMAL(p,s), and the exact text of a DECIMAL key (VARCHAR) or of a
//    DECIMAL wider than 38 digits (STRING): no trailing fractional zeros, so
//    the declared scale's padding and the source's text meet;
//  - FLOAT and DOUBLE: the shortest text that reads back as the same float
//    (respectively double);
//  - BOOLEAN (BIT(1)): 1 or 0 (the load body says true/false, StarRocks
//    prints 1/0);
//  - DATETIME (DATETIME and TIMESTAMP as its UTC wall clock): no trailing
//    zeros of the fraction of a second;
//  - JSON: sorted keys, no spaces (StarRocks prints `{"a": 1}`);
//  - everything else (integers, LARGEINT, BIT(n) numbers, YEAR, DATE, the
//    VARCHARs of text, lowercase hex, TIME, ENUM and SET labels) as stored.
// None of it depends on the session: a DATETIME carries no zone, and the
// query port prints values the same in every session.
//
// DECIMAL keys, held as VARCHAR text, are compared as CAST(key AS
// DECIMAL(p,s)): a key range and a lookup by canonical text find them
// whatever trailing zeros the stored text has.

#include <memory>
#include <string>
#include <string_view>

#include "config/task_spec.hpp"
#include "sink/readback.hpp"
#include "sink/starrocks/sr_types.hpp"

namespace dbsync::starrocks {

// `text` (a value as the load body carries it, unquoted, or as StarRocks
// prints it) of destination column `column`, canonical.
std::string CanonicalText(const SrColumn& column, std::string_view text);

Result<std::unique_ptr<sink::Readback>> OpenSrReadback(const config::TaskSpec& spec);

}  // namespace dbsync::starrocks
