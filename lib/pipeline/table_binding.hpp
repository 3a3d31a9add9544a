#pragma once
// Which source tables a task reads and where each one goes: the selection,
// the destination names from the mapping section, and the key used to apply
// changes (tables[].primary_key, else the source's primary key, else none).

#include <vector>

#include "config/task_spec.hpp"
#include "core/status.hpp"
#include "sink/sink.hpp"
#include "source/mysql/mysql_connection.hpp"

namespace dbsync::pipeline {

Result<std::vector<sink::TableBinding>> BindTables(const config::TaskSpec& spec, mysql::Connection& conn);
// Binds one table whose schema is already known (e.g. created by DDL in the stream).
sink::TableBinding BindTable(const config::TaskSpec& spec, const TableSchema& schema);

}  // namespace dbsync::pipeline
