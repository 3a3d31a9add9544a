// MaxCompute over HTTPS: the emulator serves TLS with certificates the
// harness makes (tests/harness/tls_certs), as the service's public https://
// endpoints do. A task with destination.tls verify_identity and the CA
// copies and streams through it; `sync check` reports the connection
// encrypted and verified; a wrong CA, a certificate for another host, and
// an http:// endpoint under a mode that demands TLS are each a clear error.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness/check_run.hpp"
#include "harness/maxcompute_emulator.hpp"
#include "harness/servers.hpp"
#include "harness/tls_certs.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using nlohmann::json;

namespace {

struct Env {
  TlsCertificates certs;
  MariaDbServer mysql;
  MaxComputeEmulator https{{"--tls-cert", certs.server_cert, "--tls-key", certs.server_key}};
  MaxComputeEmulator other_host{{"--tls-cert", certs.other_host_cert, "--tls-key", certs.other_host_key}};
  SyncCli cli;
  Env() { PrepareShopSource(mysql); }
};

Env& E() {
  static Env env;
  return env;
}

RunOptions McEnv() { return {.env = {{"MC_KEY", MaxComputeEmulator::kAccessKey}}}; }

std::string Spec(const std::string& name, const std::string& endpoint, const std::string& tls_block, int server_id) {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: " + std::to_string(server_id) +
         "\n  tables: [shop.mtls]\ndestination:\n  type: maxcompute\n  endpoint: " + endpoint +
         "\n  project: p1\n  access_id: " + MaxComputeEmulator::kAccessId + "\n  access_key: \"${env:MC_KEY}\"\n" +
         tls_block + "runtime: { batch_rows: 500, flush_ms: 300, failover: { max_backoff_seconds: 1 } }\n";
}

CheckRun Check(const std::string& name, const std::string& yaml) { return CreateAndCheck(E().cli, name, yaml, McEnv()); }

}  // namespace

TEST_CASE("MaxCompute over verified HTTPS: sync check says so, and the task copies and streams through it") {
  E().mysql.Exec("CREATE TABLE shop.mtls (id INT PRIMARY KEY, v VARCHAR(40))");
  E().mysql.Exec("INSERT INTO shop.mtls SELECT seq, CONCAT('v', seq) FROM seq.seq_1_to_300");
  const std::string yaml = Spec("mtls", E().https.endpoint(), TlsBlock("verify_identity", E().certs.ca), 6201);
  REQUIRE(E().https.endpoint().rfind("https://", 0) == 0);
  auto run = Check("mtls", yaml);
  INFO(run.out);
  auto tls = run.Item("destination.tls");
  CHECK(tls["result"] == "pass");
  const std::string reason = tls["reason"];
  CHECK(reason.find("encrypted (TLS") != std::string::npos);
  CHECK(reason.find(E().certs.ca) != std::string::npos);
  CHECK(run.Item("destination.connect")["result"] == "pass");

  auto started = E().cli.Run({"start", "mtls"}, McEnv());
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  REQUIRE_MESSAGE(E().cli.WaitStreaming("mtls"), E().cli.Run({"logs", "mtls"}).out);
  E().mysql.Exec("UPDATE shop.mtls SET v = 'over https' WHERE id <= 10");
  const bool converged = WaitConverged(
      {"mtls"}, [](const std::string&) { return std::optional(SourceLines(E().mysql, "SELECT id, v FROM shop.mtls ORDER BY id")); },
      [](const std::string&) -> std::optional<std::vector<std::string>> {
        auto rows = E().https.Query("SELECT id, v FROM mtls ORDER BY id LIMIT 10000");
        if (!rows) return std::nullopt;
        return JoinedLines(*rows);
      },
      std::chrono::seconds(90));
  CHECK(converged);
  CHECK(E().cli.Run({"stop", "mtls"}).exit_code == 0);
}

TEST_CASE("MaxCompute over HTTPS: a wrong CA, another host's certificate, and an http endpoint are clear errors") {
  const auto& wrong_ca = E().certs.wrong_ca;
  CheckItemFails("destination.tls",
                 Check("mtls-ca", Spec("mtls-ca", E().https.endpoint(), TlsBlock("verify_identity", wrong_ca), 6202)),
                 "is not signed by the CA in destination.tls.ca");
  CheckItemFails(
      "destination.tls",
      Check("mtls-host", Spec("mtls-host", E().other_host.endpoint(), TlsBlock("verify_identity", E().certs.ca), 6203)),
      "does not name the host '127.0.0.1'");
  // The same certificate passes when only the CA is checked.
  auto ca_only = Check("mtls-ca-only", Spec("mtls-ca-only", E().other_host.endpoint(), TlsBlock("verify_ca", E().certs.ca), 6204));
  CHECK(ca_only.Item("destination.tls")["result"] == "pass");
  // An http:// endpoint is never encrypted: a mode that demands TLS refuses it.
  std::string plain = E().https.endpoint();
  plain.replace(0, 5, "http");
  CheckItemFails("destination.tls", Check("mtls-plain", Spec("mtls-plain", plain, TlsBlock("required", ""), 6205)),
                 "which is never encrypted");
}
