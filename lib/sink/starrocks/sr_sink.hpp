#pragma once
// The StarRocks sink: Primary Key tables made over the FE's query port, rows
// loaded through the Stream Load transaction interface (sr_stream_load.hpp),
// bookkeeping in sync_state (sr_state.hpp).
//
// Exactly-once, mode (b) of sink.hpp, made stronger by the transaction
// interface (as Flink's two-phase commit sinks do):
//   1. before a load is begun its label is recorded as pending in the
//      task's checkpoint row;
//   2. each table's changes of the batch (coalesced to the last image per key,
//      `__op` upsert or delete) are loaded into its transaction and prepared;
//      nothing is visible yet, and a refused row fails the batch with no
//      table changed;
//   3. the checkpoint row is written with the new position, the previous one
//      and the prepared labels: from here the batch counts as applied;
//   4. each prepared load is committed.
// After a crash, LoadCheckpoint commits the labels the row names (commit is
// idempotent: "already committed" is success) and rolls back the pending
// ones, so the destination is exactly at the checkpoint. Should a recorded
// load be gone (a prepared transaction outlives prepared_timeout, 24 h by
// default, or its label outlives label_keep_max_second), the checkpoint falls
// back to `previous`: the batch is applied again, and since every table has
// a key and a batch applies last images per key, tables that did commit
// converge (the argument of mode (b)).
//
// Full initialization: each chunk is one transaction whose label is recorded
// (state loading) before it begins, then prepared, recorded (prepared, with
// the snapshot position), committed, and recorded done. CompletedChunks
// finishes what a crash interrupted the same way.
//
// DDL is applied over the query port and waits for StarRocks' asynchronous
// schema change jobs (SHOW ALTER TABLE COLUMN) before any row of the new
// shape is loaded; the statement's position is recorded in the checkpoint
// row. A statement replayed after a crash finds its effect in the catalog
// (duplicate column, table already there) and is taken as applied.

#include <memory>
#include <string>

#include "config/task_spec.hpp"
#include "sink/sink.hpp"

namespace dbsync::starrocks {

Result<std::unique_ptr<sink::Sink>> OpenStarRocksSink(const config::TaskSpec& spec, const std::string& task_id);

}  // namespace dbsync::starrocks
