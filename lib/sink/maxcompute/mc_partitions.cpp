#include "sink/maxcompute/mc_partitions.hpp"

#include <algorithm>

#include "core/text_util.hpp"
#include "core/value_text.hpp"
#include "sink/maxcompute/mc_state.hpp"

namespace dbsync::maxcompute {
namespace {

bool IsPartitionValueChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view(" :_$#.!@").find(char(c)) != std::string_view::npos;
}

// The value's text as a partition value: digits, a text's bytes, an ENUM's
// label, a date as YYYY-MM-DD (which MaxCompute refuses: a template such as
// ${d:%Y%m%d} gives one it takes).
std::optional<std::string> PartitionText(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kInt: return std::to_string(v.as<int64_t>());
    case ValueKind::kUint: return std::to_string(v.as<uint64_t>());
    case ValueKind::kYear: return std::to_string(v.as<Year>().value);
    case ValueKind::kDecimal: return v.as<Decimal>().text;
    case ValueKind::kBytes: return v.as<Bytes>().data;
    case ValueKind::kEnum: return v.as<Enum>().label;
    case ValueKind::kDate: {
      const Date& d = v.as<Date>();
      std::string out;
      AppendDate(d.year, d.month, d.day, &out);
      return out;
    }
    default: return std::nullopt;
  }
}

std::string KeyText(const sink::TableBinding& t, const std::vector<Value>& row) {
  std::vector<std::string> names, values;
  for (const auto& k : t.key) {
    int i = t.source.ColumnIndex(k);
    names.push_back(k);
    values.push_back(i >= 0 && size_t(i) < row.size() ? row[size_t(i)].ToString() : "?");
  }
  return "(" + Join(names, ", ") + ")=(" + Join(values, ", ") + ")";
}

}  // namespace

Result<std::optional<Partitioning>> PartitioningOf(const sink::TableBinding& t) {
  if (!t.settings || !t.settings->partition) return std::optional<Partitioning>();
  const std::string& column = t.settings->partition->field;
  int i = t.source.ColumnIndex(column);
  if (i < 0)
    return Status::Internal("the partition column " + column + " of " + t.SourceName() + " is not in its binding");
  return std::optional<Partitioning>(Partitioning{column, size_t(i)});
}

std::vector<McColumn> WithoutPartitionColumn(const Partitioning& p, std::vector<McColumn> columns) {
  std::erase_if(columns, [&](const McColumn& c) { return c.source_index == int(p.index); });
  return columns;
}

std::vector<std::string> KeyWithoutPartitionColumn(const Partitioning& p, const std::vector<std::string>& key) {
  std::vector<std::string> out;
  for (const auto& k : key)
    if (k != p.column) out.push_back(k);
  return out;
}

Status CheckPartitionValue(std::string_view value) {
  if (value.empty()) return Status::InvalidArgument("an empty text is no MaxCompute partition value");
  if (value.size() > kMaxPartitionValueBytes)
    return Status::InvalidArgument("'" + std::string(value.substr(0, 40)) + "...' is longer than the " +
                                   std::to_string(kMaxPartitionValueBytes) + " bytes of a MaxCompute partition value");
  for (unsigned char c : value)
    if (!IsPartitionValueChar(c))
      return Status::InvalidArgument("'" + std::string(value) + "' is no MaxCompute partition value, which takes " +
                                     "letters, digits, space and : _ $ # . ! @ only");
  return Status::Ok();
}

Result<std::string> PartitionSpecOf(const Partitioning& p, const sink::TableBinding& t, const std::vector<Value>& row) {
  const std::string where = "the partition column " + p.column + " of " + t.SourceName() + " (tables[].partition)";
  if (p.index >= row.size() || row[p.index].is_null())
    return Status::InvalidArgument(where + " is NULL for the row with key " + KeyText(t, row));
  std::optional<std::string> text = PartitionText(row[p.index]);
  if (!text)
    return Status::InvalidArgument(where + " holds a value MaxCompute cannot name a partition by, for the row with "
                                   "key " + KeyText(t, row) + "; give the partition a value template, e.g. "
                                   "'${column:%Y%m%d}'");
  if (Status s = CheckPartitionValue(*text); !s.ok())
    return Status::InvalidArgument(where + ", for the row with key " + KeyText(t, row) + ": " + s.message() +
                                   "; choose a value template that gives one (e.g. '${created:%Y%m%d}' for a date)");
  return p.column + "=" + *text;
}

std::string AddPartitionsSql(const std::string& table, const std::string& column, const std::set<std::string>& values) {
  std::string sql = "ALTER TABLE " + QuoteName(table) + " ADD IF NOT EXISTS";
  for (const auto& v : values) sql += " PARTITION (" + QuoteName(column) + "=" + QuoteLiteral(v) + ")";
  return sql;
}

std::string PartitionValueOfSpec(const std::string& spec) {
  size_t eq = spec.find('=');
  return eq == std::string::npos ? spec : spec.substr(eq + 1);
}

}  // namespace dbsync::maxcompute
