#pragma once
// What schema migration did to each destination table in this process, for
// `sync status`: the sinks record it in PrepareTable, the reporter shows it.
// A process-wide log (like DmlCountsRegistry) so that the Sink interface
// needs no reporting channel. Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace dbsync::sink {

struct SchemaMigration {
  // created: made by this step; kept: there already (an earlier run made it)
  // and checked to fit; existing: the user's (tables[].mode existing), checked.
  std::string outcome;
  std::vector<std::string> ddl;  // the statements run, in order (none for kept and existing)
};

class SchemaMigrationLog {
 public:
  static SchemaMigrationLog& Instance();
  // `source_table` is "db.table".
  void Record(const std::string& source_table, SchemaMigration migration);
  std::map<std::string, SchemaMigration> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, SchemaMigration> tables_;
};

}  // namespace dbsync::sink
