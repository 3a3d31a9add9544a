#pragma once
// Child processes for tests: run to completion capturing output, or keep running
// (servers). Children get PR_SET_PDEATHSIG so nothing outlives a crashed test.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace dbsync::testing {

struct RunOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::vector<std::string> unset_env;
  std::string stdin_text;
  std::string run_as_user;  // when root: switch to this user (PostgreSQL refuses root)
  std::string cwd;
  std::string stdout_file;  // for Spawn: redirect stdout+stderr here (empty: /dev/null)
};

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

ProcessResult RunProcess(const std::vector<std::string>& argv, const RunOptions& opts = {});

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ~ChildProcess();

  static ChildProcess Spawn(const std::vector<std::string>& argv, const RunOptions& opts = {});
  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+N for signal N).
  int Wait();

 private:
  pid_t pid_ = -1;
};

int FreePort();
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);
void WriteText(const std::string& path, const std::string& text);
std::string ReadText(const std::string& path);

}  // namespace dbsync::testing
