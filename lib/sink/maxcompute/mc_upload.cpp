// Batch upload sessions of the Table Tunnel (specs/maxcompute.md 3.1-3.5):
// the session JSON, and the Client's calls.

#include "sink/maxcompute/mc_upload.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "sink/maxcompute/mc_client.hpp"

namespace dbsync::maxcompute {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

std::vector<SessionColumn> SessionColumns(const nlohmann::json& list) {
  std::vector<SessionColumn> columns;
  if (!list.is_array()) return columns;
  for (const auto& c : list) columns.push_back({c.value("name", ""), c.value("type", ""), c.value("nullable", true)});
  return columns;
}

// An integer member, 0 when absent; nullopt for one that is not a number
// or does not fit (nlohmann converts a float such as 1e155 to an integer
// with a cast that is undefined out of range).
std::optional<int64_t> IntegerMember(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_number_float()) return std::nullopt;
  const double d = it->get<double>();
  if (!(d > -9.2e18 && d < 9.2e18)) return std::nullopt;
  return int64_t(d);
}

std::string IdList(const std::set<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out;
}

}  // namespace

std::string DescribeTarget(const UploadTarget& target) {
  return "table " + target.table + (target.partition.empty() ? "" : " partition " + target.partition);
}

Result<UploadSession> ParseUploadSession(const std::string& json, const UploadTarget& target) {
  // A member of another type than the one read (a number for a string, a
  // block that is not an object) throws: a malformed reply, not a crash.
  try {
    auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_object() || !j.contains("UploadID"))
      return Status::Corruption("the tunnel's description of an upload session is not the expected JSON: " +
                                json.substr(0, 200));
    UploadSession s;
    s.id = j.value("UploadID", "");
    s.target = target;
    s.status = j.value("Status", "");
    std::transform(s.status.begin(), s.status.end(), s.status.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    s.overwrite = j.value("IsOverwrite", false);
    auto malformed = [&] {
      return Status::Corruption("the tunnel's description of upload session " + s.id +
                                " has a number out of range: " + json.substr(0, 200));
    };
    auto max_field_size = IntegerMember(j, "MaxFieldSize");
    if (!max_field_size) return malformed();
    s.max_field_size = *max_field_size;
    if (auto schema = j.find("Schema"); schema != j.end() && schema->is_object()) {
      s.columns = SessionColumns(schema->value("columns", nlohmann::json()));
      s.partition_keys = SessionColumns(schema->value("partitionKeys", nlohmann::json()));
    }
    if (auto blocks = j.find("UploadedBlockList"); blocks != j.end() && blocks->is_array())
      for (const auto& b : *blocks) {
        if (!b.is_object()) return malformed();
        auto id = IntegerMember(b, "BlockID"), records = IntegerMember(b, "RecordCount");
        if (!id || !records) return malformed();
        s.blocks.push_back({*id, *records});
      }
    std::sort(s.blocks.begin(), s.blocks.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("the tunnel's description of an upload session is not the expected JSON (" +
                              std::string(e.what()) + "): " + json.substr(0, 200));
  }
}

std::string BlockListDifference(const UploadSession& session, const std::vector<int64_t>& expected) {
  std::set<int64_t> missing(expected.begin(), expected.end()), extra;
  for (const auto& block : session.blocks)
    if (!missing.erase(block.id)) extra.insert(block.id);
  std::string text;
  if (!missing.empty()) text = "blocks " + IdList(missing) + " are not on the tunnel";
  if (!extra.empty())
    text += (text.empty() ? "" : "; ") + std::string("blocks ") + IdList(extra) + " were not expected";
  return text;
}

Result<UploadSession> Client::UploadSessionCall(const UploadTarget& target, const std::string& method, Query query,
                                                const std::string& what) const {
  Call call = TunnelCall(method, target, std::move(query), what);
  SYNC_ASSIGN_OR_RETURN(auto reply, Send(call));
  return ParseUploadSession(reply.body, target);
}

Result<UploadSession> Client::CreateUploadSession(const UploadTarget& target, const UploadOptions& options) const {
  Query query = {{"uploads", ""}};
  if (options.overwrite) query.emplace_back("overwrite", "true");
  if (options.create_partition) query.emplace_back("create_partition", "true");
  SYNC_ASSIGN_OR_RETURN(auto session, UploadSessionCall(target, "POST", query,
                                                        "creating an upload session for " + DescribeTarget(target)));
  // An overwrite the tunnel did not take would append instead (the C++ SDK checks it too).
  if (options.overwrite && !session.overwrite)
    return Status::FailedPrecondition("the tunnel created upload session " + session.id + " for " +
                                      DescribeTarget(target) + " without the overwrite that was asked for");
  return session;
}

Result<UploadSession> Client::GetUploadSession(const UploadTarget& target, const std::string& upload_id) const {
  return UploadSessionCall(target, "GET", {{"uploadid", upload_id}},
                           "reloading upload session " + upload_id + " of " + DescribeTarget(target));
}

Status Client::UploadBlock(const UploadSession& session, int64_t block_id, std::string_view records,
                           bool deflate) const {
  std::string compressed;
  if (deflate) {
    SYNC_ASSIGN_OR_RETURN(compressed, Deflate(records, options_.deflate_level));
  }
  Call call = TunnelCall("PUT", session.target, {{"uploadid", session.id}, {"blockid", std::to_string(block_id)}},
                         "uploading block " + std::to_string(block_id) + " of session " + session.id + " (" +
                             DescribeTarget(session.target) + ")");
  call.body = deflate ? std::string_view(compressed) : records;
  call.headers.emplace_back("Content-Type", "application/octet-stream");
  if (deflate) call.headers.emplace_back("Content-Encoding", "deflate");
  return Send(call).status();
}

Result<CommitOutcome> Client::CommitUploadSession(const UploadSession& session,
                                                  const std::vector<int64_t>& block_ids) const {
  const std::string what = "committing upload session " + session.id + " of " + DescribeTarget(session.target);
  // The block list is checked here, as every SDK does, before the commit (3.5).
  auto reloaded = GetUploadSession(session.target, session.id);
  if (!reloaded.ok()) return reloaded.status().WithContext(what);
  const UploadSession& current = *reloaded;
  if (current.IsCommitted()) return CommitOutcome::kAlreadyCommitted;
  if (!current.IsOpen())
    return Status::FailedPrecondition(what + ": the session is " + current.status +
                                      "; upload the batch again in a new session");
  if (std::string difference = BlockListDifference(current, block_ids); !difference.empty())
    return Status::FailedPrecondition(what + ": " + difference + "; upload the missing blocks and commit again");
  Call call = TunnelCall("POST", session.target, {{"uploadid", session.id}}, what);
  SYNC_ASSIGN_OR_RETURN(auto reply, Exchange(call));
  if (reply.status < 400) return CommitOutcome::kCommitted;
  // A commit whose answer was lost and was sent again meets its own success
  // as StatusConflict (3.5): the session then says it is closed.
  if (ParseServiceError(reply).code == "StatusConflict") {
    auto after = GetUploadSession(session.target, session.id);
    if (after.ok() && after->IsCommitted()) return CommitOutcome::kAlreadyCommitted;
  }
  return Refusal(call, reply);
}

}  // namespace dbsync::maxcompute
