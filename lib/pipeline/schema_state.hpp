#pragma once
// schema.json: what the binlog stream has made of the source's tables as of
// one position, so a restarted worker decodes and binds exactly as the one
// before it did, whatever DDL the source ran since (information_schema is
// already past the checkpoint: a column added later, a table renamed later).
//
//   position   the DDL statement (or stream start) the state is as of
//   tracked    every table the schema tracker follows, bound or not (shadow
//              tables of online schema change tools are tracked before they
//              are renamed in), with its default charset
//   bound      tables whose changes are applied
//   copying    tables that entered the task and whose copy is not done
//   databases  the database patterns the tracker followed
//   drift      by bound table, what ignored DDL left its destination table as
//              (sink::DestinationDrift): columns, and the table's name after
//              an ignored rename_table
//   ignored    tables created under ddl.create_table: ignore, never bound
//
// Written atomically (core/atomic_file) after each DDL statement the task
// applies and whenever a copy starts or ends. The DDL itself is recorded at
// the destination first (Sink::ApplySchemaChanges), so on restart a DDL
// after `position` is replayed and finds the destination done or not.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "sink/sink.hpp"
#include "source/source.hpp"

namespace dbsync::pipeline {

using source::TrackedTable;

struct SchemaState {
  BinlogPosition position;
  // Where the binlog ended when the definitions were first read from the
  // source's catalog (empty once a restart read none): a CREATE TABLE
  // replayed from before it is already among them.
  BinlogPosition catalog_position;
  std::vector<TrackedTable> tracked;
  std::set<std::string> bound;    // "db.table"
  std::set<std::string> copying;  // "db.table"
  std::vector<std::string> databases;
  std::map<std::string, sink::DestinationDrift> drift;  // "db.table", bound tables with one
  std::set<std::string> ignored;                        // "db.table"
  // Written by a version before `bound` existed: only the bound tables' schemas.
  bool legacy = false;

  const TrackedTable* Find(const std::string& name) const;

  // nullopt when the file does not exist; kCorruption when it cannot be read.
  static Result<std::optional<SchemaState>> Load(const std::string& path);
  Status Save(const std::string& path) const;
};

}  // namespace dbsync::pipeline
