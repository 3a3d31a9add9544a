#include "sink/starrocks/sr_readback.hpp"

#include <nlohmann/json.hpp>

#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "net/mysql_client.hpp"
#include "sink/readback_sql.hpp"
#include "sink/readback_text.hpp"
#include "sink/starrocks/sr_endpoint.hpp"

namespace dbsync::starrocks {

std::string CanonicalText(const SrColumn& column, std::string_view text) {
  switch (column.kind) {
    case SrKind::kNumber:
      if (column.type == "FLOAT") return sink::ShortestFloat(text);
      if (column.type == "DOUBLE") return sink::ShortestDouble(text);
      if (column.type.starts_with("DECIMAL")) return sink::TrimDecimal(std::string(text));
      return std::string(text);
    case SrKind::kDecimalText:
      return sink::TrimDecimal(std::string(text));
    case SrKind::kBoolean:
      return text == "true" || text == "1" ? "1" : text == "false" || text == "0" ? "0" : std::string(text);
    case SrKind::kDateTime:
      return sink::TrimFraction(std::string(text));
    case SrKind::kJson:
      return sink::CanonicalJson(text);
    default:
      return std::string(text);
  }
}

namespace {

using Select = sink::ReadbackRequest::Select;

// Keys per lookup (kKeys), and rows per page of a whole table (kAll): a
// statement, and a result, of a few megabytes at most.
constexpr size_t kLookupKeysPerQuery = 500;
constexpr size_t kRowsPerReadPage = 1000;

struct ReadColumn {
  ColumnSchema source;
  SrColumn sr;
  std::string expr;  // how a condition names it: a DECIMAL key as the number its text holds
};

class SrReadback : public sink::Readback {
 public:
  explicit SrReadback(mysql::Connection conn) : conn_(std::move(conn)) {}

  Result<std::optional<std::string>> Expected(const ColumnSchema& column, const Value& v) override {
    if (v.is_null()) return std::optional<std::string>();
    // A key column maps alike but for DECIMAL (VARCHAR of the exact text),
    // whose canonical text is the same either way.
    SYNC_ASSIGN_OR_RETURN(SrColumn sr, MapColumn(column, false));
    scratch_.clear();
    SYNC_RETURN_IF_ERROR(encoder_.AppendValue(v, sr, &scratch_).WithContext("column " + column.name));
    if (scratch_ == "null") return std::optional<std::string>();  // a zero date: NULL at StarRocks
    if (sr.kind != SrKind::kJson && !scratch_.empty() && scratch_[0] == '"')
      scratch_ = nlohmann::json::parse(scratch_).get<std::string>();
    return std::optional<std::string>(CanonicalText(sr, scratch_));
  }

