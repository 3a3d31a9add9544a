#pragma once
// JSON partial updates (binlog_row_value_options=PARTIAL_JSON): MySQL logs
// JSON_SET/JSON_REPLACE/JSON_REMOVE on a JSON column as a list of diffs
// instead of the new document. https://dev.mysql.com/doc/refman/8.0/en/replication-options-binary-log.html#sysvar_binlog_row_value_options

#include <cstdint>
#include <string>
#include <vector>

#include "source/mysql/binlog/binlog_event.hpp"

namespace dbsync::binlog {

// The diffs as mysqlbinlog -v prints them: JSON_REPLACE(@3, '$.a', 1) nested
// once per diff. `column` is 0-based.
std::string RenderJsonDiffs(size_t column, const std::vector<JsonDiff>& diffs);

// For every column in change->json_diffs whose before image holds the full
// document, replaces the after value with the document after the diffs and
// records the column in json_diffs_applied. Columns it cannot resolve
// (no before image, a path it does not understand, a diff that does not fit
// the document) keep the rendered diffs.
void ApplyJsonDiffs(RowChange* change);

// Renders a JSON text in MySQL's canonical form (keys sorted by length then
// bytes, ", " and ": " separators); `text` must be valid JSON.
std::string CanonicalJsonText(const std::string& text);

}  // namespace dbsync::binlog
