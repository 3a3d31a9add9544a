#include "sink/maxcompute/mc_change_log.hpp"

#include "core/text_util.hpp"
#include "sink/maxcompute/mc_partitions.hpp"
#include "sink/maxcompute/mc_schema_change.hpp"
#include "sink/maxcompute/mc_state.hpp"

namespace dbsync::maxcompute {
namespace {

const char* const kLogColumnNames[kLogFieldCount] = {kSequenceIdColumn, kOperationTypeColumn, kExecuteTimeColumn,
                                                     kBeforeImageColumn, kAfterImageColumn};

// A one-letter STRING field: binary, so the encoder copies it as it is.
Value Letter(char c) { return Bytes{std::string(1, c), kBinaryCollation}; }

std::string ColumnList(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + QuoteName(c);
  return out;
}

}  // namespace

Result<WriteMode> WriteModeOf(const sink::TableBinding& t, const config::DestinationSpec& d) {
  std::string chosen = t.settings && !t.settings->write_mode.empty() ? t.settings->write_mode : d.write_mode;
  if (chosen == "log") return WriteMode::kLog;
  if (chosen.empty()) return t.key.empty() ? WriteMode::kLog : WriteMode::kUpsert;
  if (t.key.empty())
    return Status::FailedPrecondition("source table " + t.SourceName() + " has no primary key, and write_mode " +
                                      "upsert writes MaxCompute Delta tables by key; set tables[].primary_key "
                                      "for it, or tables[].write_mode: log to write it as a change log");
  return WriteMode::kUpsert;
}

std::vector<McColumn> LogColumns(int first_index) {
  std::vector<McColumn> out;
  for (int i = 0; i < kLogFieldCount; ++i) {
    McColumn c;
    c.name = kLogColumnNames[i];
    const bool number = i == 0 || i == 2;
    c.type = number ? "BIGINT" : "STRING";
    c.kind = number ? McKind::kBigint : McKind::kString;
    c.source_index = first_index + i;
    out.push_back(std::move(c));
  }
  return out;
}

bool IsLogColumn(const std::string& name) {
  for (const char* c : kLogColumnNames)
    if (ToLower(name) == c) return true;
  return false;
}

Result<std::vector<McColumn>> MapLogColumns(const TableSchema& table) {
  for (const auto& c : table.columns)
    if (IsLogColumn(c.name))
      return Status::FailedPrecondition("column " + c.name + " of " + table.FullName() +
                                        " has the name of a change-log field; rename it in MySQL, or write the table "
                                        "with tables[].write_mode: upsert");
  SYNC_ASSIGN_OR_RETURN(auto columns, MapColumns(table, {}));
  for (auto& c : LogColumns(int(table.columns.size()))) columns.push_back(std::move(c));
  if (columns.size() > kMaxColumns)
    return Status::FailedPrecondition(table.FullName() + " has " + std::to_string(table.columns.size()) +
                                      " columns, and its change log adds " + std::to_string(kLogFieldCount) +
                                      " to them: MaxCompute allows " + std::to_string(kMaxColumns));
  return columns;
}

LogFields SnapshotFields() { return {Value(int64_t{0}), Letter('I'), Value(int64_t{0}), Letter('N'), Letter('Y')}; }

LogFields ChangeFields(int64_t sequence_id, char operation, int64_t execute_time_ms, bool before_image) {
  return {Value(sequence_id), Letter(operation), Value(execute_time_ms), Letter(before_image ? 'Y' : 'N'),
          Letter(before_image ? 'N' : 'Y')};
}

Result<std::string> CreateLogTableSql(const sink::TableBinding& t) {
  SYNC_ASSIGN_OR_RETURN(auto columns, MapLogColumns(t.source));
  SYNC_ASSIGN_OR_RETURN(auto partitioning, PartitioningOf(t));
  if (partitioning) columns = WithoutPartitionColumn(*partitioning, std::move(columns));
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QuoteName(t.dest_table) + " (";
  for (size_t i = 0; i < columns.size(); ++i)
    sql += (i ? ", " : "") + QuoteName(columns[i].name) + " " + columns[i].type;
  return sql + ") COMMENT 'change log of " + t.SourceName() + ", written by sync'" +
         PartitionedBy(partitioning ? partitioning->column : "");
}

std::string RebuildSql(const std::string& table, const std::vector<std::string>& columns,
                       const std::vector<std::string>& key, std::optional<int64_t> as_of_ms) {
  const std::string where = as_of_ms ? " WHERE " + QuoteName(kExecuteTimeColumn) + " <= " + std::to_string(*as_of_ms)
                                     : std::string();
  const std::string list = ColumnList(columns);
  if (key.empty()) {
    const std::string count = "SUM(IF(" + QuoteName(kAfterImageColumn) + " = 'Y', 1, -1))";
    return "SELECT " + list + ", " + count + " AS `_rows_` FROM " + QuoteName(table) + where + " GROUP BY " + list +
           " HAVING " + count + " > 0";
  }
  return "SELECT " + list + " FROM (SELECT " + list + ", " + QuoteName(kAfterImageColumn) +
         ", ROW_NUMBER() OVER (PARTITION BY " + ColumnList(key) + " ORDER BY " + QuoteName(kSequenceIdColumn) +
         " DESC) AS `_rank_` FROM " + QuoteName(table) + where + ") `r` WHERE `_rank_` = 1 AND " +
         QuoteName(kAfterImageColumn) + " = 'Y'";
}

}  // namespace dbsync::maxcompute
