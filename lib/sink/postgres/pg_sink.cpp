#include "sink/postgres/pg_sink.hpp"
#include "sink/schema_migration_log.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

#include "core/text_util.hpp"
#include "sink/postgres/pg_chunk_writer.hpp"
#include "sink/postgres/pg_ddl.hpp"
#include "sink/postgres/pg_binary_copy.hpp"
#include "sink/postgres/pg_hologres.hpp"
#include "sink/postgres/pg_exec.hpp"
#include "sink/postgres/pg_schema_change.hpp"

namespace dbsync::postgres {
namespace {

const char* kBookkeepingDdl[] = {
    "CREATE SCHEMA IF NOT EXISTS sync_state",
    "CREATE TABLE IF NOT EXISTS sync_state.checkpoint (task_id text PRIMARY KEY, binlog_file text, "
    "binlog_offset bigint, gtid_set text, updated_at timestamptz)",
    "CREATE TABLE IF NOT EXISTS sync_state.snapshot_chunks (task_id text NOT NULL, source_table text NOT NULL, "
    "chunk_index integer NOT NULL, binlog_file text, binlog_offset bigint, gtid_set text, rows_copied bigint, "
    "committed_at timestamptz, PRIMARY KEY (task_id, source_table, chunk_index))",
    "CREATE TABLE IF NOT EXISTS sync_state.table_positions (task_id text NOT NULL, source_table text NOT NULL, "
    "binlog_file text, binlog_offset bigint, gtid_set text, updated_at timestamptz, "
    "PRIMARY KEY (task_id, source_table))",
    "CREATE TABLE IF NOT EXISTS sync_state.ddl_applied (task_id text PRIMARY KEY, binlog_file text, "
    "binlog_offset bigint, gtid_set text, updated_at timestamptz)",
};

// Runs idempotent DDL; two sinks racing on CREATE ... IF NOT EXISTS can get a
// unique violation from the catalog, which a second try resolves.
Status RunDdl(PGconn* conn, const std::string& sql) {
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto r = ExecParams(conn, sql);
    if (r.ok()) return Status::Ok();
    last = r.status();
    if (last.code() != StatusCode::kFailedPrecondition) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
  return last;
}


}  // namespace

std::string CopyTarget(const sink::TableBinding& table, const std::vector<PgColumn>& columns) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(QuoteIdentifier(c.name));
  return QualifiedName(table.dest_schema, table.dest_table) + " (" + Join(names, ", ") + ")";
}

Result<std::unique_ptr<PgSink>> PgSink::Open(const Endpoint& endpoint, Dialect dialect, const std::string& task_id) {
  SYNC_ASSIGN_OR_RETURN(Connection conn, Connection::Connect(endpoint));
  std::unique_ptr<PgSink> sink(new PgSink(std::move(conn), dialect, task_id));
  // "already exists, skipping" notices of idempotent DDL are noise on the worker's stderr.
  SYNC_RETURN_IF_ERROR(ExecParams(sink->conn_.handle(), "SET client_min_messages = warning").status());
  if (dialect == Dialect::kHologres) SYNC_RETURN_IF_ERROR(sink->SetUpHologresSession());
  SYNC_RETURN_IF_ERROR(sink->EnsureBookkeeping());
  return sink;
}

Status PgSink::SetUpHologresSession() {
  // hg_version() exists from V0.10; before, version() names the release.
  auto version = conn_.Query("SELECT hg_version()");
  if (!version.ok()) version = conn_.Query("SELECT version()");
  SYNC_RETURN_IF_ERROR(version.status());
  std::optional<HologresVersion> hologres = ParseHologresVersion(version->Scalar());
  if (!hologres) return Status::Ok();  // PostgreSQL speaking the dialect (sync check warns about it)
  SYNC_ASSIGN_OR_RETURN(auto statements, HologresSessionSetup(*hologres));
  for (const auto& sql : statements)
    SYNC_RETURN_IF_ERROR(ExecParams(conn_.handle(), sql).status().WithContext("setting up the Hologres session"));
  return Status::Ok();
}

Status PgSink::EnsureBookkeeping() {
  for (const char* sql : kBookkeepingDdl) {
    Status s = RunDdl(conn_.handle(), sql);
    if (!s.ok())
      return s.WithContext("creating sync's bookkeeping tables in schema sync_state (the destination user needs "
                           "CREATE on the database)");
  }
  return Status::Ok();
}

