// WriteFileAtomically, the Logger and the alert outbox when the file system
// refuses a write. The faults are injected by tests/harness/fault_shim.c,
// preloaded by the ctest entry unit.atomic_file_faults (the plain `unit` run
// skips the cases that need it).
#include <dlfcn.h>
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert_outbox.hpp"
#include "core/atomic_file.hpp"
#include "core/logger.hpp"
#include "state/space_reserve.hpp"

using namespace dbsync;

namespace {

// Whether the shim is loaded; says why the case is skipped when it is not.
bool ShimLoaded() {
  if (dlsym(RTLD_DEFAULT, "sync_fault_shim_loaded") != nullptr) return true;
  MESSAGE("skipped: needs the fault shim preloaded; ctest -R unit.atomic_file_faults runs it");
  return false;
}

std::string TempDir() {
  std::string t = (std::filesystem::temp_directory_path() / "sync-fault-XXXXXX").string();
  REQUIRE(mkdtemp(t.data()) != nullptr);
  return t;
}

// The file's bytes; "" when it cannot be read.
std::string Slurp(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

// Arms the shim for this scope: `call` on paths containing `path` fails with
// `error` from its `nth` matching call on.
class Fault {
 public:
  Fault(const char* call, const std::string& path, const char* error = "ENOSPC", int nth = 1) {
    reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "sync_fault_shim_reset"))();
    ::setenv("SYNC_FAULT_PATH", path.c_str(), 1);
    ::setenv("SYNC_FAULT_ERRNO", error, 1);
    ::setenv("SYNC_FAULT_NTH", std::to_string(nth).c_str(), 1);
    ::setenv("SYNC_FAULT_CALL", call, 1);  // last: the shim is armed from here
  }
  ~Fault() {
    for (const char* name : {"SYNC_FAULT_CALL", "SYNC_FAULT_PATH", "SYNC_FAULT_ERRNO", "SYNC_FAULT_NTH"})
      ::unsetenv(name);
  }
};

// Names in `dir` other than `keep`: a temp file left behind would be one.
int OtherFiles(const std::string& dir, const std::string& keep) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename() != keep) ++n;
  return n;
}

}  // namespace

