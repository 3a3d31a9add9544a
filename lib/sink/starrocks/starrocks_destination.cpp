#include "sink/starrocks/starrocks_destination.hpp"

#include "sink/readback.hpp"
#include "sink/starrocks/sr_checks.hpp"
#include "sink/starrocks/sr_readback.hpp"
#include "sink/starrocks/sr_sink.hpp"

namespace dbsync::starrocks {

std::vector<sink::Destination> Destinations() {
  using Field = sink::SpecField;
  using config::DestinationSpec;
  sink::Destination d;
  d.type = "starrocks";
  d.summary = "StarRocks 3.x (Primary Key tables, Stream Load)";
  d.fields = {{"host", Field::Kind::kText, true, "the FE host", &DestinationSpec::host},
              {"port", Field::Kind::kPort, false, "the FE query port", nullptr, &DestinationSpec::port, 9030},
              {"http_port", Field::Kind::kPort, false, "the FE HTTP port", nullptr, &DestinationSpec::http_port, 8030},
              {"https_port", Field::Kind::kPort, false,
               "the FE's HTTPS port (StarRocks 4.0+ enable_https, 8443): Stream Load requests go there instead, "
               "under destination.tls", nullptr, &DestinationSpec::https_port, 0},
              {"database", Field::Kind::kText, true, "", &DestinationSpec::database},
              {"user", Field::Kind::kText, true, "", &DestinationSpec::user},
              {"password", Field::Kind::kSecret, false, "use ${env:NAME} or ${file:PATH}", &DestinationSpec::password},
              {"replication_num", Field::Kind::kCount, false,
               "replicas of each new table, at most the number of BEs (unset: the cluster's default, 3)", nullptr,
               &DestinationSpec::replication_num, 0},
              {"buckets", Field::Kind::kCount, false,
               "hash buckets of each new table (unset: StarRocks chooses from the data size)", nullptr,
               &DestinationSpec::buckets, 0}};
  d.secret = &DestinationSpec::password;
  // The FE's MySQL connection and, with https_port, its HTTP API (sr_endpoint.hpp).
  d.takes_tls = true;
  // Stream Load commits per table: prepared loads whose labels the
  // checkpoint records make a batch exactly-once (sr_sink.hpp).
  d.traits.exactly_once = sink::ExactlyOnce::kPerTableLoads;
  d.traits.open_transaction_across_pieces = false;
  d.traits.needs_primary_key = true;  // Primary Key tables apply updates and deletes by key
  d.traits.eager_flush = false;       // each load is a new version: few large loads, not many small
  // Each load is a new version, so batches are large; 20000 rows of before
  // and after images keep the worker near 100 MB (bench/starrocks_bench:
  // 100000 took it to 324 MB on a 10-column table).
  d.traits.batch_rows = 20000;
  d.traits.flush_ms = 5000;
  // A Primary Key table's key cannot change (specs/starrocks.md 2.4).
  d.traits.refused_ddl.insert(SchemaChangeKind::kPrimaryKeyChanged);
  d.url = [](const DestinationSpec& s) {
    return "starrocks://" + s.user + "@" + s.host + ":" + std::to_string(s.port) + "/" + s.database;
  };
  d.check = CheckStarRocks;
  d.open = OpenStarRocksSink;
  d.open_readback = OpenSrReadback;
  d.checkpoint_record = "the destination's sync_state.checkpoints";
  d.bookkeeping = "its rows in sync_state.checkpoints and sync_state.chunks";
  return {d};
}

}  // namespace dbsync::starrocks