  Status Read(const sink::ReadbackRequest& r, const std::function<void(sink::CanonicalRow&&)>& each) override {
    std::vector<ReadColumn> columns;
    for (size_t i = 0; i < r.columns.size(); ++i) {
      bool is_key = std::find(r.key.begin(), r.key.end(), i) != r.key.end();
      SYNC_ASSIGN_OR_RETURN(SrColumn sr, MapColumn(r.columns[i], is_key));
      std::string expr = QuoteIdentifier(sr.name);
      if (is_key && sr.kind == SrKind::kDecimalText)
        expr = "CAST(" + expr + " AS DECIMAL(" + std::to_string(r.columns[i].precision > 0 ? r.columns[i].precision : 10) +
               "," + std::to_string(r.columns[i].scale) + "))";
      columns.push_back({r.columns[i], std::move(sr), std::move(expr)});
    }
    std::vector<const ReadColumn*> key;
    for (size_t k : r.key) key.push_back(&columns[k]);
    const bool keys_only = r.select == Select::kKeysAfter;
    std::vector<const ReadColumn*> selected;
    if (keys_only) selected = key;
    else
      for (const auto& c : columns) selected.push_back(&c);
    std::vector<std::string> names, key_exprs;
    for (const ReadColumn* c : selected) names.push_back(QuoteIdentifier(c->sr.name));
    for (const ReadColumn* c : key) key_exprs.push_back(c->expr);
    auto literal = [&key](size_t i, const std::optional<std::string>& v) { return Literal(*key[i], v); };
    const std::string from = "SELECT " + Join(names, ", ") + " FROM " + QuoteIdentifier(r.schema) + "." +
                             QuoteIdentifier(r.table);
    std::vector<std::string> where;
    if (!r.hidden_column.empty())
      where.push_back("NOT (" + QuoteIdentifier(r.hidden_column) + " <=> " + mysql::QuoteString(r.hidden_value) + ")");
    auto run = [&](std::vector<std::string> conditions, const std::string& tail) -> Result<size_t> {
      conditions.insert(conditions.end(), where.begin(), where.end());
      std::string sql = from + (conditions.empty() ? "" : " WHERE " + Join(conditions, " AND ")) + tail;
      SYNC_ASSIGN_OR_RETURN(auto result, conn_.Query(sql));
      for (auto& row : result.rows) {
        for (size_t i = 0; i < row.size() && i < selected.size(); ++i)
          if (row[i]) row[i] = CanonicalText(selected[i]->sr, *row[i]);
        last_ = row;
        each(std::move(row));
      }
      return result.rows.size();
    };
    const std::string ordered = key_exprs.empty() ? "" : " ORDER BY " + Join(key_exprs, ", ");
    switch (r.select) {
      case Select::kRange: {
        std::vector<std::string> conditions;
        if (!r.lower.empty()) conditions.push_back(sink::KeyAfter(key_exprs, r.lower));
        if (!r.upper.empty()) conditions.push_back("NOT " + sink::KeyAfter(key_exprs, r.upper));
        return run(std::move(conditions), "").status();
      }
      case Select::kKeys:
        // A one-column key as a list, which StarRocks looks up in its key index.
        for (size_t from_key = 0; from_key < r.keys.size(); from_key += kLookupKeysPerQuery) {
          std::vector<sink::CanonicalRow> some(r.keys.begin() + long(from_key),
                                               r.keys.begin() + long(std::min(r.keys.size(), from_key + kLookupKeysPerQuery)));
          SYNC_RETURN_IF_ERROR(run({sink::KeyAmong(key_exprs, some, literal)}, "").status());
        }
        return Status::Ok();
      case Select::kKeysAfter: {
        std::vector<std::string> conditions;
        if (!r.after.empty()) conditions.push_back(sink::KeyAfter(key_exprs, sink::KeyLiterals(r.after, literal)));
        return run(std::move(conditions), ordered + " LIMIT " + std::to_string(r.limit)).status();
      }
      case Select::kAll: {
        // StarRocks tables of sync have a key (a keyless table is refused at
        // start): page by it, so that memory stays bounded.
        if (key.empty()) return run({}, "").status();
        std::vector<std::string> after;
        while (true) {
          std::vector<std::string> conditions;
          if (!after.empty()) conditions.push_back(sink::KeyAfter(key_exprs, after));
          SYNC_ASSIGN_OR_RETURN(size_t n, run(std::move(conditions), ordered + " LIMIT " + std::to_string(kRowsPerReadPage)));
          if (n < kRowsPerReadPage) return Status::Ok();
          sink::CanonicalRow last_key;
          for (size_t k : r.key) last_key.push_back(last_[k]);
          after = sink::KeyLiterals(last_key, literal);
        }
      }
    }
    return Status::Ok();
  }

 private:
  // A canonical value of `c` as a SQL literal that compares with c.expr.
  static std::string Literal(const ReadColumn& c, const std::optional<std::string>& v) {
    if (!v) return "NULL";
    switch (c.sr.kind) {
      case SrKind::kNumber:
      case SrKind::kBitNumber:
      case SrKind::kBoolean:
      case SrKind::kDecimalText:  // compared as CAST(... AS DECIMAL)
        return *v;
      default:
        return mysql::QuoteString(*v);
    }
  }
  mysql::Connection conn_;
  JsonRowEncoder encoder_;
  std::string scratch_;
  sink::CanonicalRow last_;  // the last row handed on (kAll pages after its key)
};

}  // namespace

Result<std::unique_ptr<sink::Readback>> OpenSrReadback(const config::TaskSpec& spec) {
  const auto& d = spec.destination;
  SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(d.password));
  SYNC_ASSIGN_OR_RETURN(auto conn, mysql::Connection::Connect(FeEndpoint(d, password, 600)));
  return std::unique_ptr<sink::Readback>(new SrReadback(std::move(conn)));
}

}  // namespace dbsync::starrocks