Result<std::vector<PgColumn>> PgSink::Columns(const sink::TableBinding& table) {
  return MapColumns(table.source, dialect_);
}

Result<ApplyTarget> PgSink::Target(const sink::TableBinding& table) {
  SYNC_ASSIGN_OR_RETURN(auto columns, Columns(table));
  SYNC_ASSIGN_OR_RETURN(ApplyTarget target, MakeApplyTarget(table, std::move(columns)));
  if (target.key.empty()) return target;
  std::vector<std::string> written;
  for (const auto& c : target.columns) written.push_back(c.name);
  auto [cached, fresh] = unmapped_.try_emplace(target.qualified);
  // The columns written change without DDL at the destination when a source
  // column change is ignored (a dropped column stays there).
  if (fresh || cached->second.written != written) {
    // A piece of the transaction may have left a statement running (ApplyPartial).
    if (Status settled = deferred_.Settle(); !settled.ok()) {
      unmapped_.erase(cached);
      return settled;
    }
    auto names = TableColumnNames(conn_, table.dest_schema, table.dest_table);
    if (!names.ok()) {
      unmapped_.erase(cached);
      return names.status().WithContext("reading the columns of " + DestinationDisplayName(table));
    }
    cached->second = {written, {}};
    for (auto& name : *names)
      if (std::find(written.begin(), written.end(), name) == written.end()) cached->second.unmapped.push_back(name);
  }
  target.unmapped = cached->second.unmapped;
  return target;
}

Status PgSink::PrepareTable(const sink::TableBinding& table) {
  SYNC_ASSIGN_OR_RETURN(auto columns, Columns(table));
  for (const auto& c : columns) {
    if (c.charset.empty()) continue;
    Status s = encoder_.charsets().CheckSupported(c.charset);
    if (!s.ok()) return s.WithContext(table.SourceName() + " column " + c.name);
  }
  if (dialect_ == Dialect::kHologres && table.key.empty())
    return Status::FailedPrecondition(
        table.SourceName() + " has no primary key, and Hologres applies real-time changes only to tables with one; "
                             "set tables[].primary_key for it in the task spec, or exclude the table");
  SYNC_ASSIGN_OR_RETURN(TableDdl ddl, RenderCreateTable(table, columns, dialect_));
  auto& migrations = sink::SchemaMigrationLog::Instance();
  if (table.existing()) {
    SYNC_RETURN_IF_ERROR(ValidateExistingTable(conn_, table, columns));
    migrations.Record(table.SourceName(), {"existing", {}});
    return Status::Ok();
  }

  SYNC_ASSIGN_OR_RETURN(bool exists, TableExists(conn_, table.dest_schema, table.dest_table));
  if (exists) {
    // Created by an earlier run (or by someone else): accept it as is if it
    // fits. Its key may be missing while its copy is under way (DropKeyForLoad).
    SYNC_ASSIGN_OR_RETURN(bool keyless_load, BuildsKeyAfterLoad(table));
    Status s = ValidateExistingTable(conn_, table, columns,
                                     keyless_load ? KeyCheck::kMayBeBuiltLater : KeyCheck::kRequired);
    if (!s.ok()) return s.WithContext("the destination table already exists and does not fit; drop it or fix it");
    migrations.Record(table.SourceName(), {"kept", {}});
    return Status::Ok();
  }
  std::vector<std::string> statements = {ddl.create_schema, ddl.create_table};
  statements.insert(statements.end(), ddl.properties.begin(), ddl.properties.end());
  SYNC_RETURN_IF_ERROR(RunDdl(conn_.handle(), ddl.create_schema).WithContext("creating schema " + table.dest_schema));
  if (ddl.properties.empty()) {
    Status s = RunDdl(conn_.handle(), ddl.create_table);
    if (s.ok()) migrations.Record(table.SourceName(), {"created", statements});
    return s.ok() ? s : s.WithContext("creating table " + DestinationDisplayName(table));
  }
  // Hologres: table properties only take effect in CREATE TABLE's own transaction.
  Transaction txn(conn_.handle());
  SYNC_RETURN_IF_ERROR(txn.status());
  SYNC_RETURN_IF_ERROR(ExecParams(conn_.handle(), ddl.create_table).status().WithContext("creating " + DestinationDisplayName(table)));
  for (const auto& p : ddl.properties)
    SYNC_RETURN_IF_ERROR(ExecParams(conn_.handle(), p).status().WithContext("setting a property of " + DestinationDisplayName(table)));
  SYNC_RETURN_IF_ERROR(txn.Commit());
  migrations.Record(table.SourceName(), {"created", statements});
  return Status::Ok();
}

