// The sink conformance suite for MaxCompute, write_mode upsert (the
// default for keyed tables; keyless ones are change logs), against the emulator.
#include <doctest/doctest.h>

#include "conformance/maxcompute_conformance_common.hpp"

namespace dbsync::conformance {

const Target& TheTarget() {
  static const Target target = MaxComputeTarget("");
  return target;
}

}  // namespace dbsync::conformance
