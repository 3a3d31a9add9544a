#pragma once
// COPY's binary format (PostgreSQL docs, "COPY: Binary Format"): what the
// server parses fastest, since integers, numerics, dates and timestamps
// arrive in their stored form instead of as text to parse. PostgreSQL only:
// Hologres takes binary input only in its non-atomic stream mode
// (specs/hologres.md 4.4), so its chunks stay text.
//
// A binary field must be exactly the destination column's type (the server
// reads the bytes by its own type, without a cast), so binary is used only
// when every destination column has the type sync maps its source column to
// (BinaryCopyTypesMatch); a table whose columns differ (changed by hand, or
// a column change the task ignored) is copied as text.

#include <string>
#include <vector>

#include "sink/postgres/pg_types.hpp"

namespace dbsync::postgres {

// The file header (signature, flags, header extension length).
void AppendBinaryCopyHeader(std::string* out);
// The file trailer (a field count of -1).
void AppendBinaryCopyTrailer(std::string* out);
// The start of a row of `fields` fields.
void AppendBinaryRowStart(size_t fields, std::string* out);

// The type name (pg_type, `regtype` text without modifiers, e.g. "character
// varying") that the binary form of `col` is written for.
std::string BinaryCopyTypeName(const PgColumn& col);
// Whether `destination_types` (one `regtype` text per column of `columns`,
// in the same order) are the types the binary forms are written for.
bool BinaryCopyTypesMatch(const std::vector<PgColumn>& columns, const std::vector<std::string>& destination_types);

}  // namespace dbsync::postgres
