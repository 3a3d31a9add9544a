// The CLI without a running source: task lifecycle in the state directory,
// bad input, permissions, secrets, locking and exit codes.

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/atomic_file.hpp"
#include "harness/servers.hpp"
#include "state/file_lock.hpp"

using namespace dbsync::testing;
using nlohmann::json;

namespace {

// Ports nothing listens on: the pre-check fails fast, which these tests do not mind.
std::string Yaml(const std::string& name, const std::string& password = "${env:SRC_PW}") {
  static const int closed = FreePort();
  return "name: " + name +
         "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(closed) +
         "\n  user: repl\n  password: \"" + password + "\"\n  server_id: 5401\n  tables: [shop.*]\n"
         "destination:\n  type: postgres\n  host: 127.0.0.1\n  port: " + std::to_string(closed) +
         "\n  database: dw\n  user: loader\n  password: ${env:DST_PW}\n";
}

unsigned Mode(const std::string& p) {
  struct stat st;
  REQUIRE(stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string CreateTask(const SyncCli& cli, const std::string& name, const std::string& password = "${env:SRC_PW}") {
  auto r = cli.Run({"create", "--no-check", "-f", cli.WriteSpec(name + ".yaml", Yaml(name, password))});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::string id = r.out.substr(0, r.out.find('\n'));
  REQUIRE(!id.empty());
  return id;
}

}  // namespace

TEST_CASE("a bare sync behaves like coreutils: flushes, prints nothing, exits 0") {
  auto r = RunProcess({SYNC_BINARY});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("help is available for sync and every command") {
  CHECK(RunProcess({SYNC_BINARY, "--help"}).exit_code == 0);
  CHECK(RunProcess({SYNC_BINARY, "help"}).out.find("create") != std::string::npos);
  for (const char* cmd : {"create", "check", "start", "stop", "status", "logs", "apply", "usage", "list", "delete"}) {
    auto r = RunProcess({SYNC_BINARY, cmd, "--help"});
    CHECK_MESSAGE(r.exit_code == 0, cmd);
    CHECK_MESSAGE(r.out.find("EXIT STATUS") != std::string::npos, cmd);
    CHECK(RunProcess({SYNC_BINARY, "help", cmd}).exit_code == 0);
    CHECK_MESSAGE(std::filesystem::exists(std::string(SYNC_SOURCE_DIR) + "/man/sync-" + cmd + ".1"), cmd);
  }
  CHECK(std::filesystem::exists(std::string(SYNC_SOURCE_DIR) + "/man/sync-binlog.1"));
  CHECK(std::filesystem::exists(std::string(SYNC_SOURCE_DIR) + "/man/sync-task.5"));
  CHECK(std::filesystem::exists(std::string(SYNC_SOURCE_DIR) + "/man/sync-overview.7"));
  CHECK_FALSE(std::filesystem::exists(std::string(SYNC_SOURCE_DIR) + "/man/sync.1"));  // coreutils owns sync(1)
  auto unknown = RunProcess({SYNC_BINARY, "chek"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("did you mean 'check'?") != std::string::npos);
  CHECK(RunProcess({SYNC_BINARY, "help", "nosuch"}).exit_code == 2);
  CHECK(RunProcess({SYNC_BINARY, "create"}).exit_code == 2);  // -f is required
}

TEST_CASE("create prints the id, stores the task 0600 in a 0700 home, and list/status show it") {
  SyncCli cli;
  std::string id = CreateTask(cli, "shop-sync");
  CHECK(Mode(cli.home()) == 0700);
  std::string root = cli.home() + "/tasks/" + id;
  CHECK(Mode(root) == 0700);
  CHECK(Mode(root + "/task.yaml") == 0600);
  CHECK(Mode(root + "/state.json") == 0600);
  CHECK(std::filesystem::is_directory(root + "/log"));
  CHECK(std::filesystem::is_directory(root + "/runs"));

  auto list = cli.Run({"list"});
  CHECK(list.exit_code == 0);
  CHECK(list.out.find(id) != std::string::npos);
  CHECK(list.out.find("shop-sync") != std::string::npos);

  auto status = cli.Run({"status", "shop-sync", "--output", "json"});
  REQUIRE(status.exit_code == 0);
  auto j = json::parse(status.out);
  CHECK(j["id"] == id);
  CHECK(j["lifecycle"] == "created");
  CHECK(j["source"]["password"] == "${env:SRC_PW}");
  CHECK(j["steps"]["full_initialization"]["state"] == "not started");
  CHECK(cli.Run({"status", id}).out.find("never run") != std::string::npos);
  // No task: the list.
  CHECK(cli.Run({"status"}).out.find(id) != std::string::npos);
}

TEST_CASE("create runs a pre-check that reports but never blocks") {
  SyncCli cli;
  auto r = cli.Run({"create", "-f", cli.WriteSpec("a.yaml", Yaml("pre"))}, {.env = {{"SRC_PW", "x"}, {"DST_PW", "y"}}});
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("FAIL  source.connect") != std::string::npos);
  CHECK(r.err.find("sync check") != std::string::npos);
  std::string id = r.out.substr(0, r.out.find('\n'));
  CHECK(r.out == id + "\n");  // only the id on stdout
  auto status = cli.Run({"status", id, "-o", "json"});
  CHECK(json::parse(status.out)["last_check"]["summary"]["fail"].get<int>() >= 1);
}

TEST_CASE("bad specs exit 2 with file, line and column") {
  SyncCli cli;
  auto malformed = cli.Run({"create", "-f", cli.WriteSpec("m.yaml", "name: x\nsource: {host: [\n")});
  CHECK(malformed.exit_code == 2);
  CHECK(malformed.err.find("m.yaml:") != std::string::npos);
  CHECK(malformed.err.find("invalid YAML") != std::string::npos);

  std::string typo = Yaml("typo");
  typo.replace(typo.find("server_id"), 9, "server_idd");
  auto unknown = cli.Run({"create", "-f", cli.WriteSpec("u.yaml", typo)});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("u.yaml:7:3: unknown key 'server_idd' in source; did you mean 'server_id'?") !=
        std::string::npos);
  CHECK(unknown.err.find("missing required key 'server_id'") != std::string::npos);

  std::string missing = Yaml("missing");
  missing.erase(missing.find("destination:"));
  auto no_dest = cli.Run({"create", "-f", cli.WriteSpec("d.yaml", missing)});
  CHECK(no_dest.exit_code == 2);
  CHECK(no_dest.err.find("missing required key 'destination'") != std::string::npos);

  auto no_file = cli.Run({"create", "-f", cli.dir() + "/nope.yaml"});
  CHECK(no_file.exit_code == 2);
  CHECK(no_file.err.find("nope.yaml") != std::string::npos);
  CHECK(cli.Run({"list", "-o", "json"}).out == "[]\n");  // nothing was stored
}

TEST_CASE("task names are unique") {
  SyncCli cli;
  std::string id = CreateTask(cli, "dup");
  auto again = cli.Run({"create", "--no-check", "-f", cli.WriteSpec("dup2.yaml", Yaml("dup"))});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("already exists (id " + id + ")") != std::string::npos);
}

TEST_CASE("an unknown task exits 3 for every command") {
  SyncCli cli;
  for (std::vector<std::string> args : {std::vector<std::string>{"status", "ghost"}, {"check", "ghost"},
                                        {"delete", "--yes", "ghost"}}) {
    auto r = cli.Run(args);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("no task with id or name 'ghost'") != std::string::npos);
  }
}

