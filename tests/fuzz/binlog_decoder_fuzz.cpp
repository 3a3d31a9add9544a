// Fuzz target for the binlog decoder: the input is a binlog file (the magic
// optional), cut into events by their header lengths and decoded in order,
// then rendered as text and JSON. Any crash, hang or sanitizer report is a
// bug: malformed input must only ever produce a Status.
//
// Built with libFuzzer under clang, and with fuzz_replay_main.cpp (seeds plus
// time-bounded random mutations) under any compiler, for ctest.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "source/mysql/binlog/binlog_decoder.hpp"
#include "source/mysql/binlog/binlog_dump.hpp"
#include "source/mysql/binlog/binlog_file_reader.hpp"
#include "source/mysql/binlog/json_binary.hpp"

using namespace dbsync::binlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  // Inputs starting with 'J' exercise the binary JSON reader alone.
  if (!in.empty() && in[0] == 'J') {
    (void)JsonBinaryToText(in.subspan(1));
    return 0;
  }
  if (in.size() >= 4 && std::memcmp(in.data(), kBinlogMagic, 4) == 0) in = in.subspan(4);
  DecoderOptions options;
  options.verify_checksum = false;  // reach the bodies of mutated events
  options.max_uncompressed_size = size_t(1) << 22;
  BinlogDecoder decoder(options);
  uint64_t position = kFirstEventPosition;
  while (in.size() >= kEventHeaderSize) {
    uint32_t length = 0;
    std::memcpy(&length, in.data() + 9, 4);
    if (length < kEventHeaderSize || length > in.size()) length = static_cast<uint32_t>(in.size());
    auto event = decoder.Decode(in.first(length), position);
    if (event.ok()) {
      std::ostringstream text;
      PrintEventText(*event, text);
      (void)EventToJson(*event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    in = in.subspan(length);
    position += length;
  }
  return 0;
}
