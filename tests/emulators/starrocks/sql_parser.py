"""Recursive-descent parser for the SQL subset the emulated FE understands (specs/starrocks.md
§2). It produces plain dicts; sql_executor.py runs them. Anything outside the subset is a
syntax error reported the way StarRocks' ANTLR parser reports it:
  ERROR 1064 (HY000): Getting syntax error at line L, column C. Detail message:
  Unexpected input 'X', the most similar input is {...}.
"""

from sql_lexer import SqlSyntaxError, tokenize

# StarRocks reserved keywords (docs/en/sql-reference/sql-statements/keywords.md): an unquoted
# reserved word cannot be an identifier.
RESERVED = set("""ADD ALL ALTER ANALYZE AND ARRAY AS ASC BETWEEN BIGINT BITMAP BOTH BY CASE CHAR
CHARACTER CHECK COLLATE COLUMN COMPACTION CONVERT CREATE CROSS CUBE CURRENT_DATE CURRENT_TIME
CURRENT_TIMESTAMP CURRENT_USER CURRENT_ROLE DATABASE DATABASES DECIMAL DECIMALV2 DECIMAL32
DECIMAL64 DECIMAL128 DEFAULT DELETE DENSE_RANK DESC DESCRIBE DISTINCT DOUBLE DROP DUAL DEFERRED
ELSE EXCEPT EXISTS EXPLAIN FALSE FIRST_VALUE FLOAT FOR FORCE FROM FULL FUNCTION GRANT GROUP
GROUPS GROUPING GROUPING_ID HAVING HLL HOST IF IGNORE IN INDEX INFILE INNER INSERT INT INTEGER
INTERSECT INTO IS IMMEDIATE JOIN JSON KEY KEYS KILL LAG LARGEINT LAST_VALUE LATERAL LEAD LEFT
LIKE LIMIT LOAD LOCALTIME LOCALTIMESTAMP MAXVALUE MINUS MOD NTILE NOT NULL ON OR ORDER OUTER
OUTFILE OVER PARTITION PERCENTILE PRIMARY PROCEDURE QUALIFY RANGE RANK READ REGEXP RELEASE
RENAME REPLACE REVOKE RIGHT RLIKE ROW ROWS ROW_NUMBER SCHEMA SCHEMAS SELECT SET SET_VAR SHOW
SMALLINT SYSTEM TABLE TERMINATED TEXT THEN TINYINT TO TRUE UNION UNIQUE UNSIGNED UPDATE USE
USING VALUES VARCHAR WHEN WHERE WITH""".split())

STATEMENT_STARTS = "{'SELECT', 'SET', 'SHOW', 'CREATE', 'DROP', 'ALTER', 'INSERT', 'DELETE', 'UPDATE', 'USE', 'TRUNCATE', '(', ';'}"


def syntax_error(tok, expected):
    shown = tok.value if tok.kind != "STRING" else tok.text
    if tok.kind == "IDENT" and not tok.quoted:
        shown = tok.value.lower() if tok.value.upper() in RESERVED else tok.value
    return SqlSyntaxError("Getting syntax error at line %d, column %d. Detail message: Unexpected input '%s', "
                          "the most similar input is %s." % (tok.line, tok.col, shown, expected),
                          tok.line, tok.col, tok)