TEST_CASE("an unreadable ${file:...} secret is reported by name when the check runs") {
  SyncCli cli;
  std::string ref = "${file:" + cli.dir() + "/missing-password}";
  CreateTask(cli, "filesecret", ref);
  auto r = cli.Run({"check", "filesecret"}, {.env = {{"DST_PW", "x"}}});
  CHECK(r.exit_code == 5);  // the destination's port is closed in these tests
  CHECK(r.out.find("FAIL  source.password") != std::string::npos);
  CHECK(r.out.find(cli.dir() + "/missing-password") != std::string::npos);
  CHECK(r.out.find("make the secret reference in source.password resolvable") != std::string::npos);
}

TEST_CASE("a literal password never appears in status, list, check output or state files") {
  SyncCli cli;
  const std::string secret = "Literal-Secret-123";
  std::string id = CreateTask(cli, "literal", secret);
  std::vector<ProcessResult> outputs = {cli.Run({"status", id}), cli.Run({"status", id, "-o", "json"}),
                                        cli.Run({"list", "-o", "json"}),
                                        cli.Run({"check", id}, {.env = {{"DST_PW", "x"}}}),
                                        cli.Run({"check", id, "-o", "json"}, {.env = {{"DST_PW", "x"}}})};
  for (const auto& r : outputs) {
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
  }
  CHECK(outputs[0].out.find("password ***") != std::string::npos);
  CHECK(ReadText(cli.home() + "/tasks/" + id + "/state.json").find(secret) == std::string::npos);
}

