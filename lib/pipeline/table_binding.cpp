#include "pipeline/table_binding.hpp"

#include "pipeline/name_mapping.hpp"
#include "source/mysql/schema_reader.hpp"

namespace dbsync::pipeline {

sink::TableBinding BindTable(const config::TaskSpec& spec, const TableSchema& schema) {
  sink::TableBinding b;
  b.source = schema;
  DestinationName name = MapTableName(spec, schema.db, schema.table);
  b.dest_schema = name.schema;
  b.dest_table = name.table;
  b.settings = config::FindTableSpec(spec, schema.db, schema.table);
  b.key = b.settings && !b.settings->primary_key.empty() ? b.settings->primary_key : schema.primary_key;
  return b;
}

Result<std::vector<sink::TableBinding>> BindTables(const config::TaskSpec& spec, mysql::Connection& conn) {
  SYNC_ASSIGN_OR_RETURN(auto tables, mysql::ListSelectedTables(conn, spec.source));
  if (tables.empty())
    return Status::FailedPrecondition("no source table matches source.tables; run `sync check` for details");
  std::vector<sink::TableBinding> out;
  for (const auto& t : tables) {
    SYNC_ASSIGN_OR_RETURN(TableSchema schema, mysql::ReadTableSchema(conn, t.db, t.table));
    sink::TableBinding b = BindTable(spec, schema);
    for (const auto& k : b.key)
      if (schema.ColumnIndex(k) < 0)
        return Status::InvalidArgument("tables[].primary_key names column '" + k + "', which " + schema.FullName() +
                                       " does not have");
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace dbsync::pipeline
