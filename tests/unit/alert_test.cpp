// The pieces of alert delivery that need no task: payloads and chat bodies,
// the outbox's torn lines, a command's stdin, exit status and timeout, and
// the Alerter's hold-back of repeats.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "alert/alert_delivery.hpp"
#include "alert/alert_outbox.hpp"
#include "alert/alerter.hpp"

using namespace dbsync;
using namespace dbsync::alert;
using nlohmann::json;

namespace {

std::string TempDir() {
  char dir[] = "/tmp/alert-test-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  return dir;
}

}  // namespace

TEST_SUITE("alert") {
  TEST_CASE("payloads carry the documented fields; chat formats put one line of text where each service reads it") {
    AlertEvent e{"failover", "warning", "the worker died", "", {{"reason", "x"}}, "2026-12-07T00:00:00Z"};
    json p = Payload(e, {"t1", "orders", "r1", "h"}, 2);
    for (const char* f : {"task", "task_name", "alert", "severity", "at", "message", "subject", "details", "suppressed",
                          "host", "run_id"})
      CHECK_MESSAGE(p.contains(f), f);
    CHECK(json::parse(WebhookBody("json", p)) == p);
    const std::string line = "[sync warning] task orders (failover): the worker died (2 more like it not sent)";
    CHECK(json::parse(WebhookBody("slack", p))["text"] == line);
    CHECK(json::parse(WebhookBody("dingtalk", p))["text"]["content"] == line);
    CHECK(json::parse(WebhookBody("lark", p))["content"]["text"] == line);
    CHECK(json::parse(WebhookBody("lark", p))["msg_type"] == "text");
  }

  TEST_CASE("the outbox reader starts at the end, reads whole lines only, and follows a rename") {
    const std::string dir = TempDir(), path = dir + "/alerts.jsonl";
    REQUIRE(Raise(path, {"ddl_notice", "warning", "old", "", {}, ""}).ok());
    OutboxReader reader(path);
    CHECK(reader.ReadNew().empty());  // raised before the reader started
    REQUIRE(Raise(path, {"ddl_notice", "warning", "one", "", {}, ""}).ok());
    {
      std::ofstream torn(path, std::ios::app);
      torn << "{\"kind\":\"dirty_data\",\"mess";
    }
    auto got = reader.ReadNew();
    REQUIRE(got.size() == 1);
    CHECK(got[0].message == "one");
    CHECK(!got[0].at.empty());
    {
      std::ofstream rest(path, std::ios::app);
      rest << "age\":\"two\"}\n";
    }
    got = reader.ReadNew();
    REQUIRE(got.size() == 1);
    CHECK(got[0].kind == "dirty_data");
    CHECK(got[0].message == "two");
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a command gets the payload on stdin; its exit status, output and timeout are reported") {
    const std::string dir = TempDir();
    CHECK(RunCommand("cat > " + dir + "/in; test \"$SYNC_ALERT\" = failover", "{\"a\":1}", {"SYNC_ALERT=failover"}, 5).ok());
    std::ifstream in(dir + "/in");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "{\"a\":1}");
    Status failed = RunCommand("echo no such pager >&2; exit 4", "{}", {}, 5);
    CHECK(failed.message() == "the alert command exited with status 4: no such pager");
    const auto started = std::chrono::steady_clock::now();
    Status hung = RunCommand("sleep 30 & sleep 30", "{}", {}, 1);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));  // the group was killed
    CHECK(hung.message().find("did not finish within 1 s") != std::string::npos);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a webhook's URL is shown by scheme and host only") {
    CHECK(UrlForDisplay("https://oapi.dingtalk.com/robot/send?access_token=abc") == "https://oapi.dingtalk.com/...");
    CHECK(UrlForDisplay("https://hooks.slack.com/services/T0/B0/secret") == "https://hooks.slack.com/...");
    CHECK(UrlForDisplay("http://127.0.0.1:8080") == "http://127.0.0.1:8080");
    Status refused = PostWebhook("http://127.0.0.1:1/hook?token=secret", "{}", 2);
    CHECK(!refused.ok());
    CHECK(refused.message().find("secret") == std::string::npos);
  }

  TEST_CASE("repeats within min_interval_seconds are held back and counted in the next alert sent") {
    const std::string dir = TempDir();
    const std::string log_path = dir + "/log";
    Logger log(log_path);
    config::AlertSpec rule;
    rule.on = "delay";
    rule.over_seconds = 10;
    rule.run = "cat >> " + dir + "/sent; echo >> " + dir + "/sent";
    rule.min_interval_seconds = 1;
    {
      Alerter alerter({rule}, {"t", "n", "r", "h"}, log);
      AlertEvent under{"delay", "warning", "lag", "", {{"lag_seconds", 5}}, ""};
      AlertEvent over{"delay", "warning", "lag", "", {{"lag_seconds", 50}}, ""};
      alerter.Offer(under);  // below the threshold: not even counted
      alerter.Offer(over);
      alerter.Offer(over);
      alerter.Offer(over);
      alerter.Drain(std::chrono::seconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(1100));
      alerter.Offer(over);
    }
    std::ifstream in(dir + "/sent");
    std::vector<json> sent;
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) sent.push_back(json::parse(line));
    REQUIRE(sent.size() == 2);
    CHECK(sent[0]["suppressed"] == 0);
    CHECK(sent[1]["suppressed"] == 2);
    std::filesystem::remove_all(dir);
  }
}
