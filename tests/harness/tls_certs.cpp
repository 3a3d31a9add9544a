#include "harness/tls_certs.hpp"

#include <sys/stat.h>

#include <stdexcept>
#include <vector>

#include "harness/process.hpp"

namespace dbsync::testing {
namespace {

void OpenSsl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunProcess(argv);
  if (r.exit_code != 0)
    throw std::runtime_error("openssl " + args.front() + " failed (" + std::to_string(r.exit_code) + "): " + r.err +
                             r.out + " (is the openssl package installed? scripts/install-deps.sh)");
}

// A self-signed CA in dir/<name>.pem with its key in dir/<name>.key.
void MakeCa(const std::string& dir, const std::string& name) {
  OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3",
           "-subj", "/CN=sync test " + name, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign", "-keyout", dir + "/" + name + ".key", "-out",
           dir + "/" + name + ".pem"});
}

// A certificate dir/<name>.pem (key dir/<name>.key) signed by dir/ca.
void MakeSigned(const std::string& dir, const std::string& name, const std::string& cn, const std::string& san) {
  const std::string base = dir + "/" + name;
  OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + cn,
           "-keyout", base + ".key", "-out", base + ".csr"});
  std::string ext = "basicConstraints=CA:FALSE\n";
  if (!san.empty()) ext += "subjectAltName=" + san + "\n";
  WriteText(base + ".ext", ext);
  OpenSsl({"x509", "-req", "-in", base + ".csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
           "-CAcreateserial", "-days", "3", "-extfile", base + ".ext", "-out", base + ".pem"});
  ::chmod((base + ".key").c_str(), 0600);
}

}  // namespace

TlsCertificates::TlsCertificates() {
  dir = MakeTempDir("sync-tls-");
  try {
    MakeCa(dir, "ca");
    MakeCa(dir, "wrong-ca");
    MakeSigned(dir, "server", "localhost", "IP:127.0.0.1,DNS:localhost");
    MakeSigned(dir, "other-host", kOtherHost, std::string("DNS:") + kOtherHost);
    MakeSigned(dir, "client", "sync-client", "");
  } catch (...) {
    RemoveTree(dir);
    throw;
  }
  // Servers running as another user (PostgreSQL as postgres) read copies in their own dirs.
  ::chmod(dir.c_str(), 0755);
  ca = dir + "/ca.pem";
  wrong_ca = dir + "/wrong-ca.pem";
  server_cert = dir + "/server.pem";
  server_key = dir + "/server.key";
  other_host_cert = dir + "/other-host.pem";
  other_host_key = dir + "/other-host.key";
  client_cert = dir + "/client.pem";
  client_key = dir + "/client.key";
}

TlsCertificates::~TlsCertificates() { RemoveTree(dir); }

}  // namespace dbsync::testing
