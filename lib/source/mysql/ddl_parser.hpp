#pragma once
// Parser for the DDL that binlog QUERY events carry (MySQL 5.7-8.4, MariaDB 10.x).
//
// ParseDdl turns one statement into a syntax tree that says what happens to
// table definitions: CREATE TABLE (columns, LIKE, ... SELECT), ALTER TABLE,
// RENAME TABLE, DROP TABLE, TRUNCATE, CREATE/ALTER/DROP DATABASE. It does not
// resolve charsets or normalise types; SchemaTracker does that against the
// server's catalog (see ddl_column_types.hpp). Statements that cannot change a
// table definition (BEGIN, DML in statement format, GRANT, CREATE INDEX,
// CREATE VIEW, ...) come back as DdlKind::kNone.
//
// Grammar followed: https://dev.mysql.com/doc/refman/8.0/en/create-table.html,
// .../alter-table.html, https://mariadb.com/kb/en/create-table/, .../alter-table/.
// Index, foreign key, check, partition and most table-option clauses are
// skipped as balanced token runs, so their inner syntax needs no support.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace dbsync::mysql {

struct DdlTableName {
  std::string db;  // the QUERY event's default database when the statement does not qualify the name
  std::string table;
  bool operator==(const DdlTableName&) const = default;
};

enum class DdlNullability { kUnspecified, kNull, kNotNull };

// One column definition as written. Type keywords are canonicalised
// ("integer" -> "int", "double precision" -> "double", "nvarchar" -> "varchar"
// with charset "utf8"), nothing else is resolved.
struct DdlColumnDef {
  std::string name;
  std::string type;                   // lower case: "int", "varchar", "text", "enum", "json", ...
  std::optional<long long> length;    // (M) or (M,D)'s M; TEXT(M)/BLOB(M) byte or char length
  std::optional<int> decimals;        // (M,D)'s D
  std::vector<std::string> values;    // ENUM/SET members
  bool is_unsigned = false;
  bool zerofill = false;
  bool binary_collation = false;      // `CHAR(3) BINARY`: the charset's _bin collation
  std::string charset;                // lower case as written (CHARACTER SET / CHARSET / ASCII / NATIONAL ...)
  std::string collation;              // lower case as written (COLLATE)
  DdlNullability null = DdlNullability::kUnspecified;
  bool primary_key = false;           // inline PRIMARY KEY (or bare KEY)
  bool auto_increment = false;
  bool generated = false;             // GENERATED ALWAYS AS (...) / AS (...)
  // The DEFAULT clause as information_schema.COLUMNS.COLUMN_DEFAULT shows
  // a literal ('text' quoted, numbers bare, NULL); "" without a DEFAULT
  // clause; nullopt for an expression, whose value only the source knows.
  std::optional<std::string> default_literal = "";
};

enum class DdlColumnPosition { kLast, kFirst, kAfter };

enum class AlterOpKind {
  kAddColumn,       // column, position/after, if_not_exists
  kDropColumn,      // name, if_exists
  kModifyColumn,    // column (its name is the existing column), position/after, if_exists
  kChangeColumn,    // name (old) -> column (new definition and name), position/after, if_exists
  kRenameColumn,    // name -> new_name
  kAddPrimaryKey,   // key_columns
  kDropPrimaryKey,
  kConvertCharset,  // charset ("default" allowed), collation: every character column is converted
  kTableDefaults,   // charset and/or collation: the table default for columns defined later
  kRenameTable,     // new_table
  kPartitionData,   // DROP/TRUNCATE/EXCHANGE/CONVERT PARTITION: rows change without row events
};

struct AlterOp {
  AlterOpKind kind = AlterOpKind::kAddColumn;
  DdlColumnDef column;
  std::string name;
  std::string new_name;
  DdlColumnPosition position = DdlColumnPosition::kLast;
  std::string after;  // with kAfter
  bool if_exists = false;
  bool if_not_exists = false;
  std::vector<std::string> key_columns;
  std::string charset, collation;
  DdlTableName new_table;
};

enum class DdlKind {
  kNone,             // does not change any table definition
  kCreateTable,      // table, columns, primary_key, charset/collation, if_not_exists, or_replace, as_select
  kCreateTableLike,  // table, like
  kAlterTable,       // table, ops (in statement order), if_exists
  kRenameTable,      // renames, applied in order (so a swap through a temporary name works)
  kDropTable,        // tables, if_exists
  kTruncateTable,    // table
  kCreateDatabase,   // database, charset/collation, if_not_exists, or_replace
  kAlterDatabase,    // database, charset/collation
  kDropDatabase,     // database, if_exists
};

struct DdlStatement {
  DdlKind kind = DdlKind::kNone;
  DdlTableName table;
  std::vector<DdlTableName> tables;  // kDropTable
  std::vector<std::pair<DdlTableName, DdlTableName>> renames;
  std::string database;
  bool if_exists = false;
  bool if_not_exists = false;
  bool or_replace = false;
  // kCreateTable
  std::vector<DdlColumnDef> columns;
  std::vector<std::string> primary_key;  // table-level or inline, in key order
  bool as_select = false;                // CREATE TABLE ... SELECT: columns come from a query
  std::string charset, collation;        // table/database default as written, lower case
  DdlTableName like;
  // kAlterTable
  std::vector<AlterOp> ops;
};

// Whether a QUERY event's statement is DDL (CREATE, ALTER, DROP, RENAME,
// TRUNCATE), judged by its first keyword after comments; cheap, for telling
// DDL inside a transaction (CREATE TABLE ... SELECT in row format) from the
// statement-format DML of non-transactional engines.
bool IsDdlStatement(std::string_view sql);

// Parses one statement. `default_db` qualifies unqualified table names.
// Errors (kInvalidArgument) quote the statement and say what was not
// understood. When `touched` is given it receives the tables the statement
// names as far as they could be identified, also when parsing fails, so that a
// caller can decide whether the failure concerns a table it cares about.
Result<DdlStatement> ParseDdl(const std::string& default_db, std::string_view sql,
                              std::vector<DdlTableName>* touched = nullptr);

}  // namespace dbsync::mysql
