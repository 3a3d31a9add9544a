#include "sink/maxcompute/mc_client.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "sink/maxcompute/mc_xml.hpp"

namespace dbsync::maxcompute {
namespace {

using std::chrono::milliseconds;

std::string EncodedTarget(const Call& call) {
  std::string target;
  // Names may hold any byte; the '/' between segments stays.
  for (size_t start = 0; start < call.resource.size();) {
    size_t slash = call.resource.find('/', start + 1);
    std::string_view segment = std::string_view(call.resource).substr(start + 1, slash - start - 1);
    target += "/" + PercentEncode(segment);
    start = slash == std::string::npos ? call.resource.size() : slash;
  }
  for (size_t i = 0; i < call.query.size(); ++i) {
    target += (i == 0 ? "?" : "&") + PercentEncode(call.query[i].first);
    if (!call.query[i].second.empty()) target += "=" + PercentEncode(call.query[i].second);
  }
  return target;
}

std::string Header(const net::HttpResponse& reply, const char* name) {
  auto it = reply.headers.find(name);
  return it == reply.headers.end() ? "" : it->second;
}

std::vector<TableColumn> ColumnsOf(const nlohmann::json& list) {
  std::vector<TableColumn> columns;
  if (!list.is_array()) return columns;
  for (const auto& c : list)
    columns.push_back({c.value("name", ""), c.value("type", ""), c.value("comment", ""), c.value("isNullable", true)});
  return columns;
}

}  // namespace

Result<TableInfo> ParseTableInfo(const std::string& xml, const std::string& table) {
  // A member of another type than the one read throws: a malformed reply, not a crash.
  try {
    auto schema = nlohmann::json::parse(XmlText(xml, "Schema").value_or(""), nullptr, false);
    if (!schema.is_object())
      return Status::Corruption("MaxCompute's description of table " + table + " is not the expected JSON");
    TableInfo info{.name = schema.value("tableName", table),
                   .columns = ColumnsOf(schema.value("columns", nlohmann::json())),
                   .partition_keys = ColumnsOf(schema.value("partitionKeys", nlohmann::json()))};
    auto reserved = nlohmann::json::parse(schema.value("Reserved", "{}"), nullptr, false);
    if (reserved.is_object()) {
      info.transactional = reserved.value("Transactional", "false") == "true";
      info.schema_version = reserved.value("schema_version", "");
      if (auto pk = reserved.find("PrimaryKey"); pk != reserved.end() && pk->is_array())
        for (const auto& name : *pk) info.primary_key.push_back(name.get<std::string>());
    }
    return info;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("MaxCompute's description of table " + table + " is not the expected JSON (" +
                              std::string(e.what()) + ")");
  }
}

Result<std::string> Deflate(std::string_view records, int level) {
  uLongf size = compressBound(uLong(records.size()));
  std::string out(size, '\0');
  // compress2 writes the zlib wrapper the tunnel expects, not raw DEFLATE.
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(records.data()),
                     uLong(records.size()), level);
  if (rc != Z_OK) return Status::Internal("zlib could not deflate a block (error " + std::to_string(rc) + ")");
  out.resize(size);
  return out;
}

SqlSettings DefaultSqlSettings() {
  return {{"odps.sql.type.system.odps2", "true"},
          {"odps.sql.decimal.odps2", "true"},
          {"odps.sql.allow.fullscan", "true"}};
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
  while (!options_.tunnel_endpoint.empty() && options_.tunnel_endpoint.back() == '/')
    options_.tunnel_endpoint.pop_back();
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
}

Result<net::HttpResponse> Client::SendOnce(const Call& call, std::chrono::system_clock::time_point* signed_at) const {
  std::string base = options_.endpoint;
  if (call.endpoint == Endpoint::kTunnel) {
    SYNC_ASSIGN_OR_RETURN(base, TunnelEndpoint());
  }
  Call with_project = call;
  with_project.query.emplace_back("curr_project", options_.project);
  std::string target = EncodedTarget(with_project);
  *signed_at = options_.clock();
  HeaderList headers = {{"Date", HttpDate(*signed_at)},
                        {"User-Agent", options_.user_agent},
                        {"x-odps-user-agent", options_.user_agent}};
  // The hex MD5 (as the Java SDK sends it, 1.2): the service checks the body with it.
  if (!call.body.empty()) headers.emplace_back("Content-MD5", HexMd5(call.body));
  headers.insert(headers.end(), call.headers.begin(), call.headers.end());
  headers.emplace_back("Authorization", AuthorizationV2(options_.key, CanonicalString(call.method, headers, target)));
  net::HttpRequest request;
  request.method = call.method;
  request.url = base + target;
  request.headers = std::move(headers);
  // A non-null view even when empty: curl then sends Content-Length: 0, as control calls must (3.1).
  request.body = call.body.data() ? call.body : std::string_view("", 0);
  request.follow_redirects = false;
  request.timeout_ms = options_.request_timeout_ms;
  request.tls = options_.tls;
  return net::HttpCall(request);
}

