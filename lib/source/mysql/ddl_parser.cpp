#include "source/mysql/ddl_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <initializer_list>
#include <span>

#include "core/text_util.hpp"
#include "source/mysql/ddl_lexer.hpp"

namespace dbsync::mysql {
namespace {

using T = DdlTokenType;

// Words that start an ALTER TABLE specification; after a comma inside a
// comma-separated name list (ORDER BY a, b) they end the list.
constexpr std::string_view kAlterSpecWords[] = {
    "ADD", "DROP", "MODIFY", "CHANGE", "RENAME", "ALTER", "CONVERT", "ORDER", "ALGORITHM", "LOCK",
    "FORCE", "ENABLE", "DISABLE", "DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "ENGINE"};

// `name [=] value` options of CREATE/ALTER TABLE and CREATE/ALTER DATABASE
// that change no column (MySQL 8.4 and MariaDB 11 manuals).
constexpr std::string_view kTableOptions[] = {
    "ENGINE", "TYPE", "AUTO_INCREMENT", "AVG_ROW_LENGTH", "CHECKSUM", "TABLE_CHECKSUM", "COMMENT",
    "COMPRESSION", "CONNECTION", "DELAY_KEY_WRITE", "ENCRYPTION", "ENCRYPTED", "ENCRYPTION_KEY_ID",
    "ENGINE_ATTRIBUTE", "SECONDARY_ENGINE", "SECONDARY_ENGINE_ATTRIBUTE", "INSERT_METHOD", "KEY_BLOCK_SIZE",
    "MAX_ROWS", "MIN_ROWS", "PACK_KEYS", "PASSWORD", "ROW_FORMAT", "STATS_AUTO_RECALC", "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES", "TABLESPACE", "STORAGE", "UNION", "IETF_QUOTES", "PAGE_CHECKSUM", "PAGE_COMPRESSED",
    "PAGE_COMPRESSION_LEVEL", "SEQUENCE", "TRANSACTIONAL", "AUTOEXTEND_SIZE", "DEFAULT_ENCRYPTION"};

class Parser {
 public:
  Parser(std::vector<DdlToken> tokens, std::string_view sql, const std::string& default_db,
         std::vector<DdlTableName>* touched)
      : toks_(std::move(tokens)), sql_(sql), default_db_(default_db), touched_(touched) {}

  Result<DdlStatement> Parse() {
    DdlStatement st;
    Status s = ParseStatement(st);
    if (!s.ok()) return s;
    AcceptSym(";");
    if (Peek().type != T::kEnd) return Fail("unexpected text after the statement");
    return st;
  }

 private:
  // ---- token helpers ----
  const DdlToken& Peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const DdlToken& Next() {
    const DdlToken& t = Peek();
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool Is(std::string_view kw, size_t k = 0) const { return Peek(k).IsWord(kw); }
  bool IsAny(std::span<const std::string_view> kws, size_t k = 0) const {
    for (auto kw : kws)
      if (Is(kw, k)) return true;
    return false;
  }
  bool IsAny(std::initializer_list<std::string_view> kws, size_t k = 0) const {
    for (auto kw : kws)
      if (Is(kw, k)) return true;
    return false;
  }
  bool Accept(std::string_view kw) {
    if (!Is(kw)) return false;
    Next();
    return true;
  }
  bool AcceptSym(std::string_view s) {
    if (!Peek().IsSymbol(s)) return false;
    Next();
    return true;
  }
  bool AtSpecEnd() const {
    return Peek().type == T::kEnd || Peek().IsSymbol(",") || Peek().IsSymbol(")") || Peek().IsSymbol(";");
  }

  Status Fail(const std::string& what) const {
    std::string near = Peek().type == T::kEnd ? "the end" : "'" + Peek().text + "'";
    std::string stmt(sql_.substr(0, 300));
    if (sql_.size() > 300) stmt += "...";
    return Status::InvalidArgument("cannot parse DDL statement `" + stmt + "`: " + what + " (near " + near +
                                   ", offset " + std::to_string(Peek().offset) + ")");
  }
  Status Expect(std::string_view kw) {
    return Accept(kw) ? Status::Ok() : Fail("expected " + std::string(kw));
  }
  Status ExpectSym(std::string_view s) {
    return AcceptSym(s) ? Status::Ok() : Fail("expected '" + std::string(s) + "'");
  }

  Result<std::string> Identifier(const std::string& what) {
    if (Peek().type != T::kIdentifier) return Fail("expected " + what);
    return Next().text;
  }
  // A charset or collation name: bare word, quoted name or string; lower-cased.
  Result<std::string> CharsetName() {
    AcceptSym("=");
    if (Peek().type != T::kIdentifier && Peek().type != T::kString) return Fail("expected a charset or collation name");
    return ToLower(Next().text);
  }
  Result<DdlTableName> TableName() {
    SYNC_ASSIGN_OR_RETURN(std::string first, Identifier("a table name"));
    DdlTableName name{default_db_, first};
    if (AcceptSym(".")) {
      SYNC_ASSIGN_OR_RETURN(name.table, Identifier("a table name after '.'"));
      name.db = first;
    }
    if (touched_) touched_->push_back(name);
    return name;
  }
  // At '(': skips to after the matching ')'.
  Status SkipBalanced() {
    SYNC_RETURN_IF_ERROR(ExpectSym("("));
    for (int depth = 1; depth > 0; Next()) {
      if (Peek().type == T::kEnd) return Fail("unbalanced parentheses");
      if (Peek().IsSymbol("(")) ++depth;
      if (Peek().IsSymbol(")")) --depth;
    }
    return Status::Ok();
  }
  // Skips one comma-separated element: up to a ',' or ')' at depth 0, or the end.
  Status SkipToSpecEnd() {
    while (!AtSpecEnd()) {
      if (Peek().IsSymbol("(")) {
        SYNC_RETURN_IF_ERROR(SkipBalanced());
      } else {
        Next();
      }
    }
    return Status::Ok();
  }
  Status SkipToStatementEnd() {
    while (Peek().type != T::kEnd) Next();
    return Status::Ok();
  }

  // ---- statements ----
  Status ParseStatement(DdlStatement& st) {
    if (Accept("CREATE")) {
      if (Accept("OR")) {
        SYNC_RETURN_IF_ERROR(Expect("REPLACE"));
        st.or_replace = true;
      }
      if (Is("TEMPORARY")) return SkipToStatementEnd();  // session-private: never holds replicated rows
      if (Accept("TABLE")) return ParseCreateTable(st);
      if (Accept("DATABASE") || Accept("SCHEMA")) return ParseDatabase(st, DdlKind::kCreateDatabase);
      return SkipToStatementEnd();  // VIEW, INDEX, USER, TRIGGER, PROCEDURE, SEQUENCE, ...
    }
    if (Accept("ALTER")) {
      Accept("ONLINE");
      Accept("IGNORE");
      if (Accept("TABLE")) return ParseAlterTable(st);
      if (Accept("DATABASE") || Accept("SCHEMA")) return ParseDatabase(st, DdlKind::kAlterDatabase);
      return SkipToStatementEnd();
    }
    if (Accept("DROP")) {
      if (Is("TEMPORARY")) return SkipToStatementEnd();
      if (Accept("TABLE") || Accept("TABLES")) return ParseDropTable(st);
      if (Accept("DATABASE") || Accept("SCHEMA")) return ParseDatabase(st, DdlKind::kDropDatabase);
      return SkipToStatementEnd();
    }
    if (Accept("RENAME")) {
      if (Accept("TABLE") || Accept("TABLES")) return ParseRenameTable(st);
      return SkipToStatementEnd();  // RENAME USER
    }
    if (Accept("TRUNCATE")) {
      Accept("TABLE");
      st.kind = DdlKind::kTruncateTable;
      SYNC_ASSIGN_OR_RETURN(st.table, TableName());
      return SkipWaitOption();
    }
    return SkipToStatementEnd();
  }

  // MariaDB's `WAIT n` / `NOWAIT` lock timeouts after a table name.
  Status SkipWaitOption() {
    if (Accept("WAIT")) {
      if (Peek().type != T::kNumber) return Fail("expected a number after WAIT");
      Next();
    }
    Accept("NOWAIT");
    return Status::Ok();
  }

  Status ParseIfNotExists(bool& flag) {
    if (!Accept("IF")) return Status::Ok();
    SYNC_RETURN_IF_ERROR(Expect("NOT"));
    SYNC_RETURN_IF_ERROR(Expect("EXISTS"));
    flag = true;
    return Status::Ok();
  }
  Status ParseIfExists(bool& flag) {
    if (!Accept("IF")) return Status::Ok();
    SYNC_RETURN_IF_ERROR(Expect("EXISTS"));
    flag = true;
    return Status::Ok();
  }

  Status ParseCreateTable(DdlStatement& st) {
    st.kind = DdlKind::kCreateTable;
    SYNC_RETURN_IF_ERROR(ParseIfNotExists(st.if_not_exists));
    SYNC_ASSIGN_OR_RETURN(st.table, TableName());
    bool parenthesized_like = Peek().IsSymbol("(") && Is("LIKE", 1);
    if (parenthesized_like) Next();
    if (Accept("LIKE")) {
      st.kind = DdlKind::kCreateTableLike;
      SYNC_ASSIGN_OR_RETURN(st.like, TableName());
      if (parenthesized_like) SYNC_RETURN_IF_ERROR(ExpectSym(")"));
      return Status::Ok();
    }
    if (Peek().IsSymbol("(") && !IsAny({"SELECT", "WITH", "VALUES", "TABLE"}, 1)) {
      Next();
      do {
        SYNC_RETURN_IF_ERROR(ParseCreateElement(st));
      } while (AcceptSym(","));
      SYNC_RETURN_IF_ERROR(ExpectSym(")"));
    }
    SYNC_RETURN_IF_ERROR(ParseTableOptions(st.charset, st.collation, /*in_alter=*/false));
    if (Accept("PARTITION")) {  // partitioning changes no column; skip it up to an optional AS SELECT
      while (Peek().type != T::kEnd && !IsAny({"AS", "SELECT", "IGNORE", "REPLACE"})) {
        if (Peek().IsSymbol("(")) {
          SYNC_RETURN_IF_ERROR(SkipBalanced());
        } else {
          Next();
        }
      }
    }
    if (!Accept("IGNORE")) Accept("REPLACE");
    Accept("AS");
    if (IsAny({"SELECT", "WITH", "VALUES", "TABLE"}) || Peek().IsSymbol("(")) {
      st.as_select = true;
      return SkipToStatementEnd();
    }
    if (Peek().type != T::kEnd && !Peek().IsSymbol(";")) return Fail("unexpected text in CREATE TABLE");
    if (st.columns.empty()) return Fail("CREATE TABLE without columns");
    return Status::Ok();
  }

  // A column definition or a table constraint inside CREATE TABLE (...).
  Status ParseCreateElement(DdlStatement& st) {
    if (Accept("CONSTRAINT")) {
      if (!IsAny({"PRIMARY", "UNIQUE", "FOREIGN", "CHECK"})) Next();  // the constraint's name
      if (!Is("PRIMARY")) return SkipToSpecEnd();
    }
    if (Accept("PRIMARY")) {
      SYNC_RETURN_IF_ERROR(Expect("KEY"));
      SYNC_ASSIGN_OR_RETURN(st.primary_key, KeyColumns());
      return SkipToSpecEnd();
    }
    if (IsAny({"UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK"}) ||
        (Is("PERIOD") && Is("FOR", 1)))
      return SkipToSpecEnd();
    DdlColumnDef col;
    SYNC_RETURN_IF_ERROR(ParseColumnDef(col));
    if (col.primary_key) st.primary_key = {col.name};
    st.columns.push_back(std::move(col));
    return Status::Ok();
  }

  // [index_name] [USING type] (col [(len)] [ASC|DESC], ...) [index options skipped by the caller]
  Result<std::vector<std::string>> KeyColumns() {
    if (!Peek().IsSymbol("(") && !Is("USING")) Next();  // index name
    if (Accept("USING")) Next();
    SYNC_RETURN_IF_ERROR(ExpectSym("("));
    std::vector<std::string> cols;
    do {
      if (Peek().IsSymbol("(")) return Fail("an expression cannot be part of a primary key");
      SYNC_ASSIGN_OR_RETURN(std::string c, Identifier("a key column name"));
      if (Peek().IsSymbol("(")) SYNC_RETURN_IF_ERROR(SkipBalanced());  // prefix length
      if (!Accept("ASC")) Accept("DESC");
      cols.push_back(std::move(c));
    } while (AcceptSym(","));
    SYNC_RETURN_IF_ERROR(ExpectSym(")"));
    return cols;
  }

  // Table options of CREATE TABLE / ALTER TABLE / CREATE DATABASE. Only the
  // default charset and collation matter; every other `name [=] value` is skipped.
  // In ALTER TABLE the options of one specification end at a comma.
  Status ParseTableOptions(std::string& charset, std::string& collation, bool in_alter) {
    for (;;) {
      if (AcceptSym(",")) {
        if (in_alter) return Status::Ok();
        continue;
      }
      if (Peek().type != T::kIdentifier || Peek().quoted || IsAny({"PARTITION", "AS", "SELECT", "IGNORE", "REPLACE"}))
        return Status::Ok();
      Accept("DEFAULT");
      if (Accept("CHARACTER")) {
        SYNC_RETURN_IF_ERROR(Expect("SET"));
        SYNC_ASSIGN_OR_RETURN(charset, CharsetName());
        continue;
      }
      if (Accept("CHARSET")) {
        SYNC_ASSIGN_OR_RETURN(charset, CharsetName());
        continue;
      }
      if (Accept("COLLATE")) {
        SYNC_ASSIGN_OR_RETURN(collation, CharsetName());
        continue;
      }
      if (Accept("START")) {  // MySQL 8's atomic CREATE TABLE ... START TRANSACTION
        SYNC_RETURN_IF_ERROR(Expect("TRANSACTION"));
        continue;
      }
      if (Accept("WITH")) {
        SYNC_RETURN_IF_ERROR(Expect("SYSTEM"));
        SYNC_RETURN_IF_ERROR(Expect("VERSIONING"));
        continue;
      }
      if (Accept("DATA") || Accept("INDEX")) {
        SYNC_RETURN_IF_ERROR(Expect("DIRECTORY"));
      } else if (Accept("READ")) {  // ALTER DATABASE ... READ ONLY = 1
        SYNC_RETURN_IF_ERROR(Expect("ONLY"));
      } else if (IsAny(kTableOptions)) {
        Next();
      } else {
        return Fail("unknown table option '" + Peek().text + "'");
      }
      AcceptSym("=");
      if (Peek().IsSymbol("(")) {
        SYNC_RETURN_IF_ERROR(SkipBalanced());
      } else if (Peek().type == T::kIdentifier || Peek().type == T::kString || Peek().type == T::kNumber) {
        Next();
      } else {
        return Fail("expected a table option value");
      }
    }
  }

  Status ParseDatabase(DdlStatement& st, DdlKind kind) {
    st.kind = kind;
    if (kind == DdlKind::kDropDatabase) {
      SYNC_RETURN_IF_ERROR(ParseIfExists(st.if_exists));
      SYNC_ASSIGN_OR_RETURN(st.database, Identifier("a database name"));
      return Status::Ok();
    }
    if (kind == DdlKind::kCreateDatabase) SYNC_RETURN_IF_ERROR(ParseIfNotExists(st.if_not_exists));
    bool named = Peek().type == T::kIdentifier &&
                 (Peek().quoted || !IsAny({"DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT", "READ",
                                           "ENCRYPTION"}));
    if (kind == DdlKind::kCreateDatabase || named) {
      SYNC_ASSIGN_OR_RETURN(st.database, Identifier("a database name"));
    } else {
      st.database = default_db_;
    }
    if (kind == DdlKind::kAlterDatabase && Is("UPGRADE")) {
      st.kind = DdlKind::kNone;
      return SkipToStatementEnd();
    }
    return ParseTableOptions(st.charset, st.collation, false);
  }

  Status ParseDropTable(DdlStatement& st) {
    st.kind = DdlKind::kDropTable;
    SYNC_RETURN_IF_ERROR(ParseIfExists(st.if_exists));
    do {
      SYNC_ASSIGN_OR_RETURN(auto name, TableName());
      st.tables.push_back(std::move(name));
    } while (AcceptSym(","));
    SYNC_RETURN_IF_ERROR(SkipWaitOption());
    if (!Accept("RESTRICT")) Accept("CASCADE");
    return Status::Ok();
  }

  Status ParseRenameTable(DdlStatement& st) {
    st.kind = DdlKind::kRenameTable;
    bool if_exists = false;
    SYNC_RETURN_IF_ERROR(ParseIfExists(if_exists));
    do {
      SYNC_ASSIGN_OR_RETURN(auto from, TableName());
      SYNC_RETURN_IF_ERROR(SkipWaitOption());
      SYNC_RETURN_IF_ERROR(Expect("TO"));
      SYNC_ASSIGN_OR_RETURN(auto to, TableName());
      st.renames.emplace_back(std::move(from), std::move(to));
    } while (AcceptSym(","));
    return Status::Ok();
  }

  Status ParseAlterTable(DdlStatement& st);
  Status ParseAlterSpec(DdlStatement& st);
  Status ParsePosition(AlterOp& op);
  Status ParseColumnDef(DdlColumnDef& col);
  Status ParseDataType(DdlColumnDef& col);
  Status ParseColumnAttributes(DdlColumnDef& col);
  Status SkipExpression();
  Status ParseDefault(DdlColumnDef& col);

  std::vector<DdlToken> toks_;
  size_t pos_ = 0;
  std::string_view sql_;
  const std::string& default_db_;
  std::vector<DdlTableName>* touched_;
};

// ---- ALTER TABLE ----

Status Parser::ParseAlterTable(DdlStatement& st) {
  st.kind = DdlKind::kAlterTable;
  SYNC_RETURN_IF_ERROR(ParseIfExists(st.if_exists));
  SYNC_ASSIGN_OR_RETURN(st.table, TableName());
  SYNC_RETURN_IF_ERROR(SkipWaitOption());
  while (Peek().type != T::kEnd && !Peek().IsSymbol(";")) {
    const size_t before = pos_;
    SYNC_RETURN_IF_ERROR(ParseAlterSpec(st));
    // A word no specification starts with (`ALTER TABLE t IGNORE`) is read
    // as table options that take none of it: an error, not an endless loop.
    if (pos_ == before) return Fail("expected an ALTER TABLE specification");
    AcceptSym(",");
  }
  return Status::Ok();
}

Status Parser::ParsePosition(AlterOp& op) {
  if (Accept("FIRST")) {
    op.position = DdlColumnPosition::kFirst;
  } else if (Accept("AFTER")) {
    op.position = DdlColumnPosition::kAfter;
    SYNC_ASSIGN_OR_RETURN(op.after, Identifier("a column name after AFTER"));
  }
  return Status::Ok();
}

Status Parser::ParseAlterSpec(DdlStatement& st) {
  AlterOp op;
  auto done = [&](AlterOp&& o) {
    st.ops.push_back(std::move(o));
    return Status::Ok();
  };
  // Partition maintenance must be the only specification of its statement.
  if (IsAny({"PARTITION", "REMOVE", "COALESCE", "REORGANIZE", "ANALYZE", "CHECK", "OPTIMIZE", "REBUILD",
             "REPAIR", "UPGRADE"}))
    return SkipToStatementEnd();
  if (IsAny({"TRUNCATE", "EXCHANGE"}) || (IsAny({"DROP", "CONVERT"}) && Is("PARTITION", 1)) ||
      (Is("CONVERT") && Is("TABLE", 1))) {
    op.kind = AlterOpKind::kPartitionData;
    SYNC_RETURN_IF_ERROR(SkipToStatementEnd());
    return done(std::move(op));
  }
  if (Accept("ADD")) {
    if (IsAny({"INDEX", "KEY", "UNIQUE", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK", "PARTITION"}) ||
        (Is("PERIOD") && Is("FOR", 1)))
      return SkipToSpecEnd();
    if (Is("SYSTEM") && Is("VERSIONING", 1)) return Fail("ADD SYSTEM VERSIONING is not supported");
    if (Accept("CONSTRAINT")) {
      if (!IsAny({"PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "IF"})) Next();  // the constraint's name
      if (!Is("PRIMARY")) return SkipToSpecEnd();
    }
    if (Accept("PRIMARY")) {
      SYNC_RETURN_IF_ERROR(Expect("KEY"));
      op.kind = AlterOpKind::kAddPrimaryKey;
      SYNC_ASSIGN_OR_RETURN(op.key_columns, KeyColumns());
      SYNC_RETURN_IF_ERROR(SkipToSpecEnd());
      return done(std::move(op));
    }
    Accept("COLUMN");
    op.kind = AlterOpKind::kAddColumn;
    SYNC_RETURN_IF_ERROR(ParseIfNotExists(op.if_not_exists));
    if (AcceptSym("(")) {  // ADD COLUMN (a INT, b INT): appended in order
      do {
        AlterOp each = op;
        SYNC_RETURN_IF_ERROR(ParseColumnDef(each.column));
        st.ops.push_back(std::move(each));
      } while (AcceptSym(","));
      return ExpectSym(")");
    }
    SYNC_RETURN_IF_ERROR(ParseColumnDef(op.column));
    SYNC_RETURN_IF_ERROR(ParsePosition(op));
    return done(std::move(op));
  }
  if (Accept("DROP")) {
    if (Accept("PRIMARY")) {
      SYNC_RETURN_IF_ERROR(Expect("KEY"));
      op.kind = AlterOpKind::kDropPrimaryKey;
      return done(std::move(op));
    }
    if (IsAny({"INDEX", "KEY", "FOREIGN", "CONSTRAINT", "CHECK", "PERIOD"})) return SkipToSpecEnd();
    if (Is("SYSTEM") && Is("VERSIONING", 1)) return Fail("DROP SYSTEM VERSIONING is not supported");
    if (Is("DEFAULT")) return Fail("unexpected DEFAULT");
    Accept("COLUMN");
    op.kind = AlterOpKind::kDropColumn;
    SYNC_RETURN_IF_ERROR(ParseIfExists(op.if_exists));
    SYNC_ASSIGN_OR_RETURN(op.name, Identifier("a column name to drop"));
    if (!Accept("RESTRICT")) Accept("CASCADE");
    return done(std::move(op));
  }
  if (Accept("MODIFY") || Accept("CHANGE")) {
    bool change = toks_[pos_ - 1].IsWord("CHANGE");
    Accept("COLUMN");
    op.kind = change ? AlterOpKind::kChangeColumn : AlterOpKind::kModifyColumn;
    SYNC_RETURN_IF_ERROR(ParseIfExists(op.if_exists));
    if (change) {
      SYNC_ASSIGN_OR_RETURN(op.name, Identifier("the column to change"));
    }
    SYNC_RETURN_IF_ERROR(ParseColumnDef(op.column));
    if (!change) op.name = op.column.name;
    SYNC_RETURN_IF_ERROR(ParsePosition(op));
    return done(std::move(op));
  }
  if (Accept("RENAME")) {
    if (IsAny({"INDEX", "KEY"})) return SkipToSpecEnd();
    if (Accept("COLUMN")) {
      op.kind = AlterOpKind::kRenameColumn;
      SYNC_ASSIGN_OR_RETURN(op.name, Identifier("the column to rename"));
      SYNC_RETURN_IF_ERROR(Expect("TO"));
      SYNC_ASSIGN_OR_RETURN(op.new_name, Identifier("the column's new name"));
      return done(std::move(op));
    }
    if (!Accept("TO")) Accept("AS");
    op.kind = AlterOpKind::kRenameTable;
    SYNC_ASSIGN_OR_RETURN(op.new_table, TableName());
    return done(std::move(op));
  }
  if (Accept("ALTER")) return SkipToSpecEnd();  // column defaults, index visibility, check enforcement
  if (Accept("CONVERT")) {
    SYNC_RETURN_IF_ERROR(Expect("TO"));
    if (Accept("CHARACTER")) {
      SYNC_RETURN_IF_ERROR(Expect("SET"));
    } else {
      SYNC_RETURN_IF_ERROR(Expect("CHARSET"));
    }
    op.kind = AlterOpKind::kConvertCharset;
    SYNC_ASSIGN_OR_RETURN(op.charset, CharsetName());
    if (Accept("COLLATE")) {
      SYNC_ASSIGN_OR_RETURN(op.collation, CharsetName());
    }
    return done(std::move(op));
  }
  if (Accept("ORDER")) {
    SYNC_RETURN_IF_ERROR(Expect("BY"));
    do {
      SYNC_ASSIGN_OR_RETURN(std::string ignored, Identifier("a column name after ORDER BY"));
      if (!Accept("ASC")) Accept("DESC");
      if (!Peek().IsSymbol(",") || IsAny(kAlterSpecWords, 1)) break;
      Next();
    } while (true);
    return Status::Ok();
  }
  if (IsAny({"ENABLE", "DISABLE", "DISCARD", "IMPORT", "FORCE", "WITHOUT"}) || (Is("WITH") && Is("VALIDATION", 1)))
    return SkipToSpecEnd();
  if (Accept("ALGORITHM") || Accept("LOCK")) {
    AcceptSym("=");
    return SkipToSpecEnd();
  }
  if (Peek().type != T::kIdentifier || Peek().quoted) return Fail("expected an ALTER TABLE specification");
  op.kind = AlterOpKind::kTableDefaults;
  SYNC_RETURN_IF_ERROR(ParseTableOptions(op.charset, op.collation, /*in_alter=*/true));
  if (Peek().IsSymbol("(")) return Fail("unexpected '('");
  if (!op.charset.empty() || !op.collation.empty()) st.ops.push_back(std::move(op));
  return Status::Ok();
}

// ---- column definitions ----

Status Parser::ParseColumnDef(DdlColumnDef& col) {
  SYNC_ASSIGN_OR_RETURN(col.name, Identifier("a column name"));
  SYNC_RETURN_IF_ERROR(ParseDataType(col));
  return ParseColumnAttributes(col);
}

Status Parser::ParseDataType(DdlColumnDef& col) {
  if (Peek().type != T::kIdentifier || Peek().quoted) return Fail("expected the type of column " + col.name);
  std::string w = ToLower(Next().text);
  static const std::pair<const char*, const char*> kSynonyms[] = {
      {"integer", "int"},     {"int4", "int"},           {"int1", "tinyint"},     {"int2", "smallint"},
      {"int3", "mediumint"},  {"middleint", "mediumint"}, {"int8", "bigint"},      {"dec", "decimal"},
      {"numeric", "decimal"}, {"fixed", "decimal"},      {"float4", "float"},     {"float8", "double"},
      {"real", "double"},     {"character", "char"},     {"varcharacter", "varchar"}};
  for (const auto& [from, to] : kSynonyms)
    if (w == from) w = to;
  if (w == "bool" || w == "boolean") {
    w = "tinyint";
    col.length = 1;
  } else if (w == "serial") {  // BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
    w = "bigint";
    col.is_unsigned = true;
    col.null = DdlNullability::kNotNull;
    col.auto_increment = true;
  } else if (w == "double") {
    Accept("PRECISION");
  } else if (w == "national" || w == "nchar" || w == "nvarchar") {
    if (w == "national") {
      if (!Accept("CHAR") && !Accept("CHARACTER") && !Accept("VARCHAR")) return Fail("expected CHAR or VARCHAR");
      w = ToLower(toks_[pos_ - 1].text) == "varchar" ? "varchar" : "char";
    } else {
      w = w == "nchar" ? "char" : "varchar";
    }
    col.charset = "utf8";  // NATIONAL is utf8(mb3) on both MySQL and MariaDB
  } else if (w == "long") {
    if (Accept("VARBINARY")) {
      w = "mediumblob";
    } else {
      if (!Accept("VARCHAR") && !Accept("CHARACTER")) Accept("CHAR");
      w = "mediumtext";
    }
  }
  if (w == "char" && Accept("VARYING")) w = "varchar";
  static const char* kKnown[] = {
      "tinyint",  "smallint",   "mediumint", "int",        "bigint",     "decimal",   "float",    "double",
      "bit",      "year",       "date",      "time",       "datetime",   "timestamp", "char",     "varchar",
      "binary",   "varbinary",  "tinytext",  "text",       "mediumtext", "longtext",  "tinyblob", "blob",
      "mediumblob", "longblob", "enum",      "set",        "json",       "geometry",  "point",    "linestring",
      "polygon",  "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection",
      "uuid",     "inet4",      "inet6"};
  if (std::find(std::begin(kKnown), std::end(kKnown), w) == std::end(kKnown))
    return Fail("unknown type '" + w + "' for column " + col.name);
  col.type = w;
  if (AcceptSym("(")) {
    if (w == "enum" || w == "set") {
      do {
        if (Peek().type == T::kIdentifier && !Peek().quoted && Peek().text[0] == '_' && Peek(1).type == T::kString)
          Next();  // charset introducer such as _utf8mb4'x'
        if (Peek().type != T::kString) return Fail("expected a quoted " + w + " member");
        std::string member = Next().text;
        while (Peek().type == T::kString) member += Next().text;  // 'a' 'b' concatenates
        col.values.push_back(std::move(member));
      } while (AcceptSym(","));
    } else {
      if (Peek().type != T::kNumber) return Fail("expected a length for column " + col.name);
      col.length = std::atoll(Next().text.c_str());
      if (AcceptSym(",")) {
        if (Peek().type != T::kNumber) return Fail("expected a scale for column " + col.name);
        col.decimals = std::atoi(Next().text.c_str());
      }
    }
    SYNC_RETURN_IF_ERROR(ExpectSym(")"));
  }
  return Status::Ok();
}

// DEFAULT / ON UPDATE / generated-column expressions: a signed literal, a
// (parenthesized) expression or a function call, possibly joined by operators.
Status Parser::SkipExpression() {
  static const char* kOps[] = {"+", "-", "*", "/", "%", "||", "&&", "|", "&", "^", "<<", ">>"};
  for (;;) {
    while (AcceptSym("-") || AcceptSym("+") || AcceptSym("~")) {
    }
    const DdlToken& t = Peek();
    if (t.IsSymbol("(")) {
      SYNC_RETURN_IF_ERROR(SkipBalanced());
    } else if (t.type == T::kString || t.type == T::kNumber) {
      Next();
      while (Peek().type == T::kString) Next();
    } else if (t.type == T::kIdentifier) {
      bool introducer = !t.quoted && t.text[0] == '_' && Peek(1).type == T::kString;
      Next();
      if (introducer) Next();
      if (Peek().IsSymbol("(")) SYNC_RETURN_IF_ERROR(SkipBalanced());
    } else {
      return Fail("expected an expression");
    }
    bool op = false;
    for (const char* o : kOps) op = op || Peek().IsSymbol(o);
    if (!op && !IsAny({"DIV", "MOD", "AND", "OR", "XOR"})) return Status::Ok();
    Next();
  }
}

// A DEFAULT that is one literal (a string, a signed number, a bit literal,
// NULL) is kept as the catalog would show it; anything else (hex literals
// included) is an expression.
Status Parser::ParseDefault(DdlColumnDef& col) {
  const size_t begin = pos_;
  SYNC_RETURN_IF_ERROR(SkipExpression());
  col.default_literal.reset();
  std::string sign;
  size_t at = begin;
  if (pos_ - at == 2 && (toks_[at].IsSymbol("-") || toks_[at].IsSymbol("+"))) sign = toks_[at++].text == "-" ? "-" : "";
  if (pos_ - at != 1) return Status::Ok();
  const DdlToken& t = toks_[at];
  const bool hex_or_binary = t.text.size() > 1 && t.text[0] == '0' && (t.text[1] == 'x' || t.text[1] == 'b');
  if (t.type == T::kNumber && !hex_or_binary && !(t.text[0] == 'x' || t.text[0] == 'X')) {
    col.default_literal = sign + t.text;  // b'01' too: the catalog shows a BIT default so
  } else if (t.type == T::kString && sign.empty()) {
    std::string quoted = "'";
    for (char c : t.text) quoted += c == '\'' ? "''" : c == '\\' ? "\\\\" : std::string(1, c);
    col.default_literal = quoted + "'";
  } else if (t.IsWord("NULL") && sign.empty()) {
    col.default_literal = "NULL";
  }
  return Status::Ok();
}

Status Parser::ParseColumnAttributes(DdlColumnDef& col) {
  while (!AtSpecEnd() && !IsAny({"FIRST", "AFTER"})) {
    if (Accept("UNSIGNED")) {
      col.is_unsigned = true;
    } else if (Accept("SIGNED")) {
    } else if (Accept("ZEROFILL")) {
      col.zerofill = col.is_unsigned = true;
    } else if (Accept("NOT")) {
      SYNC_RETURN_IF_ERROR(Expect("NULL"));
      col.null = DdlNullability::kNotNull;
    } else if (Accept("NULL")) {
      col.null = DdlNullability::kNull;
    } else if (Accept("DEFAULT")) {
      SYNC_RETURN_IF_ERROR(ParseDefault(col));
    } else if (Accept("ON")) {
      SYNC_RETURN_IF_ERROR(Expect("UPDATE"));
      SYNC_RETURN_IF_ERROR(SkipExpression());
    } else if (Accept("AUTO_INCREMENT")) {
      col.auto_increment = true;
    } else if (Accept("UNIQUE")) {
      Accept("KEY");
    } else if (Accept("PRIMARY")) {
      SYNC_RETURN_IF_ERROR(Expect("KEY"));
      col.primary_key = true;
    } else if (Accept("KEY")) {  // a bare KEY in a column definition means PRIMARY KEY
      col.primary_key = true;
    } else if (Accept("COMMENT")) {
      if (Peek().type != T::kString) return Fail("expected a string after COMMENT");
      Next();
    } else if (Accept("COLLATE")) {
      SYNC_ASSIGN_OR_RETURN(col.collation, CharsetName());
    } else if (Accept("CHARACTER")) {
      SYNC_RETURN_IF_ERROR(Expect("SET"));
      SYNC_ASSIGN_OR_RETURN(col.charset, CharsetName());
    } else if (Accept("CHARSET")) {
      SYNC_ASSIGN_OR_RETURN(col.charset, CharsetName());
    } else if (Accept("BINARY")) {
      col.binary_collation = true;
    } else if (Accept("ASCII")) {
      col.charset = "latin1";
    } else if (Accept("UNICODE")) {
      col.charset = "ucs2";
    } else if (Accept("BYTE")) {
      col.charset = "binary";
    } else if (Accept("GENERATED") || Is("AS")) {
      if (!Is("AS")) SYNC_RETURN_IF_ERROR(Expect("ALWAYS"));
      SYNC_RETURN_IF_ERROR(Expect("AS"));
      col.generated = true;
      if (Peek().IsSymbol("(")) {
        SYNC_RETURN_IF_ERROR(SkipBalanced());
      } else {
        return Fail("expected '(' after AS in the generated column " + col.name);
      }
    } else if (Accept("VIRTUAL") || Accept("STORED") || Accept("PERSISTENT") || Accept("INVISIBLE") ||
               Accept("VISIBLE")) {
    } else if (Accept("WITH") || Accept("WITHOUT")) {
      SYNC_RETURN_IF_ERROR(Expect("SYSTEM"));
      SYNC_RETURN_IF_ERROR(Expect("VERSIONING"));
    } else if (Accept("COLUMN_FORMAT") || Accept("STORAGE") || Accept("SRID")) {
      Next();  // FIXED|DYNAMIC|DEFAULT, DISK|MEMORY, or the SRID
    } else if (Accept("ENGINE_ATTRIBUTE") || Accept("SECONDARY_ENGINE_ATTRIBUTE")) {
      AcceptSym("=");
      Next();
    } else if (Accept("COMPRESSED")) {  // MariaDB: COMPRESSED[=zlib]
      if (AcceptSym("=")) Next();
    } else if (Accept("REFERENCES")) {  // inline foreign key: ignored by InnoDB, nothing for us
      return SkipToSpecEnd();
    } else if (Accept("CONSTRAINT") || Is("CHECK")) {
      if (!Is("CHECK")) Next();  // the constraint's name
      SYNC_RETURN_IF_ERROR(Expect("CHECK"));
      SYNC_RETURN_IF_ERROR(SkipBalanced());
    } else if (Accept("SERIAL")) {  // SERIAL DEFAULT VALUE = NOT NULL AUTO_INCREMENT UNIQUE
      SYNC_RETURN_IF_ERROR(Expect("DEFAULT"));
      SYNC_RETURN_IF_ERROR(Expect("VALUE"));
      col.null = DdlNullability::kNotNull;
      col.auto_increment = true;
    } else {
      return Fail("unexpected '" + Peek().text + "' in the definition of column " + col.name);
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsDdlStatement(std::string_view sql) {
  size_t i = 0;
  auto starts = [&](std::string_view p) { return sql.substr(i, p.size()) == p; };
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (starts("/*!") || starts("/*M!")) {  // executable comment: its content counts
      i += starts("/*!") ? 3 : 4;
      while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
    } else if (starts("/*")) {
      size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
    } else if (c == '#' || starts("-- ")) {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) return false;
      i = end + 1;
    } else {
      break;
    }
  }
  size_t end = i;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
  std::string word = ToLower(sql.substr(i, end - i));
  return word == "create" || word == "alter" || word == "drop" || word == "rename" || word == "truncate";
}

Result<DdlStatement> ParseDdl(const std::string& default_db, std::string_view sql,
                              std::vector<DdlTableName>* touched) {
  if (touched) touched->clear();
  auto tokens = TokenizeSql(sql);
  if (!tokens.ok()) {
    std::string stmt(sql.substr(0, 300));
    return Status::InvalidArgument("cannot parse DDL statement `" + stmt + "`: " + tokens.status().message());
  }
  Parser parser(std::move(tokens).value(), sql, default_db, touched);
  return parser.Parse();
}

}  // namespace dbsync::mysql
