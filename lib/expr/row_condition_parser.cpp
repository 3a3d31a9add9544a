// The lexer and recursive-descent parser of RowCondition.
// Precedence, lowest first (MySQL's): OR, AND, NOT, comparison / IS / IN /
// BETWEEN / LIKE, + -, * / %, unary minus, primary.

#include <cctype>
#include <cstdlib>

#include "expr/row_condition.hpp"
#include "expr/row_condition_ast.hpp"

namespace dbsync::expr {
namespace {

struct Token {
  enum class Kind { kEnd, kName, kQuotedName, kNumber, kString, kSymbol };
  Kind kind = Kind::kEnd;
  std::string text;  // names upper-cased in `upper`; strings unescaped
  std::string upper;
  size_t offset = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Status Next(Token* t) {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    *t = Token();
    t->offset = pos_;
    if (pos_ >= text_.size()) return Status::Ok();
    char c = text_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') return Name(t);
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && pos_ + 1 < text_.size() &&
                                                       std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))))
      return Number(t);
    if (c == '\'' || c == '"') return Quoted(t, c, Token::Kind::kString);
    if (c == '`') return Quoted(t, c, Token::Kind::kQuotedName);
    static const char* kSymbols[] = {"<=>", "<>", "!=", "<=", ">=", "&&", "||", "=", "<", ">", "(", ")",
                                     ",",   "+",  "-",  "*",  "/",  "%",  "!"};
    for (const char* s : kSymbols) {
      std::string_view sym(s);
      if (text_.substr(pos_, sym.size()) == sym) {
        t->kind = Token::Kind::kSymbol;
        t->text = std::string(sym);
        pos_ += sym.size();
        return Status::Ok();
      }
    }
    return Status::InvalidArgument(std::string("unexpected character '") + c + "'");
  }
  size_t pos() const { return pos_; }

 private:
  Status Name(Token* t) {
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' || text_[pos_] == '$'))
      ++pos_;
    t->kind = Token::Kind::kName;
    t->text = std::string(text_.substr(start, pos_ - start));
    for (char ch : t->text) t->upper += char(std::toupper(static_cast<unsigned char>(ch)));
    return Status::Ok();
  }
  Status Number(Token* t) {
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t save = pos_++;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        pos_ = save;
      } else {
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      }
    }
    t->kind = Token::Kind::kNumber;
    t->text = std::string(text_.substr(start, pos_ - start));
    if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      return Status::InvalidArgument("'" + t->text + text_[pos_] + "' is not a number; quote a name that begins "
                                     "with a digit in `backquotes`");
    return Status::Ok();
  }
  Status Quoted(Token* t, char quote, Token::Kind kind) {
    ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == quote) {
        if (pos_ < text_.size() && text_[pos_] == quote) {  // '' inside '...'
          t->text += quote;
          ++pos_;
          continue;
        }
        t->kind = kind;
        return Status::Ok();
      }
      if (c == '\\' && kind == Token::Kind::kString && pos_ < text_.size()) {
        char e = text_[pos_++];
        t->text += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? '\0' : e;
        continue;
      }
      t->text += c;
    }
    return Status::InvalidArgument(std::string("the quote ") + quote + " is never closed");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

