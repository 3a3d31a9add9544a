#include "soak/soak_compare.hpp"

#include <cstring>
#include <optional>
#include <set>

#include "harness/type_matrix.hpp"

namespace dbsync::testing {
namespace {

// The canonical text of a column on each side: the type matrix's, or by its
// type for the columns the workload added (INT, BIGINT, DECIMAL, VARCHAR).
std::pair<std::string, std::string> Canonical(const std::string& column, const std::string& data_type) {
  for (const auto& c : kTypeMatrixCanonical)
    if (column == c.name) return {c.mysql, c.postgres};
  const std::string pg = "\"" + column + "\"";
  if (data_type == "varchar") return {"MD5(`" + column + "`)", "md5(" + pg + ")"};
  return {"CAST(`" + column + "` AS CHAR)", pg + "::text"};
}

std::vector<std::string> SourceTables(mysql::Connection& conn) {
  std::vector<std::string> out;
  auto r = conn.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND "
                      "TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME");
  if (!r.ok()) throw std::runtime_error(r.status().message());
  for (const auto& row : r->rows) out.push_back(*row[0]);
  return out;
}

std::set<std::string> DestinationTables(postgres::Connection& conn) {
  std::set<std::string> out;
  auto r = conn.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'shop'");
  if (!r.ok()) throw std::runtime_error(r.status().message());
  for (const auto& row : r->rows) out.insert(*row[0]);
  return out;
}

// The canonical line of a row on each side (CONCAT_WS arguments), and the
// column names in the same order.
struct Lines {
  std::string source, destination, names;
};

Lines CanonicalLines(mysql::Connection& src, const std::string& table) {
  auto cols = src.Query("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' "
                        "AND TABLE_NAME = '" + table + "' ORDER BY ORDINAL_POSITION");
  if (!cols.ok()) throw std::runtime_error(cols.status().message());
  Lines out;
  for (const auto& c : cols->rows) {
    auto [m, p] = Canonical(*c[0], *c[1]);
    const char* comma = out.names.empty() ? "" : ", ";
    out.source += comma + std::string("IFNULL(") + m + ", '~')";
    out.destination += comma + std::string("coalesce(") + p + ", '~')";
    out.names += (out.names.empty() ? "" : "|") + *c[0] + " " + *c[1];
  }
  return out;
}

// The first row whose line differs, both lines, for the report.
std::string FirstDifference(mysql::Connection& src, postgres::Connection& dst, const std::string& table) {
  const Lines l = CanonicalLines(src, table);
  auto s = src.Query("SELECT l FROM (SELECT id, CONCAT_WS('|', " + l.source + ") AS l FROM shop.`" + table +
                     "`) x ORDER BY id, MD5(l)");
  auto d = dst.Query("SELECT l FROM (SELECT id, concat_ws('|', " + l.destination + ") AS l FROM shop.\"" + table +
                     "\") x ORDER BY id, md5(l)");
  if (!s.ok() || !d.ok()) return "\n  (rows unreadable: " + (s.ok() ? d.status().message() : s.status().message()) + ")";
  for (size_t i = 0; i < std::min(s->rows.size(), d->rows.size()); ++i)
    if (s->rows[i][0] != d->rows[i][0])
      return "\n  columns:     " + l.names + "\n  source:      " + s->rows[i][0].value_or("NULL") +
             "\n  destination: " + d->rows[i][0].value_or("NULL");
  return "";
}

// "count:md5" of the table on both sides, ordered by id and then by the
// line's own digest (tables without a key may hold identical rows).
std::pair<std::string, std::string> Digests(mysql::Connection& src, postgres::Connection& dst, const std::string& table) {
  const Lines l = CanonicalLines(src, table);
  const std::string& src_line = l.source;
  const std::string& dst_line = l.destination;
  auto s = src.Query("SELECT CONCAT(COUNT(*), ':', IFNULL(MD5(GROUP_CONCAT(l ORDER BY id, MD5(l) SEPARATOR '\\n')), '-'))"
                     " FROM (SELECT id, CONCAT_WS('|', " + src_line + ") AS l FROM shop.`" + table + "`) x");
  if (!s.ok()) throw std::runtime_error(s.status().message());
  auto d = dst.Query("SELECT count(*) || ':' || coalesce(md5(string_agg(l, E'\\n' ORDER BY id, md5(l))), '-')"
                     " FROM (SELECT id, concat_ws('|', " + dst_line + ") AS l FROM shop.\"" + table + "\") x");
  return {s->Scalar(), d.ok() ? d->Scalar() : "unreadable: " + d.status().message()};
}

}  // namespace

DigestComparison CompareDigests(const MariaDbServer& mysql, const PostgresServer& dest) {
  DigestComparison out;
  auto src = mysql.Admin();
  if (!src.Execute("SET SESSION group_concat_max_len = 4294967295").ok())
    throw std::runtime_error("cannot raise group_concat_max_len at the source");
  auto dst = dest.Admin("dw");
  std::set<std::string> left = DestinationTables(dst);
  for (const auto& table : SourceTables(src)) {
    ++out.tables;
    if (!left.erase(table)) {
      out.differences.push_back("shop." + table + ": not at the destination");
      continue;
    }
    auto [s, d] = Digests(src, dst, table);
    out.rows += std::stoll(s.substr(0, s.find(':')));
    if (s != d)
      out.differences.push_back("shop." + table + ": source " + s + ", destination " + d +
                                FirstDifference(src, dst, table));
  }
  for (const auto& extra : left) out.differences.push_back("shop." + extra + ": at the destination only");
  return out;
}

}  // namespace dbsync::testing
