#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "config/secret.hpp"
#include "core/atomic_file.hpp"
#include "core/text_util.hpp"
#include "state/file_lock.hpp"

using namespace dbsync;

namespace {

std::string TempDir() {
  std::string t = std::filesystem::temp_directory_path().string() + "/sync-unit-XXXXXX";
  REQUIRE(mkdtemp(t.data()) != nullptr);
  return t;
}

unsigned Mode(const std::string& p) {
  struct stat st;
  REQUIRE(stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("edit distance and nearest word") {
    CHECK(EditDistance("host", "hots") == 2);
    CHECK(EditDistance("", "abc") == 3);
    CHECK(NearestWord("hots", {"host", "port", "user"}) == "host");
    CHECK(NearestWord("zzzzzzzz", {"host", "port"}).empty());
  }

  TEST_CASE("nearest word skips only candidates that cannot be the answer") {
    // The answer as NearestWord gave it before it skipped by length: every
    // candidate measured, the first closest kept.
    auto measure_all = [](std::string_view word, const std::vector<std::string>& candidates) {
      std::string best;
      size_t best_distance = SIZE_MAX;
      for (const auto& c : candidates)
        if (size_t d = EditDistance(ToLower(word), ToLower(c)); d < best_distance) best_distance = d, best = c;
      return best_distance <= std::max<size_t>(2, std::max(word.size(), best.size()) / 2) ? best : "";
    };
    const std::vector<std::string> keys = {"name", "sync_mode", "source", "destination", "mapping", "tables",
                                           "ddl", "runtime", "alerts", "max_source_connections", "Host", "a"};
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
      std::string word = keys[rng() % keys.size()];
      for (int edits = int(rng() % 12); edits > 0; --edits) {
        const size_t at = word.empty() ? 0 : rng() % word.size();
        if (rng() % 2 && !word.empty()) word.erase(at, 1 + rng() % 3);
        else word.insert(at, std::string(1 + rng() % 4, "aeHx_s"[rng() % 6]));
      }
      CAPTURE(word);
      CHECK(NearestWord(word, keys) == measure_all(word, keys));
    }
  }

  TEST_CASE("glob matching") {
    CHECK(GlobMatch("shop.*", "shop.orders"));
    CHECK_FALSE(GlobMatch("shop.*", "shops.orders"));
    CHECK(GlobMatch("*.t?", "a.t1"));
    CHECK_FALSE(GlobMatch("*.t?", "a.t12"));
    CHECK(GlobMatch("*", ""));
  }

  TEST_CASE("trimming and splitting") {
    CHECK(Trim("  a b \n") == "a b");
    CHECK(Trim(" \t\n") == "");
    CHECK(Split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
    CHECK(Split("", ',') == std::vector<std::string>{""});
    CHECK(Split("x:", ':') == std::vector<std::string>{"x", ""});
  }

  TEST_CASE("atomic writes replace the file with mode 0600 and leave no temp file") {
    std::string dir = TempDir();
    std::string f = dir + "/state.json";
    REQUIRE(WriteFileAtomically(f, "one").ok());
    REQUIRE(WriteFileAtomically(f, "two").ok());
    CHECK(*ReadFile(f) == "two");
    CHECK(Mode(f) == 0600);
    int entries = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++entries;
    CHECK(entries == 1);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("MakeDirs tightens an existing directory to the requested mode") {
    std::string dir = TempDir();
    std::string home = dir + "/a/b";
    REQUIRE(MakeDirs(home, 0700).ok());
    CHECK(Mode(home) == 0700);
    chmod(home.c_str(), 0755);
    REQUIRE(MakeDirs(home, 0700).ok());
    CHECK(Mode(home) == 0700);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("writing into a missing directory is an error naming the path") {
    Status s = WriteFileAtomically("/nonexistent-dir-sync/x", "y");
    CHECK_FALSE(s.ok());
    CHECK(s.message().find("/nonexistent-dir-sync/x") != std::string::npos);
  }

  TEST_CASE("file locks exclude a second holder until released") {
    std::string dir = TempDir();
    std::string path = dir + "/lock";
    {
      auto first = state::FileLock::Acquire(path, 0, "task x");
      REQUIRE(first.ok());
      // flock locks belong to open file descriptions, so a second open in the same
      // process conflicts just as another process would.
      auto second = state::FileLock::Acquire(path, 50, "task x");
      REQUIRE_FALSE(second.ok());
      CHECK(second.status().code() == StatusCode::kBusy);
      CHECK(second.status().message().find("process " + std::to_string(getpid())) != std::string::npos);
    }
    CHECK(state::FileLock::Acquire(path, 0, "task x").ok());
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("secrets resolve from env and file, and literals are never displayed") {
    setenv("SYNC_UNIT_SECRET", "s3cret", 1);
    CHECK(*config::ResolveSecret("${env:SYNC_UNIT_SECRET}") == "s3cret");
    CHECK(*config::ResolveSecret("plain") == "plain");
    auto missing = config::ResolveSecret("${env:SYNC_UNIT_NOT_SET}");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().message().find("SYNC_UNIT_NOT_SET is not set") != std::string::npos);

    std::string dir = TempDir();
    REQUIRE(WriteFileAtomically(dir + "/pw", "from-file\n").ok());
    CHECK(*config::ResolveSecret("${file:" + dir + "/pw}") == "from-file");
    auto unreadable = config::ResolveSecret("${file:" + dir + "/nope}");
    REQUIRE_FALSE(unreadable.ok());
    CHECK(unreadable.status().message().find(dir + "/nope") != std::string::npos);

    CHECK(config::DisplaySecret("hunter2") == "***");
    CHECK(config::DisplaySecret("${env:X}") == "${env:X}");
    config::Redactor r;
    r.Add("hunter2");
    CHECK(r.Apply("bad password hunter2 for hunter2") == "bad password *** for ***");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("status context and retryability") {
    Status s = Status::Unavailable("down").WithContext("source");
    CHECK(s.message() == "source: down");
    CHECK(s.IsRetryable());
    CHECK_FALSE(Status::InvalidArgument("x").IsRetryable());
    Result<int> r = Status::NotFound("gone");
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
  }
}

#include "check/source_checks.hpp"

TEST_SUITE("check") {
  TEST_CASE("server versions: MySQL 5.7+ and MariaDB 10.3+ are supported, older ones warn") {
    CHECK(dbsync::check::IsSupportedServerVersion("8.0.36", false));
    CHECK(dbsync::check::IsSupportedServerVersion("5.7.44-log", false));
    CHECK(dbsync::check::IsSupportedServerVersion("9.1.0", false));
    CHECK_FALSE(dbsync::check::IsSupportedServerVersion("5.6.51", false));
    CHECK(dbsync::check::IsSupportedServerVersion("10.11.19-MariaDB-0+deb12u1-log", true));
    CHECK(dbsync::check::IsSupportedServerVersion("11.4.2-MariaDB", true));
    CHECK_FALSE(dbsync::check::IsSupportedServerVersion("10.2.44-MariaDB", true));
    CHECK_FALSE(dbsync::check::IsSupportedServerVersion("garbage", false));
  }
}
