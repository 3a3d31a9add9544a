#include "source/mysql/mysql_source.hpp"

#include <cstdlib>

#include "source/mysql/binlog_change_stream.hpp"
#include "source/mysql/column_default.hpp"
#include "source/mysql/ddl_parser.hpp"
#include "source/mysql/schema_reader.hpp"
#include "source/mysql/schema_tracker.hpp"
#include "source/mysql/snapshot_reader.hpp"
#include "source/mysql/source_endpoint.hpp"

namespace dbsync::mysql {
namespace {

CharsetPair ToCharsetPair(const source::TableDefaults& d) { return {d.charset, d.collation}; }
source::TableDefaults ToDefaults(const CharsetPair& p) { return {p.charset, p.collation}; }

// The tracker follows the source's DDL; reloads read the catalog through the
// source's connection, which outlives it (source.hpp).
class MySqlSchemaHistory : public source::SchemaHistory {
 public:
  MySqlSchemaHistory(SchemaTracker tracker, Connection& conn) : tracker_(std::move(tracker)), conn_(conn) {}

  Result<std::vector<SchemaChange>> Apply(const std::string& default_db, const std::string& sql) override {
    return tracker_.ApplyDdl(default_db, sql);
  }

  Result<source::StatementTables> Inspect(const std::string& default_db, const std::string& sql) const override {
    std::vector<DdlTableName> touched;
    SYNC_ASSIGN_OR_RETURN(auto parsed, ParseDdl(default_db, sql, &touched));
    source::StatementTables out;
    out.creates_table = parsed.kind == DdlKind::kCreateTable || parsed.kind == DdlKind::kCreateTableLike ||
                        parsed.kind == DdlKind::kRenameTable;
    for (const auto& t : touched) out.tables.push_back({t.db, t.table});
    return out;
  }

  const TableSchema* Find(const std::string& db, const std::string& table) const override {
    return tracker_.Find(db, table);
  }

  std::vector<source::TrackedTable> Tables() const override {
    std::vector<source::TrackedTable> out;
    for (const auto& [db, table] : tracker_.Tables()) out.push_back({*tracker_.Find(db, table), *DefaultsOf(db, table)});
    return out;
  }

  std::optional<source::TableDefaults> DefaultsOf(const std::string& db, const std::string& table) const override {
    if (!tracker_.IsTracked(db, table)) return std::nullopt;
    const CharsetPair* d = tracker_.TableDefaults(db, table);
    return d ? ToDefaults(*d) : source::TableDefaults{};
  }

  void Add(const source::TrackedTable& table) override {
    tracker_.AddTable(table.schema, ToCharsetPair(table.defaults));
  }

  void SetFilter(source::TableFilter filter) override { tracker_.set_filter(std::move(filter)); }

  Status Extend(const source::TableFilter& already, const source::TableFilter& wanted) override {
    // Tables already tracked keep the definitions the stream has reached.
    SYNC_ASSIGN_OR_RETURN(auto fresh, SchemaTracker::Load(conn_, [&](const std::string& db, const std::string& table) {
      return wanted(db, table) && !already(db, table);
    }));
    for (const auto& [db, table] : fresh.Tables()) {
      const CharsetPair* defaults = fresh.TableDefaults(db, table);
      tracker_.AddTable(*fresh.Find(db, table), defaults ? *defaults : CharsetPair{});
    }
    tracker_.set_filter(wanted);
    return Status::Ok();
  }

  Status Reload(const std::string& db, const std::string& table) override { return tracker_.Reload(conn_, db, table); }

 private:
  SchemaTracker tracker_;
  Connection& conn_;
};

class MySqlSnapshotReader : public source::SnapshotReader {
 public:
  explicit MySqlSnapshotReader(mysql::SnapshotReader reader) : reader_(std::move(reader)) {}

  Result<std::vector<source::Chunk>> PlanChunks(const TableSchema& table, uint64_t rows_per_chunk,
                                                bool key_is_unique) override {
    return reader_.PlanChunks(table, rows_per_chunk, key_is_unique);
  }
  Result<source::ChunkResult> ReadChunk(const TableSchema& table, const source::Chunk& chunk,
                                        const source::RowSink& sink, const StartCallback& on_start) override {
    return reader_.ReadChunk(table, chunk, sink, on_start);
  }

 private:
  mysql::SnapshotReader reader_;
};

class MySqlSource : public source::Source {
 public:
  MySqlSource(Endpoint endpoint, uint32_t server_id) : endpoint_(std::move(endpoint)), server_id_(server_id) {}

  Result<std::vector<TableSchema>> SelectedTables(const config::SourceSpec& spec) override {
    SYNC_ASSIGN_OR_RETURN(Connection * conn, Catalog());
    SYNC_ASSIGN_OR_RETURN(auto names, ListSelectedTables(*conn, spec));
    std::vector<TableSchema> out;
    for (const auto& t : names) {
      auto schema = ReadTableSchema(*conn, t.db, t.table);
      // Dropped or renamed since the listing (a DDL running now): its DDL
      // follows in the binlog, as for a table gone before the listing.
      if (schema.status().code() == StatusCode::kNotFound) continue;
      if (!schema.ok()) return schema.status();
      out.push_back(std::move(schema).value());
    }
    return out;
  }

