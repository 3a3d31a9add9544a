#pragma once
// Replaces known secret values with "***" in text that came from elsewhere
// (server error messages can echo what was sent). Not thread-safe.

#include <string>
#include <vector>

namespace dbsync {

class Redactor {
 public:
  void Add(const std::string& secret) {
    // Very short secrets would turn ordinary words into asterisks.
    if (secret.size() >= 3) secrets_.push_back(secret);
  }
  std::string Apply(std::string text) const {
    for (const auto& s : secrets_)
      for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3))
        text.replace(pos, s.size(), "***");
    return text;
  }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace dbsync
