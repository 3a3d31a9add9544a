#pragma once
// Source-neutral schema changes: what a DDL statement did to one table,
// described with the definitions before and after, so a sink can apply it
// without knowing the source's SQL dialect.

#include <optional>
#include <string>
#include <vector>

#include "core/table_schema.hpp"

namespace dbsync {

enum class SchemaChangeKind {
  kTableCreated,
  kTableDropped,
  kTableRenamed,
  kTableTruncated,
  kColumnAdded,
  kColumnDropped,
  kColumnRenamed,   // also reported by CHANGE old new ...; a type change there adds kColumnModified
  kColumnModified,  // type, charset, nullability or position changed
  kPrimaryKeyChanged,
  kPartitionDataChanged,  // DROP/TRUNCATE/EXCHANGE PARTITION: rows changed without row events
};
const char* SchemaChangeKindName(SchemaChangeKind kind);
// A change of one column's existence, name or definition (added, dropped,
// renamed, modified).
bool IsColumnChange(SchemaChangeKind kind);

// One effect of a DDL statement on a table, in statement order. A source
// (the MySQL schema tracker) derives these from its DDL; the pipeline turns
// them into destination steps under the task's ddl policies.
struct SchemaChange {
  SchemaChangeKind kind = SchemaChangeKind::kTableCreated;
  std::string db, table;          // the table; after a rename its new name
  std::string old_db, old_table;  // kTableRenamed: the previous name
  std::string column;             // column changes: the column's (new) name
  std::string old_column;         // kColumnRenamed: the previous name
  std::optional<ColumnSchema> before, after;  // column definitions before / after the change
  int position = -1;              // kColumnAdded / kColumnModified: index after the change
  // kColumnAdded: the statement's DEFAULT as the catalog shows a literal
  // ('text', 7, NULL), "" when it has none; nullopt for an expression (or
  // unknown), which only the source's catalog can tell.
  std::optional<std::string> added_default;
  std::vector<std::string> old_primary_key, primary_key;  // kPrimaryKeyChanged
  // kTableCreated / kTableRenamed: the definition could not be derived from
  // the statement (CREATE ... SELECT in statement format, LIKE or RENAME of an
  // untracked table): the source reads the definition from its catalog.
  bool schema_unknown = false;
  // The table's definition right after this change, as the statement left it
  // at that point: a rename sees the names that exist only inside its
  // statement (`RENAME TABLE a TO tmp, b TO a, tmp TO b`), and the column
  // changes of `ALTER TABLE t ..., RENAME TO u` see t before the rename.
  // Empty for kTableDropped and schema_unknown.
  std::optional<TableSchema> schema;
};

}  // namespace dbsync
