#pragma once
// The MaxCompute sink: tables made by SQL instances, rows written through the
// Table Tunnel, bookkeeping in two Delta tables of the project
// (mc_state.hpp).
//
// Tables. A keyed source table (its primary key, or tables[].primary_key)
// becomes a Delta table: PRIMARY KEY (key) and 'transactional' = 'true', in
// which a row written again with the same key replaces the old one. Full
// initialization writes each chunk with one batch upload session; real-time
// sync writes each batch's changes (coalesced to the last image per key) with
// one upsert session per table, deletes as 'D' records.
//
// Exactly-once, mode (b) of sink.hpp in its stronger form (as sr_sink.hpp):
// a Tunnel session holds its rows invisible until it is committed, and it can
// be committed later, by another process, by its id. So:
//   1. each table's changes of the batch are written into a session of its
//      own; nothing is visible yet;
//   2. the checkpoint row is written with the new position, the previous one
//      and the sessions' ids: from here the batch counts as applied;
//   3. each session is committed.
// After a crash, LoadCheckpoint commits the sessions the row names (a
// session committed already answers so, or is gone: MaxCompute forgets a
// committed upsert session, which the Java SDK also takes as committed) and
// the position is the row's. Sessions begun after the row are never committed
// and expire. Should a named session have expired uncommitted (the worker was
// down past the session's lifetime), the checkpoint falls back to `previous`
// and the batch is written again: every table has a key and a batch writes
// last images per key, so the tables that had it converge.
//
// Full initialization: a chunk is recorded (state `loading`, with its upload
// session's id) before its first block, recorded `committing` (with its block
// count) once every block is there, then its session is committed and it is
// recorded `done`. A restart commits a `committing` chunk's session (a commit
// repeated is recognised) and reads a `loading` chunk again under a new
// session: no commit was ever asked for the old one, so it never shows. (A
// commit sent by a worker that then died may still land: were such a chunk
// read again, the late commit would overwrite newer rows with older ones.)
//
// DDL is applied with SQL instances (ALTER TABLE ... ADD COLUMNS and the
// other changes MaxCompute allows); what it cannot do (drop a column of a
// Delta table, change a type) stops the task with what to do.

#include <memory>
#include <string>

#include "config/task_spec.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_time_zone.hpp"
#include "sink/sink.hpp"

namespace dbsync::maxcompute {

Result<std::unique_ptr<sink::Sink>> OpenMaxComputeSink(const config::TaskSpec& spec, const std::string& task_id);

// A project without odps.sql.timezone shows DATETIME in the service's
// default zone, UTC+8.
inline constexpr const char* kDefaultZone = "Asia/Shanghai";

// The zone the project's SQL shows DATETIME in (odps.sql.timezone, from
// GET /projects/{p}): the encoder reads MySQL wall clocks in it.
Result<std::string> ProjectTimeZone(const Client& client);

// What reaching a task's project takes: the client's options from the
// destination spec (the AccessKey resolved) and the project's time zone.
struct ProjectAccess {
  ClientOptions options;
  TimeZone zone;
};
Result<ProjectAccess> AccessProject(const config::DestinationSpec& destination);

// destination.tls modes from required up need an https:// endpoint (and
// tunnel endpoint): an http:// one would be plain whatever the mode says.
Status EndpointTakesTls(const config::DestinationSpec& destination);

}  // namespace dbsync::maxcompute
