#pragma once
// Configuration check items for a MySQL/MariaDB source.

#include <string>
#include <vector>

#include "check/check_report.hpp"
#include "config/task_spec.hpp"
#include "core/table_schema.hpp"
#include "core/tls_options.hpp"

namespace dbsync::check {

struct SourceTable {
  std::string db, table;
  TableSchema schema;  // its definition (no columns when it could not be read)
};

// MySQL 5.7+ and MariaDB 10.3+ (their binlog events and snapshot features).
bool IsSupportedServerVersion(const std::string& version, bool mariadb);

// The item `item` (source.tls, destination.tls, named like the spec block)
// saying whether a connection to `host` is encrypted and verified: pass when
// it is what tls.mode asks for, warn when mode preferred got a plain
// connection (the server offers no TLS). `which` leads the reason.
void AddTlsItem(const std::string& item, const TlsState& state, const TlsOptions& tls, const std::string& host,
                const std::string& which, CheckReport& report);

// Appends source.* items to `report`. `password` is the resolved secret.
// Returns the selected tables found (empty when the source is unreachable), so
// destination checks can work out the destination schemas.
std::vector<SourceTable> RunSourceChecks(const config::TaskSpec& spec, const std::string& password,
                                         CheckScope scope, CheckReport& report);

}  // namespace dbsync::check
