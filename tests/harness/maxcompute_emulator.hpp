#pragma once
// The MaxCompute emulator (tests/emulators/maxcompute/) as a test server: one
// port on 127.0.0.1 serving the service endpoint (/api), the tunnel and the
// admin hooks (/__emulator), its data in a temp dir that survives Kill() +
// Start() (committed data and open upload sessions are kept, as after a
// crash), removed by the destructor.

#include <optional>
#include <string>
#include <vector>

#include "harness/process.hpp"
#include "sink/maxcompute/mc_client.hpp"

namespace dbsync::testing {

class MaxComputeEmulator {
 public:
  // `extra_args` go to emulator.py, e.g. {"--project", "legacy:1"}; the
  // project p1 (types 2.0) exists unless other --project arguments are given.
  explicit MaxComputeEmulator(std::vector<std::string> extra_args = {});
  ~MaxComputeEmulator();

  int port() const { return port_; }
  std::string endpoint() const;         // the service endpoint, http://127.0.0.1:P/api
  std::string tunnel_endpoint() const;  // http://127.0.0.1:P
  // Options for a client of `project` with the emulator's credentials, quick
  // polls and short retry waits; the tunnel endpoint is left to discovery.
  maxcompute::ClientOptions ClientOptions(const std::string& project = "p1") const;
  // An admin hook (README of the emulator): POST with a JSON body, GET, DELETE.
  std::string Post(const std::string& path, const std::string& json_body = "{}") const;
  std::string Get(const std::string& path) const;
  std::string Delete(const std::string& path) const;
  // `sql` (no trailing ';') through the admin SQL hook with the 2.0 type
  // system: the rows of its CSV result, or nullopt when it failed or the
  // emulator did not answer.
  std::optional<std::vector<std::vector<std::optional<std::string>>>> Query(const std::string& sql) const;
  void Kill();   // SIGKILL: only what was made durable survives
  void Start();  // on the same port and data

  static constexpr const char* kAccessId = "testAccessId";
  static constexpr const char* kAccessKey = "testAccessKeySecret";

 private:
  std::string Admin(const std::string& method, const std::string& path, const std::string& body) const;

  std::string dir_;
  int port_ = 0;
  std::vector<std::string> extra_args_;
  ChildProcess process_;
};

}  // namespace dbsync::testing
