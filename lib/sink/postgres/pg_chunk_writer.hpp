#pragma once
// One snapshot chunk into PostgreSQL/Hologres: BEGIN; COPY table FROM STDIN
// (text format, or binary where the destination takes it); the rows;
// INSERT INTO sync_state.snapshot_chunks; COMMIT.
// The chunk's rows and its "done" record commit together or not at all.
// Destroying the writer without Commit aborts the COPY and rolls back.
//
// Uses the sink's connection (not owned): destroy the writer before the sink.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "sink/postgres/pg_apply.hpp"
#include "sink/postgres/pg_exec.hpp"
#include "sink/postgres/pg_partitions.hpp"
#include "sink/postgres/pg_types.hpp"
#include "sink/sink.hpp"

namespace dbsync::postgres {

class PgChunkWriter : public sink::ChunkWriter {
 public:
  struct Chunk {
    std::string task_id;
    std::string source_table;  // db.table
    std::string dest_display;  // schema.table, for messages
    int index = 0;
    BinlogPosition position;
  };

  // Begins the transaction and the COPY into `copy_target` ("schema"."table"
  // (cols)), in COPY's binary format when `binary` (pg_binary_copy.hpp says when it may be).
  static Result<std::unique_ptr<PgChunkWriter>> Open(PGconn* conn, ValueEncoder& encoder,
                                                     std::vector<PgColumn> columns, std::vector<size_t> key,
                                                     const std::string& copy_target, Chunk chunk,
                                                     bool binary = false);
  ~PgChunkWriter() override;

  Status Write(const std::vector<Value>& row) override;
  Status Commit() override;

 private:
  PgChunkWriter(PGconn* conn, ValueEncoder& encoder, std::vector<PgColumn> columns, std::vector<size_t> key,
                Chunk chunk, bool binary)
      : conn_(conn), encoder_(encoder), columns_(std::move(columns)), key_(std::move(key)), chunk_(std::move(chunk)),
        binary_(binary) {}
  Status Fail(Status s);

  PGconn* conn_;
  ValueEncoder& encoder_;
  std::vector<PgColumn> columns_;
  std::vector<size_t> key_;  // key column indexes, to name a bad row
  Chunk chunk_;
  bool binary_;
  std::unique_ptr<Transaction> txn_;
  std::optional<CopyIn> copy_;
  std::string buffer_;
  Status failed_;
  bool committed_ = false;
  long rows_ = 0;
};

// One snapshot chunk into a table whose rows stay (mode: existing): the rows
// are merged like inserts of real-time sync, with the table's on_conflict,
// since COPY would fail on the first key already there. In the same
// transaction as the chunk record, as PgChunkWriter's. Keyed tables only.
class PgMergingChunkWriter : public sink::ChunkWriter {
 public:
  // A partitioned table's `children` (the sink's) get the children its rows
  // need as PgPartitionedChunkWriter's do: before the transaction begins, or
  // by rolling the chunk back with kUnavailable.
  static Result<std::unique_ptr<PgMergingChunkWriter>> Open(Connection& conn, BatchApplier applier, ApplyTarget target,
                                                            PgChunkWriter::Chunk chunk,
                                                            PartitionChildren* children = nullptr);
  ~PgMergingChunkWriter() override;

  Status Write(const std::vector<Value>& row) override;
  Status Commit() override;

 private:
  PgMergingChunkWriter(Connection& conn, BatchApplier applier, ApplyTarget target, PgChunkWriter::Chunk chunk,
                       PartitionChildren* children)
      : conn_(conn), applier_(std::move(applier)), target_(std::move(target)), chunk_(std::move(chunk)),
        children_(children) {}
  Status Flush();
  Status MakeChildren();
  Status Fail(Status s);

  Connection& conn_;
  BatchApplier applier_;
  ApplyTarget target_;
  PgChunkWriter::Chunk chunk_;
  PartitionChildren* children_;
  std::unique_ptr<Transaction> txn_;  // begun by the first flush
  std::vector<sink::RowChange> pending_;
  size_t pending_values_ = 0;
  Status failed_;
  bool committed_ = false;
  long rows_ = 0;
};

// One snapshot chunk into a partitioned table (tables[].partition): the rows
// are gathered by partition value, up to `bound_bytes` of COPY text, and each
// value's rows are COPYed into its child table (Hologres takes COPY into
// children only, specs/hologres.md 3.1); children missing are created before
// the chunk's transaction begins. When a chunk outgrows the bound and a later
// row needs a new child, the chunk rolls back with kUnavailable after making
// it: Hologres cannot create a table inside the transaction (4.6), and on
// PostgreSQL that would wait for the lock that the task's other writers of
// the table hold. The chunk is then copied again, and finds the child.
class PgPartitionedChunkWriter : public sink::ChunkWriter {
 public:
  static constexpr size_t kDefaultBoundBytes = 32 << 20;
  // `children` is the sink's, and must outlive the writer.
  static Result<std::unique_ptr<PgPartitionedChunkWriter>> Open(Connection& conn, ValueEncoder& encoder,
                                                                ApplyTarget target, PartitionChildren& children,
                                                                PgChunkWriter::Chunk chunk,
                                                                size_t bound_bytes = kDefaultBoundBytes);
  ~PgPartitionedChunkWriter() override;

  Status Write(const std::vector<Value>& row) override;
  Status Commit() override;

 private:
  PgPartitionedChunkWriter(Connection& conn, ValueEncoder& encoder, ApplyTarget target, PartitionChildren& children,
                           PgChunkWriter::Chunk chunk, size_t bound_bytes)
      : conn_(conn), encoder_(encoder), target_(std::move(target)), children_(children), chunk_(std::move(chunk)),
        bound_(bound_bytes) {}
  Status Flush();
  Status Fail(Status s);

  Connection& conn_;
  ValueEncoder& encoder_;
  ApplyTarget target_;
  PartitionChildren& children_;
  PgChunkWriter::Chunk chunk_;
  size_t bound_;
  std::map<std::string, std::string> groups_;  // partition value -> COPY text of its rows
  size_t bytes_ = 0;
  std::unique_ptr<Transaction> txn_;  // begun by the first flush
  Status failed_;
  bool committed_ = false;
  long rows_ = 0;
};

// Records the chunk as done (inside the chunk's transaction).
Status RecordChunk(PGconn* conn, const PgChunkWriter::Chunk& chunk, long rows);

}  // namespace dbsync::postgres
