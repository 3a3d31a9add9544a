#include "source/mysql/binlog/json_binary.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "core/value.hpp"
#include "source/mysql/binlog/value_decoder.hpp"

namespace dbsync::binlog {
namespace {

enum JsonType : uint8_t {
  kSmallObject = 0,
  kLargeObject = 1,
  kSmallArray = 2,
  kLargeArray = 3,
  kLiteral = 4,
  kInt16 = 5,
  kUint16 = 6,
  kInt32 = 7,
  kUint32 = 8,
  kInt64 = 9,
  kUint64 = 10,
  kDouble = 11,
  kString = 12,
  kOpaque = 15,
};

// MySQL's maximum JSON nesting; also bounds our recursion on hostile input.
constexpr int kMaxDepth = 100;

class JsonTextWriter {
 public:
  explicit JsonTextWriter(std::span<const uint8_t> doc) : doc_(doc) {}

  Status Value(uint8_t type, size_t offset, int depth, std::string* out) {
    if (depth > kMaxDepth) return Fail("nesting deeper than 100");
    switch (type) {
      case kSmallObject: return Container(offset, true, false, depth, out);
      case kLargeObject: return Container(offset, true, true, depth, out);
      case kSmallArray: return Container(offset, false, false, depth, out);
      case kLargeArray: return Container(offset, false, true, depth, out);
      case kLiteral: {
        if (!Has(offset, 1)) return Fail("truncated literal");
        return Literal(doc_[offset], out);
      }
      case kInt16: return Has(offset, 2) ? Number(int16_t(Uint(offset, 2)), out) : Fail("truncated int16");
      case kUint16: return Has(offset, 2) ? Number(uint16_t(Uint(offset, 2)), out) : Fail("truncated uint16");
      case kInt32: return Has(offset, 4) ? Number(int32_t(Uint(offset, 4)), out) : Fail("truncated int32");
      case kUint32: return Has(offset, 4) ? Number(uint32_t(Uint(offset, 4)), out) : Fail("truncated uint32");
      case kInt64: return Has(offset, 8) ? Number(int64_t(Uint(offset, 8)), out) : Fail("truncated int64");
      case kUint64: return Has(offset, 8) ? Number(Uint(offset, 8), out) : Fail("truncated uint64");
      case kDouble: {
        if (!Has(offset, 8)) return Fail("truncated double");
        uint64_t bits = Uint(offset, 8);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        AppendDouble(d, out);
        return Status::Ok();
      }
      case kString: {
        size_t len = 0, n = 0;
        SYNC_RETURN_IF_ERROR(VarLength(offset, &len, &n));
        if (!Has(offset + n, len)) return Fail("truncated string");
        AppendJsonString({reinterpret_cast<const char*>(&doc_[offset + n]), len}, out);
        return Status::Ok();
      }
      case kOpaque: return Opaque(offset, out);
      default: return Fail("unknown value type " + std::to_string(type));
    }
  }

 private:
  Status Fail(const std::string& what) const { return Status::Corruption("binary JSON: " + what); }
  bool Has(size_t offset, size_t n) const { return offset <= doc_.size() && doc_.size() - offset >= n; }
  uint64_t Uint(size_t offset, size_t n) const {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(doc_[offset + i]) << (8 * i);
    return v;
  }
  template <typename T>
  Status Number(T v, std::string* out) {
    *out += std::to_string(v);
    return Status::Ok();
  }
  Status Literal(uint8_t v, std::string* out) {
    switch (v) {
      case 0: *out += "null"; return Status::Ok();
      case 1: *out += "true"; return Status::Ok();
      case 2: *out += "false"; return Status::Ok();
      default: return Fail("bad literal " + std::to_string(v));
    }
  }
  // Lengths of strings and opaque values: 7 bits per byte, low bits first.
  Status VarLength(size_t offset, size_t* len, size_t* consumed) {
    uint64_t v = 0;
    for (size_t i = 0; i < 5; ++i) {
      if (!Has(offset + i, 1)) return Fail("truncated length");
      uint8_t b = doc_[offset + i];
      v |= uint64_t(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        *len = static_cast<size_t>(v);
        *consumed = i + 1;
        return Status::Ok();
      }
    }
    return Fail("length longer than 5 bytes");
  }

