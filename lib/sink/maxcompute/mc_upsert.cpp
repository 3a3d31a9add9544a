#include "sink/maxcompute/mc_upsert.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <thread>

namespace dbsync::maxcompute {
namespace {

using nlohmann::json;

// A pack is sent again after a 308 or a reload at most this many times: a
// slot moves rarely, so more means the service keeps answering the same.
constexpr int kMaxRoutes = 5;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return text;
}

bool HasAll(const json& j, std::initializer_list<const char*> keys) {
  return std::all_of(keys.begin(), keys.end(), [&](const char* key) { return j.contains(key); });
}

}  // namespace

Result<UpsertSession> UpsertSession::Create(const Client& client, const UploadTarget& target, int slots,
                                            int lifecycle_hours) {
  UpsertSession session(client, target);
  Call call =
      session.SessionCall("POST", {{"slotnum", std::to_string(slots)}, {"lifecycle", std::to_string(lifecycle_hours)}},
                          "creating an upsert session for " + DescribeTarget(target));
  SYNC_ASSIGN_OR_RETURN(auto reply, client.Send(call));
  SYNC_RETURN_IF_ERROR(session.Load(reply.body));
  return session;
}

Result<UpsertSession> UpsertSession::Open(const Client& client, const UploadTarget& target, const std::string& id) {
  UpsertSession session(client, target);
  session.id_ = id;
  SYNC_RETURN_IF_ERROR(session.Reload());
  return session;
}

int UpsertSession::bucket_count() const {
  size_t count = 0;
  for (const auto& slot : slots_) count += slot.buckets.size();
  return int(count);
}

Status UpsertSession::Load(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  // The fields every SDK requires of the session (4.2 item 1).
  if (!j.is_object() || !HasAll(j, {"id", "status", "schema", "hash_key", "hasher", "slots"}) ||
      !j["slots"].is_array() || !j["hash_key"].is_array())
    return Status::Corruption("the tunnel's description of upsert session " + id_ +
                              " is not the expected JSON: " + text.substr(0, 200));
  id_ = j.value("id", "");
  status_ = Lower(j.value("status", ""));
  hasher_ = j.value("hasher", "");
  hash_key_ = j["hash_key"].get<std::vector<std::string>>();
  partial_update_ = j.value("enable_partial_update", false);
  columns_.clear();
  for (const auto& c : j["schema"].value("columns", json::array())) {
    // column_id is text; absent or empty, the column's position stands for it.
    const std::string id = c.contains("column_id") && c["column_id"].is_string() ? c["column_id"].get<std::string>() : "";
    columns_.push_back({c.value("name", ""), c.value("type", ""), c.value("nullable", true),
                        id.empty() ? int64_t(columns_.size()) : std::stoll(id)});
  }
  slots_.clear();
  std::vector<int> buckets;
  for (const auto& s : j["slots"]) {
    UpsertSlot slot{s.value("slot_id", ""), s.value("buckets", std::vector<int>()), s.value("worker_addr", "")};
    buckets.insert(buckets.end(), slot.buckets.begin(), slot.buckets.end());
    slots_.push_back(std::move(slot));
  }
  std::sort(buckets.begin(), buckets.end());
  for (size_t i = 0; i < buckets.size(); ++i)
    if (buckets[i] != int(i))
      return Status::Corruption("upsert session " + id_ + ": its slots do not hold buckets 0.." +
                                std::to_string(buckets.size() - 1) + " once each");
  return Status::Ok();
}

Call UpsertSession::SessionCall(const std::string& method, std::vector<std::pair<std::string, std::string>> query,
                                std::string what) const {
  Call call = client_->TunnelCall(method, target_, std::move(query), std::move(what), "/upserts");
  // Calls of the whole session go to the worker of bucket 0 (4.2 items 6, 7).
  if (int first = SlotIndexOf(0); method != "PUT" && first >= 0)
    call.headers.emplace_back("odps-tunnel-routed-server", slots_[size_t(first)].worker);
  return call;
}

int UpsertSession::SlotIndexOf(int bucket) const {
  for (size_t i = 0; i < slots_.size(); ++i)
    if (std::find(slots_[i].buckets.begin(), slots_[i].buckets.end(), bucket) != slots_[i].buckets.end()) return int(i);
  return -1;
}

Status UpsertSession::Reload() {
  Call call =
      SessionCall("GET", {{"upsertid", id_}}, "reloading upsert session " + id_ + " of " + DescribeTarget(target_));
  SYNC_ASSIGN_OR_RETURN(auto reply, client_->Send(call));
  return Load(reply.body);
}

