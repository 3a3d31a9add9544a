#pragma once
// The parsed form of a RowCondition, shared by its parser and evaluator.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbsync::expr {

// A value during evaluation. Dates and date-times are kTime: a number that
// orders as the civil time does (TimeKey), zero dates included; TIME
// columns are kDuration in microseconds.
struct Scalar {
  enum class Kind { kNull, kInt, kDouble, kString, kTime, kDuration };
  Kind kind = Kind::kNull;
  int64_t i = 0;  // kInt, kTime, kDuration
  double d = 0;   // kDouble
  std::string s;  // kString
  static Scalar Int(int64_t v) { return {Kind::kInt, v, 0, {}}; }
  static Scalar Double(double v) { return {Kind::kDouble, 0, v, {}}; }
  static Scalar String(std::string v) { return {Kind::kString, 0, 0, std::move(v)}; }
  static Scalar Bool(bool v) { return Int(v ? 1 : 0); }
  bool is_null() const { return kind == Kind::kNull; }
};

enum class NodeKind {
  kLiteral, kColumn, kAnd, kOr, kNot, kCompare, kIsNull, kIsTruth, kIn, kBetween, kLike, kArith, kNegate, kCall,
};
enum class CompareOp { kEq, kNullSafeEq, kNe, kLt, kLe, kGt, kGe };

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  size_t offset = 0;   // in the condition's text, for messages
  Scalar literal;      // kLiteral
  std::string name;    // kColumn: column name; kCall: function name (upper case)
  int column = -1;     // kColumn, once bound
  CompareOp compare = CompareOp::kEq;
  char arith = '+';    // kArith: + - * / %
  bool negated = false;     // NOT IN, NOT BETWEEN, NOT LIKE, IS NOT ...
  bool truth = true;        // kIsTruth: IS TRUE (true) or IS FALSE
  std::vector<std::shared_ptr<Node>> args;  // operands (kLike: value, pattern[, escape])
};

// Orders civil times; date = midnight. Monotonic, not contiguous.
int64_t TimeKey(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute, int64_t second,
                int64_t micros);
// 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (also with 'T') as a TimeKey.
std::optional<int64_t> ParseTimeText(std::string_view text);
// '[-]HH:MM:SS[.ffffff]' as microseconds.
std::optional<int64_t> ParseDurationText(std::string_view text);

}  // namespace dbsync::expr
