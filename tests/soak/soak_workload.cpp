#include "soak/soak_workload.hpp"

#include <mysql.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace dbsync::testing {
namespace {

// A large transaction deletes from a table past this size. Lower without a
// key: the destination matches those rows on every column, without an index.
constexpr int kLargeTableRows = 6000;
constexpr int kLargeKeylessTableRows = 2000;
constexpr int kMaxTables = 8;
constexpr int kMinTables = 3;

std::string Quoted(const std::string& table) { return "shop.`" + table + "`"; }

std::string ColumnList(const SoakTable& t) {
  std::string out = "id";
  for (const char* c : kTypeMatrixColumnNames) out += std::string(", ") + c;
  for (const auto& x : t.extras) out += ", `" + x.name + "`";
  return out;
}

}  // namespace

int64_t WorkloadCounts::DdlTotal() const {
  int64_t n = 0;
  for (const auto& [kind, count] : ddl) n += count;
  return n;
}

SoakWorkload::SoakWorkload(const MariaDbServer& mysql, uint32_t seed, bool hologres)
    : mysql_(mysql), hologres_(hologres), rng_(seed), values_(seed ^ 0x5eed, 30000) {}

void SoakWorkload::CreateInitialTables() {
  Reconnect();
  for (bool keyed : {true, true, false, false}) CreateTable(keyed, 300);
  if (!Exec(std::string("CREATE TABLE shop.") + kFenceTable + " (id INT PRIMARY KEY)"))
    throw std::runtime_error("cannot create the fence table");
  counts_.ddl.clear();  // the start is not the workload's DDL
  Refresh();
}

void SoakWorkload::Run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  for (int step = 0; !stop; ++step) {
    if (step % 100 == 0) Refresh();
    Step();
    // Pacing, not waiting for a condition: a rate the worker keeps up with
    // between the faults (on 2 shared cores), so the lag stays bounded
    // however long the soak runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void SoakWorkload::Step() {
  if (tables_.empty()) {
    CreateTable(Pick(2) == 0, 100);
    return;
  }
  SoakTable& t = tables_[Pick(uint32_t(tables_.size()))];
  const uint32_t dice = Pick(1000);
  if (dice < 12) {
    Ddl();
  } else if (dice < 16) {
    LargeTransaction(t);
  } else {
    SmallTransaction(t);
  }
}

void SoakWorkload::SmallTransaction(SoakTable& t) {
  const int changes = 1 + int(Pick(5));
  if (changes > 1 && !Exec("BEGIN")) return;
  for (int i = 0; i < changes; ++i) Exec(RowChange(t));
  if (changes == 1 || Exec("COMMIT")) ++counts_.transactions;
}

void SoakWorkload::LargeTransaction(SoakTable& t) {
  if (!Exec("BEGIN")) return;
  const std::string remainder = std::to_string(Pick(3));
  if (t.rows > (t.keyed ? kLargeTableRows : kLargeKeylessTableRows)) {
    Exec("DELETE FROM " + Quoted(t.name) + " WHERE id % 3 = " + remainder);
  } else {
    const int rows = 1000 + int(Pick(2000));
    for (int done = 0; done < rows; done += 250) {
      Exec(InsertRows(t, t.max_id + 1, std::min(250, rows - done)));
      t.max_id += std::min(250, rows - done);
    }
  }
  Exec("UPDATE " + Quoted(t.name) + " SET vc = CONCAT('large ', id, ' \xF0\x9F\x98\x80'), si = NULL, dtm = NOW(6)"
       " WHERE id % 4 = " + remainder);
  if (Exec("COMMIT")) {
    ++counts_.transactions;
    ++counts_.large_transactions;
  }
  Refresh();
}