TEST_CASE("delete needs confirmation: --yes for scripts, refused without a terminal") {
  SyncCli cli;
  std::string id = CreateTask(cli, "doomed");
  auto refused = cli.Run({"delete", id});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("pass --yes") != std::string::npos);
  CHECK(std::filesystem::exists(cli.home() + "/tasks/" + id));
  auto deleted = cli.Run({"delete", "--yes", "doomed"});
  CHECK(deleted.exit_code == 0);
  CHECK(!std::filesystem::exists(cli.home() + "/tasks/" + id));
  CHECK(cli.Run({"status", id}).exit_code == 3);
  // The name is free again.
  CreateTask(cli, "doomed");
}

TEST_CASE("delete --forget-destination deletes nothing when the destination cannot be reached") {
  SyncCli cli;
  std::string id = CreateTask(cli, "kept");
  auto r = cli.Run({"delete", "--yes", "--forget-destination", id}, {.env = {{"DST_PW", "secret-pw"}}});
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("nothing was deleted") != std::string::npos);
  CHECK(r.err.find("secret-pw") == std::string::npos);
  CHECK(std::filesystem::exists(cli.home() + "/tasks/" + id));
  CHECK(cli.Run({"status", id}).exit_code == 0);
}

TEST_CASE("usage reports every run, and keeps a deleted task's runs") {
  SyncCli cli;
  std::string id = CreateTask(cli, "metered");
  // A run record as the worker writes it (runs/<run>.json).
  dbsync::WriteFileAtomically(cli.home() + "/tasks/" + id + "/runs/r20261125T000000abcd.json",
                      R"({"run_id": "r20261125T000000abcd", "started_at": 1764028800, "running_seconds": 7200,
                          "rows_copied": 1000, "rows_applied": 50, "bytes_read": 4096, "workers": 1})")
      .ok();
  auto before = cli.Run({"usage", "-o", "json", id});
  REQUIRE(before.exit_code == 0);
  auto runs = json::parse(before.out);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["cu_hours"] == 2.0);
  CHECK(runs[0]["rows_copied"] == 1000);
  CHECK_FALSE(runs[0].contains("task_deleted_at"));

  REQUIRE(cli.Run({"delete", "--yes", id}).exit_code == 0);
  for (const std::string& by : {id, std::string("metered")}) {
    auto after = cli.Run({"usage", "-o", "json", by});
    REQUIRE_MESSAGE(after.exit_code == 0, after.err);
    auto kept = json::parse(after.out);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0]["run_id"] == "r20261125T000000abcd");
    CHECK(kept[0]["task"] == id);
    CHECK(kept[0]["running_seconds"] == 7200);
    CHECK(kept[0].contains("task_deleted_at"));
  }
  auto all = cli.Run({"usage"});
  CHECK(all.out.find("r20261125T000000abcd") != std::string::npos);
  CHECK(all.out.find("(task deleted ") != std::string::npos);
  CHECK(Mode(cli.home() + "/usage/" + id + "/task.json") == 0600);
  CHECK(cli.Run({"usage", "never-existed"}).exit_code == 3);
}

TEST_CASE("delete on a terminal asks for the task name") {
  SyncCli cli;
  std::string id = CreateTask(cli, "tty-task");
  // script(1) gives the command a pseudo-terminal; the answer arrives on it.
  std::string cmd = std::string(SYNC_BINARY) + " --home " + cli.home() + " delete " + id;
  auto wrong = RunProcess({"script", "-qec", cmd, "/dev/null"}, {.stdin_text = "nope\n"});
  CHECK(wrong.out.find("Type the task name to confirm") != std::string::npos);
  CHECK(std::filesystem::exists(cli.home() + "/tasks/" + id));
  auto right = RunProcess({"script", "-qec", cmd, "/dev/null"}, {.stdin_text = "tty-task\n"});
  CHECK(right.out.find("deleted task " + id) != std::string::npos);
  CHECK(!std::filesystem::exists(cli.home() + "/tasks/" + id));
}

