#pragma once
// The bucket of a row in an upsert session (specs/maxcompute.md 4.2 item 4,
// the "default" hasher): the session lists its buckets 0..B-1, and each row
// goes to bucket RecordHash(hashes of its hash_key columns) % B.
//
// Only the hashes the fixture vectors pin down are here: integer columns
// (TINYINT..BIGINT) and byte strings (STRING, VARCHAR, CHAR, BINARY). The
// spec's other rules (BOOLEAN, FLOAT/DOUBLE, DATE, DATETIME, DECIMAL) come
// with the sink that needs them, with their own vectors.

#include <cstdint>
#include <span>
#include <string_view>

namespace dbsync::maxcompute {

// The column hash of an integer value.
int32_t HashInteger(int64_t value);

// The column hash of a string or binary value: its bytes (UTF-8 for text)
// read as signed bytes, as the Java and C++ SDKs do (pyodps differs for
// non-ASCII text; the spec follows Java).
int32_t HashBytes(std::string_view bytes);

// The row's hash from its key columns' hashes, in hash_key order; never
// negative.
int32_t RecordHash(std::span<const int32_t> column_hashes);

// The bucket of a row: RecordHash(...) % buckets (buckets > 0).
inline int BucketOf(int32_t record_hash, int buckets) { return record_hash % buckets; }

}  // namespace dbsync::maxcompute
