#pragma once
// MySQL and MariaDB as a source::Source: information_schema for the catalog,
// SchemaTracker for the schema history, SnapshotReader for chunks and the
// binlog (BinlogChangeStream) for changes.

#include <memory>

#include "net/mysql_client.hpp"
#include "source/source.hpp"

namespace dbsync::mysql {

// Connects lazily: nothing is opened until the first call that needs the
// catalog, so a factory can hand out sources freely.
Result<std::unique_ptr<source::Source>> OpenMySqlSource(const Endpoint& endpoint, uint32_t server_id);

}  // namespace dbsync::mysql
