#include "config/secret.hpp"

#include <cstdlib>

#include "core/atomic_file.hpp"

namespace dbsync::config {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

bool IsSecretReference(const std::string& raw) {
  return (StartsWith(raw, "${env:") || StartsWith(raw, "${file:")) && raw.back() == '}';
}

Result<std::string> ResolveSecret(const std::string& raw) {
  if (!IsSecretReference(raw)) return raw;
  if (StartsWith(raw, "${env:")) {
    std::string name = raw.substr(6, raw.size() - 7);
    const char* v = std::getenv(name.c_str());
    if (!v)
      return Status::InvalidArgument("secret " + raw + ": environment variable " + name +
                                     " is not set; export it before running sync");
    return std::string(v);
  }
  std::string path = raw.substr(7, raw.size() - 8);
  auto content = ReadFile(path);
  if (!content.ok())
    return Status::InvalidArgument("secret " + raw + ": " + content.status().message() +
                                   "; make the file readable by this user or change the reference");
  std::string v = std::move(content).value();
  // Files written by `echo` end in a newline that is not part of the password.
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

std::string DisplaySecret(const std::string& raw) {
  if (raw.empty()) return "";
  return IsSecretReference(raw) ? raw : "***";
}

}  // namespace dbsync::config
