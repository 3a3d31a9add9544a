#pragma once
// The MySQL 8.0 primary emulator (tests/emulators/mysql8/) as a test server:
// it serves one MySQL-written binlog fixture through COM_BINLOG_DUMP(_GTID)
// on 127.0.0.1, and writes the fixture's transactions when told (Commit), so
// a task snapshots the databases without the fixture's tables and meets every
// change to them in the binlog.

#include <string>
#include <vector>

#include "harness/process.hpp"
#include "net/mysql_client.hpp"

namespace dbsync::testing {

struct Mysql8Options {
  std::string binlog;        // the fixture file
  std::string binlog_name;   // its name on the server (default: the file's own)
  std::vector<std::string> databases = {"test"};  // empty at the start
  // DB.seed (tests/emulators/mysql8/catalog.py) exists before the binlog, with
  // rows (1, 'copied by the snapshot'), (2, NULL): a table a task selects at
  // its start and copies through the MySQL snapshot path.
  std::vector<std::string> seed_tables = {"test"};
  int committed = 0;  // transactions of the fixture written before the task starts
  // The server's certificate and key (PEM): it offers TLS (CLIENT_SSL in its greeting).
  std::string tls_cert, tls_key;
  // caching_sha2_password's cache starts empty, as after a restart: each account's first
  // login is a full authentication (the password over TLS, or RSA-encrypted over TCP).
  bool empty_auth_cache = false;
};

class Mysql8Emulator {
 public:
  explicit Mysql8Emulator(Mysql8Options options);
  ~Mysql8Emulator();

  int port() const { return port_; }
  // A connection as the replication user (kUser/kPassword): over TLS (not verified) when
  // the emulator offers it, else plain TCP, where Connector/C sends the password
  // RSA-encrypted if the server asks for a full authentication.
  mysql::Connection Connect() const;
  // FLUSH PRIVILEGES: caching_sha2_password's cache is emptied.
  void FlushPrivileges() const;
  // The first `transactions` of the fixture are written from now on (-1: all).
  void Commit(int transactions) const;
  // The first `transactions` written are in purged binary logs (gtid_purged holds them).
  void Purge(int transactions) const;
  // What it did: every connection, statement and dump request (emulator.log).
  std::string Log() const;

  static constexpr const char* kUser = "repl";
  static constexpr const char* kPassword = "repl-pw";

 private:
  std::string dir_;
  int port_ = 0;
  bool tls_ = false;
  ChildProcess process_;
};

}  // namespace dbsync::testing
