#include "sink/starrocks/sr_state.hpp"

#include <openssl/sha.h>

#include <nlohmann/json.hpp>
#include <ctime>
#include <random>

#include "sink/starrocks/sr_types.hpp"

namespace dbsync::starrocks {
namespace {

using nlohmann::json;

const char* kDb = "`sync_state`";

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 15]);
  }
  return out;
}

std::string TableKey(const std::string& table) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(table.data()), table.size(), digest);
  return Hex(digest, 16);
}

json LabelsToJson(const std::vector<LabelRef>& labels) {
  json out = json::array();
  for (const auto& l : labels) out.push_back({{"db", l.db}, {"table", l.table}, {"label", l.label}});
  return out;
}

std::vector<LabelRef> LabelsFromJson(const json& j) {
  std::vector<LabelRef> out;
  if (!j.is_array()) return out;
  for (const auto& l : j) out.push_back({l.value("db", ""), l.value("table", ""), l.value("label", "")});
  return out;
}

BinlogPosition PositionFrom(const std::optional<std::string>& text) {
  if (!text || text->empty()) return BinlogPosition();
  json j = json::parse(*text, nullptr, false);
  return j.is_object() ? BinlogPosition::FromJson(j) : BinlogPosition();
}

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

std::string NewLabel(const std::string& task_id) {
  // Drawn afresh: a generator seeded once would be copied into every worker
  // forked after its first use, and they would draw the same labels.
  std::random_device device;
  auto random = [&device] { return (uint64_t(device()) << 32) | device(); };
  std::string task;
  for (char c : task_id)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') task.push_back(c);
  task = task.substr(0, 40);
  uint64_t r = random();
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(r >> (8 * i));
  return "sync-" + task + "-" + Hex(bytes, 8);
}

Status StateStore::Ensure() {
  if (ensured_) return Status::Ok();
  std::string props = replication_num_ > 0
                          ? " PROPERTIES (\"replication_num\" = \"" + std::to_string(replication_num_) + "\")"
                          : "";
  const std::vector<std::string> statements = {
      std::string("CREATE DATABASE IF NOT EXISTS ") + kDb,
      std::string("CREATE TABLE IF NOT EXISTS ") + kDb +
          ".`checkpoints` (`task_id` VARCHAR(64) NOT NULL, `position` STRING NULL, `previous` STRING NULL, "
          "`commit_labels` STRING NULL, `pending_labels` STRING NULL, `table_positions` STRING NULL, "
          "`last_ddl` STRING NULL, `updated_at` DATETIME NULL) ENGINE=OLAP PRIMARY KEY (`task_id`) "
          "DISTRIBUTED BY HASH (`task_id`)" + props,
      std::string("CREATE TABLE IF NOT EXISTS ") + kDb +
          ".`chunks` (`task_id` VARCHAR(64) NOT NULL, `table_key` VARCHAR(32) NOT NULL, `chunk_index` INT NOT NULL, "
          "`table_name` VARCHAR(1024) NULL, `state` VARCHAR(16) NULL, `label` VARCHAR(128) NULL, "
          "`position` STRING NULL) ENGINE=OLAP PRIMARY KEY (`task_id`, `table_key`, `chunk_index`) "
          "DISTRIBUTED BY HASH (`task_id`)" + props,
  };
  for (const auto& sql : statements)
    SYNC_RETURN_IF_ERROR(conn_.Execute(sql).WithContext("creating the StarRocks bookkeeping database sync_state"));
  ensured_ = true;
  return Status::Ok();
}

Result<std::optional<CheckpointRow>> StateStore::LoadCheckpoint() {
  SYNC_RETURN_IF_ERROR(Ensure());
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query(std::string("SELECT `position`, `previous`, `commit_labels`, ") +
                                            "`pending_labels`, `table_positions`, `last_ddl` FROM " + kDb +
                                            ".`checkpoints` WHERE `task_id` = " + mysql::QuoteString(task_id_)));
  if (r.rows.empty()) return std::optional<CheckpointRow>();
  const auto& row = r.rows[0];
  CheckpointRow out;
  out.position = PositionFrom(row[0]);
  out.previous = PositionFrom(row[1]);
  out.commit = LabelsFromJson(json::parse(row[2].value_or("[]"), nullptr, false));
  out.pending = LabelsFromJson(json::parse(row[3].value_or("[]"), nullptr, false));
  json positions = json::parse(row[4].value_or("{}"), nullptr, false);
  if (positions.is_object())
    for (const auto& [name, p] : positions.items()) out.table_positions[name] = BinlogPosition::FromJson(p);
  if (row[5] && !row[5]->empty()) out.last_ddl = PositionFrom(row[5]);
  return std::optional<CheckpointRow>(std::move(out));
}

