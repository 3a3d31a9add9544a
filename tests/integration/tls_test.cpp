// TLS everywhere: a MariaDB source and a PostgreSQL destination that serve
// certificates the harness made (tests/harness/tls_certs), a task that copies
// and streams over verified TLS (the binlog included), `sync check`'s
// source.tls and destination.tls items, accounts that require a client
// certificate (MariaDB REQUIRE X509, PostgreSQL clientcert=verify-full), and
// the clear errors for a wrong CA, a host name the certificate does not list,
// mode required against a server without TLS, a missing client certificate
// and a CA file that does not exist.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness/check_run.hpp"
#include "harness/servers.hpp"
#include "harness/tls_certs.hpp"
#include "harness/workload.hpp"
#include "source/mysql/binlog_stream.hpp"
#include "source/mysql/snapshot_reader.hpp"

using namespace dbsync::testing;
using nlohmann::json;

namespace {

// The MariaDB server reads its certificate from active.pem/active.key, which
// a test may overwrite (then FLUSH SSL) to serve another one.
std::vector<std::string> MariaDbTlsArgs(const TlsCertificates& certs) {
  WriteText(certs.dir + "/active.pem", ReadText(certs.server_cert));
  WriteText(certs.dir + "/active.key", ReadText(certs.server_key));
  return {"--ssl-cert=" + certs.dir + "/active.pem", "--ssl-key=" + certs.dir + "/active.key",
          "--ssl-ca=" + certs.ca};
}

// The role sync-client logs in only with a client certificate the CA signed
// whose CN is its name (clientcert=verify-full), and its password.
PostgresOptions PostgresTls(const TlsCertificates& certs) {
  PostgresOptions options;
  options.tls_cert = certs.server_cert;
  options.tls_key = certs.server_key;
  options.tls_client_ca = certs.ca;
  options.hba_first = {"hostssl all sync-client 127.0.0.1/32 scram-sha-256 clientcert=verify-full",
                       "host all sync-client 127.0.0.1/32 reject"};
  return options;
}

struct Env {
  TlsCertificates certs;
  MariaDbServer mysql{MariaDbTlsArgs(certs)};
  PostgresServer pg{PostgresTls(certs)};
  SyncCli cli;

  Env() {
    mysql.Exec("CREATE DATABASE shop");
    // REQUIRE SSL: a connection of this user without TLS, the replication
    // connection's included, is refused at the login.
    mysql.Exec("CREATE USER 'tlsrepl'@'%' IDENTIFIED BY 'tlsrepl-pw' REQUIRE SSL");
    mysql.Exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'tlsrepl'@'%'");
    mysql.Exec("GRANT SELECT ON shop.* TO 'tlsrepl'@'%'");
    // REQUIRE X509: only with a client certificate the server's CA signed.
    mysql.Exec("CREATE USER 'certrepl'@'%' IDENTIFIED BY 'certrepl-pw' REQUIRE X509");
    mysql.Exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'certrepl'@'%'");
    mysql.Exec("GRANT SELECT ON shop.* TO 'certrepl'@'%'");
    PrepareDestinationDatabase(pg);
    pg.Exec("CREATE ROLE \"sync-client\" LOGIN PASSWORD 'client-pw'");
    pg.Exec("GRANT loader TO \"sync-client\"");
    pg.Exec("GRANT CREATE, CONNECT ON DATABASE dw TO \"sync-client\"", "dw");
  }

  // The MariaDB server serves `cert`/`key` from now on.
  void ServeMariaDbCertificate(const std::string& cert, const std::string& key) const {
    WriteText(certs.dir + "/active.pem", ReadText(cert));
    WriteText(certs.dir + "/active.key", ReadText(key));
    mysql.Exec("FLUSH SSL");
  }
};

Env& E() {
  static Env env;
  return env;
}

std::string Yaml(const std::string& name, const std::string& source_tls, const std::string& destination_tls,
                 int mysql_port, int pg_port, const std::string& user = "tlsrepl", const std::string& pw = "tlsrepl-pw",
                 int server_id = 6101) {
  return "name: " + name + "\nsource:\n  type: mysql\n  host: 127.0.0.1\n  port: " + std::to_string(mysql_port) +
         "\n  user: " + user + "\n  password: " + pw + "\n  server_id: " + std::to_string(server_id) +
         "\n  tables: [shop.*]\n" + source_tls + "destination:\n  type: postgres\n  host: 127.0.0.1\n  port: " +
         std::to_string(pg_port) + "\n  database: dw\n  user: loader\n  password: loader-pw\n" + destination_tls;
}

std::string VerifiedYaml(const std::string& name, int server_id = 6101) {
  return Yaml(name, TlsBlock("verify_identity", E().certs.ca), TlsBlock("verify-full", E().certs.ca),
              E().mysql.port(), E().pg.port(), "tlsrepl", "tlsrepl-pw", server_id);
}

CheckRun Check(const SyncCli& cli, const std::string& name, const std::string& yaml) {
  return CreateAndCheck(cli, name, yaml);
}

// Both ends' tls items fail, each reason holding `needle` ("{item}" in it
// stands for the item's name).
void CheckBothTlsItemsFail(const CheckRun& run, const std::string& needle) {
  INFO(run.out);
  CHECK(run.exit_code != 0);
  for (const std::string item : {"source.tls", "destination.tls"}) {
    auto i = run.Item(item);
    CHECK_MESSAGE(i["result"] == "fail", item);
    std::string expected = needle;
    if (size_t at = expected.find("{item}"); at != std::string::npos) expected.replace(at, 6, item);
    const std::string reason = i["reason"];
    CHECK_MESSAGE(reason.find(expected) != std::string::npos, reason);
  }
}

}  // namespace

