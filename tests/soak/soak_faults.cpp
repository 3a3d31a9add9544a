#include "soak/soak_faults.hpp"

#include <signal.h>

#include <chrono>
#include <exception>
#include <thread>

#include "harness/workload.hpp"

namespace dbsync::testing {

void FaultInjector::Run(const std::function<bool()>& go_on) {
  go_on_ = go_on;
  while (!stopping_) {
    Pause(2 + Pick(60) / 10.0);
    if (!stopping_) InjectOne();
  }
}

void FaultInjector::InjectOne() {
  switch (Pick(12)) {
    case 0:
    case 1:
    case 2: KillWorker(); break;
    case 3:
    case 4: t_.source_proxy.CutAll(); ++counts_.cuts; break;
    case 5:
    case 6: t_.destination_proxy.CutAll(); ++counts_.cuts; break;
    // Past the stream's 10 s read timeout now and then: a silent source is detected.
    case 7: Stall(t_.source_proxy, 14); break;
    case 8: Stall(t_.destination_proxy, 8); break;
    case 9: Refuse(Pick(2) ? t_.source_proxy : t_.destination_proxy); break;
    case 10: RestartSource(); break;
    default: RestartDestination(); break;
  }
}

void FaultInjector::KillWorker() {
  const int pid = WorkerPid(t_.cli, t_.task);
  if (pid <= 0) return Problem("no worker to kill within 20 s");
  if (::kill(pid, SIGKILL) != 0) return;  // it ended on its own just now
  ++counts_.kills;
  if (WorkerPid(t_.cli, t_.task, pid) <= 0) Problem("no new worker within 20 s of killing " + std::to_string(pid));
}

void FaultInjector::Stall(FaultProxy& proxy, int max_seconds) {
  proxy.SetStalled(true);
  ++counts_.stalls;
  Pause(1 + Pick(uint32_t(max_seconds)));
  proxy.SetStalled(false);
}

void FaultInjector::Refuse(FaultProxy& proxy) {
  proxy.SetRefusing(true);
  proxy.CutAll();
  ++counts_.refusals;
  Pause(1 + Pick(6));
  proxy.SetRefusing(false);
}

namespace {

// Stop and Start of a test server: what went wrong, or "".
template <typename Server>
std::string Restart(Server& server) {
  try {
    server.Stop();
    server.Start();
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

void FaultInjector::RestartSource() {
  const std::string error = Restart(t_.mysql);
  if (error.empty()) ++counts_.source_restarts;
  else Problem("the source did not restart: " + error);
}

void FaultInjector::RestartDestination() {
  const std::string error = Restart(t_.pg);
  if (error.empty()) ++counts_.destination_restarts;
  else Problem("the destination did not restart: " + error);
}

void FaultInjector::Heal() {
  for (FaultProxy* p : {&t_.source_proxy, &t_.destination_proxy}) {
    p->SetStalled(false);
    p->SetRefusing(false);
  }
}

void FaultInjector::Pause(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!stopping_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stopping_ = !go_on_();
  }
}

void FaultInjector::Problem(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  problems_.push_back(what);
}

std::vector<std::string> FaultInjector::problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  return problems_;
}

}  // namespace dbsync::testing
