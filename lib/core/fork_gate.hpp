#pragma once
// The supervisor forks its worker without exec, so the child starts with
// a copy of every lock the parent's other threads held at that moment (the
// allocator's under AddressSanitizer, libcurl's, yaml-cpp's): a lock held
// then is held forever in the child, which hangs at its first use of it.
// The supervisor's threads (metrics, alerts) hold this gate while they work
// and the supervisor holds it to fork, so no fork happens in the middle of
// their work. Waits (sleeps, condition variables) are made outside it.

#include <future>
#include <mutex>
#include <thread>
#include <utility>

namespace dbsync {

inline std::mutex& ForkGate() {
  static std::mutex gate;
  return gate;
}

// A thread that has finished starting when this returns: a new thread's
// start (the runtime's and the sanitizers' bookkeeping, under their locks)
// must not overlap a fork either.
template <typename Body>
std::thread StartedThread(Body body) {
  std::promise<void> started;
  std::future<void> running = started.get_future();
  std::thread t([&started, body = std::move(body)]() mutable {
    started.set_value();
    body();
  });
  running.wait();
  return t;
}

}  // namespace dbsync
