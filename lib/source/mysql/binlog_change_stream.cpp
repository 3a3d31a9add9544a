#include "source/mysql/binlog_change_stream.hpp"

#include "source/mysql/ddl_parser.hpp"
#include "source/mysql/dml_statement.hpp"

namespace dbsync::mysql {
namespace {

change::StatementEvent Statement(const binlog::QueryEvent& q, bool in_ddl_transaction) {
  change::StatementEvent s;
  s.default_db = q.database;
  s.sql = q.query;
  s.is_ddl = in_ddl_transaction || IsDdlStatement(q.query);
  if (!s.is_ddl) {
    if (auto dml = ParseDmlStatement(q.database, q.query)) {
      s.is_dml = true;
      s.tables_known = dml->table.has_value();
      if (dml->table) s.tables.push_back({std::move(dml->table->db), std::move(dml->table->table)});
    }
    return s;
  }
  std::vector<DdlTableName> touched;
  auto parsed = ParseDdl(q.database, q.query, &touched);
  s.tables_known = parsed.ok() || !touched.empty();
  for (auto& t : touched) s.tables.push_back({std::move(t.db), std::move(t.table)});
  if (parsed.ok() && parsed->kind == DdlKind::kDropDatabase) s.dropped_database = parsed->database;
  return s;
}

change::RowChange::Op OpOf(binlog::RowsKind kind) {
  switch (kind) {
    case binlog::RowsKind::kInsert: return change::RowChange::Op::kInsert;
    case binlog::RowsKind::kUpdate: return change::RowChange::Op::kUpdate;
    default: return change::RowChange::Op::kDelete;
  }
}

}  // namespace

change::Transaction ToChangeTransaction(SourceTransaction&& txn) {
  change::Transaction out;
  out.commit_position = std::move(txn.commit_position);
  out.id = std::move(txn.gtid);
  out.commit_time = txn.timestamp;
  out.is_ddl = txn.is_ddl;
  out.partial = txn.partial;
  out.events.reserve(txn.events.size());
  for (auto& event : txn.events) {
    if (const auto* q = event.get_if<binlog::QueryEvent>()) {
      out.events.push_back(Statement(*q, txn.is_ddl));
      continue;
    }
    auto* rows = std::get_if<binlog::RowsEvent>(&event.body);
    if (!rows || !rows->table) continue;
    change::RowsEvent r;
    r.db = rows->table->database;
    r.table = rows->table->table;
    r.full_image = rows->full_image;
    r.rows.reserve(rows->rows.size());
    const auto op = OpOf(rows->kind);
    for (auto& row : rows->rows) r.rows.push_back({op, std::move(row.before), std::move(row.after)});
    out.events.push_back(std::move(r));
  }
  return out;
}

Result<std::unique_ptr<BinlogChangeStream>> BinlogChangeStream::Open(const Endpoint& endpoint, uint32_t server_id,
                                                                     source::ChangeStreamOptions options,
                                                                     const BinlogPosition& from) {
  SourceOptions source_options;
  source_options.stream.server_id = server_id;
  source_options.stream.heartbeat_seconds = 1;
  source_options.stream.read_timeout_seconds = 10;
  source_options.on_reconnect = std::move(options.on_reconnect);
  source_options.on_reconnect_failed = std::move(options.on_reconnect_failed);
  source_options.stop = options.stop;
  source_options.on_history_switch = std::move(options.on_history_switch);
  SYNC_ASSIGN_OR_RETURN(auto source, BinlogSource::Open(endpoint, std::move(source_options), from, false));
  source->set_max_transaction_rows(options.max_transaction_rows);
  source->set_max_transaction_bytes(options.max_transaction_bytes);
  if (options.schemas) {
    source->SetTableMapEnricher([schemas = std::move(options.schemas)](const binlog::TableMap& tm, const BinlogPosition& at)
                                    -> Result<std::shared_ptr<const binlog::TableMap>> {
      const TableSchema* schema = schemas(tm.database, tm.table, at);
      if (!schema) return std::shared_ptr<const binlog::TableMap>();
      return EnrichTableMap(tm, *schema);
    });
  }
  return std::unique_ptr<BinlogChangeStream>(new BinlogChangeStream(std::move(source)));
}

Result<std::optional<change::Transaction>> BinlogChangeStream::Next(std::chrono::milliseconds wait) {
  SYNC_ASSIGN_OR_RETURN(auto txn, source_->Next(wait));
  if (!txn) return std::optional<change::Transaction>();
  return std::optional<change::Transaction>(ToChangeTransaction(std::move(*txn)));
}

}  // namespace dbsync::mysql
