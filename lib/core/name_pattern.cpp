#include "core/name_pattern.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>

namespace dbsync {

namespace {

// A name is at most a few hundred bytes: these bound the work of a
// pathological pattern, not of any real one.
constexpr size_t kMaxPatternLength = 4096;
constexpr uint32_t kMatchLimit = 1000000;
constexpr uint32_t kDepthLimit = 10000;

std::string ErrorText(int code) {
  PCRE2_UCHAR text[256];
  const int n = pcre2_get_error_message(code, text, sizeof text);
  return n < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<const char*>(text), size_t(n));
}

// One piece of a replacement: literal text, or a group (number or name).
struct ReplacementPart {
  std::string literal;
  int group = -1;  // >= 0: a group by number
  std::string group_name;
};

// Splits `replacement` into its parts; kInvalidArgument at a $ that is not
// a reference. `groups` is the pattern's number of capture groups.
Result<std::vector<ReplacementPart>> ParseReplacement(const std::string& replacement, uint32_t groups) {
  std::vector<ReplacementPart> parts;
  auto literal = [&](std::string_view text) {
    if (parts.empty() || parts.back().group >= 0 || !parts.back().group_name.empty()) parts.emplace_back();
    parts.back().literal.append(text);
  };
  for (size_t i = 0; i < replacement.size(); ++i) {
    if (replacement[i] != '$') {
      literal(std::string_view(&replacement[i], 1));
      continue;
    }
    const std::string at = "'" + replacement + "' at position " + std::to_string(i + 1);
    const char next = i + 1 < replacement.size() ? replacement[i + 1] : '\0';
    ReplacementPart ref;
    if (next == '$') {
      literal("$");
      ++i;
      continue;
    } else if (next == '&') {
      ref.group = 0;
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(next))) {
      // $12 is group 12 when the pattern has it, else group 1 then "2" (ECMAScript's reading).
      int n = next - '0';
      size_t used = 1;
      if (i + 2 < replacement.size() && std::isdigit(static_cast<unsigned char>(replacement[i + 2])) &&
          uint32_t(n * 10 + (replacement[i + 2] - '0')) <= groups) {
        n = n * 10 + (replacement[i + 2] - '0');
        used = 2;
      }
      ref.group = n;
      i += used;
    } else if (next == '{') {
      const size_t close = replacement.find('}', i + 2);
      if (close == std::string::npos) return Status::InvalidArgument(at + ": '${' has no closing '}'");
      const std::string inside = replacement.substr(i + 2, close - i - 2);
      if (inside.empty()) return Status::InvalidArgument(at + ": '${}' names no group");
      if (inside.find_first_not_of("0123456789") == std::string::npos && inside.size() <= 3)
        ref.group = std::stoi(inside);
      else
        ref.group_name = inside;
      i = close;
    } else {
      return Status::InvalidArgument(at + ": '$' starts no group reference ($1, ${name}, $0); write $$ for a "
                                     "dollar sign");
    }
    if (ref.group > int(groups))
      return Status::InvalidArgument(at + ": the pattern has " + std::to_string(groups) + " group(s), not $" +
                                     std::to_string(ref.group));
    parts.push_back(std::move(ref));
  }
  return parts;
}

}  // namespace

struct NamePattern::Code {
  pcre2_code* code = nullptr;
  pcre2_match_context* limits = nullptr;
  uint32_t groups = 0;
  ~Code() {
    pcre2_match_context_free(limits);
    pcre2_code_free(code);
  }
};

Result<NamePattern> NamePattern::Compile(const std::string& pattern) {
  if (pattern.size() > kMaxPatternLength)
    return Status::InvalidArgument("the pattern is " + std::to_string(pattern.size()) + " bytes long; at most " +
                                   std::to_string(kMaxPatternLength));
  auto code = std::make_shared<Code>();
  int error = 0;
  PCRE2_SIZE offset = 0;
  // Anchored at both ends: the rule matches the whole name. UTF-8 names
  // (MySQL allows them); an invalid byte sequence in a name matches nothing
  // rather than failing.
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                             PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &error, &offset,
                             nullptr);
  if (!code->code)
    return Status::InvalidArgument(ErrorText(error) + " at offset " + std::to_string(offset) + " of '" + pattern + "'");
  pcre2_pattern_info(code->code, PCRE2_INFO_CAPTURECOUNT, &code->groups);
  code->limits = pcre2_match_context_create(nullptr);
  if (!code->limits) return Status::Internal("out of memory compiling '" + pattern + "'");
  pcre2_set_match_limit(code->limits, kMatchLimit);
  pcre2_set_depth_limit(code->limits, kDepthLimit);
  return NamePattern(pattern, std::move(code));
}

Status NamePattern::CheckReplacement(const std::string& replacement) const {
  SYNC_ASSIGN_OR_RETURN(auto parts, ParseReplacement(replacement, code_->groups));
  for (const auto& p : parts)
    if (!p.group_name.empty() &&
        pcre2_substring_number_from_name(code_->code, reinterpret_cast<PCRE2_SPTR>(p.group_name.c_str())) < 0)
      return Status::InvalidArgument("'" + replacement + "': the pattern has no group named '" + p.group_name + "'");
  return Status::Ok();
}

Result<std::optional<std::string>> NamePattern::Rewrite(std::string_view name, const std::string& replacement) const {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
      pcre2_match_data_create_from_pattern(code_->code, nullptr), &pcre2_match_data_free);
  if (!match) return Status::Internal("out of memory matching '" + pattern_ + "'");
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(name.data()), name.size(), 0, 0, match.get(),
                             code_->limits);
  if (rc == PCRE2_ERROR_NOMATCH) return std::optional<std::string>();
  if (rc < 0)
    return Status::FailedPrecondition("matching '" + pattern_ + "' against '" + std::string(name) +
                                      "' gave up: " + ErrorText(rc) + "; simplify the pattern (nested repetition "
                                      "such as (a+)+ backtracks without end)");
  SYNC_ASSIGN_OR_RETURN(auto parts, ParseReplacement(replacement, code_->groups));
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
  std::string out;
  for (const auto& p : parts) {
    out += p.literal;
    int group = p.group;
    if (!p.group_name.empty())
      group = pcre2_substring_number_from_name(code_->code, reinterpret_cast<PCRE2_SPTR>(p.group_name.c_str()));
    if (group < 0 || group >= rc) continue;  // a group that took no part in the match is empty
    const PCRE2_SIZE from = ovector[2 * group], to = ovector[2 * group + 1];
    if (from != PCRE2_UNSET) out.append(name.substr(from, to - from));
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace dbsync
