// The MaxCompute client (lib/sink/maxcompute/mc_client.hpp) against the
// MaxCompute emulator (tests/emulators/maxcompute/), which verifies every
// signature and answers as the service does: SQL instances, table metadata,
// errors a person can act on, batch upload sessions with raw and deflated
// blocks, a session resumed after the emulator was killed, commits retried.
// Block bodies are the emulator's reference vectors (fixtures/vectors.txt).

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/maxcompute_emulator.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_upsert.hpp"

using namespace dbsync;
using namespace dbsync::maxcompute;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kReadOnlyId = "roAccessId";
constexpr const char* kReadOnlyKey = "roAccessKeySecret";

MaxComputeEmulator& Emulator() {
  // p1 has types 2.0; legacy has 1.0, where 2.0 types need the session flags.
  static MaxComputeEmulator emulator(
      {"--project", "p1", "--project", "legacy:1", "--ro-access-id", kReadOnlyId, "--ro-access-key", kReadOnlyKey});
  return emulator;
}

Client NewClient(const std::string& project = "p1") { return Client(Emulator().ClientOptions(project)); }

// The bytes of a named vector of fixtures/vectors.txt ("## <name>" then "bytes (N): hex ...").
std::string VectorBytes(const std::string& name) {
  std::ifstream in(SYNC_SOURCE_DIR "/tests/emulators/maxcompute/fixtures/vectors.txt");
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line == "## " + name) found = true;
    if (found && line.rfind("bytes (", 0) == 0) {
      std::istringstream hex(line.substr(line.find(':') + 1));
      std::string out, byte;
      while (hex >> byte) out.push_back(char(std::stoi(byte, nullptr, 16)));
      return out;
    }
  }
  FAIL("no vector named " << name);
  return "";
}

// Two records (1,'abc') and (2,NULL) of a table (id BIGINT, name STRING).
std::string TwoRows() { return VectorBytes("two rows bigint,string"); }

// Of a Delta table (id BIGINT, val STRING): UPSERT(1,'a') then DELETE(1),
// with the hidden columns of an upsert session; key 1 is in bucket 3 of 16.
std::string UpsertThenDelete() {
  return VectorBytes("UPSERT session block: row1 UPSERT(id=1,val='a'), row2 DELETE(id=1)");
}

std::string Sql(const Client& client, const std::string& sql) {
  auto result = client.RunSql(sql);
  REQUIRE_MESSAGE(result.ok(), result.status().message());
  return *result;
}

void CreateTwoColumnTable(const std::string& table, const std::string& extra = "") {
  Sql(NewClient(), "CREATE TABLE " + table + " (id BIGINT, name STRING)" + extra);
}

// A Delta table holding (1,'old') and (2,'kept').
void CreateDeltaTable(const std::string& table) {
  Sql(NewClient(), "CREATE TABLE " + table +
                       " (id BIGINT NOT NULL, val STRING, PRIMARY KEY (id)) "
                       "TBLPROPERTIES ('transactional'='true')");
  Sql(NewClient(), "INSERT INTO " + table + " VALUES (1, 'old'), (2, 'kept')");
}

std::string Count(const std::string& table, const std::string& where = "") {
  return Sql(NewClient(), "SELECT count(*) AS n FROM " + table + where);
}

json Rows(const std::string& table) { return json::parse(Emulator().Get("/__emulator/tables/p1/" + table))["rows"]; }

template <typename T>
T Ok(Result<T> result) {
  REQUIRE_MESSAGE(result.ok(), result.status().message());
  return std::move(result).value();
}

void RequireOk(const Status& status) { REQUIRE_MESSAGE(status.ok(), status.message()); }

}  // namespace

