#pragma once
// Configuration check items for a MySQL/MariaDB source.

#include <string>
#include <vector>

#include "check/check_report.hpp"
#include "config/task_spec.hpp"
#include "core/table_schema.hpp"

namespace dbsync::check {

struct SourceTable {
  std::string db, table;
  TableSchema schema;  // its definition (no columns when it could not be read)
};

// MySQL 5.7+ and MariaDB 10.3+ (their binlog events and snapshot features).
bool IsSupportedServerVersion(const std::string& version, bool mariadb);

// Appends source.* items to `report`. `password` is the resolved secret.
// Returns the selected tables found (empty when the source is unreachable), so
// destination checks can work out the destination schemas.
std::vector<SourceTable> RunSourceChecks(const config::TaskSpec& spec, const std::string& password,
                                         CheckScope scope, CheckReport& report);

}  // namespace dbsync::check