milliseconds Client::Backoff(int attempt) const {
  static thread_local std::mt19937 random(std::random_device{}());
  long long base = options_.retry.first_backoff.count() << std::min(attempt, 20);
  base = std::min<long long>(base, options_.retry.max_backoff.count());
  // Jitter spreads the retries of threads that failed together.
  return milliseconds(base / 2 + std::uniform_int_distribution<long long>(0, base / 2)(random));
}

Result<net::HttpResponse> Client::Exchange(const Call& call) const {
  int attempts = call.retry ? std::max(1, options_.retry.attempts) : 1;
  for (int attempt = 0;; ++attempt) {
    std::chrono::system_clock::time_point signed_at;
    auto reply = SendOnce(call, &signed_at);
    std::string failure;
    milliseconds wait = Backoff(attempt);
    if (!reply.ok()) {
      if (!reply.status().IsRetryable()) return reply.status().WithContext(call.what);
      failure = reply.status().message();
    } else if (reply->status >= 400) {
      ServiceError error = ParseServiceError(*reply);
      if (!IsTransient(error)) return reply;
      failure = "HTTP " + std::to_string(reply->status) + " " + error.code + " " + error.message;
      if (error.hold) wait = std::min(std::max(wait, *error.hold), milliseconds(10000) + wait);
    } else {
      return reply;
    }
    if (attempt + 1 >= attempts) {
      if (!reply.ok()) return reply.status().WithContext(call.what);
      return reply;
    }
    if (options_.log)
      options_.log("MaxCompute: " + call.what + " failed (" + failure + "), try " + std::to_string(attempt + 2) +
                   " of " + std::to_string(attempts) + " in " + std::to_string(wait.count()) + " ms");
    std::this_thread::sleep_for(wait);
  }
}

Status Client::Refusal(const Call& call, const net::HttpResponse& reply) const {
  // The service endpoint names the region a project lives in, also for a
  // tunnel call. The local clock is read again rather than kept from the
  // signing: it has moved by a request's time, and a skew is in minutes.
  ErrorContext context{.what = call.what,
                       .access_id = options_.key.id,
                       .project = options_.project,
                       .endpoint = options_.endpoint,
                       .signed_at = options_.clock(),
                       .server_date = Header(reply, "date")};
  return ServiceErrorStatus(ParseServiceError(reply), context);
}

Result<net::HttpResponse> Client::Send(const Call& call) const {
  SYNC_ASSIGN_OR_RETURN(auto reply, Exchange(call));
  if (reply.status >= 400) return Refusal(call, reply);
  return reply;
}

Call Client::TunnelCall(const std::string& method, const UploadTarget& target,
                        std::vector<std::pair<std::string, std::string>> query, std::string what,
                        const std::string& suffix) const {
  if (!target.partition.empty()) query.emplace_back("partition", target.partition);
  return Call{.endpoint = Endpoint::kTunnel,
              .method = method,
              .resource = "/projects/" + options_.project + "/tables/" + target.table + suffix,
              .query = std::move(query),
              .headers = {{"x-odps-tunnel-version", "6"}, {"odps-tunnel-date-transform", "v1"}},
              .what = std::move(what)};
}

Result<std::string> Client::TunnelEndpoint() const {
  std::lock_guard<std::mutex> lock(tunnel_mu_);
  if (!options_.tunnel_endpoint.empty()) return options_.tunnel_endpoint;
  if (!discovered_tunnel_.empty()) return discovered_tunnel_;
  Call call{.resource = "/projects/" + options_.project + "/tunnel",
            .query = {{"service", ""}},
            .what = "asking MaxCompute for the tunnel endpoint of project " + options_.project};
  SYNC_ASSIGN_OR_RETURN(auto reply, Send(call));
  std::string host = reply.body;
  while (!host.empty() && std::isspace(static_cast<unsigned char>(host.back()))) host.pop_back();
  if (host.empty() || host.find('/') != std::string::npos)
    return Status::FailedPrecondition(call.what + ": unexpected answer '" + host.substr(0, 100) +
                                      "'; set destination.tunnel_endpoint");
  // The answer is host[:port]; the scheme is the service endpoint's (1.1).
  discovered_tunnel_ = options_.endpoint.substr(0, options_.endpoint.find("://") + 3) + host;
  return discovered_tunnel_;
}

Result<std::optional<TableInfo>> Client::GetTable(const std::string& table) const {
  Call call{.resource = "/projects/" + options_.project + "/tables/" + table,
            .what = "reading the schema of MaxCompute table " + options_.project + "." + table};
  SYNC_ASSIGN_OR_RETURN(auto reply, Exchange(call));
  if (reply.status == 404 && ParseServiceError(reply).code == "NoSuchTable") return std::optional<TableInfo>();
  if (reply.status >= 400) return Refusal(call, reply);
  SYNC_ASSIGN_OR_RETURN(auto info, ParseTableInfo(reply.body, table));
  return std::optional<TableInfo>(std::move(info));
}

}  // namespace dbsync::maxcompute
