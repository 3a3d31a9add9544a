// source.tls / destination.tls: parsing, and the messages TLS failures and
// `sync check` give.

#include <doctest/doctest.h>

#include "config/task_spec_yaml.hpp"
#include "core/tls_options.hpp"

using namespace dbsync;

namespace {

std::string SpecWithTls(const std::string& source_tls, const std::string& destination_type = "postgres",
                        const std::string& destination_tls = "") {
  return "name: t1\nsource:\n  host: 127.0.0.1\n  user: repl\n  server_id: 5401\n  tables: [shop.*]\n" + source_tls +
         "destination:\n  type: " + destination_type +
         "\n  host: 127.0.0.1\n  database: dw\n  user: loader\n  project: p\n  endpoint: http://x\n"
         "  access_id: a\n  access_key: k\n" + destination_tls;
}

// The message of a spec that must not parse.
std::string SpecError(const std::string& yaml) {
  auto r = config::ParseTaskSpec(yaml, "task.yaml");
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("tls blocks parse to modes and files; preferred is the default") {
    auto plain = config::ParseTaskSpec(SpecWithTls(""), "task.yaml");
    REQUIRE_MESSAGE(plain.ok(), plain.status().message());
    CHECK(plain->source.tls.mode == TlsMode::kPreferred);
    CHECK(plain->destination.tls.mode == TlsMode::kPreferred);
    // /etc/hostname stands in for a readable PEM file.
    auto r = config::ParseTaskSpec(SpecWithTls("  tls:\n    mode: verify_identity\n    ca: /etc/hostname\n", "postgres",
                                               "  tls:\n    mode: verify-full\n    ca: /etc/hostname\n"),
                                   "task.yaml");
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->source.tls.mode == TlsMode::kVerifyIdentity);
    CHECK(r->source.tls.ca == "/etc/hostname");
    CHECK(r->destination.tls.mode == TlsMode::kVerifyIdentity);
  }

  TEST_CASE("tls errors name the key and line") {
    CHECK(SpecError(SpecWithTls("  tls:\n    mode: verify_ca\n    ca: /nonexistent.pem\n"))
              .find("task.yaml:9:9: source.tls.ca: cannot read '/nonexistent.pem'") != std::string::npos);
    CHECK(SpecError(SpecWithTls("  tls:\n    ca: ca.pem\n")).find("must be the absolute path of a PEM file") !=
          std::string::npos);
    CHECK(SpecError(SpecWithTls("  tls:\n    mode: verify_identity\n"))
              .find("source.tls: mode verify_identity verifies the server's certificate and needs ca") !=
          std::string::npos);
    CHECK(SpecError(SpecWithTls("  tls:\n    mode: requird\n")).find("did you mean 'required'?") != std::string::npos);
    CHECK(SpecError(SpecWithTls("  tls:\n    cafile: /etc/hostname\n")).find("unknown key 'cafile' in source.tls") !=
          std::string::npos);
  }

  TEST_CASE("starrocks takes destination.tls, and https_port for Stream Load") {
    auto r = config::ParseTaskSpec(
        SpecWithTls("", "starrocks", "  https_port: 8443\n  tls:\n    mode: verify_identity\n    ca: /etc/hostname\n"),
        "task.yaml");
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r->destination.tls.mode == TlsMode::kVerifyIdentity);
    CHECK(r->destination.https_port == 8443);
    CHECK(r->destination.http_port == 8030);
    auto unset = config::ParseTaskSpec(SpecWithTls("", "starrocks"), "task.yaml");
    REQUIRE_MESSAGE(unset.ok(), unset.status().message());
    CHECK(unset->destination.https_port == 0);
  }
}

TEST_CASE("TLS failure messages say what to fix") {
  TlsOptions tls{TlsMode::kVerifyIdentity, "/etc/sync/ca.pem", "", ""};
  std::string wrong_ca = TlsFailureText("SSL connection error: unable to get local issuer certificate", tls,
                                        "source.tls", "db1");
  CHECK(IsTlsFailure(wrong_ca));
  CHECK(wrong_ca.find("not signed by the CA in source.tls.ca (/etc/sync/ca.pem)") != std::string::npos);
  std::string host = TlsFailureText("server certificate for \"db2\" does not match host name \"db1\"", tls,
                                    "destination.tls", "db1");
  CHECK(host.find("does not name the host 'db1'") != std::string::npos);
  CHECK(host.find("destination.tls.mode: verify_ca") != std::string::npos);
  tls.mode = TlsMode::kRequired;
  std::string none = TlsFailureText("server does not support SSL, but SSL was required", tls, "destination.tls", "db1");
  CHECK(none.find("the server does not offer TLS and destination.tls.mode is required") != std::string::npos);

  CHECK(DescribeTls({true, "TLSv1.3", "TLS_AES_256_GCM_SHA384"}, {TlsMode::kVerifyIdentity, "/ca.pem", "", ""}, "db1") ==
        "encrypted (TLSv1.3, cipher TLS_AES_256_GCM_SHA384), server certificate verified against CA /ca.pem for host db1");
  CHECK(DescribeTls({}, {}, "db1") == "not encrypted (mode preferred; the server offers no TLS)");
  CHECK(ParseTlsMode("verify-full") == TlsMode::kVerifyIdentity);
  CHECK(ParseTlsMode("prefer") == TlsMode::kPreferred);
  CHECK_FALSE(ParseTlsMode("on").has_value());
}
