// alerts[] end to end: a real task from MariaDB into PostgreSQL whose alert
// rules POST to a real HTTP server (tests/harness/http_receiver.py, which
// answers 500 to the first two requests of each path) and run commands.
// Failover, recovered, ddl_notice, delay, heartbeat, stopped, dirty_data,
// failed and unsupported_ddl each reach both a webhook and a command with
// the documented payload; failed attempts are retried, repeats are held back
// and counted, a command that fails or hangs is logged with why, a webhook's
// token never reaches the log, and receivers that are down or hang neither
// hold up a failover's restart nor keep `sync stop` waiting.

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "harness/http_receiver.hpp"
#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

PostgresAndHologresEnvironment& E() {
  static PostgresAndHologresEnvironment env;
  return env;
}

json Body(const json& request) { return json::parse(request.value("body", ""), nullptr, false); }

std::string Log(const std::string& id) { return E().cli.Run({"logs", "-n", "400", id}).out; }

// Waits until the task streams; on a timeout, says what its log and status say.
void RequireStreaming(const std::string& id) {
  REQUIRE_MESSAGE(E().cli.WaitStreaming(id), Log(id) << E().cli.Run({"status", id}).out);
}

// A command that appends each payload as a line of DIR/NAME.jsonl.
std::string Appender(const std::string& dir, const std::string& name) {
  const std::string file = dir + "/" + name + ".jsonl";
  return "cat >> " + file + "; echo >> " + file;
}

// The payloads the Appender of `name` got, waiting until there are `n` (at most `limit`).
std::vector<json> CommandGot(const std::string& dir, const std::string& name, size_t n,
                             std::chrono::seconds limit = 30s) {
  std::vector<json> got;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    got.clear();
    if (std::filesystem::exists(dir + "/" + name + ".jsonl")) {
      std::istringstream lines(ReadText(dir + "/" + name + ".jsonl"));
      for (std::string line; std::getline(lines, line);)
        if (!line.empty()) got.push_back(json::parse(line, nullptr, false));
    }
    if (got.size() >= n) break;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return got;
}

// The command's payload `i` is the webhook's: same kind, subject and time.
void CheckSame(const std::vector<json>& by_command, size_t i, const json& by_webhook) {
  REQUIRE_MESSAGE(by_command.size() > i, by_webhook.dump());
  CHECK(by_command[i]["alert"] == by_webhook["alert"]);
  CHECK(by_command[i]["subject"] == by_webhook["subject"]);
  CHECK(by_command[i]["task"] == by_webhook["task"]);
}

