#include "harness/emulator_process.hpp"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "harness/servers.hpp"

namespace dbsync::testing {

ChildProcess StartEmulatorProcess(std::vector<std::string> argv, const std::string& dir, const std::string& what) {
  const std::string ports = dir + "/ports.json";
  std::filesystem::remove(ports);
  argv.push_back("--ports-file");
  argv.push_back(ports);
  ChildProcess process = ChildProcess::Spawn(argv, {.stdout_file = dir + "/emulator.log"});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(ports)) {
    if (!process.Running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(what + " did not start; its log:\n" + ReadText(dir + "/emulator.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return process;
}

}  // namespace dbsync::testing
