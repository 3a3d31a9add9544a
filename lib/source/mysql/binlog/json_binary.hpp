#pragma once
// MySQL binary JSON (the storage and binlog format of JSON columns) to JSON text.
// https://dev.mysql.com/doc/dev/mysql-server/latest/json__binary_8h.html
//
// The text matches MySQL's own rendering (SELECT json_col): ", " and ": "
// separators, keys in stored order, DECIMAL opaque values as numbers,
// temporal opaque values as quoted strings, other opaque values as
// "base64:typeNN:...".

#include <cstdint>
#include <span>
#include <string>

#include "core/status.hpp"

namespace dbsync::binlog {

// An empty input is the JSON null literal (MySQL writes it for a JSON column
// that was added without a default). Malformed input gives kCorruption.
Result<std::string> JsonBinaryToText(std::span<const uint8_t> data);

// Appends `s` as a JSON string literal with MySQL's escaping.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace dbsync::binlog
