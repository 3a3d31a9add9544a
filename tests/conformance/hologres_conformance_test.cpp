// The sink conformance suite for the Hologres dialect of PgSink, against a
// real PostgreSQL server that behaves as Hologres 2.2 does where it differs
// (tests/harness/hologres/: DML in a transaction block only with
// hg_experimental_enable_transaction, never after DDL; set_table_property's
// rules): no Hologres instance can run here.
#include <doctest/doctest.h>

#include "conformance/postgres_conformance_common.hpp"

namespace dbsync::conformance {

const Target& TheTarget() {
  static testing::PostgresServer server(testing::PostgresOptions{.hologres_settings = true});
  static const Target target = PostgresTarget(server, postgres::Dialect::kHologres);
  return target;
}

}  // namespace dbsync::conformance