namespace {

// A text[] literal of `names`, for = ANY($n::text[]).
std::string TextArray(const std::vector<std::string>& names) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : names[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

Result<bool> PgSink::BuildsKeyAfterLoad(const sink::TableBinding& table) {
  const char* setting = std::getenv("SYNC_PG_KEY_AFTER_LOAD");
  if (dialect_ != Dialect::kPostgres || table.key.empty() || table.existing() ||
      (setting && std::string_view(setting) == "0"))
    return false;
  // A partitioned table's key is its children's too; it stays. (The binding
  // says so: no catalog query, which BuildKeys would make per table.)
  SYNC_ASSIGN_OR_RETURN(auto columns, Columns(table));
  SYNC_ASSIGN_OR_RETURN(ApplyTarget target, MakeApplyTarget(table, std::move(columns)));
  return target.partition < 0;
}

Status PgSink::ResetTable(const sink::TableBinding& table) {
  std::string qualified = QualifiedName(table.dest_schema, table.dest_table);
  auto truncate = [&] {
    return ExecParams(conn_.handle(), "TRUNCATE " + qualified).status().WithContext("emptying " + DestinationDisplayName(table));
  };
  auto forget_chunks = [&] {
    return ExecParams(conn_.handle(), "DELETE FROM sync_state.snapshot_chunks WHERE task_id = $1 AND source_table = $2",
                      {task_id_, table.SourceName()})
        .status();
  };
  // Its table_positions entry stays: the worker set it to "its snapshot
  // position" before the copy began, and the copy makes that true.
  // A table just created, without chunk records, has nothing to reset, and
  // a TRUNCATE costs new files and a commit: about four plain commits with
  // fsync on (bench/README.md, scale_bench), most of a small table's copy.
  SYNC_ASSIGN_OR_RETURN(auto anything,
                        conn_.Query("SELECT EXISTS (SELECT 1 FROM " + qualified + ") OR EXISTS (SELECT 1 FROM "
                                    "sync_state.snapshot_chunks WHERE task_id = $1 AND source_table = $2)",
                                    {task_id_, table.SourceName()}));
  if (anything.Scalar() == "f") return Status::Ok();
  if (dialect_ == Dialect::kHologres) {
    // TRUNCATE is a DDL there, which no DML may share a block with. The
    // chunk records go first: a crash in between leaves rows that the copy's
    // next ResetTable (its plan is not saved yet) empties, never records of
    // rows that are gone.
    SYNC_RETURN_IF_ERROR(forget_chunks());
    return truncate();
  }
  Transaction txn(conn_.handle());
  SYNC_RETURN_IF_ERROR(txn.status());
  SYNC_RETURN_IF_ERROR(truncate());
  SYNC_RETURN_IF_ERROR(forget_chunks());
  return txn.Commit();
}

Status PgSink::DropKeyForLoad(const sink::TableBinding& table) {
  SYNC_ASSIGN_OR_RETURN(bool keyless_load, BuildsKeyAfterLoad(table));
  if (!keyless_load) return Status::Ok();
  // Only the key sync made (on exactly the binding's columns) goes; any
  // other primary key is the user's, and BuildKeys reports it.
  std::string qualified = QualifiedName(table.dest_schema, table.dest_table);
  SYNC_ASSIGN_OR_RETURN(auto primary, PrimaryKeyOf(conn_, qualified));
  if (primary.columns.empty() || primary.columns != table.key) return Status::Ok();
  return ExecParams(conn_.handle(), "ALTER TABLE " + qualified + " DROP CONSTRAINT " + QuoteIdentifier(primary.name))
      .status()
      .WithContext("dropping the primary key of " + DestinationDisplayName(table) + " for its copy");
}

Result<std::vector<std::string>> PgSink::BuildKeys(const std::vector<const sink::TableBinding*>& tables) {
  // One round trip for the usual case (every key in place), however many tables.
  std::vector<std::string> schemas, names;
  std::map<std::pair<std::string, std::string>, const sink::TableBinding*> candidates;
  for (const sink::TableBinding* table : tables) {
    SYNC_ASSIGN_OR_RETURN(bool keyless_load, BuildsKeyAfterLoad(*table));
    if (!keyless_load) continue;
    schemas.push_back(table->dest_schema);
    names.push_back(table->dest_table);
    candidates[{table->dest_schema, table->dest_table}] = table;
  }
  std::vector<std::string> built;
  if (candidates.empty()) return built;
  SYNC_ASSIGN_OR_RETURN(auto keyless,
                        conn_.Query("SELECT n.nspname, c.relname FROM unnest($1::text[], $2::text[]) AS t(s, r) "
                                    "JOIN pg_catalog.pg_namespace n ON n.nspname = t.s JOIN pg_catalog.pg_class c ON "
                                    "c.relnamespace = n.oid AND c.relname = t.r WHERE c.relkind = 'r' AND NOT EXISTS "
                                    "(SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND "
                                    "k.contype = 'p')",
                                    {TextArray(schemas), TextArray(names)}));
  for (const auto& row : keyless.rows) {
    const sink::TableBinding& table = *candidates.at({row[0].value_or(""), row[1].value_or("")});
    std::string qualified = QualifiedName(table.dest_schema, table.dest_table);
    SYNC_ASSIGN_OR_RETURN(bool unique_index, HasKeyIndex(conn_, qualified, table.key));
    if (unique_index) continue;  // someone made one; ON CONFLICT can use it
    std::vector<std::string> columns;
    for (const auto& k : table.key) columns.push_back(QuoteIdentifier(k));
    Status s = ExecParams(conn_.handle(), "ALTER TABLE " + qualified + " ADD PRIMARY KEY (" + Join(columns, ", ") + ")")
                   .status();
    if (!s.ok())
      return s.WithContext("building the primary key (" + Join(table.key, ", ") + ") of " +
                           DestinationDisplayName(table) + " after its copy (duplicate keys mean that the key is " +
                           "not unique at the source: set tables[].primary_key to columns that are)");
    built.push_back(DestinationDisplayName(table));
  }
  return built;
}

Status PgSink::DropTable(const sink::TableBinding& table) {
  Transaction txn(conn_.handle());
  SYNC_RETURN_IF_ERROR(txn.status());
  if (!table.existing())
    SYNC_RETURN_IF_ERROR(ExecParams(conn_.handle(), "DROP TABLE IF EXISTS " + QualifiedName(table.dest_schema, table.dest_table))
                             .status()
                             .WithContext("dropping " + DestinationDisplayName(table)));
  SYNC_RETURN_IF_ERROR(ExecParams(conn_.handle(),
                                  "DELETE FROM sync_state.snapshot_chunks WHERE task_id = $1 AND source_table = $2",
                                  {task_id_, table.SourceName()})
                           .status());
  return txn.Commit();
}

Result<std::map<int, BinlogPosition>> PgSink::CompletedChunks(const sink::TableBinding& table) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT chunk_index, binlog_file, binlog_offset, gtid_set FROM "
                                            "sync_state.snapshot_chunks WHERE task_id = $1 AND source_table = $2",
                                            {task_id_, table.SourceName()}));
  std::map<int, BinlogPosition> out;
  for (const auto& row : r.rows) {
    BinlogPosition p;
    p.file = row[1].value_or("");
    p.offset = std::strtoull(row[2].value_or("0").c_str(), nullptr, 10);
    p.gtid_set = row[3].value_or("");
    out[std::atoi(row[0].value_or("0").c_str())] = p;
  }
  return out;
}

