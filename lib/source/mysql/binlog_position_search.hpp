#pragma once
// Where in the source's binlog a start that `sync start` is given lies, as a
// file and position, for `--from-time` and `--from-gtid`.
//
// The files are searched by their opening events (the format description's
// time, MariaDB's GTID list or MySQL's previous GTIDs: what was before each
// file), then the chosen file is read over a replication connection from its
// start until the first transaction (a GTID event) at or after the target
// begins. Reading stops at the end of the binlog as it was when the search
// began: a target after the last transaction is that end.

#include <cstdint>
#include <string>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "net/mysql_client.hpp"
#include "source/mysql/binlog_stream.hpp"

namespace dbsync::mysql {

// The first transaction whose events are stamped at or after `epoch_seconds`
// (UTC; the server's statement time, as `mariadb-binlog --start-datetime`
// reads it). kFailedPrecondition when the binlog that held that time is
// purged (it begins after it) or the source writes no GTID events to mark
// transactions; kInvalidArgument when the time is still to come on the
// source's clock.
Result<BinlogPosition> FindBinlogPositionAtTime(const Endpoint& endpoint, const StreamOptions& options,
                                                int64_t epoch_seconds);

// The first transaction that `gtid_set` does not contain: MariaDB
// "domain-server-seq,..." (per domain, the transactions after seq; a domain
// the set lacks from its start) or MySQL "uuid:1-77:80,...". With several
// MariaDB domains the binlog interleaves them, so a later transaction of
// another domain may be one the set has (applied again: keyed tables
// converge). kInvalidArgument for a malformed set or one of the other
// server's kind; kFailedPrecondition when a transaction the set lacks is in a
// purged binlog.
Result<BinlogPosition> FindBinlogPositionAfterGtids(const Endpoint& endpoint, const StreamOptions& options,
                                                    const std::string& gtid_set);

}  // namespace dbsync::mysql
