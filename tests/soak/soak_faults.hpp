#pragma once
// The soak's faults, one at a time at random moments: the worker SIGKILLed,
// every connection through a proxy cut (source or destination), a proxy
// stalled (a half-open link: nothing flows, no RST) or refusing new
// connections for a while, and the source or the destination server
// restarted. Nothing here asserts: what went wrong is kept as text for the
// report, and the soak's final comparison decides.
//
// Run it on the test's main thread: a server it restarts is killed when the
// thread that started it ends (PR_SET_PDEATHSIG follows the thread).

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "harness/fault_proxy.hpp"
#include "harness/servers.hpp"

namespace dbsync::testing {

struct FaultCounts {
  std::atomic<int> kills{0}, cuts{0}, stalls{0}, refusals{0}, source_restarts{0}, destination_restarts{0};
};

struct SoakTargets {
  MariaDbServer& mysql;
  PostgresServer& pg;
  FaultProxy& source_proxy;
  FaultProxy& destination_proxy;
  const SyncCli& cli;
  std::string task;
};

class FaultInjector {
 public:
  FaultInjector(SoakTargets targets, uint32_t seed) : t_(std::move(targets)), rng_(seed) {}

  // While `go_on()` (asked every 100 ms): a pause of 2 to 8 s, a fault,
  // and so on.
  void Run(const std::function<bool()>& go_on);
  // Both proxies pass everything again.
  void Heal();
  const FaultCounts& counts() const { return counts_; }
  std::vector<std::string> problems() const;

 private:
  void InjectOne();
  void KillWorker();
  void Stall(FaultProxy& proxy, int max_seconds);
  void Refuse(FaultProxy& proxy);
  void RestartSource();
  void RestartDestination();
  // Waits `seconds`, or less when go_on() says to stop.
  void Pause(double seconds);
  void Problem(const std::string& what);
  uint32_t Pick(uint32_t n) { return rng_() % n; }

  SoakTargets t_;
  std::function<bool()> go_on_;
  bool stopping_ = false;
  std::mt19937 rng_;
  FaultCounts counts_;
  mutable std::mutex mu_;
  std::vector<std::string> problems_;
};

}  // namespace dbsync::testing
