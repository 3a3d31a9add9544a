#include "sink/maxcompute/mc_xml.hpp"

#include <array>
#include <utility>

namespace dbsync::maxcompute {
namespace {

constexpr std::string_view kCDataOpen = "<![CDATA[";
constexpr std::string_view kCDataClose = "]]>";

bool IsNameEnd(char c) { return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Position of the next '<' at or after `from` that is markup, not CDATA content.
size_t NextTag(std::string_view xml, size_t from) {
  while (true) {
    size_t at = xml.find('<', from);
    if (at == std::string_view::npos || xml.compare(at, kCDataOpen.size(), kCDataOpen) != 0) return at;
    size_t close = xml.find(kCDataClose, at + kCDataOpen.size());
    if (close == std::string_view::npos) return std::string_view::npos;
    from = close + kCDataClose.size();
  }
}

// The first start tag `<name ...>` or `<name/>`: where it starts and where its content starts.
std::optional<std::pair<size_t, size_t>> FindStartTag(std::string_view xml, std::string_view name) {
  for (size_t at = NextTag(xml, 0); at != std::string_view::npos; at = NextTag(xml, at + 1)) {
    size_t after = at + 1 + name.size();
    if (after < xml.size() && xml.compare(at + 1, name.size(), name) == 0 && IsNameEnd(xml[after])) {
      size_t end = xml.find('>', after);
      if (end == std::string_view::npos) return std::nullopt;
      return std::make_pair(at, end + 1);
    }
  }
  return std::nullopt;
}

std::string DecodeEntities(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 5> kEntities = {
      {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}}};
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    bool decoded = false;
    for (const auto& [entity, c] : kEntities) {
      if (text.compare(i, entity.size(), entity) == 0) {
        out.push_back(c);
        i += entity.size() - 1;
        decoded = true;
        break;
      }
    }
    if (!decoded) out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::optional<std::string_view> XmlElement(std::string_view xml, std::string_view name) {
  auto start = FindStartTag(xml, name);
  if (!start) return std::nullopt;
  // Empty, but inside `xml` just after the tag: callers walk a document by
  // the position of the element they found (ProjectProperty, ProjectTimeZone).
  if (xml[start->second - 2] == '/') return xml.substr(start->second, 0);
  // Nested elements of the same name do not occur in these documents; the
  // first closing tag ends it.
  std::string closing = "</" + std::string(name) + ">";
  for (size_t at = NextTag(xml, start->second); at != std::string_view::npos; at = NextTag(xml, at + 1))
    if (xml.compare(at, closing.size(), closing) == 0) return xml.substr(start->second, at - start->second);
  return std::nullopt;
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view name) {
  auto inner = XmlElement(xml, name);
  if (!inner) return std::nullopt;
  std::string text;
  std::string_view rest = *inner;
  while (!rest.empty()) {
    size_t open = rest.find(kCDataOpen);
    text += DecodeEntities(rest.substr(0, open));
    if (open == std::string_view::npos) break;
    size_t close = rest.find(kCDataClose, open + kCDataOpen.size());
    text += rest.substr(open + kCDataOpen.size(), close - open - kCDataOpen.size());
    if (close == std::string_view::npos) break;
    rest.remove_prefix(close + kCDataClose.size());
  }
  return text;
}

std::optional<std::string> XmlAttribute(std::string_view xml, std::string_view name, std::string_view attribute) {
  auto start = FindStartTag(xml, name);
  if (!start) return std::nullopt;
  std::string_view tag = xml.substr(start->first, start->second - start->first);
  for (size_t at = tag.find(attribute); at != std::string_view::npos; at = tag.find(attribute, at + 1)) {
    size_t after = at + attribute.size();
    if (tag[at - 1] != ' ' || after + 1 >= tag.size() || tag[after] != '=') continue;
    char quote = tag[after + 1];
    size_t end = tag.find(quote, after + 2);
    if (end == std::string_view::npos) return std::nullopt;
    return DecodeEntities(tag.substr(after + 2, end - after - 2));
  }
  return std::nullopt;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string XmlCData(std::string_view text) {
  std::string out(kCDataOpen);
  for (size_t at = text.find(kCDataClose); at != std::string_view::npos; at = text.find(kCDataClose)) {
    // "]]" ends one section, ">" starts the next.
    out += std::string(text.substr(0, at + 2)) + "]]><![CDATA[";
    text.remove_prefix(at + 2);
  }
  return out + std::string(text) + std::string(kCDataClose);
}

}  // namespace dbsync::maxcompute
