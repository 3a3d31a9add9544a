#pragma once
// Decoders of the non-row events, one per event type. Internal to the binlog
// decoder: each takes the body after the common header with the checksum
// already stripped, and returns kCorruption when it is malformed.
// https://dev.mysql.com/doc/dev/mysql-server/latest/namespacemysql_1_1binlog_1_1event.html
// https://mariadb.com/kb/en/replication-protocol/

#include <span>

#include "core/status.hpp"
#include "source/mysql/binlog/binlog_event.hpp"

namespace dbsync::binlog {

using Body = std::span<const uint8_t>;

Result<EventBody> DecodeRotate(Body body);
Result<EventBody> DecodeQuery(Body body, uint8_t post_header_length, bool compressed, size_t max_size);
Result<EventBody> DecodeXid(Body body);
Result<EventBody> DecodeGtid(Body body, bool anonymous);
Result<EventBody> DecodeGtidTagged(Body body);
Result<EventBody> DecodePreviousGtids(Body body);
Result<EventBody> DecodeXaPrepare(Body body);
Result<EventBody> DecodeMariadbGtid(Body body, uint32_t server_id);
Result<EventBody> DecodeMariadbGtidList(Body body);
Result<EventBody> DecodeBinlogCheckpoint(Body body);
Result<EventBody> DecodeRowsQuery(Body body, bool mysql_rows_query);
Result<EventBody> DecodeHeartbeat(Body body, uint32_t header_position, bool v2);
Result<EventBody> DecodeIntvar(Body body);
Result<EventBody> DecodeIncident(Body body);

}  // namespace dbsync::binlog
