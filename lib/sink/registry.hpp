#pragma once
// The destination registry: everything sync knows about a destination type,
// in one entry per type (after restic's backend location registry). The task
// spec parser, `sync check`, `sync start`, `sync status`, `sync delete` and
// the pipeline ask the registry; none of them names a destination type.
//
// Adding a destination: a folder lib/sink/<type>/ with a Sink, its check
// items and a function that returns its Destination entries, plus one line in
// registry.cpp (a static library drops self-registering objects nobody
// references, so registration is explicit). Then the sink conformance suite
// (tests/conformance/) must pass for it.

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "change/schema_change.hpp"
#include "check/check_report.hpp"
#include "config/task_spec.hpp"
#include "core/status.hpp"

namespace dbsync::check {
struct SourceTable;
}

namespace dbsync::sink {

class Sink;
class Readback;

// How a destination makes a batch of source transactions exactly-once.
// sink.hpp states both contracts in full.
enum class ExactlyOnce {
  // Data and checkpoint commit in one destination transaction (PostgreSQL,
  // Hologres): a batch is wholly applied with its checkpoint or not at all.
  kTransactional,
  // Per-table loads, prepared, then committed; the checkpoint says which
  // loads it includes, so a replay neither loses nor doubles one (StarRocks
  // Stream Load transactions by label, MaxCompute sessions and block ids).
  kPerTableLoads,
};
const char* ExactlyOnceName(ExactlyOnce mode);

struct Traits {
  ExactlyOnce exactly_once = ExactlyOnce::kTransactional;
  // A transaction larger than a batch may be applied in pieces inside one
  // destination transaction left open (Sink::ApplyPartial). Without it the
  // pieces are loads prepared and committed with the transaction's end.
  bool open_transaction_across_pieces = true;
  // Updates and deletes need a key: a source table without a primary key (and
  // without tables[].primary_key) fails the configuration check.
  bool needs_primary_key = false;
  // How a keyless table is written when none is needed, for `sync check`.
  std::string keyless_tables = "updates and deletes are matched on every column, which is slow on large tables";
  // Writing a small batch costs little, so a batch leaves as soon as the
  // applier is free rather than waiting for runtime.batch_rows or flush_ms.
  bool eager_flush = true;
  // runtime.batch_rows and runtime.flush_ms when the spec does not set them.
  int batch_rows = 10000;
  int flush_ms = 1000;
  // A sink that stages loads (open_transaction_across_pieces false) may take
  // a batch in pieces of this many rows (Sink::ApplyPartial) while it grows
  // to batch_rows: a commit per 200,000 rows then costs memory for 20,000.
  // 0: pieces only of a transaction larger than batch_rows.
  int piece_rows = 0;
  // Schema changes the destination cannot make: ApplySchemaChanges refuses
  // them with kFailedPrecondition saying what to do by hand.
  std::set<SchemaChangeKind> refused_ddl = {SchemaChangeKind::kPartitionDataChanged};
  bool CanApply(SchemaChangeKind kind) const { return !refused_ddl.count(kind); }
};

// One key of the destination section of task.yaml.
struct SpecField {
  enum class Kind { kText, kSecret, kPort, kCount };
  std::string key;
  Kind kind = Kind::kText;
  bool required = false;
  std::string hint;  // shown when the key is missing or invalid
  std::string config::DestinationSpec::*text = nullptr;
  int config::DestinationSpec::*number = nullptr;
  int default_number = 0;  // kPort: the default port; kCount: 0 leaves the key unset
  std::vector<std::string> choices;  // kText: the values allowed, when they are few
  int max_number = 65535;            // kPort, kCount: the largest value allowed
};

// What a destination's check items are given.
struct CheckInput {
  const config::TaskSpec& spec;
  const std::string& secret;                     // the destination's resolved secret
  const std::vector<check::SourceTable>& tables;  // selected source tables (empty when unreadable)
  check::CheckScope scope;
};

struct Destination {
  std::string type;     // destination.type in task.yaml
  std::string summary;  // one line for --help and messages
  std::vector<SpecField> fields;  // every key besides type and connect_timeout_seconds
  std::string config::DestinationSpec::*secret = nullptr;  // the field that holds the secret
  // Whether its connections take destination.tls (a spec with the block
  // and another type is an error, not a silently plain connection).
  bool takes_tls = false;
  Traits traits;
  // "postgres://user@host:5432/db": how status and list show the destination.
  std::function<std::string(const config::DestinationSpec&)> url;
  // Appends destination.* check items.
  std::function<void(const CheckInput&, check::CheckReport&)> check;
  // A connected sink; `task_id` keys its bookkeeping so tasks can share a
  // destination. Empty when synchronization into the type is not available
  // in this version (`unavailable` says why).
  std::function<Result<std::unique_ptr<Sink>>(const config::TaskSpec&, const std::string& task_id)> open;
  std::string unavailable;
  // Reads the destination's tables back for `sync verify` (sink/readback.hpp);
  // empty when this version cannot.
  std::function<Result<std::unique_ptr<Readback>>(const config::TaskSpec&)> open_readback;
  // Where the checkpoint lives at the destination, for `sync status`
  // ("the destination's sync_state.checkpoint"), and what `sync delete`
  // leaves there besides the tables ("its sync_state rows").
  std::string checkpoint_record;
  std::string bookkeeping;
};

// Every registered destination, in the order `sync --help` lists them.
const std::vector<Destination>& Destinations();
// The entry for `type`, or nullptr.
const Destination* FindDestination(std::string_view type);
// The entry for a parsed spec (whose type the parser has validated).
const Destination& DestinationOf(const config::DestinationSpec& spec);
std::vector<std::string> DestinationTypes();

// The check items of a destination whose checks this version does not have:
// one warning that says so and what to do.
std::function<void(const CheckInput&, check::CheckReport&)> ChecksNotAvailable(const std::string& type);

// The resolved secret of the destination (its password or access key).
Result<std::string> ResolveDestinationSecret(const config::DestinationSpec& spec);
// The sink for `spec.destination`, connected; kFailedPrecondition when the
// type is not available in this version.
Result<std::unique_ptr<Sink>> OpenSink(const config::TaskSpec& spec, const std::string& task_id);
// How the pipeline opens sinks: OpenSink, or a test's own destination.
using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const config::TaskSpec& spec, const std::string& task_id)>;
// kFailedPrecondition naming what is available when `spec`'s destination
// cannot be synchronized into by this version.
Status CheckSynchronizable(const config::DestinationSpec& spec);
// kInvalidArgument naming the tables[] entry (spec line) whose on_conflict
// cannot act: one written as a change log (write_mode: log) meets no row.
Status ValidateTableSettings(const config::TaskSpec& spec);

}  // namespace dbsync::sink
