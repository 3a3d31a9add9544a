#include "harness/starrocks_emulator.hpp"

#include "harness/emulator_process.hpp"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "net/http_client.hpp"

namespace dbsync::testing {

StarRocksEmulator::StarRocksEmulator(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  dir_ = MakeTempDir("sync-starrocks-");
  query_port_ = FreePort();
  http_port_ = FreePort();
  be_port_ = FreePort();
  Start();
}

StarRocksEmulator::~StarRocksEmulator() {
  if (process_.Running()) {
    process_.Signal(SIGTERM);
    process_.Wait();
  }
  RemoveTree(dir_);
}

void StarRocksEmulator::Start() {
  std::vector<std::string> argv = {"python3", std::string(SYNC_SOURCE_DIR) + "/tests/emulators/starrocks/emulator.py",
                                   "--data-dir", dir_ + "/data", "--query-port", std::to_string(query_port_),
                                   "--http-port", std::to_string(http_port_), "--be-http-port", std::to_string(be_port_),
                                   "--user", "root", "--password", kPassword, "--alter-delay-ms", "100"};
  for (const auto& a : extra_args_) argv.push_back(a);
  process_ = StartEmulatorProcess(std::move(argv), dir_, "the StarRocks emulator");
}

void StarRocksEmulator::Kill() {
  process_.Signal(SIGKILL);
  process_.Wait();
}

mysql::Connection StarRocksEmulator::Admin() const {
  auto c = mysql::Connection::Connect({"127.0.0.1", query_port_, "root", kPassword, 10, 120, "the StarRocks emulator"});
  if (!c.ok()) throw std::runtime_error(c.status().message());
  return std::move(c).value();
}

void StarRocksEmulator::Exec(const std::string& sql) const {
  Status s = Admin().Execute(sql);
  if (!s.ok()) throw std::runtime_error(s.message());
}

std::string StarRocksEmulator::Post(const std::string& path, const std::string& json_body) const {
  net::HttpRequest r;
  r.method = "POST";
  r.url = "http://127.0.0.1:" + std::to_string(http_port_) + path;
  r.body = json_body;
  r.headers = {{"Content-Type", "application/json"}};
  auto got = net::HttpCall(r);
  if (!got.ok() || got->status != 200)
    throw std::runtime_error("emulator hook " + path + " failed: " + (got.ok() ? got->body : got.status().message()));
  return got->body;
}

std::string StarRocksEmulator::Get(const std::string& path) const {
  net::HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(http_port_) + path;
  auto got = net::HttpCall(r);
  if (!got.ok() || got->status != 200)
    throw std::runtime_error("emulator GET " + path + " failed: " + (got.ok() ? got->body : got.status().message()));
  return got->body;
}

}  // namespace dbsync::testing