Result<bool> PgSink::CopiesInBinary(const sink::TableBinding& table, const std::vector<PgColumn>& columns) {
  // SYNC_PG_COPY_FORMAT=text: the text format everywhere (to measure what binary buys; bench/README.md).
  const char* format = std::getenv("SYNC_PG_COPY_FORMAT");
  if (dialect_ != Dialect::kPostgres || (format && std::string_view(format) == "text")) return false;
  SYNC_ASSIGN_OR_RETURN(auto types, TableColumnTypes(conn_, table.dest_schema, table.dest_table));
  std::vector<std::string> destination;
  for (const auto& c : columns) destination.push_back(types[c.name]);
  return BinaryCopyTypesMatch(columns, destination);
}

Result<std::unique_ptr<sink::ChunkWriter>> PgSink::OpenChunk(const sink::TableBinding& table, int chunk_index,
                                                             const BinlogPosition& snapshot_position) {
  SYNC_ASSIGN_OR_RETURN(ApplyTarget target, Target(table));
  PgChunkWriter::Chunk chunk{task_id_, table.SourceName(), DestinationDisplayName(table), chunk_index, snapshot_position};
  PartitionChildren* children = nullptr;
  if (target.partition >= 0) {
    SYNC_ASSIGN_OR_RETURN(children, ChildrenOf(target));
  }
  if (table.existing() && !target.key.empty()) {
    // The user's rows stay (full initialization never empties a mode:
    // existing table), so the copy merges with on_conflict instead of COPY.
    ApplyStrategy strategy = dialect_ == Dialect::kHologres ? ApplyStrategy::kMultiRowInsert : strategy_;
    SYNC_ASSIGN_OR_RETURN(auto writer,
                          PgMergingChunkWriter::Open(conn_, BatchApplier(conn_.handle(), encoder_, strategy, staged_,
                                                                         deferred_),
                                                     std::move(target), std::move(chunk), children));
    return std::unique_ptr<sink::ChunkWriter>(std::move(writer));
  }
  if (children) {
    SYNC_ASSIGN_OR_RETURN(auto writer, PgPartitionedChunkWriter::Open(conn_, encoder_, std::move(target), *children,
                                                                      std::move(chunk)));
    return std::unique_ptr<sink::ChunkWriter>(std::move(writer));
  }
  std::string copy_target = CopyTarget(table, target.columns);
  SYNC_ASSIGN_OR_RETURN(bool binary, CopiesInBinary(table, target.columns));
  SYNC_ASSIGN_OR_RETURN(auto writer, PgChunkWriter::Open(conn_.handle(), encoder_, std::move(target.columns),
                                                         std::move(target.key), copy_target, std::move(chunk), binary));
  return std::unique_ptr<sink::ChunkWriter>(std::move(writer));
}

