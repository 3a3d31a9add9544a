// The MaxCompute client's pure parts (specs/maxcompute.md 1.5, 2.2, 3.2-3.5,
// 3.8): XML reading, error replies turned into a Status, upload session JSON.

#include <doctest/doctest.h>

#include "sink/maxcompute/mc_errors.hpp"
#include "sink/maxcompute/mc_upload.hpp"
#include "sink/maxcompute/mc_xml.hpp"

using namespace dbsync;
using namespace dbsync::maxcompute;

namespace {

net::HttpResponse Reply(long status, std::string body, std::map<std::string, std::string> headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

ErrorContext Context() {
  return {"doing it", "myId", "p1", "https://service.example.com/api", std::chrono::system_clock::now(), ""};
}

}  // namespace

TEST_SUITE("maxcompute client parts") {

TEST_CASE("MaxCompute XML: elements, CDATA, entities, attributes") {
  std::string xml =
      "<?xml version=\"1.0\"?><Instance><Status>Terminated</Status><Tasks><Task Type=\"SQL\">"
      "<Name>a &amp; b</Name><Histories/><Result Transform=\"Base64\" Format='text'><![CDATA[x</Result>]]]]>"
      "<![CDATA[>y]]></Result></Task></Tasks></Instance>";
  CHECK(XmlText(xml, "Status") == "Terminated");
  CHECK(XmlText(xml, "Name") == "a & b");
  CHECK(XmlText(xml, "Histories") == "");
  CHECK(XmlText(xml, "Result") == "x</Result>]]>y");
  CHECK(XmlAttribute(xml, "Result", "Transform") == "Base64");
  CHECK(XmlAttribute(xml, "Result", "Format") == "text");
  CHECK(XmlAttribute(xml, "Task", "Type") == "SQL");
  CHECK_FALSE(XmlText(xml, "Task2").has_value());
  CHECK_FALSE(XmlText(xml, "Tas").has_value());
  CHECK(XmlText("<a>" + XmlCData("1]]>2") + "</a>", "a") == "1]]>2");
  CHECK(XmlEscape("<\"&>") == "&lt;&quot;&amp;&gt;");
}

TEST_CASE("MaxCompute error replies of both endpoints are read") {
  auto rest = ParseServiceError(Reply(
      401, "<?xml version=\"1.0\"?><Error><Code>SignatureNotMatch</Code><Message><![CDATA[ODPS-0410042:Invalid "
           "signature value]]></Message><RequestId>R1</RequestId><HostId>h</HostId></Error>"));
  CHECK(rest.code == "SignatureNotMatch");
  CHECK(rest.message == "ODPS-0410042:Invalid signature value");
  CHECK(rest.request_id == "R1");
  CHECK_FALSE(rest.hold.has_value());

  auto tunnel = ParseServiceError(Reply(503, R"({"Code":"SlotExceeded","Message":"busy","HoldClientMillis":1500})",
                                        {{"x-odps-request-id", "R2"}}));
  CHECK(tunnel.code == "SlotExceeded");
  CHECK(tunnel.request_id == "R2");
  CHECK(tunnel.hold == std::chrono::milliseconds(1500));
  CHECK(IsTransient(tunnel));

  auto throttled = ParseServiceError(Reply(409, "<Error><Code>Conflict</Code></Error>", {{"retry-after", "3"}}));
  CHECK(throttled.hold == std::chrono::milliseconds(3000));
  CHECK(IsTransient(throttled));
  CHECK_FALSE(IsTransient(ParseServiceError(Reply(409, R"({"Code":"StatusConflict","Message":"closed"})"))));
  CHECK(ParseServiceError(Reply(502, "Bad Gateway")).message == "Bad Gateway");
}

TEST_CASE("MaxCompute refusals become a Status with the fix") {
  auto status = [](long http, const std::string& code, const std::string& message) {
    ServiceError e{http, code, message, "R", std::nullopt};
    return ServiceErrorStatus(e, Context());
  };
  Status unknown = status(401, "InvalidAccessKeyId", "ODPS-0410051:Invalid credentials");
  CHECK(unknown.code() == StatusCode::kUnauthenticated);
  CHECK(unknown.message().find("'myId'") != std::string::npos);
  CHECK(unknown.message().find("destination.access_id") != std::string::npos);
  CHECK(unknown.message().find("request id R") != std::string::npos);

  // The tunnel says Unauthorized and keeps the REST number in its message.
  Status skewed = status(401, "Unauthorized",
                         "ODPS-0410031:Authentication request expired - ... ,now_date:2000-01-01T00:00:00.000Z");
  CHECK(skewed.code() == StatusCode::kUnauthenticated);
  CHECK(skewed.message().find("ahead of MaxCompute's") != std::string::npos);
  CHECK(skewed.message().find("NTP") != std::string::npos);

  CHECK(status(404, "NoSuchProject", "x").code() == StatusCode::kNotFound);
  CHECK(status(404, "NoSuchProject", "x").message().find("destination.endpoint") != std::string::npos);
  CHECK(status(403, "NoPermission", "x").code() == StatusCode::kPermissionDenied);
  CHECK(status(400, "MalformedDataStream", "x").code() == StatusCode::kCorruption);
  CHECK(status(503, "", "x").code() == StatusCode::kUnavailable);
  CHECK(status(409, "StatusConflict", "x").code() == StatusCode::kFailedPrecondition);
  CHECK(status(404, "NoSuchUpload", "x").code() == StatusCode::kNotFound);
}

TEST_CASE("MaxCompute SQL failures keep the service's text and get a code") {
  CHECK(SqlErrorStatus("ODPS-0130131:[1,15] Table not found", "i1", "SELECT 1").code() == StatusCode::kNotFound);
  CHECK(SqlErrorStatus("ODPS-0130013:Authorization exception", "i1", "x").code() == StatusCode::kPermissionDenied);
  CHECK(SqlErrorStatus("ODPS-0110061:... Table or view already exists - p.t", "i", "x").code() ==
        StatusCode::kAlreadyExists);
  Status parse = SqlErrorStatus("ODPS-0130161:[1,8] Parse exception", "i9", "CREATE TABLES x");
  CHECK(parse.code() == StatusCode::kFailedPrecondition);
  CHECK(parse.message().find("instance i9") != std::string::npos);
  CHECK(parse.message().find("CREATE TABLES x") != std::string::npos);
}

TEST_CASE("MaxCompute upload session JSON and its block list") {
  auto s = ParseUploadSession(
      R"({"UploadID":"u1","Status":"NORMAL","IsOverwrite":true,"MaxFieldSize":8388608,
          "Schema":{"columns":[{"name":"id","type":"bigint","nullable":false},{"name":"v","type":"string"}],
                    "partitionKeys":[{"name":"ds","type":"string"}]},
          "UploadedBlockList":[{"BlockID":3,"RecordCount":5},{"BlockID":1,"RecordCount":2}]})",
      {"t", "ds=1"});
  REQUIRE(s.ok());
  CHECK(s->id == "u1");
  CHECK(s->IsOpen());
  CHECK(s->overwrite);
  CHECK(s->target.partition == "ds=1");
  REQUIRE(s->columns.size() == 2);
  CHECK_FALSE(s->columns[0].nullable);
  CHECK(s->partition_keys[0].name == "ds");
  REQUIRE(s->blocks.size() == 2);
  CHECK(s->blocks[0].id == 1);
  CHECK(BlockListDifference(*s, {1, 3}) == "");
  CHECK(BlockListDifference(*s, {1, 2}) == "blocks 2 are not on the tunnel; blocks 3 were not expected");
  CHECK_FALSE(ParseUploadSession("<html>", {"t", ""}).ok());
}

}  // TEST_SUITE