// A TCP port that accepts connections (the kernel's backlog) and never
// answers: a receiver that hangs.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("alerts: failover, recovered, ddl_notice, delay, heartbeat and stopped reach webhooks and a command") {
  HttpReceiver hooks(/*fail_first=*/2);
  const std::string dir = MakeTempDir("alerts");
  E().mysql.Exec("CREATE TABLE shop.al (id INT PRIMARY KEY, v INT)");
  E().mysql.Exec("INSERT INTO shop.al SELECT seq, seq FROM seq.seq_1_to_100");
  const std::string settings =
      "ddl: { add_column: alert }\n"
      "alerts:\n"
      "  - { on: failover, webhook: \"" + hooks.Url("/failover?access_token=s3cr3t-token") + "\", run: \"" +
      Appender(dir, "failover") + "\" }\n"
      "  - { on: status, webhook: \"" + hooks.Url("/status") + "\", webhook_format: dingtalk, run: \"" +
      Appender(dir, "status") + "\" }\n"
      "  - { on: ddl_notice, run: \"" + Appender(dir, "ddl") + "\", webhook: \"" + hooks.Url("/ddl") + "\" }\n"
      "  - { on: delay, over_seconds: 30, webhook: \"" + hooks.Url("/delay") + "\", webhook_format: slack, run: \"" +
      Appender(dir, "delay") + "\" }\n"
      "  - { on: heartbeat, over_seconds: 3, webhook: \"" + hooks.Url("/heartbeat") + "\", run: \"" +
      Appender(dir, "heartbeat") + "\" }\n";
  const std::string id = CreateAndStartTask(E().cli, "al.yaml", E().Yaml("al", "[shop.al]", settings, E().pg, "postgres", 7705));
  RequireStreaming(id);

  // failover: the worker killed; two 500s, then delivered at the third attempt.
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  auto failover = hooks.WaitDelivered("/failover", 1, 30s);
  REQUIRE_MESSAGE(failover.size() == 1, Log(id));
  json payload = Body(failover[0]);
  CHECK(payload["alert"] == "failover");
  CHECK(payload["task"] == id);
  CHECK(payload["task_name"] == "al");
  CHECK(payload["severity"] == "warning");
  CHECK(payload["message"].get<std::string>().find("killed by signal 9") != std::string::npos);
  CHECK(payload["details"]["reason"] == "killed by signal 9");
  CHECK(failover[0]["content_type"] == "application/json");
  for (const char* field : {"at", "subject", "suppressed", "host", "run_id"}) CHECK_MESSAGE(payload.contains(field), field);
  CHECK(hooks.Requests().size() >= 3);
  CheckSame(CommandGot(dir, "failover", 1), 0, payload);
  CHECK(CommandGot(dir, "failover", 1)[0]["details"]["reason"] == "killed by signal 9");

  // recovered: the restarted worker has reported for 10 s.
  auto recovered = hooks.WaitDelivered("/status", 1, 40s);
  REQUIRE_MESSAGE(recovered.size() == 1, Log(id));
  json dingtalk = Body(recovered[0]);
  CHECK(dingtalk["msgtype"] == "text");
  CHECK_MESSAGE(dingtalk["text"]["content"].get<std::string>().find("[sync info] task al (status): the task recovered") == 0,
                dingtalk.dump());
  {
    auto by_command = CommandGot(dir, "status", 1);
    REQUIRE(by_command.size() == 1);
    CHECK(by_command[0]["alert"] == "status");
    CHECK(by_command[0]["subject"] == "recovered");
  }

  // ddl_notice: the command reads the payload on its stdin; the column is added (alert applies as normal).
  E().mysql.Exec("ALTER TABLE shop.al ADD COLUMN w INT DEFAULT 7");
  auto notices = CommandGot(dir, "ddl", 1);
  REQUIRE_MESSAGE(notices.size() == 1, Log(id));
  json ddl = notices[0];
  CHECK(ddl["alert"] == "ddl_notice");
  CHECK(ddl["subject"] == "shop.al");
  CHECK(ddl["details"]["ddl"] == "add_column");
  auto ddl_hook = hooks.WaitDelivered("/ddl", 1, 30s);
  REQUIRE_MESSAGE(ddl_hook.size() == 1, Log(id));
  CHECK(Body(ddl_hook[0]) == ddl);
  CHECK(QueriesConverge(E().mysql, E().pg, {{"SELECT id, v, w FROM shop.al ORDER BY id", "SELECT id, v, w FROM shop.al ORDER BY id"}}));

  // delay: transactions stamped ten minutes ago keep the lag over 30 s for
  // four seconds; one alert, the repeats held back (min_interval_seconds).
  {
    auto session = E().mysql.Admin();
    REQUIRE(session.Execute("SET timestamp = UNIX_TIMESTAMP() - 600").ok());
    for (int i = 0; i < 40; ++i) {
      REQUIRE(session.Execute("INSERT INTO shop.al (id, v) VALUES (" + std::to_string(1000 + i) + ", 1)").ok());
      std::this_thread::sleep_for(100ms);
    }
  }
  auto delay = hooks.WaitDelivered("/delay", 1, 30s);
  REQUIRE_MESSAGE(delay.size() == 1, Log(id));
  json slack = Body(delay[0]);
  CHECK_MESSAGE(slack["text"].get<std::string>().find("[sync warning] task al (delay): the destination is") == 0,
                slack.dump());
  std::this_thread::sleep_for(5s);
  CHECK(hooks.WaitDelivered("/delay", 2, 1s).size() == 1);
  {
    auto by_command = CommandGot(dir, "delay", 1);
    CHECK(by_command.size() == 1);
    REQUIRE(!by_command.empty());
    CHECK(by_command[0]["alert"] == "delay");
    CHECK(by_command[0]["details"]["lag_seconds"].get<int>() > 30);
  }

  // heartbeat: a worker that stops reporting (SIGSTOP); none before.
  CHECK(hooks.WaitDelivered("/heartbeat", 1, 0s).empty());
  const int worker = WorkerPid(E().cli, id, 0);
  REQUIRE(worker > 0);
  ::kill(worker, SIGSTOP);
  auto heartbeat = hooks.WaitDelivered("/heartbeat", 1, 30s);
  ::kill(worker, SIGCONT);
  REQUIRE_MESSAGE(heartbeat.size() == 1, Log(id));
  CHECK(Body(heartbeat[0])["details"]["silent_seconds"].get<int>() > 3);
  CHECK(Body(heartbeat[0])["severity"] == "critical");
  CheckSame(CommandGot(dir, "heartbeat", 1), 0, Body(heartbeat[0]));

  // stopped, when sync stop ends the task.
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  auto stopped = hooks.WaitDelivered("/status", 2, 30s);
  REQUIRE(stopped.size() == 2);
  CHECK(Body(stopped[1])["text"]["content"].get<std::string>().find("(status): the task was stopped") !=
        std::string::npos);
  {
    auto by_command = CommandGot(dir, "status", 2);
    REQUIRE(by_command.size() == 2);
    CHECK(by_command[1]["subject"] == "stopped");
  }

  const std::string log = Log(id);
  CHECK_MESSAGE(log.find("alert failover (alerts[] at line ") != std::string::npos, log);
  CHECK_MESSAGE(log.find("sent to webhook " + hooks.Url("/...") + " at attempt 3") != std::string::npos, log);
  CHECK(log.find("alert ddl_notice (alerts[] at line ") != std::string::npos);
  CHECK(log.find("s3cr3t-token") == std::string::npos);
  RemoveTree(dir);
}

