#pragma once
// The PostgreSQL/Hologres sink: sink::Sink over one libpq connection.
//
// Bookkeeping lives in the destination database, schema `sync_state`, so it
// commits in the same transaction as the data it describes:
//   sync_state.checkpoint(task_id PK, binlog_file, binlog_offset, gtid_set, updated_at)
//   sync_state.snapshot_chunks(task_id, source_table, chunk_index PK,
//                              binlog_file, binlog_offset, gtid_set, committed_at)
//   sync_state.table_positions(task_id, source_table PK, binlog_file,
//                              binlog_offset, gtid_set, updated_at)
//   sync_state.ddl_applied(task_id PK, binlog_file, binlog_offset, gtid_set, updated_at)
// snapshot_chunks also records each chunk's snapshot position, which
// CompletedChunks() returns; table_positions holds the positions of tables
// that catch up behind the checkpoint (an empty binlog_file: "its snapshot
// position"). The tables are created on first use.
//
// Every statement names its columns (COPY, INSERT, upsert, delete), so the
// destination's column order may differ from the source's: columns added by
// ApplySchemaChanges are appended wherever the source put them.
//
// Full initialization: COPY (binary where the types allow, pg_binary_copy.hpp)
// into the table plus the chunk's row in one transaction; a table of sync's
// own is loaded without its key, which BuildKeys adds once the copy is done. Real-time sync: per keyed table the batch is collapsed
// per key (last operation wins; a key change is delete old + upsert new) and
// applied set-wise; keyless tables are applied row by row, a delete removing
// exactly one row equal to the before image. See pg_apply.hpp.
//
// Not thread-safe. A ChunkWriter uses the sink's connection: destroy it
// before the sink, and do not call other sink methods while it is open.

#include <map>
#include <memory>
#include <set>
#include <string>

#include "config/task_spec.hpp"
#include "sink/postgres/pg_apply.hpp"
#include "sink/postgres/pg_connection.hpp"
#include "sink/postgres/pg_exec.hpp"
#include "sink/postgres/pg_partitions.hpp"
#include "sink/postgres/pg_types.hpp"
#include "sink/sink.hpp"

namespace dbsync::postgres {

class PgSink : public sink::Sink {
 public:
  // Connects and creates the bookkeeping tables if needed.
  static Result<std::unique_ptr<PgSink>> Open(const Endpoint& endpoint, Dialect dialect, const std::string& task_id);

  Status PrepareTable(const sink::TableBinding& table) override;
  Status ResetTable(const sink::TableBinding& table) override;
  // PostgreSQL: drops the key of a table of sync's own (mode: new, not
  // partitioned), which BuildKeys adds back after the copy. Hologres cannot
  // change a key; SYNC_PG_KEY_AFTER_LOAD=0 keeps it (to measure the gain).
  Status DropKeyForLoad(const sink::TableBinding& table) override;
  Result<std::vector<std::string>> BuildKeys(const std::vector<const sink::TableBinding*>& tables) override;
  Status DropTable(const sink::TableBinding& table) override;
  Result<std::map<int, BinlogPosition>> CompletedChunks(const sink::TableBinding& table) override;
  Result<std::unique_ptr<sink::ChunkWriter>> OpenChunk(const sink::TableBinding& table, int chunk_index,
                                                       const BinlogPosition& snapshot_position) override;
  Status ApplyBatch(const std::vector<sink::TableChanges>& changes, const BinlogPosition& position,
                    const sink::TablePositions& tables = {}) override;
  // PostgreSQL: every step, the fills, the recopy resets and the record of
  // the statement commit in one transaction. Hologres: the DDL steps in one
  // transaction (DDL-only transactions are atomic on every version, specs/
  // hologres.md 4.6), then the fills, resets and the record, each on its own;
  // a crash between them replays the statement, whose steps then find their
  // effect in the catalog (a swap is the exception, see type_mapping.md).
  Status ApplySchemaChanges(const std::vector<sink::SchemaChangeStep>& steps,
                            const BinlogPosition& ddl_position) override;
  Result<std::optional<BinlogPosition>> LastAppliedDdl() override;
  Result<std::optional<BinlogPosition>> LoadCheckpoint() override;
  Result<std::map<std::string, BinlogPosition>> LoadTablePositions() override;
  Status SaveTablePositions(const sink::TablePositions& positions) override;
  Status ForgetTask() override;

