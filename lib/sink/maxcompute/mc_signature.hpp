#pragma once
// Request signing of MaxCompute (ODPS), specs/maxcompute.md 1.2-1.4.
//
// Signature V2 signs a canonical string with HMAC-SHA1 under the AccessKey
// secret and is sent as `Authorization: ODPS <AccessKeyId>:<base64>`. The
// canonical string is, joined by '\n':
//   the method; the values of Content-MD5, Content-Type and Date (empty when
//   absent); `name:value` for every x-odps-* header, sorted by lower-cased
//   name; the resource.
// The resource is the request target relative to the endpoint (the /api of
// a service endpoint is not part of it), percent-decoded, followed when there
// is a query by `?` and the parameters sorted by key, each `k=v` with the
// decoded value or a bare `k` when the value is empty (`k` and `k=` sign
// alike). Only headers are signed: x-odps-* query parameters are never sent
// by this client (the SDKs disagree on whether they are signed, 1.3 step 2).
//
// V4 signs the same string with HMAC-SHA1 under a key derived from the
// secret, the UTC day of the Date header and the region (1.4).
//
// Everything here is a pure function of its arguments and thread-safe.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace dbsync::maxcompute {

// Header name (any case) and value, in sending order.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct AccessKey {
  std::string id;
  std::string secret;  // never logged nor put in a message
};

// `target`: path and query as sent, relative to the endpoint, e.g.
// "/projects/p1/tunnel?service=&curr_project=p1" -> "/projects/p1/tunnel?curr_project=p1&service".
std::string CanonicalResource(std::string_view target);

// The V2 string to sign. Several values of one header are joined with ','.
std::string CanonicalString(std::string_view method, const HeaderList& headers, std::string_view target);

// "ODPS <id>:<Base64(HMAC-SHA1(secret, canonical))>".
std::string AuthorizationV2(const AccessKey& key, std::string_view canonical);

// "ODPS <id>/<day>/<region>/odps/aliyun_v4_request:<signature>"; `day` is
// yyyymmdd, the UTC day of the Date header.
std::string AuthorizationV4(const AccessKey& key, std::string_view day, std::string_view region,
                            std::string_view canonical);

// RFC 1123 in GMT, English names whatever the locale: "Mon, 01 Jan 2024 00:00:00 GMT".
std::string HttpDate(std::chrono::system_clock::time_point time);
// Parses what HttpDate writes (the service's Date headers); nullopt-like error otherwise.
Result<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// %XX decoding only: '+' stays '+' (the service never reads it as a space, 1.3).
std::string PercentDecode(std::string_view text);
// Encodes every byte but RFC 3986 unreserved characters (a space becomes %20).
std::string PercentEncode(std::string_view text);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);
// Lower-case hex of the MD5 digest: the Content-MD5 form the Java SDK sends (1.2).
std::string HexMd5(std::string_view bytes);

}  // namespace dbsync::maxcompute
