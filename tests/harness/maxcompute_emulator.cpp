#include "harness/maxcompute_emulator.hpp"

#include "harness/emulator_process.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "net/http_client.hpp"
#include "sink/maxcompute/mc_state.hpp"

namespace dbsync::testing {

MaxComputeEmulator::MaxComputeEmulator(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  dir_ = MakeTempDir("sync-maxcompute-");
  port_ = FreePort();
  Start();
}

MaxComputeEmulator::~MaxComputeEmulator() {
  if (process_.Running()) {
    process_.Signal(SIGTERM);
    process_.Wait();
  }
  RemoveTree(dir_);
}

std::string MaxComputeEmulator::endpoint() const { return tunnel_endpoint() + "/api"; }

std::string MaxComputeEmulator::tunnel_endpoint() const {
  const bool tls = std::find(extra_args_.begin(), extra_args_.end(), "--tls-cert") != extra_args_.end();
  return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

maxcompute::ClientOptions MaxComputeEmulator::ClientOptions(const std::string& project) const {
  maxcompute::ClientOptions o;
  o.endpoint = endpoint();
  o.project = project;
  o.key = {kAccessId, kAccessKey};
  o.poll_first = std::chrono::milliseconds(20);
  o.poll_max = std::chrono::milliseconds(200);
  o.retry.first_backoff = std::chrono::milliseconds(50);
  o.retry.max_backoff = std::chrono::milliseconds(500);
  o.request_timeout_ms = 60000;
  return o;
}

void MaxComputeEmulator::Start() {
  // The port stays the same across restarts: clients keep their endpoints
  // (and the tunnel address discovery gave them).
  std::vector<std::string> argv = {"python3", std::string(SYNC_SOURCE_DIR) + "/tests/emulators/maxcompute/emulator.py",
                                   "--data-dir", dir_ + "/data", "--port", std::to_string(port_)};
  for (const auto& a : extra_args_) argv.push_back(a);
  process_ = StartEmulatorProcess(std::move(argv), dir_, "the MaxCompute emulator");
}

void MaxComputeEmulator::Kill() {
  process_.Signal(SIGKILL);
  process_.Wait();
}

std::string MaxComputeEmulator::Admin(const std::string& method, const std::string& path,
                                      const std::string& body) const {
  net::HttpRequest r;
  r.method = method;
  r.url = tunnel_endpoint() + path;
  r.body = body;
  r.tls.mode = TlsMode::kRequired;  // the hooks are the test's own: encrypted, not verified
  if (method == "POST") r.headers = {{"Content-Type", "application/json"}};
  auto got = net::HttpCall(r);
  if (!got.ok() || got->status != 200)
    throw std::runtime_error("emulator " + method + " " + path + " failed: " +
                             (got.ok() ? got->body : got.status().message()));
  return got->body;
}

std::string MaxComputeEmulator::Post(const std::string& path, const std::string& json_body) const {
  return Admin("POST", path, json_body);
}

std::string MaxComputeEmulator::Get(const std::string& path) const { return Admin("GET", path, ""); }

std::string MaxComputeEmulator::Delete(const std::string& path) const { return Admin("DELETE", path, ""); }

std::optional<std::vector<std::vector<std::optional<std::string>>>> MaxComputeEmulator::Query(
    const std::string& sql) const {
  nlohmann::json request = {{"project", "p1"},
                            {"query", sql + ";"},
                            {"settings", {{"odps.sql.type.system.odps2", "true"}, {"odps.sql.decimal.odps2", "true"}}}};
  nlohmann::json reply;
  try {
    reply = nlohmann::json::parse(Post("/__emulator/sql", request.dump()), nullptr, false);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!reply.is_object() || reply.value("status", "") != "Success") return std::nullopt;
  return maxcompute::ParseCsvResult(reply.value("result", ""));
}

}  // namespace dbsync::testing
