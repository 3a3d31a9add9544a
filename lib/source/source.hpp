#pragma once
// A source as the pipeline sees it, whatever database it is: its catalog, a
// snapshot reader that copies tables in chunks, a change stream of committed
// transactions (change/change_event.hpp), and the schema history that turns
// the source's DDL into source-neutral schema changes
// (change/schema_change.hpp). The pipeline includes nothing else of a source;
// lib/source/mysql/ implements it for MySQL and MariaDB.
//
// Contracts:
//  - A Source holds one catalog connection and is not thread-safe; what it
//    opens (snapshot readers, change streams) owns its own connection and may
//    be used on another thread. Open one Source per thread that needs a
//    catalog.
//  - Snapshot and change stream meet at source positions (BinlogPosition): a
//    chunk read at position P holds every change committed up to P, so the
//    change stream read from P on neither loses nor doubles a change (replays
//    of changes the chunk already holds are idempotent upserts by key).
//  - Chunk bounds are the source's own literals, opaque to the pipeline: it
//    saves them in the table's chunk plan and hands them back unchanged.

#include <chrono>
#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "change/change_event.hpp"
#include "change/schema_change.hpp"
#include "config/task_spec.hpp"
#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "core/table_schema.hpp"
#include "core/value.hpp"

namespace dbsync::source {

using TableFilter = std::function<bool(const std::string& db, const std::string& table)>;

// A table's defaults for columns added later without their own (MySQL: the
// table's default character set and collation).
struct TableDefaults {
  std::string charset;
  std::string collation;
  bool operator==(const TableDefaults&) const = default;
};

struct TrackedTable {
  TableSchema schema;
  TableDefaults defaults;
};

// What a DDL statement names, read without applying it.
struct StatementTables {
  bool creates_table = false;  // CREATE TABLE (any form) or RENAME TABLE
  std::vector<change::TableRef> tables;
};

// The source's table definitions as its DDL changes them, from one position
// on. Every call either applies a whole statement or changes nothing.
class SchemaHistory {
 public:
  virtual ~SchemaHistory() = default;

  // Applies one DDL statement; the changes it made to tracked tables, in the
  // order the source made them (empty for statements that change none).
  // kFailedPrecondition when the statement contradicts the tracked
  // definitions (a table it creates exists already, one it alters is not
  // there); the message quotes the statement.
  virtual Result<std::vector<SchemaChange>> Apply(const std::string& default_db, const std::string& sql) = 0;
  virtual Result<StatementTables> Inspect(const std::string& default_db, const std::string& sql) const = 0;

  // The tracked definition, or nullptr. Valid until the next non-const call.
  virtual const TableSchema* Find(const std::string& db, const std::string& table) const = 0;
  bool IsTracked(const std::string& db, const std::string& table) const { return Find(db, table) != nullptr; }
  // Every tracked table with its defaults, sorted by name.
  virtual std::vector<TrackedTable> Tables() const = 0;
  virtual std::optional<TableDefaults> DefaultsOf(const std::string& db, const std::string& table) const = 0;

  // Starts tracking a table, or replaces its definition (defaults empty:
  // the database's).
  virtual void Add(const TrackedTable& table) = 0;
  // Which tables are tracked from now on (CREATE TABLE, RENAME into them).
  virtual void SetFilter(TableFilter filter) = 0;
  // Tables `wanted` accepts that `already` did not start from the catalog;
  // then `wanted` is the filter (`sync apply` reaching into more databases).
  virtual Status Extend(const TableFilter& already, const TableFilter& wanted) = 0;
  // Re-reads one table from the catalog (after a change whose result the
  // statement alone does not tell); NotFound when it no longer exists, which
  // also stops tracking it.
  virtual Status Reload(const std::string& db, const std::string& table) = 0;
};

// One chunk of a table: rows with keys in (lower, upper], in the source's
// literals; `lower` empty for the first chunk, `upper` for the last.
struct Chunk {
  int index = 0;
  std::vector<std::string> lower;
  std::vector<std::string> upper;

