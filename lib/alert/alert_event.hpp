#pragma once
// An alert event: something a person should hear of (man sync-task(5)
// ALERTS). The worker raises its own (DDL, refused rows) into the task's
// outbox (alert_outbox.hpp); the supervisor raises the others (status,
// failover, delay, heartbeat) and sends every event the rules ask for
// (alerter.hpp).
//
// The JSON of an event is what a command reads on stdin and what a json
// webhook receives; its fields are documented field by field in the man page
// and stay stable:
//   {"task": id, "task_name": name, "alert": kind, "severity": "critical" |
//    "warning" | "info", "at": ISO 8601 UTC, "message": text for a person,
//    "subject": what it is about (a table, a status; may be ""),
//    "details": {kind-specific}, "suppressed": repeats not sent since the
//    last one sent, "host": the machine, "run_id": the task's run}

#include <nlohmann/json.hpp>
#include <string>

namespace dbsync::alert {

struct AlertEvent {
  std::string kind;      // status | delay | failover | unsupported_ddl | ddl_notice | dirty_data | heartbeat
  std::string severity;  // critical | warning | info
  std::string message;
  std::string subject;
  nlohmann::json details = nlohmann::json::object();
  std::string at;  // ISO 8601 UTC; filled when raised if empty

  nlohmann::json ToJson() const;
  static AlertEvent FromJson(const nlohmann::json& j);
};

// The task the events are about, for payloads.
struct TaskIdentity {
  std::string id, name, run_id, host;
};

// The payload sent for `event` (the JSON above).
nlohmann::json Payload(const AlertEvent& event, const TaskIdentity& task, int suppressed);

// The body POSTed to a webhook of `format`: json (the payload), slack
// ({"text"}), dingtalk ({"msgtype":"text","text":{"content"}}) or lark
// ({"msg_type":"text","content":{"text"}}), the text being one line a
// person reads in a chat.
std::string WebhookBody(const std::string& format, const nlohmann::json& payload);

}  // namespace dbsync::alert
