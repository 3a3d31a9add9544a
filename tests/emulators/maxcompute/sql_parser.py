"""Lexer and recursive-descent parser for the MaxCompute SQL subset the
replicator needs (spec maxcompute.md 2.3, 4.3): CREATE/DROP/ALTER/TRUNCATE
TABLE, INSERT INTO/OVERWRITE (SELECT or VALUES), MERGE INTO, UPDATE, DELETE
and SELECT (joins, GROUP BY, UNION ALL, ROW_NUMBER() OVER, ORDER BY/LIMIT).

Syntax errors raise SqlError with the service's parse-error code
ODPS-0130161 and a [line,col] position (spec 2.2).
"""

import re


class SqlError(Exception):
    """A failed SQL task; the text becomes the instance result (spec 2.2)."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


def parse_error(pos, detail):
    return SqlError("ODPS-0130161:[%d,%d] Parse exception - %s" % (pos[0], pos[1], detail))


# ---------------------------------------------------------------------------
# lexer

class Tok:
    __slots__ = ("kind", "val", "pos")

    def __init__(self, kind, val, pos):
        self.kind = kind      # id, qid, str, num, op, eof
        self.val = val
        self.pos = pos

    def __repr__(self):
        return "Tok(%s,%r)" % (self.kind, self.val)

    def is_kw(self, *words):
        return self.kind == "id" and self.val.upper() in words


_OPS = ["<=>", "<>", "!=", "<=", ">=", "==", "||", "(", ")", ",", ".", ";", "=", "<", ">",
        "+", "-", "*", "/", "%", "&", "|", "^", "~", "[", "]", ":"]
_NUM = re.compile(r"(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?(BD|bd|Bd|bD|[YSLFDyslfd])?")
_ID = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")


def tokenize(text):
    toks = []
    i, n = 0, len(text)
    line, line_start = 1, 0

    def pos_at(j):
        return (line, j - line_start + 1)

    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise parse_error(pos_at(i), "unterminated comment")
            for k in range(i, j):
                if text[k] == "\n":
                    line += 1
                    line_start = k + 1
            i = j + 2
            continue
        p = pos_at(i)
        if ch in "'\"":
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise parse_error(p, "unterminated string literal")
                c = text[j]
                if c == "\\" and j + 1 < n:
                    nxt = text[j + 1]
                    buf.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0",
                                "\\": "\\", "'": "'", '"': '"'}.get(nxt, "\\" + nxt))
                    j += 2
                    continue
                if c == ch:
                    if j + 1 < n and text[j + 1] == ch:   # doubled quote
                        buf.append(ch)
                        j += 2
                        continue
                    j += 1
                    break
                if c == "\n":
                    line += 1
                    line_start = j + 1
                buf.append(c)
                j += 1
            toks.append(Tok("str", "".join(buf), p))
            i = j
            continue
        if ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise parse_error(p, "unterminated quoted identifier")
            toks.append(Tok("qid", text[i + 1:j], p))
            i = j + 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUM.match(text, i)
            end = m.end()
            if end < n and (text[end].isalnum() or text[end] == "_"):
                raise parse_error(p, "invalid number literal %s" % text[i:end + 1])
            toks.append(Tok("num", m.group(0), p))
            i = end
            continue
        m = _ID.match(text, i)
        if m:
            toks.append(Tok("id", m.group(0), p))
            i = m.end()
            continue
        for op in _OPS:
            if text.startswith(op, i):
                toks.append(Tok("op", op, p))
                i += len(op)
                break
        else:
            raise parse_error(p, "unexpected character %r" % ch)
    toks.append(Tok("eof", None, pos_at(n)))
    return toks


# ---------------------------------------------------------------------------
# AST (plain classes; the engine dispatches on the class)

class Node:
    pos = (1, 1)


class Lit(Node):
    def __init__(self, kind, value, pos):   # kind: int,long,tiny,small,float,double,decimal,str,bool,null,date,datetime,timestamp,binary
        self.kind, self.value, self.pos = kind, value, pos


class Col(Node):
    def __init__(self, qual, name, pos):
        self.qual, self.name, self.pos = qual, name, pos


class Star(Node):
    def __init__(self, qual, pos):
        self.qual, self.pos = qual, pos


class Func(Node):
    def __init__(self, name, args, pos, distinct=False, star=False, over=None):
        self.name, self.args, self.pos = name, args, pos
        self.distinct, self.star, self.over = distinct, star, over


class Window(Node):
    def __init__(self, partition_by, order_by):
        self.partition_by, self.order_by = partition_by, order_by


class Cast(Node):
    def __init__(self, expr, type_text, pos):
        self.expr, self.type_text, self.pos = expr, type_text, pos


class Case(Node):
    def __init__(self, operand, whens, else_, pos):
        self.operand, self.whens, self.else_, self.pos = operand, whens, else_, pos


class Unary(Node):
    def __init__(self, op, expr, pos):
        self.op, self.expr, self.pos = op, expr, pos


class Binary(Node):
    def __init__(self, op, left, right, pos):
        self.op, self.left, self.right, self.pos = op, left, right, pos


class IsNull(Node):
    def __init__(self, expr, negated, pos):
        self.expr, self.negated, self.pos = expr, negated, pos


class InList(Node):
    def __init__(self, expr, items, negated, pos):
        self.expr, self.items, self.negated, self.pos = expr, items, negated, pos


class Between(Node):
    def __init__(self, expr, lo, hi, negated, pos):
        self.expr, self.lo, self.hi, self.negated, self.pos = expr, lo, hi, negated, pos


class Like(Node):
    def __init__(self, expr, pattern, negated, pos, regex=False):
        self.expr, self.pattern, self.negated, self.pos, self.regex = expr, pattern, negated, pos, regex


# queries
class Select(Node):
    def __init__(self):
        self.distinct = False
        self.items = []          # (expr, alias or None)
        self.from_ = None
        self.where = None
        self.group_by = []
        self.having = None
        self.order_by = []       # (expr, desc, nulls_first or None)
        self.limit = None
        self.pos = (1, 1)


class SetOp(Node):
    def __init__(self, op, all_, left, right, pos):
        self.op, self.all, self.left, self.right, self.pos = op, all_, left, right, pos
        self.order_by = []
        self.limit = None


class FromTable(Node):
    def __init__(self, name, alias, pos):
        self.name, self.alias, self.pos = name, alias, pos   # name: (project or None, table)


class FromQuery(Node):
    def __init__(self, query, alias, pos):
        self.query, self.alias, self.pos = query, alias, pos


class FromValues(Node):
    def __init__(self, rows, alias, columns, pos):
        self.rows, self.alias, self.columns, self.pos = rows, alias, columns, pos


class Join(Node):
    def __init__(self, kind, left, right, on, pos):
        self.kind, self.left, self.right, self.on, self.pos = kind, left, right, on, pos


# statements
class ColumnDef(Node):
    def __init__(self, name, type_text, pos, not_null=False, comment=None, default=None,
                 primary_key=False):
        self.name, self.type_text, self.pos = name, type_text, pos
        self.not_null, self.comment, self.default = not_null, comment, default
        self.primary_key = primary_key


class CreateTable(Node):
    def __init__(self):
        self.if_not_exists = False
        self.name = None
        self.columns = []
        self.primary_key = []
        self.comment = None
        self.partitions = []
        self.properties = []
        self.lifecycle = None
        self.like = None
        self.as_query = None
        self.pos = (1, 1)


class DropTable(Node):
    def __init__(self, name, if_exists, pos):
        self.name, self.if_exists, self.pos = name, if_exists, pos


class AlterTable(Node):
    def __init__(self, name, action, args, pos):
        self.name, self.action, self.args, self.pos = name, action, args, pos


class Truncate(Node):
    def __init__(self, name, partition, pos):
        self.name, self.partition, self.pos = name, partition, pos


class Insert(Node):
    def __init__(self):
        self.overwrite = False
        self.name = None
        self.partition = None      # list of (col, expr or None)
        self.columns = None
        self.query = None
        self.pos = (1, 1)


class Merge(Node):
    def __init__(self):
        self.name = None
        self.alias = None
        self.source = None
        self.on = None
        self.clauses = []          # (matched:bool, cond, action, payload)
        self.pos = (1, 1)


class Update(Node):
    def __init__(self, name, alias, sets, where, pos):
        self.name, self.alias, self.sets, self.where, self.pos = name, alias, sets, where, pos


class Delete(Node):
    def __init__(self, name, alias, where, pos):
        self.name, self.alias, self.where, self.pos = name, alias, where, pos


class QueryStmt(Node):
    def __init__(self, query, pos):
        self.query, self.pos = query, pos


class SetStmt(Node):
    def __init__(self, key, value, pos):
        self.key, self.value, self.pos = key, value, pos


# Words that cannot be a bare alias.
RESERVED = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "UNION", "ALL",
    "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "OUTER", "CROSS", "ON", "AS", "AND", "OR",
    "NOT", "IN", "IS", "NULL", "LIKE", "RLIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE",
    "END", "DISTINCT", "INSERT", "OVERWRITE", "INTO", "TABLE", "VALUES", "PARTITION",
    "USING", "MERGE", "MATCHED", "UPDATE", "DELETE", "SET", "CREATE", "DROP", "ALTER",
    "DESC", "ASC", "NULLS", "OVER", "TRUE", "FALSE", "SORT", "DISTRIBUTE", "CLUSTER",
    "WINDOW", "LATERAL", "SEMI", "ANTI", "EXCEPT", "INTERSECT", "MINUS",
}


class Parser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # --- token helpers
    @property
    def tok(self):
        return self.toks[self.i]

    def peek(self, k=1):
        j = min(self.i + k, len(self.toks) - 1)
        return self.toks[j]

    def advance(self):
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def at_kw(self, *words):
        return self.tok.is_kw(*words)

    def at_op(self, *ops):
        return self.tok.kind == "op" and self.tok.val in ops

    def accept_kw(self, *words):
        if self.at_kw(*words):
            return self.advance()
        return None

    def accept_op(self, op):
        if self.at_op(op):
            return self.advance()
        return None

    def fail(self, detail=None):
        t = self.tok
        found = "<EOF>" if t.kind == "eof" else t.val
        raise parse_error(t.pos, detail or "line %d:%d cannot recognize input near '%s'"
                          % (t.pos[0], t.pos[1] - 1, found))

    def expect_kw(self, *words):
        t = self.accept_kw(*words)
        if t is None:
            self.fail("line %d:%d mismatched input '%s' expecting %s"
                      % (self.tok.pos[0], self.tok.pos[1] - 1,
                         "<EOF>" if self.tok.kind == "eof" else self.tok.val, " ".join(words)))
        return t

    def expect_op(self, op):
        t = self.accept_op(op)
        if t is None:
            self.fail("line %d:%d mismatched input '%s' expecting %s"
                      % (self.tok.pos[0], self.tok.pos[1] - 1,
                         "<EOF>" if self.tok.kind == "eof" else self.tok.val, op))
        return t

    def ident(self, allow_reserved=False):
        t = self.tok
        if t.kind == "qid":
            self.advance()
            return t.val
        if t.kind == "id" and (allow_reserved or t.val.upper() not in RESERVED):
            self.advance()
            return t.val
        self.fail()

    def table_name(self):
        pos = self.tok.pos
        first = self.ident(allow_reserved=True)
        if self.accept_op("."):
            second = self.ident(allow_reserved=True)
            if self.accept_op("."):
                third = self.ident(allow_reserved=True)
                return (first, third, second), pos     # project.schema.table
            return (first, second, None), pos
        return (None, first, None), pos

    def string(self):
        t = self.tok
        if t.kind != "str":
            self.fail()
        self.advance()
        return t.val

    def integer(self):
        t = self.tok
        if t.kind != "num" or not t.val.isdigit():
            self.fail()
        self.advance()
        return int(t.val)

    # --- script: SET statements, then exactly one statement
    def parse_script(self):
        sets = []
        while self.at_kw("SET"):
            sets.append(self.parse_set())
            if not self.accept_op(";"):
                self.fail()
        if self.tok.kind == "eof":
            self.fail("line %d:%d no statement to execute" % (self.tok.pos[0], self.tok.pos[1] - 1))
        stmt = self.parse_statement()
        self.accept_op(";")
        if self.tok.kind != "eof":
            self.fail("line %d:%d only one statement is allowed per SQL task (script mode is not supported here)"
                      % (self.tok.pos[0], self.tok.pos[1] - 1))
        return sets, stmt

    def parse_set(self):
        pos = self.expect_kw("SET").pos
        start = self.tok
        key_parts = []
        while not self.at_op("=") and self.tok.kind != "eof" and not self.at_op(";"):
            key_parts.append(self.advance().val)
        self.expect_op("=")
        val_parts = []
        while not self.at_op(";") and self.tok.kind != "eof":
            val_parts.append(self.advance().val)
        if not key_parts:
            raise parse_error(start.pos, "SET without a key")
        return SetStmt("".join(key_parts), "".join(val_parts), pos)

    def parse_statement(self):
        t = self.tok
        if t.is_kw("CREATE"):
            return self.parse_create()
        if t.is_kw("DROP"):
            pos = self.advance().pos
            self.expect_kw("TABLE")
            if_exists = False
            if self.accept_kw("IF"):
                self.expect_kw("EXISTS")
                if_exists = True
            name, _ = self.table_name()
            return DropTable(name, if_exists, pos)
        if t.is_kw("ALTER"):
            return self.parse_alter()
        if t.is_kw("TRUNCATE"):
            pos = self.advance().pos
            self.expect_kw("TABLE")
            name, _ = self.table_name()
            part = None
            if self.at_kw("PARTITION"):
                part = self.partition_spec()
            return Truncate(name, part, pos)
        if t.is_kw("INSERT"):
            return self.parse_insert()
        if t.is_kw("MERGE"):
            return self.parse_merge()
        if t.is_kw("UPDATE"):
            pos = self.advance().pos
            name, _ = self.table_name()
            alias = self.opt_alias()
            self.expect_kw("SET")
            sets = self.parse_assignments()
            where = self.expr() if self.accept_kw("WHERE") else None
            return Update(name, alias, sets, where, pos)
        if t.is_kw("DELETE"):
            pos = self.advance().pos
            self.expect_kw("FROM")
            name, _ = self.table_name()
            alias = self.opt_alias()
            where = self.expr() if self.accept_kw("WHERE") else None
            return Delete(name, alias, where, pos)
        if t.is_kw("SELECT") or t.is_kw("WITH") or self.at_op("("):
            return QueryStmt(self.query(), t.pos)
        self.fail()

    # --- DDL
    def type_text(self):
        """Collect a type expression (decimal(10,2), array<map<string,bigint>>)."""
        start = self.tok
        if start.kind not in ("id", "qid"):
            self.fail()
        parts = [self.advance().val]
        depth = 0
        while True:
            t = self.tok
            if t.kind == "op" and t.val in ("<", "("):
                if t.val == "(" and depth == 0 and parts[-1].lower() not in ("decimal", "varchar", "char"):
                    break
                depth += 1
                parts.append(self.advance().val)
            elif t.kind == "op" and t.val in (">", ")") and depth > 0:
                depth -= 1
                parts.append(self.advance().val)
            elif depth > 0 and t.kind in ("id", "qid", "num") or depth > 0 and t.kind == "op" and t.val in (",", ":"):
                parts.append(self.advance().val)
            else:
                break
        return " ".join(parts).replace(" ( ", "(").replace(" , ", ",").replace(" )", ")")

    def column_def(self):
        pos = self.tok.pos
        name = self.ident(allow_reserved=True)
        type_text = self.type_text()
        cd = ColumnDef(name, type_text, pos)
        while True:
            if self.at_kw("NOT"):
                self.advance()
                self.expect_kw("NULL")
                cd.not_null = True
            elif self.at_kw("NULL"):
                self.advance()
            elif self.at_kw("COMMENT"):
                self.advance()
                cd.comment = self.string()
            elif self.at_kw("DEFAULT"):
                self.advance()
                cd.default = self.primary()
            elif self.at_kw("PRIMARY"):
                self.advance()
                self.expect_kw("KEY")
                cd.primary_key = True
            else:
                break
        return cd

    def parse_create(self):
        ct = CreateTable()
        ct.pos = self.expect_kw("CREATE").pos
        if self.at_kw("OR", "EXTERNAL", "VIEW", "TEMPORARY", "FUNCTION", "RESOURCE"):
            self.fail("line %d:%d only CREATE TABLE is supported by this emulator"
                      % (self.tok.pos[0], self.tok.pos[1] - 1))
        self.expect_kw("TABLE")
        if self.accept_kw("IF"):
            self.expect_kw("NOT")
            self.expect_kw("EXISTS")
            ct.if_not_exists = True
        ct.name, _ = self.table_name()
        if self.accept_kw("LIKE"):
            ct.like, _ = self.table_name()
            if self.accept_kw("LIFECYCLE"):
                ct.lifecycle = self.integer()
            return ct
        if self.at_op("("):
            self.advance()
            while True:
                if self.at_kw("PRIMARY"):
                    self.advance()
                    self.expect_kw("KEY")
                    self.expect_op("(")
                    ct.primary_key.append(self.ident(allow_reserved=True))
                    while self.accept_op(","):
                        ct.primary_key.append(self.ident(allow_reserved=True))
                    self.expect_op(")")
                else:
                    ct.columns.append(self.column_def())
                if self.accept_op(","):
                    continue
                self.expect_op(")")
                break
        while True:
            if self.accept_kw("COMMENT"):
                ct.comment = self.string()
            elif self.accept_kw("PARTITIONED"):
                self.expect_kw("BY")
                self.expect_op("(")
                while True:
                    ct.partitions.append(self.column_def())
                    if not self.accept_op(","):
                        break
                self.expect_op(")")
            elif self.accept_kw("TBLPROPERTIES"):
                ct.properties.extend(self.properties())
            elif self.accept_kw("LIFECYCLE"):
                ct.lifecycle = self.integer()
            elif self.accept_kw("AS"):
                ct.as_query = self.query()
            else:
                break
        if not ct.columns and ct.as_query is None:
            self.fail()
        return ct

    def properties(self):
        self.expect_op("(")
        props = []
        while True:
            k = self.string()
            self.expect_op("=")
            v = self.string()
            props.append((k, v))
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return props

    def partition_spec(self, allow_dynamic=False):
        self.expect_kw("PARTITION")
        self.expect_op("(")
        spec = []
        while True:
            name = self.ident(allow_reserved=True)
            if self.accept_op("="):
                spec.append((name, self.primary()))
            elif allow_dynamic:
                spec.append((name, None))
            else:
                self.fail()
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return spec

    def parse_alter(self):
        pos = self.expect_kw("ALTER").pos
        self.expect_kw("TABLE")
        name, _ = self.table_name()
        if self.accept_kw("ADD"):
            if self.accept_kw("COLUMNS"):
                if_not_exists = False
                if self.accept_kw("IF"):
                    self.expect_kw("NOT")
                    self.expect_kw("EXISTS")
                    if_not_exists = True
                self.expect_op("(")
                cols = [self.column_def()]
                while self.accept_op(","):
                    cols.append(self.column_def())
                self.expect_op(")")
                return AlterTable(name, "add_columns", {"columns": cols, "if_not_exists": if_not_exists}, pos)
            if self.accept_kw("COLUMN"):
                self.fail("line %d:%d ADD COLUMN is not MaxCompute syntax, use ADD COLUMNS (...)"
                          % (self.tok.pos[0], self.tok.pos[1] - 1))
            if_not_exists = False
            if self.accept_kw("IF"):
                self.expect_kw("NOT")
                self.expect_kw("EXISTS")
                if_not_exists = True
            specs = [self.partition_spec()]
            while self.at_kw("PARTITION") or self.at_op(","):
                self.accept_op(",")
                specs.append(self.partition_spec())
            return AlterTable(name, "add_partition", {"specs": specs, "if_not_exists": if_not_exists}, pos)
        if self.accept_kw("DROP"):
            if self.accept_kw("COLUMNS", "COLUMN"):
                cols = [self.ident(allow_reserved=True)]
                while self.accept_op(","):
                    cols.append(self.ident(allow_reserved=True))
                return AlterTable(name, "drop_columns", {"columns": cols}, pos)
            if_exists = False
            if self.accept_kw("IF"):
                self.expect_kw("EXISTS")
                if_exists = True
            specs = [self.partition_spec()]
            while self.at_op(","):
                self.advance()
                specs.append(self.partition_spec())
            return AlterTable(name, "drop_partition", {"specs": specs, "if_exists": if_exists}, pos)
        if self.accept_kw("CHANGE"):
            self.accept_kw("COLUMN")
            old = self.ident(allow_reserved=True)
            if self.accept_kw("RENAME"):
                self.expect_kw("TO")
                new = self.ident(allow_reserved=True)
                return AlterTable(name, "rename_column", {"old": old, "new": new}, pos)
            if self.accept_kw("COMMENT"):
                return AlterTable(name, "column_comment", {"column": old, "comment": self.string()}, pos)
            cd = self.column_def()
            placement = None
            if self.accept_kw("FIRST"):
                placement = "first"
            elif self.accept_kw("AFTER"):
                placement = ("after", self.ident(allow_reserved=True))
            return AlterTable(name, "change_column", {"old": old, "def": cd, "placement": placement}, pos)
        if self.accept_kw("MODIFY"):
            self.fail("line %d:%d MODIFY is not supported, use CHANGE COLUMN"
                      % (self.tok.pos[0], self.tok.pos[1] - 1))
        if self.accept_kw("RENAME"):
            self.expect_kw("TO")
            new, _ = self.table_name()
            return AlterTable(name, "rename", {"new": new}, pos)
        if self.accept_kw("SET"):
            if self.accept_kw("LIFECYCLE"):
                return AlterTable(name, "set_lifecycle", {"lifecycle": self.integer()}, pos)
            if self.accept_kw("COMMENT"):
                return AlterTable(name, "set_comment", {"comment": self.string()}, pos)
            if self.accept_kw("TBLPROPERTIES"):
                return AlterTable(name, "set_properties", {"properties": self.properties()}, pos)
            self.fail()
        if self.accept_kw("ENABLE", "DISABLE"):
            self.fail()
        self.fail()

    # --- DML
    def parse_insert(self):
        ins = Insert()
        ins.pos = self.expect_kw("INSERT").pos
        if self.accept_kw("OVERWRITE"):
            ins.overwrite = True
            self.expect_kw("TABLE")
        else:
            self.expect_kw("INTO")
            self.accept_kw("TABLE")
        ins.name, _ = self.table_name()
        if self.at_kw("PARTITION"):
            ins.partition = self.partition_spec(allow_dynamic=True)
        if self.at_op("(") and not (self.peek().is_kw("SELECT", "WITH")):
            self.advance()
            ins.columns = [self.ident(allow_reserved=True)]
            while self.accept_op(","):
                ins.columns.append(self.ident(allow_reserved=True))
            self.expect_op(")")
        if self.at_kw("VALUES"):
            pos = self.advance().pos
            ins.query = FromValues(self.values_rows(), None, None, pos)
        else:
            ins.query = self.query()
        return ins

    def values_rows(self):
        rows = []
        while True:
            self.expect_op("(")
            row = [self.expr()]
            while self.accept_op(","):
                row.append(self.expr())
            self.expect_op(")")
            rows.append(row)
            if not self.accept_op(","):
                break
        return rows

    def parse_assignments(self):
        sets = []
        while True:
            pos = self.tok.pos
            name = self.ident(allow_reserved=True)
            qual = None
            if self.accept_op("."):
                qual, name = name, self.ident(allow_reserved=True)
            self.expect_op("=")
            sets.append((qual, name, self.expr(), pos))
            if not self.accept_op(","):
                break
        return sets

    def parse_merge(self):
        m = Merge()
        m.pos = self.expect_kw("MERGE").pos
        self.expect_kw("INTO")
        m.name, _ = self.table_name()
        m.alias = self.opt_alias()
        self.expect_kw("USING")
        m.source = self.table_ref()
        self.expect_kw("ON")
        m.on = self.expr()
        while self.at_kw("WHEN"):
            wpos = self.advance().pos
            matched = True
            if self.accept_kw("NOT"):
                matched = False
            self.expect_kw("MATCHED")
            cond = self.expr() if self.accept_kw("AND") else None
            self.expect_kw("THEN")
            if matched and self.accept_kw("UPDATE"):
                self.expect_kw("SET")
                m.clauses.append((True, cond, "update", self.parse_assignments(), wpos))
            elif matched and self.accept_kw("DELETE"):
                m.clauses.append((True, cond, "delete", None, wpos))
            elif not matched and self.accept_kw("INSERT"):
                cols = None
                if self.at_op("("):
                    self.advance()
                    cols = [self.ident(allow_reserved=True)]
                    while self.accept_op(","):
                        cols.append(self.ident(allow_reserved=True))
                    self.expect_op(")")
                self.expect_kw("VALUES")
                self.expect_op("(")
                vals = [self.expr()]
                while self.accept_op(","):
                    vals.append(self.expr())
                self.expect_op(")")
                m.clauses.append((False, cond, "insert", (cols, vals), wpos))
            else:
                self.fail()
        if not m.clauses:
            self.fail()
        return m

    # --- queries
    def query(self):
        if self.at_kw("WITH"):
            self.fail("line %d:%d WITH (CTE) is not supported by this emulator"
                      % (self.tok.pos[0], self.tok.pos[1] - 1))
        left = self.query_term()
        while self.at_kw("UNION"):
            pos = self.advance().pos
            all_ = bool(self.accept_kw("ALL"))
            if not all_:
                self.accept_kw("DISTINCT")
            right = self.query_term()
            left = SetOp("union", all_, left, right, pos)
        if self.at_kw("ORDER"):
            left.order_by = self.order_by()
        if self.accept_kw("LIMIT"):
            left.limit = self.integer()
        return left

    def query_term(self):
        if self.at_op("("):
            self.advance()
            q = self.query()
            self.expect_op(")")
            return q
        return self.select_core()

    def order_by(self):
        self.expect_kw("ORDER")
        self.expect_kw("BY")
        items = []
        while True:
            e = self.expr()
            desc = False
            if self.accept_kw("DESC"):
                desc = True
            else:
                self.accept_kw("ASC")
            nulls = None
            if self.accept_kw("NULLS"):
                nulls = "first" if self.accept_kw("FIRST") else (self.expect_kw("LAST") and "last")
            items.append((e, desc, nulls))
            if not self.accept_op(","):
                break
        return items

    def select_core(self):
        s = Select()
        s.pos = self.expect_kw("SELECT").pos
        if self.accept_kw("DISTINCT"):
            s.distinct = True
        else:
            self.accept_kw("ALL")
        while True:
            if self.at_op("*"):
                s.items.append((Star(None, self.advance().pos), None))
            elif (self.tok.kind in ("id", "qid") and self.peek().kind == "op" and self.peek().val == "."
                  and self.peek(2).kind == "op" and self.peek(2).val == "*"):
                qual = self.advance().val
                self.advance()
                s.items.append((Star(qual, self.advance().pos), None))
            else:
                e = self.expr()
                s.items.append((e, self.opt_alias()))
            if not self.accept_op(","):
                break
        if self.accept_kw("FROM"):
            s.from_ = self.from_clause()
        if self.accept_kw("WHERE"):
            s.where = self.expr()
        if self.at_kw("GROUP"):
            self.advance()
            self.expect_kw("BY")
            s.group_by = [self.expr()]
            while self.accept_op(","):
                s.group_by.append(self.expr())
        if self.accept_kw("HAVING"):
            s.having = self.expr()
        return s

    def opt_alias(self):
        if self.accept_kw("AS"):
            return self.ident(allow_reserved=True)
        t = self.tok
        if t.kind == "qid" or (t.kind == "id" and t.val.upper() not in RESERVED):
            self.advance()
            return t.val
        return None

    def from_clause(self):
        left = self.table_ref()
        while True:
            pos = self.tok.pos
            if self.accept_op(","):
                right = self.table_ref()
                left = Join("cross", left, right, None, pos)
                continue
            kind = None
            if self.at_kw("JOIN"):
                kind = "inner"
            elif self.at_kw("INNER"):
                self.advance()
                kind = "inner"
            elif self.at_kw("LEFT", "RIGHT", "FULL"):
                kind = self.advance().val.lower()
                if self.accept_kw("SEMI"):
                    kind = "semi"
                elif self.accept_kw("ANTI"):
                    kind = "anti"
                else:
                    self.accept_kw("OUTER")
            elif self.at_kw("CROSS"):
                self.advance()
                kind = "cross"
            if kind is None:
                return left
            self.expect_kw("JOIN")
            right = self.table_ref()
            on = None
            if kind != "cross":
                self.expect_kw("ON")
                on = self.expr()
            left = Join(kind, left, right, on, pos)

    def table_ref(self):
        pos = self.tok.pos
        if self.at_op("("):
            self.advance()
            if self.at_kw("VALUES"):
                self.advance()
                rows = self.values_rows()
                self.expect_op(")")
                alias, cols = self.values_alias()
                return FromValues(rows, alias, cols, pos)
            q = self.query()
            self.expect_op(")")
            alias = self.opt_alias()
            return FromQuery(q, alias, pos)
        if self.at_kw("VALUES"):
            self.advance()
            rows = self.values_rows()
            alias, cols = self.values_alias()
            return FromValues(rows, alias, cols, pos)
        name, _ = self.table_name()
        return FromTable(name, self.opt_alias(), pos)

    def values_alias(self):
        alias = self.opt_alias()
        cols = None
        if alias is not None and self.accept_op("("):
            cols = [self.ident(allow_reserved=True)]
            while self.accept_op(","):
                cols.append(self.ident(allow_reserved=True))
            self.expect_op(")")
        return alias, cols

    # --- expressions (precedence: OR < AND < NOT < comparison < | < & < +,- < *,/,% < unary)
    def expr(self):
        return self.or_expr()

    def or_expr(self):
        e = self.and_expr()
        while self.at_kw("OR"):
            pos = self.advance().pos
            e = Binary("OR", e, self.and_expr(), pos)
        return e

    def and_expr(self):
        e = self.not_expr()
        while self.at_kw("AND"):
            pos = self.advance().pos
            e = Binary("AND", e, self.not_expr(), pos)
        return e

    def not_expr(self):
        if self.at_kw("NOT"):
            pos = self.advance().pos
            return Unary("NOT", self.not_expr(), pos)
        return self.comparison()

    def comparison(self):
        e = self.concat_expr()
        while True:
            t = self.tok
            if t.kind == "op" and t.val in ("=", "==", "<>", "!=", "<", "<=", ">", ">=", "<=>"):
                self.advance()
                op = {"==": "=", "!=": "<>"}.get(t.val, t.val)
                e = Binary(op, e, self.concat_expr(), t.pos)
                continue
            if t.is_kw("IS"):
                self.advance()
                neg = bool(self.accept_kw("NOT"))
                self.expect_kw("NULL")
                e = IsNull(e, neg, t.pos)
                continue
            neg = False
            if t.is_kw("NOT") and self.peek().is_kw("IN", "BETWEEN", "LIKE", "RLIKE"):
                self.advance()
                neg = True
                t = self.tok
            if t.is_kw("IN"):
                self.advance()
                self.expect_op("(")
                if self.at_kw("SELECT"):
                    self.fail("line %d:%d IN (subquery) is not supported by this emulator"
                              % (self.tok.pos[0], self.tok.pos[1] - 1))
                items = [self.expr()]
                while self.accept_op(","):
                    items.append(self.expr())
                self.expect_op(")")
                e = InList(e, items, neg, t.pos)
                continue
            if t.is_kw("BETWEEN"):
                self.advance()
                lo = self.concat_expr()
                self.expect_kw("AND")
                hi = self.concat_expr()
                e = Between(e, lo, hi, neg, t.pos)
                continue
            if t.is_kw("LIKE", "RLIKE"):
                self.advance()
                e = Like(e, self.concat_expr(), neg, t.pos, regex=t.val.upper() == "RLIKE")
                continue
            return e

    def concat_expr(self):
        e = self.bitor_expr()
        while self.at_op("||"):
            pos = self.advance().pos
            e = Binary("||", e, self.bitor_expr(), pos)
        return e

    def bitor_expr(self):
        e = self.add_expr()
        while self.at_op("|", "&", "^"):
            t = self.advance()
            e = Binary(t.val, e, self.add_expr(), t.pos)
        return e

    def add_expr(self):
        e = self.mul_expr()
        while self.at_op("+", "-"):
            t = self.advance()
            e = Binary(t.val, e, self.mul_expr(), t.pos)
        return e

    def mul_expr(self):
        e = self.unary_expr()
        while self.at_op("*", "/", "%") or self.at_kw("DIV"):
            t = self.advance()
            e = Binary(t.val.upper(), e, self.unary_expr(), t.pos)
        return e

    def unary_expr(self):
        if self.at_op("-", "+", "~"):
            t = self.advance()
            inner = self.unary_expr()
            if t.val == "+":
                return inner
            if t.val == "-" and isinstance(inner, Lit) and inner.kind in (
                    "int", "long", "tiny", "small", "float", "double", "decimal"):
                return Lit(inner.kind, "-" + inner.value, t.pos)
            return Unary(t.val, inner, t.pos)
        return self.primary()

    def primary(self):
        t = self.tok
        if t.kind == "num":
            self.advance()
            return self.number_literal(t)
        if t.kind == "str":
            self.advance()
            s = t.val
            while self.tok.kind == "str":      # adjacent literals concatenate
                s += self.advance().val
            return Lit("str", s, t.pos)
        if t.kind == "op" and t.val == "(":
            self.advance()
            if self.at_kw("SELECT"):
                self.fail("line %d:%d scalar subqueries are not supported by this emulator"
                          % (self.tok.pos[0], self.tok.pos[1] - 1))
            e = self.expr()
            self.expect_op(")")
            return e
        if t.kind == "qid":
            return self.column_ref()
        if t.kind != "id":
            self.fail()
        up = t.val.upper()
        if up == "NULL":
            self.advance()
            return Lit("null", None, t.pos)
        if up in ("TRUE", "FALSE"):
            self.advance()
            return Lit("bool", up == "TRUE", t.pos)
        if up in ("DATE", "DATETIME", "TIMESTAMP", "TIMESTAMP_NTZ") and self.peek().kind == "str":
            self.advance()
            return Lit(up.lower(), self.advance().val, t.pos)
        if up == "X" and self.peek().kind == "str":
            self.advance()
            return Lit("binary", self.advance().val, t.pos)
        if up == "CAST" and self.peek().kind == "op" and self.peek().val == "(":
            self.advance()
            self.advance()
            e = self.expr()
            self.expect_kw("AS")
            tt = self.type_text()
            self.expect_op(")")
            return Cast(e, tt, t.pos)
        if up == "CASE":
            self.advance()
            operand = None
            if not self.at_kw("WHEN"):
                operand = self.expr()
            whens = []
            while self.accept_kw("WHEN"):
                c = self.expr()
                self.expect_kw("THEN")
                whens.append((c, self.expr()))
            if not whens:
                self.fail()
            else_ = self.expr() if self.accept_kw("ELSE") else None
            self.expect_kw("END")
            return Case(operand, whens, else_, t.pos)
        if self.peek().kind == "op" and self.peek().val == "(" and up not in RESERVED | {"IF"} or (
                up == "IF" and self.peek().kind == "op" and self.peek().val == "("):
            return self.function_call()
        return self.column_ref()

    def column_ref(self):
        t = self.tok
        if t.kind == "id" and t.val.upper() in RESERVED:
            self.fail()
        name = self.ident(allow_reserved=True)
        if self.at_op(".") and self.peek().kind in ("id", "qid"):
            self.advance()
            return Col(name, self.ident(allow_reserved=True), t.pos)
        return Col(None, name, t.pos)

    def function_call(self):
        t = self.advance()
        name = t.val.upper()
        self.expect_op("(")
        args, distinct, star = [], False, False
        if self.at_op("*"):
            self.advance()
            star = True
        elif not self.at_op(")"):
            if self.accept_kw("DISTINCT"):
                distinct = True
            args.append(self.expr())
            while self.accept_op(","):
                args.append(self.expr())
        self.expect_op(")")
        over = None
        if self.accept_kw("OVER"):
            self.expect_op("(")
            part = []
            if self.at_kw("PARTITION"):
                self.advance()
                self.expect_kw("BY")
                part.append(self.expr())
                while self.accept_op(","):
                    part.append(self.expr())
            order = self.order_by() if self.at_kw("ORDER") else []
            if self.at_kw("ROWS", "RANGE"):
                self.fail("line %d:%d window frames are not supported by this emulator"
                          % (self.tok.pos[0], self.tok.pos[1] - 1))
            self.expect_op(")")
            over = Window(part, order)
        return Func(name, args, t.pos, distinct, star, over)

    def number_literal(self, t):
        m = _NUM.fullmatch(t.val)
        body = (m.group(1) + (m.group(2) or ""))
        suffix = (m.group(3) or "").upper()
        if suffix == "BD":
            return Lit("decimal", body, t.pos)
        if suffix == "Y":
            return Lit("tiny", body, t.pos)
        if suffix == "S":
            return Lit("small", body, t.pos)
        if suffix == "L":
            return Lit("long", body, t.pos)
        if suffix == "F":
            return Lit("float", body, t.pos)
        if suffix == "D":
            return Lit("double", body, t.pos)
        if "." in body or "e" in body.lower():
            return Lit("double", body, t.pos)
        return Lit("int", body, t.pos)
