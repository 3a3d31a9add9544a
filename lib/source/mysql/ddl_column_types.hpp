#pragma once
// From a column definition as written in DDL to the ColumnSchema that
// information_schema would report for it (see schema_reader.cpp for how each
// field is read): synonyms resolved, default display widths and lengths
// filled in, charsets and collations resolved against the table default and
// the server's catalog, TEXT(M)/BLOB(M) sized, NATIONAL/ASCII/BYTE/BINARY
// attributes applied, MariaDB's JSON turned into LONGTEXT utf8mb4_bin.

#include <string>
#include <string_view>

#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "source/mysql/charset_catalog.hpp"
#include "source/mysql/ddl_parser.hpp"

namespace dbsync::mysql {

// How the server spells what it stores; differences that show in information_schema.
struct DdlDialect {
  bool mariadb = true;                          // JSON is LONGTEXT utf8mb4_bin; MariaDB-only types
  bool integer_display_width = true;            // "int(11)", "year(4)" (MariaDB, MySQL < 8.0.19) vs "int"
  bool explicit_defaults_for_timestamp = true;  // off: TIMESTAMP columns are NOT NULL unless declared NULL

  // From a version string such as "10.11.6-MariaDB-0+deb12u1" or "8.0.36".
  static DdlDialect ForServerVersion(std::string_view version);
};

// A resolved (canonical) charset and collation pair; both empty for "none".
struct CharsetPair {
  std::string charset;
  std::string collation;
  bool operator==(const CharsetPair&) const = default;
};

// The pair that `CHARACTER SET charset COLLATE collation` (either may be
// empty) means, falling back to `fallback` when both are empty. Fails
// (kInvalidArgument) on unknown names or a collation of another charset.
Result<CharsetPair> ResolveCharset(const std::string& charset, const std::string& collation,
                                   const CharsetPair& fallback, const CharsetCatalog& catalog);

// The column as information_schema would describe it, given the table's
// default charset. Nullability follows the definition (and
// explicit_defaults_for_timestamp); the caller makes primary key columns NOT NULL.
Result<ColumnSchema> ResolveColumn(const DdlColumnDef& def, const CharsetPair& table_default,
                                   const CharsetCatalog& catalog, const DdlDialect& dialect);

// ALTER TABLE ... CONVERT TO CHARACTER SET for one column: character columns
// take `target`, TEXT types grow or shrink to keep their length in
// characters; other columns are left alone. Returns whether it changed.
bool ConvertColumnCharset(ColumnSchema& column, const CharsetPair& target, const CharsetCatalog& catalog);

// True for columns that carry a charset (CHAR, VARCHAR, TEXT, ENUM, SET, MariaDB JSON).
bool IsCharacterColumn(const ColumnSchema& column);

}  // namespace dbsync::mysql
