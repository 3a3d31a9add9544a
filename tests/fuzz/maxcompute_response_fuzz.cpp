// Fuzz target for what the MaxCompute sink reads from the service and the
// Table Tunnel (specs/maxcompute.md 1-3): the first input byte picks the
// reader, the rest is the reply.
//   0  XML replies read by element and attribute (mc_xml: Instance, Task,
//      Result, Project properties, Error)
//   1  an error reply of either endpoint (ParseServiceError: XML, JSON or
//      text; the first lines "Name: value" up to an empty line are headers)
//      and the Status made of it; a SQL task's failure text (SqlErrorStatus)
//   2  a table description (ParseTableInfo: JSON inside <Schema>)
//   3  an upload session (ParseUploadSession: the tunnel's JSON)
//   4  a SELECT's CSV result (ParseCsvResult)
//   5  a Date header, percent-encoding, Base64 (a Result with Transform="Base64")
//   6  TZif bytes (TimeZone::FromTzif: odps.sql.timezone's zone file)
// Malformed input must only ever produce a Status or a value: any crash (an
// exception escaping included), hang or sanitizer report is a bug.
//
// Built with libFuzzer under clang, and with fuzz_replay_main.cpp (seeds plus
// time-bounded random mutations) under any compiler, for ctest.

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_client.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_errors.hpp"
#include "sink/maxcompute/mc_signature.hpp"
#include "sink/maxcompute/mc_state.hpp"
#include "sink/maxcompute/mc_time_zone.hpp"
#include "sink/maxcompute/mc_upload.hpp"
#include "sink/maxcompute/mc_xml.hpp"

using namespace dbsync;
using namespace dbsync::maxcompute;

namespace {

void ReadXml(std::string_view xml) {
  static const char* kElements[] = {"Instance", "Status", "Task",  "Result", "Code",    "Message", "RequestId",
                                    "Project",  "State",  "Name",  "Value",  "Schema",  "Tasks",   "Error"};
  for (const char* name : kElements) {
    (void)XmlElement(xml, name);
    (void)XmlText(xml, name);
    (void)XmlAttribute(xml, name, "Transform");
    (void)XmlAttribute(xml, name, "Name");
  }
  // mc_sql's reading of an instance's result and mc_checks' of properties.
  std::string_view task = XmlElement(xml, "Task").value_or("");
  (void)XmlText(task, "Status");
  (void)XmlText(task, "Result");
  (void)XmlAttribute(task, "Result", "Transform");
  // As ProjectProperty walks them (no bound: a walk that never ends is a hang).
  std::string_view rest = xml;
  while (auto property = XmlElement(rest, "Property")) {
    (void)XmlText(*property, "Name");
    (void)XmlText(*property, "Value");
    rest = rest.substr(size_t(property->data() + property->size() - rest.data()));
  }
}

void ReadServiceError(std::string_view input) {
  net::HttpResponse reply;
  reply.status = 400;
  if (!input.empty()) {
    reply.status = 400 + long(uint8_t(input[0])) % 200;  // 400..599
    input.remove_prefix(1);
  }
  while (!input.empty()) {
    size_t end = input.find('\n');
    std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    reply.headers[name] = std::string(value);
  }
  reply.body = std::string(input);
  ServiceError error = ParseServiceError(reply);
  (void)IsTransient(error);
  ErrorContext context;
  context.what = "creating an upload session for table t1";
  context.access_id = "LTAIfuzz";
  context.project = "p1";
  context.endpoint = "http://127.0.0.1:1/api";
  context.signed_at = std::chrono::system_clock::time_point(std::chrono::seconds(1704067200));
  auto date = reply.headers.find("date");
  if (date != reply.headers.end()) context.server_date = date->second;
  (void)ServiceErrorStatus(error, context);
  (void)SqlErrorStatus(reply.body, "20240101000000000g1", "SELECT 1;");
}

void ReadTimeZone(std::string_view tzif) {
  auto zone = TimeZone::FromTzif("Fuzz/Zone", tzif);
  if (!zone.ok()) return;
  for (int64_t t : {int64_t(-2208988800), int64_t(0), int64_t(1704067200), int64_t(4102444800),
                    int64_t(1) << 40, -(int64_t(1) << 40)}) {
    (void)zone->OffsetAt(t);
    (void)zone->LocalToUtc(t);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0:
      ReadXml(input);
      break;
    case 1:
      ReadServiceError(input);
      break;
    case 2:
      (void)ParseTableInfo(std::string(input), "t1");
      break;
    case 3:
      (void)ParseUploadSession(std::string(input), UploadTarget{"t1", "ds=20240101"});
      break;
    case 4:
      (void)ParseCsvResult(std::string(input));
      break;
    case 5:
      (void)ParseHttpDate(input);
      (void)PercentDecode(input);
      (void)Base64Decode(input);
      break;
    case 6:
      ReadTimeZone(input);
      break;
  }
  return 0;
}
