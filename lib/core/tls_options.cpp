#include "core/tls_options.hpp"

namespace dbsync {

std::string TlsFailureText(const std::string& library_message, const TlsOptions& tls, const std::string& setting,
                           const std::string& host) {
  auto has = [&](const char* s) { return library_message.find(s) != std::string::npos; };
  std::string mode = setting + ".mode is " + TlsModeName(tls.mode);
  std::string advice;
  if (has("does not support SSL") || has("server does not support it") || has("offers no TLS")) {
    advice = "the server does not offer TLS and " + mode +
             ": enable TLS on the server (MySQL/MariaDB: ssl_cert, ssl_key; PostgreSQL: ssl = on; StarRocks 3.4.1+: ssl_keystore_location in fe.conf), or set " +
             setting + ".mode: preferred to connect without it";
  } else if (has("does not match host name") || has("Validation of SSL server certificate failed") ||
             has("matches target host name") ||
             has("hostname mismatch")) {
    advice = "the server's certificate does not name the host '" + host +
             "': connect by a name the certificate lists (its subject alternative names), give the server a "
             "certificate for '" + host + "', or set " + setting + ".mode: verify_ca to check the CA only";
  } else if (has("certificate verify failed") || has("local issuer") || has("self-signed") ||
             has("self signed") || has("unable to get issuer") || has("certificate signature failure")) {
    advice = "the server's certificate is not signed by the CA in " + setting + ".ca (" +
             (tls.ca.empty() ? std::string("none given") : tls.ca) +
             "): give the CA certificate that signed the server's certificate";
  } else if (has("private key") || has("certificate file") || has("client certificate")) {
    advice = "check " + setting + ".cert and " + setting + ".key: a PEM certificate and its private key (mode 0600)";
  } else {
    advice = "check " + setting + " (mode " + TlsModeName(tls.mode) + ", ca, cert, key) against the server's TLS setup";
  }
  return std::string(kTlsFailureMarker) + library_message + "; " + advice;
}

std::string DescribeTls(const TlsState& state, const TlsOptions& tls, const std::string& host) {
  if (!state.encrypted)
    return tls.mode == TlsMode::kDisabled ? "not encrypted (mode disabled)"
                                          : "not encrypted (mode " + TlsModeName(tls.mode) + "; the server offers no TLS)";
  std::string text = "encrypted (" + state.version + ", cipher " + state.cipher + ")";
  if (tls.mode == TlsMode::kVerifyIdentity) return text + ", server certificate verified against CA " + tls.ca + " for host " + host;
  if (tls.mode == TlsMode::kVerifyCa) return text + ", server certificate verified against CA " + tls.ca + " (host name not checked)";
  if (!tls.ca.empty()) return text + ", server certificate chain checked against CA " + tls.ca + " (host name not checked)";
  return text + ", server certificate not verified (mode " + TlsModeName(tls.mode) + ")";
}

}  // namespace dbsync
