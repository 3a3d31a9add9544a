#include "sink/maxcompute/mc_bucket_hash.hpp"

namespace dbsync::maxcompute {

// The hashes are Java int/long arithmetic: wrapping adds and multiplies
// (done unsigned here, where C++ defines the wrap) and arithmetic right
// shifts (C++20 defines >> of a negative number as arithmetic).

int32_t HashInteger(int64_t value) {
  auto wrap = [](uint64_t v) { return int64_t(v); };
  int64_t l = wrap(~uint64_t(value) + (uint64_t(value) << 18));
  l ^= l >> 31;
  l = wrap(uint64_t(l) * 21);
  l ^= l >> 11;
  l = wrap(uint64_t(l) + (uint64_t(l) << 6));
  l ^= l >> 22;
  return int32_t(l);
}

int32_t HashBytes(std::string_view bytes) {
  // Jenkins' one-at-a-time hash.
  auto wrap = [](uint32_t v) { return int32_t(v); };
  int32_t h = 0;
  for (char c : bytes) {
    h = wrap(uint32_t(h) + uint32_t(int32_t(static_cast<signed char>(c))));
    h = wrap(uint32_t(h) + (uint32_t(h) << 10));
    h ^= h >> 6;
  }
  h = wrap(uint32_t(h) + (uint32_t(h) << 3));
  h ^= h >> 11;
  return wrap(uint32_t(h) + (uint32_t(h) << 15));
}

int32_t RecordHash(std::span<const int32_t> column_hashes) {
  uint32_t sum = 0;
  for (int32_t h : column_hashes) sum += uint32_t(h);
  const int32_t s = int32_t(sum);
  return s ^ (s >> 8);  // equal sign bits cancel: never negative
}

}  // namespace dbsync::maxcompute