TEST_CASE("alerts: a row the destination refuses fails the task: dirty_data and failed are sent; failing and hung "
          "commands are logged with why") {
  HttpReceiver hooks(/*fail_first=*/2);
  const std::string dir = MakeTempDir("dirty");
  E().mysql.Exec("CREATE TABLE shop.dirty (id INT PRIMARY KEY, v INT)");
  E().mysql.Exec("INSERT INTO shop.dirty SELECT seq, seq FROM seq.seq_1_to_100");
  for (const std::string& sql : {std::string("CREATE SCHEMA IF NOT EXISTS shop AUTHORIZATION loader"),
                                 std::string("CREATE TABLE shop.dirty (id integer PRIMARY KEY, v integer CHECK (v < 1000))"),
                                 std::string("ALTER TABLE shop.dirty OWNER TO loader")})
    E().pg.Exec(sql, "dw");
  const std::string settings =
      "tables:\n  - { match: shop.dirty, mode: existing }\n"
      "alerts:\n"
      "  - { on: dirty_data, run: \"echo boom >&2; exit 3\", retries: 1 }\n"
      "  - { on: dirty_data, run: \"sleep 30\", timeout_seconds: 1, retries: 0 }\n"
      "  - { on: dirty_data, webhook: \"" + hooks.Url("/dirty") + "\", run: \"" + Appender(dir, "dirty") + "\" }\n"
      "  - { on: status, webhook: \"" + hooks.Url("/failed") + "\", run: \"" + Appender(dir, "failed") + "\" }\n";
  const std::string id =
      CreateAndStartTask(E().cli, "dirty.yaml", E().Yaml("dirty", "[shop.dirty]", settings, E().pg, "postgres", 7706));
  RequireStreaming(id);
  const auto started = std::chrono::steady_clock::now();
  E().mysql.Exec("INSERT INTO shop.dirty VALUES (101, 5000)");
  auto dirty = hooks.WaitDelivered("/dirty", 1, 40s);
  REQUIRE_MESSAGE(dirty.size() == 1, Log(id));
  json payload = Body(dirty[0]);
  CHECK(payload["alert"] == "dirty_data");
  CHECK(payload["severity"] == "critical");
  CHECK_MESSAGE(payload["message"].get<std::string>().find("check constraint") != std::string::npos, payload.dump());
  CheckSame(CommandGot(dir, "dirty", 1), 0, payload);
  auto failed = hooks.WaitDelivered("/failed", 1, 40s);
  REQUIRE_MESSAGE(failed.size() == 1, Log(id));
  json status = Body(failed[0]);
  CHECK(status["alert"] == "status");
  CHECK(status["subject"] == "failed");
  CHECK(status["severity"] == "critical");
  CHECK_MESSAGE(status["message"].get<std::string>().find("a restart cannot fix") != std::string::npos, status.dump());
  CheckSame(CommandGot(dir, "failed", 1), 0, status);
  // The hung command was killed at its timeout: everything arrived well before it would have ended.
  CHECK(std::chrono::steady_clock::now() - started < 28s);
  const std::string log = Log(id);
  CHECK_MESSAGE(log.find("not sent by command after 2 attempt(s): the alert command exited with status 3: boom") !=
                    std::string::npos, log);
  CHECK_MESSAGE(log.find("not sent by command after 1 attempt(s): the alert command did not finish within 1 s") !=
                    std::string::npos, log);
  CHECK(E().pg.Scalar("SELECT count(*) FROM shop.dirty", "dw") == "100");  // the refused batch left nothing
  RemoveTree(dir);
}

