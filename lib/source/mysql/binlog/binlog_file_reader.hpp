#pragma once
// BinlogFileReader: the raw events of a binlog file, one at a time, with the
// position each starts at. It only frames events (magic header, then
// length-prefixed events); BinlogDecoder gives them meaning.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html#sect_protocol_replication_binlog_file
//
// gzip-compressed files (binlog.000001.gz) are read transparently.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "source/mysql/binlog/binlog_decoder.hpp"
#include "source/mysql/binlog/binlog_event.hpp"

namespace dbsync::binlog {

// The four bytes every binlog file starts with: 0xfe 'b' 'i' 'n'.
inline constexpr uint8_t kBinlogMagic[4] = {0xFE, 0x62, 0x69, 0x6E};
inline constexpr uint64_t kFirstEventPosition = 4;

struct RawEvent {
  uint64_t position = 0;       // offset of the event's first byte in the file
  std::vector<uint8_t> bytes;  // header through checksum
};

class BinlogFileReader {
 public:
  // kNotFound / kPermissionDenied / kIOError when the file cannot be opened,
  // kCorruption when it does not start with the binlog magic.
  static Result<std::unique_ptr<BinlogFileReader>> Open(const std::string& path);
  ~BinlogFileReader();
  BinlogFileReader(const BinlogFileReader&) = delete;
  BinlogFileReader& operator=(const BinlogFileReader&) = delete;

  // Reads the next event into `out` (reusing its buffer). Returns false at a
  // clean end of file; an event cut short by the end of the file, or a length
  // smaller than a header, gives kCorruption naming the file and position.
  Result<bool> Next(RawEvent* out);
  // Continues reading at `position`, which must be the start of an event.
  Status Seek(uint64_t position);

  const std::string& path() const { return path_; }
  uint64_t position() const { return position_; }

 private:
  BinlogFileReader(std::string path, void* file) : path_(std::move(path)), file_(file) {}
  Status ReadExactly(uint8_t* dst, size_t n, size_t* got);

  std::string path_;
  void* file_;  // gzFile; void* keeps zlib.h out of this header
  uint64_t position_ = kFirstEventPosition;
};

// Decodes every event of a file (tests, tools). Stops at the first error.
Result<std::vector<BinlogEvent>> DecodeBinlogFile(const std::string& path, DecoderOptions options = {});

}  // namespace dbsync::binlog
