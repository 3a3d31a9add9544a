// The task state directory under storage faults, against real MariaDB and
// PostgreSQL: a rename, fsync or write of a state file that fails, injected
// into the worker alone by tests/harness/fault_shim.c (checkpoint.json,
// schema.json at a DDL, a chunk plan during full initialization); and a task
// home on a tmpfs, then on an ext4 image on a loop device, that fills up while
// the task streams (skipped, saying why, where the test may not mount). Each
// time the previous state file is whole (byte for byte where the test can
// know its bytes), no temp file is left, the task is failed (not restarted in
// a loop) with the cause and the fix in `sync status` and the log,
// checkpoint.json is not ahead of the destination's checkpoint, and a
// `sync start` once the fault is gone converges with nothing lost or doubled
// (a keyless table shows doubles).

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/binlog_position.hpp"
#include "harness/servers.hpp"
#include "harness/workload.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

ShopEnvironment& E() {
  static ShopEnvironment env;
  return env;
}

// The file's bytes; "" when it cannot be read.
std::string Slurp(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

std::string TaskDir(const SyncCli& cli, const std::string& id) { return cli.home() + "/tasks/" + id; }

json StatusOf(const SyncCli& cli, const std::string& task) { return TaskStatus(cli, task); }

// The environment of a `sync start` whose worker meets the fault: `call` on
// paths containing `path` fails with `error` from the `nth` such call on.
RunOptions WorkerFault(const std::string& call, const std::string& path, int nth, const std::string& error) {
  RunOptions o;
  const char* asan = std::getenv("ASAN_OPTIONS");
  o.env = {{"LD_PRELOAD", SYNC_FAULT_SHIM},
           {"SYNC_FAULT_CALL", call},
           {"SYNC_FAULT_PATH", path},
           {"SYNC_FAULT_NTH", std::to_string(nth)},
           {"SYNC_FAULT_ERRNO", error},
           {"SYNC_FAULT_PROCESS", "sync-worker"},
           {"SYNC_FAULT_LOG", E().cli.dir() + "/faults.log"},
           // The shim comes before the ASan runtime in the sanitizer build.
           {"ASAN_OPTIONS", std::string(asan ? asan : "") + ":verify_asan_link_order=0"}};
  return o;
}

void CreateTables(const std::string& name, int rows) {
  E().mysql.Exec("CREATE TABLE shop." + name + " (id INT PRIMARY KEY, v VARCHAR(40), n INT)");
  E().mysql.Exec("CREATE TABLE shop." + name + "_nokey (id INT, v VARCHAR(40))");
  E().mysql.Exec("INSERT INTO shop." + name + " SELECT seq, CONCAT('v', seq), seq FROM seq.seq_1_to_" +
                 std::to_string(rows));
  E().mysql.Exec("INSERT INTO shop." + name + "_nokey SELECT seq, CONCAT('k', seq) FROM seq.seq_1_to_" +
                 std::to_string(rows / 10));
}

// `sync start`, with the worker's fault if given; a refusal fails the test.
void Start(const SyncCli& cli, const std::string& id, const RunOptions& fault = {}) {
  auto started = cli.Run({"start", id}, fault);
  REQUIRE_MESSAGE(started.exit_code == 0, started.out << started.err);
}

// A task over the two tables of CreateTables(name) into PostgreSQL.
std::string Spec(const std::string& name, int server_id) {
  const std::string tables = "[shop." + name + ", shop." + name + "_nokey]";
  return ShopTaskYaml(E().mysql, name, tables, "", E().pg, "postgres", server_id);
}

// A task over the tables of CreateTables(name, rows), started with the
// worker's `fault`: its id.
std::string StartWithFault(const std::string& name, int rows, int server_id, const RunOptions& fault) {
  CreateTables(name, rows);
  const std::string id = CreateTask(E().cli, name + ".yaml", Spec(name, server_id));
  Start(E().cli, id, fault);
  return id;
}

// One change to each table: a key table's update and a keyless row added.
void Change(const std::string& name, int round) {
  E().mysql.Exec("UPDATE shop." + name + " SET n = n + 1 WHERE id <= " + std::to_string(10 + round));
  E().mysql.Exec("INSERT INTO shop." + name + "_nokey VALUES (" + std::to_string(100000 + round) + ", 'r" +
                 std::to_string(round) + "')");
}

// Changes the tables until the task is no longer running (the fault stopped
// it), up to `limit`; its last status.
json ChangeUntilStopped(const SyncCli& cli, const std::string& id, const std::string& name,
                        std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  json s;
  for (int round = 0; std::chrono::steady_clock::now() < deadline; ++round) {
    s = StatusOf(cli, id);
    if (s.value("lifecycle", "") != "running") return s;
    Change(name, round);
    std::this_thread::sleep_for(300ms);
  }
  return s;
}

// Every row of both tables, the same on both sides: a lost change or a change
// applied twice (a doubled keyless row) differs.
bool Converges(const std::string& name) {
  const std::string keyed = "SELECT id, v, n FROM shop." + name + " ORDER BY id";
  const std::string keyless = "SELECT id, v FROM shop." + name + "_nokey ORDER BY id, v";
  return QueriesConverge(E().mysql, E().pg, {{keyed, keyed}, {keyless, keyless}}, 120s);
}

// Files a write left behind in the task directory (`name.tmp.<pid>.<n>`).
std::vector<std::string> TempFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  return out;
}