  nlohmann::json ToJson() const;
  static Chunk FromJson(const nlohmann::json& j);
};

using Row = std::vector<Value>;
// Receives each row; a non-OK Status stops the read and is returned.
using RowSink = std::function<Status(Row&& row)>;

struct ReadStats {
  uint64_t rows = 0;
  uint64_t bytes = 0;  // payload bytes of variable-length columns
};

struct ChunkResult {
  BinlogPosition position;
  bool exact_position = false;  // false: a low watermark (changes after it may be in the chunk too)
  ReadStats stats;
};

// Reads chunks, each in a consistent snapshot whose position is known.
// Thread-compatible: one reader per thread.
class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  // Splits the table into chunks of about `rows_per_chunk` rows by its key
  // (`table.primary_key`); a table without one is one chunk. `key_is_unique`:
  // the key tells rows apart (not a split_column), so a range of key values
  // bounds how many rows it holds.
  virtual Result<std::vector<Chunk>> PlanChunks(const TableSchema& table, uint64_t rows_per_chunk,
                                                bool key_is_unique) = 0;
  // Reads one chunk row by row. `on_start` learns the snapshot's position
  // before the first row arrives. NotFound when the table no longer exists.
  using StartCallback = std::function<Status(const BinlogPosition& position, bool exact)>;
  virtual Result<ChunkResult> ReadChunk(const TableSchema& table, const Chunk& chunk, const RowSink& sink,
                                        const StartCallback& on_start) = 0;
};

struct ChangeStreamOptions {
  // Transactions with more row changes arrive in pieces (0: never split).
  size_t max_transaction_rows = 0;
  // ... or more bytes of decoded rows (Value::MemoryBytes; 0: never split by size).
  size_t max_transaction_bytes = 0;
  // Told about each reconnect that succeeded, and each attempt that failed
  // (its number since the connection was lost, and why; 0: the loss itself).
  std::function<void(const std::string&)> on_reconnect;
  std::function<void(int attempt, const std::string& error)> on_reconnect_failed;
  // Raised: a reconnect gives up at once (kCancelled), so a stop is not held
  // up by a source that is gone.
  const std::atomic<bool>* stop = nullptr;
  // Told when the stream resumed by GTID on a server whose binlog is not the
  // one the start position names (a replica took over): from then on the
  // positions are the new server's, and do not compare with earlier ones.
  std::function<void(const std::string& why)> on_history_switch;
  // Rows of the tables it resolves decode with these definitions.
  change::SchemaResolver schemas;
};

// What the rows that existed when a column was added received in it.
struct AddedColumnFill {
  std::optional<Value> value;  // nullopt: NULL
  // Set when the source computed the value and it cannot be known here
  // (an expression default): existing rows keep NULL at the destination.
  std::string warning;
};

class Source {
 public:
  virtual ~Source() = default;

  // The base tables the spec's include/exclude select, with their definitions.
  virtual Result<std::vector<TableSchema>> SelectedTables(const config::SourceSpec& spec) = 0;
  // Every table `filter` accepts, from the catalog, as a history starting now.
  virtual Result<std::unique_ptr<SchemaHistory>> LoadSchemaHistory(const TableFilter& filter) = 0;
  // Where the change stream ends now.
  virtual Result<BinlogPosition> CurrentPosition() = 0;
  // The catalog's row estimate (0 when unknown), for progress.
  virtual uint64_t EstimatedRows(const std::string& db, const std::string& table) = 0;
  // The value existing rows hold in a column `change` (kAddColumn) added,
  // read from the catalog right after the change is met.
  virtual Result<AddedColumnFill> AddedColumnValue(const SchemaChange& change) = 0;

  virtual Result<std::unique_ptr<SnapshotReader>> OpenSnapshotReader() = 0;
  virtual Result<std::unique_ptr<change::ChangeStream>> OpenChangeStream(ChangeStreamOptions options,
                                                                         const BinlogPosition& from) = 0;
};

// Opens sources for the task's spec: the only source type is MySQL or
// MariaDB (lib/source/mysql/mysql_source.cpp); a second one would make this a
// registry like sink/registry.hpp. `password` is resolved.
using SourceFactory = std::function<Result<std::unique_ptr<Source>>()>;
SourceFactory MakeSourceFactory(const config::SourceSpec& spec, const std::string& password);

}  // namespace dbsync::source
