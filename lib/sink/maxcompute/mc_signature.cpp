#include "sink/maxcompute/mc_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

#include "core/text_util.hpp"

namespace dbsync::maxcompute {
namespace {

constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
       &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

}  // namespace

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    int high = text[i] == '%' && i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
    int low = high >= 0 ? HexDigit(text[i + 2]) : -1;
    if (low >= 0) {
      out.push_back(char(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(char(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string CanonicalResource(std::string_view target) {
  size_t question = target.find('?');
  std::string resource = PercentDecode(target.substr(0, question));
  if (question == std::string_view::npos) return resource;
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view part : Split(target.substr(question + 1), '&')) {
    if (part.empty()) continue;
    size_t equals = part.find('=');
    params.emplace_back(PercentDecode(part.substr(0, equals)),
                        equals == std::string_view::npos ? "" : PercentDecode(part.substr(equals + 1)));
  }
  if (params.empty()) return resource;
  // Stable: a key given twice keeps its order on the wire, as the service does.
  std::stable_sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  resource += '?';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) resource += '&';
    resource += params[i].first;
    if (!params[i].second.empty()) resource += "=" + params[i].second;
  }
  return resource;
}

std::string CanonicalString(std::string_view method, const HeaderList& headers, std::string_view target) {
  // content-md5 < content-type < date < x-odps-*: a sorted map gives the spec's line order.
  std::map<std::string, std::string> signed_headers = {{"content-md5", ""}, {"content-type", ""}, {"date", ""}};
  std::map<std::string, bool> seen;
  for (const auto& [name, value] : headers) {
    std::string key = ToLower(name);
    if (!signed_headers.count(key) && key.rfind("x-odps-", 0) != 0) continue;
    std::string& slot = signed_headers[key];
    slot = seen[key] ? slot + "," + value : value;
    seen[key] = true;
  }
  std::string canonical(method);
  for (char& c : canonical) c = char(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& [key, value] : signed_headers) {
    canonical += '\n';
    canonical += key.rfind("x-odps-", 0) == 0 ? key + ":" + value : value;
  }
  return canonical + "\n" + CanonicalResource(target);
}

std::string AuthorizationV2(const AccessKey& key, std::string_view canonical) {
  return "ODPS " + key.id + ":" + Base64Encode(Hmac(EVP_sha1(), key.secret, canonical));
}

std::string AuthorizationV4(const AccessKey& key, std::string_view day, std::string_view region,
                            std::string_view canonical) {
  std::string signing_key = "aliyun_v4" + key.secret;
  for (std::string_view part : {day, region, std::string_view("odps"), std::string_view("aliyun_v4_request")})
    signing_key = Hmac(EVP_sha256(), signing_key, part);
  return "ODPS " + key.id + "/" + std::string(day) + "/" + std::string(region) +
         "/odps/aliyun_v4_request:" + Base64Encode(Hmac(EVP_sha1(), signing_key, canonical));
}

std::string HttpDate(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday], utc.tm_mday,
                kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

Result<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
  char day_name[4] = {0}, month_name[4] = {0};
  std::tm utc{};
  std::string copy(text);
  // Widths bound every number (sscanf's %d overflowing is undefined), and the
  // year range keeps the instant within system_clock's nanoseconds (years
  // 1678-2262): a reply's Date must never overflow it.
  if (std::sscanf(copy.c_str(), "%3s, %2d %3s %4d %2d:%2d:%2d GMT", day_name, &utc.tm_mday, month_name,
                  &utc.tm_year, &utc.tm_hour, &utc.tm_min, &utc.tm_sec) != 7 ||
      utc.tm_mday < 1 || utc.tm_mday > 31 || utc.tm_year < 1900 || utc.tm_year > 2200 || utc.tm_hour < 0 ||
      utc.tm_hour > 23 || utc.tm_min < 0 || utc.tm_min > 59 || utc.tm_sec < 0 || utc.tm_sec > 60)
    return Status::InvalidArgument("not an RFC 1123 date: " + copy);
  auto month = std::find_if(kMonths.begin(), kMonths.end(), [&](const char* m) { return month_name == std::string(m); });
  if (month == kMonths.end()) return Status::InvalidArgument("not an RFC 1123 date: " + copy);
  utc.tm_mon = int(month - kMonths.begin());
  utc.tm_year -= 1900;
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
  out.resize(size_t(length));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
  if (clean.size() % 4 != 0) return Status::Corruption("invalid Base64 text (length not a multiple of 4)");
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(clean.data()), int(clean.size()));
  if (length < 0) return Status::Corruption("invalid Base64 text");
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = clean.empty() ? 0 : size_t(clean.end()[-1] == '=') + size_t(clean.end()[-2] == '=');
  out.resize(size_t(length) - padding);
  return out;
}

std::string HexMd5(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += {kHex[digest[i] >> 4], kHex[digest[i] & 15]};
  return out;
}

}  // namespace dbsync::maxcompute
