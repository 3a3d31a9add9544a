#pragma once
// What the sink must know about the Hologres engine it talks to
// (specs/hologres.md section 1 "Version detection" and 4.6 "Transactions").
//
// The checkpoint commits with the data in one transaction of several DML
// statements (sink.hpp, mode a). Hologres runs such a transaction only from
// V2.0, and only with `SET hg_experimental_enable_transaction = on` in the
// session; before V2.0, or without the switch, `BEGIN; INSERT ...; COMMIT`
// fails with "INSERT in transaction is not supported now".

#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace dbsync::postgres {

struct HologresVersion {
  int major = 0, minor = 0, fix = 0;
};

// From `SELECT hg_version()` ("Hologres 2.1.5 (tag: ...), compatible with
// PostgreSQL 11.3 ...") or, before V0.10, `SELECT version()` ("PostgreSQL
// 11.3 (Release-build@... on origin/release-0.8.x) ..."). nullopt for a
// server that is not Hologres.
std::optional<HologresVersion> ParseHologresVersion(const std::string& version_text);

// The session statements a sink runs on a Hologres engine of `version` before
// its first transaction (from V3.1 also keeping TRUNCATE a DDL, so that
// tables with a Hologres binlog can be emptied); kFailedPrecondition, saying what to do, for an
// engine that cannot commit several DML statements in one transaction.
Result<std::vector<std::string>> HologresSessionSetup(const HologresVersion& version);

}  // namespace dbsync::postgres
