#include "harness/http_receiver.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>
#include <sstream>
#include <thread>

namespace dbsync::testing {

HttpReceiver::HttpReceiver(int fail_first) : dir_(MakeTempDir("receiver")) {
  const std::string script = std::string(SYNC_SOURCE_DIR) + "/tests/harness/http_receiver.py";
  process_ = ChildProcess::Spawn({"python3", script, dir_ + "/port", dir_ + "/requests.jsonl", std::to_string(fail_first)},
                                 {.stdout_file = dir_ + "/receiver.log"});
  for (int i = 0; i < 200 && !std::filesystem::exists(dir_ + "/port"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE_MESSAGE(std::filesystem::exists(dir_ + "/port"), "the HTTP receiver did not start");
  port_ = std::stoi(ReadText(dir_ + "/port"));
}

HttpReceiver::~HttpReceiver() {
  process_.Signal(SIGKILL);
  process_.Wait();
  RemoveTree(dir_);
}

std::string HttpReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<nlohmann::json> HttpReceiver::Requests() const {
  std::vector<nlohmann::json> out;
  if (!std::filesystem::exists(dir_ + "/requests.jsonl")) return out;
  std::istringstream in(ReadText(dir_ + "/requests.jsonl"));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) out.push_back(j);
  }
  return out;
}

std::vector<nlohmann::json> HttpReceiver::WaitDelivered(const std::string& path, size_t n,
                                                        std::chrono::seconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<nlohmann::json> delivered;
  do {
    delivered.clear();
    for (const auto& r : Requests())
      if (r.value("path", "").substr(0, r.value("path", "").find('?')) == path && r.value("answered", 0) == 200)
        delivered.push_back(r);
    if (delivered.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return delivered;
}

}  // namespace dbsync::testing