Status UpsertSession::Upload(int bucket, std::string_view records, int64_t record_count, bool deflate) {
  const std::string what =
      "uploading bucket " + std::to_string(bucket) + " of upsert session " + id_ + " (" + DescribeTarget(target_) + ")";
  if (SlotIndexOf(bucket) < 0)
    return Status::InvalidArgument(what + ": the session has buckets 0.." + std::to_string(bucket_count() - 1));
  std::string compressed;
  if (deflate) {
    SYNC_ASSIGN_OR_RETURN(compressed, Deflate(records, client_->options().deflate_level));
  }
  for (int route = 0; route < kMaxRoutes; ++route) {
    // A reload may have renumbered the slots: look the bucket up each time.
    UpsertSlot& slot = slots_[size_t(SlotIndexOf(bucket))];
    Call call = SessionCall("PUT",
                            {{"upsertid", id_},
                             {"bucketid", std::to_string(bucket)},
                             {"slotid", slot.id},
                             {"record_count", std::to_string(record_count)}},
                            what);
    call.body = deflate ? std::string_view(compressed) : records;
    call.headers.emplace_back("Content-Type", "application/octet-stream");
    call.headers.emplace_back("odps-tunnel-routed-server", slot.worker);
    if (deflate) call.headers.emplace_back("Content-Encoding", "deflate");
    SYNC_ASSIGN_OR_RETURN(auto reply, client_->Exchange(call));
    if (reply.status < 300) return Status::Ok();
    auto moved = reply.headers.find("odps-tunnel-routed-server");
    if (reply.status == 308 && moved != reply.headers.end() && moved->second != slot.worker) {
      if (client_->options().log)
        client_->options().log("MaxCompute: " + what + ": slot " + slot.id + " moved from " + slot.worker + " to " +
                               moved->second + ", sending there");
      slot.worker = moved->second;
    } else if (reply.status == 308 || reply.status == 502 || reply.status == 504) {
      SYNC_RETURN_IF_ERROR(Reload());  // the slots may all have moved (4.2 item 5)
    } else {
      return client_->Refusal(call, reply);
    }
  }
  return Status::Unavailable(what + ": the tunnel redirected the pack " + std::to_string(kMaxRoutes) +
                             " times; try again later");
}

Result<bool> UpsertSession::Refresh(const Call& call) {
  SYNC_ASSIGN_OR_RETURN(auto reply, client_->Exchange(call));
  if (reply.status >= 400) {
    if (ParseServiceError(reply).code == "UpsertSessionNotFound") return false;
    return client_->Refusal(call, reply);
  }
  SYNC_RETURN_IF_ERROR(Load(reply.body));
  return true;
}

Result<CommitOutcome> UpsertSession::Commit() {
  const std::string what = "committing upsert session " + id_ + " of " + DescribeTarget(target_);
  SYNC_ASSIGN_OR_RETURN(bool known, Refresh(SessionCall("GET", {{"upsertid", id_}}, what)));
  if (!known || status_ == "committed") return CommitOutcome::kAlreadyCommitted;
  auto deadline = std::chrono::steady_clock::now() + client_->options().upsert_commit_timeout;
  std::chrono::milliseconds wait = client_->options().poll_first;
  while (true) {
    if (status_ != "normal" && status_ != "committing")
      return Status::FailedPrecondition(what + ": the session is " + status_ +
                                        "; write its rows again in a new session");
    SYNC_ASSIGN_OR_RETURN(known, Refresh(SessionCall("POST", {{"upsertid", id_}}, what)));
    // Forgotten while committing: the commit went through (Java's rule, 4.2 item 6).
    if (!known || status_ == "committed") return CommitOutcome::kCommitted;
    if (std::chrono::steady_clock::now() + wait > deadline)
      return Status::Unavailable(what + ": still " + status_ + " after " +
                                 std::to_string(client_->options().upsert_commit_timeout.count()) +
                                 " s; commit it again later by its id");
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, client_->options().poll_max);
  }
}

Status UpsertSession::Abort() {
  Call call =
      SessionCall("DELETE", {{"upsertid", id_}}, "aborting upsert session " + id_ + " of " + DescribeTarget(target_));
  SYNC_ASSIGN_OR_RETURN(auto reply, client_->Send(call));
  return Load(reply.body);
}

Result<bool> UpsertSession::CommitById(const Client& client, const UploadTarget& target, const std::string& id) {
  auto session = Open(client, target, id);
  if (!session.ok()) {
    if (session.status().code() == StatusCode::kNotFound) return true;  // committed and forgotten
    return session.status();
  }
  if (session->IsLost()) return false;
  auto committed = session->Commit();
  if (committed.ok()) return true;
  // It may have expired since it was read: then it is lost, not an error.
  auto again = Open(client, target, id);
  if (again.ok() && again->IsLost()) return false;
  return committed.status();
}

}  // namespace dbsync::maxcompute
