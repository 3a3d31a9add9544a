#include "sink/readback_sql.hpp"

#include "core/text_util.hpp"

namespace dbsync::sink {

namespace {

std::string Equal(const std::vector<std::string>& exprs, const std::vector<std::string>& literals, size_t n) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < n && i < exprs.size() && i < literals.size(); ++i)
    parts.push_back(exprs[i] + " = " + literals[i]);
  return Join(parts, " AND ");
}

}  // namespace

std::string KeyAfter(const std::vector<std::string>& exprs, const std::vector<std::string>& literals) {
  std::vector<std::string> arms;
  for (size_t i = 0; i < exprs.size() && i < literals.size(); ++i) {
    std::string equal = Equal(exprs, literals, i);
    arms.push_back("(" + (equal.empty() ? "" : equal + " AND ") + exprs[i] + " > " + literals[i] + ")");
  }
  return "(" + Join(arms, " OR ") + ")";
}

std::vector<std::string> KeyLiterals(const CanonicalRow& key, const KeyLiteralOf& literal) {
  std::vector<std::string> out;
  for (size_t i = 0; i < key.size(); ++i) out.push_back(literal(i, key[i]));
  return out;
}

std::string KeyAmong(const std::vector<std::string>& exprs, const std::vector<CanonicalRow>& keys,
                     const KeyLiteralOf& literal) {
  std::vector<std::string> arms;
  for (const auto& key : keys) {
    std::vector<std::string> literals = KeyLiterals(key, literal);
    arms.push_back(exprs.size() == 1 && !literals.empty() ? literals[0] : "(" + Equal(exprs, literals, exprs.size()) + ")");
  }
  if (exprs.size() == 1) return exprs[0] + " IN (" + Join(arms, ", ") + ")";
  return "(" + Join(arms, " OR ") + ")";
}

}  // namespace dbsync::sink