TEST_CASE("MaxCompute RunSql creates a table with 2.0 types and GetTable reads it back") {
  Client client = NewClient();
  Sql(client,
      "CREATE TABLE typed (id BIGINT NOT NULL, t TINYINT, s SMALLINT, i INT, f FLOAT, d DECIMAL(10,2), "
      "v VARCHAR(20), c CHAR(5), dt DATETIME, ts TIMESTAMP, day DATE, b BOOLEAN, bin BINARY, str STRING "
      "COMMENT 'free text') PARTITIONED BY (ds STRING)");
  auto table = Ok(client.GetTable("typed"));
  REQUIRE(table.has_value());
  std::vector<std::string> types;
  for (const auto& c : table->columns) types.push_back(c.name + " " + c.type);
  CHECK(types == std::vector<std::string>{"id bigint", "t tinyint", "s smallint", "i int", "f float", "d decimal(10,2)",
                                          "v varchar(20)", "c char(5)", "dt datetime", "ts timestamp", "day date",
                                          "b boolean", "bin binary", "str string"});
  CHECK_FALSE(table->columns[0].nullable);
  CHECK(table->columns[1].nullable);
  CHECK(table->columns.back().comment == "free text");
  REQUIRE(table->partition_keys.size() == 1);
  CHECK(table->partition_keys[0].name == "ds");
  CHECK_FALSE(table->transactional);

  CHECK(Sql(client, "SELECT 1 + 2 AS three, 'x' AS s;") == "\"three\",\"s\"\n3,\"x\"\n");
  CHECK_FALSE(Ok(client.GetTable("no_such_table")).has_value());
}

TEST_CASE("MaxCompute RunSql sends the 2.0 type flags, which a 1.0 project needs") {
  Client legacy = NewClient("legacy");
  Sql(legacy, "CREATE TABLE small_types (t TINYINT, v VARCHAR(10))");
  auto refused = legacy.RunSql("CREATE TABLE refused_types (t TINYINT)", {{"odps.sql.type.system.odps2", "false"}});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("ODPS-01") != std::string::npos);
}

TEST_CASE("MaxCompute RunSql: a Delta table's key and properties") {
  Client client = NewClient();
  Sql(client,
      "CREATE TABLE delta1 (id BIGINT NOT NULL, v STRING, PRIMARY KEY (id)) "
      "TBLPROPERTIES ('transactional'='true')");
  auto table = Ok(client.GetTable("delta1"));
  REQUIRE(table.has_value());
  CHECK(table->transactional);
  CHECK(table->primary_key == std::vector<std::string>{"id"});
}

TEST_CASE("MaxCompute RunSql reports a failing statement with the service's message") {
  Client client = NewClient();
  auto missing = client.RunSql("SELECT * FROM no_such_table");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message().find("ODPS-0130131") != std::string::npos);
  CHECK(missing.status().message().find("SELECT * FROM no_such_table") != std::string::npos);

  Sql(client, "CREATE TABLE twice (a BIGINT)");
  auto again = client.RunSql("CREATE TABLE twice (a BIGINT)");
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == StatusCode::kAlreadyExists);
  CHECK(again.status().message().find("already exists") != std::string::npos);

  auto garbled = client.RunSql("CREATE TABLES oops");
  REQUIRE_FALSE(garbled.ok());
  CHECK(garbled.status().code() == StatusCode::kFailedPrecondition);
  CHECK(garbled.status().message().find("ODPS-01") != std::string::npos);
}

TEST_CASE("MaxCompute a wrong AccessKey is Unauthenticated and says which setting to fix") {
  ClientOptions options = Emulator().ClientOptions();
  SUBCASE("wrong secret, service endpoint") {
    options.key.secret = "notTheSecret";
    auto r = Client(options).RunSql("SELECT 1");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnauthenticated);
    CHECK(r.status().message().find("SignatureNotMatch") != std::string::npos);
    CHECK(r.status().message().find("destination.access_key") != std::string::npos);
    CHECK(r.status().message().find("notTheSecret") == std::string::npos);
  }
  SUBCASE("wrong secret, tunnel") {
    options.key.secret = "notTheSecret";
    options.tunnel_endpoint = Emulator().tunnel_endpoint();
    auto r = Client(options).CreateUploadSession({"any_table", ""});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnauthenticated);
    CHECK(r.status().message().find("destination.access_key") != std::string::npos);
    CHECK(r.status().message().find("notTheSecret") == std::string::npos);
  }
  SUBCASE("unknown AccessKey ID") {
    options.key.id = "nobody";
    auto r = Client(options).GetTable("t");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnauthenticated);
    CHECK(r.status().message().find("ODPS-0410051") != std::string::npos);
    CHECK(r.status().message().find("'nobody'") != std::string::npos);
    CHECK(r.status().message().find("destination.access_id") != std::string::npos);
    CHECK(r.status().message().find(MaxComputeEmulator::kAccessKey) == std::string::npos);
  }
}