Status StateStore::SaveCheckpoint(const CheckpointRow& row) {
  SYNC_RETURN_IF_ERROR(Ensure());
  json positions = json::object();
  for (const auto& [name, p] : row.table_positions) positions[name] = p.ToJson();
  auto text = [](const BinlogPosition& p) { return p.empty() ? std::string("NULL") : mysql::QuoteString(p.ToJson().dump()); };
  std::string sql = std::string("INSERT INTO ") + kDb +
                    ".`checkpoints` (`task_id`, `position`, `previous`, `commit_labels`, `pending_labels`, "
                    "`table_positions`, `last_ddl`, `updated_at`) VALUES (" +
                    mysql::QuoteString(task_id_) + ", " + text(row.position) + ", " + text(row.previous) + ", " +
                    mysql::QuoteString(LabelsToJson(row.commit).dump()) + ", " +
                    mysql::QuoteString(LabelsToJson(row.pending).dump()) + ", " + mysql::QuoteString(positions.dump()) +
                    ", " + (row.last_ddl ? text(*row.last_ddl) : std::string("NULL")) + ", " + mysql::QuoteString(NowUtc()) + ")";
  return conn_.Execute(sql).WithContext("recording the checkpoint in StarRocks sync_state.checkpoints");
}

Result<std::vector<ChunkRow>> StateStore::Chunks(const std::string& table) {
  SYNC_RETURN_IF_ERROR(Ensure());
  SYNC_ASSIGN_OR_RETURN(auto r, conn_.Query(std::string("SELECT `chunk_index`, `state`, `label`, `position` FROM ") +
                                            kDb + ".`chunks` WHERE `task_id` = " + mysql::QuoteString(task_id_) +
                                            " AND `table_key` = " + mysql::QuoteString(TableKey(table))));
  std::vector<ChunkRow> out;
  for (const auto& row : r.rows)
    out.push_back({std::atoi(row[0].value_or("0").c_str()), row[1].value_or(""), row[2].value_or(""), PositionFrom(row[3])});
  return out;
}

Status StateStore::SaveChunk(const std::string& table, const ChunkRow& row) {
  SYNC_RETURN_IF_ERROR(Ensure());
  std::string sql = std::string("INSERT INTO ") + kDb +
                    ".`chunks` (`task_id`, `table_key`, `chunk_index`, `table_name`, `state`, `label`, `position`) "
                    "VALUES (" + mysql::QuoteString(task_id_) + ", " + mysql::QuoteString(TableKey(table)) + ", " +
                    std::to_string(row.index) + ", " + mysql::QuoteString(table) + ", " + mysql::QuoteString(row.state) +
                    ", " + mysql::QuoteString(row.label) + ", " + mysql::QuoteString(row.position.ToJson().dump()) + ")";
  return conn_.Execute(sql).WithContext("recording chunk " + std::to_string(row.index) + " of " + table);
}

Status StateStore::EraseChunk(const std::string& table, int index) {
  SYNC_RETURN_IF_ERROR(Ensure());
  return conn_.Execute(std::string("DELETE FROM ") + kDb + ".`chunks` WHERE `task_id` = " +
                       mysql::QuoteString(task_id_) + " AND `table_key` = " + mysql::QuoteString(TableKey(table)) +
                       " AND `chunk_index` = " + std::to_string(index));
}

Status StateStore::EraseChunks(const std::string& table) {
  SYNC_RETURN_IF_ERROR(Ensure());
  // A Primary Key table takes any condition in DELETE: one statement.
  return conn_.Execute(std::string("DELETE FROM ") + kDb + ".`chunks` WHERE `task_id` = " +
                       mysql::QuoteString(task_id_) + " AND `table_key` = " + mysql::QuoteString(TableKey(table)));
}

Status StateStore::Forget() {
  SYNC_RETURN_IF_ERROR(Ensure());
  SYNC_RETURN_IF_ERROR(conn_.Execute(std::string("DELETE FROM ") + kDb + ".`chunks` WHERE `task_id` = " +
                                     mysql::QuoteString(task_id_)));
  return conn_.Execute(std::string("DELETE FROM ") + kDb + ".`checkpoints` WHERE `task_id` = " +
                       mysql::QuoteString(task_id_));
}

}  // namespace dbsync::starrocks
