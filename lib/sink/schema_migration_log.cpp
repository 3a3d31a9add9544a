#include "sink/schema_migration_log.hpp"

namespace dbsync::sink {

SchemaMigrationLog& SchemaMigrationLog::Instance() {
  static SchemaMigrationLog log;
  return log;
}

void SchemaMigrationLog::Record(const std::string& source_table, SchemaMigration migration) {
  std::lock_guard<std::mutex> lock(mu_);
  tables_[source_table] = std::move(migration);
}

std::map<std::string, SchemaMigration> SchemaMigrationLog::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tables_;
}

}  // namespace dbsync::sink
