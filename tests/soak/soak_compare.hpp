#pragma once
// The harness's own comparison at the end of the soak, independent of
// `sync verify`: the same tables in shop on both sides, and per table a
// digest of every row (count and MD5 of one canonical line per row, the
// type matrix's canonical text per column), equal on both sides.

#include <cstdint>
#include <string>
#include <vector>

#include "harness/servers.hpp"

namespace dbsync::testing {

struct DigestComparison {
  std::vector<std::string> differences;  // one line each: the table and both digests, or a missing table
  int64_t rows = 0;                      // rows read at the source
  int tables = 0;
};

DigestComparison CompareDigests(const MariaDbServer& mysql, const PostgresServer& dest);

}  // namespace dbsync::testing
