// The sink conformance suite for the Hologres dialect of PgSink, against a
// real PostgreSQL server standing in for Hologres (no Hologres instance can
// run here): the dialect's SQL (multi-row INSERT instead of staging tables,
// table properties in CREATE TABLE's transaction) runs for real.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "conformance/postgres_conformance_common.hpp"

namespace dbsync::conformance {

const Target& TheTarget() {
  static testing::PostgresServer server;
  static const Target target = PostgresTarget(server, postgres::Dialect::kHologres);
  return target;
}

}  // namespace dbsync::conformance
