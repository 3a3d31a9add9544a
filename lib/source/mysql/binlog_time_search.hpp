#pragma once
// Where in the source's binlog a moment in time is: the first transaction
// whose events are stamped at or after it (the server's statement time, as
// `mariadb-binlog --start-datetime` reads them), for `sync start --from-time`.
//
// The files are searched by the time of their format description event (when
// each was opened), then the chosen file is read over a replication
// connection from its start until a transaction (a GTID event) at or after
// the time begins. Reading stops at the end of the binlog as it was when the
// search began: a time after the last transaction is that end.

#include <cstdint>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "net/mysql_client.hpp"
#include "source/mysql/binlog_stream.hpp"

namespace dbsync::mysql {

// `epoch_seconds` (UTC) as a binlog position. kFailedPrecondition when the
// binlog that held that time is purged (it begins after it) or the source
// writes no GTID events to mark transactions; kInvalidArgument when the time
// is still to come on the source's clock.
Result<BinlogPosition> FindBinlogPositionAtTime(const Endpoint& endpoint, const StreamOptions& options,
                                                int64_t epoch_seconds);

}  // namespace dbsync::mysql
