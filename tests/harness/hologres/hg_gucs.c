/*
 * Hologres' session settings on PostgreSQL 15, for the test fixture
 * (tests/harness/hologres/fixture.sql; specs/hologres.md section 9): PostgreSQL
 * refuses SET of a name without a dot unless a module defines it, and the
 * sink sends SET hg_experimental_enable_transaction = on to Hologres.
 * Loaded with shared_preload_libraries by the test harness; also gives the
 * fixture hg_fixture.in_block().
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);

/* Whether the statement runs inside BEGIN ... COMMIT: SQL cannot tell (its
 * timestamps differ for an autocommit statement sent with the extended
 * protocol), and the fixture's transaction rules need it. */
PG_FUNCTION_INFO_V1(hg_fixture_in_block);
Datum hg_fixture_in_block(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(IsTransactionBlock()); }

static bool enable_transaction = false;
static bool keep_last = false;
static bool enable_drop_column = false;
static bool truncate_as_dml = true;
static bool generate_binlog = true;

static void define(const char* name, bool* variable, bool initial) {
  DefineCustomBoolVariable(name, "Hologres setting (test fixture)", NULL, variable, initial, PGC_USERSET, 0, NULL,
                           NULL, NULL);
}

void _PG_init(void) {
  define("hg_experimental_enable_transaction", &enable_transaction, false);
  define("hg_experimental_affect_row_multiple_times_keep_last", &keep_last, false);
  define("hg_experimental_enable_drop_column", &enable_drop_column, false);
  define("hg_enable_truncate_as_dml", &truncate_as_dml, true);
  define("hg_experimental_generate_binlog", &generate_binlog, true);
}
