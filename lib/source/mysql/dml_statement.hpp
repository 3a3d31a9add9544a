#pragma once
// DML written to the binlog as a statement (a session with
// binlog_format=STATEMENT, or a server in MIXED format choosing it): the
// binlog holds its text, not its rows, so a replica that applies rows misses
// its effect. Recognising one, and the table it changes, lets that be said
// instead of passing silently.

#include <optional>
#include <string_view>

#include "source/mysql/ddl_parser.hpp"

namespace dbsync::mysql {

struct DmlStatement {
  // The table it changes (INSERT/REPLACE INTO, UPDATE, DELETE FROM, LOAD DATA
  // ... INTO TABLE); unset when the form names several (a multi-table UPDATE
  // or DELETE) or one the parser cannot tell.
  std::optional<DdlTableName> table;
};

// Whether `sql` is a data-changing statement; `default_db` qualifies a bare name.
std::optional<DmlStatement> ParseDmlStatement(std::string_view default_db, std::string_view sql);

}  // namespace dbsync::mysql