TEST_CASE("MaxCompute a skewed local clock is named with its offset and the NTP fix") {
  ClientOptions options = Emulator().ClientOptions();
  SUBCASE("20 minutes ahead") {
    options.clock = [] { return std::chrono::system_clock::now() + 20min; };
    auto r = Client(options).RunSql("SELECT 1");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnauthenticated);
    CHECK(r.status().message().find("ODPS-0410031") != std::string::npos);
    CHECK(r.status().message().find("ahead of MaxCompute's by 20 min") != std::string::npos);
    CHECK(r.status().message().find("NTP") != std::string::npos);
  }
  SUBCASE("20 minutes behind, on the tunnel") {
    options.clock = [] { return std::chrono::system_clock::now() - 20min; };
    options.tunnel_endpoint = Emulator().tunnel_endpoint();
    auto r = Client(options).CreateUploadSession({"any_table", ""});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnauthenticated);
    CHECK(r.status().message().find("behind MaxCompute's by 20 min") != std::string::npos);
  }
  SUBCASE("14 minutes is within what the service allows") {
    options.clock = [] { return std::chrono::system_clock::now() + 14min; };
    CHECK(Client(options).RunSql("SELECT 1").ok());
  }
}

TEST_CASE("MaxCompute an unknown project and a missing privilege say what to do") {
  auto nowhere = NewClient("no_such_project").RunSql("SELECT 1");
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.status().code() == StatusCode::kNotFound);
  CHECK(nowhere.status().message().find("destination.project") != std::string::npos);

  CreateTwoColumnTable("guarded");
  ClientOptions options = Emulator().ClientOptions();
  options.key = {kReadOnlyId, kReadOnlyKey};
  Client reader(options);
  auto session = reader.CreateUploadSession({"guarded", ""});
  REQUIRE_FALSE(session.ok());
  CHECK(session.status().code() == StatusCode::kPermissionDenied);
  CHECK(session.status().message().find("NoPermission") != std::string::npos);
  CHECK(session.status().message().find("grant") != std::string::npos);
  auto ddl = reader.RunSql("DROP TABLE guarded");
  REQUIRE_FALSE(ddl.ok());
  CHECK(ddl.status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("MaxCompute the tunnel endpoint is discovered from the service") {
  CHECK(Ok(NewClient().TunnelEndpoint()) == Emulator().tunnel_endpoint());
}

TEST_CASE("MaxCompute batch upload: raw and deflated blocks, visible at once on commit") {
  CreateTwoColumnTable("batch1");
  Client client = NewClient();
  UploadSession session = Ok(client.CreateUploadSession({"batch1", ""}));
  CHECK(session.IsOpen());
  REQUIRE(session.columns.size() == 2);
  CHECK(session.columns[1].name == "name");
  CHECK(session.columns[1].type == "string");
  RequireOk(client.UploadBlock(session, 0, TwoRows(), false));
  RequireOk(client.UploadBlock(session, 7, TwoRows(), true));

  UploadSession reloaded = Ok(client.GetUploadSession({"batch1", ""}, session.id));
  REQUIRE(reloaded.blocks.size() == 2);
  CHECK(reloaded.blocks[1].id == 7);
  CHECK(reloaded.blocks[1].record_count == 2);
  CHECK(Count("batch1") == "\"n\"\n0\n");

  CHECK(Ok(client.CommitUploadSession(session, {0, 7})) == CommitOutcome::kCommitted);
  CHECK(Count("batch1") == "\"n\"\n4\n");
  CHECK(Count("batch1", " WHERE name IS NULL") == "\"n\"\n2\n");
  CHECK(Rows("batch1")[0] == json{{"id", 1}, {"name", "abc"}});
}

TEST_CASE("MaxCompute batch upload into a new partition, then overwriting it") {
  CreateTwoColumnTable("parted", " PARTITIONED BY (ds STRING)");
  Client client = NewClient();
  UploadTarget day{"parted", "ds=20240101"};
  auto missing = client.CreateUploadSession(day);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message().find("NoSuchPartition") != std::string::npos);

  UploadSession first = Ok(client.CreateUploadSession(day, {.create_partition = true}));
  RequireOk(client.UploadBlock(first, 0, TwoRows(), true));
  RequireOk(client.UploadBlock(first, 1, TwoRows(), false));
  CHECK(Ok(client.CommitUploadSession(first, {0, 1})) == CommitOutcome::kCommitted);
  CHECK(Count("parted", " WHERE ds = '20240101'") == "\"n\"\n4\n");

  UploadSession replace = Ok(client.CreateUploadSession(day, {.overwrite = true}));
  CHECK(replace.overwrite);
  RequireOk(client.UploadBlock(replace, 0, TwoRows(), false));
  CHECK(Ok(client.CommitUploadSession(replace, {0})) == CommitOutcome::kCommitted);
  CHECK(Count("parted", " WHERE ds = '20240101'") == "\"n\"\n2\n");
}

