// The sink conformance suite for MaxCompute, write_mode log for every table:
// each change appended to a change log, read back as a user rebuilds the
// table with SQL.
#include <doctest/doctest.h>

#include "conformance/maxcompute_conformance_common.hpp"

namespace dbsync::conformance {

const Target& TheTarget() {
  static const Target target = MaxComputeTarget("log");
  return target;
}

}  // namespace dbsync::conformance