TEST_CASE("a task over verified TLS copies and streams; the replication connection is encrypted") {
  E().mysql.Exec("CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40))");
  E().mysql.Exec("INSERT INTO shop.orders VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  const std::string id = CreateAndStartTask(E().cli, "tls-e2e.yaml", VerifiedYaml("tls-e2e"));
  const std::vector<std::pair<std::string, std::string>> orders = {
      {"SELECT id, note FROM shop.orders ORDER BY id", "SELECT id, note FROM shop.orders ORDER BY id"}};
  CHECK(QueriesConverge(E().mysql, E().pg, orders));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("INSERT INTO shop.orders VALUES (4, 'four')");
  E().mysql.Exec("UPDATE shop.orders SET note = 'TWO' WHERE id = 2");
  E().mysql.Exec("DELETE FROM shop.orders WHERE id = 3");
  CHECK(QueriesConverge(E().mysql, E().pg, orders));

  // The binlog dump runs as tlsrepl, who may log in only over TLS.
  CHECK(E().mysql.Scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'tlsrepl' AND "
                         "COMMAND LIKE 'Binlog Dump%'") == "1");
  CHECK(std::stoi(E().mysql.Scalar("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                                   "VARIABLE_NAME = 'SSL_ACCEPTS'")) >= 2);
  // Every connection of the loader to PostgreSQL is encrypted.
  CHECK(E().pg.Scalar("SELECT COUNT(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE usename = 'loader'") !=
        "0");
  CHECK(E().pg.Scalar("SELECT COUNT(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE usename = 'loader' "
                      "AND NOT ssl") == "0");
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("the binlog stream reads events and heartbeats over TLS, and WaitForData sees them") {
  E().mysql.Exec("CREATE TABLE IF NOT EXISTS shop.beats (id INT PRIMARY KEY)");
  dbsync::mysql::Endpoint ep{"127.0.0.1", E().mysql.port(), "tlsrepl", "tlsrepl-pw", 10, 60};
  ep.tls = {dbsync::TlsMode::kVerifyIdentity, E().certs.ca, "", ""};
  auto reader = dbsync::mysql::SnapshotReader::Open(ep);
  REQUIRE_MESSAGE(reader.ok(), reader.status().message());
  auto start = reader->CurrentPosition();
  REQUIRE(start.ok());
  dbsync::mysql::StreamOptions options;
  options.server_id = 6110;
  options.heartbeat_seconds = 1;
  options.read_timeout_seconds = 5;
  auto stream = dbsync::mysql::BinlogStream::Open(ep, options, *start, false);
  REQUIRE_MESSAGE(stream.ok(), stream.status().message());
  CHECK(stream->Tls().encrypted);
  // Everything the dump sends first (ROTATE, FORMAT_DESCRIPTION, ...), then quiet: a heartbeat (type 27) within ~1 s.
  bool heartbeat = false;
  for (int i = 0; i < 20 && !heartbeat; ++i) {
    auto ready = stream->WaitForData(std::chrono::milliseconds(3000));
    REQUIRE_MESSAGE(ready.ok(), ready.status().message());
    REQUIRE(*ready);
    auto event = stream->NextEvent();
    REQUIRE_MESSAGE(event.ok(), event.status().message());
    REQUIRE(event->size() >= 19);
    heartbeat = (*event)[4] == 27;
  }
  CHECK(heartbeat);
  // A write arrives as events (a WRITE_ROWS, type 30 or 23) through the TLS session.
  E().mysql.Exec("INSERT INTO shop.beats VALUES (1)");
  bool rows = false;
  for (int i = 0; i < 50 && !rows; ++i) {
    auto ready = stream->WaitForData(std::chrono::milliseconds(3000));
    REQUIRE(ready.ok());
    REQUIRE(*ready);
    auto event = stream->NextEvent();
    REQUIRE_MESSAGE(event.ok(), event.status().message());
    rows = (*event)[4] == 30 || (*event)[4] == 23;
  }
  CHECK(rows);
}

TEST_CASE("sync check reports each connection encrypted and verified") {
  auto run = Check(E().cli, "tls-check", VerifiedYaml("tls-check", 6102));
  INFO(run.out);
  CHECK(run.exit_code == 0);
  auto source = run.Item("source.tls");
  CHECK(source["result"] == "pass");
  const std::string source_reason = source["reason"];
  CHECK(source_reason.find("the SQL and the replication connections") != std::string::npos);
  CHECK(source_reason.find("encrypted (TLSv1.") != std::string::npos);
  CHECK(source_reason.find("verified against CA " + E().certs.ca + " for host 127.0.0.1") != std::string::npos);
  auto dest = run.Item("destination.tls");
  CHECK(dest["result"] == "pass");
  const std::string dest_reason = dest["reason"];
  CHECK(dest_reason.find("encrypted (TLSv1.") != std::string::npos);
  CHECK(dest_reason.find("verified against CA " + E().certs.ca + " for host 127.0.0.1") != std::string::npos);

  // The text report names the items too.
  auto text = E().cli.Run({"check", "tls-check"});
  CHECK(text.out.find("PASS  source.tls") != std::string::npos);
  CHECK(text.out.find("PASS  destination.tls") != std::string::npos);
}

TEST_CASE("a wrong CA is a clear error naming the CA file, at both ends") {
  auto run = Check(E().cli, "tls-wrong-ca",
                   Yaml("tls-wrong-ca", TlsBlock("verify_ca", E().certs.wrong_ca), TlsBlock("verify_ca", E().certs.wrong_ca),
                        E().mysql.port(), E().pg.port()));
  CheckBothTlsItemsFail(run, "not signed by the CA in {item}.ca (" + E().certs.wrong_ca + ")");
  CHECK(run.Item("source.connect")["result"] == "fail");
}

TEST_CASE("a certificate for another host name fails verify_identity clearly; verify_ca accepts it") {
  E().ServeMariaDbCertificate(E().certs.other_host_cert, E().certs.other_host_key);
  E().pg.ReplaceTlsCertificate(E().certs.other_host_cert, E().certs.other_host_key);
  auto run = Check(E().cli, "tls-host", VerifiedYaml("tls-host", 6103));
  auto relaxed = Check(E().cli, "tls-host-ca",
                       Yaml("tls-host-ca", TlsBlock("verify_ca", E().certs.ca), TlsBlock("verify_ca", E().certs.ca),
                            E().mysql.port(), E().pg.port(), "tlsrepl", "tlsrepl-pw", 6104));
  E().ServeMariaDbCertificate(E().certs.server_cert, E().certs.server_key);
  E().pg.ReplaceTlsCertificate(E().certs.server_cert, E().certs.server_key);
  CheckBothTlsItemsFail(run, "does not name the host '127.0.0.1'");
  INFO(relaxed.out);
  CHECK(relaxed.Item("source.tls")["result"] == "pass");
  CHECK(relaxed.Item("destination.tls")["result"] == "pass");
  const std::string relaxed_reason = relaxed.Item("source.tls")["reason"];
  CHECK(relaxed_reason.find("host name not checked") != std::string::npos);
}

TEST_CASE("mode required against servers without TLS is a clear error; preferred warns") {
  SyncEnvironment plain;  // MariaDB and PostgreSQL without TLS
  plain.mysql.Exec("CREATE TABLE shop.t (id INT PRIMARY KEY)");
  auto run = Check(plain.cli, "tls-required",
                   Yaml("tls-required", TlsBlock("required", ""), TlsBlock("require", ""), plain.mysql.port(),
                        plain.pg.port(), "repl", "repl-pw"));
  CheckBothTlsItemsFail(run, "the server does not offer TLS and {item}.mode is required");
  auto preferred = Check(plain.cli, "tls-preferred",
                         Yaml("tls-preferred", "", "", plain.mysql.port(), plain.pg.port(), "repl", "repl-pw", 6105));
  INFO(preferred.out);
  CHECK(preferred.exit_code == 0);
  CHECK(preferred.Item("source.tls")["result"] == "warn");
  CHECK(preferred.Item("destination.tls")["result"] == "warn");
  const std::string reason = preferred.Item("source.tls")["reason"];
  CHECK(reason.find("not encrypted (mode preferred; the server offers no TLS)") != std::string::npos);
}

TEST_CASE("a CA file that does not exist is a spec error naming the key and line") {
  const std::string yaml = Yaml("tls-missing", TlsBlock("verify_identity", "/nonexistent/ca.pem"),
                                TlsBlock("verify-full", E().certs.ca, "    cert: " + E().certs.client_cert + "\n"),
                                E().mysql.port(), E().pg.port());
  auto r = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec("tls-missing.yaml", yaml)});
  CHECK(r.exit_code != 0);
  INFO(r.err);
  CHECK(r.err.find("tls-missing.yaml:12:") != std::string::npos);
  CHECK(r.err.find("source.tls.ca: cannot read '/nonexistent/ca.pem'") != std::string::npos);
  CHECK(r.err.find("destination.tls: cert and key go together") != std::string::npos);
  auto bad_mode = E().cli.Run({"create", "--no-check", "-f",
                               E().cli.WriteSpec("tls-mode.yaml", Yaml("tls-mode", TlsBlock("verify_identiy", E().certs.ca),
                                                                       "", E().mysql.port(), E().pg.port()))});
  CHECK(bad_mode.exit_code != 0);
  CHECK(bad_mode.err.find("did you mean 'verify_identity'?") != std::string::npos);
}

TEST_CASE("a client certificate: accounts that require one log in with tls.cert and tls.key; without them, the fix") {
  const std::string with_cert = "    cert: " + E().certs.client_cert + "\n    key: " + E().certs.client_key + "\n";
  auto yaml = [&](const std::string& name, const std::string& cert_lines, int server_id) {
    std::string y = Yaml(name, TlsBlock("verify_identity", E().certs.ca, cert_lines),
                         TlsBlock("verify-full", E().certs.ca, cert_lines), E().mysql.port(), E().pg.port(), "certrepl",
                         "certrepl-pw", server_id);
    const std::string loader = "user: loader\n  password: loader-pw";
    return y.replace(y.find(loader), loader.size(), "user: sync-client\n  password: client-pw");
  };

  // With the certificate: check passes, and a task copies and streams as those accounts.
  E().mysql.Exec("CREATE TABLE shop.certified (id INT PRIMARY KEY, v VARCHAR(10))");
  E().mysql.Exec("INSERT INTO shop.certified VALUES (1, 'a'), (2, 'b')");
  auto run = Check(E().cli, "tls-client", yaml("tls-client", with_cert, 6106));
  INFO(run.out);
  CHECK(run.exit_code == 0);
  CHECK(run.Item("source.connect")["result"] == "pass");
  CHECK(run.Item("destination.connect")["result"] == "pass");
  const std::string id = CreateAndStartTask(E().cli, "tls-client-task.yaml", yaml("tls-client-task", with_cert, 6107));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"SELECT id, v FROM shop.certified ORDER BY id", "SELECT id, v FROM shop.certified ORDER BY id"}};
  CHECK(QueriesConverge(E().mysql, E().pg, rows));
  REQUIRE(E().cli.WaitStreaming(id));
  E().mysql.Exec("INSERT INTO shop.certified VALUES (3, 'c')");
  CHECK(QueriesConverge(E().mysql, E().pg, rows));
  CHECK(E().mysql.Scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'certrepl' AND "
                         "COMMAND LIKE 'Binlog Dump%'") == "1");
  CHECK(E().pg.Scalar("SELECT COUNT(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE "
                      "usename = 'sync-client' AND client_dn = '/CN=sync-client'") != "0");
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);

  // Without it: each end refuses the login, and the reason says what to set.
  auto refused = Check(E().cli, "tls-client-none", yaml("tls-client-none", "", 6108));
  INFO(refused.out);
  CHECK(refused.exit_code != 0);
  const std::string source_reason = refused.Item("source.connect")["reason"];
  CHECK_MESSAGE(source_reason.find("Access denied for user 'certrepl'") != std::string::npos, source_reason);
  CHECK_MESSAGE(source_reason.find("if the account REQUIREs X509, a SUBJECT or an ISSUER, set source.tls.cert and "
                                   "source.tls.key") != std::string::npos, source_reason);
  CHECK(refused.Item("destination.connect")["result"] == "fail");
  const std::string dest_reason = refused.Item("destination.tls")["reason"];
  CHECK_MESSAGE(dest_reason.find("connection requires a valid client certificate; check destination.tls.cert and "
                                 "destination.tls.key") != std::string::npos, dest_reason);
}
