#pragma once
// Certificates for the TLS tests, made with the openssl command line in a
// temp dir of their own (removed by the destructor): a CA, a server
// certificate it signed for 127.0.0.1 and localhost, one it signed for
// another host name only, a client certificate, and a second CA that signed
// nothing here (the "wrong CA"). Keys are EC P-256, files PEM, keys 0600.

#include <string>

namespace dbsync::testing {

struct TlsCertificates {
  TlsCertificates();
  ~TlsCertificates();
  TlsCertificates(const TlsCertificates&) = delete;
  TlsCertificates& operator=(const TlsCertificates&) = delete;

  std::string dir;
  std::string ca;                                 // the CA certificate
  std::string server_cert, server_key;            // SAN: IP 127.0.0.1, DNS localhost
  std::string other_host_cert, other_host_key;    // SAN: DNS db.example.com only
  std::string client_cert, client_key;            // CN sync-client, signed by ca
  std::string wrong_ca;                           // another CA's certificate
  static constexpr const char* kOtherHost = "db.example.com";
};

}  // namespace dbsync::testing
