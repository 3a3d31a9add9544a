#include "source/mysql/dml_statement.hpp"

#include "source/mysql/ddl_lexer.hpp"

namespace dbsync::mysql {
namespace {

// The modifiers MySQL 8.0 accepts between the verb and the table
// (https://dev.mysql.com/doc/refman/8.0/en/insert.html, update.html, delete.html, replace.html).
bool IsModifier(const DdlToken& t) {
  for (const char* w : {"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "QUICK", "CONCURRENT", "LOCAL"})
    if (t.IsWord(w)) return true;
  return false;
}

// `name` or `db`.`name` at tokens[i]; a following comma or JOIN means several tables.
std::optional<DdlTableName> TableAt(const std::vector<DdlToken>& tokens, size_t i, std::string_view default_db) {
  if (i >= tokens.size() || tokens[i].type != DdlTokenType::kIdentifier) return std::nullopt;
  DdlTableName name{std::string(default_db), tokens[i].text};
  size_t next = i + 1;
  if (next + 1 < tokens.size() && tokens[next].IsSymbol(".") && tokens[next + 1].type == DdlTokenType::kIdentifier) {
    name = {tokens[i].text, tokens[next + 1].text};
    next += 2;
  }
  for (size_t j = next; j < tokens.size(); ++j) {
    if (tokens[j].IsWord("SET") || tokens[j].IsWord("WHERE") || tokens[j].IsWord("VALUES") ||
        tokens[j].IsWord("SELECT") || tokens[j].IsSymbol("(") || tokens[j].IsWord("PARTITION"))
      break;
    if (tokens[j].IsSymbol(",") || tokens[j].IsWord("JOIN") || tokens[j].IsWord("USING")) return std::nullopt;
  }
  return name;
}

}  // namespace

std::optional<DmlStatement> ParseDmlStatement(std::string_view default_db, std::string_view sql) {
  auto lexed = TokenizeSql(sql);
  if (!lexed.ok() || lexed->empty()) return std::nullopt;
  const std::vector<DdlToken>& t = *lexed;
  const DdlToken& verb = t[0];
  size_t i = 1;
  while (i < t.size() && IsModifier(t[i])) ++i;
  DmlStatement dml;
  if (verb.IsWord("INSERT") || verb.IsWord("REPLACE")) {
    if (i < t.size() && t[i].IsWord("INTO")) ++i;
    dml.table = TableAt(t, i, default_db);
  } else if (verb.IsWord("UPDATE")) {
    dml.table = TableAt(t, i, default_db);
  } else if (verb.IsWord("DELETE")) {
    if (i < t.size() && t[i].IsWord("FROM")) dml.table = TableAt(t, i + 1, default_db);
  } else if (verb.IsWord("LOAD") && i < t.size() && (t[i].IsWord("DATA") || t[i].IsWord("XML"))) {
    for (size_t j = i; j + 1 < t.size(); ++j)
      if (t[j].IsWord("INTO") && t[j + 1].IsWord("TABLE")) {
        dml.table = TableAt(t, j + 2, default_db);
        break;
      }
  } else {
    return std::nullopt;
  }
  return dml;
}

}  // namespace dbsync::mysql