Status PgSink::ApplyBatch(const std::vector<sink::TableChanges>& changes, const BinlogPosition& position,
                          const sink::TablePositions& tables) {
  auto grouped = Group(changes);
  Status s = grouped.ok() ? MakePartitions(*grouped) : grouped.status();
  // The transaction holds the pieces applied before, if any: a failure rolls them back too.
  std::unique_ptr<Transaction> txn = std::move(open_txn_);
  if (s.ok() && !txn) txn = std::make_unique<Transaction>(conn_.handle());
  if (s.ok()) s = txn->status();
  if (s.ok()) s = ApplyGrouped(*grouped);
  if (s.ok()) s = deferred_.Settle();
  if (s.ok() && !tables.hold_checkpoint) s = SaveCheckpoint(position);
  if (s.ok()) s = WriteTablePositions(tables);
  if (s.ok()) s = txn->Commit();
  if (!s.ok()) {
    deferred_.Forget();
    staged_.clear();  // staging tables created inside a rolled-back transaction are gone again
    partitions_.clear();  // and so are children made in it
  }
  return s;
}

Status PgSink::ApplyPartial(const std::vector<sink::TableChanges>& changes) {
  Status s;
  auto grouped = Group(changes);
  if (!grouped.ok()) s = grouped.status();
  if (s.ok()) s = MakePartitions(*grouped);
  if (s.ok() && !open_txn_) open_txn_ = std::make_unique<Transaction>(conn_.handle());
  if (s.ok()) s = open_txn_->status();
  if (s.ok()) s = ApplyGrouped(*grouped);
  if (!s.ok()) {
    deferred_.Forget();
    open_txn_.reset();  // rolls the pieces back
    staged_.clear();
    partitions_.clear();
  }
  return s;
}

// Group by table, keeping source order within each: tables are independent,
// so this keeps every table's order and collapses each table's keys once.
Result<PgSink::Grouped> PgSink::Group(const std::vector<sink::TableChanges>& changes) {
  Grouped g;
  std::map<const sink::TableBinding*, size_t> where;
  for (const auto& tc : changes) {
    if (!tc.table) return Status::Internal("TableChanges without a table");
    auto [it, inserted] = where.emplace(tc.table, g.targets.size());
    if (inserted) {
      SYNC_ASSIGN_OR_RETURN(ApplyTarget t, Target(*tc.table));
      g.targets.push_back(std::move(t));
      g.rows.emplace_back();
    }
    for (const auto& r : tc.rows) g.rows[it->second].push_back(&r);
  }
  return g;
}