  // Upsert strategy for keyed tables (PostgreSQL only; Hologres has no
  // temporary tables and always uses multi-row INSERT). For benchmarks/tests.
  void SetApplyStrategy(ApplyStrategy s) { strategy_ = s; }
  Status ApplyPartial(const std::vector<sink::TableChanges>& changes) override;
  Status FillAddedColumn(const sink::TableBinding& table, const std::string& column, const Value& value) override;
  Connection& connection() { return conn_; }

 private:
  PgSink(Connection conn, Dialect dialect, std::string task_id)
      : conn_(std::move(conn)), dialect_(dialect), task_id_(std::move(task_id)) {}
  Status EnsureBookkeeping();
  // Hologres: the session switches pg_hologres.hpp names, or the refusal of an
  // engine too old for the checkpoint's transaction.
  Status SetUpHologresSession();
  Status SaveCheckpoint(const BinlogPosition& position);
  // Whether full initialization may load `table` without its key (DropKeyForLoad).
  Result<bool> BuildsKeyAfterLoad(const sink::TableBinding& table);
  // Whether a chunk of `table` is copied in COPY's binary format: PostgreSQL
  // only, and only when the destination's column types are those the binary
  // forms are written for (pg_binary_copy.hpp).
  Result<bool> CopiesInBinary(const sink::TableBinding& table, const std::vector<PgColumn>& columns);
  // The task's row of a sync_state table keyed by task_id with a position
  // (checkpoint, ddl_applied).
  Result<std::optional<BinlogPosition>> ReadPosition(const std::string& table);
  Status WritePosition(const std::string& table, const BinlogPosition& position);
  Status WriteTablePositions(const sink::TablePositions& positions);
  Status RunStatements(const std::vector<std::string>& statements);
  // The destination statements of one step, planned against the catalog as
  // the transaction sees it now (mode: existing and partition refusals included).
  Result<std::vector<std::string>> PlanStep(const sink::SchemaChangeStep& step);
  // What follows a step's DDL: the fill of an added column, the reset of a recopied table.
  Status FinishStep(const sink::SchemaChangeStep& step);
  Result<std::vector<PgColumn>> Columns(const sink::TableBinding& table);
  // The ApplyTarget of `table`, with the destination's columns the task does
  // not write, which a replace resets (read once per table).
  Result<ApplyTarget> Target(const sink::TableBinding& table);

  // A batch's changes by destination table, in source order per table.
  struct Grouped {
    std::vector<ApplyTarget> targets;
    std::vector<std::vector<const sink::RowChange*>> rows;
  };
  Result<Grouped> Group(const std::vector<sink::TableChanges>& changes);
  Status ApplyGrouped(const Grouped& grouped);
  // The children of partitioned tables that the rows written need, made
  // before the batch's transaction begins, or in the open transaction of
  // pieces (PostgreSQL; Hologres: kUnavailable after rolling the pieces back
  // and making them, so the worker applies the transaction again).
  Status MakePartitions(const Grouped& grouped);
  Result<PartitionChildren*> ChildrenOf(const ApplyTarget& target);

  Connection conn_;
  std::unique_ptr<Transaction> open_txn_;  // pieces of a large source transaction, not yet committed
  // The last merge of ApplyPartial runs on while the next piece is decoded
  // and encoded; the next ApplyPartial or ApplyBatch settles it.
  DeferredStatement deferred_;
  Dialect dialect_;
  std::string task_id_;
  ValueEncoder encoder_;
  ApplyStrategy strategy_ = ApplyStrategy::kStaging;
  std::set<std::string> staged_;  // temporary staging tables created in this session
  // By qualified destination name; forgotten when DDL is applied.
  struct Unmapped {
    std::vector<std::string> written;   // the columns the task wrote when it was read
    std::vector<std::string> unmapped;  // the others
  };
  std::map<std::string, Unmapped> unmapped_;
  std::map<std::string, PartitionChildren> partitions_;  // by qualified name; forgotten when DDL is applied
};

// COPY's column list and target: "schema"."table" ("a", "b").
std::string CopyTarget(const sink::TableBinding& table, const std::vector<PgColumn>& columns);

}  // namespace dbsync::postgres
