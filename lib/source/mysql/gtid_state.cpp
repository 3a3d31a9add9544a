#include "source/mysql/gtid_state.hpp"

#include <algorithm>
#include <cctype>

#include "core/text_util.hpp"

namespace dbsync::mysql {

Result<GtidState> GtidState::Parse(const std::string& raw, bool mariadb) {
  GtidState st;
  st.is_mariadb_ = mariadb;
  std::string text;
  for (char c : raw)
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  if (text.empty()) return st;
  for (const auto& part : Split(text, ',')) {
    if (mariadb) {
      auto f = Split(part, '-');
      if (f.size() != 3) return Status::InvalidArgument("invalid MariaDB GTID '" + part + "': expected domain-server-seq");
      st.SetMariadb(uint32_t(std::stoul(f[0])), uint32_t(std::stoul(f[1])), std::stoull(f[2]));
      continue;
    }
    auto f = Split(part, ':');
    if (f.size() < 2) return Status::InvalidArgument("invalid MySQL GTID set element '" + part + "'");
    std::string sid = f[0];
    for (size_t i = 1; i < f.size(); ++i) {
      if (!f[i].empty() && !std::isdigit(static_cast<unsigned char>(f[i][0]))) {
        sid = f[0] + ":" + f[i];  // a tag (MySQL 8.3+) applies to the intervals after it
        continue;
      }
      size_t dash = f[i].find('-');
      int64_t a = std::stoll(f[i]);
      int64_t b = dash == std::string::npos ? a : std::stoll(f[i].substr(dash + 1));
      auto& iv = st.mysql_[sid];
      iv.push_back({a, b});
    }
  }
  for (auto& [sid, iv] : st.mysql_) std::sort(iv.begin(), iv.end());
  return st;
}

void GtidState::AddMysql(const std::string& sid, int64_t gno) {
  auto& iv = mysql_[sid];
  auto it = std::lower_bound(iv.begin(), iv.end(), std::make_pair(gno, gno));
  if (it != iv.begin() && std::prev(it)->second >= gno - 1) {
    auto prev = std::prev(it);
    prev->second = std::max(prev->second, gno);
    if (it != iv.end() && it->first <= prev->second + 1) {
      prev->second = std::max(prev->second, it->second);
      iv.erase(it);
    }
    return;
  }
  if (it != iv.end() && it->first <= gno + 1) {
    it->first = std::min(it->first, gno);
    return;
  }
  iv.insert(it, {gno, gno});
}

void GtidState::SetMariadb(uint32_t domain, uint32_t server, uint64_t sequence) {
  is_mariadb_ = true;
  mariadb_[domain] = {server, sequence};
}

std::string GtidState::ToString() const {
  std::vector<std::string> parts;
  if (is_mariadb_) {
    for (const auto& [domain, sv] : mariadb_)
      parts.push_back(std::to_string(domain) + "-" + std::to_string(sv.first) + "-" + std::to_string(sv.second));
    return Join(parts, ",");
  }
  for (const auto& [sid, iv] : mysql_) {
    std::string s = sid;
    for (const auto& [a, b] : iv) s += ":" + (a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b));
    parts.push_back(s);
  }
  return Join(parts, ",");
}

}  // namespace dbsync::mysql
