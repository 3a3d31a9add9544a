#pragma once
// Source schema changes applied to StarRocks over the FE's query port
// (specs/starrocks.md 2.4, 2.5). Column changes are asynchronous jobs: each
// step waits until SHOW ALTER TABLE COLUMN reports the table's job FINISHED
// (CANCELLED is an error with StarRocks' reason), so no row of the new
// shape is loaded before the table has it. A step replayed after a crash
// finds its effect already there (duplicate column, unknown old name, table
// already renamed) and counts as done.
//
// What StarRocks cannot do stops the task with what to do by hand: a key
// column dropped, renamed or retyped, a table moved between databases, a
// type change StarRocks does not allow (only widening), any change to a
// mode: existing table (unless a column change was made there by hand).

#include <chrono>

#include "net/mysql_client.hpp"
#include "sink/sink.hpp"
#include "sink/starrocks/sr_types.hpp"

namespace dbsync::starrocks {

class SchemaChanger {
 public:
  explicit SchemaChanger(mysql::Connection& conn, TableOptions options,
                         std::chrono::seconds alter_timeout = std::chrono::hours(2))
      : conn_(conn), options_(options), alter_timeout_(alter_timeout) {}

  // Creates the destination table of `table` (database too) unless it exists.
  Status CreateTable(const sink::TableBinding& table);
  Status Apply(const sink::SchemaChangeStep& step);
  // Waits for the table's running column change, if any, to end.
  Status WaitForAlter(const std::string& db, const std::string& table);

 private:
  Status Alter(const std::string& db, const std::string& table, const std::string& clause);
  Status ModifyColumn(const sink::SchemaChangeStep& step);
  // Whether a column change is already in the table (made by hand).
  Result<bool> AlreadyThere(const sink::SchemaChangeStep& step);

  mysql::Connection& conn_;
  TableOptions options_;  // of tables it creates
  std::chrono::seconds alter_timeout_;
};

// `db`.`table` quoted for StarRocks.
std::string QualifiedName(const std::string& db, const std::string& table);

}  // namespace dbsync::starrocks
