#include "core/text_util.hpp"

#include <cstdio>
#include <ctime>

#include <algorithm>
#include <cctype>

namespace dbsync {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min(std::min(prev[j], cur[j - 1]) + 1, subst);
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string NearestWord(std::string_view word, const std::vector<std::string>& candidates) {
  // Beyond this a suggestion is noise rather than help.
  auto limit = [&](size_t candidate_size) { return std::max<size_t>(2, std::max(word.size(), candidate_size) / 2); };
  size_t longest = 0;
  for (const auto& c : candidates) longest = std::max(longest, c.size());
  // Every candidate's distance is at least the difference of the lengths, so
  // those no limit can accept, or that cannot beat the best so far, are not
  // measured: the task-spec loader asks this for every unknown key.
  const std::string lower = ToLower(word);
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    const size_t gap = lower.size() > c.size() ? lower.size() - c.size() : c.size() - lower.size();
    if (gap > limit(longest) || gap >= best_distance) continue;
    size_t d = EditDistance(lower, ToLower(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best_distance <= limit(best.size()) ? best : "";
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string Trim(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return std::string(s.substr(begin, end - begin));
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::string FormatUtcTime(int64_t epoch, const char* format) {
  std::time_t t = epoch;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string HumanDuration(int64_t seconds) {
  char buf[32];
  if (seconds < 60) std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(seconds));
  else if (seconds < 3600) std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(seconds / 60), static_cast<long long>(seconds % 60));
  else std::snprintf(buf, sizeof buf, "%lldh %02lldm", static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60));
  return buf;
}

}  // namespace dbsync
