#pragma once
// How a client connection uses TLS: the task spec's source.tls and
// destination.tls blocks (sync-task(5)), taken by the MySQL and PostgreSQL
// clients. The modes are MySQL's --ssl-mode names; PostgreSQL's sslmode
// names (disable, prefer, require, verify-ca, verify-full) mean the same.

#include <optional>
#include <string>
#include <vector>

namespace dbsync {

enum class TlsMode {
  kDisabled,        // plain connection
  kPreferred,       // TLS when the server offers it, else plain (the default)
  kRequired,        // TLS or no connection; the certificate is not verified (unless ca is given)
  kVerifyCa,        // TLS, the server's certificate signed by `ca`
  kVerifyIdentity,  // kVerifyCa and the certificate names the host connected to
};

struct TlsOptions {
  TlsMode mode = TlsMode::kPreferred;
  std::string ca;    // PEM file of the CA(s) the server's certificate must chain to
  std::string cert;  // client certificate (PEM), for servers that ask for one
  std::string key;   // its private key (PEM)
  bool operator==(const TlsOptions&) const = default;
};

inline const std::vector<std::string>& TlsModeNames() {
  static const std::vector<std::string> names = {"disabled", "preferred", "required", "verify_ca", "verify_identity"};
  return names;
}

inline std::string TlsModeName(TlsMode m) { return TlsModeNames()[static_cast<size_t>(m)]; }

// A mode by its name, or by libpq's sslmode name.
inline std::optional<TlsMode> ParseTlsMode(const std::string& text) {
  static const std::vector<std::string> libpq = {"disable", "prefer", "require", "verify-ca", "verify-full"};
  for (size_t i = 0; i < libpq.size(); ++i)
    if (text == TlsModeNames()[i] || text == libpq[i]) return static_cast<TlsMode>(i);
  return std::nullopt;
}

inline bool VerifiesCertificate(TlsMode m) { return m == TlsMode::kVerifyCa || m == TlsMode::kVerifyIdentity; }

// What a connection negotiated, for messages and `sync check`.
struct TlsState {
  bool encrypted = false;
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

// Every failed TLS connection's message holds this; `sync check` reports
// such a failure on its tls item.
inline constexpr const char* kTlsFailureMarker = "TLS: ";
inline bool IsTlsFailure(const std::string& message) { return message.find(kTlsFailureMarker) != std::string::npos; }

// "TLS: <the client library's message>; <what to do>", where `setting` is
// the spec block ("source.tls") and `host` the name connected to.
std::string TlsFailureText(const std::string& library_message, const TlsOptions& tls, const std::string& setting,
                           const std::string& host);
// For `sync check`: "encrypted (TLSv1.3, cipher X), server certificate
// verified against CA /ca.pem for host db1" or "not encrypted (...)".
std::string DescribeTls(const TlsState& state, const TlsOptions& tls, const std::string& host);

}  // namespace dbsync
