#include "harness/servers.hpp"

#include <nlohmann/json.hpp>
#include <thread>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace dbsync::testing {
namespace {

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin/";

template <typename Fn>
bool WaitUntil(Fn fn, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void Require(const ProcessResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
}

std::string PostgresUserIfRoot() { return ::geteuid() == 0 ? "postgres" : ""; }

}  // namespace

MariaDbServer::MariaDbServer(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  dir_ = MakeTempDir("sync-mariadb-");
  try {
    Initialize();
  } catch (...) {
    Stop();
    RemoveTree(dir_);
    throw;
  }
}

// Servers bootstrapping at the same moment (ctest -j) collide on the temporary
// table names in a shared /tmp; each server gets its own.
std::string MariaDbServer::TmpDir() const {
  std::string tmp = dir_ + "/tmp";
  ::mkdir(tmp.c_str(), 0700);
  return tmp;
}

void MariaDbServer::Initialize() {
  std::vector<std::string> install = {"mariadb-install-db", "--no-defaults", "--datadir=" + datadir(),
                                      "--auth-root-authentication-method=normal", "--skip-test-db",
                                      "--skip-name-resolve", "--tmpdir=" + TmpDir()};
  if (::geteuid() == 0) install.push_back("--user=root");
  Require(RunProcess(install), "mariadb-install-db");
  Start();
  // Root over TCP with a password, like a real remote admin.
  MYSQL* m = mysql_init(nullptr);
  std::string sock = dir_ + "/mysqld.sock";
  if (!mysql_real_connect(m, "localhost", "root", "", nullptr, 0, sock.c_str(), 0))
    throw std::runtime_error(std::string("cannot connect to test MariaDB over its socket: ") + mysql_error(m));
  for (const char* stmt : {"CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY 'root-pw'",
                           "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"}) {
    if (mysql_query(m, stmt) != 0) throw std::runtime_error(std::string("test MariaDB setup: ") + mysql_error(m));
  }
  mysql_close(m);
}

void MariaDbServer::Start() {
  if (port_ == 0) port_ = FreePort();
  std::vector<std::string> argv = {"mariadbd", "--no-defaults", "--datadir=" + datadir(),
                                   "--port=" + std::to_string(port_), "--bind-address=127.0.0.1",
                                   "--socket=" + dir_ + "/mysqld.sock", "--pid-file=" + dir_ + "/mysqld.pid",
                                   "--log-bin=" + datadir() + "/binlog", "--server-id=1", "--binlog-format=ROW",
                                   "--skip-name-resolve", "--innodb-buffer-pool-size=64M", "--character-set-server=utf8mb4",
                                   "--collation-server=utf8mb4_general_ci", "--max-allowed-packet=64M",
                                   "--innodb-log-file-size=48M", "--skip-log-error", "--max-connections=200",
                                   "--log-error=" + dir_ + "/mysqld.err", "--tmpdir=" + TmpDir()};
  if (::geteuid() == 0) argv.push_back("--user=root");
  for (const auto& a : extra_args_) argv.push_back(a);
  process_ = ChildProcess::Spawn(argv);
  stopped_ = false;
  std::string sock = dir_ + "/mysqld.sock";
  bool up = WaitUntil([&] {
    if (!process_.Running()) return false;
    MYSQL* m = mysql_init(nullptr);
    bool ok = mysql_real_connect(m, "localhost", "root", "", nullptr, 0, sock.c_str(), 0) != nullptr ||
              mysql_errno(m) == 1045;  // up, but root already has a TCP-only password: fine
    mysql_close(m);
    return ok;
  }, 60);
  if (!up) throw std::runtime_error("test MariaDB did not start; see " + dir_ + "/mysqld.err:\n" +
                                    ReadText(dir_ + "/mysqld.err"));
}

void MariaDbServer::Stop() {
  stopped_ = true;
  if (process_.Running()) {
    process_.Signal(SIGTERM);
    process_.Wait();
  }
}

MariaDbServer::~MariaDbServer() {
  // A server that died under a test (a crash) takes its error log with the
  // temporary directory: keep its end where the test output shows it.
  if (!stopped_ && !process_.Running()) {
    std::string log = ReadText(dir_ + "/mysqld.err");
    if (log.size() > 8000) log = log.substr(log.size() - 8000);
    std::fprintf(stderr, "test MariaDB on port %d died during the test; the end of its error log:\n%s\n", port_,
                 log.c_str());
  }
  Stop();
  RemoveTree(dir_);
}

mysql::Connection MariaDbServer::Admin() const {
  auto c = mysql::Connection::Connect({"127.0.0.1", port_, "root", kRootPassword, 10, 120});
  if (!c.ok()) throw std::runtime_error(c.status().message());
  return std::move(c).value();
}

void MariaDbServer::Exec(const std::string& sql) const {
  auto c = Admin();
  Status s = c.Execute(sql);
  if (!s.ok()) throw std::runtime_error(s.message());
}

void MariaDbServer::ExecSession(const std::vector<std::string>& statements) const {
  auto c = Admin();
  for (const auto& sql : statements) {
    Status s = c.Execute(sql);
    if (!s.ok()) throw std::runtime_error(s.message());
  }
}

std::string MariaDbServer::Scalar(const std::string& sql) const {
  auto c = Admin();
  auto r = c.Query(sql);
  if (!r.ok()) throw std::runtime_error(r.status().message());
  return r->Scalar();
}

PostgresServer::PostgresServer(PostgresOptions options) : options_(options) {
  dir_ = MakeTempDir("sync-postgres-");
  try {
    Initialize();
  } catch (...) {
    Stop();
    RemoveTree(dir_);
    throw;
  }
}

void PostgresServer::Initialize() {
  port_ = FreePort();
  WriteText(dir_ + "/pwfile", std::string(kSuperPassword) + "\n");
  RunOptions as_postgres;
  as_postgres.run_as_user = PostgresUserIfRoot();
  if (!as_postgres.run_as_user.empty())
    Require(RunProcess({"chown", "-R", "postgres:postgres", dir_}), "chown of the PostgreSQL test dir");
  Require(RunProcess({std::string(kPgBin) + "initdb", "-D", dir_ + "/data", "-U", "postgres", "--pwfile=" + dir_ + "/pwfile",
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"},
                     as_postgres),
          "initdb");
  if (!options_.tls_cert.empty()) InstallTlsFiles(options_.tls_cert, options_.tls_key);
  if (!options_.tls_client_ca.empty()) WriteText(dir_ + "/client-ca.crt", ReadText(options_.tls_client_ca));
  if (!options_.hba_first.empty()) {
    std::string hba;
    for (const auto& line : options_.hba_first) hba += line + "\n";
    WriteText(dir_ + "/data/pg_hba.conf", hba + ReadText(dir_ + "/data/pg_hba.conf"));
  }
  if (!as_postgres.run_as_user.empty())
    Require(RunProcess({"chown", "-R", "postgres:postgres", dir_}), "chown of the PostgreSQL test dir");
  Start();
}

void PostgresServer::Start() {
  RunOptions as_postgres;
  as_postgres.run_as_user = PostgresUserIfRoot();
  as_postgres.stdout_file = dir_ + "/postgres.log";
  std::vector<std::string> argv = {std::string(kPgBin) + "postgres", "-D", dir_ + "/data", "-p", std::to_string(port_),
                                   "-k", dir_, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                                   "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"};
  if (options_.hologres_settings) {
    argv.push_back("-c");
    if (hologres_module_.empty()) hologres_module_ = CompileHologresSettings();
    argv.push_back("shared_preload_libraries=" + hologres_module_);
  }
  if (!options_.tls_cert.empty()) {
    for (const std::string& setting : {std::string("ssl=on"), "ssl_cert_file=" + dir_ + "/server.crt", "ssl_key_file=" + dir_ + "/server.key"}) {
      argv.push_back("-c");
      argv.push_back(setting);
    }
    if (!options_.tls_client_ca.empty()) {
      argv.push_back("-c");
      argv.push_back("ssl_ca_file=" + dir_ + "/client-ca.crt");
    }
  }
  process_ = ChildProcess::Spawn(argv, as_postgres);
  bool up = WaitUntil([&] {
    if (!process_.Running()) return false;
    return postgres::Connection::Connect({"127.0.0.1", port_, "postgres", "postgres", kSuperPassword, 2}).ok();
  }, 60);
  if (!up) throw std::runtime_error("test PostgreSQL did not start:\n" + ReadText(dir_ + "/postgres.log"));
}

void PostgresServer::InstallTlsFiles(const std::string& cert, const std::string& key) const {
  for (const auto& [from, to] : {std::pair{cert, dir_ + "/server.crt"}, std::pair{key, dir_ + "/server.key"}}) {
    WriteText(to, ReadText(from));
    ::chmod(to.c_str(), 0600);
    if (!PostgresUserIfRoot().empty()) Require(RunProcess({"chown", "postgres:postgres", to}), "chown of " + to);
  }
}

void PostgresServer::ReplaceTlsCertificate(const std::string& cert, const std::string& key) const {
  InstallTlsFiles(cert, key);
  Scalar("SELECT pg_reload_conf()");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the postmaster reloads asynchronously
}

std::string PostgresServer::CompileHologresSettings() const {
  auto include = RunProcess({std::string(kPgBin) + "pg_config", "--includedir-server"});
  Require(include, "pg_config --includedir-server (the postgresql-server-dev-15 package)");
  std::string dir = include.out.substr(0, include.out.find_last_not_of("\n") + 1);
  const std::string module = dir_ + "/hg_gucs.so";
  Require(RunProcess({"cc", "-shared", "-fPIC", "-O2", "-I" + dir, std::string(SYNC_SOURCE_DIR) +
                      "/tests/harness/hologres/hg_gucs.c", "-o", module}),
          "compiling tests/harness/hologres/hg_gucs.c");
  return module;
}

void PostgresServer::InstallHologresFixture(const std::string& database, const std::string& version) const {
  RunOptions options;
  options.env["PGPASSWORD"] = kSuperPassword;
  Require(RunProcess({std::string(kPgBin) + "psql", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres",
                      "-d", database, "-q", "-v", "ON_ERROR_STOP=1", "-v", "module=" + dir_ + "/hg_gucs.so", "-f",
                      std::string(SYNC_SOURCE_DIR) + "/tests/harness/hologres/fixture.sql"},
                     options),
          "installing the Hologres fixture");
  Exec("UPDATE hg_fixture.config SET version = '" + version + "'", database);
}

void PostgresServer::Stop() {
  if (process_.Running()) {
    process_.Signal(SIGINT);  // fast shutdown
    process_.Wait();
  }
}

PostgresServer::~PostgresServer() {
  Stop();
  RemoveTree(dir_);
}

postgres::Connection PostgresServer::Admin(const std::string& database) const {
  auto c = postgres::Connection::Connect({"127.0.0.1", port_, database, "postgres", kSuperPassword, 10});
  if (!c.ok()) throw std::runtime_error(c.status().message());
  return std::move(c).value();
}

void PostgresServer::Exec(const std::string& sql, const std::string& database) const {
  auto c = Admin(database);
  Status s = c.Execute(sql);
  if (!s.ok()) throw std::runtime_error(s.message());
}

std::string PostgresServer::Scalar(const std::string& sql, const std::string& database) const {
  auto c = Admin(database);
  auto r = c.Query(sql);
  if (!r.ok()) throw std::runtime_error(r.status().message());
  return r->Scalar();
}

void PrepareDestinationDatabase(const PostgresServer& server) {
  server.Exec("CREATE ROLE loader LOGIN PASSWORD 'loader-pw'");
  server.Exec("CREATE DATABASE dw");
  server.Exec("GRANT CREATE ON DATABASE dw TO loader");
}

SyncEnvironment::SyncEnvironment() {
  mysql.Exec("CREATE DATABASE shop");
  mysql.Exec("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw'");
  mysql.Exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'repl'@'%'");
  mysql.Exec("GRANT SELECT ON shop.* TO 'repl'@'%'");
  PrepareDestinationDatabase(pg);
}

SyncCli::SyncCli() {
  dir_ = MakeTempDir("sync-cli-");
  home_ = dir_ + "/home";
}

SyncCli::~SyncCli() { RemoveTree(dir_); }

ProcessResult SyncCli::Run(const std::vector<std::string>& args, const RunOptions& opts) const {
  std::vector<std::string> argv = {SYNC_BINARY, "--home", home_};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, opts);
}

bool SyncCli::WaitStreaming(const std::string& task) const {
  for (int i = 0; i < 300; ++i) {
    auto st = nlohmann::json::parse(Run({"status", task, "-o", "json"}).out, nullptr, false);
    if (!st.is_discarded() && st.contains("steps") && st["steps"].contains("realtime_sync") &&
        !st["steps"]["realtime_sync"].value("position", "").empty())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string SyncCli::WriteSpec(const std::string& name, const std::string& yaml) const {
  std::string path = dir_ + "/" + name;
  WriteText(path, yaml);
  return path;
}

config::TaskSpec PostgresDestinationSpec(const PostgresServer& pg, const std::string& database) {
  config::TaskSpec spec;
  spec.name = "t";
  spec.destination.type = "postgres";
  spec.destination.host = "127.0.0.1";
  spec.destination.port = pg.port();
  spec.destination.database = database;
  spec.destination.user = "postgres";
  spec.destination.password = PostgresServer::kSuperPassword;
  return spec;
}

std::string TaskYaml(const std::string& name, const MariaDbServer& src, const PostgresServer& dst,
                     const std::string& src_user, const std::string& src_password, const std::string& tables,
                     int server_id) {
  return "name: " + name +
         "\n"
         "source:\n"
         "  type: mysql\n"
         "  host: 127.0.0.1\n"
         "  port: " + std::to_string(src.port()) + "\n"
         "  user: " + src_user + "\n"
         "  password: \"" + src_password + "\"\n"
         "  server_id: " + std::to_string(server_id) + "\n"
         "  tables: " + tables + "\n"
         "destination:\n"
         "  type: postgres\n"
         "  host: 127.0.0.1\n"
         "  port: " + std::to_string(dst.port()) + "\n"
         "  database: dw\n"
         "  user: loader\n"
         "  password: loader-pw\n";
}

}  // namespace dbsync::testing
