#include "sink/maxcompute/mc_conflict.hpp"

#include <cstdio>

#include "sink/maxcompute/mc_state.hpp"

namespace dbsync::maxcompute {
namespace {

// Keys per query: a statement of a few hundred kilobytes at most.
constexpr size_t kKeysPerQuery = 500;

}  // namespace

bool WritesPartially(const sink::TableBinding& t) { return t.on_conflict() != config::ConflictPolicy::kReplace; }

Status CheckPartialUpdates(const UpsertSession& session, const sink::TableBinding& t, const std::string& table) {
  if (!WritesPartially(t) || session.partial_update()) return Status::Ok();
  return Status::FailedPrecondition(
      "MaxCompute table " + table + " does not take partial updates, which tables[].on_conflict: " +
      config::ConflictPolicyName(t.on_conflict()) + " of " + t.SourceName() + " needs to leave its other columns "
      "as they are; it must be made with TBLPROPERTIES ('transactional'='true', "
      "'acid.partial.fields.update.enable'='true') (MaxCompute sets this only when a table is created), or use "
      "on_conflict: replace");
}

Result<std::string> SqlLiteralOf(const McColumn& col, const Value& value) {
  switch (value.kind()) {
    case ValueKind::kInt:
    case ValueKind::kUint:
    case ValueKind::kFloat:
    case ValueKind::kDouble:
    case ValueKind::kYear: return "CAST(" + value.ToString() + " AS " + col.type + ")";
    case ValueKind::kDecimal: return "CAST(" + QuoteLiteral(value.as<Decimal>().text) + " AS " + col.type + ")";
    case ValueKind::kBytes:
      if (col.kind == McKind::kString) return QuoteLiteral(value.as<Bytes>().data);
      break;
    case ValueKind::kEnum: return QuoteLiteral(value.as<Enum>().label);
    case ValueKind::kBit: return "CAST(" + std::to_string(value.as<Bit>().bits) + " AS " + col.type + ")";
    case ValueKind::kTime:
    case ValueKind::kSet:
    case ValueKind::kJson: return QuoteLiteral(value.ToString());
    case ValueKind::kDate: {
      const Date& d = value.as<Date>();
      char text[32];
      std::snprintf(text, sizeof text, "%04d-%02u-%02u", d.year, unsigned(d.month), unsigned(d.day));
      return "DATE " + QuoteLiteral(text);
    }
    case ValueKind::kDateTime: {  // the wall clock, which MaxCompute reads in the project's zone as sync does
      const DateTime& t = value.as<DateTime>();
      char text[64];
      std::snprintf(text, sizeof text, "%04d-%02u-%02u %02u:%02u:%02u.%03u", t.year, unsigned(t.month),
                    unsigned(t.day), unsigned(t.hour), unsigned(t.minute), unsigned(t.second), t.micros / 1000);
      return "DATETIME " + QuoteLiteral(text);
    }
    default: break;
  }
  return Status::InvalidArgument("sync cannot write the value " + value.ToString() + " of column " + col.name +
                                 " into MaxCompute with SQL");
}

Result<std::vector<bool>> KeysPresent(const Client& client, const sink::TableBinding& t, const MappedTable& m,
                                      const std::vector<const std::vector<Value>*>& rows) {
  std::vector<bool> present(rows.size(), false);
  std::vector<const McColumn*> key;
  for (const auto& c : m.columns)
    if (c.key) key.push_back(&c);
  // One key column of an unpartitioned table: `k IN (...)`; otherwise an OR
  // of matches, in smaller statements.
  const bool listed = key.size() == 1 && !m.partitioning;
  const size_t per_query = listed ? kKeysPerQuery : kKeysPerQuery / 5;
  for (size_t from = 0; from < rows.size(); from += per_query) {
    const size_t to = std::min(rows.size(), from + per_query);
    // CASE names the row a found key belongs to, whatever text MaxCompute
    // would render the key's values as.
    std::string which = "CASE", where, list;
    for (size_t i = from; i < to; ++i) {
      std::string match;
      for (const McColumn* c : key) {
        auto literal = SqlLiteralOf(*c, (*rows[i])[size_t(c->source_index)]);
        if (!literal.ok())
          return literal.status().WithContext("asking which keys " + m.table + " has (on_conflict: ignore)");
        match += (match.empty() ? "" : " AND ") + QuoteName(c->name) + " = " + *literal;
        list += (list.empty() ? "" : ", ") + *literal;
      }
      if (m.partitioning) {  // a Delta table's key is unique within a partition
        SYNC_ASSIGN_OR_RETURN(std::string spec, PartitionSpecOf(*m.partitioning, t, *rows[i]));
        match += " AND " + QuoteName(m.partitioning->column) + " = " + QuoteLiteral(PartitionValueOfSpec(spec));
      }
      which += " WHEN " + match + " THEN " + std::to_string(i);
      where += (where.empty() ? "(" : " OR (") + match + ")";
    }
    if (listed) where = QuoteName(key[0]->name) + " IN (" + list + ")";
    SYNC_ASSIGN_OR_RETURN(std::string text, client.RunSql("SELECT " + which + " END AS i FROM " + QuoteName(m.table) +
                                                          " WHERE " + where));
    for (const auto& row : ParseCsvResult(text)) {
      if (row.empty() || !row[0]) continue;
      size_t i = std::stoul(*row[0]);
      if (i < present.size()) present[i] = true;
    }
  }
  return present;
}

}  // namespace dbsync::maxcompute
