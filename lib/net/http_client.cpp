#include "net/http_client.hpp"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <strings.h>

#include <cctype>
#include <memory>
#include <mutex>

namespace dbsync::net {
namespace {

void GlobalInit() {
  // curl_global_init is not thread-safe; the sinks call from several threads.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  response->headers[name] = std::string(value);
  return size * n;
}

// Told by OpenSSL when a handshake is done: what was negotiated, for `sync check`.
int TlsStateIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void OnTlsInfo(const SSL* ssl, int where, int /*ret*/) {
  if (!(where & SSL_CB_HANDSHAKE_DONE)) return;
  auto* state = static_cast<TlsState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TlsStateIndex()));
  if (!state) return;
  state->encrypted = true;
  state->version = SSL_get_version(ssl);
  state->cipher = SSL_get_cipher_name(ssl);
}

CURLcode OnSslContext(CURL* /*curl*/, void* ctx, void* user) {
  auto* ssl_ctx = static_cast<SSL_CTX*>(ctx);
  SSL_CTX_set_ex_data(ssl_ctx, TlsStateIndex(), user);
  SSL_CTX_set_info_callback(ssl_ctx, OnTlsInfo);
  return CURLE_OK;
}

// The modes as sync-task(5) defines them for HTTPS: the certificate is
// verified against `ca` (else the system's CAs) with the host name, except
// that required without a ca encrypts only and verify_ca skips the name.
void ApplyTls(CURL* h, const TlsOptions& tls, TlsState* negotiated) {
  if (!tls.ca.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, tls.ca.c_str());
  if (!tls.cert.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, tls.cert.c_str());
  if (!tls.key.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, tls.key.c_str());
  const bool verify_peer = tls.mode != TlsMode::kRequired || !tls.ca.empty();
  const bool verify_host = verify_peer && tls.mode != TlsMode::kVerifyCa && tls.mode != TlsMode::kRequired;
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify_peer ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify_host ? 2L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, OnSslContext);
  curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, negotiated);
}

// The URL without any user:password@ part, for messages.
std::string Redacted(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

Status TransportError(CURLcode code, const char* detail, const HttpRequest& r) {
  std::string text = r.method + " " + Redacted(r.url) + " failed: " + (detail[0] ? detail : curl_easy_strerror(code));
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return Status::Unavailable(text + "; check that the server is running and reachable");
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return Status::FailedPrecondition(r.method + " " + Redacted(r.url) + " failed: " +
                                        TlsFailureText(detail[0] ? detail : curl_easy_strerror(code), r.tls,
                                                       r.tls_setting, UrlHost(r.url)));
    default:
      return Status::Internal(text);
  }
}

}  // namespace

std::string UrlHost(const std::string& url) {
  size_t begin = url.find("://");
  begin = begin == std::string::npos ? 0 : begin + 3;
  size_t end = url.find_first_of(":/", begin);
  return url.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

Result<HttpResponse> HttpCall(const HttpRequest& r) {
  GlobalInit();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal("cannot create an HTTP handle");
  CURL* h = curl.get();
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, long(r.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(r.timeout_ms));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  ApplyTls(h, r.tls, &response.tls);
  if (r.follow_redirects) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    // The FE redirects to a BE on another host: the credentials go along (1.4).
    curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 1L);
  }
  if (!r.user.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
    curl_easy_setopt(h, CURLOPT_USERNAME, r.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, r.password.c_str());
  }
  if (r.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    // The body from memory: curl re-sends it after a redirect by itself.
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(r.body.size()));
    curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 3000L);
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : r.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  // curl adds Expect by itself only for large bodies; an empty value removes it.
  headers = curl_slist_append(headers, r.expect_continue ? "Expect: 100-continue" : "Expect:");
  bool typed = false;
  for (const auto& h : r.headers) typed = typed || strcasecmp(h.first.c_str(), "Content-Type") == 0;
  // Not curl's form-urlencoded default: the body is not a form.
  if (r.method != "GET" && !typed) headers = curl_slist_append(headers, "Content-Type:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);

  CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) return TransportError(code, error, r);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective = nullptr;
  curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective) response.url = effective;
  return response;
}

}  // namespace dbsync::net
