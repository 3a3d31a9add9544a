#include "alert/alert_event.hpp"

#include "state/task_store.hpp"

namespace dbsync::alert {

using nlohmann::json;

json AlertEvent::ToJson() const {
  return {{"kind", kind}, {"severity", severity}, {"message", message}, {"subject", subject}, {"details", details},
          {"at", at}};
}

AlertEvent AlertEvent::FromJson(const json& j) {
  AlertEvent e;
  e.kind = j.value("kind", "");
  e.severity = j.value("severity", "warning");
  e.message = j.value("message", "");
  e.subject = j.value("subject", "");
  if (j.contains("details") && j["details"].is_object()) e.details = j["details"];
  e.at = j.value("at", "");
  return e;
}

json Payload(const AlertEvent& event, const TaskIdentity& task, int suppressed) {
  return {{"task", task.id},
          {"task_name", task.name},
          {"alert", event.kind},
          {"severity", event.severity},
          {"at", event.at.empty() ? state::NowIso8601() : event.at},
          {"message", event.message},
          {"subject", event.subject},
          {"details", event.details},
          {"suppressed", suppressed},
          {"host", task.host},
          {"run_id", task.run_id}};
}

std::string WebhookBody(const std::string& format, const json& payload) {
  if (format == "json") return payload.dump();
  std::string text = "[sync " + payload.value("severity", "") + "] task " + payload.value("task_name", "") + " (" +
                     payload.value("alert", "") + "): " + payload.value("message", "");
  if (int n = payload.value("suppressed", 0); n > 0) text += " (" + std::to_string(n) + " more like it not sent)";
  if (format == "slack") return json{{"text", text}}.dump();
  if (format == "dingtalk") return json{{"msgtype", "text"}, {"text", {{"content", text}}}}.dump();
  return json{{"msg_type", "text"}, {"content", {{"text", text}}}}.dump();  // lark
}

}  // namespace dbsync::alert