TEST_CASE("alerts: a DDL statement that stops the task is an unsupported_ddl alert naming it") {
  HttpReceiver hooks;
  const std::string dir = MakeTempDir("unsup");
  E().mysql.Exec("CREATE TABLE shop.unsup (id INT PRIMARY KEY, v INT, gone INT)");
  E().mysql.Exec("INSERT INTO shop.unsup SELECT seq, seq, seq FROM seq.seq_1_to_10");
  const std::string settings = "ddl: { drop_column: error }\nalerts:\n"
                               "  - { on: unsupported_ddl, webhook: \"" + hooks.Url("/ddl") + "\", run: \"" +
                               Appender(dir, "ddl") + "\" }\n";
  const std::string id =
      CreateAndStartTask(E().cli, "unsup.yaml", E().Yaml("unsup", "[shop.unsup]", settings, E().pg, "postgres", 7707));
  RequireStreaming(id);
  E().mysql.Exec("ALTER TABLE shop.unsup DROP COLUMN gone");
  auto ddl = hooks.WaitDelivered("/ddl", 1, 40s);
  REQUIRE_MESSAGE(ddl.size() == 1, Log(id));
  json payload = Body(ddl[0]);
  CHECK(payload["alert"] == "unsupported_ddl");
  CHECK(payload["severity"] == "critical");
  CHECK(payload["details"]["statement"].get<std::string>().find("DROP COLUMN gone") != std::string::npos);
  CHECK_MESSAGE(payload["message"].get<std::string>().find("ddl.drop_column is error: the task stops here") !=
                    std::string::npos, payload.dump());
  CheckSame(CommandGot(dir, "ddl", 1), 0, payload);
  CHECK(CommandGot(dir, "ddl", 1)[0]["details"] == payload["details"]);
  (void)E().cli.Run({"stop", id});
  RemoveTree(dir);
}

