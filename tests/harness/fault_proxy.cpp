#include "harness/fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

namespace dbsync::testing {

namespace {

// Closes with an RST rather than a FIN: the peer sees the connection reset.
void Reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

// Waits until the peer's kernel has every byte written to `fd` (none unsent
// or unacknowledged), up to 5 s: an RST discards what is still queued.
void Drain(int fd) {
  for (int waited_ms = 0; waited_ms < 5000; ++waited_ms) {
    int queued = 0;
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || queued == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool WriteAll(int fd, const char* data, size_t n) {
  for (size_t sent = 0; sent < n;) {
    ssize_t w = ::write(fd, data + sent, n - sent);
    if (w <= 0) return false;
    sent += size_t(w);
  }
  return true;
}

using Protocol = FaultProxy::Protocol;
using Direction = FaultProxy::Direction;

// Where messages begin in one direction of a plain connection: a MySQL
// packet is a 3-byte length and a sequence byte, then the payload; a
// PostgreSQL message a type byte and a 4-byte length that counts itself,
// except the first ones a client sends (SSLRequest, GSSENCRequest, the
// startup message), which have no type byte.
class MessageFramer {
 public:
  MessageFramer(Protocol protocol, Direction direction)
      : protocol_(protocol), typed_(protocol == Protocol::kPostgres && direction == Direction::kToClient) {}

  // Consumes the next `n` bytes of the direction. Of the messages that begin
  // at or after offset `from` (counted from the connection's first byte) and
  // whose header ends among these bytes, the first with `min_payload` or
  // more bytes of payload: the offset halfway into its payload.
  std::optional<int64_t> Feed(const char* data, size_t n, int64_t from, int64_t min_payload) {
    std::optional<int64_t> inside;
    for (size_t i = 0; i < n;) {
      if (body_left_ > 0) {
        const int64_t take = std::min<int64_t>(body_left_, int64_t(n - i));
        body_left_ -= take;
        offset_ += take;
        i += size_t(take);
        if (body_left_ == 0) EndMessage();
        continue;
      }
      if (header_.empty()) message_begin_ = offset_;
      header_.push_back(uint8_t(data[i++]));
      ++offset_;
      if (header_.size() < HeaderSize()) continue;
      body_left_ = PayloadSize();
      header_.clear();
      payload_ = body_left_;
      if (!inside && message_begin_ >= from && payload_ >= min_payload) inside = offset_ + payload_ / 2;
      if (body_left_ == 0) EndMessage();
    }
    return inside;
  }

 private:
  size_t HeaderSize() const { return protocol_ == Protocol::kMySql ? 4 : typed_ ? 5 : 4; }
  int64_t PayloadSize() const {
    const auto& h = header_;
    if (protocol_ == Protocol::kMySql) return int64_t(h[0]) | int64_t(h[1]) << 8 | int64_t(h[2]) << 16;
    const size_t at = typed_ ? 1 : 0;
    const int64_t length = int64_t(h[at]) << 24 | int64_t(h[at + 1]) << 16 | int64_t(h[at + 2]) << 8 | int64_t(h[at + 3]);
    return std::max<int64_t>(0, length - 4);
  }
  // A client's untyped message longer than an SSLRequest is its startup
  // message: typed messages follow.
  void EndMessage() {
    if (protocol_ == Protocol::kPostgres && !typed_ && payload_ + 4 > 8) typed_ = true;
  }

  Protocol protocol_;
  bool typed_;
  std::vector<uint8_t> header_;
  int64_t offset_ = 0, message_begin_ = 0, payload_ = 0, body_left_ = 0;
};

int ConnectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

FaultProxy::FaultProxy(int target_port, Protocol protocol) : target_port_(target_port), protocol_(protocol) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  done_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& t : pumps_) t.join();
}

void FaultProxy::CutAll() { ++generation_; }

void FaultProxy::ResetAfter(Direction direction, int64_t bytes) { PlaceReset({0, direction, bytes, false, 0}); }

void FaultProxy::ResetInsideMessage(Direction direction, int64_t bytes, int64_t min_payload) {
  if (protocol_ == Protocol::kOpaque || (protocol_ == Protocol::kPostgres && direction == Direction::kToClient))
    throw std::logic_error("fault proxy: no message framing for this protocol and direction");
  PlaceReset({0, direction, bytes, true, std::max<int64_t>(2, min_payload)});
}

void FaultProxy::PlaceReset(const ResetOrder& order) {
  std::lock_guard<std::mutex> lock(reset_mu_);
  reset_order_ = order;
  reset_order_.id = reset_order_id_ + 1;
  ++reset_order_id_;
}

FaultProxy::ResetOrder FaultProxy::CurrentResetOrder() {
  std::lock_guard<std::mutex> lock(reset_mu_);
  return reset_order_;
}

void FaultProxy::AcceptLoop() {
  while (!done_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++accepted_;
    if (refusing_) {
      Reset(client);
      continue;
    }
    int server = ConnectTo(target_port_.load());
    if (server < 0) {
      Reset(client);
      continue;
    }
    int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    pumps_.emplace_back([this, client, server, generation = generation_.load(), order = reset_order_id_.load()] {
      Pump(client, server, generation, order);
    });
  }
}

void FaultProxy::Pump(int client, int server, uint64_t generation, uint64_t reset_order_seen) {
  ++open_;
  char buf[65536];
  // Per direction (0: to the server, 1: to the client): bytes passed, where
  // to reset (-1: nowhere yet), and from where to look for a message to cut.
  int64_t passed[2] = {0, 0}, reset_at[2] = {-1, -1}, inside_from[2] = {-1, -1}, min_payload[2] = {2, 2};
  std::optional<MessageFramer> framers[2];
  if (protocol_ != Protocol::kOpaque) {
    framers[0].emplace(protocol_, Direction::kToServer);
    if (protocol_ == Protocol::kMySql) framers[1].emplace(protocol_, Direction::kToClient);
  }
  // Taken before each chunk is passed on: it counts from the next byte passed.
  auto take_reset_order = [&] {
    if (reset_order_id_ == reset_order_seen) return;
    const ResetOrder order = CurrentResetOrder();
    reset_order_seen = order.id;
    const int d = order.direction == Direction::kToServer ? 0 : 1;
    (order.inside_message ? inside_from[d] : reset_at[d]) = passed[d] + order.bytes;
    min_payload[d] = order.min_payload;
  };
  bool open = true;
  while (open && !done_) {
    if (generation_ != generation) break;  // cut
    if (stalled_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, 50) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      // A limited link passes small pieces, each followed by its transfer time.
      const int64_t rate = bytes_per_second_;
      const size_t piece = rate > 0 ? size_t(std::clamp<int64_t>(rate / 20, 1, int64_t(sizeof buf))) : sizeof buf;
      ssize_t n = ::read(fds[i].fd, buf, piece);
      if (n <= 0) {
        open = false;
        break;
      }
      if (latency_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms_.load()));
      if (rate > 0) std::this_thread::sleep_for(std::chrono::microseconds(int64_t(n) * 1000000 / rate));
      take_reset_order();
      if (framers[i]) {
        const int64_t from = inside_from[i] >= 0 ? inside_from[i] : std::numeric_limits<int64_t>::max();
        if (auto inside = framers[i]->Feed(buf, size_t(n), from, min_payload[i])) {
          reset_at[i] = *inside;
          inside_from[i] = -1;
        }
      }
      const bool reset = reset_at[i] >= 0 && passed[i] + n >= reset_at[i];
      const size_t pass = reset ? size_t(reset_at[i] - passed[i]) : size_t(n);
      const int to = i == 0 ? server : client;
      if (!WriteAll(to, buf, pass)) {
        open = false;
        break;
      }
      passed[i] += int64_t(pass);
      if (reset) {
        Drain(to);
        ++resets_done_;
        open = false;
      }
    }
  }
  Reset(client);
  Reset(server);
  --open_;
}

std::string ViaProxy(std::string yaml, int real_port, int proxy_port) {
  const std::string from = "port: " + std::to_string(real_port) + "\n";
  const size_t at = yaml.find(from);
  if (at == std::string::npos) throw std::invalid_argument("the task spec has no line " + from);
  return yaml.replace(at, from.size(), "port: " + std::to_string(proxy_port) + "\n");
}

}  // namespace dbsync::testing
