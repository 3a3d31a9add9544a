#pragma once
// The StarRocks emulator (tests/emulators/starrocks/) as a test server: its
// FE query port, FE HTTP port and BE HTTP port on 127.0.0.1, its data in a
// temp dir that survives Kill() + Start() (a crash and restart keeps exactly
// what it committed), removed by the destructor.

#include <string>
#include <vector>

#include "harness/process.hpp"
#include "net/mysql_client.hpp"

namespace dbsync::testing {

class StarRocksEmulator {
 public:
  explicit StarRocksEmulator(std::vector<std::string> extra_args = {});
  ~StarRocksEmulator();

  int query_port() const { return query_port_; }
  int http_port() const { return http_port_; }
  // A root connection to the FE query port.
  mysql::Connection Admin() const;
  void Exec(const std::string& sql) const;
  // An admin hook (README of the emulator): POST with a JSON body, or GET.
  std::string Post(const std::string& path, const std::string& json_body) const;
  std::string Get(const std::string& path) const;
  void Kill();   // SIGKILL: nothing uncommitted survives
  void Start();  // on the same ports and data

  static constexpr const char* kPassword = "sr-pw";

 private:
  std::string dir_;
  int query_port_ = 0, http_port_ = 0, be_port_ = 0;
  std::vector<std::string> extra_args_;
  ChildProcess process_;
};

}  // namespace dbsync::testing
