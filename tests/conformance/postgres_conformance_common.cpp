#include "conformance/postgres_conformance_common.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "core/text_util.hpp"
#include "harness/sink_fixtures.hpp"
#include "sink/postgres/pg_types.hpp"

namespace dbsync::conformance {
namespace {

using postgres::QuoteIdentifier;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string RowOf(const sink::TableBinding& b) {
  std::vector<std::string> cols;
  for (const auto& c : b.source.columns) cols.push_back(QuoteIdentifier(c.name));
  return "ROW(" + Join(cols, ", ") + ")::text";
}

}  // namespace

Target PostgresTarget(testing::PostgresServer& server, postgres::Dialect dialect) {
  server.Exec("CREATE DATABASE dw");
  // Hologres where it differs from PostgreSQL (tests/harness/hologres/):
  // DML in a transaction only with the beta setting, never after DDL;
  // set_table_property's rules.
  if (dialect == postgres::Dialect::kHologres) server.InstallHologresFixture("dw");
  Target t;
  t.name = dialect == postgres::Dialect::kHologres ? "hologres dialect" : "postgres";
  t.traits = sink::FindDestination(dialect == postgres::Dialect::kHologres ? "hologres" : "postgres")->traits;
  t.open = [&server, dialect](const std::string& task) -> std::unique_ptr<sink::Sink> {
    postgres::Endpoint ep{"127.0.0.1", server.port(), "dw", "postgres", testing::PostgresServer::kSuperPassword, 10};
    auto s = postgres::PgSink::Open(ep, dialect, task);
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    return std::unique_ptr<sink::Sink>(std::move(s).value());
  };
  t.rows = [&server](const sink::TableBinding& b) {
    auto conn = server.Admin("dw");
    auto r = conn.Query("SELECT " + RowOf(b) + " FROM " + postgres::QualifiedName(b.dest_schema, b.dest_table));
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    std::vector<std::string> out;
    for (const auto& row : r->rows) out.push_back(row[0].value_or("NULL"));
    return Sorted(out);
  };
  t.render = [&server, dialect](const sink::TableBinding& b, const std::vector<std::vector<Value>>& rows) {
    auto conn = server.Admin("dw");
    auto columns = postgres::MapColumns(b.source, dialect);
    REQUIRE_MESSAGE(columns.ok(), columns.status().message());
    postgres::ValueEncoder encoder;
    std::vector<std::string> out;
    for (const auto& row : rows) {
      std::vector<std::string> casts;
      for (size_t i = 0; i < row.size(); ++i) {
        auto text = encoder.ParameterText(row[i], (*columns)[i]);
        REQUIRE_MESSAGE(text.ok(), text.status().message());
        casts.push_back((*text ? postgres::QuoteLiteral(**text) : "NULL") + "::" + (*columns)[i].type);
      }
      auto r = conn.Query("SELECT ROW(" + Join(casts, ", ") + ")::text");
      REQUIRE_MESSAGE(r.ok(), r.status().message());
      out.push_back(r->Scalar());
    }
    return Sorted(out);
  };
  t.columns = [&server](const std::string& schema, const std::string& table) {
    auto conn = server.Admin("dw");
    auto r = conn.Query("SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND "
                        "table_name = $2 ORDER BY ordinal_position",
                        {schema, table});
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    std::vector<std::string> out;
    for (const auto& row : r->rows) out.push_back(row[0].value_or(""));
    return out;
  };
  t.create_by_hand = [&server](const sink::TableBinding& b) {
    server.Exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(b.dest_schema), "dw");
    server.Exec("CREATE TABLE " + postgres::QualifiedName(b.dest_schema, b.dest_table) +
                    " (id integer PRIMARY KEY, v varchar(20))",
                "dw");
  };
  t.insert_by_hand = [&server](const sink::TableBinding& b, const std::vector<std::pair<int, std::string>>& rows) {
    server.Exec("INSERT INTO " + postgres::QualifiedName(b.dest_schema, b.dest_table) + " VALUES " + SqlValues(rows), "dw");
  };
  t.break_next_batch = [&server](sink::Sink&) {
    // The destination goes away under the sink: its session is terminated.
    server.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'dw' AND "
                "pid <> pg_backend_pid()");
  };
  t.fail_second_load = [] { FAIL("a transactional destination has no per-table loads"); };
  return t;
}

}  // namespace dbsync::conformance
