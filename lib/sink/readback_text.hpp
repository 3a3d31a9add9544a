#pragma once
// Canonical texts shared by the destinations' readbacks (sink/readback.hpp):
// what varies between a value's input form and a server's output form,
// taken out the same way for every destination.

#include <string>
#include <string_view>

namespace dbsync::sink {

// A decimal without trailing fractional zeros: "12.500" -> "12.5", "3.000" -> "3", "-0.00" -> "0".
std::string TrimDecimal(std::string s);
// A time or timestamp without trailing zeros of its fraction of a second:
// "10:00:00.500000" -> "10:00:00.5", "10:00:00.000" -> "10:00:00".
std::string TrimFraction(std::string s);
// A FLOAT's or DOUBLE's shortest text that reads back as the same value.
std::string ShortestFloat(std::string_view text);
std::string ShortestDouble(std::string_view text);
// A JSON document with sorted keys and no spaces; `text` itself when it is not JSON.
std::string CanonicalJson(std::string_view text);

}  // namespace dbsync::sink
