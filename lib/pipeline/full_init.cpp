#include "pipeline/full_init.hpp"

#include "core/text_util.hpp"
#include "sink/registry.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/atomic_file.hpp"
#include "sink/crash_point.hpp"

namespace dbsync::pipeline {
namespace {

struct WorkItem {
  const sink::TableBinding* table;
  std::shared_ptr<const TableSchema> keyed;  // the source schema with what its chunks are bounded by as its key
  source::Chunk chunk;
};

// The schema a copy reads by, chunk bounds and all: the binding's key as its
// key, or tables[].split_column's column (the plan records which, so a
// changed setting never reads an old plan's bounds on another column).
Result<std::shared_ptr<const TableSchema>> ChunkingSchema(const sink::TableBinding& t, const std::string& split_column) {
  auto keyed = std::make_shared<TableSchema>(t.source);
  keyed->primary_key = t.key;
  if (split_column.empty()) return std::shared_ptr<const TableSchema>(keyed);
  const std::string setting = "tables[].split_column of " + t.SourceName();
  int i = t.source.ColumnIndex(split_column);
  if (i < 0) {
    std::vector<std::string> names;
    for (const auto& c : t.source.columns) names.push_back(c.name);
    return Status::InvalidArgument(setting + " names column '" + split_column + "', which the table does not have; "
                                   "did you mean '" + NearestWord(split_column, names) + "'?");
  }
  if (t.key.empty())
    return Status::InvalidArgument(setting + ": a table without a key is copied whole, in one snapshot (its rows "
                                   "could not be told apart when the binlog since a chunk's snapshot is replayed); "
                                   "remove split_column or set tables[].primary_key");
  if (t.source.columns[size_t(i)].nullable)
    return Status::InvalidArgument(setting + ": column " + split_column + " may be NULL, and chunks bounded by "
                                   "its values would leave such rows out; choose a NOT NULL column");
  keyed->primary_key = {split_column};
  return std::shared_ptr<const TableSchema>(keyed);
}

// Whether the chunking key tells rows apart: the source's own primary key,
// not a split_column nor a tables[].primary_key the source does not enforce.
bool KeyIsUnique(const sink::TableBinding& t, const std::string& split_column) {
  return split_column.empty() && !t.key.empty() && t.key == t.source.primary_key;
}

std::string PlanFile(const FullInitOptions& o, const sink::TableBinding& t) {
  return o.plan_dir + "/" + t.SourceName() + ".plan.json";
}

// Whether loading `t` without its key and building the key afterwards is
// likely faster (Sink::DropKeyForLoad). init_bench (bench/README.md): with
// rows of a few fixed-width columns the key's index is a large share of what
// a row writes, and one sorted build after the load took 25-45% less time;
// with text-heavy rows it took 18-29% more (the build reads the whole heap
// again for an index that cost little during the load). A table of one
// chunk loads too fast for the key's own statements to pay (scale_bench).
bool KeyAfterLoadPays(const sink::TableBinding& t, size_t chunks) {
  constexpr int kNarrowRowBytes = 64;
  if (chunks < 2) return false;
  static const std::map<std::string, int> kFixedWidth = {
      {"tinyint", 1}, {"smallint", 2}, {"mediumint", 4}, {"int", 4},    {"bigint", 8},    {"float", 4},
      {"double", 8},  {"date", 4},     {"datetime", 8},  {"timestamp", 8}, {"time", 8},   {"year", 2}};
  int bytes = 0;
  for (const auto& c : t.source.columns) {
    if (c.data_type == "decimal") {
      bytes += 8 + c.precision / 2;  // PostgreSQL numeric: a header and base-10000 digits
      continue;
    }
    auto width = kFixedWidth.find(c.data_type);
    if (width == kFixedWidth.end()) return false;  // text, binary, JSON, enum: not narrow
    bytes += width->second;
  }
  return bytes <= kNarrowRowBytes;
}

// The table's saved plan, or a new one (after emptying the destination table:
// a plan that was never saved means no chunk of this table was ever committed
// under it).
struct ChunkPlan {
  std::vector<source::Chunk> chunks;
  std::shared_ptr<const TableSchema> schema;  // what the chunks are bounded by
  // A new plan, to be saved (WriteFilesAtomically, once for every table)
  // before any of its chunks is copied: its text; empty for a saved plan.
  std::string unsaved;
};

Result<ChunkPlan> LoadOrMakePlan(const FullInitOptions& o, const sink::TableBinding& t, bool shared_destination,
                                 source::SnapshotReader& reader, sink::Sink& sink) {
  auto saved = ReadFile(PlanFile(o, t));
  if (saved.ok()) {
    auto j = nlohmann::json::parse(*saved, nullptr, false);
    if (j.is_discarded() || !j.contains("chunks"))
      return Status::Corruption("chunk plan " + PlanFile(o, t) + " is damaged; delete it to re-copy the table");
    ChunkPlan plan;
    for (const auto& c : j["chunks"]) plan.chunks.push_back(source::Chunk::FromJson(c));
    SYNC_ASSIGN_OR_RETURN(plan.schema, ChunkingSchema(t, j.value("split_column", "")));
    return plan;
  }
  const config::TableSpec* settings = t.settings;
  const std::string split_column = settings ? settings->split_column : "";
  ChunkPlan plan;
  SYNC_ASSIGN_OR_RETURN(plan.schema, ChunkingSchema(t, split_column));
  // Leftovers of an earlier copy would collide with the new one, so the table
  // is emptied first, unless it is not ours alone to empty: a mode: existing
  // table, or one that several source tables (shards) merge into. There,
  // stale rows make the copy fail loudly instead of deleting anyone's data.
  bool existing = t.existing();
  if (!existing && !shared_destination) SYNC_RETURN_IF_ERROR(sink.ResetTable(t));
  SYNC_ASSIGN_OR_RETURN(plan.chunks,
                        reader.PlanChunks(*plan.schema, settings && settings->no_split ? 0 : o.chunk_rows,
                                          KeyIsUnique(t, split_column)));
  if (!existing && !shared_destination && KeyAfterLoadPays(t, plan.chunks.size()))
    SYNC_RETURN_IF_ERROR(sink.DropKeyForLoad(t));
  nlohmann::json j = {{"table", t.SourceName()}, {"chunks", nlohmann::json::array()}};
  if (!split_column.empty()) j["split_column"] = split_column;
  for (const auto& c : plan.chunks) j["chunks"].push_back(c.ToJson());
  plan.unsaved = j.dump();
  return plan;
}

// A table not copied: where its changes are followed from, recorded in its
// plan the first time so that every later start agrees.
Result<std::optional<BinlogPosition>> SkippedAt(const FullInitOptions& o, const sink::TableBinding& t) {
  auto saved = ReadFile(PlanFile(o, t));
  if (!saved.ok()) return std::optional<BinlogPosition>();
  auto j = nlohmann::json::parse(*saved, nullptr, false);
  if (j.is_discarded() || !j.contains("skipped_at")) return std::optional<BinlogPosition>();
  return std::optional<BinlogPosition>(BinlogPosition::FromJson(j["skipped_at"]));
}

Result<BinlogPosition> SkipCopy(const FullInitOptions& o, const sink::TableBinding& t, source::Source& catalog) {
  SYNC_ASSIGN_OR_RETURN(auto at, SkippedAt(o, t));
  if (at) return *at;
  BinlogPosition from = o.start_from;
  if (from.empty()) {
    SYNC_ASSIGN_OR_RETURN(from, catalog.CurrentPosition());
  }
  nlohmann::json j = {{"table", t.SourceName()}, {"chunks", nlohmann::json::array()}, {"skipped_at", from.ToJson()}};
  SYNC_RETURN_IF_ERROR(WriteFileAtomically(PlanFile(o, t), j.dump()));
  return from;
}

// The spec's validation (config::kMinSourceConnections) leaves room for two
// readers beside real-time sync; at least one whatever the numbers.
int ReadersAllowed(const FullInitOptions& options) {
  if (options.max_connections <= 0) return options.parallelism;
  return std::max(1, options.max_connections - options.connections_held);
}

// The keys a copy loaded without (Sink::BuildKeys), before any change of
// these tables is applied.
Status BuildKeys(const std::vector<sink::TableBinding>& tables, const std::set<std::string>& vanished,
                 sink::Sink& sink, Logger& log) {
  std::vector<const sink::TableBinding*> present;
  for (const auto& t : tables)
    if (!vanished.count(t.SourceName())) present.push_back(&t);
  const auto started = std::chrono::steady_clock::now();
  SYNC_ASSIGN_OR_RETURN(auto built, sink.BuildKeys(present));
  if (built.empty()) return Status::Ok();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  const size_t named = std::min<size_t>(built.size(), 10);
  std::string names = Join(std::vector<std::string>(built.begin(), built.begin() + long(named)), ", ");
  if (named < built.size()) names += " and " + std::to_string(built.size() - named) + " more";
  log.Info("full initialization built the primary key of " + std::to_string(built.size()) + " table(s) after " +
           "their copy in " + std::to_string(ms.count()) + " ms: " + names);
  return Status::Ok();
}

}  // namespace

Status ForgetCopy(const FullInitOptions& options, const sink::TableBinding& table) {
  const std::string path = PlanFile(options, table);
  if (std::remove(path.c_str()) != 0 && errno != ENOENT)
    return Status::IOError("cannot remove the chunk plan " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<bool> IsCopied(const FullInitOptions& options, const sink::TableBinding& table, sink::Sink& sink) {
  auto saved = ReadFile(PlanFile(options, table));
  if (!saved.ok()) return false;
  auto j = nlohmann::json::parse(*saved, nullptr, false);
  if (j.is_discarded() || !j.contains("chunks"))
    return Status::Corruption("chunk plan " + PlanFile(options, table) + " is damaged; delete it to re-copy the table");
  if (j.contains("skipped_at")) return true;
  SYNC_ASSIGN_OR_RETURN(auto done, sink.CompletedChunks(table));
  size_t planned = j["chunks"].size();
  for (const auto& c : j["chunks"])
    if (!done.count(source::Chunk::FromJson(c).index)) return false;
  return planned > 0;
}

Result<std::map<std::string, BinlogPosition>> RunFullInitialization(const config::TaskSpec& spec,
                                                                    const std::vector<sink::TableBinding>& tables,
                                                                    const FullInitOptions& options, Logger& log,
                                                                    Progress& progress, const std::atomic<bool>& stop) {
  SYNC_RETURN_IF_ERROR(MakeDirs(options.plan_dir, 0700));
  SYNC_ASSIGN_OR_RETURN(auto catalog, options.open_source());
  SYNC_ASSIGN_OR_RETURN(auto planner, catalog->OpenSnapshotReader());
  SYNC_ASSIGN_OR_RETURN(auto planning_sink, options.open_sink(spec, options.task_id));

  std::map<std::string, int> per_destination;
  for (const auto& t : tables) ++per_destination[t.dest_schema + "." + t.dest_table];
  for (const auto& d : options.other_destinations) ++per_destination[d];
  std::deque<WorkItem> queue;
  // Tables dropped or renamed at the source after they were listed: the
  // binlog says what became of them; their copy is given up.
  std::set<std::string> vanished;
  auto gone = [&](const sink::TableBinding& t, const Status& s) {
    if (s.code() != StatusCode::kNotFound) return false;
    log.Warn("full initialization of " + t.SourceName() + " given up: the table no longer exists at the source (" +
             s.message() + "); its DROP or RENAME follows in the binlog");
    vanished.insert(t.SourceName());
    return true;
  };
  std::map<std::string, BinlogPosition> skipped;
  std::vector<std::pair<std::string, std::string>> new_plans;  // path, text
  for (const auto& t : tables) {
    auto p = progress.Table(t.SourceName());
    SYNC_ASSIGN_OR_RETURN(auto skipped_before, SkippedAt(options, t));
    bool copied = config::IsCopiedTable(spec, t.settings);
    if (skipped_before || (!copied && !ReadFile(PlanFile(options, t)).ok())) {
      SYNC_ASSIGN_OR_RETURN(skipped[t.SourceName()], SkipCopy(options, t, *catalog));
      p->state = TableState::kDone;
      log.Info("full initialization of " + t.SourceName() + " skipped (" +
               (spec.sync_mode == config::SyncMode::kRealtimeOnly ? "sync_mode: realtime_only"
                                                                  : "tables[].full_initialization: false") +
               "): its changes are followed from " + skipped[t.SourceName()].ToString());
      continue;
    }
    p->estimated_rows = catalog->EstimatedRows(t.source.db, t.source.table);
    bool shared = per_destination[t.dest_schema + "." + t.dest_table] > 1;
    auto planned = LoadOrMakePlan(options, t, shared, *planner, *planning_sink);
    if (!planned.ok() && gone(t, planned.status())) continue;
    SYNC_ASSIGN_OR_RETURN(ChunkPlan plan, std::move(planned));
    // A plan never saved has no chunk committed under it.
    std::map<int, BinlogPosition> done;
    if (plan.unsaved.empty()) {
      SYNC_ASSIGN_OR_RETURN(done, planning_sink->CompletedChunks(t));
    } else {
      new_plans.emplace_back(PlanFile(options, t), std::move(plan.unsaved));
    }
    p->chunks_total = int(plan.chunks.size());
    p->chunks_done = int(done.size());
    p->state = done.size() == plan.chunks.size() ? TableState::kDone : TableState::kPending;
    for (const auto& c : plan.chunks)
      if (!done.count(c.index)) queue.push_back({&t, plan.schema, c});
    log.Info("full initialization of " + t.SourceName() + ": " + std::to_string(plan.chunks.size()) + " chunks" +
             (plan.schema->primary_key == t.key ? "" : " by " + plan.schema->primary_key.front()) + ", " +
             std::to_string(done.size()) + " already copied");
  }

  // Saved together: one flush each and one directory sync, where a file at a
  // time cost a directory sync each (thousands of tables: scale_bench).
  if (!new_plans.empty()) {
    const auto saving = std::chrono::steady_clock::now();
    SYNC_RETURN_IF_ERROR(WriteFilesAtomically(new_plans).WithContext("saving the chunk plans"));
    log.Info("saved the chunk plans of " + std::to_string(new_plans.size()) + " table(s) in " +
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                  saving)
                                .count()) +
             " ms");
  }
  // Planning is over: its connections make room for the readers'.
  planner.reset();
  catalog.reset();
  const int threads_wanted = std::max(1, std::min<int>(options.parallelism, int(queue.size())));
  const int n = std::min(threads_wanted, ReadersAllowed(options));
  if (n < threads_wanted)
    log.Info("full initialization reads with " + std::to_string(n) + " source connection(s) instead of " +
             std::to_string(threads_wanted) + ": runtime.max_source_connections is " +
             std::to_string(options.max_connections) +
             (options.connections_held ? ", and real-time sync holds " + std::to_string(options.connections_held)
                                       : std::string()));

  std::mutex mu;
  Status first_error;
  auto worker = [&] {
    auto source = options.open_source();
    Result<std::unique_ptr<source::SnapshotReader>> reader =
        source.ok() ? (*source)->OpenSnapshotReader() : Result<std::unique_ptr<source::SnapshotReader>>(source.status());
    auto sink = options.open_sink(spec, options.task_id);
    if (!reader.ok() || !sink.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.ok()) first_error = !reader.ok() ? reader.status() : sink.status();
      return;
    }
    while (!stop) {
      WorkItem item;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (queue.empty() || !first_error.ok()) return;
        item = queue.front();
        queue.pop_front();
      }
      auto p = progress.Table(item.table->SourceName());
      p->state = TableState::kCopying;
      std::unique_ptr<sink::ChunkWriter> writer;
      uint64_t rows = 0;
      auto result = (*reader)->ReadChunk(
          *item.keyed, item.chunk,
          [&](source::Row&& row) {
            if (stop) return Status(StatusCode::kCancelled, "stopping");
            ++rows;
            p->rows.fetch_add(1, std::memory_order_relaxed);
            return writer->Write(row);
          },
          [&](const BinlogPosition& position, bool) -> Status {
            auto w = (*sink)->OpenChunk(*item.table, item.chunk.index, position);
            if (!w.ok()) return w.status();
            writer = std::move(w).value();
            return Status::Ok();
          });
      Status s = result.ok() ? writer->Commit() : result.status();
      if (!s.ok()) {
        p->rows.fetch_sub(rows);
        std::lock_guard<std::mutex> lock(mu);
        if (gone(*item.table, s)) {
          std::erase_if(queue, [&](const WorkItem& w) { return w.table == item.table; });
          continue;
        }
        if (first_error.ok() && s.code() != StatusCode::kCancelled)
          first_error = s.WithContext("copying " + item.table->SourceName() + " chunk " + std::to_string(item.chunk.index));
        return;
      }
      sink::CrashPoint("full_init.chunk_committed");  // the table keyless at the destination (Sink::DropKeyForLoad)
      progress.bytes_read.fetch_add(result->stats.bytes, std::memory_order_relaxed);
      if (++p->chunks_done == p->chunks_total) {
        p->state = TableState::kDone;
        log.Info("full initialization of " + item.table->SourceName() + " done: " + std::to_string(p->rows.load()) +
                 " rows copied in this run");
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < n && !queue.empty(); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  if (stop) return Status(StatusCode::kCancelled, "stopped during full initialization");
  sink::CrashPoint("full_init.copied_before_keys");  // every chunk in, the key not built: the next start builds it
  SYNC_RETURN_IF_ERROR(BuildKeys(tables, vanished, *planning_sink, log));

  std::map<std::string, BinlogPosition> positions;
  for (const auto& t : tables) {
    if (vanished.count(t.SourceName())) continue;
    if (auto it = skipped.find(t.SourceName()); it != skipped.end()) {
      positions[t.SourceName()] = it->second;
      continue;
    }
    SYNC_ASSIGN_OR_RETURN(auto done, planning_sink->CompletedChunks(t));
    BinlogPosition oldest;
    for (const auto& [index, pos] : done)
      if (oldest.empty() || pos.Compare(oldest) < 0) oldest = pos;
    positions[t.SourceName()] = oldest;
  }
  return positions;
}

}  // namespace dbsync::pipeline