std::string SoakWorkload::RowChange(SoakTable& t) {
  const int existing = 1 + int(Pick(uint32_t(std::max(t.max_id, 10))));
  const std::string where = " WHERE id = " + std::to_string(existing) + " LIMIT 1";
  switch (Pick(6)) {
    case 0:
    case 1:
      return InsertRows(t, t.keyed ? ++t.max_id : existing, 1);
    case 2:
      return "DELETE FROM " + Quoted(t.name) + where;
    case 3:
      return "UPDATE " + Quoted(t.name) + " SET id = " + std::to_string(++t.max_id) + where;
    default: {
      auto values = values_.Values();
      std::string sets;
      for (int c = 0; c < 3; ++c) {
        const size_t col = Pick(uint32_t(values.size()));
        sets += std::string(sets.empty() ? "" : ", ") + kTypeMatrixColumnNames[col] + " = " + values[col];
      }
      if (!t.extras.empty()) {
        const ExtraColumn& x = t.extras[Pick(uint32_t(t.extras.size()))];
        sets += ", `" + x.name + "` = " + ExtraValue(x);
      }
      return "UPDATE " + Quoted(t.name) + " SET " + sets + where;
    }
  }
}

std::string SoakWorkload::InsertRows(const SoakTable& t, int first_id, int count) {
  std::string sql = "INSERT INTO " + Quoted(t.name) + " (" + ColumnList(t) + ") VALUES ";
  for (int i = 0; i < count; ++i) {
    sql += (i ? ", (" : "(") + std::to_string(first_id + i);
    for (const auto& v : values_.Values()) sql += ", " + v;
    for (const auto& x : t.extras) sql += ", " + ExtraValue(x);
    sql += ")";
  }
  return sql;
}

std::string SoakWorkload::ExtraValue(const ExtraColumn& c) {
  if (Pick(8) == 0) return c.type.find("not null") != std::string::npos ? "DEFAULT" : "NULL";
  if (c.type.rfind("varchar", 0) == 0) {
    static const char* kPieces[] = {"a", "Z", " ", "\xC3\xA9", "\xF0\x9F\x98\x80", "''", "7"};
    std::string s = "'";
    for (uint32_t i = Pick(15); i > 0; --i) s += kPieces[Pick(7)];
    return s + "'";
  }
  if (c.type.rfind("decimal", 0) == 0) return std::to_string(int(Pick(2000000)) - 1000000) + ".25";
  return std::to_string(int(Pick(2000000000)) - 1000000000);
}

void SoakWorkload::Ddl() {
  SoakTable& t = tables_[Pick(uint32_t(tables_.size()))];
  switch (Pick(10)) {
    case 0:
    case 1:
    case 2: AddColumn(t); break;
    case 3:
    case 4: DropColumn(t); break;
    case 5:
    case 6: ModifyColumn(t); break;
    case 7: RenameTable(t); break;
    case 8:
      if (int(tables_.size()) < kMaxTables) CreateTable(Pick(2) == 0, 200);
      break;
    default:
      if (int(tables_.size()) > kMinTables) DropTable(t);
      break;
  }
  Refresh();
}

void SoakWorkload::CreateTable(bool keyed, int rows) {
  keyed = keyed || hologres_;  // Hologres applies updates and deletes by key only
  SoakTable t{.name = (keyed ? "k" : "n") + std::to_string(next_name_++), .keyed = keyed};
  const bool ran = Exec("CREATE TABLE " + Quoted(t.name) + " (" + kTypeMatrixColumnsDdl +
                        (keyed ? ", PRIMARY KEY (id))" : ")"));
  CountDdl("create_table", ran);
  if (!ran) return;
  for (int done = 0; done < rows; done += 100) Exec(InsertRows(t, done + 1, std::min(100, rows - done)));
  t.max_id = rows;
  tables_.push_back(t);
}

void SoakWorkload::AddColumn(const SoakTable& t) {
  static const char* kTypes[] = {"INT", "VARCHAR(20)", "DECIMAL(12,2)", "INT NOT NULL DEFAULT 7",
                                 "VARCHAR(20) DEFAULT 'd\xC3\xA9\x66'"};
  static const char* kPlaces[] = {"", "", " AFTER ti", " FIRST"};
  const std::string name = "x" + std::to_string(next_name_++);
  CountDdl("add_column", Exec("ALTER TABLE " + Quoted(t.name) + " ADD COLUMN `" + name + "` " + kTypes[Pick(5)] +
                              kPlaces[Pick(4)]));
}