// Runs inside the caller's transaction.
Status PgSink::ApplyGrouped(const Grouped& g) {
  ApplyStrategy strategy = dialect_ == Dialect::kHologres ? ApplyStrategy::kMultiRowInsert : strategy_;
  BatchApplier applier(conn_.handle(), encoder_, strategy, staged_, deferred_);
  // Staging tables are made when a table's changes first take that way (Apply).
  for (size_t i = 0; i < g.targets.size(); ++i) SYNC_RETURN_IF_ERROR(applier.Apply(g.targets[i], g.rows[i]));
  return Status::Ok();
}

Result<PartitionChildren*> PgSink::ChildrenOf(const ApplyTarget& t) {
  auto [it, fresh] = partitions_.try_emplace(t.qualified, t.binding->dest_schema, t.binding->dest_table);
  if (fresh) {
    Status s = it->second.Load(conn_);
    if (!s.ok()) {
      partitions_.erase(it);
      return s.WithContext("reading the partitions of " + DestinationDisplayName(*t.binding));
    }
  }
  return &it->second;
}

Status PgSink::MakePartitions(const Grouped& g) {
  for (size_t i = 0; i < g.targets.size(); ++i) {
    const ApplyTarget& t = g.targets[i];
    if (t.partition < 0) continue;
    std::set<std::string> values;
    for (const sink::RowChange* r : g.rows[i]) {
      if (r->op == sink::RowChange::Op::kDelete) continue;  // a delete finds its row where it is, or nothing
      auto v = PartitionValueOf(encoder_, t, r->after);
      if (!v.ok()) return v.status().WithContext(DestinationDisplayName(*t.binding));
      values.insert(std::move(v).value());
    }
    SYNC_RETURN_IF_ERROR(deferred_.Settle());  // the catalog is read on this connection
    SYNC_ASSIGN_OR_RETURN(PartitionChildren * children, ChildrenOf(t));
    std::set<std::string> missing = children->Missing(values);
    if (missing.empty()) continue;
    if (!open_txn_ || dialect_ == Dialect::kPostgres) {
      // PostgreSQL makes them inside the open transaction too (its lock on
      // the parent is held until the commit, by this connection only).
      SYNC_RETURN_IF_ERROR(children->Create(conn_, missing));
      continue;
    }
    // Hologres cannot create a table in a transaction that writes rows
    // (specs/hologres.md 4.6): the pieces go, the children are made, and
    // the worker starts again from the checkpoint to find them there.
    open_txn_.reset();
    staged_.clear();
    SYNC_RETURN_IF_ERROR(children->Create(conn_, missing));
    return Status::Unavailable("a source transaction applied in pieces needed " + std::to_string(missing.size()) +
                               " new partition(s) of " + DestinationDisplayName(*t.binding) + ", which Hologres cannot create "
                               "inside it; they are created now, and the transaction is applied again from the "
                               "checkpoint");
  }
  return Status::Ok();
}

Status PgSink::SaveCheckpoint(const BinlogPosition& position) {
  Status saved = WritePosition("sync_state.checkpoint", position);
  return saved.ok() ? saved : saved.WithContext("saving the checkpoint");
}


// Runs inside the caller's transaction.
Status PgSink::WriteTablePositions(const sink::TablePositions& positions) {
  if (!positions.erase.empty()) {
    auto erased = ExecParams(conn_.handle(),
                             "DELETE FROM sync_state.table_positions WHERE task_id = $1 AND source_table = ANY($2::text[])",
                             {task_id_, TextArray(positions.erase)});
    if (!erased.ok()) return erased.status().WithContext("erasing table positions");
  }
  for (const auto& [table, position] : positions.save) {
    auto saved = ExecParams(conn_.handle(),
                            "INSERT INTO sync_state.table_positions (task_id, source_table, binlog_file, binlog_offset, "
                            "gtid_set, updated_at) VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (task_id, source_table) "
                            "DO UPDATE SET binlog_file = EXCLUDED.binlog_file, binlog_offset = EXCLUDED.binlog_offset, "
                            "gtid_set = EXCLUDED.gtid_set, updated_at = EXCLUDED.updated_at",
                            {task_id_, table, position.file, std::to_string(position.offset), position.gtid_set});
    if (!saved.ok()) return saved.status().WithContext("saving the position of " + table);
  }
  return Status::Ok();
}

Status PgSink::SaveTablePositions(const sink::TablePositions& positions) {
  if (positions.save.empty() && positions.erase.empty()) return Status::Ok();
  Transaction txn(conn_.handle());
  SYNC_RETURN_IF_ERROR(txn.status());
  SYNC_RETURN_IF_ERROR(WriteTablePositions(positions));
  return txn.Commit();
}

