#pragma once
// Small string helpers shared by config parsing, checks and output.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dbsync {

// Levenshtein distance; used to suggest the nearest valid key or command.
size_t EditDistance(std::string_view a, std::string_view b);
// The candidate closest to `word`, or "" when none is plausibly a typo of it.
std::string NearestWord(std::string_view word, const std::vector<std::string>& candidates);
// Shell-style glob over `*` and `?` (no character classes); case-sensitive.
bool GlobMatch(std::string_view pattern, std::string_view text);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string ToLower(std::string_view s);
// `s` without leading and trailing whitespace.
std::string Trim(std::string_view s);
// The pieces of `s` between `sep`s (an empty `s` is one empty piece).
std::vector<std::string> Split(std::string_view s, char sep);
// `epoch` (Unix seconds) in UTC as strftime `format` gives it (by default
// ISO 8601: "2026-12-07T09:30:00Z").
std::string FormatUtcTime(int64_t epoch, const char* format = "%Y-%m-%dT%H:%M:%SZ");
// A duration for people: "42 s", "6m 35s", "3h 07m".
std::string HumanDuration(int64_t seconds);

}  // namespace dbsync