  Status Container(size_t offset, bool object, bool large, int depth, std::string* out) {
    const size_t w = large ? 4 : 2;
    if (!Has(offset, 2 * w)) return Fail("truncated container header");
    const uint64_t count = Uint(offset, w);
    const uint64_t size = Uint(offset + w, w);
    if (!Has(offset, size)) return Fail("container larger than the document");
    const size_t key_entry = w + 2, value_entry = 1 + w;
    const size_t header = 2 * w + count * ((object ? key_entry : 0) + value_entry);
    if (count > size || header > size) return Fail("container entries exceed its size");
    const std::span<const uint8_t> saved = doc_;
    doc_ = doc_.subspan(offset, size);  // offsets inside are relative to the container
    *out += object ? '{' : '[';
    Status st;
    for (uint64_t i = 0; i < count && st.ok(); ++i) {
      if (i > 0) *out += ", ";
      if (object) {
        const size_t ke = 2 * w + i * key_entry;
        const size_t key_off = Uint(ke, w), key_len = Uint(ke + w, 2);
        if (!Has(key_off, key_len)) {
          st = Fail("key outside its object");
          break;
        }
        AppendJsonString({reinterpret_cast<const char*>(&doc_[key_off]), key_len}, out);
        *out += ": ";
      }
      const size_t ve = 2 * w + count * (object ? key_entry : 0) + i * value_entry;
      const uint8_t type = doc_[ve];
      // Small scalars are stored in the entry itself instead of at an offset.
      const bool inlined = type == kLiteral || type == kInt16 || type == kUint16 ||
                           (large && (type == kInt32 || type == kUint32));
      st = Value(type, inlined ? ve + 1 : Uint(ve + 1, w), depth + 1, out);
    }
    doc_ = saved;
    SYNC_RETURN_IF_ERROR(st);
    *out += object ? '}' : ']';
    return Status::Ok();
  }

  Status Opaque(size_t offset, std::string* out) {
    if (!Has(offset, 1)) return Fail("truncated opaque value");
    const uint8_t field_type = doc_[offset];
    size_t len = 0, n = 0;
    SYNC_RETURN_IF_ERROR(VarLength(offset + 1, &len, &n));
    if (!Has(offset + 1 + n, len)) return Fail("truncated opaque value");
    std::span<const uint8_t> data = doc_.subspan(offset + 1 + n, len);
    switch (static_cast<ColumnType>(field_type)) {
      case ColumnType::kNewDecimal: {
        if (data.size() < 2) return Fail("truncated opaque decimal");
        SYNC_ASSIGN_OR_RETURN(std::string text, DecodeDecimal(data.subspan(2), data[0], data[1]));
        *out += text;
        return Status::Ok();
      }
      case ColumnType::kDate:
      case ColumnType::kDateTime:
      case ColumnType::kTimestamp:
      case ColumnType::kTime: {
        if (data.size() < 8) return Fail("truncated opaque temporal");
        int64_t packed = 0;
        for (int i = 0; i < 8; ++i) packed |= int64_t(data[i]) << (8 * i);
        *out += '"' + Temporal(static_cast<ColumnType>(field_type), packed) + '"';
        return Status::Ok();
      }
      default: {
        *out += "\"base64:type" + std::to_string(field_type) + ":" + Base64(data) + '"';
        return Status::Ok();
      }
    }
  }

  static std::string Temporal(ColumnType type, int64_t packed) {
    char buf[64];
    if (type == ColumnType::kTime) {
      Time t = UnpackTime(packed);
      std::snprintf(buf, sizeof buf, "%s%02u:%02u:%02u.%06u", t.negative ? "-" : "", t.hours,
                    unsigned(t.minutes), unsigned(t.seconds), t.micros);
      return buf;
    }
    DateTime d = UnpackDateTime(packed);
    if (type == ColumnType::kDate) {
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, unsigned(d.month), unsigned(d.day));
    } else {
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02u:%02u:%02u.%06u", d.year, unsigned(d.month),
                    unsigned(d.day), unsigned(d.hour), unsigned(d.minute), unsigned(d.second), d.micros);
    }
    return buf;
  }

  static std::string Base64(std::span<const uint8_t> data) {
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < data.size(); i += 3) {
      uint32_t v = uint32_t(data[i]) << 16;
      if (i + 1 < data.size()) v |= uint32_t(data[i + 1]) << 8;
      if (i + 2 < data.size()) v |= data[i + 2];
      out += kAlphabet[(v >> 18) & 63];
      out += kAlphabet[(v >> 12) & 63];
      out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
      out += i + 2 < data.size() ? kAlphabet[v & 63] : '=';
    }
    return out;
  }

  // MySQL prints doubles like %g with up to 17 digits and no "+" in exponents.
  static void AppendDouble(double d, std::string* out) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    std::string s(buf, r.ptr);
    size_t e = s.find('e');
    if (e != std::string::npos) {
      std::string mant = s.substr(0, e), exp = s.substr(e + 1);
      bool neg = !exp.empty() && exp[0] == '-';
      if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) exp.erase(0, 1);
      exp.erase(0, std::min(exp.find_first_not_of('0'), exp.size() - 1));
      s = mant + "e" + (neg ? "-" : "") + exp;
    } else if (s.find('.') == std::string::npos && s != "inf" && s != "-inf" && s != "nan") {
      s += ".0";
    }
    *out += s;
  }

  std::span<const uint8_t> doc_;
};

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  *out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
  *out += '"';
}

Result<std::string> JsonBinaryToText(std::span<const uint8_t> data) {
  if (data.empty()) return std::string("null");
  JsonTextWriter writer(data);
  std::string out;
  SYNC_RETURN_IF_ERROR(writer.Value(data[0], 1, 0, &out));
  return out;
}

}  // namespace dbsync::binlog