Result<std::map<std::string, BinlogPosition>> PgSink::LoadTablePositions() {
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT source_table, binlog_file, binlog_offset, gtid_set FROM "
                                            "sync_state.table_positions WHERE task_id = $1",
                                            {task_id_}));
  std::map<std::string, BinlogPosition> out;
  for (const auto& row : r.rows) {
    BinlogPosition p;
    p.file = row[1].value_or("");
    p.offset = std::strtoull(row[2].value_or("0").c_str(), nullptr, 10);
    p.gtid_set = row[3].value_or("");
    out[row[0].value_or("")] = p;
  }
  return out;
}

Status PgSink::RunStatements(const std::vector<std::string>& statements) {
  for (const auto& sql : statements) {
    auto r = ExecParams(conn_.handle(), sql);
    if (r.ok()) continue;
    if (dialect_ != Dialect::kHologres) return r.status().WithContext("running " + sql);
    // DROP/RENAME COLUMN and some type changes need a recent Hologres version.
    return r.status().WithContext("Hologres refused " + sql + " (this Hologres version may not support it; make "
                                  "the change by hand, or recreate the table, then start the task again)");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> PgSink::PlanStep(const sink::SchemaChangeStep& step) {
  const SchemaChange& change = step.change;
  const sink::TableBinding& table = *step.table;
  if (change.kind == SchemaChangeKind::kPartitionDataChanged)
    return Status::FailedPrecondition(
        "a partition of " + table.SourceName() + " was dropped, truncated or exchanged, which changes rows without "
        "writing row events, so destination table " + DestinationDisplayName(table) + " no longer matches the source. The table "
        "needs a new full initialization: recreate the task (or drop the destination table and copy it again)");
  std::vector<std::string> replaced;
  if (step.recopy) {
    // A table that left the selection may have left its destination table
    // under this name; the table that takes the name is copied into a fresh one.
    SYNC_ASSIGN_OR_RETURN(bool exists, TableExists(conn_, table.dest_schema, table.dest_table));
    if (exists && !table.existing()) {
      SYNC_RETURN_IF_ERROR(RunStatements({"DROP TABLE " + QualifiedName(table.dest_schema, table.dest_table)}));
    } else if (exists) {
      replaced.push_back("TRUNCATE " + QualifiedName(table.dest_schema, table.dest_table));
    }
  }
  bool existing = table.existing() || (step.old_table && step.old_table->existing());
  SchemaChangePlanner planner(conn_, dialect_, encoder_.charsets());
  SYNC_ASSIGN_OR_RETURN(auto statements, planner.Plan(change, table, step.old_table));
  statements.insert(statements.begin(), replaced.begin(), replaced.end());
  if (!existing || statements.empty() || (step.recopy && statements.size() == replaced.size())) return statements;
  std::string kind = SchemaChangeKindName(change.kind);
  std::string ignore = change.kind == SchemaChangeKind::kTableDropped ||
                               change.kind == SchemaChangeKind::kTableTruncated
                           ? ", or set ddl." + kind + ": ignore in the task spec to skip such changes"
                           : "";
  return Status::FailedPrecondition("destination table " + DestinationDisplayName(step.old_table ? *step.old_table : table) +
                                    " has mode: existing, and sync never alters such a table. Apply the change "
                                    "by hand (" + Join(statements, "; ") + ") and start the task again" + ignore);
}

Status PgSink::FinishStep(const sink::SchemaChangeStep& step) {
  if (step.fill) SYNC_RETURN_IF_ERROR(FillAddedColumn(*step.table, step.change.column, *step.fill));
  if (!step.recopy) return Status::Ok();
  return ExecParams(conn_.handle(), "DELETE FROM sync_state.snapshot_chunks WHERE task_id = $1 AND source_table = $2",
                    {task_id_, step.table->SourceName()})
      .status();
}

Status PgSink::ApplySchemaChanges(const std::vector<sink::SchemaChangeStep>& steps, const BinlogPosition& ddl_position) {
  auto context = [&](const sink::SchemaChangeStep& step, const Status& s) {
    return s.WithContext(std::string("applying source DDL (") + SchemaChangeKindName(step.change.kind) +
                         ") of " + step.table->SourceName() + " at " + ddl_position.ToString() + " to " +
                         DestinationDisplayName(*step.table));
  };
  auto record = [&]() { return WritePosition("sync_state.ddl_applied", ddl_position); };
  unmapped_.clear();  // columns may come and go
  partitions_.clear();
  {
    // Each step is planned after the previous ones ran, in the same
    // transaction: a rename sees the names the statement made so far.
    Transaction ddl(conn_.handle());
    SYNC_RETURN_IF_ERROR(ddl.status());
    for (const auto& step : steps) {
      auto statements = PlanStep(step);
      if (!statements.ok()) return context(step, statements.status());
      Status ran = RunStatements(*statements);
      if (!ran.ok() && step.change.kind == SchemaChangeKind::kColumnModified)
        ran = ran.WithContext("the destination cannot convert column " + step.change.column +
                              "'s values the way the source did; convert it at the destination by hand (ALTER "
                              "TABLE ... TYPE ... USING ...) or drop the destination table to copy it again, then "
                              "start the task again");
      if (!ran.ok()) return context(step, ran);
      if (dialect_ == Dialect::kPostgres) SYNC_RETURN_IF_ERROR(FinishStep(step));
    }
    if (dialect_ == Dialect::kPostgres) SYNC_RETURN_IF_ERROR(record());
    SYNC_RETURN_IF_ERROR(ddl.Commit());
  }
  if (dialect_ == Dialect::kPostgres) return Status::Ok();
  for (const auto& step : steps) SYNC_RETURN_IF_ERROR(FinishStep(step));
  return record();
}

Result<std::optional<BinlogPosition>> PgSink::LastAppliedDdl() { return ReadPosition("sync_state.ddl_applied"); }

Result<std::optional<BinlogPosition>> PgSink::LoadCheckpoint() { return ReadPosition("sync_state.checkpoint"); }

Result<std::optional<BinlogPosition>> PgSink::ReadPosition(const std::string& table) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query("SELECT binlog_file, binlog_offset, gtid_set FROM " + table +
                                            " WHERE task_id = $1",
                                            {task_id_}));
  if (r.rows.empty()) return std::optional<BinlogPosition>();
  BinlogPosition p;
  p.file = r.rows[0][0].value_or("");
  p.offset = std::strtoull(r.rows[0][1].value_or("0").c_str(), nullptr, 10);
  p.gtid_set = r.rows[0][2].value_or("");
  return std::optional<BinlogPosition>(p);
}