TEST_CASE("commands on one task serialise on its lock") {
  SyncCli cli;
  std::string id = CreateTask(cli, "locked");
  {
    auto held = dbsync::state::FileLock::Acquire(cli.home() + "/tasks/" + id + "/lock", 0, "test");
    REQUIRE(held.ok());
    auto busy = cli.Run({"--lock-timeout", "0.3", "delete", "--yes", id});
    CHECK(busy.exit_code == 4);
    CHECK(busy.err.find("is busy: process " + std::to_string(getpid())) != std::string::npos);
    CHECK(std::filesystem::exists(cli.home() + "/tasks/" + id));
    // status never takes the lock.
    CHECK(cli.Run({"status", id}).exit_code == 0);
  }
  // Two checks at once both finish; the state file stays valid JSON.
  std::vector<ProcessResult> results(2);
  std::thread a([&] { results[0] = cli.Run({"check", id}, {.env = {{"SRC_PW", "a"}, {"DST_PW", "b"}}}); });
  std::thread b([&] { results[1] = cli.Run({"check", id}, {.env = {{"SRC_PW", "a"}, {"DST_PW", "b"}}}); });
  a.join();
  b.join();
  CHECK(results[0].exit_code == 5);
  CHECK(results[1].exit_code == 5);
  auto state = json::parse(ReadText(cli.home() + "/tasks/" + id + "/state.json"), nullptr, false);
  CHECK(!state.is_discarded());
  CHECK(state.contains("last_check"));
  CHECK(cli.Run({"delete", "--yes", id}).exit_code == 0);
}

TEST_CASE("concurrent creates with one name store exactly one task") {
  SyncCli cli;
  std::string spec = cli.WriteSpec("race.yaml", Yaml("race"));
  std::vector<ProcessResult> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&] { r = cli.Run({"create", "--no-check", "-f", spec}); });
  for (auto& t : threads) t.join();
  int created = 0;
  for (const auto& r : results) created += r.exit_code == 0;
  CHECK(created == 1);
  CHECK(json::parse(cli.Run({"list", "-o", "json"}).out).size() == 1);
}

TEST_CASE("the home comes from --home, then SYNC_HOME, then XDG_STATE_HOME") {
  SyncCli cli;
  std::string spec = cli.WriteSpec("h.yaml", Yaml("homed"));
  auto via_env = RunProcess({SYNC_BINARY, "create", "--no-check", "-f", spec}, {.env = {{"SYNC_HOME", cli.dir() + "/env-home"}}});
  CHECK(via_env.exit_code == 0);
  CHECK(std::filesystem::exists(cli.dir() + "/env-home/tasks"));
  auto via_xdg = RunProcess({SYNC_BINARY, "create", "--no-check", "-f", spec},
                            {.env = {{"XDG_STATE_HOME", cli.dir() + "/xdg"}}, .unset_env = {"SYNC_HOME"}});
  CHECK(via_xdg.exit_code == 0);
  CHECK(Mode(cli.dir() + "/xdg/sync") == 0700);
}

TEST_CASE("start refuses an unreachable destination before any worker") {
  SyncCli cli;
  std::string yaml = Yaml("mc");
  yaml.replace(yaml.find("type: postgres"), 14,
               "type: maxcompute\n  endpoint: http://127.0.0.1:1/api\n  project: p\n  access_id: a\n  access_key: k");
  auto created = cli.Run({"create", "--no-check", "-f", cli.WriteSpec("mc.yaml", yaml)});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto r = cli.Run({"start", "mc"});
  CHECK(r.exit_code == 5);  // the destination's connect item fails (nothing listens on port 1)
  CHECK_MESSAGE((r.out + r.err).find("destination.endpoint") != std::string::npos, r.out << r.err);
}

TEST_CASE("status --watch prints again until interrupted") {
  SyncCli cli;
  std::string id = CreateTask(cli, "watched");
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  auto json = RunProcess({"timeout", "2", SYNC_BINARY, "--home", cli.home(), "status", id, "--watch", "--interval",
                          "0.4", "-o", "json"});
  CHECK(json.exit_code == 124);  // stopped by timeout(1), not by itself
  CHECK(count(json.out, "\"id\":") >= 3);
  // Text without a terminal: the status once, then only lines of what
  // changed (nothing, for a task never started).
  auto text = RunProcess({"timeout", "2", SYNC_BINARY, "--home", cli.home(), "status", id, "--watch", "--interval", "0.4"});
  CHECK(text.exit_code == 124);
  CHECK(count(text.out, "task:") == 1);
}
