#include "source/mysql/ddl_lexer.hpp"

#include <cctype>

namespace dbsync::mysql {
namespace {

bool IsIdentChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

}  // namespace

bool DdlToken::IsWord(std::string_view upper_keyword) const {
  if (type != DdlTokenType::kIdentifier || quoted || text.size() != upper_keyword.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != upper_keyword[i]) return false;
  return true;
}

Result<std::vector<DdlToken>> TokenizeSql(std::string_view sql) {
  std::vector<DdlToken> out;
  size_t i = 0;
  const size_t n = sql.size();
  int version_comments = 0;  // open `/*!` comments whose `*/` is still to come
  auto error = [&](const std::string& what, size_t at) {
    return Status::InvalidArgument(what + " at offset " + std::to_string(at));
  };
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(sql[i]);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (c == '*' && i + 1 < n && sql[i + 1] == '/' && version_comments > 0) {
      --version_comments;
      i += 2;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      size_t start = i;
      bool executable = i + 2 < n && sql[i + 2] == '!';
      bool mariadb_executable = i + 3 < n && sql[i + 2] == 'M' && sql[i + 3] == '!';
      if (executable || mariadb_executable) {
        i += mariadb_executable ? 4 : 3;
        while (i < n && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;  // the version
        ++version_comments;
        continue;
      }
      size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return error("unterminated /* comment", start);
      i = end + 2;
      continue;
    }
    if (c == '#' || (c == '-' && i + 2 < n + 1 && sql.substr(i, 2) == "--" &&
                     (i + 2 == n || std::isspace(static_cast<unsigned char>(sql[i + 2]))))) {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    DdlToken tok;
    tok.offset = i;
    if (c == '`') {
      tok.type = DdlTokenType::kIdentifier;
      tok.quoted = true;
      for (++i;; ++i) {
        if (i >= n) return error("unterminated `identifier`", tok.offset);
        if (sql[i] == '`') {
          if (i + 1 < n && sql[i + 1] == '`') {
            tok.text += '`';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        tok.text += sql[i];
      }
    } else if (c == '\'' || c == '"') {
      tok.type = DdlTokenType::kString;
      char q = static_cast<char>(c);
      for (++i;; ++i) {
        if (i >= n) return error("unterminated string", tok.offset);
        char d = sql[i];
        if (d == '\\' && i + 1 < n) {
          char e = sql[++i];
          switch (e) {
            case 'n': tok.text += '\n'; break;
            case 't': tok.text += '\t'; break;
            case 'r': tok.text += '\r'; break;
            case '0': tok.text += '\0'; break;
            case 'b': tok.text += '\b'; break;
            case 'Z': tok.text += '\x1a'; break;
            default: tok.text += e;  // \' \" \\ and unknown escapes: the character itself
          }
          continue;
        }
        if (d == q) {
          if (i + 1 < n && sql[i + 1] == q) {
            tok.text += q;
            ++i;
            continue;
          }
          ++i;
          break;
        }
        tok.text += d;
      }
    } else if ((c == 'x' || c == 'X' || c == 'b' || c == 'B') && i + 1 < n && sql[i + 1] == '\'') {
      size_t end = sql.find('\'', i + 2);
      if (end == std::string_view::npos) return error("unterminated bit/hex literal", i);
      tok.type = DdlTokenType::kNumber;
      tok.text = std::string(sql.substr(i, end + 1 - i));
      i = end + 1;
    } else if (std::isdigit(c) || (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(sql[i + 1])))) {
      size_t start = i;
      while (i < n && IsIdentChar(static_cast<unsigned char>(sql[i]))) ++i;
      std::string word(sql.substr(start, i - start));
      bool all_digits = word.find_first_not_of("0123456789") == std::string::npos;
      bool hex_or_bin = word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'b');
      bool exponent = word.find_first_not_of("0123456789eE") == std::string::npos && !word.empty() &&
                      std::isdigit(static_cast<unsigned char>(word[0]));
      if (all_digits || hex_or_bin || exponent || c == '.') {
        tok.type = DdlTokenType::kNumber;
        // Fraction and signed exponent: 1.5, 1.5e-3, 2e+10.
        if (i < n && sql[i] == '.' && !hex_or_bin) {
          ++i;
          while (i < n && std::isalnum(static_cast<unsigned char>(sql[i]))) ++i;
        }
        if (i < n && (sql[i] == '-' || sql[i] == '+') && (sql[i - 1] == 'e' || sql[i - 1] == 'E')) {
          ++i;
          while (i < n && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
        }
        tok.text = std::string(sql.substr(start, i - start));
      } else {
        tok.type = DdlTokenType::kIdentifier;  // MySQL allows names such as 1st_col
        tok.text = word;
      }
    } else if (IsIdentChar(c)) {
      size_t start = i;
      while (i < n && IsIdentChar(static_cast<unsigned char>(sql[i]))) ++i;
      tok.type = DdlTokenType::kIdentifier;
      tok.text = std::string(sql.substr(start, i - start));
    } else {
      tok.type = DdlTokenType::kSymbol;
      static const char* kTwoChar[] = {"<=", ">=", "<>", "!=", "||", "&&", ":=", "<<", ">>", "->"};
      tok.text = std::string(1, static_cast<char>(c));
      for (const char* op : kTwoChar)
        if (sql.substr(i, 2) == op) tok.text = op;
      i += tok.text.size();
    }
    out.push_back(std::move(tok));
  }
  DdlToken end;
  end.offset = n;
  out.push_back(end);
  return out;
}

}  // namespace dbsync::mysql
