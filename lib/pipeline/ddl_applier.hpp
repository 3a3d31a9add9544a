#pragma once
// Source DDL in the binlog, applied to the tracked schemas, the task's table
// bindings and the destination, under the task's ddl policies:
//   normal  apply at the destination;
//   alert   log a warning, then apply;
//   error   stop the task with an error naming the statement;
//   ignore  supported for drop_table and truncate_table (the destination keeps
//           the table or its rows); other kinds are refused when the task
//           starts, because skipping them would leave rows without a place.
// The tracked schemas are saved after each applied DDL so a restarted worker
// decodes later rows with the schema they were written with.

#include <map>
#include <memory>
#include <string>

#include "core/logger.hpp"
#include "sink/sink.hpp"
#include "source/mysql/schema_tracker.hpp"

namespace dbsync::pipeline {

using Bindings = std::map<std::string, std::unique_ptr<sink::TableBinding>>;

// kInvalidArgument when the spec asks for a policy this version cannot honour.
Status ValidateDdlPolicies(const config::TaskSpec& spec);

class DdlApplier {
 public:
  DdlApplier(const config::TaskSpec& spec, mysql::SchemaTracker tracker, std::string schema_file, Logger& log)
      : spec_(&spec), tracker_(std::move(tracker)), schema_file_(std::move(schema_file)), log_(log) {}

  // Loads the tracker from the source, then overlays the schemas saved by an
  // earlier worker, which are as of the checkpoint rather than as of now.
  static Result<std::unique_ptr<DdlApplier>> Create(const config::TaskSpec& spec, mysql::Connection& conn,
                                                    std::string schema_file, Logger& log);

  // Applies one DDL statement committed at `position`; `committed` is the
  // checkpoint already durable before it. `bindings` is updated (tables
  // created, dropped, renamed or changed).
  //
  // Order, for crash safety: destination DDL (checkpoint left at `committed`),
  // then the backfill of added columns, then the tracked schemas are saved
  // with `position`; the caller's next batch moves the checkpoint past the
  // DDL. A restart before the save replays the DDL (every destination step is
  // idempotent); a restart after it skips DDL at or before the saved position.
  Status Apply(const std::string& default_db, const std::string& sql, const BinlogPosition& position,
               const BinlogPosition& committed, Bindings& bindings, sink::Sink& sink, mysql::Connection& conn);
  // `sync apply`: from now on the task's spec is `spec` (which must outlive
  // this), whose selection may reach into more databases.
  Status Follow(const config::TaskSpec& spec, mysql::Connection& conn);
  // The tracked definition of a bound table, for decoding.
  const TableSchema* Find(const std::string& db, const std::string& table) const { return tracker_.Find(db, table); }

 private:
  Status ApplyChange(const mysql::SchemaChange& change, const BinlogPosition& position, Bindings& bindings,
                     sink::Sink& sink, mysql::Connection& conn);
  // MySQL gives existing rows an added column's default without row events.
  Status FillAddedColumn(const mysql::SchemaChange& change, const sink::TableBinding& table, sink::Sink& sink,
                         mysql::Connection& conn);
  Status Save(const BinlogPosition& position, const Bindings& bindings) const;

  const config::TaskSpec* spec_;
  mysql::SchemaTracker tracker_;
  std::string schema_file_;
  BinlogPosition saved_position_;  // of the saved schemas: DDL up to here is already applied
  Logger& log_;
};

}  // namespace dbsync::pipeline