Status PgSink::WritePosition(const std::string& table, const BinlogPosition& position) {
  return ExecParams(conn_.handle(),
                    "INSERT INTO " + table + " (task_id, binlog_file, binlog_offset, gtid_set, updated_at) VALUES ($1, "
                    "$2, $3, $4, now()) ON CONFLICT (task_id) DO UPDATE SET binlog_file = EXCLUDED.binlog_file, "
                    "binlog_offset = EXCLUDED.binlog_offset, gtid_set = EXCLUDED.gtid_set, updated_at = "
                    "EXCLUDED.updated_at",
                    {task_id_, position.file, std::to_string(position.offset), position.gtid_set})
      .status();
}

Status PgSink::FillAddedColumn(const sink::TableBinding& table, const std::string& column, const Value& value) {
  int at = table.source.ColumnIndex(column);
  if (at < 0) return Status::Internal("no column " + column + " in " + table.SourceName() + " to fill");
  SYNC_ASSIGN_OR_RETURN(PgColumn mapped, MapColumn(table.source.columns[size_t(at)], dialect_));
  // The value's text as rows get it (ValueEncoder), cast by PostgreSQL to the column's type.
  SYNC_ASSIGN_OR_RETURN(auto text, encoder_.ParameterText(value, mapped));
  if (!text) return Status::Ok();
  std::string col = QuoteIdentifier(column);
  return conn_.Execute("UPDATE " + QualifiedName(table.dest_schema, table.dest_table) + " SET " + col + " = $1 WHERE " +
                           col + " IS NULL",
                       {*text});
}

Status PgSink::ForgetTask() {
  Transaction txn(conn_.handle());
  SYNC_RETURN_IF_ERROR(txn.status());
  for (const char* table : {"checkpoint", "snapshot_chunks", "table_positions", "ddl_applied"})
    SYNC_RETURN_IF_ERROR(
        ExecParams(conn_.handle(), std::string("DELETE FROM sync_state.") + table + " WHERE task_id = $1", {task_id_})
            .status());
  return txn.Commit();
}

}  // namespace dbsync::postgres
