#include "sink/starrocks/sr_conflict.hpp"

#include <nlohmann/json.hpp>

#include "core/text_util.hpp"

namespace dbsync::starrocks {
namespace {

// Keys per existence query: a statement of a few hundred kilobytes at most.
constexpr size_t kKeysPerQuery = 500;

}  // namespace

std::string PartialUpdateColumns(const std::vector<SrColumn>& columns) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(QuoteIdentifier(c.name));
  return Join(names, ",");
}

Result<std::string> SqlLiteral(JsonRowEncoder& encoder, const Value& v, const SrColumn& col) {
  std::string literal;
  SYNC_RETURN_IF_ERROR(encoder.AppendValue(v, col, &literal));
  if (!literal.empty() && literal[0] == '"') literal = mysql::QuoteString(nlohmann::json::parse(literal).get<std::string>());
  if (col.kind == SrKind::kJson) literal = "parse_json(" + mysql::QuoteString(literal) + ")";
  return literal;
}

Result<std::vector<bool>> KeysPresent(mysql::Connection& conn, const std::string& db, const std::string& table,
                                      const std::vector<SrColumn>& columns,
                                      const std::vector<const std::vector<Value>*>& rows) {
  std::vector<bool> present(rows.size(), false);
  std::vector<const SrColumn*> key;
  for (const auto& c : columns)
    if (c.key) key.push_back(&c);
  JsonRowEncoder encoder;
  for (size_t from = 0; from < rows.size(); from += kKeysPerQuery) {
    const size_t to = std::min(rows.size(), from + kKeysPerQuery);
    // CASE names the row a found key belongs to, whatever text StarRocks
    // would render the key's values as.
    // A one-column key is a list StarRocks looks up in its key index.
    std::string which = "CASE", where, list;
    for (size_t i = from; i < to; ++i) {
      std::string match;
      for (const auto& c : key) {
        SYNC_ASSIGN_OR_RETURN(std::string literal, SqlLiteral(encoder, (*rows[i])[size_t(c->source_index)], *c));
        match += (match.empty() ? "" : " AND ") + QuoteIdentifier(c->name) + " = " + literal;
        list += (list.empty() ? "" : ", ") + literal;
      }
      which += " WHEN " + match + " THEN " + std::to_string(i);
      where += (where.empty() ? "(" : " OR (") + match + ")";
    }
    if (key.size() == 1) where = QuoteIdentifier(key[0]->name) + " IN (" + list + ")";
    SYNC_ASSIGN_OR_RETURN(auto found, conn.Query("SELECT " + which + " END FROM " + QuoteIdentifier(db) + "." +
                                                 QuoteIdentifier(table) + " WHERE " + where));
    for (const auto& row : found.rows) {
      size_t i = std::stoul(row[0].value_or("0"));
      if (i < present.size()) present[i] = true;
    }
  }
  return present;
}

}  // namespace dbsync::starrocks