TEST_SUITE("atomic file faults") {
  TEST_CASE("a failing write, fsync or rename leaves the previous file byte for byte, and no temp file") {
    if (!ShimLoaded()) return;
    for (const char* call : {"write", "fsync", "rename"}) {
      CAPTURE(call);
      const std::string dir = TempDir(), file = dir + "/checkpoint.json";
      const std::string before = "{\"position\": \"binlog.000001:4\"}\n";
      REQUIRE(WriteFileAtomically(file, before).ok());
      Status s;
      {
        Fault fault(call, "checkpoint.json");
        s = WriteFileAtomically(file, "{\"position\": \"binlog.000001:999\"}\n");
      }
      CHECK(s.code() == StatusCode::kStorageFault);
      CHECK(s.message().find(file) != std::string::npos);
      CHECK(s.message().find("the file system holding it is full") != std::string::npos);
      CHECK(s.message().find("the previous content is unchanged") != std::string::npos);
      CHECK(s.message().find("free space on it") != std::string::npos);
      CHECK(Slurp(file) == before);
      CHECK(OtherFiles(dir, "checkpoint.json") == 0);
      std::filesystem::remove_all(dir);
    }
  }

  TEST_CASE("each errno a disk gives says its cause and its fix") {
    if (!ShimLoaded()) return;
    const std::string dir = TempDir(), file = dir + "/schema.json";
    REQUIRE(WriteFileAtomically(file, "{}").ok());
    struct Case {
      const char* error;
      const char* cause;
      const char* fix;
    };
    for (const Case& c : {Case{"EIO", "failed", "dmesg"}, Case{"EDQUOT", "quota", "raise the quota"},
                          Case{"EROFS", "read-only", "remount it read-write"}}) {
      CAPTURE(c.error);
      Fault fault("fsync", "schema.json", c.error);
      Status s = WriteFileAtomically(file, "{\"new\": 1}");
      CHECK(s.code() == StatusCode::kStorageFault);
      CHECK(s.message().find(c.cause) != std::string::npos);
      CHECK(s.message().find(c.fix) != std::string::npos);
      CHECK(Slurp(file) == "{}");
    }
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("several files at once: all new, or on a failed write or fsync of any, every file as it was") {
    if (!ShimLoaded()) return;
    const std::string dir = TempDir();
    std::vector<std::pair<std::string, std::string>> old_files, new_files;
    for (int i = 0; i < 5; ++i) {
      const std::string file = dir + "/t" + std::to_string(i) + ".plan.json";
      old_files.emplace_back(file, "old " + std::to_string(i));
      new_files.emplace_back(file, "new " + std::to_string(i));
    }
    REQUIRE(WriteFilesAtomically(old_files).ok());
    for (const char* call : {"write", "fsync"}) {
      CAPTURE(call);
      Status s;
      {
        Fault fault(call, "t3.plan.json");  // the fourth file of five
        s = WriteFilesAtomically(new_files);
      }
      CHECK(s.code() == StatusCode::kStorageFault);
      CHECK(s.message().find(dir + "/t3.plan.json") != std::string::npos);
      CHECK(s.message().find("the previous content is unchanged") != std::string::npos);
      for (const auto& [file, content] : old_files) CHECK(Slurp(file) == content);
      int entries = 0;
      for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
      CHECK(entries == 5);  // no temp file left
    }
    REQUIRE(WriteFilesAtomically(new_files).ok());
    for (const auto& [file, content] : new_files) CHECK(Slurp(file) == content);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a failing fsync of the directory is reported: the new content is in place but not durable") {
    if (!ShimLoaded()) return;
    const std::string dir = TempDir(), file = dir + "/state.json";
    REQUIRE(WriteFileAtomically(file, "old").ok());
    Status s;
    {
      Fault fault("fsync", dir, "EIO", 2);  // the first fsync is the temp file's, the second the directory's
      s = WriteFileAtomically(file, "new");
    }
    CHECK(s.code() == StatusCode::kStorageFault);
    CHECK(s.message().find("may not survive a crash") != std::string::npos);
    CHECK(Slurp(file) == "new");
    CHECK(OtherFiles(dir, "state.json") == 0);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a log that cannot be written drops lines without failing, and says so when it can write again") {
    if (!ShimLoaded()) return;
    const std::string dir = TempDir(), path = dir + "/worker.log";
    Logger log(path);
    log.Info("before the disk filled");
    {
      Fault fault("write", "worker.log");
      for (int i = 0; i < 3; ++i) log.Error("lost line " + std::to_string(i));
    }
    log.Info("after space was freed");
    const std::string text = Slurp(path);
    CHECK(text.find("before the disk filled") != std::string::npos);
    CHECK(text.find("lost line") == std::string::npos);
    CHECK(text.find("3 log line(s) before this one could not be written") != std::string::npos);
    CHECK(text.find("after space was freed") != std::string::npos);
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("a warning that repeats is logged once per interval, with how many were left out") {
  const std::string dir = TempDir(), path = dir + "/worker.log";
  Logger log(path);
  for (int i = 0; i < 5; ++i) log.WarnRateLimited("metrics", "cannot write the metrics", std::chrono::seconds(3600));
  log.WarnRateLimited("metrics", "cannot write the metrics", std::chrono::seconds(0));
  const std::string text = Slurp(path);
  size_t lines = 0;
  for (size_t at = text.find("cannot write the metrics"); at != std::string::npos;
       at = text.find("cannot write the metrics", at + 1))
    ++lines;
  CHECK(lines == 2);
  CHECK(text.find("(4 more like it since the last one)") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the space reserve allocates its blocks, is kept when whole, and goes when released") {
  const std::string dir = TempDir(), path = dir + "/space.reserve";
  REQUIRE(state::ReserveSpace(path, 64 << 10).ok());
  CHECK(std::filesystem::file_size(path) == 64 << 10);
  REQUIRE(state::ReserveSpace(path, 64 << 10).ok());
  state::ReleaseSpace(path);
  CHECK_FALSE(std::filesystem::exists(path));
  state::ReleaseSpace(path);  // nothing to release: no harm
  std::filesystem::remove_all(dir);
}

TEST_CASE("an alert raised after a line a full disk cut short is whole on a line of its own") {
  const std::string dir = TempDir(), path = dir + "/alerts.jsonl";
  alert::OutboxReader reader(path);
  REQUIRE(alert::Raise(path, {"ddl_notice", "warning", "before", "", {}, ""}).ok());
  {
    std::ofstream cut(path, std::ios::app);
    cut << "{\"kind\":\"dirty_data\",\"mess";  // the write that ran out of room
  }
  REQUIRE(alert::Raise(path, {"failover", "warning", "after", "", {}, ""}).ok());
  auto got = reader.ReadNew();
  REQUIRE(got.size() == 2);
  CHECK(got[0].message == "before");
  CHECK(got[1].message == "after");
  std::filesystem::remove_all(dir);
}
