// The worker log shared by two writers (supervisor and worker): rotation by
// one of them must not make the other write into, or over, the old file.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/log_follower.hpp"
#include "core/logger.hpp"

using namespace dbsync;

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string TempLogPath() {
  std::string t = (std::filesystem::temp_directory_path() / "sync-log-XXXXXX").string();
  REQUIRE(mkdtemp(t.data()) != nullptr);
  return t + "/worker.log";
}

}  // namespace

TEST_CASE("a writer follows a rotation done by another writer of the same log") {
  const std::string path = TempLogPath();
  Logger supervisor(path, 4096);
  Logger worker(path, 4096);
  supervisor.Info("supervisor line before");
  for (int i = 0; i < 60; ++i) worker.Info("worker line " + std::to_string(i) + " " + std::string(80, 'w'));
  REQUIRE(std::filesystem::exists(path + ".1"));  // the worker rotated
  supervisor.Info("supervisor line after the rotation");
  const std::string current = Slurp(path), rotated = Slurp(path + ".1");
  CHECK(current.find("supervisor line after the rotation") != std::string::npos);
  CHECK(rotated.find("supervisor line after the rotation") == std::string::npos);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST_CASE("two writers rotating in turn never overwrite the rotated file with a fresh one") {
  const std::string path = TempLogPath();
  Logger a(path, 2048);
  Logger b(path, 2048);
  // Interleaved writes: every rotation leaves a full file behind as `.1`.
  for (int i = 0; i < 400; ++i) (i % 2 ? a : b).Info("line " + std::to_string(i) + " " + std::string(60, 'x'));
  const std::string rotated = Slurp(path + ".1");
  CHECK(rotated.size() >= 2048);
  // Each file holds a run of consecutive lines: nothing was written to a file
  // after it had been rotated away.
  std::istringstream lines(rotated + Slurp(path));
  std::string line;
  int previous = -1;
  while (std::getline(lines, line)) {
    auto at = line.find(" line ");
    REQUIRE(at != std::string::npos);
    int n = std::stoi(line.substr(at + 6));
    if (previous >= 0) CHECK(n == previous + 1);
    previous = n;
  }
  CHECK(previous == 399);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST_CASE("LogFollower returns whole lines, and follows a rotation after the old file's last lines") {
  const std::string path = TempLogPath();
  auto append = [](const std::string& file, const std::string& text) {
    std::ofstream out(file, std::ios::app);
    out << text;
  };
  LogFollower missing(path, true);
  CHECK(missing.ReadNewLines().empty());  // no file yet
  append(path, "one\ntw");
  LogFollower follower(path, true);
  CHECK(follower.ReadNewLines() == std::vector<std::string>{"one"});
  CHECK(missing.ReadNewLines() == std::vector<std::string>{"one"});  // found once it exists
  append(path, "o\nthree\n");
  CHECK(follower.ReadNewLines() == std::vector<std::string>{"two", "three"});
  append(path, "four\n");
  std::filesystem::rename(path, path + ".1");  // what Logger does at its size limit
  append(path, "five\n");
  CHECK(follower.ReadNewLines() == std::vector<std::string>{"four", "five"});
  append(path, "six\n");
  CHECK(follower.ReadNewLines() == std::vector<std::string>{"six"});
  LogFollower at_end(path, false);
  append(path, "seven\n");
  CHECK(at_end.ReadNewLines() == std::vector<std::string>{"seven"});
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}
