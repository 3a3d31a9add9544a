// `sync check` of a MaxCompute task against real MariaDB and the MaxCompute
// emulator (tests/emulators/maxcompute/): each destination item passing, and
// failing with its fix: wrong AccessKey, unknown project, unreachable
// endpoint, a skewed clock, a read-only principal, tables MaxCompute cannot
// take.

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "harness/maxcompute_emulator.hpp"
#include "harness/servers.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using nlohmann::json;

namespace {

constexpr const char* kReadOnlyId = "roAccessId";
constexpr const char* kReadOnlyKey = "roAccessKeySecret";
constexpr const char* kZone = "Asia/Shanghai";

struct Env {
  MariaDbServer mysql;
  MaxComputeEmulator maxcompute{{"--project", "p1:2", "--project", "legacy:1", "--timezone", kZone, "--ro-access-id",
                                 kReadOnlyId, "--ro-access-key", kReadOnlyKey}};
  SyncCli cli;
  Env() {
    mysql.Exec("CREATE DATABASE shop");
    mysql.Exec("CREATE DATABASE shop2");
    mysql.Exec("CREATE TABLE shop.orders (id INT PRIMARY KEY, amount DECIMAL(10,2), created DATETIME)");
    mysql.Exec("CREATE TABLE shop2.orders (id INT PRIMARY KEY, amount DECIMAL(10,2))");
    mysql.Exec("CREATE TABLE shop.keyless (a INT, b VARCHAR(10))");
    mysql.Exec("CREATE TABLE shop.2024_orders (id INT PRIMARY KEY)");
    mysql.Exec("CREATE TABLE shop.priced (id INT PRIMARY KEY, `unit-price` DECIMAL(10,2))");
    mysql.Exec("CREATE TABLE shop.stamped (ts TIMESTAMP(6) NOT NULL PRIMARY KEY, v INT)");
    mysql.Exec("CREATE TABLE shop.hosts (id INT PRIMARY KEY, addr INET6)");
    mysql.Exec("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw'");
    mysql.Exec("GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'repl'@'%'");
    mysql.Exec("GRANT SELECT ON shop.* TO 'repl'@'%'");
    mysql.Exec("GRANT SELECT ON shop2.* TO 'repl'@'%'");
  }
};

Env& E() {
  static Env env;
  return env;
}

// The destination section's values; the secret always comes from ${env:MC_KEY}.
struct Destination {
  std::string endpoint = E().maxcompute.endpoint();
  std::string project = "p1";
  std::string access_id = MaxComputeEmulator::kAccessId;
  std::string access_key = MaxComputeEmulator::kAccessKey;  // MC_KEY's value when checking
};

std::string Spec(const std::string& name, const std::string& tables, const Destination& d) {
  return "name: " + name + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(E().mysql.port()) +
         "\n  user: repl\n  password: repl-pw\n  server_id: " +
         std::to_string(9000 + std::hash<std::string>{}(name) % 900) +
         "\n  tables: " + tables + "\ndestination:\n  type: maxcompute\n  endpoint: " + d.endpoint + "\n  project: " +
         d.project + "\n  access_id: " + d.access_id + "\n  access_key: \"${env:MC_KEY}\"\n";
}

struct Checked {
  int exit_code = -1;
  json report;
  std::string out;  // the JSON as printed, to look for what must not be there
  json Item(const std::string& name) const {
    for (const auto& item : report.value("items", json::array()))
      if (item.value("name", "") == name) return item;
    return json::object();
  }
  std::string Verdict(const std::string& name) const { return Item(name).value("result", "absent"); }
  std::string Reason(const std::string& name) const { return Item(name).value("reason", ""); }
  std::string Fix(const std::string& name) const { return Item(name).value("fix", ""); }
};

// A task to check: created without its check, then `sync check -o json`.
struct Task {
  std::string name;
  std::string tables = "[shop.orders]";
  Destination destination;
  std::string spec_tail;                   // appended to the spec: tables[], mapping
  std::vector<std::string> flags;          // of sync check
  std::map<std::string, std::string> env;  // of sync check, besides MC_KEY
};

Checked Check(const Task& task) {
  std::string yaml = Spec(task.name, task.tables, task.destination) + task.spec_tail;
  auto created = E().cli.Run({"create", "--no-check", "-f", E().cli.WriteSpec(task.name + ".yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  std::vector<std::string> args = {"check", task.name, "-o", "json"};
  args.insert(args.end(), task.flags.begin(), task.flags.end());
  RunOptions options{.env = task.env};
  options.env["MC_KEY"] = task.destination.access_key;
  auto r = E().cli.Run(args, options);
  Checked run{r.exit_code, json::parse(r.out, nullptr, false), r.out};
  INFO(r.out << r.err);
  REQUIRE(run.report.is_object());
  return run;
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `run` exited `exit_code` with `item` failed, saying `why`, its fix naming `fix`.
void CheckFailed(const Checked& run, const std::string& item, int exit_code, const std::string& why,
                 const std::string& fix) {
  INFO(item << ": " << run.out);
  CHECK(run.exit_code == exit_code);
  CHECK(run.Verdict(item) == "fail");
  CHECK(Has(run.Reason(item), why));
  CHECK(Has(run.Fix(item), fix));
}

// `broken` fails destination.tables (exit status 1) saying `why`, with a fix
// that names `fix`; the same task with `fixed_by` appended to its spec passes.
void FailsTablesUntilFixed(Task broken, const std::string& why, const std::string& fix, const std::string& fixed_by) {
  CheckFailed(Check(broken), "destination.tables", 1, why, fix);
  broken.name += "-fixed";
  broken.spec_tail += fixed_by;
  CHECK(Check(broken).Verdict("destination.tables") == "pass");
}

// An emulator whose clock runs `seconds` ahead of this machine's: a
// sitecustomize module on PYTHONPATH moves time.time before emulator.py runs,
// so its signature check sees requests from a clock that far behind.
std::unique_ptr<MaxComputeEmulator> EmulatorAhead(int seconds) {
  std::string dir = MakeTempDir("sync-skew-");
  WriteText(dir + "/sitecustomize.py",
            "import time\n_now = time.time\ntime.time = lambda: _now() + " + std::to_string(seconds) + "\n");
  const char* before = std::getenv("PYTHONPATH");
  std::string saved = before ? before : "";
  setenv("PYTHONPATH", (dir + (saved.empty() ? "" : ":" + saved)).c_str(), 1);
  auto emulator = std::make_unique<MaxComputeEmulator>();  // started: the module has been read
  RemoveTree(dir);
  if (before) setenv("PYTHONPATH", saved.c_str(), 1);
  else unsetenv("PYTHONPATH");
  return emulator;
}

}  // namespace

TEST_CASE("MaxCompute: a correctly configured task passes every destination item") {
  auto run = Check({.name = "mc-good"});
  INFO(run.out);
  CHECK(run.exit_code == 0);
  for (const char* item : {"destination.connect", "destination.project", "destination.privileges",
                           "destination.tables"})
    CHECK_MESSAGE(run.Verdict(item) == "pass", item);
  CHECK(Has(run.Reason("destination.project"), "types 2.0"));
  CHECK(Has(run.Reason("destination.project"), std::string("time zone ") + kZone));
  // The privileges item made the bookkeeping tables, as the worker would.
  std::string tables = E().maxcompute.Get("/__emulator/tables/p1");
  CHECK_MESSAGE(Has(tables, "sync_state_checkpoints"), tables);
  CHECK(Has(tables, "sync_state_chunks"));
}

TEST_CASE("MaxCompute: destination.project passes a types 1.0 project with a note, fails a zone it cannot read") {
  SUBCASE("types 1.0 by default: sync sends the 2.0 flags") {
    auto run = Check({.name = "mc-legacy", .destination = {.project = "legacy"}});
    INFO(run.out);
    CHECK(run.exit_code == 0);
    CHECK(run.Verdict("destination.project") == "pass");
    CHECK(Has(run.Reason("destination.project"), "types 1.0"));
    CHECK(Has(run.Reason("destination.project"), "sync sends odps.sql.type.system.odps2=true"));
    CHECK(run.Verdict("destination.privileges") == "pass");  // the 2.0 flags go with the CREATE TABLEs
  }
  SUBCASE("the project's zone missing from this host's time zone database") {
    auto run = Check({.name = "mc-tzdir", .env = {{"TZDIR", E().cli.dir() + "/no-zones"}}});
    CheckFailed(run, "destination.project", 1, kZone, "tzdata");
  }
}

TEST_CASE("MaxCompute: --connectivity stops after destination.connect") {
  auto run = Check({.name = "mc-conn", .flags = {"--connectivity"}});
  CHECK(run.exit_code == 0);
  CHECK(run.Verdict("destination.connect") == "pass");
  CHECK(run.Verdict("destination.project") == "absent");
  CHECK(run.Verdict("destination.privileges") == "absent");
}

TEST_CASE("MaxCompute: destination.connect fails with its fix, exit status 5") {
  SUBCASE("a wrong AccessKey secret, which never shows") {
    auto run = Check({.name = "mc-key", .destination = {.access_key = "Not-The-Key-Secret"}});
    CheckFailed(run, "destination.connect", 5, "SignatureNotMatch", "destination.access_id / destination.access_key");
    CHECK(!Has(run.out, "Not-The-Key-Secret"));
    CHECK(run.Verdict("destination.project") == "absent");
  }
  SUBCASE("an AccessKey ID MaxCompute does not know") {
    auto run = Check({.name = "mc-id", .destination = {.access_id = "nobodysId"}});
    CheckFailed(run, "destination.connect", 5, "ODPS-0410051", "destination.access_key");
  }
  SUBCASE("an unknown project") {
    auto run = Check({.name = "mc-project", .destination = {.project = "nosuchproject"}});
    CheckFailed(run, "destination.connect", 5, "NoSuchProject", "fix destination.project");
  }
  SUBCASE("an endpoint nobody listens on") {
    std::string closed = "http://127.0.0.1:" + std::to_string(FreePort()) + "/api";
    auto run = Check({.name = "mc-closed", .destination = {.endpoint = closed}});
    CheckFailed(run, "destination.connect", 5, "Couldn't connect", "destination.endpoint");
  }
  SUBCASE("this machine's clock 20 minutes behind MaxCompute's") {
    auto ahead = EmulatorAhead(20 * 60);
    auto run = Check({.name = "mc-clock", .destination = {.endpoint = ahead->endpoint()}});
    CheckFailed(run, "destination.connect", 5, "behind MaxCompute's by 20 min", "NTP");
    CHECK(Has(run.Reason("destination.connect"), "RequestTimeTooSkewd"));
  }
}

TEST_CASE("MaxCompute: a read-only principal fails destination.privileges with the grant to give") {
  auto run = Check({.name = "mc-ro", .destination = {.access_id = kReadOnlyId, .access_key = kReadOnlyKey}});
  CheckFailed(run, "destination.privileges", 1, "ODPS-0130013",
              "GRANT CreateTable, CreateInstance, List ON PROJECT p1");
  CHECK(run.Verdict("destination.connect") == "pass");
  CHECK(run.Verdict("destination.tables") == "pass");
}

TEST_CASE("MaxCompute: destination.tables fails for what MaxCompute cannot take, and passes once fixed") {
  SUBCASE("a table without a key set to write_mode upsert; tables[].primary_key fixes it") {
    FailsTablesUntilFixed({.name = "mc-keyless", .tables = "[shop.keyless]",
                           .spec_tail = "tables:\n  - match: shop.keyless\n    write_mode: upsert\n"},
                          "shop.keyless has no primary key", "tables[].primary_key",
                          "    primary_key: [a]\n");
  }
  SUBCASE("a table without a key is a change log by default") {
    auto run = Check({.name = "mc-keyless-log", .tables = "[shop.keyless]"});
    CHECK(run.Verdict("destination.tables") == "pass");
    CHECK(Has(run.Reason("destination.tables"), "0 Delta table(s) (write_mode upsert), 1 change log(s)"));
    CHECK(run.Verdict("source.primary_keys") == "warn");
    CHECK(Has(run.Reason("source.primary_keys"), "written as change logs"));
  }
  SUBCASE("a table name MaxCompute refuses; mapping.table fixes it") {
    FailsTablesUntilFixed({.name = "mc-digit", .tables = "[shop.2024_orders]"}, "refuses the table name 2024_orders",
                          "mapping.table", "mapping:\n  table: \"t_${TABLE_NAME_SRC}\"\n");
  }
  SUBCASE("a column name, a key type and a column type MaxCompute refuses") {
    auto run = Check({.name = "mc-columns", .tables = "[shop.priced, shop.stamped, shop.hosts]"});
    CheckFailed(run, "destination.tables", 1, "column unit-price", "exclude a table");
    std::string reason = run.Reason("destination.tables");
    CHECK(Has(reason, "upsert bucket hash is not defined for TIMESTAMP"));
    CHECK(Has(reason, "cannot map to MaxCompute"));
  }
  SUBCASE("two source tables mapped to one MaxCompute table") {
    auto run = Check({.name = "mc-twice", .tables = "[shop.orders, shop2.orders]"});
    CheckFailed(run, "destination.tables", 1, "maps to MaxCompute table orders", "mapping.table");
  }
}
