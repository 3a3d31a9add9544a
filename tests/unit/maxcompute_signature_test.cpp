// MaxCompute request signing (specs/maxcompute.md 1.3, 1.4): every reference
// vector of the official SDK (tests/emulators/maxcompute/fixtures/sign_vectors.txt)
// reproduced byte for byte, and the canonicalisation rules one by one.

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sink/maxcompute/mc_signature.hpp"

using namespace dbsync;
using namespace dbsync::maxcompute;

namespace {

const AccessKey kKey{"testAccessId", "testAccessKeySecret"};
// The endpoints the vectors were made for (spec 1.3).
const std::string kServiceEndpoint = "http://service.cn-test.maxcompute.example.com/api";
const std::string kTunnelEndpoint = "http://dt.cn-test.maxcompute.example.com";
const std::string kLineMark = "\xE2\x8F\x8E";  // U+23CE, shown for '\n' in the file

struct SignVector {
  std::string title;
  std::string url;
  std::vector<std::string> canonical_lines;
  std::string authorization;
};

std::vector<SignVector> LoadVectors() {
  std::ifstream in(SYNC_SOURCE_DIR "/tests/emulators/maxcompute/fixtures/sign_vectors.txt");
  REQUIRE_MESSAGE(in.good(), "cannot read sign_vectors.txt");
  std::vector<SignVector> vectors;
  std::string line;
  bool in_canonical = false;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0) {
      vectors.push_back({line.substr(4), "", {}, ""});
      in_canonical = false;
    } else if (line.rfind("URL: ", 0) == 0) {
      vectors.back().url = line.substr(5);
    } else if (line.rfind("canonical string", 0) == 0) {
      in_canonical = true;
    } else if (line.rfind("Authorization: ", 0) == 0) {
      vectors.back().authorization = line.substr(15);
      in_canonical = false;
    } else if (in_canonical) {
      bool more = line.size() >= kLineMark.size() && line.compare(line.size() - kLineMark.size(), kLineMark.size(), kLineMark) == 0;
      vectors.back().canonical_lines.push_back(more ? line.substr(0, line.size() - kLineMark.size()) : line);
      in_canonical = more;
    }
  }
  return vectors;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

// The request target relative to its endpoint, as the client signs it.
std::string TargetOf(const std::string& url) {
  for (const std::string& endpoint : {kServiceEndpoint, kTunnelEndpoint})
    if (url.rfind(endpoint, 0) == 0) return url.substr(endpoint.size());
  FAIL("URL on no known endpoint: " << url);
  return "";
}

// The headers the vector's request carried, read back from its canonical
// lines (MD5, type, date, x-odps-*), sent in an unsorted order and mixed with
// headers that are not signed.
HeaderList HeadersOf(const SignVector& v) {
  const auto& l = v.canonical_lines;
  HeaderList headers = {{"User-Agent", "ref-agent"}, {"odps-tunnel-date-transform", "v1"}};
  for (size_t i = l.size() - 2; i >= 4; --i) {
    size_t colon = l[i].find(':');
    headers.push_back({l[i].substr(0, colon), l[i].substr(colon + 1)});
  }
  headers.push_back({"Date", l[3]});
  if (!l[2].empty()) headers.push_back({"Content-Type", l[2]});
  if (!l[1].empty()) headers.push_back({"Content-MD5", l[1]});
  headers.push_back({"Content-Length", "0"});
  return headers;
}

}  // namespace

