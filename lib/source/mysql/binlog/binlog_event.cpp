#include "source/mysql/binlog/binlog_event.hpp"

#include <cstdio>

namespace dbsync::binlog {

bool FormatDescriptionEvent::IsMariaDb() const {
  return server_version.find("MariaDB") != std::string::npos;
}

uint8_t FormatDescriptionEvent::PostHeaderLength(EventType type, uint8_t fallback) const {
  const size_t index = static_cast<size_t>(type) - 1;
  if (type == EventType::kUnknown || index >= post_header_lengths.size()) return fallback;
  return post_header_lengths[index];
}

std::string UuidToString(const Uuid& uuid) {
  char buf[40];
  char* p = buf;
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    p += std::snprintf(p, 3, "%02x", uuid[i]);
  }
  return std::string(buf, p);
}

std::string GtidEvent::ToString() const {
  if (anonymous) return "ANONYMOUS";
  return UuidToString(sid) + (tag.empty() ? "" : ":" + tag) + ":" + std::to_string(gno);
}

std::string PreviousGtidsEvent::ToString() const {
  std::string out;
  for (size_t i = 0; i < sets.size(); ++i) {
    const GtidSetEntry& e = sets[i];
    // Entries of one UUID with several tags are written next to each other.
    const bool same_uuid = i > 0 && sets[i - 1].sid == e.sid;
    if (i > 0) out += same_uuid ? "" : ",";
    if (!same_uuid) out += UuidToString(e.sid);
    if (!e.tag.empty()) out += ":" + e.tag;
    for (const auto& iv : e.intervals) {
      out += ":" + std::to_string(iv.start);
      if (iv.end - 1 > iv.start) out += "-" + std::to_string(iv.end - 1);
    }
  }
  return out;
}

std::string MariadbGtid::ToString() const {
  return std::to_string(domain_id) + "-" + std::to_string(server_id) + "-" + std::to_string(sequence);
}

const char* RowsKindName(RowsKind kind) {
  switch (kind) {
    case RowsKind::kInsert: return "insert";
    case RowsKind::kUpdate: return "update";
    case RowsKind::kDelete: return "delete";
  }
  return "insert";
}

}  // namespace dbsync::binlog