// checkpoint.json is whole and names a position the destination's own
// checkpoint (which commits with the data) has reached.
void CheckCheckpointCopyNotAhead(const SyncCli& cli, const std::string& id) {
  const json copy = json::parse(Slurp(TaskDir(cli, id) + "/checkpoint.json"), nullptr, false);
  REQUIRE_MESSAGE(copy.is_object(), "checkpoint.json is damaged");
  const BinlogPosition file = BinlogPosition::FromJson(copy["position"]);
  auto row = DestinationLines(E().pg, "SELECT binlog_file || ':' || binlog_offset FROM sync_state.checkpoint WHERE "
                                      "task_id = '" + id + "'");
  REQUIRE(row);
  REQUIRE(row->size() == 1);
  const std::string& at = row->front();
  const BinlogPosition durable{at.substr(0, at.find(':')), std::stoull(at.substr(at.find(':') + 1)), ""};
  CHECK_MESSAGE(file.Compare(durable) <= 0, "checkpoint.json " << file.ToString() << " is ahead of the destination's "
                                                                << durable.ToString());
}

// The task failed once, for `cause`, saying what to do, in the status and the log.
void CheckFailedWith(const SyncCli& cli, const std::string& id, const json& s, const std::string& cause) {
  INFO(s.dump(1));
  CHECK(s.value("lifecycle", "") == "failed");
  CHECK(s.value("failovers", -1) == 0);  // stopped, not restarted against the same disk
  const std::string error = s.contains("last_errors") && !s["last_errors"].empty()
                                ? s["last_errors"].back().value("message", "")
                                : "";
  MESSAGE("sync status: " << error);
  CHECK(error.find(cause) != std::string::npos);
  CHECK(error.find("the previous content is unchanged") != std::string::npos);
  CHECK(error.find("sync start " + id) != std::string::npos);
  const std::string text = cli.Run({"status", id}).out;
  CHECK(text.find(cause) != std::string::npos);
  const std::string log = cli.Run({"logs", id}).out;
  CHECK(log.find(cause) != std::string::npos);
  CHECK(log.find("task failed") != std::string::npos);
}

