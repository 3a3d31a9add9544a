#pragma once
// Little-endian cursor over a byte span, the shape every wire format here uses.
// Reads past the end set a sticky failure flag instead of reading out of bounds,
// so decoders check `ok()` once per logical unit.

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace dbsync {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : data_(bytes) {}

  bool ok() const { return ok_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool AtEnd() const { return remaining() == 0; }

  // Unsigned little-endian integer of `width` bytes (1..8).
  uint64_t ReadUint(size_t width) {
    if (!Need(width)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) v |= uint64_t(data_[pos_ + i]) << (8 * i);
    pos_ += width;
    return v;
  }
  // Unsigned big-endian integer of `width` bytes (1..8): DECIMAL and temporal types.
  uint64_t ReadUintBigEndian(size_t width) {
    if (!Need(width)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += width;
    return v;
  }
  uint8_t ReadU8() { return uint8_t(ReadUint(1)); }
  uint16_t ReadU16() { return uint16_t(ReadUint(2)); }
  uint32_t ReadU24() { return uint32_t(ReadUint(3)); }
  uint32_t ReadU32() { return uint32_t(ReadUint(4)); }
  uint64_t ReadU48() { return ReadUint(6); }
  uint64_t ReadU64() { return ReadUint(8); }

  // MySQL length-encoded integer; `is_null` reports the 0xFB NULL marker.
  uint64_t ReadLengthEncoded(bool* is_null = nullptr) {
    if (is_null) *is_null = false;
    uint8_t first = ReadU8();
    if (first < 0xFB) return first;
    if (first == 0xFB) {
      if (is_null) *is_null = true;
      return 0;
    }
    if (first == 0xFC) return ReadUint(2);
    if (first == 0xFD) return ReadUint(3);
    if (first == 0xFE) return ReadUint(8);
    ok_ = false;  // 0xFF is not a valid length prefix
    return 0;
  }

  std::span<const uint8_t> ReadBytes(size_t n) {
    if (!Need(n)) return {};
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view ReadString(size_t n) {
    auto b = ReadBytes(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  std::span<const uint8_t> ReadRest() { return ReadBytes(remaining()); }
  void Skip(size_t n) { ReadBytes(n); }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace dbsync
