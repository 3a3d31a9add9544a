#include "sink/maxcompute/mc_checks.hpp"

#include <map>
#include <optional>

#include "check/source_checks.hpp"
#include "core/text_util.hpp"
#include "pipeline/table_binding.hpp"
#include "sink/maxcompute/mc_change_log.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_sink.hpp"
#include "sink/maxcompute/mc_state.hpp"
#include "sink/maxcompute/mc_time_zone.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/maxcompute/mc_xml.hpp"

namespace dbsync::maxcompute {
namespace {

using check::Verdict;

// What StateStore::Ensure creates; a selected table mapped to one of these
// names would be mixed up with the bookkeeping.
const char* const kBookkeepingTables[] = {"sync_state_checkpoints", "sync_state_chunks"};

// A check reports rather than perseveres: few retries, short waits, and a
// bound on the SQL the privileges item runs.
ClientOptions CheckClientOptions(const sink::CheckInput& in) {
  const auto& d = in.spec.destination;
  ClientOptions options;
  options.endpoint = d.endpoint;
  options.project = d.project;
  options.key = {d.access_id, in.secret};
  options.tunnel_endpoint = d.tunnel_endpoint;
  options.tls = d.tls;
  options.retry.attempts = 3;
  options.request_timeout_ms = 60000;
  options.sql_timeout = std::chrono::seconds(300);
  return options;
}

std::string EndpointFix() {
  return "check that destination.endpoint is the MaxCompute service endpoint of the project's region, with its "
         "/api path (e.g. https://service.cn-hangzhou.maxcompute.aliyun.com/api)";
}

bool IsClockSkew(const ServiceError& e) {
  return e.code.rfind("RequestTimeTooSkew", 0) == 0 || e.message.rfind("ODPS-0410031", 0) == 0;
}

// What to do about a refused GET /projects/{p}; the refusal's message already
// says what MaxCompute answered (and, for a skewed clock, by how much).
std::string RefusalFix(const ServiceError& e, const Status& refusal, const config::DestinationSpec& d) {
  if (IsClockSkew(e))
    return "synchronise this machine's clock with NTP (chrony, systemd-timesyncd): requests are signed with the "
           "local time and MaxCompute refuses them beyond 15 minutes off";
  switch (refusal.code()) {
    case StatusCode::kUnauthenticated:
      return "fix destination.access_id / destination.access_key (an AccessKey pair of an account that may use "
             "project " + d.project + ")";
    case StatusCode::kNotFound:
      return "fix destination.project, or destination.endpoint: a project is found only at the endpoint of its "
             "region";
    case StatusCode::kPermissionDenied:
      return "have the owner of project " + d.project + " add the AccessKey's account to it (ADD USER) and grant "
             "it List on the project";
    default:
      return EndpointFix();
  }
}

// GET /projects/{p}: the endpoint answers, accepts the AccessKey's signature
// and this machine's clock, and knows the project. The project's XML, or
// nullopt once the failure is reported.
std::optional<std::string> CheckConnect(const Client& client, const config::DestinationSpec& d,
                                        check::CheckReport& report) {
  Call call{.resource = "/projects/" + d.project, .what = "reading project " + d.project};
  if (Status scheme = EndpointTakesTls(d); !scheme.ok()) {
    report.Add("destination.tls", Verdict::kFail, scheme.message(), "use the https:// endpoint, or lower destination.tls.mode");
    return std::nullopt;
  }
  auto reply = client.Exchange(call);
  if (!reply.ok() && IsTlsFailure(reply.status().message())) {
    report.Add("destination.connect", Verdict::kFail, "the TLS handshake failed (see destination.tls)",
               "fix destination.tls or the endpoint's TLS setup");
    report.Add("destination.tls", Verdict::kFail, reply.status().message(),
               "fix destination.tls (mode, ca, cert, key) or use the endpoint's right host name, as the message says");
    return std::nullopt;
  }
  if (reply.ok()) check::AddTlsItem("destination.tls", reply->tls, d.tls, net::UrlHost(d.endpoint), "", report);
  if (!reply.ok()) {
    report.Add("destination.connect", Verdict::kFail, reply.status().message(),
               EndpointFix() + ", and that this host can reach it (proxy, firewall, an endpoint reachable only "
               "inside a VPC)");
    return std::nullopt;
  }
  if (reply->status >= 400) {
    Status refusal = client.Refusal(call, *reply);
    report.Add("destination.connect", Verdict::kFail, refusal.message(),
               RefusalFix(ParseServiceError(*reply), refusal, d));
    return std::nullopt;
  }
  if (!XmlElement(reply->body, "Project")) {
    report.Add("destination.connect", Verdict::kFail,
               d.endpoint + " answered HTTP " + std::to_string(reply->status) + " without a project: " +
                   reply->body.substr(0, 200),
               EndpointFix());
    return std::nullopt;
  }
  report.Add("destination.connect", Verdict::kPass,
             "MaxCompute at " + d.endpoint + " accepts AccessKey " + d.access_id + " and has project " + d.project);
  return std::move(reply->body);
}

// The value of the project property `name` (<Properties><Property><Name>..).
std::optional<std::string> ProjectProperty(std::string_view project_xml, std::string_view name) {
  std::string_view rest = project_xml;
  while (auto property = XmlElement(rest, "Property")) {
    if (XmlText(*property, "Name") == name) return XmlText(*property, "Value").value_or("");
    rest = rest.substr(property->data() + property->size() - rest.data());
  }
  return std::nullopt;
}

std::string TypeSystemNote(std::string_view project_xml) {
  auto odps2 = ProjectProperty(project_xml, "odps.sql.type.system.odps2");
  if (odps2 && ToLower(*odps2) == "true") return "types 2.0 (odps.sql.type.system.odps2=true)";
  return "types 1.0 by default (odps.sql.type.system.odps2=" + odps2.value_or("unset") +
         "), which is fine: sync sends odps.sql.type.system.odps2=true and odps.sql.decimal.odps2=true with every "
         "statement, so its tables get the 2.0 types (other jobs reading them need the same flags, or the "
         "project's default changed with setproject)";
}

// The project's type system and time zone. Types 1.0 are no obstacle; a
// project that is not AVAILABLE, or a zone this host cannot read, is.
void CheckProject(std::string_view project_xml, const config::DestinationSpec& d, check::CheckReport& report) {
  std::string state = XmlText(project_xml, "State").value_or("AVAILABLE");
  if (ToLower(state) != "available") {
    report.Add("destination.project", Verdict::kFail, "project " + d.project + " is " + state + ", not AVAILABLE",
               "use an available project in destination.project, or have its owner make it available again");
    return;
  }
  auto zone_property = ProjectProperty(project_xml, "odps.sql.timezone");
  std::string zone = zone_property.value_or(kDefaultZone);
  if (auto loaded = TimeZone::Load(zone); !loaded.ok()) {
    report.Add("destination.project", Verdict::kFail,
               "the project's time zone, in which DATETIME values are written, cannot be read here: " +
                   loaded.status().message(),
               "install the time zone database (package tzdata) on this host, or set the project's "
               "odps.sql.timezone to an IANA name, UTC or a fixed offset");
    return;
  }
  report.Add("destination.project", Verdict::kPass,
             "project " + d.project + ": " + TypeSystemNote(project_xml) + "; time zone " + zone +
                 (zone_property ? " (odps.sql.timezone)" : " (odps.sql.timezone unset: MaxCompute's default)") +
                 ", in which MySQL DATETIME values are written");
}

// Creating the bookkeeping tables (CREATE TABLE IF NOT EXISTS, as the worker
// does on start) proves the AccessKey may run SQL and create tables; tables
// it creates are its own, so it may write them.
void CheckPrivileges(const Client& client, const sink::CheckInput& in, check::CheckReport& report) {
  const auto& d = in.spec.destination;
  StateStore bookkeeping(client, in.spec.name);  // Ensure writes no row: the task id does not matter
  Status made = bookkeeping.Ensure();
  if (made.ok()) {
    report.Add("destination.privileges", Verdict::kPass,
               "AccessKey " + d.access_id + " may run SQL and create tables in project " + d.project +
                   " (the bookkeeping tables sync_state_checkpoints and sync_state_chunks exist)");
    return;
  }
  if (made.code() != StatusCode::kPermissionDenied) {
    report.Add("destination.privileges", Verdict::kFail,
               "cannot create the bookkeeping tables in project " + d.project + ": " + made.message(),
               "the worker runs the same statements when it starts; fix what the reason names");
    return;
  }
  report.Add("destination.privileges", Verdict::kFail,
             "AccessKey " + d.access_id + " may not create tables in project " + d.project + ": " + made.message(),
             "have the project owner grant it, e.g. GRANT CreateTable, CreateInstance, List ON PROJECT " + d.project +
                 " TO USER <the account of AccessKey " + d.access_id + ">; a tables[] mode: existing table also "
                 "needs Describe, Select and Update on it");
}

// Why `b` cannot become a MaxCompute table in its write mode, or nullopt
// when it can; *logs counts the change logs.
std::optional<std::string> TableProblem(const sink::TableBinding& b, const config::DestinationSpec& d, int* logs) {
  auto mode = WriteModeOf(b, d);
  if (!mode.ok()) return mode.status().message();
  if (Status name = CheckTableName(b.dest_table); !name.ok()) return b.SourceName() + ": " + name.message();
  if (*mode == WriteMode::kLog) {
    ++*logs;
    if (auto columns = MapLogColumns(b.source); !columns.ok()) return columns.status().message();
    return std::nullopt;
  }
  if (auto columns = MapColumns(b.source, b.key); !columns.ok()) return columns.status().message();
  return std::nullopt;
}

// Every selected table as MaxCompute would get it: a key, a name it accepts
// and not taken twice (names are case-insensitive), columns it can hold.
void CheckTables(const sink::CheckInput& in, check::CheckReport& report) {
  std::map<std::string, std::string> taken;  // lower-case destination name -> who has it
  for (const char* name : kBookkeepingTables) taken[name] = "sync's bookkeeping";
  std::vector<std::string> problems;
  int logs = 0, tables = 0;
  for (const auto& t : in.tables) {
    if (t.schema.columns.empty()) continue;  // unreadable: the source items said so
    sink::TableBinding b = pipeline::BindTable(in.spec, t.schema);
    ++tables;
    if (auto problem = TableProblem(b, in.spec.destination, &logs)) problems.push_back(*problem);
    auto [it, fresh] = taken.emplace(ToLower(b.dest_table), b.SourceName());
    if (!fresh)
      problems.push_back(b.SourceName() + " maps to MaxCompute table " + b.dest_table + ", as " + it->second +
                         " does; give it another name with mapping.table");
  }
  if (problems.empty()) {
    report.Add("destination.tables", Verdict::kPass,
               "every selected table maps to a MaxCompute table: " + std::to_string(tables - logs) +
                   " Delta table(s) (write_mode upsert), " + std::to_string(logs) + " change log(s) (write_mode log)");
    return;
  }
  report.Add("destination.tables", Verdict::kFail, Join(problems, "; "),
             "as each problem says: set tables[].primary_key (or write_mode: log) for a table without a usable "
             "key, rename with mapping.table, exclude a table with columns MaxCompute cannot hold");
}

}  // namespace

void CheckMaxCompute(const sink::CheckInput& in, check::CheckReport& report) {
  const auto& d = in.spec.destination;
  Client client(CheckClientOptions(in));
  auto project_xml = CheckConnect(client, d, report);
  if (!project_xml || in.scope == check::CheckScope::kConnectivity) return;
  CheckProject(*project_xml, d, report);
  CheckPrivileges(client, in, report);
  CheckTables(in, report);
}

}  // namespace dbsync::maxcompute
