// Mapping rules' patterns (core/name_pattern.hpp): whole-name matching, the
// replacement's references, and patterns that std::regex could not survive.
#include "core/name_pattern.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace dbsync;

namespace {

std::string Rewritten(const std::string& pattern, const std::string& name, const std::string& to) {
  auto p = NamePattern::Compile(pattern);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  REQUIRE_MESSAGE(p->CheckReplacement(to).ok(), p->CheckReplacement(to).message());
  auto r = p->Rewrite(name, to);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return r->value_or("<no match>");
}

std::string CompileError(const std::string& pattern) {
  auto p = NamePattern::Compile(pattern);
  return p.ok() ? "" : p.status().message();
}

std::string ReplacementError(const std::string& pattern, const std::string& to) {
  auto p = NamePattern::Compile(pattern);
  REQUIRE(p.ok());
  return p->CheckReplacement(to).message();
}

}  // namespace

TEST_SUITE("name pattern") {
  TEST_CASE("a rule matches the whole name and rewrites it once") {
    CHECK(Rewritten(R"(order_(\d+))", "order_12", "orders_$1") == "orders_12");
    CHECK(Rewritten(R"(order_(\d+))", "order_12x", "orders_$1") == "<no match>");
    CHECK(Rewritten(R"(order_(\d+))", "my_order_12", "orders_$1") == "<no match>");
    CHECK(Rewritten(R"(^(.*)_v\d+$)", "users_v3", "$1") == "users");
    // std::regex_replace also replaced the empty match at the end: "x_abcx_".
    CHECK(Rewritten("(.*)", "abc", "x_$1") == "x_abc");
  }

  TEST_CASE("the replacement's references") {
    CHECK(Rewritten("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)", "abcdefghijkl", "$12-$1") == "l-a");
    CHECK(Rewritten("(a)(b)", "ab", "$12") == "a2");  // no group 12: group 1, then "2"
    CHECK(Rewritten("(a)(b)", "ab", "${2}${1}") == "ba");
    CHECK(Rewritten("(?<shard>\\d+)_(?<name>\\w+)", "07_orders", "${name}_${shard}") == "orders_07");
    CHECK(Rewritten("t_(x)?(y)", "t_y", "[$1][$2]") == "[][y]");  // a group that took no part is empty
    CHECK(Rewritten("a.c", "abc", "$0|$&|$$1") == "abc|abc|$1");
    CHECK(ReplacementError("(a)", "$x").find("'$x' at position 1: '$' starts no group reference") !=
          std::string::npos);
    CHECK(ReplacementError("(a)", "x$3").find("the pattern has 1 group(s), not $3") != std::string::npos);
    CHECK(ReplacementError("(a)", "${nope}").find("the pattern has no group named 'nope'") != std::string::npos);
    CHECK(ReplacementError("(a)", "${1").find("'${' has no closing '}'") != std::string::npos);
    CHECK(ReplacementError("(a)", "tail$").find("'$' starts no group reference") != std::string::npos);
  }

  TEST_CASE("UTF-8 names") {
    CHECK(Rewritten(R"(订单_(\d+))", "订单_7", "orders_$1") == "orders_7");
    CHECK(Rewritten("t.", "t\xc3\xa9", "ok") == "ok");  // one character, two bytes
  }

  TEST_CASE("patterns that std::regex crashed or recursed on are refused with the reason") {
    // The task_spec fuzzer's input: libstdc++ overflowed a signed integer reading the count.
    CHECK(CompileError("a{99999999999999999999}").find("too big") != std::string::npos);
    CHECK(CompileError("(abc").find("missing closing parenthesis at offset 4") != std::string::npos);
    CHECK(CompileError(std::string(300, '(') + std::string(300, ')')).find("parentheses are too deeply nested") != std::string::npos);
    std::string alternatives = "a";
    for (int i = 0; i < 3000; ++i) alternatives += "|a";
    CHECK(CompileError(alternatives).find("at most 4096") != std::string::npos);
  }

  TEST_CASE("a pattern that backtracks without end gives up with what to change") {
    auto p = NamePattern::Compile(R"((a|a)+\d)");  // no literal for PCRE2's quick rejection to find
    REQUIRE(p.ok());
    const auto started = std::chrono::steady_clock::now();
    auto r = p->Rewrite(std::string(60, 'a') + "!", "x");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kFailedPrecondition);
    CHECK_MESSAGE(r.status().message().find("simplify the pattern") != std::string::npos, r.status().message());
    CHECK(seconds < 5);
  }
}