using NodePtr = std::shared_ptr<Node>;

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  Result<NodePtr> ParseAll() {
    SYNC_RETURN_IF_ERROR(Advance());
    if (tok_.kind == Token::Kind::kEnd) return Fail("the condition is empty");
    SYNC_ASSIGN_OR_RETURN(auto root, Or());
    if (tok_.kind != Token::Kind::kEnd) return Fail("unexpected '" + tok_.text + "'; expected AND, OR or the end");
    return root;
  }
  size_t error_offset() const { return error_offset_; }

 private:
  Status Advance() {
    Status s = lexer_.Next(&tok_);
    if (!s.ok()) error_offset_ = lexer_.pos();
    return s;
  }
  Status Fail(const std::string& message) {
    error_offset_ = tok_.offset;
    return Status::InvalidArgument(message);
  }
  bool IsWord(const char* w) const { return tok_.kind == Token::Kind::kName && tok_.upper == w; }
  bool IsSymbol(const char* s) const { return tok_.kind == Token::Kind::kSymbol && tok_.text == s; }
  Status Expect(const char* symbol) {
    if (!IsSymbol(symbol))
      return Fail(std::string("expected '") + symbol + "'" +
                  (tok_.kind == Token::Kind::kEnd ? " before the end" : ", found '" + tok_.text + "'"));
    return Advance();
  }
  static NodePtr Make(NodeKind kind, size_t offset, std::vector<NodePtr> args = {}) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->offset = offset;
    n->args = std::move(args);
    return n;
  }

  Result<NodePtr> Or() {
    SYNC_ASSIGN_OR_RETURN(auto left, And());
    while (IsWord("OR") || IsSymbol("||")) {
      size_t at = tok_.offset;
      SYNC_RETURN_IF_ERROR(Advance());
      SYNC_ASSIGN_OR_RETURN(auto right, And());
      left = Make(NodeKind::kOr, at, {left, right});
    }
    return left;
  }
  Result<NodePtr> And() {
    SYNC_ASSIGN_OR_RETURN(auto left, Not());
    while (IsWord("AND") || IsSymbol("&&")) {
      size_t at = tok_.offset;
      SYNC_RETURN_IF_ERROR(Advance());
      SYNC_ASSIGN_OR_RETURN(auto right, Not());
      left = Make(NodeKind::kAnd, at, {left, right});
    }
    return left;
  }
  Result<NodePtr> Not() {
    if (IsWord("NOT") || IsSymbol("!")) {
      size_t at = tok_.offset;
      SYNC_RETURN_IF_ERROR(Advance());
      SYNC_ASSIGN_OR_RETURN(auto operand, Not());
      return Make(NodeKind::kNot, at, {operand});
    }
    return Predicate();
  }

  Result<NodePtr> Predicate() {
    SYNC_ASSIGN_OR_RETURN(auto left, Additive());
    while (true) {
      size_t at = tok_.offset;
      if (tok_.kind == Token::Kind::kSymbol) {
        static const std::pair<const char*, CompareOp> kOps[] = {
            {"=", CompareOp::kEq}, {"<=>", CompareOp::kNullSafeEq}, {"<>", CompareOp::kNe}, {"!=", CompareOp::kNe},
            {"<", CompareOp::kLt}, {"<=", CompareOp::kLe},          {">", CompareOp::kGt},  {">=", CompareOp::kGe}};
        bool found = false;
        for (const auto& [sym, op] : kOps) {
          if (tok_.text != sym) continue;
          SYNC_RETURN_IF_ERROR(Advance());
          SYNC_ASSIGN_OR_RETURN(auto right, Additive());
          left = Make(NodeKind::kCompare, at, {left, right});
          left->compare = op;
          found = true;
          break;
        }
        if (found) continue;
        return left;
      }
      if (IsWord("IS")) {
        SYNC_RETURN_IF_ERROR(Advance());
        bool negated = false;
        if (IsWord("NOT")) {
          negated = true;
          SYNC_RETURN_IF_ERROR(Advance());
        }
        NodePtr n;
        if (IsWord("NULL")) {
          n = Make(NodeKind::kIsNull, at, {left});
        } else if (IsWord("TRUE") || IsWord("FALSE")) {
          n = Make(NodeKind::kIsTruth, at, {left});
          n->truth = IsWord("TRUE");
        } else {
          return Fail("expected NULL, TRUE or FALSE after IS");
        }
        n->negated = negated;
        SYNC_RETURN_IF_ERROR(Advance());
        left = n;
        continue;
      }
      bool negated = false;
      if (IsWord("NOT")) {
        negated = true;
        SYNC_RETURN_IF_ERROR(Advance());
        if (!IsWord("IN") && !IsWord("BETWEEN") && !IsWord("LIKE"))
          return Fail("expected IN, BETWEEN or LIKE after NOT");
      }
      if (IsWord("IN")) {
        SYNC_ASSIGN_OR_RETURN(left, InList(left, at));
      } else if (IsWord("BETWEEN")) {
        SYNC_RETURN_IF_ERROR(Advance());
        SYNC_ASSIGN_OR_RETURN(auto low, Additive());
        if (!IsWord("AND")) return Fail("expected AND in BETWEEN ... AND ...");
        SYNC_RETURN_IF_ERROR(Advance());
        SYNC_ASSIGN_OR_RETURN(auto high, Additive());
        left = Make(NodeKind::kBetween, at, {left, low, high});
      } else if (IsWord("LIKE")) {
        SYNC_RETURN_IF_ERROR(Advance());
        SYNC_ASSIGN_OR_RETURN(auto pattern, Additive());
        std::vector<NodePtr> args = {left, pattern};
        if (IsWord("ESCAPE")) {
          SYNC_RETURN_IF_ERROR(Advance());
          if (tok_.kind != Token::Kind::kString || tok_.text.size() != 1)
            return Fail("ESCAPE takes a string of one character, such as '\\\\' or '!'");
          auto esc = Make(NodeKind::kLiteral, tok_.offset);
          esc->literal = Scalar::String(tok_.text);
          args.push_back(esc);
          SYNC_RETURN_IF_ERROR(Advance());
        }
        left = Make(NodeKind::kLike, at, std::move(args));
      } else {
        return left;
      }
      left->negated = negated;
    }
  }

  Result<NodePtr> InList(NodePtr left, size_t at) {
    SYNC_RETURN_IF_ERROR(Advance());
    SYNC_RETURN_IF_ERROR(Expect("("));
    std::vector<NodePtr> args = {left};
    while (true) {
      SYNC_ASSIGN_OR_RETURN(auto item, Additive());
      args.push_back(item);
      if (IsSymbol(",")) {
        SYNC_RETURN_IF_ERROR(Advance());
        continue;
      }
      SYNC_RETURN_IF_ERROR(Expect(")"));
      return Make(NodeKind::kIn, at, std::move(args));
    }
  }

  Result<NodePtr> Additive() {
    SYNC_ASSIGN_OR_RETURN(auto left, Multiplicative());
    while (IsSymbol("+") || IsSymbol("-")) {
      auto n = Make(NodeKind::kArith, tok_.offset);
      n->arith = tok_.text[0];
      SYNC_RETURN_IF_ERROR(Advance());
      SYNC_ASSIGN_OR_RETURN(auto right, Multiplicative());
      n->args = {left, right};
      left = n;
    }
    return left;
  }
  Result<NodePtr> Multiplicative() {
    SYNC_ASSIGN_OR_RETURN(auto left, Unary());
    while (IsSymbol("*") || IsSymbol("/") || IsSymbol("%") || IsWord("MOD") || IsWord("DIV")) {
      auto n = Make(NodeKind::kArith, tok_.offset);
      n->arith = IsWord("MOD") ? '%' : IsWord("DIV") ? 'd' : tok_.text[0];
      SYNC_RETURN_IF_ERROR(Advance());
      SYNC_ASSIGN_OR_RETURN(auto right, Unary());
      n->args = {left, right};
      left = n;
    }
    return left;
  }
  Result<NodePtr> Unary() {
    if (IsSymbol("-") || IsSymbol("+")) {
      bool minus = IsSymbol("-");
      size_t at = tok_.offset;
      SYNC_RETURN_IF_ERROR(Advance());
      SYNC_ASSIGN_OR_RETURN(auto operand, Unary());
      return minus ? Make(NodeKind::kNegate, at, {operand}) : operand;
    }
    return Primary();
  }

  Result<NodePtr> Primary() {
    size_t at = tok_.offset;
    switch (tok_.kind) {
      case Token::Kind::kEnd:
        return Fail("the condition ends where a value was expected");
      case Token::Kind::kNumber: {
        auto n = Make(NodeKind::kLiteral, at);
        const std::string& t = tok_.text;
        if (t.find_first_of(".eE") == std::string::npos && t.size() < 19) {
          n->literal = Scalar::Int(std::strtoll(t.c_str(), nullptr, 10));
        } else {
          n->literal = Scalar::Double(std::strtod(t.c_str(), nullptr));
        }
        SYNC_RETURN_IF_ERROR(Advance());
        return n;
      }
      case Token::Kind::kString: {
        auto n = Make(NodeKind::kLiteral, at);
        n->literal = Scalar::String(tok_.text);
        SYNC_RETURN_IF_ERROR(Advance());
        return n;
      }
      case Token::Kind::kQuotedName: {
        auto n = Make(NodeKind::kColumn, at);
        n->name = tok_.text;
        SYNC_RETURN_IF_ERROR(Advance());
        return n;
      }
      case Token::Kind::kSymbol:
        if (IsSymbol("(")) {
          SYNC_RETURN_IF_ERROR(Advance());
          SYNC_ASSIGN_OR_RETURN(auto inner, Or());
          SYNC_RETURN_IF_ERROR(Expect(")"));
          return inner;
        }
        return Fail("unexpected '" + tok_.text + "' where a value was expected");
      case Token::Kind::kName:
        return NamedPrimary(at);
    }
    return Fail("unexpected token");
  }

  Result<NodePtr> NamedPrimary(size_t at) {
    static const char* kReserved[] = {"AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE", "ESCAPE", "MOD", "DIV"};
    for (const char* w : kReserved)
      if (tok_.upper == w) return Fail("unexpected " + tok_.upper + " where a value was expected");
    if (tok_.upper == "NULL" || tok_.upper == "TRUE" || tok_.upper == "FALSE") {
      auto n = Make(NodeKind::kLiteral, at);
      if (tok_.upper != "NULL") n->literal = Scalar::Bool(tok_.upper == "TRUE");
      SYNC_RETURN_IF_ERROR(Advance());
      return n;
    }
    Token name = tok_;
    SYNC_RETURN_IF_ERROR(Advance());
    if ((name.upper == "DATE" || name.upper == "TIMESTAMP" || name.upper == "DATETIME") &&
        tok_.kind == Token::Kind::kString) {
      auto key = ParseTimeText(tok_.text);
      if (!key || (name.upper == "DATE" && tok_.text.size() != 10))
        return Fail("'" + tok_.text + "' is not a " + name.upper + " (write " +
                    (name.upper == "DATE" ? "'YYYY-MM-DD'" : "'YYYY-MM-DD HH:MM:SS'") + ")");
      auto n = Make(NodeKind::kLiteral, at);
      n->literal.kind = Scalar::Kind::kTime;
      n->literal.i = *key;
      SYNC_RETURN_IF_ERROR(Advance());
      return n;
    }
    if (IsSymbol("(")) return Call(name);
    auto n = Make(NodeKind::kColumn, at);
    n->name = name.text;
    return n;
  }

  Result<NodePtr> Call(const Token& name) {
    struct Arity {
      const char* name;
      size_t min, max;
    };
    static const Arity kFunctions[] = {{"LOWER", 1, 1}, {"UPPER", 1, 1}, {"LENGTH", 1, 1}, {"COALESCE", 1, 64}};
    const Arity* f = nullptr;
    for (const auto& a : kFunctions)
      if (name.upper == a.name) f = &a;
    if (!f) {
      error_offset_ = name.offset;
      return Status::InvalidArgument("unknown function " + name.text + "(); the functions are LOWER, UPPER, LENGTH "
                                     "and COALESCE");
    }
    SYNC_RETURN_IF_ERROR(Advance());
    auto n = Make(NodeKind::kCall, name.offset);
    n->name = name.upper;
    if (!IsSymbol(")")) {
      while (true) {
        SYNC_ASSIGN_OR_RETURN(auto arg, Or());
        n->args.push_back(arg);
        if (!IsSymbol(",")) break;
        SYNC_RETURN_IF_ERROR(Advance());
      }
    }
    if (n->args.size() < f->min || n->args.size() > f->max) {
      error_offset_ = name.offset;
      return Status::InvalidArgument(name.upper + "() takes " + std::to_string(f->min) +
                                     (f->max == f->min ? "" : " or more") + " argument" + (f->min == 1 ? "" : "s"));
    }
    SYNC_RETURN_IF_ERROR(Expect(")"));
    return n;
  }

  Lexer lexer_;
  Token tok_;
  size_t error_offset_ = 0;
};

}  // namespace

Result<RowCondition> RowCondition::Parse(std::string_view text, size_t* error_offset) {
  Parser parser(text);
  auto root = parser.ParseAll();
  if (!root.ok()) {
    if (error_offset) *error_offset = parser.error_offset();
    return Status::InvalidArgument(root.status().message() + " (at character " +
                                   std::to_string(parser.error_offset() + 1) + " of the condition)");
  }
  RowCondition c;
  c.text_ = std::string(text);
  c.root_ = std::move(root).value();
  return c;
}

}  // namespace dbsync::expr
