#pragma once
// Real MariaDB and PostgreSQL servers for integration tests, each in its own
// temp dir on 127.0.0.1 with a free port, stopped (and removed) by the destructor,
// also when a test fails. Killed with the test process if it crashes.

#include <memory>
#include <string>
#include <vector>

#include "config/task_spec.hpp"
#include "harness/process.hpp"
#include "net/mysql_client.hpp"
#include "sink/postgres/pg_connection.hpp"

namespace dbsync::testing {

class MariaDbServer {
 public:
  // `extra_args` are mariadbd options, e.g. "--binlog-format=STATEMENT".
  explicit MariaDbServer(std::vector<std::string> extra_args = {});
  ~MariaDbServer();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string datadir() const { return dir_ + "/data"; }
  std::string TmpDir() const;  // its own tmpdir, inside its directory
  // A root connection over TCP (user "root", password kRootPassword).
  mysql::Connection Admin() const;
  // Runs statements as root; fails the test on error.
  void Exec(const std::string& sql) const;
  // Runs statements in order on one connection (session settings carry over).
  void ExecSession(const std::vector<std::string>& statements) const;
  std::string Scalar(const std::string& sql) const;
  void Stop();
  void Start();

  static constexpr const char* kRootPassword = "root-pw";

 private:
  void Initialize();
  std::string dir_;
  int port_ = 0;
  std::vector<std::string> extra_args_;
  ChildProcess process_;
  bool stopped_ = false;  // by us: a server gone without it crashed
};

struct PostgresOptions {
  // Preloads tests/harness/hologres/hg_gucs.c (compiled here against the
  // server's headers), so that Hologres' hg_* settings exist: needed by
  // InstallHologresFixture.
  bool hologres_settings = false;
  // TLS: ssl = on with this certificate and its key (PEM files, copied into
  // the server's dir, the key 0600 and owned by the user the server runs as).
  std::string tls_cert, tls_key;
  // Client certificates signed by this CA are trusted (ssl_ca_file).
  std::string tls_client_ca;
  // Lines put before initdb's rules in pg_hba.conf (the first match wins).
  std::vector<std::string> hba_first;
};

class PostgresServer {
 public:
  explicit PostgresServer(PostgresOptions options = {});
  ~PostgresServer();

  // Makes `database` behave as Hologres `version` does where PostgreSQL
  // would not (tests/harness/hologres/fixture.sql says which rules).
  void InstallHologresFixture(const std::string& database, const std::string& version = "2.2.22") const;

  int port() const { return port_; }
  // Serves another certificate and key from now on (a configuration reload;
  // the server must have been started with tls_cert).
  void ReplaceTlsCertificate(const std::string& cert, const std::string& key) const;
  // Superuser connection ("postgres", kSuperPassword) to `database`.
  postgres::Connection Admin(const std::string& database = "postgres") const;
  void Exec(const std::string& sql, const std::string& database = "postgres") const;
  std::string Scalar(const std::string& sql, const std::string& database = "postgres") const;
  void Stop();
  // Starts it again after Stop, on the same port and data directory.
  void Start();

  static constexpr const char* kSuperPassword = "postgres-pw";

 private:
  void Initialize();
  std::string CompileHologresSettings() const;  // the module's path
  void InstallTlsFiles(const std::string& cert, const std::string& key) const;
  PostgresOptions options_;
  std::string dir_;
  int port_ = 0;
  std::string hologres_module_;  // compiled once, preloaded at each start
  ChildProcess process_;
};

// The sync binary with its own --home; every call is a fresh process.
class SyncCli {
 public:
  SyncCli();
  ~SyncCli();
  const std::string& home() const { return home_; }
  const std::string& dir() const { return dir_; }
  ProcessResult Run(const std::vector<std::string>& args, const RunOptions& opts = {}) const;
  // Waits up to 30 s until the task's real-time sync reads the binlog (its
  // status has a position): the worker has read the source's table
  // definitions, so a DDL from then on is met in the stream.
  bool WaitStreaming(const std::string& task) const;
  // Writes `yaml` to a file in the temp dir and returns its path.
  std::string WriteSpec(const std::string& name, const std::string& yaml) const;

 private:
  std::string dir_;
  std::string home_;
};

// The end-to-end setting: a source with database `shop` and a replication
// user repl/repl-pw (binlog privileges, SELECT on shop.*), a destination with
// database `dw` where loader/loader-pw may create schemas, and a sync home.
// Database dw on `server`, where loader/loader-pw may create schemas.
void PrepareDestinationDatabase(const PostgresServer& server);

struct SyncEnvironment {
  MariaDbServer mysql;
  PostgresServer pg;
  SyncCli cli;
  SyncEnvironment();
};

// A task spec whose destination is `pg` (database `database`, superuser): for sink tests.
config::TaskSpec PostgresDestinationSpec(const PostgresServer& pg, const std::string& database);

// A task spec for the two servers; `tables` and `extra` customise it.
std::string TaskYaml(const std::string& name, const MariaDbServer& src, const PostgresServer& dst,
                     const std::string& src_user = "root", const std::string& src_password = "root-pw",
                     const std::string& tables = "[shop.*]", int server_id = 5401);

}  // namespace dbsync::testing