TEST_CASE("MaxCompute a commit checks the block list first") {
  CreateTwoColumnTable("blocklist");
  Client client = NewClient();
  UploadSession session = Ok(client.CreateUploadSession({"blocklist", ""}));
  RequireOk(client.UploadBlock(session, 0, TwoRows(), false));
  RequireOk(client.UploadBlock(session, 2, TwoRows(), false));
  auto r = client.CommitUploadSession(session, {0, 1});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK(r.status().message().find("blocks 1 are not on the tunnel") != std::string::npos);
  CHECK(r.status().message().find("blocks 2 were not expected") != std::string::npos);
  CHECK(Count("blocklist") == "\"n\"\n0\n");
}

TEST_CASE("MaxCompute a block the tunnel cannot decode is Corruption with its reason") {
  CreateTwoColumnTable("garbled");
  Client client = NewClient();
  UploadSession session = Ok(client.CreateUploadSession({"garbled", ""}));
  std::string bad = TwoRows();
  bad[3] = 'X';  // inside the first record: its CRC no longer matches
  Status s = client.UploadBlock(session, 0, bad, false);
  CHECK(s.code() == StatusCode::kCorruption);
  CHECK(s.message().find("MalformedDataStream") != std::string::npos);
  CHECK(Ok(client.GetUploadSession({"garbled", ""}, session.id)).blocks.empty());
}

TEST_CASE("MaxCompute an upload session is resumed after the emulator was killed and restarted") {
  CreateTwoColumnTable("resumed");
  Client client = NewClient();
  UploadSession session = Ok(client.CreateUploadSession({"resumed", ""}));
  RequireOk(client.UploadBlock(session, 0, TwoRows(), true));
  Emulator().Kill();
  Emulator().Start();

  UploadSession reloaded = Ok(client.GetUploadSession({"resumed", ""}, session.id));
  CHECK(reloaded.IsOpen());
  REQUIRE(reloaded.blocks.size() == 1);
  CHECK(reloaded.blocks[0].id == 0);
  CHECK(reloaded.blocks[0].record_count == 2);
  RequireOk(client.UploadBlock(reloaded, 1, TwoRows(), false));
  CHECK(Ok(client.CommitUploadSession(reloaded, {0, 1})) == CommitOutcome::kCommitted);
  CHECK(Count("resumed") == "\"n\"\n4\n");
}

TEST_CASE("MaxCompute a commit sent again after it succeeded is recognised as committed") {
  CreateTwoColumnTable("again");
  Client client = NewClient();
  UploadSession session = Ok(client.CreateUploadSession({"again", ""}));
  RequireOk(client.UploadBlock(session, 0, TwoRows(), false));
  CHECK(Ok(client.CommitUploadSession(session, {0})) == CommitOutcome::kCommitted);
  CHECK(Ok(client.CommitUploadSession(session, {0})) == CommitOutcome::kAlreadyCommitted);
  CHECK(Count("again") == "\"n\"\n2\n");
  Status late = client.UploadBlock(session, 1, TwoRows(), false);
  CHECK(late.code() == StatusCode::kFailedPrecondition);
  CHECK(late.message().find("StatusConflict") != std::string::npos);
}

