#include "sink/maxcompute/mc_state.hpp"

#include <nlohmann/json.hpp>

namespace dbsync::maxcompute {
namespace {

using nlohmann::json;

constexpr const char* kCheckpoints = "sync_state_checkpoints";
constexpr const char* kChunks = "sync_state_chunks";

json SessionsToJson(const std::vector<SessionRef>& sessions) {
  json out = json::array();
  for (const auto& s : sessions) {
    json one = {{"table", s.table}, {"id", s.id}, {"source", s.source}};
    if (s.upload) one["blocks"] = s.blocks;  // a batch upload session (change log)
    if (!s.partition.empty()) one["partition"] = s.partition;
    out.push_back(one);
  }
  return out;
}

std::vector<SessionRef> SessionsFromJson(const json& j) {
  std::vector<SessionRef> out;
  if (j.is_array())
    for (const auto& s : j)
      out.push_back({s.value("table", ""), s.value("id", ""), s.value("source", ""), s.contains("blocks"),
                     s.value("blocks", int64_t{0}), s.value("partition", "")});
  return out;
}

BinlogPosition PositionFromJson(const json& j) { return j.is_object() ? BinlogPosition::FromJson(j) : BinlogPosition(); }

json PositionToJson(const BinlogPosition& p) { return p.empty() ? json() : p.ToJson(); }

}  // namespace

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "'";
}

std::string QuoteName(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  return out + "`";
}

std::vector<std::vector<std::optional<std::string>>> ParseCsvResult(const std::string& text) {
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<std::optional<std::string>> row;
  size_t i = 0;
  bool header = true;
  while (i < text.size()) {
    std::optional<std::string> cell;
    if (text[i] == '"') {
      std::string value;
      for (++i; i < text.size(); ++i) {
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          value.push_back('"');
          ++i;
        } else if (text[i] == '"') {
          ++i;
          break;
        } else {
          value.push_back(text[i]);
        }
      }
      cell = std::move(value);
    } else {
      size_t end = text.find_first_of(",\n", i);
      if (end == std::string::npos) end = text.size();
      std::string value = text.substr(i, end - i);
      if (value != "\\N") cell = std::move(value);
      i = end;
    }
    row.push_back(std::move(cell));
    if (i >= text.size() || text[i] == '\n') {
      if (!header) rows.push_back(std::move(row));
      header = false;
      row.clear();
    }
    ++i;  // the separator
  }
  return rows;
}

Status StateStore::Ensure() {
  if (ensured_) return Status::Ok();
  SYNC_RETURN_IF_ERROR(Run(std::string("CREATE TABLE IF NOT EXISTS ") + kCheckpoints +
                                                  " (task_id STRING NOT NULL, body STRING, updated_at DATETIME, "
                                                  "PRIMARY KEY (task_id)) TBLPROPERTIES ('transactional'='true')"));
  SYNC_RETURN_IF_ERROR(Run(std::string("CREATE TABLE IF NOT EXISTS ") + kChunks +
                                                    " (task_id STRING NOT NULL, table_name STRING NOT NULL, "
                                                    "chunk_index BIGINT NOT NULL, body STRING, PRIMARY KEY (task_id, "
                                                    "table_name, chunk_index)) TBLPROPERTIES ('transactional'='true')"));
  ensured_ = true;
  return Status::Ok();
}

Status StateStore::Run(const std::string& sql) { return client_.RunSql(sql).status(); }

Result<std::vector<std::vector<std::optional<std::string>>>> StateStore::Select(const std::string& sql) {
  SYNC_RETURN_IF_ERROR(Ensure());
  SYNC_ASSIGN_OR_RETURN(auto text, client_.RunSql(sql));
  return ParseCsvResult(text);
}

Result<std::optional<CheckpointRow>> StateStore::LoadCheckpoint() {
  SYNC_ASSIGN_OR_RETURN(auto rows, Select(std::string("SELECT body FROM ") + kCheckpoints +
                                          " WHERE task_id = " + QuoteLiteral(task_id_)));
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return std::optional<CheckpointRow>();
  json j = json::parse(*rows[0][0], nullptr, false);
  if (!j.is_object())
    return Status::Internal("the checkpoint row of task " + task_id_ + " in " + kCheckpoints + " is not JSON");
  CheckpointRow out;
  out.position = PositionFromJson(j["position"]);
  out.previous = PositionFromJson(j["previous"]);
  out.commit = SessionsFromJson(j["commit"]);
  out.next_sequence = j.value("next_sequence", int64_t{1});
  if (j.contains("table_positions") && j["table_positions"].is_object())
    for (const auto& [name, p] : j["table_positions"].items()) out.table_positions[name] = BinlogPosition::FromJson(p);
  if (j.contains("last_ddl") && j["last_ddl"].is_object()) out.last_ddl = BinlogPosition::FromJson(j["last_ddl"]);
  return std::optional<CheckpointRow>(std::move(out));
}

