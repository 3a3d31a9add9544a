#pragma once
// A mapping rule's regular expression (mapping.rules[].match): PCRE2 syntax,
// matched against a whole name, and the replacement (`to`) that rewrites it.
//
// PCRE2 rather than std::regex: libstdc++'s regex compiler overflows a signed
// integer on a repetition count such as {99999999999999999999} and recurses
// once per alternative (the task_spec fuzzer found both), and its matcher has
// no limit on backtracking. PCRE2 bounds the pattern's length and nesting and
// each match's work, and says where a pattern is wrong.
//
// Replacement syntax: $1 to $99 and ${1} the groups, ${name} a named group,
// $0 and $& the whole name, $$ a dollar sign; any other $ is an error, so a
// mistake is reported when the spec is parsed.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace dbsync {

class NamePattern {
 public:
  // kInvalidArgument with PCRE2's reason and the offset where it stopped.
  static Result<NamePattern> Compile(const std::string& pattern);

  // Whether every reference in `replacement` names a group this pattern has.
  Status CheckReplacement(const std::string& replacement) const;

  // `replacement` with the groups of `name` when the pattern matches all of
  // `name`; nullopt when it does not. kFailedPrecondition when the match gave
  // up (its backtracking limit): the pattern needs simplifying.
  Result<std::optional<std::string>> Rewrite(std::string_view name, const std::string& replacement) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  NamePattern(std::string pattern, std::shared_ptr<Code> code) : pattern_(std::move(pattern)), code_(std::move(code)) {}

  std::string pattern_;
  std::shared_ptr<Code> code_;
};

}  // namespace dbsync
