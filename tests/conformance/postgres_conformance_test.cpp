// The sink conformance suite for PostgreSQL.
#include <doctest/doctest.h>

#include "conformance/postgres_conformance_common.hpp"

namespace dbsync::conformance {

const Target& TheTarget() {
  static testing::PostgresServer server;
  static const Target target = PostgresTarget(server, postgres::Dialect::kPostgres);
  return target;
}

}  // namespace dbsync::conformance
