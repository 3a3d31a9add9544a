#include "sink/starrocks/starrocks_destination.hpp"

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
              {"database", Field::Kind::kText, true, "", &DestinationSpec::database},
              {"user", Field::Kind::kText, true, "", &DestinationSpec::user},
              {"password", Field::Kind::kSecret, false, "use ${env:NAME} or ${file:PATH}", &DestinationSpec::password}};
  d.secret = &DestinationSpec::password;
  // Stream Load commits per table: labels derived from the source position
  // and two-phase commit make a batch exactly-once (specs/starrocks.md).
  d.traits.exactly_once = sink::ExactlyOnce::kPerTableLoads;
  d.traits.open_transaction_across_pieces = false;
  d.traits.needs_primary_key = true;  // Primary Key tables apply updates and deletes by key
  d.traits.eager_flush = false;       // each load is a new version: few large loads, not many small
  d.traits.batch_rows = 100000;
  d.traits.flush_ms = 5000;
  d.url = [](const DestinationSpec& s) {
    return "starrocks://" + s.user + "@" + s.host + ":" + std::to_string(s.port) + "/" + s.database;
  };
  d.check = sink::ChecksNotAvailable(d.type);
  d.unavailable = "the StarRocks sink is not built yet";
  d.checkpoint_record = "the destination's sync_state database";
  d.bookkeeping = "its sync_state rows";
  return {d};
}

}  // namespace dbsync::starrocks
