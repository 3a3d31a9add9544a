"""SQL tokenizer shared by the MySQL-port SQL subset and the Stream Load `columns` / `where`
headers. Handles backquoted identifiers, '...' and "..." string literals with backslash
escapes and doubled quotes, numbers, -- / # / /* */ comments. Token positions are kept so
syntax errors can be reported the StarRocks way ("Getting syntax error at line L, column C").
"""


class SqlSyntaxError(Exception):
    def __init__(self, msg, line=1, col=0, token=None):
        Exception.__init__(self, msg)
        self.line = line
        self.col = col
        self.token = token


class Token:
    __slots__ = ("kind", "value", "quoted", "line", "col", "text")

    def __init__(self, kind, value, line, col, quoted=False, text=None):
        self.kind = kind      # IDENT | STRING | NUMBER | OP | EOF
        self.value = value
        self.quoted = quoted  # IDENT from `...`
        self.line = line
        self.col = col
        self.text = text if text is not None else value

    def is_kw(self, *words):
        return self.kind == "IDENT" and not self.quoted and self.value.upper() in words

    def is_op(self, *ops):
        return self.kind == "OP" and self.value in ops

    def __repr__(self):
        return "Token(%s,%r)" % (self.kind, self.value)


_ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "Z": "\x1a", "\\": "\\",
        "'": "'", '"': '"', "%": "\\%", "_": "\\_"}

_OPS3 = ("<=>",)
_OPS2 = ("<=", ">=", "<>", "!=", "||", "&&", ":=")
_OPS1 = "(),;.=<>+-*/%!~@?[]{}:|&^"


def tokenize(sql):
    toks = []
    i, n = 0, len(sql)
    line, line_start = 1, 0

    def pos():
        return line, i - line_start

    while i < n:
        c = sql[i]
        if c == "\n":
            line += 1
            i += 1
            line_start = i
            continue
        if c.isspace():
            i += 1
            continue
        if c == "#" or (c == "-" and sql.startswith("--", i) and (i + 2 >= n or sql[i + 2] in " \t\n\r")):
            while i < n and sql[i] != "\n":
                i += 1
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            if j < 0:
                l, cc = pos()
                raise SqlSyntaxError("Unterminated comment", l, cc)
            line += sql.count("\n", i, j)
            i = j + 2
            continue
        l, cc = pos()
        if c == "`":
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise SqlSyntaxError("Unterminated identifier", l, cc)
                if sql[j] == "`":
                    if j + 1 < n and sql[j + 1] == "`":
                        buf.append("`")
                        j += 2
                        continue
                    break
                buf.append(sql[j])
                j += 1
            toks.append(Token("IDENT", "".join(buf), l, cc, quoted=True, text=sql[i:j + 1]))
            i = j + 1
            continue
        if c in ("'", '"'):
            q = c
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise SqlSyntaxError("Unterminated string literal", l, cc)
                ch = sql[j]
                if ch == "\\" and j + 1 < n:
                    buf.append(_ESC.get(sql[j + 1], sql[j + 1]))
                    j += 2
                    continue
                if ch == q:
                    if j + 1 < n and sql[j + 1] == q:
                        buf.append(q)
                        j += 2
                        continue
                    break
                if ch == "\n":
                    line += 1
                    line_start = j + 1
                buf.append(ch)
                j += 1
            toks.append(Token("STRING", "".join(buf), l, cc, text=sql[i:j + 1]))
            i = j + 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and sql[i + 1].isdigit()):
            j = i
            while j < n and sql[j].isdigit():
                j += 1
            if j < n and sql[j] == ".":
                j += 1
                while j < n and sql[j].isdigit():
                    j += 1
            if j < n and sql[j] in "eE" and j + 1 < n and (sql[j + 1].isdigit() or (sql[j + 1] in "+-" and j + 2 < n and sql[j + 2].isdigit())):
                j += 2
                while j < n and sql[j].isdigit():
                    j += 1
            if j < n and (sql[j].isalpha() or sql[j] == "_"):
                # identifiers may start with digits (e.g. 1abc)
                while j < n and (sql[j].isalnum() or sql[j] == "_"):
                    j += 1
                toks.append(Token("IDENT", sql[i:j], l, cc))
            else:
                toks.append(Token("NUMBER", sql[i:j], l, cc))
            i = j
            continue
        if c.isalpha() or c == "_" or ord(c) > 127 or c == "$":
            j = i
            while j < n and (sql[j].isalnum() or sql[j] in "_$" or ord(sql[j]) > 127):
                j += 1
            toks.append(Token("IDENT", sql[i:j], l, cc))
            i = j
            continue
        if sql.startswith("@@", i):
            toks.append(Token("OP", "@@", l, cc))
            i += 2
            continue
        for op in _OPS3 + _OPS2:
            if sql.startswith(op, i):
                toks.append(Token("OP", op, l, cc))
                i += len(op)
                break
        else:
            if c in _OPS1:
                toks.append(Token("OP", c, l, cc))
                i += 1
            else:
                raise SqlSyntaxError("Unexpected character '%s'" % c, l, cc)
    l, cc = pos()
    toks.append(Token("EOF", "<EOF>", l, cc))
    return toks
