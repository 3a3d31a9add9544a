#pragma once
// The conformance target of the in-memory reference sink in either
// exactly-once mode. Rows are rendered with Value::ToString per column.

#include "conformance/sink_conformance.hpp"
#include "sink/memory/memory_sink.hpp"

namespace dbsync::conformance {

Target MemoryTarget(sink::ExactlyOnce mode);

}  // namespace dbsync::conformance