TEST_SUITE("maxcompute signature") {

TEST_CASE("MaxCompute signer reproduces every V2 reference vector") {
  int checked = 0;
  for (const SignVector& v : LoadVectors()) {
    if (v.url.empty()) continue;  // the V4 entry, below
    CAPTURE(v.title);
    REQUIRE(v.canonical_lines.size() >= 6);
    std::string canonical = CanonicalString(v.canonical_lines[0], HeadersOf(v), TargetOf(v.url));
    CHECK(canonical == Joined(v.canonical_lines));
    CHECK(AuthorizationV2(kKey, canonical) == v.authorization);
    ++checked;
  }
  CHECK(checked == 6);
}

TEST_CASE("MaxCompute signer reproduces the V4 reference vector") {
  auto vectors = LoadVectors();
  auto v4 = std::find_if(vectors.begin(), vectors.end(), [](const auto& v) { return v.title.rfind("V4", 0) == 0; });
  auto get = std::find_if(vectors.begin(), vectors.end(), [](const auto& v) { return v.title == "GET table meta"; });
  REQUIRE(v4 != vectors.end());
  REQUIRE(get != vectors.end());
  std::string canonical = CanonicalString("GET", HeadersOf(*get), TargetOf(get->url));
  CHECK(AuthorizationV4(kKey, "20240101", "cn-hangzhou", canonical) == v4->authorization);
}

TEST_CASE("MaxCompute canonical resource: order, encoding and empty values do not change it") {
  const std::string expected = "/projects/p1/tables/t1?curr_project=p1&partition=ds=20240101,hh=01&uploads";
  CHECK(CanonicalResource("/projects/p1/tables/t1?uploads&partition=ds%3D20240101%2Chh%3D01&curr_project=p1") ==
        expected);
  CHECK(CanonicalResource("/projects/p1/tables/t1?curr_project=p1&uploads=&partition=ds=20240101,hh=01") == expected);
  CHECK(CanonicalResource("/projects/p%31/tables/t1") == "/projects/p1/tables/t1");
  CHECK(CanonicalResource("/projects/p1?") == "/projects/p1");
  CHECK(CanonicalResource("/projects/p1?a=x+y") == "/projects/p1?a=x+y");  // '+' is not a space
}

TEST_CASE("MaxCompute canonical string: header case, repeated and unsigned headers") {
  HeaderList headers = {{"X-ODPS-B", "2"}, {"x-odps-a", "1"}, {"date", "D"}, {"x-odps-a", "3"},
                        {"Content-Length", "9"}, {"odps-tunnel-tags", "t"}};
  CHECK(CanonicalString("put", headers, "/r") == "PUT\n\n\nD\nx-odps-a:1,3\nx-odps-b:2\n/r");
}

TEST_CASE("MaxCompute HTTP dates are RFC 1123 in GMT and parse back") {
  auto t = std::chrono::system_clock::from_time_t(1704067200);  // 2024-01-01 00:00:00 UTC
  CHECK(HttpDate(t) == "Mon, 01 Jan 2024 00:00:00 GMT");
  CHECK(HttpDate(t + std::chrono::hours(24 * 60) + std::chrono::seconds(61)) == "Fri, 01 Mar 2024 00:01:01 GMT");
  auto parsed = ParseHttpDate("Fri, 01 Mar 2024 00:01:01 GMT");
  REQUIRE(parsed.ok());
  CHECK(*parsed == t + std::chrono::hours(24 * 60) + std::chrono::seconds(61));
  CHECK_FALSE(ParseHttpDate("yesterday").ok());
}

TEST_CASE("MaxCompute encodings: percent, Base64, hex MD5") {
  CHECK(PercentEncode("ds=2024 01,a/b~_.-") == "ds%3D2024%2001%2Ca%2Fb~_.-");
  CHECK(PercentDecode(PercentEncode("é=%&")) == "é=%&");
  CHECK(PercentDecode("100%") == "100%");
  for (std::string text : {"", "a", "ab", "abc", "abcd"}) {
    auto back = Base64Decode(Base64Encode(text));
    REQUIRE(back.ok());
    CHECK(*back == text);
  }
  CHECK(Base64Encode("abc") == "YWJj");
  CHECK_FALSE(Base64Decode("YWJ").ok());
  CHECK(HexMd5("") == "d41d8cd98f00b204e9800998ecf8427e");
}

}  // TEST_SUITE
