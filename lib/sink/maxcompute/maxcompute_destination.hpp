#pragma once
// The registry entry of MaxCompute (sink/registry.hpp). The spec section is
// parsed and checked; the sink itself is not in this version.

#include <vector>

#include "sink/registry.hpp"

namespace dbsync::maxcompute {

std::vector<sink::Destination> Destinations();

}  // namespace dbsync::maxcompute
