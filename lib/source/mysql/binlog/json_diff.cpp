#include "source/mysql/binlog/json_diff.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "source/mysql/binlog/json_binary.hpp"

namespace dbsync::binlog {
namespace {

using Doc = nlohmann::ordered_json;

struct Leg {
  bool is_member = false;
  std::string key;
  size_t index = 0;
};

// MySQL JSON paths as the server writes them into diffs: $, .key, ."key", [n].
std::optional<std::vector<Leg>> ParsePath(const std::string& path) {
  if (path.empty() || path[0] != '$') return std::nullopt;
  std::vector<Leg> legs;
  size_t i = 1;
  while (i < path.size()) {
    Leg leg;
    if (path[i] == '.') {
      leg.is_member = true;
      ++i;
      if (i < path.size() && path[i] == '"') {
        ++i;
        while (i < path.size() && path[i] != '"') {
          if (path[i] == '\\' && i + 1 < path.size()) ++i;
          leg.key += path[i++];
        }
        if (i >= path.size()) return std::nullopt;
        ++i;
      } else {
        while (i < path.size() && path[i] != '.' && path[i] != '[') leg.key += path[i++];
      }
      if (leg.key.empty()) return std::nullopt;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) return std::nullopt;
      auto [p, ec] = std::from_chars(path.data() + i + 1, path.data() + close, leg.index);
      if (ec != std::errc() || p != path.data() + close) return std::nullopt;
      i = close + 1;
    } else {
      return std::nullopt;
    }
    legs.push_back(std::move(leg));
  }
  return legs;
}

bool Apply(Doc& doc, const JsonDiff& diff) {
  auto legs = ParsePath(diff.path);
  if (!legs || legs->empty()) {
    if (legs && diff.op == JsonDiff::Op::kReplace) {  // "$": the whole document
      doc = Doc::parse(diff.value, nullptr, false);
      return !doc.is_discarded();
    }
    return false;
  }
  Doc* parent = &doc;
  for (size_t i = 0; i + 1 < legs->size(); ++i) {
    const Leg& leg = (*legs)[i];
    if (leg.is_member) {
      if (!parent->is_object() || !parent->contains(leg.key)) return false;
      parent = &(*parent)[leg.key];
    } else {
      if (!parent->is_array() || leg.index >= parent->size()) return false;
      parent = &(*parent)[leg.index];
    }
  }
  const Leg& last = legs->back();
  Doc value;
  if (diff.op != JsonDiff::Op::kRemove) {
    value = Doc::parse(diff.value, nullptr, false);
    if (value.is_discarded()) return false;
  }
  if (last.is_member) {
    if (!parent->is_object()) return false;
    const bool exists = parent->contains(last.key);
    switch (diff.op) {
      case JsonDiff::Op::kReplace:
      case JsonDiff::Op::kInsert:
        if (exists != (diff.op == JsonDiff::Op::kReplace)) return false;
        (*parent)[last.key] = std::move(value);
        return true;
      case JsonDiff::Op::kRemove:
        return parent->erase(last.key) == 1;
    }
  }
  if (!parent->is_array()) return false;
  switch (diff.op) {
    case JsonDiff::Op::kReplace:
      if (last.index >= parent->size()) return false;
      (*parent)[last.index] = std::move(value);
      return true;
    case JsonDiff::Op::kInsert:
      parent->insert(parent->begin() + std::min(last.index, parent->size()), std::move(value));
      return true;
    case JsonDiff::Op::kRemove:
      if (last.index >= parent->size()) return false;
      parent->erase(last.index);
      return true;
  }
  return false;
}

void Render(const Doc& d, std::string* out) {
  switch (d.type()) {
    case Doc::value_t::object: {
      // MySQL stores (and so prints) object keys ordered by length, then bytes.
      std::vector<const std::string*> keys;
      for (auto it = d.begin(); it != d.end(); ++it) keys.push_back(&it.key());
      std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) {
        return a->size() != b->size() ? a->size() < b->size() : *a < *b;
      });
      *out += '{';
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) *out += ", ";
        AppendJsonString(*keys[i], out);
        *out += ": ";
        Render(d.at(*keys[i]), out);
      }
      *out += '}';
      return;
    }
    case Doc::value_t::array:
      *out += '[';
      for (size_t i = 0; i < d.size(); ++i) {
        if (i) *out += ", ";
        Render(d[i], out);
      }
      *out += ']';
      return;
    case Doc::value_t::string:
      AppendJsonString(d.get_ref<const std::string&>(), out);
      return;
    case Doc::value_t::number_float: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, d.get<double>());
      std::string s(buf, r.ptr);
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      *out += s;
      return;
    }
    default:
      *out += d.dump();
  }
}

const char* OpFunction(JsonDiff::Op op) {
  switch (op) {
    case JsonDiff::Op::kReplace: return "JSON_REPLACE";
    case JsonDiff::Op::kInsert: return "JSON_INSERT";
    case JsonDiff::Op::kRemove: return "JSON_REMOVE";
  }
  return "JSON_REPLACE";
}

}  // namespace

std::string RenderJsonDiffs(size_t column, const std::vector<JsonDiff>& diffs) {
  std::string out = "@" + std::to_string(column + 1);
  for (const auto& d : diffs) {
    std::string call = std::string(OpFunction(d.op)) + "(" + out + ", '" + d.path + "'";
    if (d.op != JsonDiff::Op::kRemove) call += ", " + d.value;
    out = call + ")";
  }
  return out;
}

std::string CanonicalJsonText(const std::string& text) {
  std::string out;
  Render(Doc::parse(text), &out);
  return out;
}

void ApplyJsonDiffs(RowChange* change) {
  for (const auto& [column, diffs] : change->json_diffs) {
    if (column >= change->before.size() || column >= change->after.size()) continue;
    const Json* before = change->before[column].get_if<Json>();
    if (!before) continue;
    Doc doc = Doc::parse(before->text, nullptr, false);
    if (doc.is_discarded()) continue;
    bool ok = true;
    for (const auto& d : diffs) ok = ok && Apply(doc, d);
    if (!ok) continue;
    std::string text;
    Render(doc, &text);
    change->after[column] = Json{std::move(text)};
    change->json_diffs_applied.push_back(column);
  }
}

}  // namespace dbsync::binlog
