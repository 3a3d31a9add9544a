#pragma once
// A Table Tunnel upsert session (specs/maxcompute.md 4.2): rows written by
// primary key into a Delta table (PRIMARY KEY + 'transactional'='true'),
// invisible until the session is committed.
//
// The session spreads the table's buckets 0..B-1 over slots, each served by a
// worker named in the odps-tunnel-routed-server header. A pack of records
// goes to one bucket: the caller groups its rows by bucket (mc_bucket_hash.hpp
// over hash_key()) and encodes each group as a record stream whose records
// carry the five hidden columns after the session's columns
// (mc_record_encoder.hpp). A slot that moved answers 308 with its new worker,
// and the pack is sent again there; 502/504 make the session reload its slots.
//
// Commit is asynchronous on the service: the POST is repeated with backoff
// while the session says normal or committing, until committed. A session
// can be committed by id from another process (Open + Commit), which is how
// a crashed writer's sessions are finished.
//
// Not thread-safe: one thread uses a session at a time. The Client it was
// made from must outlive it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_upload.hpp"

namespace dbsync::maxcompute {

struct UpsertSlot {
  std::string id;
  std::vector<int> buckets;
  std::string worker;  // "ip:port", sent as odps-tunnel-routed-server
};

class UpsertSession {
 public:
  // POST {table}/upserts?slotnum=N: `slots` is the write parallelism asked
  // for (the service may give fewer), `lifecycle_hours` 1..24 how long the
  // session lives uncommitted.
  static Result<UpsertSession> Create(const Client& client, const UploadTarget& target, int slots = 1,
                                      int lifecycle_hours = 24);
  // The session `id` as the tunnel describes it now.
  static Result<UpsertSession> Open(const Client& client, const UploadTarget& target, const std::string& id);

  const std::string& id() const { return id_; }
  const UploadTarget& target() const { return target_; }
  // Lower case: normal, committing, committed, expired, critical, aborted.
  const std::string& status() const { return status_; }
  // Expired or aborted uncommitted: its rows will never show.
  bool IsLost() const { return status_ == "expired" || status_ == "aborted"; }
  // Whether records may set some columns only (__value_cols): the Delta
  // table was made with 'acid.partial.fields.update.enable'='true'.
  bool partial_update() const { return partial_update_; }
  // Record fields 1..N; the hidden columns are fields N+1..N+5 (4.2 item 3).
  const std::vector<SessionColumn>& columns() const { return columns_; }
  // The columns a row's bucket is hashed over, and the hasher ("default").
  const std::vector<std::string>& hash_key() const { return hash_key_; }
  const std::string& hasher() const { return hasher_; }
  int bucket_count() const;
  // Which slot holds which buckets: the write parallelism the service granted.
  const std::vector<UpsertSlot>& slots() const { return slots_; }

  // Sends the records of one bucket (`record_count` of them, as the stream's
  // trailer says); `deflate` compresses the body with zlib.
  Status Upload(int bucket, std::string_view records, int64_t record_count, bool deflate);
  // Makes every uploaded pack visible. kAlreadyCommitted when the session had
  // been committed, or is no longer known to the tunnel (a committed session
  // is forgotten; the Java SDK takes that as committed too).
  Result<CommitOutcome> Commit();
  // Discards the session's packs.
  Status Abort();
  // Commits the session `id` if it can be: true when it is committed now
  // (or was, and the tunnel forgot it), false when it expired or was aborted
  // uncommitted (its rows will never show).
  static Result<bool> CommitById(const Client& client, const UploadTarget& target, const std::string& id);

 private:
  UpsertSession(const Client& client, UploadTarget target) : client_(&client), target_(std::move(target)) {}
  Status Reload();
  Status Load(const std::string& json);
  // Sends a call the tunnel answers with the session, and loads it; false
  // when the tunnel no longer knows the session.
  Result<bool> Refresh(const Call& call);
  Call SessionCall(const std::string& method, std::vector<std::pair<std::string, std::string>> query,
                   std::string what) const;
  int SlotIndexOf(int bucket) const;  // -1 when no slot holds it

  const Client* client_;
  UploadTarget target_;
  std::string id_, status_, hasher_;
  bool partial_update_ = false;
  std::vector<SessionColumn> columns_;
  std::vector<std::string> hash_key_;
  std::vector<UpsertSlot> slots_;
};

}  // namespace dbsync::maxcompute
