#include "sink/readback_text.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace dbsync::sink {

std::string TrimDecimal(std::string s) {
  size_t dot = s.find('.');
  if (dot != std::string::npos && s.find_first_of("eE") == std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string TrimFraction(std::string s) {
  size_t dot = s.rfind('.');
  if (dot != std::string::npos && dot > s.rfind(':')) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string ShortestFloat(std::string_view text) {
  return fmt::format("{}", std::strtof(std::string(text).c_str(), nullptr));
}

std::string ShortestDouble(std::string_view text) {
  return fmt::format("{}", std::strtod(std::string(text).c_str(), nullptr));
}

std::string CanonicalJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? std::string(text) : j.dump();
}

}  // namespace dbsync::sink
