#pragma once
// The registry entry of StarRocks (sink/registry.hpp): its spec keys, traits,
// check items (sr_checks.hpp) and sink (sr_sink.hpp).

#include <vector>

#include "sink/registry.hpp"

namespace dbsync::starrocks {

std::vector<sink::Destination> Destinations();

}  // namespace dbsync::starrocks
