#include "source/source.hpp"

namespace dbsync::source {

nlohmann::json Chunk::ToJson() const { return {{"index", index}, {"lower", lower}, {"upper", upper}}; }

Chunk Chunk::FromJson(const nlohmann::json& j) {
  Chunk c;
  c.index = j.value("index", 0);
  c.lower = j.value("lower", std::vector<std::string>{});
  c.upper = j.value("upper", std::vector<std::string>{});
  return c;
}

}  // namespace dbsync::source
