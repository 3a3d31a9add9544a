#pragma once
// A TCP proxy on 127.0.0.1 between sync and a server, for fault tests: it
// forwards bytes both ways until told to add latency, to limit bandwidth,
// to stall (connections stay open and nothing flows, as on a half-open link
// where no RST comes), to cut every connection (with an RST, mid-packet), to
// reset connections after an exact number of bytes (inside a MySQL packet or
// a PostgreSQL message when asked), or to refuse new ones.
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dbsync::testing {

class FaultProxy {
 public:
  // The protocol spoken through the proxy, for ResetInsideMessage: it finds
  // message boundaries in plain (not TLS) connections.
  enum class Protocol { kOpaque, kMySql, kPostgres };
  enum class Direction { kToServer, kToClient };

  explicit FaultProxy(int target_port, Protocol protocol = Protocol::kOpaque);
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
  // Each connection open now passes exactly `bytes` more in `direction`
  // (counted from the next byte it passes on), then
  // both its sides are reset (RST, SO_LINGER 0) once the receiver has them
  // all: the cut falls where the test chose, not where a read ended.
  void ResetAfter(Direction direction, int64_t bytes);
  // As ResetAfter, but the cut falls inside the first message (a MySQL
  // packet, a PostgreSQL message) that begins after `bytes` more in
  // `direction` and has at least `min_payload` (2 or more) bytes of payload:
  // halfway into its payload. A large minimum picks a large message (a
  // binlog rows event, not a heartbeat). Needs a protocol other than
  // kOpaque; PostgreSQL's kToClient direction is not framed (its SSL refusal
  // is a lone byte).
  void ResetInsideMessage(Direction direction, int64_t bytes, int64_t min_payload = 2);
  // Connections ended by ResetAfter or ResetInsideMessage so far.
  int resets_done() const { return resets_done_; }
  // New connections go to `port` (a replica that took over, at the same address).
  void SetTarget(int port) { target_port_ = port; }
  // Connections accepted so far, and open now.
  int accepted() const { return accepted_; }
  int open() const { return open_; }

 private:
  struct ResetOrder {
    uint64_t id = 0;  // 0: none
    Direction direction = Direction::kToClient;
    int64_t bytes = 0;
    bool inside_message = false;
    int64_t min_payload = 2;
  };
  class Connection;

  void AcceptLoop();
  void Pump(int client, int server, uint64_t generation, uint64_t reset_order_seen);
  void PlaceReset(const ResetOrder& order);
  ResetOrder CurrentResetOrder();

  std::atomic<int> target_port_;
  const Protocol protocol_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> done_{false};
  std::atomic<bool> stalled_{false}, refusing_{false};
  std::atomic<int> latency_ms_{0};
  std::atomic<int64_t> bytes_per_second_{0};
  std::atomic<uint64_t> generation_{0};  // bumped by CutAll: older connections end
  std::atomic<int> accepted_{0}, open_{0}, resets_done_{0};
  std::atomic<uint64_t> reset_order_id_{0};  // bumped by each ResetAfter/ResetInsideMessage
  std::mutex reset_mu_;
  ResetOrder reset_order_;  // the latest, under reset_mu_
  std::mutex mu_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

// A task spec with its "port: `real_port`" line pointing at `proxy_port`
// (the first such line: the source's before the destination's).
std::string ViaProxy(std::string yaml, int real_port, int proxy_port);

}  // namespace dbsync::testing
