// The Hologres fixture's own tests (tests/harness/hologres/): each rule of
// specs/hologres.md section 8 it enforces, shown refusing what Hologres
// refuses with Hologres' text, and letting through what Hologres allows.
#include <doctest/doctest.h>

#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::testing;

namespace {

PostgresServer& Server() {
  static PostgresServer server(PostgresOptions{.hologres_settings = true});
  static bool installed = [] {
    server.Exec("CREATE DATABASE holo");
    server.InstallHologresFixture("holo");
    server.Exec("CREATE DATABASE holo_old");
    server.InstallHologresFixture("holo_old", "1.3.55");
    server.Exec("CREATE DATABASE holo_31");
    server.InstallHologresFixture("holo_31", "3.1.2");
    server.Exec("CREATE DATABASE holo_11");
    server.InstallHologresFixture("holo_11", "1.1.80");
    return true;
  }();
  (void)installed;
  return server;
}

// Runs `statements` on one session, in order; the first error's message, or "".
std::string Run(const std::vector<std::string>& statements, const std::string& database = "holo") {
  auto conn = Server().Admin(database);
  for (const auto& sql : statements) {
    Status s = conn.Execute(sql);
    if (!s.ok()) {
      (void)conn.Execute("ROLLBACK");
      return s.message();
    }
  }
  return "";
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("hg_version() says Hologres and the configured version") {
  CHECK(Has(Server().Scalar("SELECT hg_version()", "holo"), "Hologres 2.2.22 (tag: 2.2.22"));
  CHECK(Has(Server().Scalar("SELECT hg_version()", "holo_old"), "Hologres 1.3.55"));
}

TEST_CASE("DML in a transaction block needs hg_experimental_enable_transaction and V2.0 (rules 24, 25)") {
  REQUIRE(Run({"CREATE TABLE public.t1 (id int PRIMARY KEY, v text)"}) == "");
  CHECK(Run({"INSERT INTO public.t1 VALUES (1, 'autocommit')"}) == "");
  CHECK(Has(Run({"BEGIN", "INSERT INTO public.t1 VALUES (2, 'x')", "COMMIT"}), "INSERT in transaction is not supported now"));
  CHECK(Has(Run({"BEGIN", "UPDATE public.t1 SET v = 'y'", "COMMIT"}), "INSERT in transaction is not supported now"));
  CHECK(Run({"SET hg_experimental_enable_transaction = on", "BEGIN", "INSERT INTO public.t1 VALUES (2, 'x')",
             "UPDATE public.t1 SET v = 'both' WHERE id = 1", "DELETE FROM public.t1 WHERE id = 2", "COMMIT"}) == "");
  CHECK(Server().Scalar("SELECT string_agg(id || v, ',') FROM public.t1", "holo") == "1both");
  // Rolled back together.
  CHECK(Run({"SET hg_experimental_enable_transaction = on", "BEGIN", "INSERT INTO public.t1 VALUES (3, 'x')",
             "ROLLBACK"}) == "");
  CHECK(Server().Scalar("SELECT count(*) FROM public.t1", "holo") == "1");
  // Before V2.0 the setting does not help.
  REQUIRE(Run({"CREATE TABLE public.t1 (id int PRIMARY KEY)"}, "holo_old") == "");
  CHECK(Has(Run({"SET hg_experimental_enable_transaction = on", "BEGIN", "INSERT INTO public.t1 VALUES (1)", "COMMIT"},
                "holo_old"),
            "INSERT in transaction is not supported now"));
}

TEST_CASE("DML after DDL in one block fails whatever the setting (rule 26); DDL alone is fine") {
  CHECK(Run({"BEGIN", "CREATE TABLE public.t2 (id int PRIMARY KEY)", "ALTER TABLE public.t2 ADD COLUMN v text",
             "COMMIT"}) == "");
  CHECK(Has(Run({"SET hg_experimental_enable_transaction = on", "BEGIN", "ALTER TABLE public.t2 ADD COLUMN w text",
                 "INSERT INTO public.t2 (id) VALUES (1)", "COMMIT"}),
            "INSERT in ddl transaction is not supported now"));
  CHECK(Server().Scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 't2'", "holo") == "2");
}

TEST_CASE("set_table_property: creation-time properties only in CREATE TABLE's transaction (rule 3)") {
  CHECK(Run({"BEGIN", "CREATE TABLE public.t3 (id int NOT NULL PRIMARY KEY, ts timestamptz NOT NULL, v text)",
             "CALL set_table_property('public.t3', 'orientation', 'column')",
             "CALL set_table_property('public.t3', 'distribution_key', 'id')",
             "CALL set_table_property('public.t3', 'clustering_key', 'ts:asc')",
             "CALL set_table_property('public.t3', 'event_time_column', 'ts')", "COMMIT"}) == "");
  CHECK(Has(Run({"CALL set_table_property('public.t3', 'distribution_key', 'id')"}),
            "SET_TABLE_PROPERTY and CREATE TABLE statement are not in the same transaction for table public.t3"));
  // Others may change later (rule 4).
  CHECK(Run({"CALL set_table_property('public.t3', 'bitmap_columns', 'v')",
             "CALL set_table_property('public.t3', 'binlog.level', 'replica')",
             "CALL set_table_property('public.t3', 'binlog.ttl', '86400')",
             "CALL set_table_property('public.t3', 'time_to_live_in_seconds', '604800')"}) == "");
  CHECK(Server().Scalar("SELECT string_agg(property_key || '=' || property_value, ',' ORDER BY property_key) FROM "
                        "hologres.hg_table_properties WHERE table_name = 't3'",
                        "holo") ==
        "binlog.level=replica,binlog.ttl=86400,bitmap_columns=v,clustering_key=ts:asc,distribution_key=id,"
        "event_time_column=ts,orientation=column,time_to_live_in_seconds=604800");
}

TEST_CASE("set_table_property refuses what Hologres refuses (rules 5, 6, 11, 12, 13)") {
  auto in_create = [](const std::string& table_ddl, const std::string& call) {
    return Run({"BEGIN", table_ddl, call, "COMMIT"});
  };
  CHECK(Has(in_create("CREATE TABLE public.r1 (id int PRIMARY KEY)", "CALL set_table_property('public.r1', 'orientation', 'rows')"),
            "invalid table property value \"rows\" for orientation"));
  CHECK(Has(in_create("CREATE TABLE public.r2 (id int)", "CALL set_table_property('public.r2', 'orientation', 'row')"),
            "must have a primary key"));
  CHECK(Has(in_create("CREATE TABLE public.r3 (id int PRIMARY KEY, ts timestamptz)",
                      "CALL set_table_property('public.r3', 'clustering_key', 'ts')"),
            "must be NOT NULL"));
  CHECK(Has(in_create("CREATE TABLE public.r4 (id int PRIMARY KEY)", "CALL set_table_property('public.r4', 'distribution_key', 'nope')"),
            "column \"nope\" in distribution_key does not exist"));
  CHECK(Has(in_create("CREATE TABLE public.r5 (id int PRIMARY KEY, v int)",
                      "CALL set_table_property('public.r5', 'distribution_key', 'v')"),
            "must be part of the primary key"));
  REQUIRE(Run({"CREATE TABLE public.r6 (id int PRIMARY KEY)"}) == "");
  CHECK(Has(Run({"CALL set_table_property('public.r6', 'binlog.level', 'full')"}), "replica or none"));
  CHECK(Has(Run({"CALL set_table_property('public.r6', 'time_to_live_in_seconds', '3600')"}), "at least 86400"));
  CHECK(Has(Run({"CALL set_table_property('public.r6', 'no_such_property', 'x')"}), "unsupported table property"));
  // Nothing refused was recorded.
  CHECK(Server().Scalar("SELECT count(*) FROM hologres.hg_table_properties WHERE table_name LIKE 'r%'", "holo") == "0");
}

TEST_CASE("CREATE TABLE refuses what Hologres refuses: key types, UNIQUE, CHECK, numeric without precision, indexes "
          "(rules 7, 8, 9, 34)") {
  CHECK(Has(Run({"CREATE TABLE public.k1 (f float8 PRIMARY KEY)"}), "cannot use in a primary key"));
  CHECK(Has(Run({"CREATE TABLE public.k2 (d numeric(10,2) PRIMARY KEY)"}), "cannot use in a primary key"));
  CHECK(Has(Run({"CREATE TABLE public.k3 (j jsonb PRIMARY KEY)"}), "cannot use in a primary key"));
  CHECK(Has(Run({"CREATE TABLE public.k4 (id int PRIMARY KEY, v text UNIQUE)"}), "UNIQUE and CHECK"));
  CHECK(Has(Run({"CREATE TABLE public.k5 (id int PRIMARY KEY, v int CHECK (v > 0))"}), "UNIQUE and CHECK"));
  CHECK(Has(Run({"CREATE TABLE public.k6 (id int PRIMARY KEY, v numeric)"}), "invalid definition of a numeric type"));
  CHECK(Run({"CREATE TABLE public.k7 (id int PRIMARY KEY, d date, v numeric(38,10), t text)"}) == "");
  CHECK(Has(Run({"CREATE INDEX k7_t ON public.k7 (t)"}), "CREATE INDEX is not supported now"));
  CHECK(Server().Scalar("SELECT count(*) FROM pg_class WHERE relname ~ '^k[0-9]$' AND relkind = 'r'", "holo") == "1");
}

TEST_CASE("TRUNCATE: a DDL before V3.1 (no DML after it in its block); from V3.1 a DML that a binlog table refuses "
          "unless hg_enable_truncate_as_dml is off (rule 35)") {
  REQUIRE(Run({"CREATE TABLE public.tr (id int PRIMARY KEY)", "INSERT INTO public.tr VALUES (1)"}) == "");
  CHECK(Run({"TRUNCATE public.tr"}) == "");
  CHECK(Has(Run({"SET hg_experimental_enable_transaction = on", "BEGIN", "TRUNCATE public.tr",
                 "INSERT INTO public.tr VALUES (2)", "COMMIT"}),
            "INSERT in ddl transaction is not supported now"));
  const char* create = "CREATE TABLE public.tb (id int PRIMARY KEY)";
  REQUIRE(Run({"BEGIN", create, "CALL set_table_property('public.tb', 'binlog.level', 'replica')", "COMMIT"},
              "holo_31") == "");
  REQUIRE(Run({"BEGIN", "CREATE TABLE public.plain (id int PRIMARY KEY)", "COMMIT"}, "holo_31") == "");
  CHECK(Has(Run({"TRUNCATE public.tb"}, "holo_31"), "TRUNCATE is not supported on table public.tb with binlog"));
  CHECK(Run({"TRUNCATE public.plain"}, "holo_31") == "");
  CHECK(Run({"SET hg_enable_truncate_as_dml = off", "TRUNCATE public.tb"}, "holo_31") == "");
  // As a DML it may share a block with DML (with the transaction setting).
  CHECK(Run({"SET hg_experimental_enable_transaction = on", "BEGIN", "TRUNCATE public.plain",
             "INSERT INTO public.plain VALUES (1)", "COMMIT"}, "holo_31") == "");
}

TEST_CASE("partitioned tables: LIST on one text, varchar or int column (date from V1.3.22), the key holding it "
          "(rules 15, 16)") {
  CHECK(Has(Run({"CREATE TABLE public.pr (id int, ds int, PRIMARY KEY (id, ds)) PARTITION BY RANGE (ds)"}),
            "only LIST partitioning on one column"));
  CHECK(Has(Run({"CREATE TABLE public.p2 (id int, a text, b text, PRIMARY KEY (id, a, b)) PARTITION BY LIST (a, b)"}),
            "list"));
  CHECK(Has(Run({"CREATE TABLE public.pb (id int, ds bigint, PRIMARY KEY (id, ds)) PARTITION BY LIST (ds)"}),
            "partition column of type bigint"));
  CHECK(Has(Run({"CREATE TABLE public.pk (id int PRIMARY KEY, ds text) PARTITION BY LIST (ds)"}),
            "must include all partitioning columns"));
  CHECK(Has(Run({"CREATE TABLE public.pd (id int, ds date) PARTITION BY LIST (ds)"}, "holo_11"),
            "partition column of type date"));
  CHECK(Run({"CREATE TABLE public.pd (id int, ds date, PRIMARY KEY (id, ds)) PARTITION BY LIST (ds)"}) == "");
  CHECK(Run({"CREATE TABLE public.pt (id int, ds text, PRIMARY KEY (id, ds)) PARTITION BY LIST (ds)",
             "CREATE TABLE public.pi (id int, ds int, PRIMARY KEY (id, ds)) PARTITION BY LIST (ds)"}) == "");
  CHECK(Server().Scalar("SELECT count(*) FROM pg_partitioned_table", "holo") == "3");
}

TEST_CASE("rows into a partition parent: INSERT ... VALUES routed from V1.3, INSERT ... SELECT and COPY never; "
          "children take all three (rules 17, 18)") {
  for (const char* db : {"holo", "holo_11"}) {
    CAPTURE(db);
    REQUIRE(Run({"CREATE TABLE public.pp (id int, ds text, v text, PRIMARY KEY (id, ds)) PARTITION BY LIST (ds)",
                 "CREATE TABLE public.pp_a PARTITION OF public.pp FOR VALUES IN ('a')"}, db) == "");
    CHECK(Has(Run({"INSERT INTO public.pp SELECT 1, 'a', 'x'"}, db), "Feature not supported: insert into parent table"));
    CHECK(Has(Run({"COPY public.pp FROM '/dev/null'"}, db), "COPY into partition parent table pp"));
    CHECK(Run({"COPY public.pp_a FROM '/dev/null'", "INSERT INTO public.pp_a SELECT 2, 'a', 'y'"}, db) == "");
  }
  CHECK(Has(Run({"INSERT INTO public.pp (id, ds, v) VALUES (1, 'a', 'x')"}, "holo_11"),
            "Feature not supported: insert into parent table"));
  CHECK(Run({"INSERT INTO \"public\".\"pp\" (\"id\", \"ds\", \"v\") VALUES (1, 'a', 'x'), (3, 'a', 'z') "
             "ON CONFLICT (\"id\", \"ds\") DO UPDATE SET \"v\" = EXCLUDED.\"v\""}) == "");
  CHECK(Server().Scalar("SELECT string_agg(id || v, ',' ORDER BY id) FROM public.pp_a", "holo") == "1x,2y,3z");
  // Updates and deletes through the parent are not refused (they leave the Fixed Plan, specs/hologres.md 3.1).
  CHECK(Run({"UPDATE public.pp SET v = 'u' WHERE id = 1", "DELETE FROM public.pp WHERE id = 3"}) == "");
  CHECK(Server().Scalar("SELECT string_agg(id || v, ',' ORDER BY id) FROM public.pp", "holo") == "1u,2y");
}
