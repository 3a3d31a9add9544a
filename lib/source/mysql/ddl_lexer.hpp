#pragma once
// Tokens of one MySQL/MariaDB SQL statement, for the DDL parser.
//
// Follows the server's lexical rules closely enough for DDL
// (https://dev.mysql.com/doc/refman/8.0/en/comments.html,
//  https://mariadb.com/kb/en/comment-syntax/, .../identifier-names/):
//  - `/* ... */` comments and `-- ` / `#` line comments are dropped;
//  - the content of executable comments `/*! ... */`, `/*!50100 ... */` and
//    MariaDB's `/*M!100100 ... */` is lexed as ordinary text, since a server
//    of any recent version executes it (optimizer hints `/*+ */` are dropped);
//  - backquoted identifiers (with `` doubled) become kIdentifier tokens with
//    `quoted` set, so a column named `key` or `a b` is never a keyword;
//  - '...' and "..." are string literals with backslash escapes and doubled
//    quotes undone (no ANSI_QUOTES: the binlog records what the client sent
//    and the DDL forms of interest are written with backquotes);
//  - X'..', B'..', 0x.., 0b.. are kNumber-like literals kept as text.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace dbsync::mysql {

enum class DdlTokenType {
  kIdentifier,  // bare word (also every keyword) or `quoted` name
  kString,      // '...' or "..." with escapes undone
  kNumber,      // 12, 1.5, 1e3, 0x1F, X'1F', b'101'
  kSymbol,      // one punctuation character: ( ) , ; = . + - * / etc., or a 2-char operator
  kEnd,
};

struct DdlToken {
  DdlTokenType type = DdlTokenType::kEnd;
  std::string text;     // identifier/string value, number text, or the symbol
  bool quoted = false;  // identifier written with backquotes
  size_t offset = 0;    // byte offset in the statement, for messages

  // Case-insensitive keyword test; never true for quoted identifiers.
  bool IsWord(std::string_view upper_keyword) const;
  bool IsSymbol(std::string_view s) const { return type == DdlTokenType::kSymbol && text == s; }
};

// Splits `sql` into tokens, ending with one kEnd token. Fails (kInvalidArgument)
// on an unterminated string, identifier or comment.
Result<std::vector<DdlToken>> TokenizeSql(std::string_view sql);

}  // namespace dbsync::mysql