class Parser:
    def __init__(self, sql):
        self.toks = tokenize(sql)
        self.i = 0

    # ---------------------------------------------------------------- helpers
    @property
    def tok(self):
        return self.toks[self.i]

    def peek(self, k=1):
        j = min(self.i + k, len(self.toks) - 1)
        return self.toks[j]

    def next(self):
        t = self.toks[self.i]
        if t.kind != "EOF":
            self.i += 1
        return t

    def fail(self, expected):
        raise syntax_error(self.tok, expected)

    def accept_kw(self, *words):
        if self.tok.is_kw(*words):
            return self.next()
        return None

    def expect_kw(self, *words):
        if not self.tok.is_kw(*words):
            self.fail("{%s}" % ", ".join("'%s'" % w for w in words))
        return self.next()

    def accept_op(self, *ops):
        if self.tok.is_op(*ops):
            return self.next()
        return None

    def expect_op(self, op):
        if not self.tok.is_op(op):
            self.fail("{'%s'}" % op)
        return self.next()

    def ident(self):
        t = self.tok
        if t.kind == "IDENT" and (t.quoted or t.value.upper() not in RESERVED):
            self.next()
            return t.value
        self.fail("{a legal identifier}")

    def qualified_name(self):
        """[db.]name -> (db or None, name)"""
        a = self.ident()
        if self.accept_op("."):
            b = self.ident()
            if self.accept_op("."):    # catalog.db.table: default_catalog only
                c = self.ident()
                return b, c
            return a, b
        return None, a

    def ident_list(self):
        self.expect_op("(")
        names = [self.ident()]
        while self.accept_op(","):
            names.append(self.ident())
        self.expect_op(")")
        return names

    def string(self):
        t = self.tok
        if t.kind != "STRING":
            self.fail("{a string literal}")
        self.next()
        return t.value

    def integer(self):
        t = self.tok
        if t.kind != "NUMBER" or not t.value.isdigit():
            self.fail("{INTEGER_VALUE}")
        self.next()
        return int(t.value)

    def end(self):
        self.accept_op(";")
        if self.tok.kind != "EOF":
            self.fail("{<EOF>, ';'}")

    # ---------------------------------------------------------------- expressions
    def expr(self):
        return self._or()

    def _or(self):
        left = self._and()
        while self.tok.is_kw("OR") or self.tok.is_op("||"):
            self.next()
            left = ("or", left, self._and())
        return left

    def _and(self):
        left = self._not()
        while self.tok.is_kw("AND") or self.tok.is_op("&&"):
            self.next()
            left = ("and", left, self._not())
        return left

    def _not(self):
        if self.accept_kw("NOT"):
            return ("not", self._not())
        return self._cmp()

    def _cmp(self):
        left = self._add()
        while True:
            t = self.tok
            if t.is_op("=", "!=", "<>", "<", "<=", ">", ">=", "<=>"):
                self.next()
                left = ("cmp", t.value, left, self._add())
            elif t.is_kw("IS"):
                self.next()
                neg = bool(self.accept_kw("NOT"))
                self.expect_kw("NULL")
                left = ("isnull", left, neg)
            elif t.is_kw("IN") or (t.is_kw("NOT") and self.peek().is_kw("IN")):
                neg = bool(self.accept_kw("NOT"))
                self.next()
                self.expect_op("(")
                items = [self.expr()]
                while self.accept_op(","):
                    items.append(self.expr())
                self.expect_op(")")
                left = ("in", left, items, neg)
            elif t.is_kw("LIKE") or (t.is_kw("NOT") and self.peek().is_kw("LIKE")):
                neg = bool(self.accept_kw("NOT"))
                self.next()
                left = ("like", left, self._add(), neg)
            elif t.is_kw("BETWEEN"):
                self.next()
                lo = self._add()
                self.expect_kw("AND")
                hi = self._add()
                left = ("and", ("cmp", ">=", left, lo), ("cmp", "<=", left, hi))
            else:
                return left

    def _add(self):
        left = self._mul()
        while self.tok.is_op("+", "-"):
            op = self.next().value
            left = ("arith", op, left, self._mul())
        return left

    def _mul(self):
        left = self._unary()
        while self.tok.is_op("*", "/", "%"):
            op = self.next().value
            left = ("arith", op, left, self._unary())
        return left

    def _unary(self):
        if self.tok.is_op("-"):
            self.next()
            e = self._unary()
            if e[0] == "lit" and e[2] == "num":
                return ("lit", "-" + e[1] if not e[1].startswith("-") else e[1][1:], "num")
            return ("arith", "-", ("lit", "0", "num"), e)
        if self.tok.is_op("+"):
            self.next()
            return self._unary()
        return self._primary()

    def _case(self):
        """CASE [operand] WHEN a THEN b ... [ELSE c] END, as ("case", operand, [a, b, ...], else)."""
        self.expect_kw("CASE")
        operand = None if self.tok.is_kw("WHEN") else self.expr()
        arms = []
        while self.accept_kw("WHEN"):
            arms.append(self.expr())
            self.expect_kw("THEN")
            arms.append(self.expr())
        if not arms:
            self.fail("{WHEN}")
        otherwise = self.expr() if self.accept_kw("ELSE") else ("lit", None, "null")
        self.expect_kw("END")
        return ("case", operand, arms, otherwise)

    def _cast(self):
        """CAST(expr AS type[(n[, m])]), as ("cast", expr, type name, [args])."""
        self.expect_kw("CAST")
        self.expect_op("(")
        e = self.expr()
        self.expect_kw("AS")
        type_name = self.tok
        if type_name.kind != "IDENT":
            self.fail("{a legal identifier}")
        self.next()
        args = []
        if self.accept_op("("):
            args.append(self.integer())
            while self.accept_op(","):
                args.append(self.integer())
            self.expect_op(")")
        self.expect_op(")")
        return ("cast", e, type_name.value.upper(), args)

    def _primary(self):
        t = self.tok
        if t.kind == "NUMBER":
            self.next()
            return ("lit", t.value, "num")
        if t.kind == "STRING":
            self.next()
            return ("lit", t.value, "str")
        if t.is_op("("):
            self.next()
            e = self.expr()
            self.expect_op(")")
            return e
        if t.is_op("@@"):
            self.next()
            name = self.ident_or_kw()
            if self.accept_op("."):
                name = self.ident_or_kw()
            return ("var", name.lower())
        if t.is_kw("NULL"):
            self.next()
            return ("lit", None, "null")
        if t.is_kw("TRUE", "FALSE"):
            self.next()
            return ("lit", t.value.upper() == "TRUE", "bool")
        if t.is_kw("CURRENT_TIMESTAMP", "CURRENT_USER", "CURRENT_DATE", "LOCALTIME", "LOCALTIMESTAMP"):
            self.next()
            if self.accept_op("("):
                self.expect_op(")")
            return ("func", t.value.lower(), [])
        if t.is_kw("CASE"):
            return self._case()
        if t.is_kw("CAST") and self.peek().is_op("("):
            return self._cast()
        if t.is_kw("INTERVAL"):
            self.next()
            n = self.expr()
            unit = self.ident_or_kw().upper()
            return ("interval", n, unit)
        if t.kind == "IDENT":
            if not t.quoted and self.peek().is_op("("):
                name = t.value.lower()
                self.next()
                self.next()
                args = []
                if name == "count" and self.accept_op("*"):
                    args = [("star",)]
                elif not self.tok.is_op(")"):
                    args.append(self.expr())
                    while self.accept_op(","):
                        args.append(self.expr())
                self.expect_op(")")
                return ("func", name, args)
            name = self.ident()
            if self.accept_op("."):
                if self.accept_op("*"):
                    return ("star", name)
                name2 = self.ident()
                return ("col", name2, name)
            return ("col", name, None)
        self.fail("{a legal identifier}")

    def ident_or_kw(self):
        t = self.tok
        if t.kind == "IDENT":
            self.next()
            return t.value
        self.fail("{a legal identifier}")

    # ---------------------------------------------------------------- statements
    def statement(self):
        t = self.tok
        if t.kind == "EOF":
            raise SqlSyntaxError("Getting syntax error at line 1, column 0. Detail message: Unexpected input '<EOF>', "
                                 "the most similar input is %s." % STATEMENT_STARTS, 1, 0, t)
        if t.is_kw("SELECT") or t.is_op("("):
            s = self.select()
        elif t.is_kw("SHOW"):
            s = self.show()
        elif t.is_kw("CREATE"):
            s = self.create()
        elif t.is_kw("DROP"):
            s = self.drop()
        elif t.is_kw("ALTER"):
            s = self.alter()
        elif t.is_kw("USE"):
            self.next()
            db = self.ident()
            if self.accept_op("."):
                db = self.ident()
            s = {"kind": "use", "db": db}
        elif t.is_kw("TRUNCATE"):
            self.next()
            self.expect_kw("TABLE")
            db, name = self.qualified_name()
            s = {"kind": "truncate", "db": db, "table": name}
        elif t.is_kw("INSERT"):
            s = self.insert()
        elif t.is_kw("DELETE"):
            s = self.delete()
        elif t.is_kw("UPDATE"):
            s = self.update()
        elif t.is_kw("SET"):
            s = self.set_stmt()
        elif t.is_kw("DESC", "DESCRIBE"):
            self.next()
            db, name = self.qualified_name()
            s = {"kind": "describe", "db": db, "table": name}
        elif t.is_kw("BEGIN", "COMMIT", "ROLLBACK"):
            self.next()
            self.accept_kw("WORK")
            s = {"kind": "txn_stmt", "what": t.value.upper()}
        elif t.is_kw("ADMIN"):
            s = self.admin()
        else:
            self.fail(STATEMENT_STARTS)
        self.end()
        return s

    def set_stmt(self):
        self.expect_kw("SET")
        items = []
        if self.tok.is_kw("NAMES"):
            self.next()
            cs = self.tok.value
            self.next()
            if self.accept_kw("COLLATE"):
                self.next()
            return {"kind": "set", "items": [("names", cs)]}
        while True:
            self.accept_kw("SESSION", "GLOBAL", "LOCAL")
            if self.accept_op("@@"):
                if self.tok.is_kw("SESSION", "GLOBAL", "LOCAL") and self.peek().is_op("."):
                    self.next()
                    self.next()
            elif self.accept_op("@"):
                pass
            name = self.ident_or_kw()
            if not (self.accept_op("=") or self.accept_op(":=")):
                self.fail("{'='}")
            if self.tok.is_kw("DEFAULT", "ON", "OFF") or (self.tok.kind == "IDENT" and not self.peek().is_op("(")):
                val = ("lit", self.next().value, "str")
            else:
                val = self.expr()
            items.append((name.lower(), val))
            if not self.accept_op(","):
                break
        return {"kind": "set", "items": items}

    def admin(self):
        self.expect_kw("ADMIN")
        self.expect_kw("SET")
        self.expect_kw("FRONTEND")
        self.expect_kw("CONFIG")
        self.expect_op("(")
        k = self.string()
        self.expect_op("=")
        v = self.string()
        self.expect_op(")")
        return {"kind": "admin_set_config", "key": k, "value": v}

    # SELECT ------------------------------------------------------------------
    def select(self):
        if self.accept_op("("):
            s = self.select()
            self.expect_op(")")
            return s
        self.expect_kw("SELECT")
        self.accept_kw("ALL")
        distinct = bool(self.accept_kw("DISTINCT"))
        items = []
        while True:
            if self.accept_op("*"):
                items.append((("star", None), None))
            else:
                e = self.expr()
                alias = None
                if self.accept_kw("AS"):
                    alias = self.ident() if self.tok.kind == "IDENT" else self.string()
                elif self.tok.kind == "IDENT" and not self.tok.is_kw("FROM", "WHERE", "ORDER", "LIMIT", "GROUP") \
                        and (self.tok.quoted or self.tok.value.upper() not in RESERVED):
                    alias = self.ident()
                elif self.tok.kind == "STRING":
                    alias = self.string()
                items.append((e, alias))
            if not self.accept_op(","):
                break
        s = {"kind": "select", "items": items, "distinct": distinct, "from": None, "where": None,
             "order": [], "limit": None, "offset": 0}
        if self.accept_kw("FROM"):
            db, name = self.qualified_name()
            s["from"] = (db, name)
            if self.accept_kw("AS") or (self.tok.kind == "IDENT" and not self.tok.is_kw("WHERE", "ORDER", "LIMIT", "GROUP")
                                         and not self.tok.value.upper() in RESERVED):
                s["alias"] = self.ident()
        if self.accept_kw("WHERE"):
            s["where"] = self.expr()
        if self.tok.is_kw("GROUP"):
            self.fail("{<EOF>, ';'}")
        if self.accept_kw("ORDER"):
            self.expect_kw("BY")
            s["order"] = self.order_list()
        if self.accept_kw("LIMIT"):
            a = self.integer()
            if self.accept_op(","):
                s["offset"], s["limit"] = a, self.integer()
            else:
                s["limit"] = a
                if self.accept_kw("OFFSET"):
                    s["offset"] = self.integer()
        return s

    def order_list(self):
        out = []
        while True:
            e = self.expr()
            desc = False
            if self.accept_kw("DESC"):
                desc = True
            else:
                self.accept_kw("ASC")
            out.append((e, desc))
            if not self.accept_op(","):
                return out

    # SHOW --------------------------------------------------------------------
    def show(self):
        self.expect_kw("SHOW")
        full = bool(self.accept_kw("FULL"))
        t = self.tok
        if t.is_kw("DATABASES", "SCHEMAS"):
            self.next()
            return {"kind": "show_databases", "like": self._like()}
        if t.is_kw("TABLES"):
            self.next()
            db = None
            if self.accept_kw("FROM", "IN"):
                db = self.ident()
            return {"kind": "show_tables", "db": db, "full": full, "like": self._like()}
        if t.is_kw("BACKENDS"):
            self.next()
            return {"kind": "show_backends"}
        if t.is_kw("GRANTS"):
            self.next()
            if self.accept_kw("FOR"):
                if self.tok.is_kw("CURRENT_USER"):
                    self.next()
                    if self.accept_op("("):
                        self.expect_op(")")
                else:
                    if self.tok.kind == "STRING":
                        self.next()
                    else:
                        self.ident()
                    if self.accept_op("@"):
                        if self.tok.kind == "STRING":
                            self.next()
                        else:
                            self.ident()
            return {"kind": "show_grants"}
        if t.is_kw("CREATE"):
            self.next()
            self.expect_kw("TABLE")
            db, name = self.qualified_name()
            return {"kind": "show_create_table", "db": db, "table": name}
        if t.is_kw("ALTER"):
            self.next()
            self.expect_kw("TABLE")
            self.expect_kw("COLUMN")
            s = {"kind": "show_alter", "db": None, "where": None, "order": [], "limit": None, "offset": 0}
            if self.accept_kw("FROM", "IN"):
                s["db"] = self.ident()
            if self.accept_kw("WHERE"):
                s["where"] = self.expr()
            if self.accept_kw("ORDER"):
                self.expect_kw("BY")
                s["order"] = self.order_list()
            if self.accept_kw("LIMIT"):
                s["limit"] = self.integer()
            return s
        if t.is_kw("VARIABLES"):
            self.next()
            return {"kind": "show_variables", "like": self._like()}
        if t.is_kw("PARTITIONS"):
            self.next()
            self.expect_kw("FROM")
            db, name = self.qualified_name()
            return {"kind": "show_partitions", "db": db, "table": name}
        if t.is_kw("COLUMNS", "FIELDS"):
            self.next()
            self.expect_kw("FROM", "IN")
            db, name = self.qualified_name()
            if self.accept_kw("FROM", "IN"):
                db = self.ident()
            return {"kind": "describe", "db": db, "table": name}
        self.fail("{'DATABASES', 'TABLES', 'BACKENDS', 'GRANTS', 'CREATE', 'ALTER', 'VARIABLES', 'PARTITIONS', 'COLUMNS'}")

    def _like(self):
        if self.accept_kw("LIKE"):
            return self.string()
        return None

    # CREATE ------------------------------------------------------------------
    def create(self):
        self.expect_kw("CREATE")
        if self.accept_kw("DATABASE", "SCHEMA"):
            ine = self._if_not_exists()
            db = self.ident()
            if self.accept_op("."):
                db = self.ident()
            props = self.properties() if self.tok.is_kw("PROPERTIES") else {}
            return {"kind": "create_database", "db": db, "if_not_exists": ine, "properties": props}
        if self.tok.is_kw("EXTERNAL", "TEMPORARY"):
            self.fail("{'TABLE', 'DATABASE'}")
        self.expect_kw("TABLE")
        return self.create_table()

    def _if_not_exists(self):
        if self.accept_kw("IF"):
            self.expect_kw("NOT")
            self.expect_kw("EXISTS")
            return True
        return False

    def _if_exists(self):
        if self.accept_kw("IF"):
            self.expect_kw("EXISTS")
            return True
        return False

    def column_def(self):
        name_tok = self.tok
        name = self.ident()
        type_name = self.tok
        if type_name.kind != "IDENT":
            self.fail("{a legal identifier}")
        self.next()
        tname = type_name.value.upper()
        args = []
        if tname in ("ARRAY", "MAP", "STRUCT", "BITMAP", "HLL", "PERCENTILE"):
            raise SqlSyntaxError("EMULATOR_UNSUPPORTED:type %s is not emulated" % tname)
        if self.accept_op("("):
            args.append(self.integer())
            while self.accept_op(","):
                args.append(self.integer())
            self.expect_op(")")
        # StarRocks has no UNSIGNED/SIGNED: UNSIGNED is a reserved word and fails below
        col = {"name": name, "type_name": tname, "type_args": args, "nullable": None, "default": None,
               "comment": "", "is_key": False, "auto_increment": False, "line": name_tok.line,
               "col": name_tok.col}
        if self.accept_kw("CHARSET"):
            self.ident_or_kw()
        if self.accept_kw("KEY"):
            col["is_key"] = True
        if self.tok.is_kw("SUM", "MIN", "MAX", "REPLACE", "REPLACE_IF_NOT_NULL", "HLL_UNION", "BITMAP_UNION"):
            col["agg"] = self.next().value.upper()
        while True:
            if self.tok.is_kw("NOT") and self.peek().is_kw("NULL"):
                self.next()
                self.next()
                col["nullable"] = False
            elif self.accept_kw("NULL"):
                col["nullable"] = True
            elif self.accept_kw("AUTO_INCREMENT"):
                col["auto_increment"] = True
            elif self.accept_kw("DEFAULT"):
                t = self.tok
                if t.kind == "STRING":
                    self.next()
                    col["default"] = t.value
                elif t.kind == "NUMBER" or t.is_op("-"):
                    e = self._unary()
                    col["default"] = e[1]
                elif t.is_kw("NULL"):
                    self.next()
                    col["default"] = None
                    col["default_null"] = True
                elif t.is_kw("CURRENT_TIMESTAMP"):
                    self.next()
                    if self.accept_op("("):
                        self.expect_op(")")
                    col["default"] = {"expr": "CURRENT_TIMESTAMP"}
                elif t.is_kw("TRUE", "FALSE"):
                    self.next()
                    col["default"] = t.value.lower()
                else:
                    self.fail("{a string literal, NUMBER, 'NULL', 'CURRENT_TIMESTAMP'}")
            elif self.accept_kw("COMMENT"):
                col["comment"] = self.string()
            else:
                break
        return col

    def properties(self):
        self.expect_kw("PROPERTIES")
        self.expect_op("(")
        props = {}
        if self.accept_op(")"):
            return props
        while True:
            k = self.string()
            self.expect_op("=")
            v = self.string()
            props[k] = v
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return props

    def literal_value(self):
        t = self.tok
        if t.kind == "STRING":
            self.next()
            return t.value
        if t.kind == "NUMBER" or t.is_op("-"):
            e = self._unary()
            return e[1]
        if t.is_kw("MAXVALUE"):
            self.next()
            return {"max": True}
        self.fail("{a string literal, NUMBER}")

    def value_tuple(self):
        self.expect_op("(")
        vals = [self.literal_value()]
        while self.accept_op(","):
            vals.append(self.literal_value())
        self.expect_op(")")
        return vals

    def partition_desc(self):
        """PARTITION BY RANGE(...)(...), LIST(...)(...), or expression partitioning (§2.3)."""
        self.expect_kw("PARTITION")
        self.expect_kw("BY")
        if self.tok.is_kw("RANGE") or self.tok.is_kw("LIST"):
            ptype = self.next().value.upper()
            cols = self.ident_list()
            self.expect_op("(")
            parts = []
            if not self.tok.is_op(")"):
                while True:
                    if self.tok.is_kw("START"):
                        self.next()
                        start = self.value_tuple()
                        self.expect_kw("END")
                        end = self.value_tuple()
                        self.expect_kw("EVERY")
                        self.expect_op("(")
                        ev = self.expr()
                        self.expect_op(")")
                        parts.append({"batch": True, "start": start[0], "end": end[0], "every": ev})
                    else:
                        self.expect_kw("PARTITION")
                        self._if_not_exists()
                        pname = self.ident()
                        self.expect_kw("VALUES")
                        if ptype == "LIST":
                            self.expect_kw("IN")
                            self.expect_op("(")
                            vals = []
                            while True:
                                if self.tok.is_op("("):
                                    vals.append(self.value_tuple())
                                else:
                                    vals.append([self.literal_value()])
                                if not self.accept_op(","):
                                    break
                            self.expect_op(")")
                            parts.append({"name": pname, "in": vals})
                        elif self.accept_kw("LESS"):
                            self.expect_kw("THAN")
                            if self.accept_kw("MAXVALUE"):
                                parts.append({"name": pname, "less": [{"max": True}]})
                            else:
                                parts.append({"name": pname, "less": self.value_tuple()})
                        else:
                            self.expect_op("[")
                            lo = self.value_tuple()
                            self.expect_op(",")
                            hi = self.value_tuple()
                            self.expect_op(")")
                            parts.append({"name": pname, "lower": lo, "upper": hi})
                        if self.tok.is_kw("PROPERTIES"):
                            self.properties()
                    if not self.accept_op(","):
                        break
            self.expect_op(")")
            return {"type": ptype, "cols": cols, "parts": parts}
        # expression partitioning: date_trunc('day', col) | time_slice(col, interval) | col[, col]
        if self.accept_op("("):
            cols = [self.ident()]
            while self.accept_op(","):
                cols.append(self.ident())
            self.expect_op(")")
            return {"type": "EXPR", "cols": cols, "expr": None}
        e = self.expr()
        if e[0] == "func":
            cols = [a[1] for a in e[2] if a[0] == "col"]
            if not cols:
                self.fail("{a legal identifier}")
            return {"type": "EXPR", "cols": cols, "expr": e}
        if e[0] == "col":
            cols = [e[1]]
            while self.accept_op(","):
                cols.append(self.ident())
            return {"type": "EXPR", "cols": cols, "expr": None}
        self.fail("{'RANGE', 'LIST', a legal identifier}")

    def create_table(self):
        ine = self._if_not_exists()
        db, name = self.qualified_name()
        s = {"kind": "create_table", "db": db, "table": name, "if_not_exists": ine, "columns": [],
             "keys_type": None, "keys": [], "comment": "", "partition": None, "distribution": None,
             "order_by": [], "properties": {}, "engine": None}
        if self.tok.is_kw("AS") or self.tok.is_kw("LIKE"):
            raise SqlSyntaxError("EMULATOR_UNSUPPORTED:CREATE TABLE AS/LIKE is not emulated")
        self.expect_op("(")
        while True:
            if self.tok.is_kw("INDEX"):
                self.next()
                self.ident()
                self.ident_list()
                if self.accept_kw("USING"):
                    self.ident_or_kw()
                if self.accept_kw("COMMENT"):
                    self.string()
            else:
                s["columns"].append(self.column_def())
            if not self.accept_op(","):
                break
        self.expect_op(")")
        if self.accept_kw("ENGINE"):
            self.expect_op("=")
            s["engine"] = self.ident_or_kw()
        if self.tok.is_kw("PRIMARY", "DUPLICATE", "UNIQUE", "AGGREGATE"):
            s["keys_type"] = self.next().value.upper()
            self.expect_kw("KEY")
            s["keys"] = self.ident_list()
        if self.accept_kw("COMMENT"):
            s["comment"] = self.string()
        if self.tok.is_kw("PARTITION"):
            s["partition"] = self.partition_desc()
        if self.accept_kw("DISTRIBUTED"):
            self.expect_kw("BY")
            if self.accept_kw("HASH"):
                s["distribution"] = {"type": "HASH", "cols": self.ident_list(), "buckets": None}
            else:
                self.expect_kw("RANDOM")
                s["distribution"] = {"type": "RANDOM", "cols": [], "buckets": None}
            if self.accept_kw("BUCKETS"):
                s["distribution"]["buckets"] = self.integer()
        if self.accept_kw("ORDER"):
            self.expect_kw("BY")
            s["order_by"] = self.ident_list()
        if self.tok.is_kw("PROPERTIES"):
            s["properties"] = self.properties()
        return s

    # DROP --------------------------------------------------------------------
    def drop(self):
        self.expect_kw("DROP")
        if self.accept_kw("DATABASE", "SCHEMA"):
            ie = self._if_exists()
            db = self.ident()
            force = bool(self.accept_kw("FORCE"))
            return {"kind": "drop_database", "db": db, "if_exists": ie, "force": force}
        self.expect_kw("TABLE")
        ie = self._if_exists()
        db, name = self.qualified_name()
        force = bool(self.accept_kw("FORCE"))
        return {"kind": "drop_table", "db": db, "table": name, "if_exists": ie, "force": force}

    # ALTER -------------------------------------------------------------------
    def alter(self):
        self.expect_kw("ALTER")
        self.expect_kw("TABLE")
        db, name = self.qualified_name()
        clauses = []
        props = {}
        while True:
            if self.tok.is_kw("PROPERTIES"):
                props = self.properties()
                break
            clauses.append(self.alter_clause())
            if not self.accept_op(","):
                break
        if self.tok.is_kw("PROPERTIES"):
            props = self.properties()
        return {"kind": "alter_table", "db": db, "table": name, "clauses": clauses, "properties": props}

    def _position(self):
        if self.accept_kw("AFTER"):
            return ("after", self.ident())
        if self.accept_kw("FIRST"):
            return ("first", None)
        return None

    def alter_clause(self):
        t = self.tok
        if t.is_kw("ADD"):
            self.next()
            self.expect_kw("COLUMN")
            if self.accept_op("("):
                cols = [self.column_def()]
                while self.accept_op(","):
                    cols.append(self.column_def())
                self.expect_op(")")
                self._to_rollup()
                return {"op": "add", "columns": cols, "position": None}
            col = self.column_def()
            pos = self._position()
            self._to_rollup()
            return {"op": "add", "columns": [col], "position": pos}
        if t.is_kw("DROP"):
            self.next()
            self.expect_kw("COLUMN")
            c = self.ident()
            self._to_rollup()
            return {"op": "drop", "column": c}
        if t.is_kw("MODIFY"):
            self.next()
            if self.tok.is_kw("COMMENT"):
                self.fail("{'COLUMN'}")
            self.expect_kw("COLUMN")
            col = self.column_def()
            pos = self._position()
            self._to_rollup()
            return {"op": "modify", "column": col, "position": pos}
        if t.is_kw("RENAME"):
            self.next()
            if self.accept_kw("COLUMN"):
                old = self.ident()
                self.expect_kw("TO")
                new = self.ident()
                return {"op": "rename_column", "old": old, "new": new}
            return {"op": "rename", "new": self.ident()}
        if t.is_kw("COMMENT"):
            self.next()
            self.expect_op("=")
            return {"op": "comment", "comment": self.string()}
        if t.is_kw("SET"):
            self.next()
            self.expect_op("(")
            props = {}
            while True:
                k = self.string()
                self.expect_op("=")
                props[k] = self.string()
                if not self.accept_op(","):
                    break
            self.expect_op(")")
            return {"op": "set", "properties": props}
        if t.is_kw("ORDER"):
            self.next()
            self.expect_kw("BY")
            return {"op": "order_by", "columns": self.ident_list()}
        self.fail("{'ADD', 'DROP', 'MODIFY', 'RENAME', 'COMMENT', 'SET', 'ORDER'}")

    def _to_rollup(self):
        if self.accept_kw("TO", "IN"):
            self.ident()

    # DML ---------------------------------------------------------------------
    def insert(self):
        self.expect_kw("INSERT")
        overwrite = False
        if self.accept_kw("OVERWRITE"):
            overwrite = True
            self.accept_kw("TABLE")
        else:
            self.expect_kw("INTO")
            self.accept_kw("TABLE")
        db, name = self.qualified_name()
        label = None
        cols = None
        if self.accept_kw("WITH"):
            self.expect_kw("LABEL")
            label = self.ident()
        if self.tok.is_op("("):
            cols = self.ident_list()
        if self.tok.is_kw("SELECT"):
            raise SqlSyntaxError("EMULATOR_UNSUPPORTED:INSERT ... SELECT is not emulated")
        self.expect_kw("VALUES", "VALUE")
        rows = []
        while True:
            self.expect_op("(")
            vals = []
            if not self.tok.is_op(")"):
                vals.append(self.expr())
                while self.accept_op(","):
                    vals.append(self.expr())
            self.expect_op(")")
            rows.append(vals)
            if not self.accept_op(","):
                break
        return {"kind": "insert", "db": db, "table": name, "columns": cols, "rows": rows,
                "label": label, "overwrite": overwrite}

    def update(self):
        # UPDATE [db.]t SET col = expr [, ...] [WHERE expr]: Primary Key
        # tables only (docs sql-statements/table_bucket_part_index/UPDATE.md).
        self.expect_kw("UPDATE")
        db, name = self.qualified_name()
        self.expect_kw("SET")
        assignments = []
        while True:
            col = self.ident()
            self.expect_op("=")
            assignments.append((col, self.expr()))
            if not self.accept_op(","):
                break
        where = None
        if self.accept_kw("WHERE"):
            where = self.expr()
        return {"kind": "update", "db": db, "table": name, "set": assignments, "where": where}

    def delete(self):
        self.expect_kw("DELETE")
        self.expect_kw("FROM")
        db, name = self.qualified_name()
        where = None
        if self.accept_kw("WHERE"):
            where = self.expr()
        return {"kind": "delete", "db": db, "table": name, "where": where}


def parse(sql):
    return Parser(sql).statement()


def parse_expr(text):
    p = Parser(text)
    e = p.expr()
    if p.tok.kind != "EOF":
        p.fail("{<EOF>}")
    return e


def parse_columns_header(text):
    """Stream Load `columns` header: comma list of `name` or `name = expr` (§1.6)."""
    p = Parser(text)
    out = []
    while True:
        t = p.tok
        if t.kind != "IDENT":
            p.fail("{a legal identifier}")
        p.next()
        name = t.value
        if p.accept_op("="):
            out.append((name, p.expr()))
        else:
            out.append((name, None))
        if not p.accept_op(","):
            break
    if p.tok.kind != "EOF":
        p.fail("{<EOF>}")
    return out
