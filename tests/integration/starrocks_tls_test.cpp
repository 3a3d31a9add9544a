// StarRocks over TLS: the emulator serves TLS on the FE's MySQL port (as
// StarRocks 3.4.1+ does) and HTTPS on the FE's https_port (4.0+), with
// certificates the harness makes (tests/harness/tls_certs). A task with
// destination.tls verify_identity copies and streams through them; `sync
// check` reports the MySQL connection encrypted and verified, and Stream
// Load's BE leg as plain HTTP (a warning: StarRocks redirects loads to
// http://). A wrong CA, a certificate for another host, a StarRocks without
// TLS under mode required, and https_port under mode disabled are each a
// failing destination.tls with the fix.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness/check_run.hpp"
#include "harness/servers.hpp"
#include "harness/starrocks_emulator.hpp"
#include "harness/tls_certs.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using nlohmann::json;

namespace {

std::vector<std::string> TlsArgs(const std::string& cert, const std::string& key, int https_port) {
  std::vector<std::string> args = {"--version", "4.0.1", "--ssl-cert", cert, "--ssl-key", key};
  if (https_port > 0) args.insert(args.end(), {"--https-port", std::to_string(https_port)});
  return args;
}

struct Env {
  TlsCertificates certs;
  MariaDbServer mysql;
  int https_port = FreePort();
  StarRocksEmulator tls{TlsArgs(certs.server_cert, certs.server_key, https_port)};
  StarRocksEmulator other_host{TlsArgs(certs.other_host_cert, certs.other_host_key, 0)};
  StarRocksEmulator plain{{"--version", "3.3.2"}};
  SyncCli cli;
  Env() { PrepareShopSource(mysql); }
};

Env& E() {
  static Env env;
  return env;
}

RunOptions SrEnv() { return {.env = {{"SR_PW", StarRocksEmulator::kPassword}}}; }

// `extra`: destination keys (https_port) and the tls block, indented.
std::string Spec(const std::string& name, const StarRocksEmulator& sr, const std::string& extra, int server_id) {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: " + std::to_string(server_id) +
         "\n  tables: [shop.srtls]\ndestination:\n  type: starrocks\n  host: 127.0.0.1\n  port: " +
         std::to_string(sr.query_port()) + "\n  http_port: " + std::to_string(sr.http_port()) +
         "\n  database: shop\n  user: root\n  password: \"${env:SR_PW}\"\n  replication_num: 1\n" + extra +
         "runtime: { batch_rows: 500, flush_ms: 300, failover: { max_backoff_seconds: 1 } }\n";
}

std::string HttpsPort() { return "  https_port: " + std::to_string(E().https_port) + "\n"; }

CheckRun Check(const std::string& name, const std::string& yaml) { return CreateAndCheck(E().cli, name, yaml, SrEnv()); }

std::optional<std::vector<std::string>> DestRows() {
  mysql::Endpoint ep{"127.0.0.1", E().tls.query_port(), "root", StarRocksEmulator::kPassword, 5, 60};
  auto conn = mysql::Connection::Connect(ep);
  if (!conn.ok()) return std::nullopt;
  auto r = conn->Query("SELECT id, v FROM shop.srtls ORDER BY id");
  if (!r.ok()) return std::nullopt;
  return JoinedLines(r->rows);
}

}  // namespace

TEST_CASE("StarRocks over verified TLS: sync check says which leg is encrypted, and the task copies and streams") {
  E().mysql.Exec("CREATE TABLE shop.srtls (id INT PRIMARY KEY, v VARCHAR(40))");
  E().mysql.Exec("INSERT INTO shop.srtls SELECT seq, CONCAT('v', seq) FROM seq.seq_1_to_300");
  const std::string yaml = Spec("srtls", E().tls, HttpsPort() + TlsBlock("verify_identity", E().certs.ca), 6301);
  auto run = Check("srtls", yaml);
  INFO(run.out);
  CHECK(run.exit_code == 0);  // the Stream Load item is a warning
  auto tls = run.Item("destination.tls");
  CHECK(tls["result"] == "pass");
  const std::string reason = tls["reason"];
  CHECK(reason.find("the FE's MySQL connection") != std::string::npos);
  CHECK(reason.find("encrypted (TLS") != std::string::npos);
  CHECK(reason.find("verified against CA " + E().certs.ca + " for host 127.0.0.1") != std::string::npos);
  auto load = run.Item("destination.tls.stream_load");
  CHECK(load["result"] == "warn");
  const std::string load_reason = load["reason"];
  CHECK(load_reason.find("to the FE at https://127.0.0.1:" + std::to_string(E().https_port) + ": encrypted (TLS") !=
        std::string::npos);
  CHECK(load_reason.find("to the BE at http://127.0.0.1:") != std::string::npos);
  CHECK(load_reason.find("not encrypted (plain HTTP)") != std::string::npos);
  CHECK(std::string(load["fix"]).find("private network") != std::string::npos);
  CHECK(run.Item("destination.http")["result"] == "pass");

  auto started = E().cli.Run({"start", "srtls"}, SrEnv());
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
  REQUIRE_MESSAGE(E().cli.WaitStreaming("srtls"), E().cli.Run({"logs", "srtls"}).out);
  E().mysql.Exec("UPDATE shop.srtls SET v = 'over tls' WHERE id <= 10");
  E().mysql.Exec("DELETE FROM shop.srtls WHERE id > 290");
  auto source = [](const std::string&) {
    return std::optional(SourceLines(E().mysql, "SELECT id, v FROM shop.srtls ORDER BY id"));
  };
  const bool converged =
      WaitConverged({"srtls"}, source, [](const std::string&) { return DestRows(); }, std::chrono::seconds(90));
  CHECK_MESSAGE(converged, E().cli.Run({"logs", "srtls"}).out);
  CHECK(E().cli.Run({"stop", "srtls"}).exit_code == 0);
}

TEST_CASE("StarRocks TLS failures are clear: a wrong CA, another host's certificate, no TLS, https_port unencrypted") {
  const auto& certs = E().certs;
  CheckItemFails("destination.tls",
                 Check("srtls-ca", Spec("srtls-ca", E().tls, TlsBlock("verify_identity", certs.wrong_ca), 6302)),
                 "is not signed by the CA in destination.tls.ca");
  CheckItemFails("destination.tls",
                 Check("srtls-host", Spec("srtls-host", E().other_host, TlsBlock("verify_identity", certs.ca), 6303)),
                 "does not name the host '127.0.0.1'");
  // The same certificate passes when only the CA is checked.
  auto ca_only = Check("srtls-ca-only", Spec("srtls-ca-only", E().other_host, TlsBlock("verify_ca", certs.ca), 6304));
  CHECK(ca_only.Item("destination.tls")["result"] == "pass");
  // A StarRocks before 3.4.1 offers no TLS: mode required says where to enable it.
  CheckItemFails("destination.tls", Check("srtls-none", Spec("srtls-none", E().plain, TlsBlock("required", ""), 6305)),
                 "ssl_keystore_location in fe.conf");
  CheckItemFails("destination.tls",
                 Check("srtls-off", Spec("srtls-off", E().tls, HttpsPort() + TlsBlock("disabled", ""), 6306)),
                 "destination.https_port is set but destination.tls.mode is disabled");
}
