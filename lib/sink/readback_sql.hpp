#pragma once
// Conditions on a table's key for the readbacks that query a destination in
// SQL (sink/readback.hpp), spelled out column by column: StarRocks and
// MaxCompute compare no row values such as (a, b) > (1, 2).

#include <functional>
#include <string>
#include <vector>

#include "sink/readback.hpp"

namespace dbsync::sink {

// The key after `literals` in key order, `exprs` naming its columns:
// (a > 1) OR (a = 1 AND b > 2).
std::string KeyAfter(const std::vector<std::string>& exprs, const std::vector<std::string>& literals);
// The SQL literal of key column `column`'s canonical `value`.
using KeyLiteralOf = std::function<std::string(size_t column, const std::optional<std::string>& value)>;
// A canonical key as literals.
std::vector<std::string> KeyLiterals(const CanonicalRow& key, const KeyLiteralOf& literal);
// The key equal to one of `keys`: a IN (1, 2) for one column, else
// ((a = 1 AND b = 2) OR (a = 3 AND b = 4)).
std::string KeyAmong(const std::vector<std::string>& exprs, const std::vector<CanonicalRow>& keys,
                     const KeyLiteralOf& literal);

}  // namespace dbsync::sink
