#include "core/binlog_position.hpp"

#include <cstdlib>

namespace dbsync {
namespace {

uint64_t FileSequence(const std::string& file) {
  size_t dot = file.rfind('.');
  return dot == std::string::npos ? 0 : std::strtoull(file.c_str() + dot + 1, nullptr, 10);
}

}  // namespace

int BinlogPosition::Compare(const BinlogPosition& other) const {
  uint64_t a = FileSequence(file), b = FileSequence(other.file);
  if (a != b) return a < b ? -1 : 1;
  if (offset != other.offset) return offset < other.offset ? -1 : 1;
  return 0;
}

int64_t BinlogPosition::Sequence() const { return int64_t(FileSequence(file) * 10000000000ULL + offset); }

nlohmann::json BinlogPosition::ToJson() const {
  return {{"file", file}, {"offset", offset}, {"gtid_set", gtid_set}};
}

BinlogPosition BinlogPosition::FromJson(const nlohmann::json& j) {
  BinlogPosition p;
  p.file = j.value("file", "");
  p.offset = j.value("offset", uint64_t{0});
  p.gtid_set = j.value("gtid_set", "");
  return p;
}

}  // namespace dbsync
