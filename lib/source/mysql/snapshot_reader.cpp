#include "source/mysql/snapshot_reader.hpp"

#include <optional>
#include <set>

#include "core/text_util.hpp"

namespace dbsync::mysql {
namespace {

const std::set<std::string> kNumericTypes = {"tinyint", "smallint", "mediumint", "int",    "integer", "bigint",
                                             "decimal", "numeric",  "float",     "double", "real",    "year"};

// A key value as read in this session (raw stored bytes, character_set_results
// = binary) turned into a literal that compares the same way as the column:
// strings carry the column's charset and collation, so chunk bounds follow
// the index order.
std::string KeyLiteral(const ColumnSchema& col, const std::string& text) {
  if (kNumericTypes.count(col.data_type)) return text;
  std::string hex(text.size() * 2 + 1, '\0');
  hex.resize(mysql_hex_string(hex.data(), text.data(), text.size()));
  if (col.charset.empty() || col.collation == 63) return "X'" + hex + "'";
  return "_" + col.charset + " X'" + hex + "' COLLATE " + col.collation_name;
}

const std::set<std::string> kIntegerTypes = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"};

// How many key values, per row the table holds, an integer key may spread
// over and still be cut by value: at worst three in four chunks are empty.
constexpr __int128 kMaxKeySpread = 4;

// A decimal integer as the server prints it (BIGINT UNSIGNED included).
std::optional<__int128> ParseInteger(const std::string& text) {
  if (text.empty() || text.size() > 21) return std::nullopt;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  __int128 value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return text[0] == '-' ? -value : value;
}

std::string IntegerText(__int128 value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  std::string digits;
  for (__int128 v = negative ? -value : value; v > 0; v /= 10) digits.insert(digits.begin(), char('0' + int(v % 10)));
  return negative ? "-" + digits : digits;
}

std::string TableRef(const TableSchema& t) { return QuoteIdentifier(t.db) + "." + QuoteIdentifier(t.table); }

std::vector<std::string> QuotedKey(const TableSchema& t) {
  std::vector<std::string> out;
  for (const auto& k : t.primary_key) out.push_back(QuoteIdentifier(k));
  return out;
}

std::string ChunkWhere(const TableSchema& t, const SnapshotChunk& c) {
  std::vector<std::string> parts;
  if (!c.lower.empty()) parts.push_back(KeyCondition(QuotedKey(t), c.lower, ">"));
  if (!c.upper.empty()) parts.push_back(KeyCondition(QuotedKey(t), c.upper, "<="));
  return parts.empty() ? "" : " WHERE " + Join(parts, " AND ");
}

}  // namespace

std::string KeyCondition(const std::vector<std::string>& key, const std::vector<std::string>& literals,
                         const std::string& op) {
  // Lexicographic comparison, built from the last column outwards.
  std::string strict = op == ">" ? ">" : "<";
  std::string cond = key.back() + " " + op + " " + literals.back();
  for (size_t i = key.size() - 1; i-- > 0;)
    cond = "(" + key[i] + " " + strict + " " + literals[i] + " OR (" + key[i] + " = " + literals[i] + " AND " + cond + "))";
  return cond;
}


Result<SnapshotReader> SnapshotReader::Open(const Endpoint& endpoint) {
  SYNC_ASSIGN_OR_RETURN(Connection conn, Connection::Connect(endpoint));
  // TIMESTAMP values as UTC, identical to the binlog's epoch seconds; no
  // sql_mode that rewrites zero dates on read.
  // Raw stored bytes, never converted to the connection's character set: the
  // binlog carries raw bytes too, and the sink converts from the column's charset.
  SYNC_RETURN_IF_ERROR(
      conn.Execute("SET SESSION time_zone = '+00:00', SESSION sql_mode = '', character_set_results = binary"));
  SYNC_RETURN_IF_ERROR(conn.Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  bool mariadb = conn.IsMariaDB();
  return SnapshotReader(std::move(conn), mariadb);
}

namespace {

Result<QueryResult> MasterStatus(Connection& conn) {
  auto r = conn.Query("SHOW MASTER STATUS");
  if (!r.ok()) r = conn.Query("SHOW BINARY LOG STATUS");  // MySQL 8.4+
  if (!r.ok()) return r.status();
  if (r->rows.empty())
    return Status::FailedPrecondition("SHOW MASTER STATUS returned nothing: binary logging is off on the source");
  return r;
}

}  // namespace

Result<BinlogPosition> BinlogEnd(Connection& conn) {
  SYNC_ASSIGN_OR_RETURN(auto r, MasterStatus(conn));
  BinlogPosition p;
  p.file = r.rows[0][0].value_or("");
  p.offset = std::strtoull(r.rows[0][1].value_or("0").c_str(), nullptr, 10);
  return p;
}

Result<BinlogPosition> SnapshotReader::CurrentPosition() {
  auto r = MasterStatus(conn_);
  if (!r.ok()) return r.status();
  BinlogPosition p;
  p.file = r->rows[0][0].value_or("");
  p.offset = std::strtoull(r->rows[0][1].value_or("0").c_str(), nullptr, 10);
  int gtid_col = r->ColumnIndex("Executed_Gtid_Set");
  if (gtid_col >= 0) p.gtid_set = r->rows[0][size_t(gtid_col)].value_or("");
  if (mariadb_) {
    auto g = conn_.Query("SELECT BINLOG_GTID_POS(" + QuoteString(p.file) + ", " + std::to_string(p.offset) + ")");
    if (g.ok()) p.gtid_set = g->Scalar();
  }
  return p;
}

Result<BinlogPosition> SnapshotReader::BeginSnapshot(bool need_exact, bool* exact) {
  if (mariadb_) {
    SYNC_RETURN_IF_ERROR(conn_.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"));
    SYNC_ASSIGN_OR_RETURN(auto st, conn_.Query("SHOW STATUS LIKE 'binlog_snapshot_%'"));
    BinlogPosition p;
    for (const auto& row : st.rows) {
      if (*row[0] == "Binlog_snapshot_file") p.file = row[1].value_or("");
      if (*row[0] == "Binlog_snapshot_position") p.offset = std::strtoull(row[1].value_or("0").c_str(), nullptr, 10);
    }
    if (p.file.empty())
      return Status::FailedPrecondition("the source reports no binlog snapshot position: binary logging is off");
    auto g = conn_.Query("SELECT BINLOG_GTID_POS(" + QuoteString(p.file) + ", " + std::to_string(p.offset) + ")");
    if (g.ok()) p.gtid_set = g->Scalar();
    *exact = true;
    return p;
  }
  if (!need_exact) {
    SYNC_ASSIGN_OR_RETURN(BinlogPosition low, CurrentPosition());
    SYNC_RETURN_IF_ERROR(conn_.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"));
    *exact = false;
    return low;
  }
  Status locked = conn_.Execute("FLUSH TABLES WITH READ LOCK");
  if (!locked.ok())
    return Status::PermissionDenied("an exact snapshot position on MySQL needs a brief global read lock: " +
                                    locked.message() + "; GRANT RELOAD ON *.* to the source user, or add a primary key");
  Status started = conn_.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
  auto pos = started.ok() ? CurrentPosition() : Result<BinlogPosition>(started);
  Status unlocked = conn_.Execute("UNLOCK TABLES");
  if (!pos.ok()) return pos.status();
  SYNC_RETURN_IF_ERROR(unlocked);
  *exact = true;
  return pos;
}

Result<std::optional<std::vector<SnapshotChunk>>> SnapshotReader::SplitIntegerRange(const TableSchema& table,
                                                                                  uint64_t rows_per_chunk) {
  // One round trip, as the walk of a small table is: a task of thousands of
  // small tables plans each of them.
  const std::string key = QuoteIdentifier(table.primary_key[0]);
  SYNC_ASSIGN_OR_RETURN(auto range, conn_.Query("SELECT MIN(" + key + "), MAX(" + key + "), (SELECT TABLE_ROWS FROM "
                                                "information_schema.TABLES WHERE TABLE_SCHEMA = " +
                                                QuoteString(table.db) + " AND TABLE_NAME = " +
                                                QuoteString(table.table) + ") FROM " + TableRef(table)));
  if (range.rows.empty() || !range.rows[0][0] || !range.rows[0][1])
    return std::optional<std::vector<SnapshotChunk>>(std::vector<SnapshotChunk>{SnapshotChunk{}});  // empty
  const auto low = ParseInteger(*range.rows[0][0]), high = ParseInteger(*range.rows[0][1]);
  if (!low || !high || *high < *low) return std::optional<std::vector<SnapshotChunk>>();
  const uint64_t estimate = std::strtoull(range.rows[0][2].value_or("0").c_str(), nullptr, 10);
  const __int128 step = rows_per_chunk;
  const __int128 rows = std::max<__int128>(estimate, step);
  const __int128 values = *high - *low + 1;
  if (values > kMaxKeySpread * rows) return std::optional<std::vector<SnapshotChunk>>();  // too sparse: walk it
  std::vector<SnapshotChunk> chunks;
  for (__int128 first = *low; first <= *high; first += step) {
    SnapshotChunk c;
    c.index = int(chunks.size());
    if (first != *low) c.lower = {IntegerText(first - 1)};
    if (first + step <= *high) c.upper = {IntegerText(first + step - 1)};
    chunks.push_back(std::move(c));
  }
  return std::optional<std::vector<SnapshotChunk>>(std::move(chunks));
}

Result<std::vector<SnapshotChunk>> SnapshotReader::PlanChunks(const TableSchema& table, uint64_t rows_per_chunk,
                                                              bool key_is_unique) {
  std::vector<SnapshotChunk> chunks;
  if (table.primary_key.empty() || rows_per_chunk == 0) {
    chunks.push_back(SnapshotChunk{});
    return chunks;
  }
  if (key_is_unique && table.primary_key.size() == 1 &&
      kIntegerTypes.count(table.columns[size_t(table.ColumnIndex(table.primary_key[0]))].data_type)) {
    SYNC_ASSIGN_OR_RETURN(auto split, SplitIntegerRange(table, rows_per_chunk));
    if (split) return std::move(*split);
  }
  std::vector<std::string> key = QuotedKey(table);
  std::vector<const ColumnSchema*> key_cols;
  for (const auto& k : table.primary_key) key_cols.push_back(&table.columns[size_t(table.ColumnIndex(k))]);
  std::vector<std::string> lower;
  while (true) {
    std::string sql = "SELECT " + Join(key, ", ") + " FROM " + TableRef(table) +
                      (lower.empty() ? "" : " WHERE " + KeyCondition(key, lower, ">")) + " ORDER BY " +
                      Join(key, ", ") + " LIMIT 1 OFFSET " + std::to_string(rows_per_chunk - 1);
    SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query(sql));
    SnapshotChunk c;
    c.index = int(chunks.size());
    c.lower = lower;
    if (r.rows.empty()) {
      chunks.push_back(std::move(c));  // the last chunk runs to the end of the table
      return chunks;
    }
    for (size_t i = 0; i < key.size(); ++i) c.upper.push_back(KeyLiteral(*key_cols[i], r.rows[0][i].value_or("")));
    lower = c.upper;
    chunks.push_back(std::move(c));
  }
}

Result<ChunkResult> SnapshotReader::ReadChunk(const TableSchema& table, const SnapshotChunk& chunk,
                                              const RowSink& sink, const StartCallback& on_start) {
  ChunkResult result;
  SYNC_ASSIGN_OR_RETURN(result.position, BeginSnapshot(table.primary_key.empty(), &result.exact_position));
  if (on_start) {
    Status s = on_start(result.position, result.exact_position);
    if (!s.ok()) {
      (void)conn_.Execute("ROLLBACK");
      return s;
    }
  }
  std::vector<std::string> columns;
  for (const auto& c : table.columns) columns.push_back(QuoteIdentifier(c.name));
  std::string sql = "SELECT " + Join(columns, ", ") + " FROM " + TableRef(table) + ChunkWhere(table, chunk);
  auto stats = ReadRows(conn_, table, sql, sink);
  Status ended = conn_.Execute("COMMIT");
  if (!stats.ok()) return stats.status();
  SYNC_RETURN_IF_ERROR(ended);
  result.stats = *stats;
  return result;
}

}  // namespace dbsync::mysql
