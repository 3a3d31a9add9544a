#include "harness/fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

FaultProxy::FaultProxy(int target_port) : target_port_(target_port) {
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
    pumps_.emplace_back([this, client, server, generation = generation_.load()] { Pump(client, server, generation); });
  }
}

void FaultProxy::Pump(int client, int server, uint64_t generation) {
  ++open_;
  char buf[65536];
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
      const int to = i == 0 ? server : client;
      for (ssize_t sent = 0; sent < n;) {
        ssize_t w = ::write(to, buf + sent, size_t(n - sent));
        if (w <= 0) {
          open = false;
          break;
        }
        sent += w;
      }
    }
  }
  Reset(client);
  Reset(server);
  --open_;
}

}  // namespace dbsync::testing
