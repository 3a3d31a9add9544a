#include "sink/registry.hpp"
#include "sink/shaping/shaping_sink.hpp"

#include "config/secret.hpp"
#include "core/text_util.hpp"
#include "sink/maxcompute/maxcompute_destination.hpp"
#include "sink/postgres/postgres_destination.hpp"
#include "sink/sink.hpp"
#include "sink/starrocks/starrocks_destination.hpp"

namespace dbsync::sink {

const char* ExactlyOnceName(ExactlyOnce mode) {
  return mode == ExactlyOnce::kTransactional ? "transactional" : "per-table loads";
}

const std::vector<Destination>& Destinations() {
  static const std::vector<Destination> registry = [] {
    std::vector<Destination> all;
    for (auto* add : {&postgres::Destinations, &starrocks::Destinations, &maxcompute::Destinations})
      for (auto& d : add()) all.push_back(std::move(d));
    return all;
  }();
  return registry;
}

const Destination* FindDestination(std::string_view type) {
  for (const auto& d : Destinations())
    if (d.type == type) return &d;
  return nullptr;
}

const Destination& DestinationOf(const config::DestinationSpec& spec) {
  const Destination* d = FindDestination(spec.type);
  // The parser accepts registered types only; a spec built in code must too.
  if (!d) throw std::logic_error("destination type '" + spec.type + "' is not registered");
  return *d;
}

std::vector<std::string> DestinationTypes() {
  std::vector<std::string> types;
  for (const auto& d : Destinations()) types.push_back(d.type);
  return types;
}

Result<std::string> ResolveDestinationSecret(const config::DestinationSpec& spec) {
  const Destination& d = DestinationOf(spec);
  return config::ResolveSecret(d.secret ? spec.*d.secret : std::string());
}

std::function<void(const CheckInput&, check::CheckReport&)> ChecksNotAvailable(const std::string& type) {
  return [type](const CheckInput&, check::CheckReport& report) {
    report.Add("destination.connect", check::Verdict::kWarn,
               "checks for " + type + " destinations are not available in this version; only the source was checked",
               "verify the destination by hand");
  };
}

Status CheckSynchronizable(const config::DestinationSpec& spec) {
  const Destination& d = DestinationOf(spec);
  if (d.open) return Status::Ok();
  std::vector<std::string> available;
  for (const auto& other : Destinations())
    if (other.open) available.push_back(other.type);
  return Status::FailedPrecondition("synchronization into " + d.type + " is not available in this version (" +
                                    d.unavailable + "); " + Join(available, " and ") + " are");
}

Status ValidateTableSettings(const config::TaskSpec& spec) {
  for (const auto& t : spec.tables) {
    const std::string& mode = t.write_mode.empty() ? spec.destination.write_mode : t.write_mode;
    if (t.on_conflict == config::ConflictPolicy::kReplace || mode != "log") continue;
    return Status::InvalidArgument("tables[] entry " + t.match + " (line " + std::to_string(t.line) +
                                   "): on_conflict: " + config::ConflictPolicyName(t.on_conflict) +
                                   " is for keyed writes, and write_mode: log appends every change as a record "
                                   "that meets no row; use on_conflict: replace, or write_mode: upsert");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Sink>> OpenSink(const config::TaskSpec& spec, const std::string& task_id) {
  SYNC_RETURN_IF_ERROR(CheckSynchronizable(spec.destination));
  SYNC_ASSIGN_OR_RETURN(auto sink, DestinationOf(spec.destination).open(spec, task_id));
  if (!SpecShapesRows(spec)) return sink;
  return std::unique_ptr<Sink>(std::make_unique<ShapingSink>(std::move(sink), spec));
}

}  // namespace dbsync::sink
