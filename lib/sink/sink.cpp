#include "sink/sink.hpp"

#include "config/secret.hpp"
#include "sink/postgres/pg_sink.hpp"

namespace dbsync::sink {

Result<std::unique_ptr<Sink>> OpenSink(const config::TaskSpec& spec, const std::string& task_id) {
  const config::DestinationSpec& d = spec.destination;
  switch (d.type) {
    case config::DestinationType::kPostgres:
    case config::DestinationType::kHologres: {
      bool holo = d.type == config::DestinationType::kHologres;
      SYNC_ASSIGN_OR_RETURN(std::string password, config::ResolveSecret(d.password));
      postgres::Endpoint ep{d.host, d.port > 0 ? d.port : (holo ? 80 : 5432), d.database, d.user, password,
                            d.connect_timeout_seconds};
      SYNC_ASSIGN_OR_RETURN(auto sink, postgres::PgSink::Open(ep, holo ? postgres::Dialect::kHologres
                                                                       : postgres::Dialect::kPostgres,
                                                              task_id));
      return std::unique_ptr<Sink>(std::move(sink));
    }
    case config::DestinationType::kStarRocks:
    case config::DestinationType::kMaxCompute:
      break;
  }
  return Status::FailedPrecondition(std::string("destination type ") + config::DestinationTypeName(d.type) +
                                    " is not supported yet for synchronization; use hologres or postgres");
}

}  // namespace dbsync::sink
