#pragma once
// Step 2, full initialization: every bound table copied chunk by chunk, in
// parallel, resumable. The chunk plan of a table is saved before its first
// chunk is read, so after a crash the same boundaries are reused and the
// sink's record of completed chunks (committed with the rows) says exactly
// what remains.

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/logger.hpp"
#include "pipeline/progress.hpp"
#include "sink/registry.hpp"
#include "sink/sink.hpp"
#include "source/source.hpp"

namespace dbsync::pipeline {

struct FullInitOptions {
  source::SourceFactory open_source;  // one source per copying thread
  int parallelism = 4;
  // runtime.max_source_connections: planning holds two source connections
  // (released before the chunks are read), reading one per thread, and the
  // caller holds `connections_held` meanwhile (real-time sync's catalog and
  // binlog, for a copy beside it); the threads are as many as fit. 0: no cap.
  int max_connections = 0;
  int connections_held = 0;
  uint64_t chunk_rows = 100000;
  std::string plan_dir;  // <task>/snapshot
  std::string task_id;
  // Destination tables ("schema.table") of bound tables not copied in this
  // call: a copied table that shares one is never emptied first.
  std::vector<std::string> other_destinations;
  // Where tables that are not copied (config::IsCopiedTable) start following
  // the binlog; empty: the source's current position.
  BinlogPosition start_from;
  // How the destination is opened (the registry; tests pass an in-memory sink).
  sink::SinkFactory open_sink = sink::OpenSink;
};

// Copies every table (those not copied by the spec: records their start
// position instead, once); returns each table's snapshot position: the binlog
// position up to which the copied rows already contain every change (the
// oldest chunk's position). A table that no longer exists at the source
// (dropped or renamed after it was listed) has no position: its copy is given
// up with a WARN, and the binlog says what became of it. kCancelled when
// `stop` was raised.
Result<std::map<std::string, BinlogPosition>> RunFullInitialization(const config::TaskSpec& spec,
                                                                    const std::vector<sink::TableBinding>& tables,
                                                                    const FullInitOptions& options, Logger& log,
                                                                    Progress& progress, const std::atomic<bool>& stop);

// Whether `table`'s full initialization is complete: its chunk plan is saved
// and the sink has every chunk of it, or it is a table not copied (its plan
// records where its changes are followed from).
Result<bool> IsCopied(const FullInitOptions& options, const sink::TableBinding& table, sink::Sink& sink);

// Forgets `table`'s chunk plan, so that its next copy plans afresh (a table
// that entered the task under a name an earlier table was copied under).
Status ForgetCopy(const FullInitOptions& options, const sink::TableBinding& table);

}  // namespace dbsync::pipeline
