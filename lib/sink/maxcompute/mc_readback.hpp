#pragma once
// MaxCompute tables read back for `sync verify` (sink/readback.hpp).
//
// How: SELECT statements run as SQL instances (specs/maxcompute.md 2.1, 2.2),
// the service interface the sink already uses. A Tunnel download session
// reads a whole table or partition with no filter, so a key range or a list
// of keys would cost a full download per chunk; a SELECT filters by key. On
// a Delta table (write_mode upsert) a SELECT sees the merged rows: the
// latest image per key, deletes applied. A SELECT's result is at most 10,000
// rows (5.2) and ORDER BY needs a LIMIT, so every read that may return many
// rows (a key range, keys after a key, a whole table) pages by key: ORDER BY
// key LIMIT 1000, then from the last key read; a list of keys is asked 1000
// at a time (an IN list holds at most 1024). Memory stays at one page.
//
// Expected() encodes a value with the sink's own RowEncoder (the record the
// tunnel receives) and renders the field it wrote; Read() renders
// MaxCompute's text for the stored value the same way. Per MaxCompute type,
// the canonical text is:
//  - BOOLEAN: true or false; TINYINT..BIGINT: the integer;
//  - FLOAT, DOUBLE: the shortest text that reads back as the same float
//    (respectively double);
//  - DECIMAL(p,s): without trailing fractional zeros;
//  - STRING (text, TIME, JSON, ENUM, SET, a DECIMAL wider than MaxCompute's):
//    the UTF-8 text as stored;
//  - BINARY: its standard Base64 (read with base64(col));
//  - DATE: YYYY-MM-DD;
//  - DATETIME and TIMESTAMP: the instant as a UTC wall clock, without
//    trailing zeros of the fraction (the sink turns a DATETIME's wall clock
//    into an instant in the project's zone; reads are made with
//    odps.sql.timezone = UTC, so the text is the same whatever the project's
//    or the session's zone).

#include <memory>

#include "config/task_spec.hpp"
#include "sink/readback.hpp"

namespace dbsync::maxcompute {

Result<std::unique_ptr<sink::Readback>> OpenMcReadback(const config::TaskSpec& spec);

}  // namespace dbsync::maxcompute
