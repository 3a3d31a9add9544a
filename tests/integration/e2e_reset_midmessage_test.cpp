// Connections reset in the middle of a protocol message, against real
// MariaDB and PostgreSQL, by the fault proxy (tests/harness/fault_proxy.hpp)
// at a byte the test chooses: the source's snapshot reader cut inside a row
// packet during full initialization, the binlog stream cut inside a rows
// event of a transaction, the destination's connection cut inside a message
// of a batch. Each is a lost connection (retried: a failover or a
// reconnect, never a failed task) and converges with nothing lost or doubled
// (a keyless table shows doubles). The proxy's exact cut is checked first
// against a plain socket; last, a plain query's result set cut inside its
// row is an error, not an empty result.

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "harness/fault_proxy.hpp"
#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using Direction = FaultProxy::Direction;
using Protocol = FaultProxy::Protocol;

namespace {

ShopEnvironment& E() {
  static ShopEnvironment env;
  return env;
}

json StatusOf(const std::string& task) { return TaskStatus(E().cli, task); }

json WaitStatus(const std::string& task, std::chrono::seconds limit, const std::function<bool(const json&)>& ready) {
  return WaitTaskStatus(E().cli, task, limit, ready);
}

std::string Spec(const std::string& name, int server_id) {
  return ShopTaskYaml(E().mysql, name, "[shop." + name + ", shop." + name + "_nokey]", "", E().pg, "postgres",
                      server_id);
}

// shop.`name` with `rows` rows of fixed width, and the keyless shop.`name`_nokey.
void CreateTables(const std::string& name, int rows) {
  E().mysql.Exec("CREATE TABLE shop." + name + " (id INT PRIMARY KEY, v VARCHAR(40), n INT)");
  E().mysql.Exec("CREATE TABLE shop." + name + "_nokey (id INT, v VARCHAR(40))");
  E().mysql.Exec("INSERT INTO shop." + name + " SELECT seq, LPAD(seq, 40, 'v'), seq FROM seq.seq_1_to_" +
                 std::to_string(rows));
  E().mysql.Exec("INSERT INTO shop." + name + "_nokey SELECT seq, CONCAT('k', seq) FROM seq.seq_1_to_100");
}

// One transaction large enough for rows events and batches of many kilobytes:
// every keyed row updated, 500 keyless rows added (a replay doubles them).
void LargeTransaction(const std::string& name, const std::string& tag) {
  E().mysql.ExecSession({"BEGIN", "UPDATE shop." + name + " SET n = n + 1, v = '" + tag + "'",
                         "INSERT INTO shop." + name + "_nokey SELECT seq, '" + tag + "' FROM seq.seq_1_to_500",
                         "COMMIT"});
}

// Both tables the same on both sides.
bool Converges(const std::string& name) {
  const std::string keyed = "SELECT id, v, n FROM shop." + name + " ORDER BY id";
  const std::string keyless = "SELECT id, v FROM shop." + name + "_nokey ORDER BY id, v";
  return QueriesConverge(E().mysql, E().pg, {{keyed, keyed}, {keyless, keyless}}, 60s);
}

// The task retried (a failover after a worker that exited with status 1, the
// retryable exit) and did not fail.
void CheckRetriedNotFailed(const std::string& id, const json& s) {
  INFO(s.dump(1));
  CHECK(s.value("lifecycle", "") == "running");
  CHECK(s.value("failovers", 0) >= 1);
  const std::string reason = s.value("last_failover", json::object()).value("reason", "");
  MESSAGE("last failover: " << reason);
  CHECK(reason.find("exited with status 1") != std::string::npos);
  CHECK(E().cli.Run({"logs", id}).out.find("task failed") == std::string::npos);
}

double TimedStop(const std::string& id) {
  const auto begin = std::chrono::steady_clock::now();
  auto r = E().cli.Run({"stop", id});
  CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

// A TCP server on 127.0.0.1 that sends `bytes` to the first client once it
// has sent a byte.
class Sender {
 public:
  explicit Sender(std::string bytes) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, bytes = std::move(bytes)] {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char go;
      if (::read(client, &go, 1) != 1) return;
      for (size_t sent = 0; sent < bytes.size();) {
        ssize_t w = ::write(client, bytes.data() + sent, bytes.size() - sent);
        if (w <= 0) break;
        sent += size_t(w);
      }
      char c;
      while (::read(client, &c, 1) > 0) {}  // until the proxy resets it
      ::close(client);
    });
  }
  ~Sender() {
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Connects through the proxy, gives it `order`, lets the sender send, and
// reads until the connection ends: the bytes, and the last read's errno.
std::pair<std::string, int> ReadThroughProxy(FaultProxy& proxy, const std::function<void()>& order) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(proxy.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  // The proxy takes the order before it passes on the next byte: the go
  // byte, which comes before any of the sender's.
  while (proxy.open() == 0) std::this_thread::sleep_for(1ms);
  order();
  REQUIRE(::write(fd, "g", 1) == 1);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, size_t(n));
  const int error = n < 0 ? errno : 0;
  ::close(fd);
  return {got, error};
}

