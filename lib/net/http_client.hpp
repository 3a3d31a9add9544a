#pragma once
// A blocking HTTP/1.1 client over libcurl, for destinations with a REST API
// (StarRocks Stream Load, MaxCompute). One request per call, on a fresh
// connection: Stream Load's FE closes its connection after each redirect
// anyway (specs/starrocks.md 1.4), and it keeps the client free of state.
//
// Redirects (307) are followed with the same method, headers, body and
// Basic credentials, as Stream Load requires (1.4); `Expect: 100-continue`
// is sent when asked, so a server may refuse a request before the body goes.
// Transport failures (refused, reset, timed out) are kUnavailable and name
// the URL, never the credentials.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "core/tls_options.hpp"

namespace dbsync::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // must outlive the call; re-sent on a redirect
  std::string user, password;  // HTTP Basic, kept across redirects when user is set
  bool follow_redirects = true;
  bool expect_continue = false;
  int connect_timeout_ms = 10000;
  int timeout_ms = 600000;
  // For https URLs: the CA, client certificate and how strictly the server
  // is verified (http_client.cpp, ApplyTls); `tls_setting` names the spec
  // block in messages. An http URL is plain whatever the mode.
  TlsOptions tls;
  std::string tls_setting = "destination.tls";
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // of the final response, names in lower case
  std::string url;                             // where the final response came from
  TlsState tls;                                // what the last connection negotiated
};

Result<HttpResponse> HttpCall(const HttpRequest& request);

// The host of `url` ("h" in "https://h:443/api"), for TLS messages.
std::string UrlHost(const std::string& url);

}  // namespace dbsync::net
