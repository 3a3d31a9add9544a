#include "harness/mysql8_emulator.hpp"

#include <signal.h>

#include <stdexcept>

#include "harness/emulator_process.hpp"

namespace dbsync::testing {

Mysql8Emulator::Mysql8Emulator(Mysql8Options options) {
  dir_ = MakeTempDir("sync-mysql8-");
  port_ = FreePort();
  std::vector<std::string> argv = {"python3", std::string(SYNC_SOURCE_DIR) + "/tests/emulators/mysql8/emulator.py",
                                   "--binlog", options.binlog, "--port", std::to_string(port_), "--user", kUser,
                                   "--password", kPassword, "--committed", std::to_string(options.committed)};
  if (!options.binlog_name.empty()) argv.insert(argv.end(), {"--binlog-name", options.binlog_name});
  for (const auto& db : options.databases) argv.insert(argv.end(), {"--database", db});
  for (const auto& db : options.seed_tables) argv.insert(argv.end(), {"--seed-table", db});
  tls_ = !options.tls_cert.empty();
  if (tls_) argv.insert(argv.end(), {"--ssl-cert", options.tls_cert, "--ssl-key", options.tls_key});
  if (options.empty_auth_cache) argv.push_back("--empty-auth-cache");
  process_ = StartEmulatorProcess(std::move(argv), dir_, "the MySQL 8 emulator");
}

Mysql8Emulator::~Mysql8Emulator() {
  if (process_.Running()) {
    process_.Signal(SIGTERM);
    process_.Wait();
  }
  RemoveTree(dir_);
}

mysql::Connection Mysql8Emulator::Connect() const {
  mysql::Endpoint endpoint{"127.0.0.1", port_, kUser, kPassword, 10, 60, "the MySQL 8 emulator"};
  endpoint.tls.mode = tls_ ? TlsMode::kPreferred : TlsMode::kDisabled;
  auto c = mysql::Connection::Connect(endpoint);
  if (!c.ok()) throw std::runtime_error(c.status().message());
  return std::move(c).value();
}

void Mysql8Emulator::Commit(int transactions) const {
  Status s = Connect().Execute("SET GLOBAL emulator_committed_transactions = " + std::to_string(transactions));
  if (!s.ok()) throw std::runtime_error(s.message());
}

void Mysql8Emulator::Purge(int transactions) const {
  Status s = Connect().Execute("SET GLOBAL emulator_purged_transactions = " + std::to_string(transactions));
  if (!s.ok()) throw std::runtime_error(s.message());
}

void Mysql8Emulator::FlushPrivileges() const {
  Status s = Connect().Execute("FLUSH PRIVILEGES");
  if (!s.ok()) throw std::runtime_error(s.message());
}

std::string Mysql8Emulator::Log() const { return ReadText(dir_ + "/emulator.log"); }

}  // namespace dbsync::testing
