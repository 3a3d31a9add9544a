#include "sink/postgres/pg_stall_watch.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/fork_gate.hpp"  // StartedThread
#include "sink/postgres/pg_connection.hpp"

namespace dbsync::postgres {
namespace {

using Clock = std::chrono::steady_clock;

struct Watched {
  Endpoint endpoint;
  int backend_pid = 0;
  int socket = -1;
  std::chrono::seconds timeout{30};
  int depth = 0;            // nested Waiting scopes
  uint64_t wait_id = 0;     // which wait a probe's verdict belongs to
  Clock::time_point since;  // when the current wait began
  Clock::time_point next_check;
  std::optional<std::string> cut_reason;
};

struct Verdict {
  bool running = false;
  std::string why;  // when not running
};

bool Readable(int socket) {
  pollfd p{socket, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// The first row of `sql`'s result, or nullopt when the server does not answer
// within `limit` (it may be the same stalled server).
std::optional<std::vector<std::string>> FirstRow(PGconn* conn, const std::string& sql, std::chrono::seconds limit) {
  if (PQsendQuery(conn, sql.c_str()) != 1) return std::nullopt;
  const auto deadline = Clock::now() + limit;
  while (PQisBusy(conn)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{PQsocket(conn), POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) < 0 || PQconsumeInput(conn) != 1) return std::nullopt;
  }
  std::vector<std::string> row;
  bool ok = true;
  while (PGresult* r = PQgetResult(conn)) {
    if (PQresultStatus(r) != PGRES_TUPLES_OK) ok = false;
    if (row.empty() && PQntuples(r) > 0)
      for (int i = 0; i < PQnfields(r); ++i) row.emplace_back(PQgetvalue(r, 0, i));
    PQclear(r);
  }
  if (!ok) return std::nullopt;
  return row;
}

// Asks the server, over a connection of its own, what the session is doing.
Verdict Probe(const Endpoint& watched, int pid) {
  Endpoint ep = watched;
  ep.stall_timeout_seconds = 0;  // the probe is not watched itself
  ep.connect_timeout_seconds = std::min(ep.connect_timeout_seconds, 10);
  auto conn = Connection::Connect(ep);
  if (!conn.ok()) return {false, "a second connection to it failed (" + conn.status().message() + ")"};
  const std::string id = std::to_string(pid);
  auto row = FirstRow(conn->handle(), "SELECT state, coalesce(wait_event, '') FROM pg_stat_activity WHERE pid = " + id,
                      std::chrono::seconds(10));
  if (!row) return {false, "it did not answer a second connection's query within 10 s"};
  if (row->size() < 2) return {false, "it has no session " + id + " any more"};
  const std::string& state = (*row)[0];
  const std::string& wait_event = (*row)[1];
  // ClientRead/ClientWrite: the server waits for the link as we do.
  if (state == "active" && wait_event != "ClientRead" && wait_event != "ClientWrite") return {true, ""};
  // Its transaction may hold locks that the retry will need.
  FirstRow(conn->handle(), "SELECT pg_terminate_backend(" + id + ")", std::chrono::seconds(10));
  return {false, "its session " + id + " is " + state + (wait_event.empty() ? "" : " (waiting on " + wait_event + ")") +
                     ", so it is not running a statement for sync; that session was terminated"};
}

class Registry {
 public:
  static Registry& Get() {
    static Registry* registry = [] {
      auto* r = new Registry;  // never destroyed: the monitor thread outlives static destructors
      // A fork (the supervisor's, of its worker) must not copy the lock held.
      ::pthread_atfork([] { Get().mu.lock(); }, [] { Get().mu.unlock(); }, [] { Get().mu.unlock(); });
      return r;
    }();
    return *registry;
  }

  std::mutex mu;
  std::map<PGconn*, Watched> conns;

  void StartMonitorLocked() {
    // A forked child (the supervisor forks its worker) has no monitor thread.
    if (monitor_pid_ == ::getpid()) return;
    monitor_pid_ = ::getpid();
    StartedThread([this] { MonitorLoop(); }).detach();
  }

 private:
  void MonitorLoop() {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      CheckOneDue();
    }
  }

  void CheckOneDue() {
    PGconn* due = nullptr;
    Watched copy;
    {
      std::lock_guard lock(mu);
      const auto now = Clock::now();
      for (auto& [conn, w] : conns) {
        if (w.depth == 0 || w.cut_reason || now < w.next_check) continue;
        if (Readable(w.socket)) continue;  // the reply is arriving
        due = conn;
        copy = w;
        break;
      }
    }
    if (!due) return;
    Verdict verdict = Probe(copy.endpoint, copy.backend_pid);
    std::lock_guard lock(mu);
    auto it = conns.find(due);
    if (it == conns.end() || it->second.depth == 0 || it->second.wait_id != copy.wait_id) return;
    Watched& w = it->second;
    if (verdict.running || Readable(w.socket)) {
      w.next_check = Clock::now() + w.timeout;
      return;
    }
    const auto waited = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - w.since).count();
    w.cut_reason = "the destination (" + w.endpoint.host + ":" + std::to_string(w.endpoint.port) + ") did not answer for " +
                   std::to_string(waited) + " s and " + verdict.why +
                   ": a stalled network link or server (destination.stall_timeout_seconds is " +
                   std::to_string(w.timeout.count()) + "); the connection was abandoned";
    ::shutdown(w.socket, SHUT_RDWR);  // the blocked libpq call returns "connection lost"
  }

  pid_t monitor_pid_ = 0;
};

}  // namespace

void StallWatch::Watch(PGconn* conn, const Endpoint& endpoint, int stall_timeout_seconds) {
  if (!conn || stall_timeout_seconds <= 0) return;
  Registry& r = Registry::Get();
  std::lock_guard lock(r.mu);
  Watched& w = r.conns[conn];
  w.endpoint = endpoint;
  w.backend_pid = PQbackendPID(conn);
  w.socket = PQsocket(conn);
  w.timeout = std::chrono::seconds(stall_timeout_seconds);
  r.StartMonitorLocked();
}

void StallWatch::Forget(PGconn* conn) {
  Registry& r = Registry::Get();
  std::lock_guard lock(r.mu);
  r.conns.erase(conn);
}

std::optional<std::string> StallWatch::CutReason(PGconn* conn) {
  Registry& r = Registry::Get();
  std::lock_guard lock(r.mu);
  auto it = r.conns.find(conn);
  return it == r.conns.end() ? std::nullopt : it->second.cut_reason;
}

StallWatch::Waiting::Waiting(PGconn* conn) : conn_(conn) {
  Registry& r = Registry::Get();
  std::lock_guard lock(r.mu);
  auto it = r.conns.find(conn_);
  if (it == r.conns.end()) return;
  Watched& w = it->second;
  if (w.depth++ > 0) return;
  ++w.wait_id;
  w.since = Clock::now();
  w.next_check = w.since + w.timeout;
}

StallWatch::Waiting::~Waiting() {
  Registry& r = Registry::Get();
  std::lock_guard lock(r.mu);
  auto it = r.conns.find(conn_);
  if (it != r.conns.end() && it->second.depth > 0) --it->second.depth;
}

}  // namespace dbsync::postgres
