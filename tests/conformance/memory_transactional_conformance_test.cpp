// The sink conformance suite for the in-memory reference sink, exactly-once
// mode kTransactional.
#include <doctest/doctest.h>

#include "conformance/memory_conformance_common.hpp"

namespace dbsync::conformance {

const Target& TheTarget() {
  static const Target target = MemoryTarget(sink::ExactlyOnce::kTransactional);
  return target;
}

}  // namespace dbsync::conformance
