// Binding and evaluating a RowCondition (row_condition.hpp).

#include "expr/row_condition.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "core/text_util.hpp"
#include "expr/row_condition_ast.hpp"

namespace dbsync::expr {

using K = Scalar::Kind;

int64_t TimeKey(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute, int64_t second,
                int64_t micros) {
  return (((((year * 13 + month) * 32 + day) * 24 + hour) * 60 + minute) * 60 + second) * 1000000 + micros;
}

namespace {

bool ReadDigits(std::string_view t, size_t* pos, size_t min, size_t max, int64_t* out) {
  size_t start = *pos;
  *out = 0;
  while (*pos < t.size() && *pos - start < max && std::isdigit(static_cast<unsigned char>(t[*pos])))
    *out = *out * 10 + (t[(*pos)++] - '0');
  return *pos - start >= min;
}

bool ReadSeparator(std::string_view t, size_t* pos, char c) {
  if (*pos < t.size() && t[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

// "HH:MM:SS[.ffffff]" from *pos to the end.
bool ReadClock(std::string_view t, size_t* pos, size_t hour_digits, int64_t* h, int64_t* m, int64_t* s,
               int64_t* us) {
  if (!ReadDigits(t, pos, 1, hour_digits, h) || !ReadSeparator(t, pos, ':') || !ReadDigits(t, pos, 2, 2, m) ||
      !ReadSeparator(t, pos, ':') || !ReadDigits(t, pos, 2, 2, s) || *m > 59 || *s > 59)
    return false;
  *us = 0;
  if (ReadSeparator(t, pos, '.')) {
    size_t start = *pos;
    if (!ReadDigits(t, pos, 1, 6, us)) return false;
    for (size_t n = *pos - start; n < 6; ++n) *us *= 10;
  }
  return *pos == t.size();
}

}  // namespace

std::optional<int64_t> ParseTimeText(std::string_view t) {
  size_t pos = 0;
  int64_t y, mo, d, h = 0, mi = 0, s = 0, us = 0;
  if (!ReadDigits(t, &pos, 4, 4, &y) || !ReadSeparator(t, &pos, '-') || !ReadDigits(t, &pos, 1, 2, &mo) ||
      !ReadSeparator(t, &pos, '-') || !ReadDigits(t, &pos, 1, 2, &d) || mo > 12 || d > 31)
    return std::nullopt;
  if (pos < t.size()) {
    if (t[pos] != ' ' && t[pos] != 'T') return std::nullopt;
    ++pos;
    if (!ReadClock(t, &pos, 2, &h, &mi, &s, &us) || h > 23) return std::nullopt;
  }
  return TimeKey(y, mo, d, h, mi, s, us);
}

std::optional<int64_t> ParseDurationText(std::string_view t) {
  size_t pos = 0;
  bool negative = ReadSeparator(t, &pos, '-');
  int64_t h, m, s, us;
  if (!ReadClock(t, &pos, 3, &h, &m, &s, &us)) return std::nullopt;
  int64_t v = ((h * 60 + m) * 60 + s) * 1000000 + us;
  return negative ? -v : v;
}

namespace {

Scalar FromValue(const Value& v) {
  Scalar out;
  switch (v.kind()) {
    case ValueKind::kNull: return out;
    case ValueKind::kInt: return Scalar::Int(v.as<int64_t>());
    case ValueKind::kUint: {
      uint64_t u = v.as<uint64_t>();
      return u <= uint64_t(INT64_MAX) ? Scalar::Int(int64_t(u)) : Scalar::Double(double(u));
    }
    case ValueKind::kFloat: return Scalar::Double(v.as<float>());
    case ValueKind::kDouble: return Scalar::Double(v.as<double>());
    case ValueKind::kDecimal: return Scalar::Double(std::strtod(v.as<Decimal>().text.c_str(), nullptr));
    case ValueKind::kBytes: return Scalar::String(v.as<Bytes>().data);
    case ValueKind::kDate: {
      const auto& d = v.as<Date>();
      out.kind = K::kTime;
      out.i = TimeKey(d.year, d.month, d.day, 0, 0, 0, 0);
      return out;
    }
    case ValueKind::kDateTime: {
      const auto& d = v.as<DateTime>();
      out.kind = K::kTime;
      out.i = TimeKey(d.year, d.month, d.day, d.hour, d.minute, d.second, d.micros);
      return out;
    }
    case ValueKind::kTimestamp: {
      DateTime d = v.as<Timestamp>().ToUtcDateTime();
      out.kind = K::kTime;
      out.i = TimeKey(d.year, d.month, d.day, d.hour, d.minute, d.second, d.micros);
      return out;
    }
    case ValueKind::kTime: {
      const auto& t = v.as<Time>();
      out.kind = K::kDuration;
      out.i = ((int64_t(t.hours) * 60 + t.minutes) * 60 + t.seconds) * 1000000 + t.micros;
      if (t.negative) out.i = -out.i;
      return out;
    }
    case ValueKind::kYear: return Scalar::Int(v.as<Year>().value);
    case ValueKind::kBit: return Scalar::Int(int64_t(v.as<Bit>().bits));
    case ValueKind::kEnum: return Scalar::String(v.as<Enum>().label);
    case ValueKind::kSet: {
      std::string joined;
      for (const auto& l : v.as<Set>().labels) joined += (joined.empty() ? "" : ",") + l;
      return Scalar::String(joined);
    }
    case ValueKind::kJson: return Scalar::String(v.as<Json>().text);
    case ValueKind::kGeometry: return Scalar::String(v.as<Geometry>().wkb);
  }
  return out;
}

double AsDouble(const Scalar& s) {
  switch (s.kind) {
    case K::kInt:
    case K::kTime:
    case K::kDuration: return double(s.i);
    case K::kDouble: return s.d;
    case K::kString: return std::strtod(s.s.c_str(), nullptr);
    case K::kNull: return 0;
  }
  return 0;
}

// <0, 0, >0; both sides non-NULL. Strings meet dates as dates (Bind turned
// literals already), numbers as numbers, else bytes.
int Compare(const Scalar& a, const Scalar& b) {
  if (a.kind == b.kind && (a.kind == K::kInt || a.kind == K::kTime || a.kind == K::kDuration))
    return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  if (a.kind == K::kString && b.kind == K::kString) return a.s.compare(b.s) < 0 ? -1 : a.s == b.s ? 0 : 1;
  if ((a.kind == K::kTime && b.kind == K::kString) || (a.kind == K::kString && b.kind == K::kTime)) {
    const Scalar& str = a.kind == K::kString ? a : b;
    auto key = ParseTimeText(str.s);
    if (key) {
      int64_t x = a.kind == K::kTime ? a.i : *key, y = b.kind == K::kTime ? b.i : *key;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
  double x = AsDouble(a), y = AsDouble(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// SQL LIKE: % any run, _ one byte, `escape` makes the next one literal.
bool Like(std::string_view s, std::string_view p, char escape) {
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      char pc = p[pi];
      size_t step = 1;
      bool literal = false;
      if (pc == escape && pi + 1 < p.size()) {
        pc = p[pi + 1];
        step = 2;
        literal = true;
      }
      if ((!literal && pc == '_') || pc == s[si]) {
        pi += step;
        ++si;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

// Truth of a value: NULL is unknown (-1), else 0 or 1.
int Truth(const Scalar& s) {
  if (s.is_null()) return -1;
  if (s.kind == K::kString) return AsDouble(s) != 0;
  if (s.kind == K::kDouble) return s.d != 0;
  return s.i != 0;
}

Scalar FromTruth(int t) { return t < 0 ? Scalar() : Scalar::Bool(t == 1); }

Scalar Arith(char op, const Scalar& a, const Scalar& b) {
  if (a.is_null() || b.is_null()) return {};
  if (op == '/' || (op != 'd' && (a.kind == K::kDouble || b.kind == K::kDouble || a.kind == K::kString ||
                                  b.kind == K::kString))) {
    double x = AsDouble(a), y = AsDouble(b);
    switch (op) {
      case '+': return Scalar::Double(x + y);
      case '-': return Scalar::Double(x - y);
      case '*': return Scalar::Double(x * y);
      case '/': return y == 0 ? Scalar() : Scalar::Double(x / y);
      default: return y == 0 ? Scalar() : Scalar::Double(std::fmod(x, y));
    }
  }
  int64_t x = a.kind == K::kDouble ? int64_t(a.d) : a.i, y = b.kind == K::kDouble ? int64_t(b.d) : b.i, r = 0;
  switch (op) {
    case '+':
      if (__builtin_add_overflow(x, y, &r)) return Scalar::Double(double(x) + double(y));
      return Scalar::Int(r);
    case '-':
      if (__builtin_sub_overflow(x, y, &r)) return Scalar::Double(double(x) - double(y));
      return Scalar::Int(r);
    case '*':
      if (__builtin_mul_overflow(x, y, &r)) return Scalar::Double(double(x) * double(y));
      return Scalar::Int(r);
    case 'd': return y == 0 || (x == INT64_MIN && y == -1) ? Scalar() : Scalar::Int(x / y);
    default: return y == 0 || y == -1 ? (y == 0 ? Scalar() : Scalar::Int(0)) : Scalar::Int(x % y);
  }
}

Scalar Eval(const Node& n, const std::vector<Value>& row);

// A number as text, for LIKE and the string functions.
Scalar AsText(const Scalar& v) {
  if (v.kind == K::kString || v.is_null()) return v;
  if (v.kind != K::kDouble) return Scalar::String(std::to_string(v.i));
  std::string s = std::to_string(v.d);  // "1.500000": trailing zeros go, as MySQL shows 1.5
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  return Scalar::String(s);
}

Scalar EvalCompare(CompareOp op, const Scalar& a, const Scalar& b) {
  if (op == CompareOp::kNullSafeEq) {
    if (a.is_null() || b.is_null()) return Scalar::Bool(a.is_null() && b.is_null());
    return Scalar::Bool(Compare(a, b) == 0);
  }
  if (a.is_null() || b.is_null()) return {};
  int c = Compare(a, b);
  switch (op) {
    case CompareOp::kEq: return Scalar::Bool(c == 0);
    case CompareOp::kNe: return Scalar::Bool(c != 0);
    case CompareOp::kLt: return Scalar::Bool(c < 0);
    case CompareOp::kLe: return Scalar::Bool(c <= 0);
    case CompareOp::kGt: return Scalar::Bool(c > 0);
    case CompareOp::kGe: return Scalar::Bool(c >= 0);
    case CompareOp::kNullSafeEq: break;
  }
  return {};
}

Scalar EvalIn(const Node& n, const std::vector<Value>& row) {
  Scalar v = Eval(*n.args[0], row);
  if (v.is_null()) return {};
  bool saw_null = false;
  for (size_t i = 1; i < n.args.size(); ++i) {
    Scalar item = Eval(*n.args[i], row);
    if (item.is_null()) {
      saw_null = true;
    } else if (Compare(v, item) == 0) {
      return Scalar::Bool(!n.negated);
    }
  }
  return saw_null ? Scalar() : Scalar::Bool(n.negated);
}

Scalar EvalCall(const Node& n, const std::vector<Value>& row) {
  if (n.name == "COALESCE") {
    for (const auto& a : n.args) {
      Scalar v = Eval(*a, row);
      if (!v.is_null()) return v;
    }
    return {};
  }
  Scalar v = Eval(*n.args[0], row);
  if (v.is_null()) return v;
  v = AsText(v);
  if (n.name == "LENGTH") return Scalar::Int(int64_t(v.s.size()));
  for (char& c : v.s)
    c = n.name == "LOWER" ? char(std::tolower(static_cast<unsigned char>(c))) : char(std::toupper(static_cast<unsigned char>(c)));
  return v;
}

Scalar Eval(const Node& n, const std::vector<Value>& row) {
  switch (n.kind) {
    case NodeKind::kLiteral: return n.literal;
    case NodeKind::kColumn: return FromValue(row[size_t(n.column)]);
    case NodeKind::kAnd: {
      int a = Truth(Eval(*n.args[0], row));
      if (a == 0) return Scalar::Bool(false);
      int b = Truth(Eval(*n.args[1], row));
      return FromTruth(b == 0 ? 0 : (a < 0 || b < 0) ? -1 : 1);
    }
    case NodeKind::kOr: {
      int a = Truth(Eval(*n.args[0], row));
      if (a == 1) return Scalar::Bool(true);
      int b = Truth(Eval(*n.args[1], row));
      return FromTruth(b == 1 ? 1 : (a < 0 || b < 0) ? -1 : 0);
    }
    case NodeKind::kNot: {
      int a = Truth(Eval(*n.args[0], row));
      return FromTruth(a < 0 ? -1 : 1 - a);
    }
    case NodeKind::kCompare: return EvalCompare(n.compare, Eval(*n.args[0], row), Eval(*n.args[1], row));
    case NodeKind::kIsNull: return Scalar::Bool(Eval(*n.args[0], row).is_null() != n.negated);
    case NodeKind::kIsTruth: {
      int t = Truth(Eval(*n.args[0], row));
      return Scalar::Bool((t == (n.truth ? 1 : 0)) != n.negated);
    }
    case NodeKind::kIn: return EvalIn(n, row);
    case NodeKind::kBetween: {
      Scalar v = Eval(*n.args[0], row);
      Scalar low = EvalCompare(CompareOp::kGe, v, Eval(*n.args[1], row));
      Scalar high = EvalCompare(CompareOp::kLe, v, Eval(*n.args[2], row));
      int a = Truth(low), b = Truth(high);
      int both = (a == 0 || b == 0) ? 0 : (a < 0 || b < 0) ? -1 : 1;
      return FromTruth(both < 0 ? -1 : n.negated ? 1 - both : both);
    }
    case NodeKind::kLike: {
      Scalar v = Eval(*n.args[0], row), p = Eval(*n.args[1], row);
      if (v.is_null() || p.is_null()) return {};
      v = AsText(v);
      char escape = n.args.size() > 2 ? n.args[2]->literal.s[0] : '\\';
      return Scalar::Bool(Like(v.s, p.s, escape) != n.negated);
    }
    case NodeKind::kArith: return Arith(n.arith, Eval(*n.args[0], row), Eval(*n.args[1], row));
    case NodeKind::kNegate: {
      Scalar v = Eval(*n.args[0], row);
      if (v.is_null()) return v;
      if (v.kind == K::kInt && v.i != INT64_MIN) return Scalar::Int(-v.i);
      return Scalar::Double(-AsDouble(v));
    }
    case NodeKind::kCall: return EvalCall(n, row);
  }
  return {};
}

bool IsTemporal(const ColumnSchema& c) {
  return c.data_type == "date" || c.data_type == "datetime" || c.data_type == "timestamp";
}

// A string literal compared with a date or time column becomes one, so a
// typo fails when the spec is applied rather than filtering every row.
Status TypeLiteral(Node& literal, const ColumnSchema& column, const std::string& condition) {
  if (literal.kind != NodeKind::kLiteral || literal.literal.kind != K::kString) return Status::Ok();
  if (IsTemporal(column)) {
    auto key = ParseTimeText(literal.literal.s);
    if (!key)
      return Status::InvalidArgument("'" + literal.literal.s + "' is compared with the " + column.data_type +
                                     " column " + column.name + " but is not a date ('YYYY-MM-DD' or "
                                     "'YYYY-MM-DD HH:MM:SS') in the condition \"" + condition + "\"");
    literal.literal.kind = K::kTime;
    literal.literal.i = *key;
  } else if (column.data_type == "time") {
    auto micros = ParseDurationText(literal.literal.s);
    if (!micros)
      return Status::InvalidArgument("'" + literal.literal.s + "' is compared with the time column " + column.name +
                                     " but is not a time ('HH:MM:SS') in the condition \"" + condition + "\"");
    literal.literal.kind = K::kDuration;
    literal.literal.i = *micros;
  }
  return Status::Ok();
}

Result<std::shared_ptr<Node>> BindNode(const Node& in, const TableSchema& schema, const std::string& text) {
  auto n = std::make_shared<Node>(in);
  for (auto& a : n->args) {
    SYNC_ASSIGN_OR_RETURN(a, BindNode(*a, schema, text));
  }
  if (n->kind == NodeKind::kColumn) {
    n->column = schema.ColumnIndex(n->name);
    if (n->column < 0) {
      std::vector<std::string> names;
      for (const auto& c : schema.columns) names.push_back(c.name);
      std::string nearest = NearestWord(n->name, names);
      return Status::InvalidArgument("the condition \"" + text + "\" names column '" + n->name + "', which " +
                                     schema.FullName() + " does not have" +
                                     (nearest.empty() ? "" : "; did you mean '" + nearest + "'?"));
    }
  }
  bool compares = n->kind == NodeKind::kCompare || n->kind == NodeKind::kIn || n->kind == NodeKind::kBetween;
  if (compares) {
    for (size_t i = 0; i < n->args.size(); ++i) {
      const Node& col = *n->args[i];
      if (col.kind != NodeKind::kColumn) continue;
      // The column meets every other operand of the predicate.
      for (size_t j = 0; j < n->args.size(); ++j)
        if (j != i) SYNC_RETURN_IF_ERROR(TypeLiteral(*n->args[j], schema.columns[size_t(col.column)], text));
    }
  }
  return n;
}

void CollectColumns(const Node& n, std::vector<std::string>* out, std::set<std::string>* seen) {
  if (n.kind == NodeKind::kColumn && seen->insert(n.name).second) out->push_back(n.name);
  for (const auto& a : n.args) CollectColumns(*a, out, seen);
}

}  // namespace

RowCondition::RowCondition() = default;
RowCondition::~RowCondition() = default;
RowCondition::RowCondition(const RowCondition&) = default;
RowCondition& RowCondition::operator=(const RowCondition&) = default;
RowCondition::RowCondition(RowCondition&&) noexcept = default;
RowCondition& RowCondition::operator=(RowCondition&&) noexcept = default;

Result<RowCondition> RowCondition::Bind(const TableSchema& schema) const {
  RowCondition out = *this;
  SYNC_ASSIGN_OR_RETURN(auto root, BindNode(*root_, schema, text_));
  out.root_ = std::move(root);
  out.bound_ = true;
  return out;
}

std::vector<std::string> RowCondition::Columns() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  if (root_) CollectColumns(*root_, &out, &seen);
  return out;
}

bool RowCondition::Matches(const std::vector<Value>& row) const {
  return bound_ && Truth(Eval(*root_, row)) == 1;
}

}  // namespace dbsync::expr
