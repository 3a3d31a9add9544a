#pragma once
// Notices a PostgreSQL/Hologres connection that stopped answering. A link
// that went half-open or a server that hangs (a stalled network path, a
// frozen server) never fails a blocking libpq call, and TCP keepalives do not
// help while the peer's kernel still acknowledges. So a call that has waited
// stall_timeout_seconds is checked from a second connection:
//   - the server shows the backend running a statement (not waiting on us):
//     it is slow, not stalled, and the wait goes on (a long COPY, a lock);
//   - otherwise (the server cannot be reached within its connect timeout,
//     the backend is idle or gone, or it waits to read from or write to us):
//     the backend is terminated, so that its locks go, and the first
//     connection's socket is shut down, which ends the blocked call with
//     "connection lost"; the caller retries over a new connection.
// A statement the server is running is never cut.
//
// Thread-safe. One monitor thread per process, started by its first Watch
// (a forked child starts its own).
// Contract: Forget(conn) before PQfinish(conn) (Connection's closer does).

#include <libpq-fe.h>

#include <optional>
#include <string>

namespace dbsync::postgres {

struct Endpoint;

class StallWatch {
 public:
  // Watches `conn` (connected to `endpoint`) until Forget.
  static void Watch(PGconn* conn, const Endpoint& endpoint, int stall_timeout_seconds);
  static void Forget(PGconn* conn);
  // Why the watch cut `conn`, if it did: for the caller's error message.
  static std::optional<std::string> CutReason(PGconn* conn);

  // Marks `conn` as waiting for the server for the scope's lifetime
  // (nested scopes count once).
  class Waiting {
   public:
    explicit Waiting(PGconn* conn);
    ~Waiting();
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

   private:
    PGconn* conn_;
  };
};

}  // namespace dbsync::postgres
