#pragma once
// Just enough XML for the MaxCompute REST API (specs/maxcompute.md 1.5, 2):
// its replies are small, flat documents (Error, Instance, Table) read by
// element name, and its requests are written from templates. No namespaces,
// no DTDs; CDATA sections and the five predefined entities are understood.

#include <optional>
#include <string>
#include <string_view>

namespace dbsync::maxcompute {

// The inner markup of the first element named `name` in document order (at
// any depth), CDATA sections left as they are; "" for `<name/>`; nullopt
// when there is none. A view into `xml`, also when empty (it starts where
// the element's content does), so that a caller may go on after it.
std::optional<std::string_view> XmlElement(std::string_view xml, std::string_view name);

// The text of that element: CDATA unwrapped, entities decoded.
std::optional<std::string> XmlText(std::string_view xml, std::string_view name);

// The value of `attribute` on the first element named `name`, decoded.
std::optional<std::string> XmlAttribute(std::string_view xml, std::string_view name, std::string_view attribute);

// Text escaped for an element or an attribute value.
std::string XmlEscape(std::string_view text);
// A CDATA section holding `text` exactly (a "]]>" inside is split in two sections).
std::string XmlCData(std::string_view text);

}  // namespace dbsync::maxcompute
