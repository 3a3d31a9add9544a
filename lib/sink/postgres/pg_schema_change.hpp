#pragma once
// The destination DDL for one source DDL effect (SchemaChange) on a
// bound table, for PostgreSQL and Hologres. PgSink::ApplySchemaChanges runs the
// statements and records the checkpoint; docs/type_mapping.md ("Schema
// changes") is the user-facing summary.
//
//   kTableCreated       CREATE SCHEMA / TABLE as schema migration does (pg_ddl); a
//                       table that already exists must fit (ValidateExistingTable)
//   kTableDropped       DROP TABLE
//   kTableRenamed       RENAME TO; then SET SCHEMA when the destination schema differs
//   kTableTruncated     TRUNCATE
//   kColumnAdded        ADD COLUMN, always NULL-able: the rows already there get NULL
//                       (a SchemaChange carries no DEFAULT to backfill them with)
//   kColumnDropped      DROP COLUMN
//   kColumnRenamed      RENAME COLUMN
//   kColumnModified     ALTER COLUMN TYPE ... USING <cast> when the mapped type
//                       changes; DROP NOT NULL / SET NOT NULL when nullability does
//                       (SET NOT NULL only when no row holds NULL, see below)
//   kPrimaryKeyChanged  drop the PRIMARY KEY constraint, add the new key (the
//                       binding's key; a tables[].primary_key in the spec wins)
//   kPartitionDataChanged  never planned: the caller refuses it (rows changed
//                       without row events; the table needs a new full initialization)
//
// Column order: PostgreSQL appends added columns and cannot move one, so the
// destination's column order may differ from the source's (ADD COLUMN ...
// FIRST / AFTER, MODIFY ... AFTER). Nothing depends on it: every statement the
// sink writes (COPY, INSERT, upsert, delete) names its columns.
//
// Idempotent: every step looks at the catalog first and plans nothing when the
// destination already has the change (a table already renamed, a column
// already of the new type). So a change applied by hand, or applied once on
// Hologres before a crash, is not applied twice.
//
// Hologres (https://www.alibabacloud.com/help/en/hologres/developer-reference/alter-table):
// rename table (same schema only) and ADD COLUMN are supported; a column's type
// can change only from V3.0, only for widening VARCHAR/CHAR (or to TEXT), and
// without USING; the primary key is fixed at CREATE TABLE. Those changes are
// refused here with kFailedPrecondition. DROP COLUMN and RENAME COLUMN exist
// only in newer versions; the server's refusal is passed on with advice.
// NOT NULL is never tightened on Hologres (harmless: sync writes only rows the
// source accepted) and loosening it is refused.

#include <string>
#include <vector>

#include "core/status.hpp"
#include "sink/postgres/pg_connection.hpp"
#include "sink/postgres/pg_types.hpp"
#include "sink/sink.hpp"
#include "change/schema_change.hpp"

namespace dbsync::postgres {

class SchemaChangePlanner {
 public:
  SchemaChangePlanner(Connection& conn, Dialect dialect, CharsetConverter& charsets)
      : conn_(conn), dialect_(dialect), charsets_(charsets) {}

  // The statements, in order, that bring the destination table of `table` in
  // line with `change`; empty when it already is. Reads the catalog, changes
  // nothing (run it inside the transaction that will execute the statements).
  // `table` is the binding after the change (before it for kTableDropped);
  // `old_table` the binding before a rename. kTableCreated of a mode: existing
  // table validates the destination table and plans nothing.
  // kFailedPrecondition for what the destination cannot do (named, with what
  // to do instead) and for a destination that contradicts the change (a
  // renamed table that is in neither place); kInvalidArgument for a missing
  // old_table of a rename or a partition change.
  Result<std::vector<std::string>> Plan(const SchemaChange& change, const sink::TableBinding& table,
                                        const sink::TableBinding* old_table);

 private:
  struct DestColumn {
    std::string type;  // format_type() spelling, e.g. "character varying(20)"
    bool not_null = false;
  };
  Result<std::vector<std::string>> PlanCreate(const sink::TableBinding& table);
  Result<std::vector<std::string>> PlanRename(const sink::TableBinding& table, const sink::TableBinding& old_table);
  Result<std::vector<std::string>> PlanAddColumn(const SchemaChange& change, const sink::TableBinding& table);
  Result<std::vector<std::string>> PlanRenameColumn(const SchemaChange& change,
                                                    const sink::TableBinding& table);
  Result<std::vector<std::string>> PlanModifyColumn(const SchemaChange& change,
                                                    const sink::TableBinding& table);
  Result<std::vector<std::string>> PlanPrimaryKey(const sink::TableBinding& table);
  Result<PgColumn> MapChecked(const ColumnSchema& col, const sink::TableBinding& table);
  // The destination column, or an empty type when the table has none by that name.
  Result<DestColumn> FindColumn(const std::string& qualified, const std::string& column);
  Result<bool> HasNulls(const std::string& qualified, const std::string& column);

  Connection& conn_;
  Dialect dialect_;
  CharsetConverter& charsets_;
};

// `type` (a pg_types spelling such as "varchar(20)") as format_type() spells it.
std::string CatalogTypeName(const std::string& type);

// The USING expression that converts column `quoted` from `from` to `to`,
// keeping values as MySQL's ALTER TABLE does where the two differ from a
// plain cast (BIT widens on the left; DATETIME <-> TIMESTAMP taken as UTC;
// text <-> bytea as UTF-8 bytes).
std::string CastExpression(const std::string& quoted, const PgColumn& from, const PgColumn& to);

}  // namespace dbsync::postgres