TEST_CASE("alerts: receivers that are down or hang neither hold up a failover's restart nor keep sync stop waiting") {
  SilentListener hanging;
  const int closed = FreePort();  // nothing listens: a receiver that is down
  const std::string hang_url = "http://127.0.0.1:" + std::to_string(hanging.port());
  const std::string down_url = "http://127.0.0.1:" + std::to_string(closed);
  E().mysql.Exec("CREATE TABLE shop.down (id INT PRIMARY KEY, v INT)");
  E().mysql.Exec("INSERT INTO shop.down SELECT seq, seq FROM seq.seq_1_to_10");
  // Each attempt may take 30 s and each is retried 3 times. The hanging
  // receiver comes first: while an attempt held the fork gate, the restart
  // waited for it.
  const std::string settings =
      "alerts:\n"
      "  - { on: failover, webhook: \"" + hang_url + "/f\", timeout_seconds: 30, retries: 3 }\n"
      "  - { on: failover, run: \"sleep 67.25\", timeout_seconds: 30, retries: 3 }\n"
      "  - { on: failover, webhook: \"" + down_url + "/f\", retries: 3 }\n"
      "  - { on: status, webhook: \"" + hang_url + "/s\", timeout_seconds: 30, retries: 3 }\n"
      "  - { on: status, run: \"sleep 67.25\", timeout_seconds: 30 }\n";
  const std::string id =
      CreateAndStartTask(E().cli, "down.yaml", E().Yaml("down", "[shop.down]", settings, E().pg, "postgres", 7708));
  RequireStreaming(id);
  const int pid = WorkerPid(E().cli, id, 0);
  REQUIRE(pid > 0);

  // A failover: the row written after the kill arrives as soon as a new
  // worker runs, while the three failover alerts are still being attempted.
  const auto killed = std::chrono::steady_clock::now();
  ::kill(pid, SIGKILL);
  E().mysql.Exec("INSERT INTO shop.down VALUES (11, 11)");
  REQUIRE_MESSAGE(QueriesConverge(E().mysql, E().pg, {{"SELECT id, v FROM shop.down ORDER BY id",
                                                       "SELECT id, v FROM shop.down ORDER BY id"}}, 60s),
                  Log(id));
  const auto restart = std::chrono::steady_clock::now() - killed;
  MESSAGE("a row written at the kill arrived after " << std::chrono::duration<double>(restart).count() << " s");
  CHECK(restart < 15s);

  // Changes keep flowing at their usual pace while the attempts hang.
  for (int i = 12; i < 22; ++i) {
    const auto written = std::chrono::steady_clock::now();
    E().mysql.Exec("INSERT INTO shop.down VALUES (" + std::to_string(i) + ", 1)");
    REQUIRE(QueriesConverge(E().mysql, E().pg, {{"SELECT count(*) FROM shop.down", "SELECT count(*) FROM shop.down"}},
                            30s));
    CHECK(std::chrono::steady_clock::now() - written < 5s);
  }

  // sync stop: the stopped alert gets its grace (5 s), then the attempts
  // still running are ended and what is left is given up, each logged.
  const auto stop_started = std::chrono::steady_clock::now();
  auto stop = E().cli.Run({"stop", id});
  const auto stop_took = std::chrono::steady_clock::now() - stop_started;
  CHECK_MESSAGE(stop.exit_code == 0, stop.out << stop.err);
  MESSAGE("sync stop took " << std::chrono::duration<double>(stop_took).count() << " s");
  CHECK(stop_took < 12s);
  const std::string log = Log(id);
  CHECK_MESSAGE(log.find("the task ended before the webhook http://127.0.0.1:" + std::to_string(hanging.port()) +
                         "/... answered") != std::string::npos, log);
  CHECK_MESSAGE(log.find("the task ended before the alert command finished") != std::string::npos, log);
  CHECK_MESSAGE(log.find("could not be reached") != std::string::npos, log);
  // The commands' process groups were killed with them.
  CHECK(RunProcess({"pgrep", "-f", "sleep 67.25"}).exit_code != 0);
  CHECK(QueriesConverge(E().mysql, E().pg, {{"SELECT id, v FROM shop.down ORDER BY id",
                                             "SELECT id, v FROM shop.down ORDER BY id"}}));
}
