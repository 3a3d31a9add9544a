#include "source/mysql/binlog/binlog_file_reader.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "core/byte_reader.hpp"

namespace dbsync::binlog {
namespace {

// Events are never larger than max_allowed_packet (1 GiB at most).
constexpr uint32_t kMaxEventSize = 1u << 30;

}  // namespace

Result<std::unique_ptr<BinlogFileReader>> BinlogFileReader::Open(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    const std::string msg = path + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(msg);
    if (err == EACCES) return Status::PermissionDenied(msg);
    return Status::IOError(msg);
  }
  gzbuffer(f, 1 << 17);
  std::unique_ptr<BinlogFileReader> reader(new BinlogFileReader(path, f));
  uint8_t magic[4];
  size_t got = 0;
  SYNC_RETURN_IF_ERROR(reader->ReadExactly(magic, sizeof magic, &got));
  if (got != sizeof magic || std::memcmp(magic, kBinlogMagic, sizeof magic) != 0) {
    return Status::Corruption(path + ": not a binlog file (it does not start with the bytes fe 62 69 6e)");
  }
  return reader;
}

BinlogFileReader::~BinlogFileReader() { gzclose(static_cast<gzFile>(file_)); }

Status BinlogFileReader::ReadExactly(uint8_t* dst, size_t n, size_t* got) {
  *got = 0;
  while (*got < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - *got, 1u << 30));
    const int r = gzread(static_cast<gzFile>(file_), dst + *got, chunk);
    if (r < 0) {
      int errnum = 0;
      const char* msg = gzerror(static_cast<gzFile>(file_), &errnum);
      if (errnum == Z_DATA_ERROR) {
        return Status::Corruption(path_ + ": compressed data is corrupt at position " + std::to_string(position_));
      }
      return Status::IOError(path_ + ": read failed at position " + std::to_string(position_) + ": " + msg);
    }
    if (r == 0) break;
    *got += static_cast<size_t>(r);
  }
  return Status::Ok();
}

Result<bool> BinlogFileReader::Next(RawEvent* out) {
  out->position = position_;
  out->bytes.resize(kEventHeaderSize);
  size_t got = 0;
  SYNC_RETURN_IF_ERROR(ReadExactly(out->bytes.data(), kEventHeaderSize, &got));
  if (got == 0) return false;
  const std::string where = path_ + ": event at position " + std::to_string(position_);
  if (got < kEventHeaderSize) {
    return Status::Corruption(where + " is truncated: the file ends " + std::to_string(got) +
                              " bytes into its header");
  }
  ByteReader r(std::span<const uint8_t>(out->bytes).subspan(9, 4));
  const uint32_t length = r.ReadU32();
  if (length < kEventHeaderSize || length > kMaxEventSize) {
    return Status::Corruption(where + " has an impossible length of " + std::to_string(length) + " bytes");
  }
  out->bytes.resize(length);
  SYNC_RETURN_IF_ERROR(ReadExactly(out->bytes.data() + kEventHeaderSize, length - kEventHeaderSize, &got));
  if (got < length - kEventHeaderSize) {
    return Status::Corruption(where + " is truncated: its header says " + std::to_string(length) +
                              " bytes but the file ends after " + std::to_string(kEventHeaderSize + got));
  }
  position_ += length;
  return true;
}

Status BinlogFileReader::Seek(uint64_t position) {
  if (position < kFirstEventPosition) {
    return Status::InvalidArgument("position " + std::to_string(position) + " is inside the binlog magic header");
  }
  if (gzseek(static_cast<gzFile>(file_), static_cast<z_off_t>(position), SEEK_SET) < 0) {
    return Status::IOError(path_ + ": cannot seek to position " + std::to_string(position));
  }
  position_ = position;
  return Status::Ok();
}

Result<std::vector<BinlogEvent>> DecodeBinlogFile(const std::string& path, DecoderOptions options) {
  SYNC_ASSIGN_OR_RETURN(auto reader, BinlogFileReader::Open(path));
  if (options.source_name.empty()) options.source_name = path;
  BinlogDecoder decoder(std::move(options));
  std::vector<BinlogEvent> events;
  RawEvent raw;
  while (true) {
    SYNC_ASSIGN_OR_RETURN(bool more, reader->Next(&raw));
    if (!more) break;
    SYNC_ASSIGN_OR_RETURN(BinlogEvent ev, decoder.Decode(raw.bytes, raw.position));
    events.push_back(std::move(ev));
  }
  return events;
}

}  // namespace dbsync::binlog