// Waits until `path` exists, changing the tables so that a checkpoint comes.
bool WaitFile(const std::string& path, const std::string& name) {
  for (int round = 0; round < 100; ++round) {
    if (std::filesystem::exists(path)) return true;
    if (round % 10 == 0) Change(name, 1000 + round);
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

}  // namespace

TEST_CASE("checkpoint.json that cannot be replaced (EIO on rename): kept whole, the task failed, a start converges") {
  const std::string id = StartWithFault("cr", 600, 7401, WorkerFault("rename", "checkpoint.json", 2, "EIO"));
  REQUIRE(E().cli.WaitStreaming(id));
  const std::string copy = TaskDir(E().cli, id) + "/checkpoint.json";
  REQUIRE(WaitFile(copy, "cr"));
  // Every rename of it after the first fails: what is there now stays.
  const std::string before = Slurp(copy);

  json s = ChangeUntilStopped(E().cli, id, "cr", 60s);
  CheckFailedWith(E().cli, id, s, "the disk or file system holding it failed (Input/output error)");
  CHECK(Slurp(E().cli.dir() + "/faults.log").find("rename") != std::string::npos);
  CHECK(Slurp(copy) == before);
  CHECK(TempFiles(TaskDir(E().cli, id)).empty());
  CheckCheckpointCopyNotAhead(E().cli, id);

  Change("cr", 5000);
  Start(E().cli, id);
  CHECK(Converges("cr"));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  CheckCheckpointCopyNotAhead(E().cli, id);
}

TEST_CASE("schema.json that cannot be fsynced at a DDL (ENOSPC): kept byte for byte; a start replays the DDL") {
  // Its first save is at the stream's start, the second after the DDL.
  const std::string id = StartWithFault("sd", 300, 7402, WorkerFault("fsync", "schema.json", 2, "ENOSPC"));
  REQUIRE(E().cli.WaitStreaming(id));
  const std::string schema = TaskDir(E().cli, id) + "/schema.json";
  const std::string before = Slurp(schema);
  REQUIRE_FALSE(before.empty());

  E().mysql.Exec("ALTER TABLE shop.sd ADD COLUMN note VARCHAR(20) DEFAULT 'new'");
  json s = ChangeUntilStopped(E().cli, id, "sd", 60s);
  CheckFailedWith(E().cli, id, s, "the file system holding it is full (No space left on device)");
  CHECK(Slurp(schema) == before);
  CHECK(TempFiles(TaskDir(E().cli, id)).empty());

  E().mysql.Exec("UPDATE shop.sd SET note = 'after' WHERE id <= 5");
  Start(E().cli, id);
  const std::string with_note = "SELECT id, v, n, note FROM shop.sd ORDER BY id";
  CHECK(QueriesConverge(E().mysql, E().pg, {{with_note, with_note}}, 120s));
  CHECK(Converges("sd"));
  CHECK(json::parse(Slurp(schema)).dump().find("\"note\"") != std::string::npos);
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("a chunk plan that cannot be written during full initialization (EDQUOT): failed, then copied once") {
  const std::string id = StartWithFault("pl", 400, 7404, WorkerFault("write", ".plan.json", 1, "EDQUOT"));
  json s = ChangeUntilStopped(E().cli, id, "pl", 60s);
  CHECK(s["steps"].value("full_initialization", json::object()).value("state", "") != "done");
  CheckFailedWith(E().cli, id, s, ".plan.json: the disk quota on the file system holding it is used up");
  CHECK(s["last_errors"].back().value("message", "").find("free space or raise the quota") != std::string::npos);
  CHECK(TempFiles(TaskDir(E().cli, id)).empty());

  Start(E().cli, id);
  CHECK(Converges("pl"));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
}

TEST_CASE("checkpoint.json that cannot be replaced while a stop waits on the destination: ended within 2 s, kept") {
  // The fault is armed only once the worker waits: the first rename that
  // fails is the one after the batch the stop lets finish.
  CreateTables("sw", 600);
  const std::string id = CreateTask(E().cli, "sw.yaml", Spec("sw", 7406));
  const std::string arming_file = E().cli.dir() + "/sw.armed";
  RunOptions fault = WorkerFault("rename", "checkpoint.json", 1, "EIO");
  fault.env["SYNC_FAULT_ARMED_BY"] = arming_file;
  Start(E().cli, id, fault);
  REQUIRE(E().cli.WaitStreaming(id));
  const std::string copy = TaskDir(E().cli, id) + "/checkpoint.json";
  REQUIRE(WaitFile(copy, "sw"));
  REQUIRE(Converges("sw"));
  const int worker = WorkerPid(E().cli, id);
  REQUIRE(worker > 0);

  double took = 0;
  std::string before;
  {
    // Another session holds a row the next batch updates: the worker waits
    // on the destination with the batch in hand.
    auto blocker = E().pg.Admin("dw");
    REQUIRE(blocker.Execute("BEGIN").ok());
    REQUIRE(blocker.Execute("SELECT * FROM shop.sw WHERE id = 7 FOR UPDATE").ok());
    Change("sw", 1);
    auto waiting = [&] {
      return E().pg.Scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'dw'") != "0";
    };
    for (int i = 0; i < 300 && !waiting(); ++i) std::this_thread::sleep_for(100ms);
    REQUIRE(waiting());
    before = Slurp(copy);
    { std::ofstream(arming_file) << "armed\n"; }

    // The stop arrives while the worker waits; the lock goes within the
    // stop's grace, the batch commits and the copy of its checkpoint cannot
    // be written: the fault meets a stopping worker.
    const auto stop_began = std::chrono::steady_clock::now();
    std::thread stopper([&] {
      auto stopped = E().cli.Run({"stop", id});
      CHECK_MESSAGE(stopped.exit_code == 0, stopped.out << stopped.err);
    });
    // No outward sign tells when the worker has its SIGTERM; `sync stop`
    // sends it within tens of milliseconds of starting.
    std::this_thread::sleep_for(400ms);
    REQUIRE(blocker.Execute("ROLLBACK").ok());
    stopper.join();
    took = std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_began).count();
  }
  MESSAGE("sync stop, a state write failing during it: " << took << " s");
  CHECK(took < 2.0);
  CHECK(::kill(worker, 0) != 0);  // gone, and reaped

  json s = StatusOf(E().cli, id);
  CheckFailedWith(E().cli, id, s, "the disk or file system holding it failed (Input/output error)");
  CHECK(Slurp(E().cli.dir() + "/faults.log").find("rename") != std::string::npos);
  CHECK(Slurp(copy) == before);
  CHECK(TempFiles(TaskDir(E().cli, id)).empty());
  CheckCheckpointCopyNotAhead(E().cli, id);

  // The fault cleared: a start converges, nothing lost or doubled.
  std::filesystem::remove(arming_file);
  Change("sw", 2);
  Start(E().cli, id);
  CHECK(Converges("sw"));
  CHECK(E().cli.Run({"stop", id}).exit_code == 0);
  CheckCheckpointCopyNotAhead(E().cli, id);
}

namespace {

// A small file system mounted on `dir` for this scope: a tmpfs, or an ext4
// image on a loop device (a disk's block allocation, journal and fsync).
// mounted() is false, and why() says why, where this process may not mount.
class SmallFileSystem {
 public:
  enum class Kind { kTmpfs, kExt4 };
  SmallFileSystem(Kind kind, const std::string& dir, int megabytes) : dir_(dir) {
    std::filesystem::create_directories(dir);
    if (::geteuid() != 0) {
      why_ = "not root (uid " + std::to_string(::geteuid()) + "), so nothing can be mounted";
      return;
    }
    const std::string size = std::to_string(megabytes) + "m";
    if (kind == Kind::kTmpfs) {
      if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0700").c_str()) != 0)
        why_ = std::string("mount -t tmpfs failed: ") + std::strerror(errno) + " (no CAP_SYS_ADMIN here?)";
    } else {
      image_dir_ = MakeTempDir("sync-ext4-");
      const std::string image = image_dir_ + "/disk.img";
      // -m 0: root (these tests) gets no blocks the others cannot have.
      auto made = RunProcess({"mkfs.ext4", "-q", "-F", "-m", "0", image, size});
      auto mounted = made.exit_code == 0 ? RunProcess({"mount", "-o", "loop", image, dir}) : made;
      if (mounted.exit_code != 0) why_ = "cannot make and loop-mount an ext4 image: " + mounted.out + mounted.err;
      else ::chmod(dir.c_str(), 0700);
    }
    mounted_ = why_.empty();
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);  // a loop mount frees its device (autoclear)
    if (!image_dir_.empty()) RemoveTree(image_dir_);
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }

 private:
  std::string dir_, image_dir_, why_;
  bool mounted_ = false;
};

// Fills the file system holding `path` up to the last byte; the file's size.
uint64_t FillUp(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::setvbuf(f, nullptr, _IONBF, 0);
  uint64_t size = 0;
  for (size_t chunk : {size_t(1) << 16, size_t(4096), size_t(512), size_t(1)}) {
    const std::string block(chunk, 'x');
    while (std::fwrite(block.data(), 1, chunk, f) == chunk) size += chunk;
    std::clearerr(f);
  }
  std::fclose(f);
  return size;
}

// The task home on `kind` fills up while the task streams.
void FillTheHomeWhileStreaming(SmallFileSystem::Kind kind, const std::string& name, int server_id) {
  SyncCli cli;  // its home on a small file system of its own
  SmallFileSystem disk(kind, cli.home(), 16);
  if (!disk.mounted()) {
    MESSAGE("skipped: " << disk.why());
    return;
  }
  CreateTables(name, 600);
  const std::string id = CreateAndStartTask(cli, name + ".yaml", Spec(name, server_id));
  REQUIRE(cli.WaitStreaming(id));
  REQUIRE(WaitFile(TaskDir(cli, id) + "/checkpoint.json", name));
  const std::string filler = cli.home() + "/filler";
  MESSAGE("filled the file system with " << FillUp(filler) << " bytes");

  json s = ChangeUntilStopped(cli, id, name, 60s);
  CheckFailedWith(cli, id, s, "the file system holding it is full (No space left on device)");
  CHECK(s["last_errors"].back().value("message", "").find("free space on it") != std::string::npos);
  CHECK(TempFiles(TaskDir(cli, id)).empty());
  CHECK(json::parse(Slurp(TaskDir(cli, id) + "/schema.json"), nullptr, false).is_object());
  CheckCheckpointCopyNotAhead(cli, id);

  // Still full: a start says so instead of running into it.
  auto refused = cli.Run({"start", id});
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("is full") != std::string::npos);

  std::filesystem::remove(filler);
  Change(name, 5000);
  Start(cli, id);
  CHECK(Converges(name));
  CHECK(cli.Run({"stop", id}).exit_code == 0);
  CheckCheckpointCopyNotAhead(cli, id);
}

}  // namespace

TEST_CASE("the task home's file system (a tmpfs) fills up while the task streams: failed, converges once freed") {
  FillTheHomeWhileStreaming(SmallFileSystem::Kind::kTmpfs, "fd", 7403);
}

TEST_CASE("the task home's file system (ext4 on a loop device) fills up while the task streams: the same") {
  FillTheHomeWhileStreaming(SmallFileSystem::Kind::kExt4, "fe", 7405);
}
