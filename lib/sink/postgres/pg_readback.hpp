#pragma once
// PostgreSQL and Hologres tables read back for `sync verify` (sink/readback.hpp).
//
// The canonical text of a value is PostgreSQL's text for it with what varies
// between an input and an output form taken out: floats as their shortest
// exact text, numerics without trailing fractional zeros, timestamps without
// trailing zeros and without the +00 of a UTC instant, intervals as signed
// hours:minutes:seconds, jsonb with sorted keys and no spaces, bytea in lower
// case. The session reads in UTC, ISO dates and hex bytea.

#include <memory>
#include <string>
#include <string_view>

#include "config/task_spec.hpp"
#include "sink/postgres/pg_types.hpp"
#include "sink/readback.hpp"

namespace dbsync::postgres {

// `text` (a value's text, input or output form) of a column of `kind`, canonical.
std::string CanonicalText(PgKind kind, std::string_view text);

Result<std::unique_ptr<sink::Readback>> OpenPgReadback(const config::TaskSpec& spec, Dialect dialect,
                                                       int default_port);

}  // namespace dbsync::postgres
