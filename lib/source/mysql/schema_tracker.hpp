#pragma once
// Table definitions kept in step with the DDL of a binlog stream.
//
// MariaDB and MySQL < 8 write TABLE_MAP events without column names,
// signedness, ENUM/SET labels or charsets, so the binlog reader decodes rows
// with definitions it tracks itself: read from information_schema when the
// stream starts, then changed by each DDL QUERY event in stream order. A row
// event after `ALTER TABLE ... ADD COLUMN` is decoded with the new definition,
// one before it with the old.
//
// Which tables are tracked: every table the filter accepts when the tracker
// is loaded, and every table a later CREATE TABLE or RENAME TABLE brings into
// the filter. Tracked tables follow renames even out of the filter. Pass a
// database-level filter (every table of a selected database) so that the
// shadow tables of online schema change tools (gh-ost's _t_gho,
// pt-online-schema-change's _t_new) are tracked before they are renamed in.
//
// Loudness: DDL that touches a tracked table (or creates one the filter
// accepts) and cannot be parsed, or whose effect contradicts the tracked
// definition (dropping a column that is not there), is an error: decoding on
// would be silently wrong. DDL that cannot be parsed on other tables is ignored.
//
// Not thread-safe: one tracker belongs to one binlog reader.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "change/schema_change.hpp"
#include "core/table_schema.hpp"
#include "source/mysql/charset_catalog.hpp"
#include "source/mysql/ddl_column_types.hpp"
#include "net/mysql_client.hpp"
#include "source/source.hpp"

namespace dbsync::mysql {

// Which tables to track; an empty function tracks every table.
using source::TableFilter;

class SchemaTracker {
 public:
  // An empty tracker: names resolve against `catalog`, types are spelled as
  // `dialect` says, databases without a known default use `server_default`.
  SchemaTracker(CharsetCatalog catalog, DdlDialect dialect, CharsetPair server_default, TableFilter filter = {},
                bool lower_case_table_names = false);

  // Loads the server's charset catalog, dialect (version,
  // explicit_defaults_for_timestamp, lower_case_table_names), database
  // defaults, and every table the filter accepts, from information_schema.
  static Result<SchemaTracker> Load(Connection& conn, TableFilter filter = {});

  // Parses one QUERY event's statement and applies it. Returns the changes
  // to tracked tables (empty for statements that change no tracked table:
  // DML, GRANT, CREATE INDEX, DDL on other tables). On error the tracker is
  // unchanged; the message quotes the statement.
  Result<std::vector<SchemaChange>> ApplyDdl(const std::string& default_db, const std::string& sql);

  // The tracked definition, or nullptr. Valid until the next non-const call.
  const TableSchema* Find(const std::string& db, const std::string& table) const;
  bool IsTracked(const std::string& db, const std::string& table) const { return Find(db, table) != nullptr; }
  // The table's default charset/collation (for columns added later), or nullptr.
  const CharsetPair* TableDefaults(const std::string& db, const std::string& table) const;
  // Every tracked table as "db.table" pairs, sorted.
  std::vector<std::pair<std::string, std::string>> Tables() const;

  // Starts tracking a table (or replaces its definition). `defaults` empty:
  // the database's default charset.
  void AddTable(TableSchema schema, CharsetPair defaults = {});
  void SetDatabaseDefault(const std::string& db, CharsetPair defaults);
  // Which tables to track from now on (CREATE TABLE, RENAME into it).
  void set_filter(TableFilter filter) { filter_ = std::move(filter); }
  // Stops tracking a table (it left the task's databases, or the tracker is
  // being restored from a saved state).
  void RemoveTable(const std::string& db, const std::string& table) { tables_.erase(MakeKey(db, table)); }
  // Re-reads one table from information_schema (after a schema_unknown
  // change); NotFound when it no longer exists, which also stops tracking it.
  Status Reload(Connection& conn, const std::string& db, const std::string& table);

  const CharsetCatalog& catalog() const { return catalog_; }
  const DdlDialect& dialect() const { return dialect_; }

 private:
  struct Tracked {
    TableSchema schema;
    CharsetPair defaults;
  };
  using Key = std::pair<std::string, std::string>;
  class Edit;  // a statement's changes, committed only when all of it applies

  Key MakeKey(const std::string& db, const std::string& table) const;
  bool Wanted(const std::string& db, const std::string& table) const { return !filter_ || filter_(db, table); }
  CharsetPair DatabaseDefault(const std::string& db) const;

  CharsetCatalog catalog_;
  DdlDialect dialect_;
  CharsetPair server_default_;
  TableFilter filter_;
  bool lower_case_table_names_ = false;
  std::map<Key, Tracked> tables_;
  std::map<std::string, CharsetPair> databases_;
};

}  // namespace dbsync::mysql
