#pragma once
// The engine of `sync binlog dump`: prints a binlog file's events and decoded
// rows for people (text, in the spirit of `mysqlbinlog -v`) or for programs
// (one JSON object per line).
//
// Text mode prints, per event, "# at POS", a header line, and for rows events
// mysqlbinlog's "### INSERT INTO `db`.`t`" / "### SET" / "###   @1=..."
// lines (values rendered by Value::ToString). JSON mode prints one object per
// event with "pos", "next_pos", "type", "server_id", "timestamp" and the
// event's fields; rows events carry "database", "table", "kind",
// "full_image" and "rows": [{"before": {...}, "after": {...}}] keyed by
// column name when the TABLE_MAP has names, else "@N" (1-based).

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "core/status.hpp"
#include "source/mysql/binlog/binlog_event.hpp"

namespace dbsync::binlog {

enum class DumpFormat { kText, kJson };

struct DumpOptions {
  // First event to print. The FORMAT_DESCRIPTION at position 4 is always
  // read (and printed) first, because decoding depends on it.
  uint64_t start_position = 4;
  // Stop before the first event that starts at or after this position.
  std::optional<uint64_t> stop_position;
  DumpFormat format = DumpFormat::kText;
  bool verify_checksum = true;
};

// Errors: the file cannot be read (kNotFound, kIOError), or an event is
// corrupt (kCorruption naming the file and position); events printed before
// the error stay printed. A rows event whose TABLE_MAP precedes the start
// position is reported in the output and skipped, not an error.
Status DumpBinlogFile(const std::string& path, const DumpOptions& options, std::ostream& out);

// One event in each format (also used for the events of a transaction payload).
void PrintEventText(const BinlogEvent& event, std::ostream& out);
nlohmann::json EventToJson(const BinlogEvent& event);

}  // namespace dbsync::binlog
