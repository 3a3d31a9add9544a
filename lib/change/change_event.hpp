#pragma once
// Source-neutral change events: what real-time sync reads from a source,
// whatever the source is. A source (the MySQL binlog today) turns its log
// into committed transactions of row changes and statements, in commit order;
// the pipeline routes them to the sink without knowing the source's format.
// Modelled on the fields a Debezium change event and go-mysql's canal row
// events carry: table, operation, before and after images, the source
// position and commit time, the transaction id.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::change {

// One row change, with full row images in source column order.
struct RowChange {
  enum class Op { kInsert, kUpdate, kDelete };
  Op op = Op::kInsert;
  std::vector<Value> before;  // kUpdate, kDelete
  std::vector<Value> after;   // kInsert, kUpdate
  int64_t commit_time = 0;    // its transaction's, UTC epoch seconds (set when it is routed to a batch)
  int64_t sequence = 0;       // its transaction's commit position, BinlogPosition::Sequence() (set then too)
};

// The row changes of one source statement on one table.
struct RowsEvent {
  std::string db, table;
  // False when the source left columns out of the images (MySQL's
  // binlog_row_image MINIMAL or NOBLOB): such rows cannot be applied.
  bool full_image = true;
  std::vector<RowChange> rows;
};

// A table a statement names.
struct TableRef {
  std::string db, table;
};

// A statement in the source's own language. DDL is applied by the source's
// schema tracking (its SchemaChange list); other statements (non-transactional
// engines in statement format) carry no rows and are skipped.
struct StatementEvent {
  std::string default_db;
  std::string sql;
  bool is_ddl = false;
  // DML logged as a statement (binlog_format=STATEMENT in its session): its
  // rows are not in the binlog; `tables` holds the table it changes, if known.
  bool is_dml = false;
  // The tables the statement names, when the source could tell.
  std::vector<TableRef> tables;
  bool tables_known = true;
  std::string dropped_database;  // DROP DATABASE: its name
};

using Event = std::variant<RowsEvent, StatementEvent>;

// A committed source transaction, or a piece of one (see `partial`).
struct Transaction {
  std::vector<Event> events;
  BinlogPosition commit_position;  // where the source resumes after it
  std::string id;                  // the source's transaction id (a GTID), if any
  int64_t commit_time = 0;         // UTC epoch seconds on the source
  bool is_ddl = false;             // a single DDL statement
  // A piece of a transaction too large to hold in memory, or the DDL that
  // opens a transaction (CREATE TABLE ... SELECT): more pieces follow, and
  // the last one (partial == false) carries the commit position. The pieces
  // are applied in one destination transaction; a piece's commit_position is
  // never a resume point.
  bool partial = false;
};

// Which definition a table's rows are decoded with, at `at` (before the
// commit of the transaction they are in); nullptr: the source's own metadata
// (a table the task does not read, or one whose rows are skipped).
using SchemaResolver =
    std::function<const TableSchema*(const std::string& db, const std::string& table, const BinlogPosition& at)>;

// A source's committed transactions in commit order, exactly once each
// across reconnects. Not thread-safe.
class ChangeStream {
 public:
  virtual ~ChangeStream() = default;
  // The next transaction (or piece), or nullopt when none committed within
  // `wait`. Errors are final for this stream (purged or corrupt log).
  virtual Result<std::optional<Transaction>> Next(std::chrono::milliseconds wait) = 0;
};

}  // namespace dbsync::change