// MySQL packets: a 3-byte length, a sequence byte, the payload.
std::string MySqlPacket(size_t payload, char fill) {
  std::string p{char(payload & 0xFF), char(payload >> 8 & 0xFF), char(payload >> 16 & 0xFF), '\0'};
  return p + std::string(payload, fill);
}

}  // namespace

TEST_CASE("the fault proxy resets after exactly the bytes asked, and inside the message asked") {
  const std::string stream = MySqlPacket(10, 'a') + MySqlPacket(1, 'b') + MySqlPacket(400, 'c') + MySqlPacket(50, 'd');
  {
    // The first bytes pass, then the reset: not one byte more.
    Sender sender(stream);
    FaultProxy proxy(sender.port());
    auto [got, error] = ReadThroughProxy(proxy, [&] { proxy.ResetAfter(Direction::kToClient, 17); });
    CHECK(got == stream.substr(0, 17));
    CHECK(error == ECONNRESET);
    CHECK(proxy.resets_done() == 1);
  }
  {
    // From byte 5 on: the 1-byte packet is too small; the 400-byte one is cut at its 200th payload byte.
    Sender sender(stream);
    FaultProxy proxy(sender.port(), Protocol::kMySql);
    auto [got, error] = ReadThroughProxy(proxy, [&] { proxy.ResetInsideMessage(Direction::kToClient, 5, 2); });
    CHECK(got.size() == 14 + 5 + 4 + 200);
    CHECK(got == stream.substr(0, got.size()));
    CHECK(error == ECONNRESET);
  }
}

