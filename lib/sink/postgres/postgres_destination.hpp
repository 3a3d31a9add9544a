#pragma once
// The registry entries of PostgreSQL and Hologres (sink/registry.hpp): one
// sink (PgSink) in two dialects.

#include <vector>

#include "sink/registry.hpp"

namespace dbsync::postgres {

std::vector<sink::Destination> Destinations();

}  // namespace dbsync::postgres
