#pragma once
// The soak's random workload at the source, in database shop: row changes
// over the type matrix on tables with and without a primary key, large
// transactions (thousands of rows), and the DDL sync follows (ADD, DROP and
// MODIFY COLUMN, RENAME, CREATE and DROP TABLE). It survives the source
// restarting under it: a statement that fails is dropped, the connection is
// opened again, and the tables' shape is read back from the server, so what
// the workload believes never drifts from what is there.

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "harness/servers.hpp"
#include "harness/type_matrix.hpp"

namespace dbsync::testing {

// A column the workload added to a table (beyond the type matrix).
struct ExtraColumn {
  std::string name, type;  // type as MySQL spells it in information_schema, e.g. "int(11)"
};

struct SoakTable {
  std::string name;
  bool keyed = false;
  int rows = 0;
  int max_id = 0;
  std::vector<ExtraColumn> extras;
};

struct WorkloadCounts {
  std::atomic<int64_t> transactions{0}, rows{0}, large_transactions{0}, failed_statements{0}, reconnects{0};
  std::map<std::string, int64_t> ddl;  // by kind; written by the workload's thread only
  int64_t DdlTotal() const;
};

class SoakWorkload {
 public:
  // `hologres`: only what a Hologres table takes: every table has a key,
  // and MODIFY widens a VARCHAR only (Hologres changes no other type).
  SoakWorkload(const MariaDbServer& mysql, uint32_t seed, bool hologres = false);

  // Tables to start with (two with a key, two without), filled.
  void CreateInitialTables();
  // Runs until `stop`: a small transaction each step, now and then a large
  // one or a DDL.
  void Run(const std::atomic<bool>& stop);
  const WorkloadCounts& counts() const { return counts_; }

 private:
  void Step();
  void SmallTransaction(SoakTable& t);
  void LargeTransaction(SoakTable& t);
  void Ddl();
  void CreateTable(bool keyed, int rows);
  void AddColumn(const SoakTable& t);
  void DropColumn(const SoakTable& t);
  void ModifyColumn(const SoakTable& t);
  void RenameTable(const SoakTable& t);
  void DropTable(const SoakTable& t);

  // One row change: insert, update of a few columns, key change, delete.
  std::string RowChange(SoakTable& t);
  std::string InsertRows(const SoakTable& t, int first_id, int count);
  std::string ExtraValue(const ExtraColumn& c);
  // Runs `sql`; false when it failed (counted; a lost connection is reopened).
  bool Exec(const std::string& sql);
  void CountDdl(const std::string& kind, bool ran);
  // Reads the tables of shop (but the fence) and their shape back.
  void Refresh();
  void Reconnect();
  uint32_t Pick(uint32_t n) { return rng_() % n; }

  const MariaDbServer& mysql_;
  const bool hologres_;
  const std::atomic<bool>* stop_ = nullptr;
  std::mt19937 rng_;
  TypeMatrixRows values_;
  std::optional<mysql::Connection> conn_;
  std::vector<SoakTable> tables_;
  int next_name_ = 1;  // table and column names are never reused
  WorkloadCounts counts_;
};

// The table the final catch-up writes its fence row to; never changed otherwise.
inline constexpr const char* kFenceTable = "soak_fence";

}  // namespace dbsync::testing
