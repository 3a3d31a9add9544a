#pragma once
// The conformance target of PgSink in either dialect, against a real
// PostgreSQL server the harness starts. Rows are read back as PostgreSQL's
// text of ROW(columns), and expected rows are rendered by the same server
// from the sink's own parameter text cast to the mapped types, so the suite
// compares what the server holds with what it should hold.

#include "conformance/sink_conformance.hpp"
#include "harness/servers.hpp"
#include "sink/postgres/pg_ddl.hpp"
#include "sink/postgres/pg_sink.hpp"

namespace dbsync::conformance {

Target PostgresTarget(testing::PostgresServer& server, postgres::Dialect dialect);

}  // namespace dbsync::conformance
