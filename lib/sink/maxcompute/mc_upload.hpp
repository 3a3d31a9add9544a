#pragma once
// Table Tunnel batch upload sessions (specs/maxcompute.md 3.1-3.5): what a
// session is, as the tunnel describes it. The calls are Client methods
// (mc_client.hpp), implemented in mc_upload.cpp.
//
// Life of a session: create (status "normal") -> PUT blocks, each a complete
// record stream, any block id 0..19999, a block id sent again replacing its
// block -> commit: every block's rows become visible at once and the session
// turns "closed". A session lives 24 h ("expired" after); its uploaded blocks
// survive a crash of the client, so a client that kept the session id can
// reload it, see which blocks arrived, send the rest and commit.

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace dbsync::maxcompute {

struct UploadTarget {
  std::string table;
  // "k1=v1,k2=v2" naming every partition level, in order, without quotes
  // (3.1); empty for a table without partitions. Repeated on every call.
  std::string partition;
};

struct UploadOptions {
  bool overwrite = false;         // the commit replaces the table's (or partition's) rows
  bool create_partition = false;  // create a missing partition instead of NoSuchPartition
};

struct UploadedBlock {
  int64_t id = 0;
  int64_t record_count = 0;
};

struct SessionColumn {
  std::string name;
  std::string type;  // lower case, e.g. "bigint", "decimal(10,2)"
  bool nullable = true;
  int64_t id = -1;  // an upsert session's column_id (what __value_cols names)
};

enum class CommitOutcome {
  kCommitted,         // this call made the rows visible
  kAlreadyCommitted,  // an earlier call had (its answer may have been lost)
};

struct UploadSession {
  std::string id;
  UploadTarget target;
  std::string status;  // lower case: "normal", "closed" (committed), "expired", "committing", ...
  bool overwrite = false;
  int64_t max_field_size = 0;          // bytes of one STRING/BINARY cell
  std::vector<SessionColumn> columns;  // record field i+1 is columns[i] (3.2)
  std::vector<SessionColumn> partition_keys;
  std::vector<UploadedBlock> blocks;  // in block id order

  bool IsOpen() const { return status == "normal"; }
  // A batch session closes only by its commit (there is no abort).
  bool IsCommitted() const { return status == "closed"; }
};

// "table t partition ds=1", for messages.
std::string DescribeTarget(const UploadTarget& target);

// The session JSON of create/reload/commit replies (3.2, 3.3).
Result<UploadSession> ParseUploadSession(const std::string& json, const UploadTarget& target);

// "" when the tunnel holds exactly `expected`; else which block ids are
// missing and which are extra, for a message.
std::string BlockListDifference(const UploadSession& session, const std::vector<int64_t>& expected);

}  // namespace dbsync::maxcompute
