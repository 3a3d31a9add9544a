// Client::RunSql: SQL instances of the service endpoint (specs/maxcompute.md 2).

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_xml.hpp"

namespace dbsync::maxcompute {
namespace {

// A random UUID (version 4 form): the task's uuid property, and the job's
// Guid, which makes a re-sent submission return the first instance (2.1).
std::string RandomUuid() {
  // Drawn afresh each time: a generator seeded once would be copied into
  // every worker forked after its first use (sync start checks the
  // destination before it forks), and workers would send the same Guids, each
  // answered with the first one's instance.
  std::random_device random;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int digit = int(random() & 15u);
    if (i == 12) digit = 4;
    if (i == 16) digit = 8 | (digit & 3);
    out += kHex[digit];
  }
  return out;
}

std::string InstanceXml(const std::string& sql, const SqlSettings& settings) {
  nlohmann::json settings_json(settings);
  std::string query = sql;
  while (!query.empty() && std::isspace(static_cast<unsigned char>(query.back()))) query.pop_back();
  if (query.empty() || query.back() != ';') query += ';';
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Instance><Job><Priority>9</Priority><Guid>" + RandomUuid() +
         "</Guid><Tasks><SQL><Name>AnonymousSQLTask</Name><Config>"
         "<Property><Name>uuid</Name><Value>" + RandomUuid() + "</Value></Property>"
         "<Property><Name>settings</Name><Value>" + XmlEscape(settings_json.dump()) + "</Value></Property>"
         "</Config><Query>" + XmlCData(query) + "</Query></SQL></Tasks>"
         "<DAG><RunMode>Sequence</RunMode></DAG></Job></Instance>";
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Result<std::string> Client::RunSql(const std::string& sql, const SqlSettings& settings) const {
  SqlSettings merged = DefaultSqlSettings();
  for (const auto& [key, value] : settings) merged[key] = value;
  SYNC_ASSIGN_OR_RETURN(std::string instance_id, SubmitInstance(sql, merged));
  SYNC_RETURN_IF_ERROR(WaitForInstance(instance_id));
  bool succeeded = false;
  SYNC_ASSIGN_OR_RETURN(std::string text, InstanceResult(instance_id, &succeeded));
  if (!succeeded) return SqlErrorStatus(text, instance_id, sql);
  return text;
}

Result<std::string> Client::SubmitInstance(const std::string& sql, const SqlSettings& settings) const {
  std::string body = InstanceXml(sql, settings);
  Call call{.method = "POST",
            .resource = "/projects/" + options_.project + "/instances",
            .body = body,
            .headers = {{"Content-Type", "application/xml"}},
            .what = "submitting a SQL statement to MaxCompute"};
  SYNC_ASSIGN_OR_RETURN(auto reply, Send(call));
  auto location = reply.headers.find("location");
  // Every SDK takes the id from Location, after the last '/' (2.1).
  if (location == reply.headers.end() || location->second.find('/') == std::string::npos)
    return Status::FailedPrecondition(call.what + ": the reply (HTTP " + std::to_string(reply.status) +
                                      ") has no Location header naming the instance");
  return location->second.substr(location->second.rfind('/') + 1);
}

Status Client::WaitForInstance(const std::string& instance_id) const {
  Call call{.resource = "/projects/" + options_.project + "/instances/" + instance_id,
            .what = "polling MaxCompute SQL instance " + instance_id};
  auto deadline = std::chrono::steady_clock::now() + options_.sql_timeout;
  std::chrono::milliseconds wait = options_.poll_first;
  while (true) {
    SYNC_ASSIGN_OR_RETURN(auto reply, Send(call));
    if (XmlText(reply.body, "Status").value_or("") == "Terminated") return Status::Ok();
    if (std::chrono::steady_clock::now() + wait > deadline)
      return Status::Unavailable("MaxCompute SQL instance " + instance_id + " is still running after " +
                                 std::to_string(options_.sql_timeout.count()) + " s");
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, options_.poll_max);
  }
}

Result<std::string> Client::InstanceResult(const std::string& instance_id, bool* succeeded) const {
  Call call{.resource = "/projects/" + options_.project + "/instances/" + instance_id,
            .query = {{"taskstatus", ""}},
            .what = "reading the status of MaxCompute SQL instance " + instance_id};
  SYNC_ASSIGN_OR_RETURN(auto status_reply, Send(call));
  std::string task_status = XmlText(XmlElement(status_reply.body, "Task").value_or(""), "Status").value_or("");
  *succeeded = EqualsIgnoringCase(task_status, "Success");
  call.query = {{"result", ""}};
  call.what = "reading the result of MaxCompute SQL instance " + instance_id;
  SYNC_ASSIGN_OR_RETURN(auto result_reply, Send(call));
  std::string_view task = XmlElement(result_reply.body, "Task").value_or("");
  std::string text = XmlText(task, "Result").value_or("");
  if (XmlAttribute(task, "Result", "Transform").value_or("") == "Base64") {
    SYNC_ASSIGN_OR_RETURN(text, Base64Decode(text));
  }
  if (!*succeeded && text.empty()) text = "the task ended " + (task_status.empty() ? "without a status" : task_status);
  return text;
}

}  // namespace dbsync::maxcompute
