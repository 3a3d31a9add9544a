#include "sink/postgres/pg_readback.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "sink/postgres/pg_connection.hpp"
#include "sink/postgres/pg_endpoint.hpp"
#include "sink/readback_text.hpp"

namespace dbsync::postgres {

namespace {

std::string CanonicalTimestamp(std::string s) {
  if (s == "infinity" || s == "-infinity") return s;
  for (const char* utc : {"+00:00", "+00"})
    if (s.size() > std::strlen(utc) && s.ends_with(utc)) {
      s.resize(s.size() - std::strlen(utc));
      break;
    }
  return sink::TrimFraction(std::move(s));
}

// PostgreSQL's interval output ("1 day 02:00:00", "-838:59:59.5", "3 mons")
// and sync's input form ("838:59:59.500000") as signed total hours.
std::string CanonicalInterval(std::string_view text) {
  long double micros = 0;
  std::string word;
  std::vector<std::string> tokens = Split(std::string(text), ' ');
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t.empty()) continue;
    if (t.find(':') != std::string::npos) {
      bool negative = t[0] == '-';
      std::vector<std::string> parts = Split(t.substr(t[0] == '-' || t[0] == '+' ? 1 : 0), ':');
      long double v = 0;
      for (const auto& p : parts) v = v * 60 + std::strtold(p.c_str(), nullptr);
      if (parts.size() == 2) v *= 60;  // hh:mm
      micros += (negative ? -v : v) * 1e6L;
      continue;
    }
    long double n = std::strtold(t.c_str(), nullptr);
    std::string unit = i + 1 < tokens.size() ? tokens[++i] : "";
    long double days = unit.starts_with("year") ? 360 : unit.starts_with("mon") ? 30 : unit.starts_with("day") ? 1 : 0;
    micros += n * days * 86400e6L;
  }
  int64_t total = static_cast<int64_t>(micros >= 0 ? micros + 0.5L : micros - 0.5L);
  std::string out = total < 0 ? "-" : "";
  uint64_t m = static_cast<uint64_t>(total < 0 ? -total : total);
  out += fmt::format("{}:{:02}:{:02}", m / 3600000000ULL, m / 60000000ULL % 60, m / 1000000ULL % 60);
  if (m % 1000000ULL) out = sink::TrimFraction(out + fmt::format(".{:06}", m % 1000000ULL));
  return out;
}

}  // namespace

std::string CanonicalText(PgKind kind, std::string_view text) {
  switch (kind) {
    case PgKind::kNumeric:
      return sink::TrimDecimal(std::string(text));
    case PgKind::kReal:
      return sink::ShortestFloat(text);
    case PgKind::kDouble:
      return sink::ShortestDouble(text);
    case PgKind::kTimestamp:
    case PgKind::kTimestamptz:
      return CanonicalTimestamp(std::string(text));
    case PgKind::kInterval:
      return CanonicalInterval(text);
    case PgKind::kJsonb:
      return sink::CanonicalJson(text);
    case PgKind::kBytea: {
      std::string s(text);
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }
    default:
      return std::string(text);
  }
}

namespace {

class PgReadback : public sink::Readback {
 public:
  PgReadback(Connection conn, Dialect dialect) : conn_(std::move(conn)), dialect_(dialect) {}

  Status Prepare() {
    // Canonical texts must not depend on the server's defaults. Hologres takes
    // fewer settings; what it refuses leaves a form CanonicalText accepts too.
    SYNC_RETURN_IF_ERROR(conn_.Execute("SET TimeZone TO 'UTC'"));
    for (const char* setting : {"SET DateStyle TO 'ISO, YMD'", "SET IntervalStyle TO 'postgres'",
                                "SET bytea_output TO 'hex'", "SET extra_float_digits TO 3"})
      (void)conn_.Execute(setting);
    return Status::Ok();
  }

  Result<std::optional<std::string>> Expected(const ColumnSchema& column, const Value& v) override {
    if (v.is_null()) return std::optional<std::string>();
    SYNC_ASSIGN_OR_RETURN(PgColumn pg, MapColumn(column, dialect_));
    scratch_.clear();
    SYNC_RETURN_IF_ERROR(encoder_.AppendText(v, pg, &scratch_).WithContext("column " + column.name));
    return std::optional<std::string>(CanonicalText(pg.kind, scratch_));
  }