Status StateStore::SaveCheckpoint(const CheckpointRow& row) {
  SYNC_RETURN_IF_ERROR(Ensure());
  json positions = json::object();
  for (const auto& [name, p] : row.table_positions) positions[name] = p.ToJson();
  json body = {{"position", PositionToJson(row.position)},
               {"previous", PositionToJson(row.previous)},
               {"commit", SessionsToJson(row.commit)},
               {"next_sequence", row.next_sequence},
               {"table_positions", positions},
               {"last_ddl", row.last_ddl ? row.last_ddl->ToJson() : json()}};
  SYNC_RETURN_IF_ERROR(Run(std::string("INSERT INTO ") + kCheckpoints + " VALUES (" +
                                                  QuoteLiteral(task_id_) + ", " + QuoteLiteral(body.dump()) +
                                                  ", GETDATE())"));
  return Status::Ok();
}

Result<std::vector<ChunkRow>> StateStore::Chunks(const std::string& table) {
  SYNC_ASSIGN_OR_RETURN(auto rows, Select(std::string("SELECT chunk_index, body FROM ") + kChunks +
                                          " WHERE task_id = " + QuoteLiteral(task_id_) +
                                          " AND table_name = " + QuoteLiteral(table)));
  std::vector<ChunkRow> out;
  for (const auto& r : rows) {
    if (r.size() < 2 || !r[0] || !r[1]) continue;
    json j = json::parse(*r[1], nullptr, false);
    if (!j.is_object()) continue;
    ChunkRow row{std::stoi(*r[0]), j.value("state", ""), j.value("session", ""), PositionFromJson(j["position"]),
                 j.value("blocks", int64_t{0}), {}};
    if (j.contains("partitions") && j["partitions"].is_array())
      for (const auto& p : j["partitions"])
        row.partitions.push_back({p.value("partition", ""), p.value("session", ""), p.value("blocks", int64_t{0})});
    out.push_back(std::move(row));
  }
  return out;
}

Status StateStore::SaveChunk(const std::string& table, const ChunkRow& row) {
  SYNC_RETURN_IF_ERROR(Ensure());
  json body = {{"state", row.state},
               {"session", row.session},
               {"position", PositionToJson(row.position)},
               {"blocks", row.blocks}};
  if (!row.partitions.empty()) {
    json partitions = json::array();
    for (const auto& p : row.partitions)
      partitions.push_back({{"partition", p.partition}, {"session", p.session}, {"blocks", p.blocks}});
    body["partitions"] = std::move(partitions);
  }
  SYNC_RETURN_IF_ERROR(Run(std::string("INSERT INTO ") + kChunks + " VALUES (" +
                                                  QuoteLiteral(task_id_) + ", " + QuoteLiteral(table) + ", " +
                                                  std::to_string(row.index) + ", " + QuoteLiteral(body.dump()) + ")"));
  return Status::Ok();
}

Status StateStore::EraseChunk(const std::string& table, int index) {
  SYNC_RETURN_IF_ERROR(Ensure());
  SYNC_RETURN_IF_ERROR(Run(std::string("DELETE FROM ") + kChunks + " WHERE task_id = " +
                                                  QuoteLiteral(task_id_) + " AND table_name = " + QuoteLiteral(table) +
                                                  " AND chunk_index = " + std::to_string(index)));
  return Status::Ok();
}

Status StateStore::EraseChunks(const std::string& table) {
  SYNC_RETURN_IF_ERROR(Ensure());
  SYNC_RETURN_IF_ERROR(Run(std::string("DELETE FROM ") + kChunks + " WHERE task_id = " +
                                                  QuoteLiteral(task_id_) + " AND table_name = " + QuoteLiteral(table)));
  return Status::Ok();
}

Status StateStore::Forget() {
  SYNC_RETURN_IF_ERROR(Ensure());
  for (const char* table : {kCheckpoints, kChunks}) {
    SYNC_RETURN_IF_ERROR(Run(std::string("DELETE FROM ") + table + " WHERE task_id = " +
                                                    QuoteLiteral(task_id_)));
  }
  return Status::Ok();
}

}  // namespace dbsync::maxcompute
