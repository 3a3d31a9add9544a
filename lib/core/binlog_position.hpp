#pragma once
// A position in the source's binlog: file + offset, plus the GTID set executed
// up to there (MySQL "uuid:1-5,..." or MariaDB "0-1-42,..."; empty if unknown).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace dbsync {

struct BinlogPosition {
  std::string file;  // e.g. "binlog.000003"
  uint64_t offset = 0;
  std::string gtid_set;

  bool empty() const { return file.empty(); }
  // Orders by the file's numeric suffix, then the offset. The GTID set is not compared.
  int Compare(const BinlogPosition& other) const;
  std::string ToString() const { return file + ":" + std::to_string(offset); }
  // A number that grows with the position: the file's numeric suffix times
  // 10^10 plus the offset (an offset is below 2^32).
  int64_t Sequence() const;
  nlohmann::json ToJson() const;
  static BinlogPosition FromJson(const nlohmann::json& j);
};

}  // namespace dbsync