  Status Read(const sink::ReadbackRequest& r, const std::function<void(sink::CanonicalRow&&)>& each) override {
    std::vector<PgKind> kinds;
    std::vector<std::string> names, key_names;
    for (const auto& c : r.columns) {
      SYNC_ASSIGN_OR_RETURN(PgColumn pg, MapColumn(c, dialect_));
      kinds.push_back(pg.kind);
      names.push_back(QuoteIdentifier(c.name));
    }
    std::vector<PgKind> key_kinds;
    for (size_t k : r.key) {
      key_names.push_back(names[k]);
      key_kinds.push_back(kinds[k]);
    }
    using Select = sink::ReadbackRequest::Select;
    const bool keys_only = r.select == Select::kKeysAfter;
    std::string key_tuple = "(" + Join(key_names, ", ") + ")";
    std::vector<std::string> where;
    if (r.select == Select::kRange) {
      if (!r.lower.empty()) where.push_back(key_tuple + " > (" + Join(r.lower, ", ") + ")");
      if (!r.upper.empty()) where.push_back(key_tuple + " <= (" + Join(r.upper, ", ") + ")");
    } else if (r.select == Select::kKeys) {
      if (r.keys.empty()) return Status::Ok();
      std::vector<std::string> tuples;
      for (const auto& key : r.keys) tuples.push_back(LiteralTuple(key));
      where.push_back(key_tuple + " IN (" + Join(tuples, ", ") + ")");
    } else if (keys_only && !r.after.empty()) {
      where.push_back(key_tuple + " > " + LiteralTuple(r.after));
    }
    if (!r.hidden_column.empty())
      where.push_back(QuoteIdentifier(r.hidden_column) + " IS DISTINCT FROM " + QuoteLiteral(r.hidden_value));
    std::string sql = "SELECT " + (keys_only ? Join(key_names, ", ") : Join(names, ", ")) + " FROM " +
                      QuoteIdentifier(r.schema) + "." + QuoteIdentifier(r.table) +
                      (where.empty() ? "" : " WHERE " + Join(where, " AND "));
    if (!key_names.empty()) sql += " ORDER BY " + Join(key_names, ", ");
    if (keys_only) sql += " LIMIT " + std::to_string(r.limit);
    const std::vector<PgKind>& row_kinds = keys_only ? key_kinds : kinds;
    auto deliver = [&](QueryResult& result) {
      for (auto& row : result.rows) {
        for (size_t i = 0; i < row.size(); ++i)
          if (row[i]) row[i] = CanonicalText(row_kinds[i], *row[i]);
        each(std::move(row));
      }
    };
    if (r.select != Select::kAll) {
      SYNC_ASSIGN_OR_RETURN(auto result, conn_.Query(sql));
      deliver(result);
      return Status::Ok();
    }
    // A whole table, however large, through a cursor: memory stays bounded.
    SYNC_RETURN_IF_ERROR(conn_.Execute("BEGIN ISOLATION LEVEL REPEATABLE READ"));
    Status s = conn_.Execute("DECLARE sync_verify NO SCROLL CURSOR FOR " + sql);
    while (s.ok()) {
      auto batch = conn_.Query("FETCH 1000 FROM sync_verify");
      if (!batch.ok()) {
        s = batch.status();
        break;
      }
      if (batch->rows.empty()) break;
      deliver(*batch);
    }
    Status ended = conn_.Execute(s.ok() ? "COMMIT" : "ROLLBACK");
    SYNC_RETURN_IF_ERROR(s);
    return ended;
  }

 private:
  static std::string LiteralTuple(const sink::CanonicalRow& key) {
    std::vector<std::string> literals;
    for (const auto& v : key) literals.push_back(v ? QuoteLiteral(*v) : "NULL");
    return "(" + Join(literals, ", ") + ")";
  }

  Connection conn_;
  Dialect dialect_;
  ValueEncoder encoder_;
  std::string scratch_;
};

}  // namespace

Result<std::unique_ptr<sink::Readback>> OpenPgReadback(const config::TaskSpec& spec, Dialect dialect,
                                                       int default_port) {
  const config::DestinationSpec& d = spec.destination;
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(d.password));
  Endpoint ep = EndpointOf(d, password, default_port);
  SYNC_ASSIGN_OR_RETURN(auto conn, Connection::Connect(ep));
  auto readback = std::make_unique<PgReadback>(std::move(conn), dialect);
  SYNC_RETURN_IF_ERROR(readback->Prepare());
  return std::unique_ptr<sink::Readback>(std::move(readback));
}

}  // namespace dbsync::postgres