TEST_CASE("the source's snapshot reader reset inside a row packet during full initialization: failed over, converges") {
  CreateTables("rs", 200000);
  FaultProxy proxy(E().mysql.port(), Protocol::kMySql);
  proxy.SetLatency(5ms);  // a copy slow enough to order the cut in the middle of it
  const std::string id = CreateAndStartTask(E().cli, "rs.yaml", ViaProxy(Spec("rs", 7971), E().mysql.port(), proxy.port()));
  json s = WaitStatus(id, 30s, [](const json& j) {
    return j.contains("tables") && j["tables"].contains("shop.rs") && j["tables"]["shop.rs"].value("rows", 0) > 0;
  });
  REQUIRE(s["tables"]["shop.rs"]["state"] == "copying");
  // Every row packet is 55 bytes: 64 KiB on, the cut is inside one of them.
  proxy.ResetInsideMessage(Direction::kToClient, 64 * 1024);
  proxy.SetLatency(0ms);
  const auto cut_at = std::chrono::steady_clock::now();
  s = WaitStatus(id, 30s, [](const json& j) { return j.value("failovers", 0) >= 1; });
  MESSAGE("connections reset inside a row packet: " << proxy.resets_done() << "; failed over after "
                                                    << std::chrono::duration<double>(std::chrono::steady_clock::now() - cut_at).count()
                                                    << " s");
  CHECK(proxy.resets_done() >= 1);
  E().mysql.Exec("UPDATE shop.rs SET n = -n WHERE id % 1000 = 0");
  CHECK(Converges("rs"));
  CheckRetriedNotFailed(id, StatusOf(id));
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.rs", "dw") == "200000");
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("the binlog stream reset inside a rows event: reconnected, or failed over inside a large transaction; applied once") {
  CreateTables("rb", 2000);
  FaultProxy proxy(E().mysql.port(), Protocol::kMySql);
  const std::string id = CreateAndStartTask(E().cli, "rb.yaml", ViaProxy(Spec("rb", 7972), E().mysql.port(), proxy.port()));
  REQUIRE(E().cli.WaitStreaming(id));
  REQUIRE(Converges("rb"));
  // A cut inside a message of 1000 bytes or more falls inside a rows event:
  // a heartbeat, a GTID or table map event is tens of bytes.

  {
    INFO("a transaction smaller than a piece (runtime.batch_rows): the stream reconnects at its start");
    proxy.ResetInsideMessage(Direction::kToClient, 0, 1000);
    E().mysql.ExecSession({"BEGIN", "UPDATE shop.rb SET n = n + 1, v = 'small' WHERE id <= 100",
                           "INSERT INTO shop.rb_nokey SELECT seq, 'small' FROM seq.seq_1_to_50", "COMMIT"});
    CHECK(Converges("rb"));
    CHECK(proxy.resets_done() == 1);
    const std::string logs = E().cli.Run({"logs", id}).out;
    INFO(logs);
    CHECK(logs.find("lost the source's binlog stream: the source closed the replication connection") != std::string::npos);
    CHECK(logs.find("binlog stream reconnected at") != std::string::npos);
    CHECK(StatusOf(id).value("failovers", -1) == 0);
    CHECK(E().pg.Scalar("SELECT count(*) FROM shop.rb_nokey WHERE v = 'small'", "dw") == "50");
  }
  {
    INFO("a transaction applied in pieces: the worker fails over, the pieces are rolled back and replayed");
    // 20 kB into its 2,500 row changes (2 kB and more in each of its 8 kB
    // rows events) the first pieces are applied.
    proxy.ResetInsideMessage(Direction::kToClient, 20000, 1000);
    LargeTransaction("rb", "cut mid-event");
    CHECK(Converges("rb"));
    CHECK(proxy.resets_done() == 2);
    const json s = StatusOf(id);
    CheckRetriedNotFailed(id, s);
    INFO(E().cli.Run({"logs", id}).out);
    CHECK(E().cli.Run({"logs", id}).out.find("lost the binlog stream inside a large transaction") != std::string::npos);
    CHECK(E().pg.Scalar("SELECT count(*) FROM shop.rb_nokey WHERE v = 'cut mid-event'", "dw") == "500");
  }
  CHECK(E().cli.Run({"logs", id}).out.find("task failed") == std::string::npos);
  CHECK(StatusOf(id).value("lifecycle", "") == "running");
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("the destination connection reset inside a message of a batch: retried, the batch applied once") {
  CreateTables("rd", 2000);
  FaultProxy proxy(E().pg.port(), Protocol::kPostgres);
  const std::string id = CreateAndStartTask(E().cli, "rd.yaml", ViaProxy(Spec("rd", 7973), E().pg.port(), proxy.port()));
  REQUIRE(E().cli.WaitStreaming(id));
  REQUIRE(Converges("rd"));
  // A batch's rows go in messages of kilobytes; the worker's other messages are small.
  proxy.ResetInsideMessage(Direction::kToServer, 0, 2000);
  LargeTransaction("rd", "cut mid-message");
  const json s = WaitStatus(id, 30s, [](const json& j) { return j.value("failovers", 0) >= 1; });
  CHECK(proxy.resets_done() >= 1);
  CHECK(Converges("rd"));
  CheckRetriedNotFailed(id, StatusOf(id));
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.rd_nokey WHERE v = 'cut mid-message'", "dw") == "500");
  CHECK(TimedStop(id) < 3.0);
}

TEST_CASE("a query's result set reset inside its row packet is a lost connection, never an empty result") {
  FaultProxy proxy(E().mysql.port(), Protocol::kMySql);
  auto conn = mysql::Connection::Connect({"127.0.0.1", proxy.port(), "root", MariaDbServer::kRootPassword});
  REQUIRE(conn.ok());
  // The row is the only message of 1000 bytes or more in the answer.
  proxy.ResetInsideMessage(Direction::kToClient, 0, 1000);
  auto result = conn->Query("SELECT REPEAT('x', 5000)");
  CHECK(proxy.resets_done() == 1);
  REQUIRE_FALSE(result.ok());
  MESSAGE(result.status().message());
  CHECK(result.status().code() == StatusCode::kUnavailable);
  CHECK(result.status().message().find("check that the server is running and reachable") != std::string::npos);
}
