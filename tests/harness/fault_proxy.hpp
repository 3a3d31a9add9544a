#pragma once
// A TCP proxy on 127.0.0.1 between sync and a server, for fault tests: it
// forwards bytes both ways until told to add latency, to limit bandwidth,
// to stall (connections stay open and nothing flows, as on a half-open link
// where no RST comes), to cut every connection (with an RST, mid-packet), or
// to refuse new ones.
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dbsync::testing {

class FaultProxy {
 public:
  explicit FaultProxy(int target_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  // Each chunk of bytes waits this long before it is passed on.
  void SetLatency(std::chrono::milliseconds latency) { latency_ms_ = int(latency.count()); }
  // Each connection passes at most this many bytes per second each way (0: no limit).
  void SetBandwidth(int64_t bytes_per_second) { bytes_per_second_ = bytes_per_second; }
  // While stalled nothing is read or written; connections stay open.
  void SetStalled(bool stalled) { stalled_ = stalled; }
  // New connections are accepted and closed at once (a server that is gone).
  void SetRefusing(bool refusing) { refusing_ = refusing; }
  // Resets every open connection now.
  void CutAll();
  // New connections go to `port` (a replica that took over, at the same address).
  void SetTarget(int port) { target_port_ = port; }
  // Connections accepted so far, and open now.
  int accepted() const { return accepted_; }
  int open() const { return open_; }

 private:
  void AcceptLoop();
  void Pump(int client, int server, uint64_t generation);

  std::atomic<int> target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> done_{false};
  std::atomic<bool> stalled_{false}, refusing_{false};
  std::atomic<int> latency_ms_{0};
  std::atomic<int64_t> bytes_per_second_{0};
  std::atomic<uint64_t> generation_{0};  // bumped by CutAll: older connections end
  std::atomic<int> accepted_{0}, open_{0};
  std::mutex mu_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace dbsync::testing
