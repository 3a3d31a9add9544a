#include "sink/maxcompute/maxcompute_destination.hpp"

#include "sink/maxcompute/mc_checks.hpp"
#include "sink/maxcompute/mc_readback.hpp"
#include "sink/maxcompute/mc_sink.hpp"

namespace dbsync::maxcompute {

std::vector<sink::Destination> Destinations() {
  using Field = sink::SpecField;
  using config::DestinationSpec;
  sink::Destination d;
  d.type = "maxcompute";
  d.summary = "Alibaba Cloud MaxCompute (Delta tables, Tunnel upserts)";
  d.fields = {{"endpoint", Field::Kind::kText, true, "e.g. https://service.cn-hangzhou.maxcompute.aliyun.com/api",
               &DestinationSpec::endpoint},
              {"project", Field::Kind::kText, true, "", &DestinationSpec::project},
              {"access_id", Field::Kind::kText, true, "", &DestinationSpec::access_id},
              {"access_key", Field::Kind::kSecret, true, "use ${env:NAME} or ${file:PATH}", &DestinationSpec::access_key},
              {"tunnel_endpoint", Field::Kind::kText, false, "", &DestinationSpec::tunnel_endpoint},
              {"write_mode", Field::Kind::kText, false,
               "upsert (Delta tables, by key) or log (change-log tables); unset: upsert where a table has a key, "
               "log where it has none",
               &DestinationSpec::write_mode, nullptr, 0, {"upsert", "log"}},
              {"lifecycle", Field::Kind::kCount, false,
               "days MaxCompute keeps the data of each new table after its last change (1 to 37231; unset: for ever)",
               nullptr, &DestinationSpec::lifecycle, 0, {}, 37231}};
  d.secret = &DestinationSpec::access_key;
  d.takes_tls = true;
  // Tunnel sessions commit per table; the checkpoint row names a batch's
  // sessions before they are committed (mc_sink.hpp).
  d.traits.exactly_once = sink::ExactlyOnce::kPerTableLoads;
  d.traits.open_transaction_across_pieces = false;
  // Delta tables upsert and delete by key; a keyless table is written as a
  // change log (write_mode log, mc_change_log.hpp).
  d.traits.needs_primary_key = false;
  d.traits.keyless_tables = "they are written as change logs (write_mode: log, sync-types(7))";
  d.traits.eager_flush = false;
  // Each commit of an upsert session writes files of the Delta table: few
  // and large, so 200,000 rows per commit, staged 20,000 at a time.
  d.traits.batch_rows = 200000;
  d.traits.piece_rows = 20000;
  d.traits.flush_ms = 30000;
  d.url = [](const DestinationSpec& s) { return "maxcompute://" + s.project + "@" + s.endpoint; };
  d.check = CheckMaxCompute;
  d.open = OpenMaxComputeSink;
  d.open_readback = OpenMcReadback;
  // Neither the key nor a column's type of a Delta table can change.
  d.traits.refused_ddl.insert(SchemaChangeKind::kPrimaryKeyChanged);
  d.checkpoint_record = "the project's sync_state_checkpoints table";
  d.bookkeeping = "its rows in sync_state_checkpoints and sync_state_chunks";
  return {d};
}

}  // namespace dbsync::maxcompute