TEST_CASE("MaxCompute a commit whose answer was lost is retried and recognised") {
  CreateTwoColumnTable("lost");
  ClientOptions options = Emulator().ClientOptions();
  // The commit is held 2 s by the emulator and then applied; the client gives
  // up after 0.8 s and sends it again 3-6 s later, into StatusConflict.
  options.request_timeout_ms = 800;
  options.retry.first_backoff = 6s;
  options.retry.max_backoff = 6s;
  std::vector<std::string> retries;
  options.log = [&](const std::string& line) { retries.push_back(line); };
  Client client(options);
  UploadSession session = Ok(NewClient().CreateUploadSession({"lost", ""}));
  RequireOk(NewClient().UploadBlock(session, 0, TwoRows(), false));
  Emulator().Post("/__emulator/faults", R"({"method":"POST","endpoint":"tunnel","query_regex":"uploadid",
                                           "action":"delay","delay_ms":2000,"count":1})");
  CHECK(Ok(client.CommitUploadSession(session, {0})) == CommitOutcome::kAlreadyCommitted);
  REQUIRE(retries.size() == 1);
  CHECK(retries[0].find("timed out") != std::string::npos);
  CHECK(Count("lost") == "\"n\"\n2\n");
}

TEST_CASE("MaxCompute a statement whose submission is sent twice runs once") {
  CreateTwoColumnTable("submitted");
  ClientOptions options = Emulator().ClientOptions();
  // As for the lost commit: the first submission is held 2 s, then taken;
  // the second arrives later with the same Guid and gets the same instance.
  options.request_timeout_ms = 800;
  options.retry.first_backoff = 6s;
  options.retry.max_backoff = 6s;
  Emulator().Post("/__emulator/faults", R"({"method":"POST","endpoint":"rest","path_regex":"/instances$",
                                           "action":"delay","delay_ms":2000,"count":1})");
  Sql(Client(options), "INSERT INTO submitted VALUES (1, 'once')");
  CHECK(Count("submitted") == "\"n\"\n1\n");
}

TEST_CASE("MaxCompute transient refusals and dropped connections are retried") {
  CreateTwoColumnTable("flaky");
  ClientOptions options = Emulator().ClientOptions();
  std::vector<std::string> retries;
  options.log = [&](const std::string& line) { retries.push_back(line); };
  Client client(options);
  UploadSession session = Ok(client.CreateUploadSession({"flaky", ""}));
  Emulator().Post("/__emulator/faults", R"({"method":"PUT","endpoint":"tunnel","status":503,
                                           "code":"SlotExceeded","message":"slots are busy","count":2})");
  RequireOk(client.UploadBlock(session, 0, TwoRows(), true));
  CHECK(retries.size() == 2);
  CHECK(retries[0].find("SlotExceeded") != std::string::npos);

  Emulator().Post("/__emulator/faults", R"({"method":"POST","endpoint":"tunnel","action":"close","count":1})");
  CHECK(Ok(client.CommitUploadSession(session, {0})) == CommitOutcome::kCommitted);

  Emulator().Post("/__emulator/faults", R"({"method":"GET","endpoint":"rest","status":500,"count":1})");
  CHECK(Sql(client, "SELECT count(*) AS n FROM flaky") == "\"n\"\n2\n");

  Emulator().Post("/__emulator/faults", R"({"method":"PUT","endpoint":"tunnel","status":503,"count":-1})");
  options.retry.attempts = 2;
  Status gave_up = Client(options).UploadBlock(Ok(client.CreateUploadSession({"flaky", ""})), 0, TwoRows(), false);
  Emulator().Delete("/__emulator/faults");
  CHECK(gave_up.code() == StatusCode::kUnavailable);
  CHECK(gave_up.message().find("HTTP 503") != std::string::npos);
}

TEST_CASE("MaxCompute an expired upload session cannot be committed") {
  CreateTwoColumnTable("expired");
  Client client = NewClient();
  UploadSession session = Ok(client.CreateUploadSession({"expired", ""}));
  RequireOk(client.UploadBlock(session, 0, TwoRows(), false));
  Emulator().Post("/__emulator/sessions/age?seconds=90000&id=" + session.id);
  auto r = client.CommitUploadSession(session, {0});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK(r.status().message().find("committing upload session " + session.id) != std::string::npos);
  CHECK(r.status().message().find("expired") != std::string::npos);
  CHECK(r.status().message().find("new session") != std::string::npos);
}