  Result<std::unique_ptr<source::SchemaHistory>> LoadSchemaHistory(const source::TableFilter& filter) override {
    SYNC_ASSIGN_OR_RETURN(Connection * conn, Catalog());
    SYNC_ASSIGN_OR_RETURN(auto tracker, SchemaTracker::Load(*conn, filter));
    return std::unique_ptr<source::SchemaHistory>(new MySqlSchemaHistory(std::move(tracker), *conn));
  }

  Result<BinlogPosition> CurrentPosition() override {
    SYNC_ASSIGN_OR_RETURN(Connection * conn, Catalog());
    return BinlogEnd(*conn);
  }

  uint64_t EstimatedRows(const std::string& db, const std::string& table) override {
    auto conn = Catalog();
    if (!conn.ok()) return 0;
    auto r = (*conn)->Query("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA=" + QuoteString(db) +
                            " AND TABLE_NAME=" + QuoteString(table));
    return r.ok() ? std::strtoull(r->Scalar().c_str(), nullptr, 10) : 0;
  }

  Result<source::AddedColumnFill> AddedColumnValue(const SchemaChange& change) override {
    if (!change.after) return source::AddedColumnFill{};
    // A TIMESTAMP without a DEFAULT clause may still get CURRENT_TIMESTAMP
    // (explicit_defaults_for_timestamp off): the catalog knows.
    const bool implicit_timestamp = change.added_default && change.added_default->empty() &&
                                    change.after->data_type == "timestamp";
    if (change.added_default && !implicit_timestamp) {
      // What the statement said, whatever happened to the column since: a
      // worker catching up reads a catalog that may have moved on (the
      // column modified or dropped, its table renamed).
      std::optional<std::string> def;
      if (!change.added_default->empty()) def = *change.added_default;
      auto fill = FillFor(*change.after, def, change.after->nullable);
      // A literal the source converts (1.5 for an INT) is read as it stored it.
      if (fill.ok()) return fill;
    }
    SYNC_ASSIGN_OR_RETURN(Connection * conn, Catalog());
    // The default as the source has it now: right after the ADD this is what
    // the existing rows received.
    SYNC_ASSIGN_OR_RETURN(auto r, conn->Query("SELECT COLUMN_DEFAULT, IS_NULLABLE FROM information_schema.COLUMNS WHERE "
                                              "TABLE_SCHEMA=" + QuoteString(change.db) + " AND TABLE_NAME=" +
                                              QuoteString(change.table) + " AND COLUMN_NAME=" +
                                              QuoteString(change.column)));
    if (r.rows.empty()) return source::AddedColumnFill{};  // dropped again since: later DDL will follow
    return FillFor(*change.after, r.rows[0][0], r.rows[0][1].value_or("YES") == "YES");
  }

  Result<std::unique_ptr<source::SnapshotReader>> OpenSnapshotReader() override {
    SYNC_ASSIGN_OR_RETURN(auto reader, SnapshotReader::Open(endpoint_));
    return std::unique_ptr<source::SnapshotReader>(new MySqlSnapshotReader(std::move(reader)));
  }

  Result<std::unique_ptr<change::ChangeStream>> OpenChangeStream(source::ChangeStreamOptions options,
                                                                 const BinlogPosition& from) override {
    SYNC_ASSIGN_OR_RETURN(auto stream, BinlogChangeStream::Open(endpoint_, server_id_, std::move(options), from));
    return std::unique_ptr<change::ChangeStream>(std::move(stream));
  }

 private:
  // The value the rows already there received from a default `def` as the
  // catalog shows it (nullopt: none).
  static Result<source::AddedColumnFill> FillFor(const ColumnSchema& col, const std::optional<std::string>& def,
                                                 bool nullable) {
    source::AddedColumnFill fill;
    if (!def || *def == "NULL") {
      if (!nullable) fill.value = ImplicitDefault(col);
      return fill;
    }
    auto value = ParseColumnDefault(col, *def);
    if (value.status().code() == StatusCode::kFailedPrecondition) {
      fill.warning = "has the default " + *def + ", evaluated by the source when the column was added";
      return fill;
    }
    if (!value.ok()) return value.status();
    fill.value = *value;
    return fill;
  }

  Result<Connection*> Catalog() {
    if (!conn_) {
      SYNC_ASSIGN_OR_RETURN(auto conn, Connection::Connect(endpoint_));
      conn_ = std::make_unique<Connection>(std::move(conn));
    }
    return conn_.get();
  }

  Endpoint endpoint_;
  uint32_t server_id_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace

Result<std::unique_ptr<source::Source>> OpenMySqlSource(const Endpoint& endpoint, uint32_t server_id) {
  return std::unique_ptr<source::Source>(new MySqlSource(endpoint, server_id));
}

}  // namespace dbsync::mysql

namespace dbsync::source {

SourceFactory MakeSourceFactory(const config::SourceSpec& spec, const std::string& password) {
  // A long read timeout: a snapshot chunk's first row can take that long on a big table.
  mysql::Endpoint endpoint = mysql::EndpointOf(spec, password, 600);
  uint32_t server_id = spec.server_id;
  return [endpoint, server_id] { return mysql::OpenMySqlSource(endpoint, server_id); };
}

}  // namespace dbsync::source
