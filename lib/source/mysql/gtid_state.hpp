#pragma once
// The executed GTID set, advanced one committed transaction at a time, in the
// text form the source accepts back as a start position.
//   MySQL:   "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77,..." (uuid -> intervals)
//   MariaDB: "0-1-100,1-2-5" (one domain-server-sequence per domain)

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace dbsync::mysql {

class GtidState {
 public:
  static Result<GtidState> Parse(const std::string& text, bool mariadb);

  // MySQL: adds uuid:gno (uuid in text form, optionally "uuid:tag").
  void AddMysql(const std::string& sid, int64_t gno);
  // MariaDB: the domain's position becomes domain-server-sequence.
  void SetMariadb(uint32_t domain, uint32_t server, uint64_t sequence);
  std::string ToString() const;
  bool empty() const { return mysql_.empty() && mariadb_.empty(); }

 private:
  bool is_mariadb_ = false;
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> mysql_;  // inclusive intervals, sorted
  std::map<uint32_t, std::pair<uint32_t, uint64_t>> mariadb_;             // domain -> (server, seq)
};

}  // namespace dbsync::mysql
