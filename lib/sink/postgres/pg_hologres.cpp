#include "sink/postgres/pg_hologres.hpp"

#include <cstdio>

namespace dbsync::postgres {

std::optional<HologresVersion> ParseHologresVersion(const std::string& text) {
  HologresVersion v;
  size_t at = text.find("Hologres ");
  if (at != std::string::npos &&
      std::sscanf(text.c_str() + at, "Hologres %d.%d.%d", &v.major, &v.minor, &v.fix) >= 2)
    return v;
  at = text.find("release-");
  if (at != std::string::npos && std::sscanf(text.c_str() + at, "release-%d.%d", &v.major, &v.minor) == 2) return v;
  return std::nullopt;
}

Result<std::vector<std::string>> HologresSessionSetup(const HologresVersion& v) {
  if (v.major < 2) {
    return Status::FailedPrecondition(
        "Hologres " + std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.fix) +
        " cannot commit several DML statements in one transaction (from V2.0 it can), which sync needs to write a "
        "batch and its checkpoint together; upgrade the instance to V2.0 or later");
  }
  // Beta in V2.x, and what makes the checkpoint commit with the rows.
  std::vector<std::string> setup = {"SET hg_experimental_enable_transaction = on"};
  // From V3.1 TRUNCATE is a DML, which a table with binlog.level replica
  // refuses (specs/hologres.md 4.7): keep it the DDL it was before.
  if (v.major > 3 || (v.major == 3 && v.minor >= 1)) setup.push_back("SET hg_enable_truncate_as_dml = off");
  return setup;
}

}  // namespace dbsync::postgres