TEST_CASE("MaxCompute upsert session: a pack is visible on commit, and a second commit by id sees it done") {
  CreateDeltaTable("delta_up");
  Client client = NewClient();
  UpsertSession session = Ok(UpsertSession::Create(client, {"delta_up", ""}, 2));
  CHECK(session.status() == "normal");
  CHECK(session.hash_key() == std::vector<std::string>{"id"});
  CHECK(session.hasher() == "default");
  CHECK(session.bucket_count() == 16);
  REQUIRE(session.columns().size() == 2);
  CHECK(session.columns()[1].name == "val");
  RequireOk(session.Upload(3, UpsertThenDelete(), 2, true));
  CHECK(Count("delta_up") == "\"n\"\n2\n");
  CHECK(Ok(session.Commit()) == CommitOutcome::kCommitted);
  CHECK(Rows("delta_up") == json::array({{{"id", 2}, {"val", "kept"}}}));

  Client other_process = NewClient();
  UpsertSession reopened = Ok(UpsertSession::Open(other_process, {"delta_up", ""}, session.id()));
  CHECK(reopened.status() == "committed");
  CHECK(Ok(reopened.Commit()) == CommitOutcome::kAlreadyCommitted);
}

TEST_CASE("MaxCompute upsert session: a slot that moved answers 308 and the pack follows it") {
  CreateDeltaTable("delta_moved");
  ClientOptions options = Emulator().ClientOptions();
  std::vector<std::string> lines;
  options.log = [&](const std::string& line) { lines.push_back(line); };
  Client client(options);
  UpsertSession session = Ok(UpsertSession::Create(client, {"delta_moved", ""}, 2));
  REQUIRE(session.slots().size() == 2);
  auto owner = std::find_if(session.slots().begin(), session.slots().end(), [](const UpsertSlot& slot) {
    return std::count(slot.buckets.begin(), slot.buckets.end(), 3) == 1;
  });
  REQUIRE(owner != session.slots().end());
  Emulator().Post("/__emulator/upserts/" + session.id() + "/move-slot?slot=" + owner->id +
                  "&worker=127.0.0.2:" + std::to_string(Emulator().port()));
  RequireOk(session.Upload(3, UpsertThenDelete(), 2, false));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("moved") != std::string::npos);
  CHECK(Ok(session.Commit()) == CommitOutcome::kCommitted);
  CHECK(Count("delta_moved") == "\"n\"\n1\n");
}

TEST_CASE("MaxCompute upsert session: abort discards; an open session is committed after an emulator restart") {
  CreateDeltaTable("delta_abort");
  Client client = NewClient();
  UpsertSession aborted = Ok(UpsertSession::Create(client, {"delta_abort", ""}));
  RequireOk(aborted.Upload(3, UpsertThenDelete(), 2, false));
  RequireOk(aborted.Abort());
  CHECK(aborted.status() == "aborted");
  auto refused = aborted.Commit();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("aborted") != std::string::npos);
  CHECK(Count("delta_abort") == "\"n\"\n2\n");

  UpsertSession open = Ok(UpsertSession::Create(client, {"delta_abort", ""}));
  RequireOk(open.Upload(3, UpsertThenDelete(), 2, true));
  Emulator().Kill();
  Emulator().Start();
  UpsertSession resumed = Ok(UpsertSession::Open(client, {"delta_abort", ""}, open.id()));
  CHECK(Ok(resumed.Commit()) == CommitOutcome::kCommitted);
  CHECK(Count("delta_abort") == "\"n\"\n1\n");
}

TEST_CASE("MaxCompute upsert session on a table without a primary key is refused with the reason") {
  CreateTwoColumnTable("plain_for_upsert");
  Client client = NewClient();
  auto r = UpsertSession::Create(client, {"plain_for_upsert", ""});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK(r.status().message().find("Delta table") != std::string::npos);
  CreateDeltaTable("delta_buckets");
  auto wrong_bucket = Ok(UpsertSession::Create(client, {"delta_buckets", ""})).Upload(16, UpsertThenDelete(), 2, false);
  CHECK(wrong_bucket.code() == StatusCode::kInvalidArgument);
}