void SoakWorkload::DropColumn(const SoakTable& t) {
  if (t.extras.empty()) return AddColumn(t);
  const ExtraColumn& x = t.extras[Pick(uint32_t(t.extras.size()))];
  CountDdl("drop_column", Exec("ALTER TABLE " + Quoted(t.name) + " DROP COLUMN `" + x.name + "`"));
}

void SoakWorkload::ModifyColumn(const SoakTable& t) {
  for (const auto& x : t.extras) {
    std::string wider;
    if (x.type.rfind("varchar(20)", 0) == 0) wider = "VARCHAR(80)";
    if (!hologres_ && x.type.rfind("int", 0) == 0) wider = "BIGINT";
    if (!hologres_ && x.type.rfind("decimal(12,2)", 0) == 0) wider = "DECIMAL(20,4)";
    if (wider.empty()) continue;
    CountDdl("modify_column", Exec("ALTER TABLE " + Quoted(t.name) + " MODIFY COLUMN `" + x.name + "` " + wider));
    return;
  }
  // Nothing to widen: widen a column of the type matrix instead (utf8mb4, 100 -> 300).
  CountDdl("modify_column", Exec("ALTER TABLE " + Quoted(t.name) + " MODIFY COLUMN vc VARCHAR(300) CHARACTER SET utf8mb4"));
}

void SoakWorkload::RenameTable(const SoakTable& t) {
  const std::string to = t.name.substr(0, 1) + std::to_string(next_name_++);
  CountDdl("rename_table", Exec("RENAME TABLE " + Quoted(t.name) + " TO " + Quoted(to)));
}

void SoakWorkload::DropTable(const SoakTable& t) { CountDdl("drop_table", Exec("DROP TABLE " + Quoted(t.name))); }

void SoakWorkload::CountDdl(const std::string& kind, bool ran) {
  if (ran) ++counts_.ddl[kind];
}

bool SoakWorkload::Exec(const std::string& sql) {
  if (!conn_) Reconnect();
  if (!conn_) return false;
  Status s = conn_->Execute(sql);
  if (s.ok()) {
    const my_ulonglong affected = mysql_affected_rows(conn_->handle());
    if (affected != my_ulonglong(-1)) counts_.rows += int64_t(affected);
    return true;
  }
  ++counts_.failed_statements;
  if (mysql_ping(conn_->handle()) != 0) {
    conn_.reset();  // the source restarted under us: the next statement reconnects
    ++counts_.reconnects;
  }
  return false;
}

void SoakWorkload::Reconnect() {
  // The source may be restarting: try until it answers (its start takes seconds).
  for (int attempt = 0; attempt < 600 && !conn_; ++attempt) {
    auto c = mysql::Connection::Connect({"127.0.0.1", mysql_.port(), "root", MariaDbServer::kRootPassword, 10, 120});
    if (c.ok()) {
      conn_ = std::move(c).value();
      return;
    }
    if (stop_ && *stop_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void SoakWorkload::Refresh() {
  if (!conn_) Reconnect();
  if (!conn_) return;
  auto names = conn_->Query(std::string("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' "
                                        "AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> '") + kFenceTable + "'");
  if (!names.ok()) return;
  std::vector<SoakTable> tables;
  for (const auto& row : names->rows) {
    SoakTable t{.name = *row[0]};
    auto cols = conn_->Query("SELECT COLUMN_NAME, LOWER(COLUMN_TYPE), COLUMN_KEY, IS_NULLABLE FROM information_schema.COLUMNS "
                             "WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = '" + t.name + "'");
    auto size = conn_->Query("SELECT COUNT(*), IFNULL(MAX(id), 0) FROM " + Quoted(t.name));
    if (!cols.ok() || !size.ok()) return;  // a table dropped meanwhile, or the source went: next time
    for (const auto& c : cols->rows) {
      if (*c[0] == "id") t.keyed = c[2].value_or("") == "PRI";
      if ((*c[0])[0] == 'x') t.extras.push_back({*c[0], *c[1] + (*c[3] == "NO" ? " not null" : "")});
    }
    t.rows = std::stoi(*size->rows[0][0]);
    t.max_id = std::stoi(*size->rows[0][1]);
    tables.push_back(std::move(t));
  }
  tables_ = std::move(tables);
}

}  // namespace dbsync::testing
