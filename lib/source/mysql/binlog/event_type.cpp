#include "source/mysql/binlog/event_type.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace dbsync::binlog {

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kUnknown: return "UNKNOWN";
    case EventType::kStartV3: return "START_V3";
    case EventType::kQuery: return "QUERY";
    case EventType::kStop: return "STOP";
    case EventType::kRotate: return "ROTATE";
    case EventType::kIntvar: return "INTVAR";
    case EventType::kSlave: return "SLAVE";
    case EventType::kAppendBlock: return "APPEND_BLOCK";
    case EventType::kDeleteFile: return "DELETE_FILE";
    case EventType::kRand: return "RAND";
    case EventType::kUserVar: return "USER_VAR";
    case EventType::kFormatDescription: return "FORMAT_DESCRIPTION";
    case EventType::kXid: return "XID";
    case EventType::kBeginLoadQuery: return "BEGIN_LOAD_QUERY";
    case EventType::kExecuteLoadQuery: return "EXECUTE_LOAD_QUERY";
    case EventType::kTableMap: return "TABLE_MAP";
    case EventType::kWriteRowsV0: return "WRITE_ROWS_V0";
    case EventType::kUpdateRowsV0: return "UPDATE_ROWS_V0";
    case EventType::kDeleteRowsV0: return "DELETE_ROWS_V0";
    case EventType::kWriteRowsV1: return "WRITE_ROWS_V1";
    case EventType::kUpdateRowsV1: return "UPDATE_ROWS_V1";
    case EventType::kDeleteRowsV1: return "DELETE_ROWS_V1";
    case EventType::kIncident: return "INCIDENT";
    case EventType::kHeartbeat: return "HEARTBEAT";
    case EventType::kIgnorable: return "IGNORABLE";
    case EventType::kRowsQuery: return "ROWS_QUERY";
    case EventType::kWriteRowsV2: return "WRITE_ROWS_V2";
    case EventType::kUpdateRowsV2: return "UPDATE_ROWS_V2";
    case EventType::kDeleteRowsV2: return "DELETE_ROWS_V2";
    case EventType::kGtid: return "GTID";
    case EventType::kAnonymousGtid: return "ANONYMOUS_GTID";
    case EventType::kPreviousGtids: return "PREVIOUS_GTIDS";
    case EventType::kTransactionContext: return "TRANSACTION_CONTEXT";
    case EventType::kViewChange: return "VIEW_CHANGE";
    case EventType::kXaPrepare: return "XA_PREPARE";
    case EventType::kPartialUpdateRows: return "PARTIAL_UPDATE_ROWS";
    case EventType::kTransactionPayload: return "TRANSACTION_PAYLOAD";
    case EventType::kHeartbeatV2: return "HEARTBEAT_V2";
    case EventType::kGtidTagged: return "GTID_TAGGED";
    case EventType::kAnnotateRows: return "ANNOTATE_ROWS";
    case EventType::kBinlogCheckpoint: return "BINLOG_CHECKPOINT";
    case EventType::kMariadbGtid: return "MARIADB_GTID";
    case EventType::kMariadbGtidList: return "MARIADB_GTID_LIST";
    case EventType::kStartEncryption: return "START_ENCRYPTION";
    case EventType::kQueryCompressed: return "QUERY_COMPRESSED";
    case EventType::kWriteRowsCompressedV1: return "WRITE_ROWS_COMPRESSED_V1";
    case EventType::kUpdateRowsCompressedV1: return "UPDATE_ROWS_COMPRESSED_V1";
    case EventType::kDeleteRowsCompressedV1: return "DELETE_ROWS_COMPRESSED_V1";
    case EventType::kWriteRowsCompressed: return "WRITE_ROWS_COMPRESSED";
    case EventType::kUpdateRowsCompressed: return "UPDATE_ROWS_COMPRESSED";
    case EventType::kDeleteRowsCompressed: return "DELETE_ROWS_COMPRESSED";
  }
  // Codes outside the enum (Aurora's 100, future types) get a stable name.
  static const std::array<std::string, 256> kNumbered = [] {
    std::array<std::string, 256> names;
    for (int i = 0; i < 256; ++i) names[i] = "TYPE_" + std::to_string(i);
    return names;
  }();
  return kNumbered[static_cast<uint8_t>(type)].c_str();
}

bool IsRowsEvent(EventType type) {
  switch (type) {
    case EventType::kWriteRowsV1:
    case EventType::kUpdateRowsV1:
    case EventType::kDeleteRowsV1:
    case EventType::kWriteRowsV2:
    case EventType::kUpdateRowsV2:
    case EventType::kDeleteRowsV2:
    case EventType::kPartialUpdateRows:
    case EventType::kWriteRowsCompressedV1:
    case EventType::kUpdateRowsCompressedV1:
    case EventType::kDeleteRowsCompressedV1:
    case EventType::kWriteRowsCompressed:
    case EventType::kUpdateRowsCompressed:
    case EventType::kDeleteRowsCompressed:
      return true;
    default:
      return false;
  }
}

}  // namespace dbsync::binlog
