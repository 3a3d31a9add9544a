#include "change/schema_change.hpp"

namespace dbsync {

bool IsColumnChange(SchemaChangeKind kind) {
  return kind == SchemaChangeKind::kColumnAdded || kind == SchemaChangeKind::kColumnDropped ||
         kind == SchemaChangeKind::kColumnRenamed || kind == SchemaChangeKind::kColumnModified;
}

const char* SchemaChangeKindName(SchemaChangeKind kind) {
  switch (kind) {
    case SchemaChangeKind::kTableCreated: return "create_table";
    case SchemaChangeKind::kTableDropped: return "drop_table";
    case SchemaChangeKind::kTableRenamed: return "rename_table";
    case SchemaChangeKind::kTableTruncated: return "truncate_table";
    case SchemaChangeKind::kColumnAdded: return "add_column";
    case SchemaChangeKind::kColumnDropped: return "drop_column";
    case SchemaChangeKind::kColumnRenamed: return "rename_column";
    case SchemaChangeKind::kColumnModified: return "modify_column";
    case SchemaChangeKind::kPrimaryKeyChanged: return "primary_key";
    case SchemaChangeKind::kPartitionDataChanged: return "partition_data";
  }
  return "unknown";
}

}  // namespace dbsync
