"""Executes the SQL subset against the catalog (spec maxcompute.md 2, 5).

One SQL task = optional ``SET k=v;`` lines + exactly one statement.  The
statement either fails with an ``ODPS-01xxxxx`` text (the task's result,
spec 2.2) or applies atomically: new row lists are computed first and
swapped in only when the whole statement succeeded, then the project file
is rewritten (catalog.py) together with the instance id as an applied
transaction.

Type-system editions (spec 5.2 and section 6 #12): with
``odps.sql.type.system.odps2`` false (project default of a 1.0 project),
TINYINT/SMALLINT/FLOAT/VARCHAR/CHAR/DATE/TIMESTAMP/BINARY/JSON are refused
and INT silently becomes BIGINT; DECIMAL(p,s) needs
``odps.sql.decimal.odps2``.
"""

import datetime as _dt
import decimal
import functools
import math
import re
import time

import catalog as cat
import datatypes as dt
import sql_values as sv
from sql_parser import (Between, Binary, Case, Cast, Col, CreateTable, Delete, DropTable,
                        Func, FromQuery, FromTable, FromValues, InList, Insert, IsNull, Join,
                        Like, Lit, Merge, Parser, QueryStmt, Select, SetOp, SqlError, Star,
                        AlterTable, Truncate, Unary, Update)

VOID = dt.DataType("void")
BOOL = dt.DataType("boolean")
BIGINT = dt.DataType("bigint")
INT = dt.DataType("int")
DOUBLE = dt.DataType("double")
STRING = dt.DataType("string")
DEC_DEFAULT = dt.DataType("decimal", precision=38, scale=18)

MAX_NAME_BYTES = 128
MAX_COLUMNS = 1200
MAX_PARTITION_LEVELS = 6
MAX_COMMENT_BYTES = 1024
MAX_SQL_BYTES = 2 * 1024 * 1024
MAX_IN_LIST = 1024
MAX_SELECT_ROWS = 10000
_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_COLUMN_NAME = re.compile(r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*$")


def semantic(pos, detail):
    return SqlError("ODPS-0130071:[%d,%d] Semantic analysis exception - %s" % (pos[0], pos[1], detail))


def runtime(detail):
    return SqlError("ODPS-0121095:Invalid argument - %s" % detail)


def no_table(pos, project, table):
    return SqlError("ODPS-0130131:[%d,%d] Table not found - table %s.%s cannot be resolved"
                    % (pos[0], pos[1], project, table))


def bad_cast(pos, detail):
    return SqlError("ODPS-0130141:[%d,%d] Illegal implicit type cast - %s" % (pos[0], pos[1], detail))


# ---------------------------------------------------------------------------
# session settings

class Settings:
    def __init__(self, project, settings):
        s = {k.strip(): str(v).strip() for k, v in (settings or {}).items()}
        default2 = "true" if project.type_system == "2" else "false"
        self.raw = s
        self.odps2 = s.get("odps.sql.type.system.odps2", default2).lower() == "true"
        self.decimal2 = s.get("odps.sql.decimal.odps2", default2).lower() == "true"
        self.hive = s.get("odps.sql.hive.compatible", "false").lower() == "true"
        self.extended_scale = s.get("odps.sql.decimal2.extended.scale.enable", "false").lower() == "true"
        self.orderby_limit = s.get("odps.sql.validate.orderby.limit", "true").lower() == "true"
        self.tz_name = s.get("odps.sql.timezone", project_timezone(project))
        try:
            self.tz = sv.get_timezone(self.tz_name)
        except sv.ConversionError:
            raise SqlError("ODPS-0130071:[0,0] Semantic analysis exception - invalid time zone %s"
                           % self.tz_name)


_PROJECT_TZ = {}


def project_timezone(project):
    return _PROJECT_TZ.get(project.name, "UTC")


def set_project_timezone(name, tz):
    _PROJECT_TZ[name] = tz


# ---------------------------------------------------------------------------
# relations and scopes

class ColInfo:
    __slots__ = ("qual", "name", "type")

    def __init__(self, qual, name, type_):
        self.qual, self.name, self.type = qual, name, type_


class Relation:
    def __init__(self, cols, rows):
        self.cols = cols
        self.rows = rows


class Scope:
    def __init__(self, cols):
        self.cols = cols

    def resolve(self, qual, name, pos):
        lname = name.lower()
        lqual = qual.lower() if qual else None
        hits = [i for i, c in enumerate(self.cols)
                if c.name.lower() == lname and (lqual is None or (c.qual or "").lower() == lqual)]
        if not hits:
            shown = "%s.%s" % (qual, name) if qual else name
            raise semantic(pos, "column %s cannot be resolved" % shown)
        if len(hits) > 1:
            raise semantic(pos, "column %s is ambiguous" % name)
        return hits[0]


# ---------------------------------------------------------------------------
# expression compiler

NUM_RANK = {"tinyint": 1, "smallint": 2, "int": 3, "bigint": 4, "decimal": 5, "float": 6, "double": 7}
AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG"}
WINDOW_ONLY = {"ROW_NUMBER", "RANK", "DENSE_RANK"}


def _wrap_int(n, t):
    bits = {"tinyint": 8, "smallint": 16, "int": 32, "bigint": 64}[t.kind]
    n &= (1 << bits) - 1
    if n >> (bits - 1):
        n -= 1 << bits
    return n


def numeric_common(a, b):
    if a.kind == "void":
        return b
    if b.kind == "void":
        return a
    ra = NUM_RANK.get(a.kind, 7)
    rb = NUM_RANK.get(b.kind, 7)
    if a.kind in ("string", "varchar", "char") or b.kind in ("string", "varchar", "char"):
        return DOUBLE
    if max(ra, rb) == 5:
        return DEC_DEFAULT if (a.kind != "decimal" or b.kind != "decimal") else (
            a if (a.precision or 54) >= (b.precision or 54) else b)
    return a if ra >= rb else b


def compare_type(a, b, pos):
    """The type both sides are converted to before comparing."""
    if a.kind == "void":
        return b
    if b.kind == "void":
        return a
    if a.is_numeric and b.is_numeric:
        return numeric_common(a, b)
    ta, tb = a.kind, b.kind
    text = ("string", "varchar", "char")
    if ta in text and tb in text:
        return STRING
    if a.is_numeric and tb in text or b.is_numeric and ta in text:
        return DOUBLE
    temporal = ("date", "datetime", "timestamp", "timestamp_ntz")
    if ta in temporal and tb in text:
        return a
    if tb in temporal and ta in text:
        return b
    if ta in temporal and tb in temporal:
        if ta == tb:
            return a
        if "timestamp" in (ta, tb):
            return dt.DataType("timestamp")
        return dt.DataType("datetime")
    if str(a) == str(b) or (ta == tb and ta not in ("array", "map", "struct")):
        return a
    if ta == "boolean" and tb == "boolean":
        return BOOL
    raise semantic(pos, "invalid operand types %s and %s for comparison" % (a, b))


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(e) for e in v)
    if isinstance(v, float) and v != v:
        return ("nan",)
    return v


class Compiled:
    __slots__ = ("fn", "type", "name")

    def __init__(self, fn, type_, name=None):
        self.fn, self.type, self.name = fn, type_, name


class Compiler:
    """Compiles an AST expression against a scope into a closure row -> value.

    slots: dict id(node) -> row index, used for aggregate and window results
    and for GROUP BY keys (group_keys: list of (key, index))."""

    def __init__(self, env, scope, slots=None, group_keys=None, base_scope=None):
        self.env = env
        self.scope = scope
        self.slots = slots or {}
        self.group_keys = group_keys
        self.base_scope = base_scope

    def convert_fn(self, c, target, strict=False):
        if str(c.type) == str(target) or c.type.kind == "void":
            return c.fn
        f, src, tz = c.fn, c.type, self.env.settings.tz

        def conv(row):
            v = f(row)
            if v is None:
                return None
            try:
                return sv.convert(v, src, target, tz, strict)
            except sv.ConversionError as e:
                raise runtime(str(e))
        return conv

    def compile(self, node):
        if id(node) in self.slots:
            idx, t = self.slots[id(node)]
            return Compiled(lambda row, i=idx: row[i], t, getattr(node, "name", None) if isinstance(node, Col) else None)
        if self.group_keys is not None:
            key = node_key(node, self.base_scope)
            for k, idx, t in self.group_keys:
                if k == key:
                    return Compiled(lambda row, i=idx: row[i], t,
                                    node.name if isinstance(node, Col) else None)
            if isinstance(node, Col):
                raise semantic(node.pos, "column reference %s should appear in GROUP BY key"
                               % (("%s.%s" % (node.qual, node.name)) if node.qual else node.name))
        m = getattr(self, "c_" + type(node).__name__)
        return m(node)

    # literals
    def c_Lit(self, n):
        k, v = n.kind, n.value
        env = self.env
        if k == "null":
            return Compiled(lambda row: None, VOID)
        if k == "bool":
            return Compiled(lambda row, v=v: v, BOOL)
        if k == "str":
            return Compiled(lambda row, v=v: v, STRING)
        if k in ("int", "long", "tiny", "small"):
            i = int(v)
            if k == "int":
                if env.settings.odps2 and -2 ** 31 <= i < 2 ** 31:
                    t = INT
                elif -2 ** 63 < i < 2 ** 63:
                    t = BIGINT
                else:
                    return Compiled(lambda row, f=float(i): f, DOUBLE)
            else:
                t = {"long": BIGINT, "tiny": dt.DataType("tinyint"), "small": dt.DataType("smallint")}[k]
                if k != "long":
                    self.require_odps2(t, n.pos)
                lo, hi = dt.INTEGER_RANGES[t.kind]
                if not lo <= i <= hi:
                    raise semantic(n.pos, "%s literal %s out of range" % (t, v))
            return Compiled(lambda row, i=i: i, t)
        if k in ("double", "float"):
            f = float(v)
            if k == "float":
                self.require_odps2(dt.DataType("float"), n.pos)
                return Compiled(lambda row, f=sv.to_float32(f): f, dt.DataType("float"))
            return Compiled(lambda row, f=f: f, DOUBLE)
        if k == "decimal":
            d = decimal.Decimal(v)
            t = DEC_DEFAULT if env.settings.decimal2 else dt.DataType("decimal")
            return Compiled(lambda row, d=d: d, t)
        if k == "binary":
            h = v if len(v) % 2 == 0 else "0" + v
            try:
                b = bytes.fromhex(h)
            except ValueError:
                raise semantic(n.pos, "invalid binary literal X'%s'" % v)
            return Compiled(lambda row, b=b: b, dt.DataType("binary"))
        t = dt.DataType(k)
        if k != "datetime":
            self.require_odps2(t, n.pos)
        try:
            if k == "date":
                val = sv.parse_date(v)
            elif k == "datetime":
                val = sv.parse_datetime(v, env.settings.tz)
            elif k == "timestamp":
                val = sv.parse_timestamp(v, env.settings.tz)
            else:
                val = sv.parse_timestamp(v)
            dt.check_value(val, t)
        except (sv.ConversionError, dt.ValueError_) as e:
            raise semantic(n.pos, "invalid %s literal '%s': %s" % (k.upper(), v, e))
        return Compiled(lambda row, val=val: val, t)

    def require_odps2(self, t, pos):
        if not self.env.settings.odps2:
            for sub in dt.walk(t):
                if sub.kind in dt.ODPS2_ONLY:
                    raise semantic(pos, "%s type is not enabled in current mode, "
                                        "set odps.sql.type.system.odps2=true to use it" % sub.kind.upper())

    def c_Col(self, n):
        i = self.scope.resolve(n.qual, n.name, n.pos)
        c = self.scope.cols[i]
        return Compiled(lambda row, i=i: row[i], c.type, c.name)

    def c_Star(self, n):
        raise semantic(n.pos, "* is only allowed in the select list")

    def c_Cast(self, n):
        inner = self.compile(n.expr)
        try:
            t = self.env.parse_type(n.type_text, n.pos)
        except SqlError:
            raise
        if t.kind == "int" and not self.env.settings.odps2:
            t = BIGINT
        f, src, tz = inner.fn, inner.type, self.env.settings.tz
        if src.kind == "void":
            return Compiled(lambda row: None, t)

        def cast(row):
            v = f(row)
            if v is None:
                return None
            try:
                out = sv.convert(v, src, t, tz, strict=False)
            except sv.ConversionError:
                return None
            return out
        return Compiled(cast, t, inner.name)

    def c_Case(self, n):
        whens = []
        results = []
        if n.operand is not None:
            op = self.compile(n.operand)
            for cond, res in n.whens:
                c = self.compile(cond)
                ct = compare_type(op.type, c.type, n.pos)
                whens.append((self.convert_fn(op, ct), self.convert_fn(c, ct)))
                results.append(self.compile(res))
        else:
            for cond, res in n.whens:
                c = self.compile(cond)
                if c.type.kind not in ("boolean", "void"):
                    raise semantic(n.pos, "CASE WHEN condition must be boolean, got %s" % c.type)
                whens.append((c.fn, None))
                results.append(self.compile(res))
        else_ = self.compile(n.else_) if n.else_ is not None else Compiled(lambda row: None, VOID)
        rtype = result_type([r.type for r in results] + [else_.type], n.pos)
        rfns = [self.convert_fn(r, rtype) for r in results]
        efn = self.convert_fn(else_, rtype)
        simple = n.operand is not None

        def case(row):
            for (a, b), r in zip(whens, rfns):
                if simple:
                    x, y = a(row), b(row)
                    if x is not None and y is not None and x == y:
                        return r(row)
                elif a(row) is True:
                    return r(row)
            return efn(row)
        return Compiled(case, rtype)

    def c_Unary(self, n):
        inner = self.compile(n.expr)
        f = inner.fn
        if n.op == "NOT":
            if inner.type.kind not in ("boolean", "void"):
                raise semantic(n.pos, "NOT requires a boolean operand, got %s" % inner.type)
            return Compiled(lambda row: None if f(row) is None else not f(row), BOOL)
        if n.op == "-":
            t = inner.type
            if not (t.is_numeric or t.kind == "void"):
                raise semantic(n.pos, "invalid operand type %s for unary minus" % t)
            if t.is_integer:
                return Compiled(lambda row: None if f(row) is None else _wrap_int(-f(row), t), t)
            return Compiled(lambda row: None if f(row) is None else -f(row), t)
        if n.op == "~":
            return Compiled(lambda row: None if f(row) is None else ~f(row), inner.type)
        raise semantic(n.pos, "unsupported operator %s" % n.op)

    def c_Binary(self, n):
        op = n.op
        if op in ("AND", "OR"):
            a, b = self.compile(n.left), self.compile(n.right)
            for x in (a, b):
                if x.type.kind not in ("boolean", "void"):
                    raise semantic(n.pos, "%s requires boolean operands, got %s" % (op, x.type))
            fa, fb = a.fn, b.fn
            if op == "AND":
                def f_and(row):
                    x = fa(row)
                    if x is False:
                        return False
                    y = fb(row)
                    if y is False:
                        return False
                    if x is None or y is None:
                        return None
                    return True
                return Compiled(f_and, BOOL)

            def f_or(row):
                x = fa(row)
                if x is True:
                    return True
                y = fb(row)
                if y is True:
                    return True
                if x is None or y is None:
                    return None
                return False
            return Compiled(f_or, BOOL)
        a, b = self.compile(n.left), self.compile(n.right)
        if op in ("=", "<>", "<", "<=", ">", ">=", "<=>"):
            ct = compare_type(a.type, b.type, n.pos)
            fa, fb = self.convert_fn(a, ct), self.convert_fn(b, ct)
            cmp = {"=": lambda x, y: x == y, "<>": lambda x, y: x != y,
                   "<": lambda x, y: x < y, "<=": lambda x, y: x <= y,
                   ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}
            if op == "<=>":
                def nulleq(row):
                    x, y = fa(row), fb(row)
                    if x is None or y is None:
                        return x is None and y is None
                    return x == y
                return Compiled(nulleq, BOOL)
            c = cmp[op]

            def compare(row):
                x = fa(row)
                if x is None:
                    return None
                y = fb(row)
                if y is None:
                    return None
                return c(x, y)
            return Compiled(compare, BOOL)
        if op == "||":
            fa = self.convert_fn(a, STRING)
            fb = self.convert_fn(b, STRING)

            def concat(row):
                x, y = fa(row), fb(row)
                if x is None or y is None:
                    return None
                return x + y
            return Compiled(concat, STRING)
        if op in ("+", "-", "*", "/", "%", "DIV", "&", "|", "^"):
            for x in (a, b):
                if not (x.type.is_numeric or x.type.kind in ("void", "string", "varchar", "char")):
                    raise semantic(n.pos, "invalid operand type %s for operator %s" % (x.type, op))
            if op == "/":
                rt = numeric_common(a.type, b.type)
                rt = rt if rt.kind == "decimal" else DOUBLE
            elif op == "DIV":
                rt = BIGINT
            else:
                rt = numeric_common(a.type, b.type)
                if rt.kind == "void":
                    rt = INT if self.env.settings.odps2 else BIGINT
            work = rt if op != "DIV" else DOUBLE
            fa, fb = self.convert_fn(a, work), self.convert_fn(b, work)

            def arith(row):
                x = fa(row)
                if x is None:
                    return None
                y = fb(row)
                if y is None:
                    return None
                try:
                    if op == "+":
                        r = x + y
                    elif op == "-":
                        r = x - y
                    elif op == "*":
                        r = x * y
                    elif op == "/":
                        if y == 0:
                            return None
                        r = x / y
                    elif op == "DIV":
                        if y == 0:
                            return None
                        return int(x // y)
                    elif op == "%":
                        if y == 0:
                            return None
                        r = math.fmod(x, y) if isinstance(x, float) else (abs(x) % abs(y)) * (1 if x >= 0 else -1)
                    elif op == "&":
                        r = x & y
                    elif op == "|":
                        r = x | y
                    else:
                        r = x ^ y
                except (decimal.InvalidOperation, OverflowError) as e:
                    raise runtime("arithmetic error: %s" % e)
                if rt.is_integer:
                    return _wrap_int(int(r), rt)
                if rt.kind == "decimal":
                    try:
                        return dt.quantize_decimal(r, rt)
                    except dt.ValueError_ as e:
                        raise runtime(str(e))
                if rt.kind == "float":
                    return sv.to_float32(r)
                return r
            return Compiled(arith, rt)
        raise semantic(n.pos, "unsupported operator %s" % op)

    def c_IsNull(self, n):
        f = self.compile(n.expr).fn
        if n.negated:
            return Compiled(lambda row: f(row) is not None, BOOL)
        return Compiled(lambda row: f(row) is None, BOOL)

    def c_InList(self, n):
        if len(n.items) > MAX_IN_LIST:
            raise semantic(n.pos, "the IN list has %d items, more than the limit %d"
                           % (len(n.items), MAX_IN_LIST))
        e = self.compile(n.expr)
        items = [self.compile(x) for x in n.items]
        ct = e.type
        for it in items:
            ct = compare_type(ct, it.type, n.pos)
        fe = self.convert_fn(e, ct)
        fis = [self.convert_fn(it, ct) for it in items]
        neg = n.negated

        def inlist(row):
            x = fe(row)
            if x is None:
                return None
            saw_null = False
            for fi in fis:
                y = fi(row)
                if y is None:
                    saw_null = True
                elif x == y:
                    return not neg
            return None if saw_null else neg
        return Compiled(inlist, BOOL)

    def c_Between(self, n):
        e, lo, hi = self.compile(n.expr), self.compile(n.lo), self.compile(n.hi)
        ct = compare_type(compare_type(e.type, lo.type, n.pos), hi.type, n.pos)
        fe, fl, fh = self.convert_fn(e, ct), self.convert_fn(lo, ct), self.convert_fn(hi, ct)
        neg = n.negated

        def between(row):
            x, a, b = fe(row), fl(row), fh(row)
            if x is None or a is None or b is None:
                return None
            r = a <= x <= b
            return not r if neg else r
        return Compiled(between, BOOL)

    def c_Like(self, n):
        e = self.compile(n.expr)
        p = self.compile(n.pattern)
        fe, fp = self.convert_fn(e, STRING), self.convert_fn(p, STRING)
        neg, regex = n.negated, n.regex
        cache = {}

        def like(row):
            x, pat = fe(row), fp(row)
            if x is None or pat is None:
                return None
            rx = cache.get(pat)
            if rx is None:
                if regex:
                    rx = re.compile(pat)
                else:
                    out = []
                    i = 0
                    while i < len(pat):
                        ch = pat[i]
                        if ch == "\\" and i + 1 < len(pat):
                            out.append(re.escape(pat[i + 1]))
                            i += 2
                            continue
                        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
                        i += 1
                    rx = re.compile("^" + "".join(out) + "$", re.S)
                cache[pat] = rx
            r = bool(rx.search(x)) if regex else bool(rx.match(x))
            return not r if neg else r
        return Compiled(like, BOOL)

    def c_Func(self, n):
        if n.over is not None or n.name in WINDOW_ONLY:
            raise semantic(n.pos, "window function %s is not allowed here" % n.name)
        if n.name in AGGREGATES:
            raise semantic(n.pos, "aggregate function %s is not allowed here" % n.name)
        return compile_scalar_function(self, n)


def result_type(types, pos):
    t = VOID
    for x in types:
        if x.kind == "void":
            continue
        if t.kind == "void":
            t = x
        elif str(t) == str(x):
            continue
        elif t.is_numeric and x.is_numeric:
            t = numeric_common(t, x)
        elif t.is_text and x.is_text:
            t = STRING
        elif t.kind in ("date", "datetime", "timestamp") and x.kind in ("date", "datetime", "timestamp"):
            t = dt.DataType("timestamp") if "timestamp" in (t.kind, x.kind) else dt.DataType("datetime")
        elif t.is_text or x.is_text:
            t = STRING
        else:
            raise semantic(pos, "incompatible types %s and %s" % (t, x))
    return t


def compile_scalar_function(comp, n):
    name = n.name
    args = [comp.compile(a) for a in n.args]
    env = comp.env

    def need(k_min, k_max=None):
        k_max = k_min if k_max is None else k_max
        if not (k_min <= len(args) <= k_max):
            raise semantic(n.pos, "function %s expects %s arguments, got %d"
                           % (name, k_min if k_min == k_max else "%d..%d" % (k_min, k_max), len(args)))

    if name in ("COALESCE", "NVL"):
        if name == "NVL":
            need(2)
        elif not args:
            need(1, 1000)
        rt = result_type([a.type for a in args], n.pos)
        fns = [comp.convert_fn(a, rt) for a in args]

        def coalesce(row):
            for f in fns:
                v = f(row)
                if v is not None:
                    return v
            return None
        return Compiled(coalesce, rt)
    if name == "IF":
        need(3)
        if args[0].type.kind not in ("boolean", "void"):
            raise semantic(n.pos, "IF condition must be boolean")
        rt = result_type([args[1].type, args[2].type], n.pos)
        c, a, b = args[0].fn, comp.convert_fn(args[1], rt), comp.convert_fn(args[2], rt)
        return Compiled(lambda row: a(row) if c(row) is True else b(row), rt)
    if name in ("CONCAT",):
        fns = [comp.convert_fn(a, STRING) for a in args]

        def concat(row):
            out = []
            for f in fns:
                v = f(row)
                if v is None:
                    return None
                out.append(v)
            return "".join(out)
        return Compiled(concat, STRING)
    if name == "CONCAT_WS":
        need(2, 1000)
        fns = [comp.convert_fn(a, STRING) for a in args]

        def concat_ws(row):
            sep = fns[0](row)
            if sep is None:
                return None
            return sep.join(v for v in (f(row) for f in fns[1:]) if v is not None)
        return Compiled(concat_ws, STRING)
    if name in ("UPPER", "LOWER", "TRIM", "LTRIM", "RTRIM", "LENGTH", "MD5", "REVERSE"):
        need(1)
        f = comp.convert_fn(args[0], STRING)
        import hashlib
        op = {"UPPER": str.upper, "LOWER": str.lower, "TRIM": lambda s: s.strip(" "),
              "LTRIM": lambda s: s.lstrip(" "), "RTRIM": lambda s: s.rstrip(" "), "LENGTH": len,
              "MD5": lambda s: hashlib.md5(s.encode("utf-8", "surrogateescape")).hexdigest(),
              "REVERSE": lambda s: s[::-1]}[name]
        rt = BIGINT if name == "LENGTH" else STRING
        return Compiled(lambda row: None if f(row) is None else op(f(row)), rt)
    if name in ("SUBSTR", "SUBSTRING"):
        need(2, 3)
        f = comp.convert_fn(args[0], STRING)
        fs = comp.convert_fn(args[1], BIGINT)
        fl = comp.convert_fn(args[2], BIGINT) if len(args) == 3 else None

        def substr(row):
            s, start = f(row), fs(row)
            if s is None or start is None:
                return None
            ln = fl(row) if fl else None
            if fl and ln is None:
                return None
            if start > 0:
                i = start - 1
            elif start < 0:
                i = max(len(s) + start, 0)
            else:
                i = 0
            return s[i:] if ln is None else s[i:i + max(ln, 0)]
        return Compiled(substr, STRING)
    if name == "REPLACE":
        need(3)
        fs = [comp.convert_fn(a, STRING) for a in args]

        def replace(row):
            vals = [f(row) for f in fs]
            if any(v is None for v in vals):
                return None
            return vals[0].replace(vals[1], vals[2])
        return Compiled(replace, STRING)
    if name == "ABS":
        need(1)
        f, t = args[0].fn, args[0].type if args[0].type.is_numeric else DOUBLE
        f = comp.convert_fn(args[0], t)
        return Compiled(lambda row: None if f(row) is None else abs(f(row)), t)
    if name in ("GREATEST", "LEAST"):
        need(1, 1000)
        rt = result_type([a.type for a in args], n.pos)
        fns = [comp.convert_fn(a, rt) for a in args]
        pick = max if name == "GREATEST" else min

        def gl(row):
            vals = [f(row) for f in fns]
            if any(v is None for v in vals):
                return None
            return pick(vals)
        return Compiled(gl, rt)
    if name in ("ROUND", "FLOOR", "CEIL", "CEILING"):
        need(1, 2 if name == "ROUND" else 1)
        t = args[0].type
        f = args[0].fn
        if name == "ROUND":
            fd = comp.convert_fn(args[1], BIGINT) if len(args) == 2 else (lambda row: 0)

            def rnd(row):
                v, d = f(row), fd(row)
                if v is None or d is None:
                    return None
                q = decimal.Decimal(1).scaleb(-d)
                r = decimal.Decimal(repr(v) if isinstance(v, float) else v).quantize(q, rounding=decimal.ROUND_HALF_UP)
                if t.is_integer:
                    return int(r)
                if t.kind == "decimal":
                    return r
                return float(r)
            return Compiled(rnd, t if t.is_numeric else DOUBLE)
        op = math.floor if name == "FLOOR" else math.ceil
        return Compiled(lambda row: None if f(row) is None else int(op(f(row))), BIGINT)
    if name == "ISNULL":
        need(1)
        f = args[0].fn
        return Compiled(lambda row: f(row) is None, BOOL)
    if name in ("GETDATE", "NOW", "CURRENT_TIMESTAMP"):
        need(0)
        ms = int(time.time() * 1000)
        if name == "CURRENT_TIMESTAMP":
            return Compiled(lambda row: (ms // 1000, (ms % 1000) * 1000000), dt.DataType("timestamp"))
        return Compiled(lambda row: ms, dt.DataType("datetime"))
    if name == "FROM_UNIXTIME":
        need(1)
        f = comp.convert_fn(args[0], BIGINT)
        return Compiled(lambda row: None if f(row) is None else f(row) * 1000, dt.DataType("datetime"))
    if name == "UNIX_TIMESTAMP":
        need(1)
        f = comp.convert_fn(args[0], dt.DataType("datetime"))
        return Compiled(lambda row: None if f(row) is None else f(row) // 1000, BIGINT)
    if name == "TO_DATE":
        need(1)
        f = comp.convert_fn(args[0], dt.DataType("datetime"))
        return Compiled(lambda row: f(row), dt.DataType("datetime"))
    if name == "TO_CHAR":
        need(1)
        f = comp.convert_fn(args[0], STRING)
        return Compiled(f, STRING)
    if name == "HASH":
        raise semantic(n.pos, "function HASH is not supported by this emulator")
    raise semantic(n.pos, "Invalid function : line %d:%d '%s'" % (n.pos[0], n.pos[1], name.lower()))


def node_key(node, scope):
    """Structural key of an expression; column refs resolve to indexes."""
    if isinstance(node, Col):
        try:
            return ("col", scope.resolve(node.qual, node.name, node.pos))
        except SqlError:
            return ("col?", (node.qual or "").lower(), node.name.lower())
    if isinstance(node, Lit):
        return ("lit", node.kind, node.value)
    parts = [type(node).__name__]
    for k, v in sorted(vars(node).items()):
        if k == "pos":
            continue
        parts.append((k, _key_of(v, scope)))
    return tuple(parts)


def _key_of(v, scope):
    from sql_parser import Node
    if isinstance(v, Node):
        return node_key(v, scope)
    if isinstance(v, (list, tuple)):
        return tuple(_key_of(x, scope) for x in v)
    return v


def walk_ast(node, stop_at_over=True):
    from sql_parser import Node
    yield node
    for k, v in vars(node).items():
        if k == "over" and stop_at_over:
            continue
        stack = [v]
        while stack:
            x = stack.pop()
            if isinstance(x, Node):
                if isinstance(x, (Select, SetOp)):
                    continue
                yield from walk_ast(x, stop_at_over)
            elif isinstance(x, (list, tuple)):
                stack.extend(x)


# ---------------------------------------------------------------------------
# sorting helpers (NULL is the smallest value: first ascending, last descending)

def _sort_rows(items, keyfns):
    """items: list of objects; keyfns: list of (fn(item), desc, nulls)."""
    def cmp(a, b):
        for fn, desc, nulls in keyfns:
            x, y = fn(a), fn(b)
            if x is None and y is None:
                continue
            nulls_first = (nulls == "first") if nulls else (not desc)
            if x is None:
                return -1 if nulls_first else 1
            if y is None:
                return 1 if nulls_first else -1
            if x == y:
                continue
            r = -1 if x < y else 1
            return -r if desc else r
        return 0
    return sorted(items, key=functools.cmp_to_key(cmp))


# ---------------------------------------------------------------------------
# the environment of one statement

class Env:
    def __init__(self, store, project, settings, principal):
        self.store = store
        self.project = project
        self.settings = Settings(project, settings)
        self.principal = principal      # {"name":..., "read_only": bool}

    def parse_type(self, text, pos, for_ddl=False):
        try:
            t = dt.parse_type(text, extended_scale=self.settings.extended_scale)
        except dt.TypeError_ as e:
            raise semantic(pos, str(e))
        s = self.settings
        for sub in dt.walk(t):
            if sub.kind == "void":
                raise semantic(pos, "invalid type %s" % text)
            if not s.odps2 and sub.kind in dt.ODPS2_ONLY and sub.kind != "int":
                raise semantic(pos, "%s type is not enabled in current mode, set "
                                    "odps.sql.type.system.odps2=true to use it" % sub.kind.upper())
            if sub.kind == "decimal" and sub.precision is not None and not s.decimal2:
                raise semantic(pos, "DECIMAL(precision,scale) is not enabled in current mode, set "
                                    "odps.sql.decimal.odps2=true to use it")
        return self._normalize(t)

    def _normalize(self, t):
        s = self.settings
        k = t.kind
        if k == "int" and not s.odps2:
            return BIGINT                 # spec 2.3: INT silently becomes BIGINT in 1.0
        if k == "decimal" and t.precision is None and s.decimal2:
            return dt.DataType("decimal", precision=38, scale=18)
        if k == "array":
            return dt.DataType("array", elem=self._normalize(t.elem))
        if k == "map":
            return dt.DataType("map", key=self._normalize(t.key), value=self._normalize(t.value))
        if k == "struct":
            return dt.DataType("struct", fields=[(n, self._normalize(x)) for n, x in t.fields])
        return t

    def table_ref_check(self, table, pos):
        """Reading or writing a table whose columns use 2.0 types needs the flag."""
        if not self.settings.odps2:
            for c in table.columns + table.partition_keys:
                for sub in dt.walk(c.type):
                    if sub.kind in dt.ODPS2_ONLY:
                        raise semantic(pos, "%s type is not enabled in current mode (column %s of table %s), "
                                            "set odps.sql.type.system.odps2=true to use it"
                                       % (sub.kind.upper(), c.name, table.name))

    def get_table(self, name, pos):
        project, table, schema = name
        if project is not None and project != self.project.name:
            p = self.store.get_project(project)
            if p is None:
                raise SqlError("ODPS-0130131:[%d,%d] Table not found - project %s does not exist"
                               % (pos[0], pos[1], project))
        else:
            p = self.project
        if schema is not None and schema.lower() != "default":
            raise SqlError("ODPS-0130131:[%d,%d] Table not found - schema %s does not exist"
                           % (pos[0], pos[1], schema))
        t = p.get_table(table)
        if t is None:
            raise no_table(pos, p.name, table)
        return p, t

    def check_write(self, privilege, table_name, pos):
        if self.principal.get("read_only"):
            raise SqlError("ODPS-0130013:[%d,%d] Authorization exception - Authorization Failed [4019], "
                           "You have NO privilege '%s' on {acs:odps:*:projects/%s/tables/%s}. "
                           "Context ID:emulator.\t--->Tips: Pricipal:%s; No permission '%s' on resource "
                           "acs:odps:*:projects/%s/tables/%s"
                           % (pos[0], pos[1], privilege, self.project.name, table_name,
                              self.principal.get("name", ""), privilege, self.project.name, table_name))


# ---------------------------------------------------------------------------
# query evaluation

class QueryEngine:
    def __init__(self, env):
        self.env = env

    def run(self, q):
        if isinstance(q, SetOp):
            rel = self.setop(q)
        elif isinstance(q, FromValues):
            rel = self.values(q)
        else:
            rel = self.select(q)
        return rel

    # ---- FROM items
    def from_item(self, f):
        env = self.env
        if isinstance(f, FromTable):
            _, t = env.get_table(f.name, f.pos)
            env.table_ref_check(t, f.pos)
            qual = f.alias or t.name
            cols = [ColInfo(qual, c.name, c.type) for c in t.columns]
            pcols = [ColInfo(qual, c.name, c.type) for c in t.partition_keys]
            rows = []
            for key, prow in t.partitions.items():
                if pcols:
                    pvals = [partition_value(v, c.type) for v, c in zip(key, t.partition_keys)]
                    rows.extend(list(r) + pvals for r in prow)
                else:
                    rows.extend(list(r) for r in prow)
            return Relation(cols + pcols, rows)
        if isinstance(f, FromQuery):
            rel = self.run(f.query)
            return Relation([ColInfo(f.alias, c.name, c.type) for c in rel.cols], rel.rows)
        if isinstance(f, FromValues):
            return self.values(f)
        if isinstance(f, Join):
            return self.join(f)
        raise semantic(f.pos, "unsupported FROM item")

    def values(self, f):
        comp = Compiler(self.env, Scope([]))
        if not f.rows:
            raise semantic(f.pos, "VALUES needs at least one row")
        width = len(f.rows[0])
        compiled = []
        for r in f.rows:
            if len(r) != width:
                raise semantic(f.pos, "VALUES rows have different numbers of columns")
            compiled.append([comp.compile(e) for e in r])
        types = [result_type([row[i].type for row in compiled], f.pos) for i in range(width)]
        rows = []
        for row in compiled:
            rows.append([comp.convert_fn(c, t)([]) if t.kind != "void" else c.fn([])
                         for c, t in zip(row, types)])
        names = f.columns or ["_c%d" % i for i in range(width)]
        if len(names) != width:
            raise semantic(f.pos, "VALUES alias names %d columns, rows have %d" % (len(names), width))
        types = [STRING if t.kind == "void" else t for t in types]
        return Relation([ColInfo(f.alias, n, t) for n, t in zip(names, types)], rows)

    def join(self, j):
        left = self.from_item(j.left)
        right = self.from_item(j.right)
        cols = left.cols + right.cols
        nl, nr = len(left.cols), len(right.cols)
        kind = j.kind
        if kind == "cross":
            return Relation(cols, [l + r for l in left.rows for r in right.rows])
        scope = Scope(cols)
        comp = Compiler(self.env, scope)
        # split ON into equi-conjuncts usable for hashing + a residual filter
        conjuncts = []

        def split(e):
            if isinstance(e, Binary) and e.op == "AND":
                split(e.left)
                split(e.right)
            else:
                conjuncts.append(e)
        split(j.on)
        lkeys, rkeys, residual = [], [], []
        for c in conjuncts:
            if isinstance(c, Binary) and c.op == "=":
                side_l = _side(c.left, scope, nl)
                side_r = _side(c.right, scope, nl)
                if side_l == "L" and side_r == "R":
                    lk, rk = c.left, c.right
                elif side_l == "R" and side_r == "L":
                    lk, rk = c.right, c.left
                else:
                    residual.append(c)
                    continue
                a, b = comp.compile(lk), comp.compile(rk)
                ct = compare_type(a.type, b.type, c.pos)
                lkeys.append(comp.convert_fn(a, ct))
                rkeys.append(comp.convert_fn(b, ct))
                continue
            residual.append(c)
        res_fns = [comp.compile(c) for c in residual]
        for r in res_fns:
            if r.type.kind not in ("boolean", "void"):
                raise semantic(j.pos, "join condition must be boolean")
        pad_l = [None] * nl
        pad_r = [None] * nr

        def residual_ok(row):
            return all(f.fn(row) is True for f in res_fns)

        out = []
        if lkeys:
            index = {}
            for ri, r in enumerate(right.rows):
                probe = pad_l + r
                key = tuple(_hashable(f(probe)) for f in rkeys)
                if any(k is None for k in key):
                    continue
                index.setdefault(key, []).append(ri)
            matched_r = set()
            for l in left.rows:
                probe = l + pad_r
                key = tuple(_hashable(f(probe)) for f in lkeys)
                hits = [] if any(k is None for k in key) else index.get(key, [])
                any_hit = False
                for ri in hits:
                    row = l + right.rows[ri]
                    if residual_ok(row):
                        any_hit = True
                        matched_r.add(ri)
                        if kind not in ("semi", "anti"):
                            out.append(row)
                        elif kind == "semi":
                            break
                if kind == "semi" and any_hit:
                    out.append(l + pad_r)
                elif kind == "anti" and not any_hit:
                    out.append(l + pad_r)
                elif not any_hit and kind in ("left", "full"):
                    out.append(l + pad_r)
            if kind in ("right", "full"):
                for ri, r in enumerate(right.rows):
                    if ri not in matched_r:
                        out.append(pad_l + r)
        else:
            matched_r = set()
            for l in left.rows:
                any_hit = False
                for ri, r in enumerate(right.rows):
                    row = l + r
                    if residual_ok(row):
                        any_hit = True
                        matched_r.add(ri)
                        if kind not in ("semi", "anti"):
                            out.append(row)
                if kind == "semi" and any_hit:
                    out.append(l + pad_r)
                elif kind == "anti" and not any_hit:
                    out.append(l + pad_r)
                elif not any_hit and kind in ("left", "full"):
                    out.append(l + pad_r)
            if kind in ("right", "full"):
                for ri, r in enumerate(right.rows):
                    if ri not in matched_r:
                        out.append(pad_l + r)
        if kind in ("semi", "anti"):
            return Relation(left.cols, [r[:nl] for r in out])
        return Relation(cols, out)

    # ---- SELECT
    def select(self, s):
        env = self.env
        if s.from_ is not None:
            rel = self.from_item(s.from_)
        else:
            rel = Relation([], [[]])
        base_scope = Scope(rel.cols)
        rows = rel.rows
        if s.where is not None:
            w = Compiler(env, base_scope).compile(s.where)
            if w.type.kind not in ("boolean", "void"):
                raise semantic(s.pos, "WHERE condition must be boolean, got %s" % w.type)
            rows = [r for r in rows if w.fn(r) is True]

        # expand stars
        items = []
        for e, alias in s.items:
            if isinstance(e, Star):
                hits = [i for i, c in enumerate(rel.cols)
                        if e.qual is None or (c.qual or "").lower() == e.qual.lower()]
                if e.qual is not None and not hits:
                    raise semantic(e.pos, "invalid table alias or column reference %s" % e.qual)
                for i in hits:
                    items.append((Col(rel.cols[i].qual, rel.cols[i].name, e.pos), None, i))
            else:
                items.append((e, alias, None))

        order_nodes = [o[0] for o in getattr(s, "order_by", [])]
        all_nodes = [it[0] for it in items] + ([s.having] if s.having is not None else []) + order_nodes
        aggs = []
        wins = []
        for root in all_nodes:
            for node in walk_ast(root):
                if isinstance(node, Func) and node.over is None and node.name in AGGREGATES:
                    aggs.append(node)
            for node in walk_ast(root, stop_at_over=False):
                if isinstance(node, Func) and (node.over is not None or node.name in WINDOW_ONLY):
                    if node.over is None:
                        raise semantic(node.pos, "%s requires an OVER clause" % node.name)
                    wins.append(node)
        grouped = bool(s.group_by) or bool(aggs)
        if grouped and any(isinstance(e, Star) for e, _ in s.items):
            raise semantic(s.pos, "SELECT * is not allowed with GROUP BY")

        # ---- grouping
        if grouped:
            bcomp = Compiler(env, base_scope)
            gkeys = [bcomp.compile(g) for g in s.group_by]
            agg_specs = []
            for a in aggs:
                agg_specs.append(self.compile_aggregate(a, bcomp))
            groups = {}
            order = []
            for r in rows:
                k = tuple(_hashable(g.fn(r)) for g in gkeys)
                if k not in groups:
                    groups[k] = ([g.fn(r) for g in gkeys], [])
                    order.append(k)
                groups[k][1].append(r)
            if not s.group_by and not groups:
                groups[()] = ([], [])
                order.append(())
            new_rows = []
            for k in order:
                kvals, grows = groups[k]
                new_rows.append(kvals + [spec(grows) for spec in agg_specs])
            ng = len(gkeys)
            gk = [(node_key(g, base_scope), i, gkeys[i].type) for i, g in enumerate(s.group_by)]
            slots = {id(a): (ng + i, agg_specs[i].type) for i, a in enumerate(aggs)}
            cur_cols = [ColInfo(None, "_g%d" % i, g.type) for i, g in enumerate(gkeys)] + \
                       [ColInfo(None, "_a%d" % i, sp.type) for i, sp in enumerate(agg_specs)]
            rows = new_rows
            make_comp = lambda extra_slots: Compiler(env, Scope(cur_cols), {**slots, **extra_slots}, gk, base_scope)
            if s.having is not None:
                h = make_comp({}).compile(s.having)
                rows = [r for r in rows if h.fn(r) is True]
        else:
            if s.having is not None:
                raise semantic(s.pos, "HAVING without GROUP BY or aggregates")
            cur_cols = list(rel.cols)
            make_comp = lambda extra_slots: Compiler(env, base_scope, extra_slots)

        # ---- window functions
        win_slots = {}
        if wins:
            comp = make_comp({})
            base_len = len(cur_cols)
            for wi, w in enumerate(wins):
                vals = self.eval_window(w, comp, rows)
                for r, v in zip(rows, vals):
                    r.append(v)
                win_slots[id(w)] = (base_len + wi, BIGINT)
            # rows now carry the window values; keep column metadata aligned
            cur_cols = cur_cols + [ColInfo(None, "_w%d" % i, BIGINT) for i in range(len(wins))]

        comp = make_comp(win_slots)
        if not grouped:
            comp.scope = Scope(cur_cols)
        out_cols = []
        out_fns = []
        for idx, (e, alias, star_index) in enumerate(items):
            c = comp.compile(e)
            name = alias or (e.name if isinstance(e, Col) else None) or "_c%d" % idx
            out_cols.append(ColInfo(None, name, STRING if c.type.kind == "void" else c.type))
            out_fns.append(c.fn)
        out = [([f(r) for f in out_fns], r) for r in rows]
        if s.distinct:
            seen = set()
            uniq = []
            for o, r in out:
                k = tuple(_hashable(v) for v in o)
                if k not in seen:
                    seen.add(k)
                    uniq.append((o, r))
            out = uniq
        if s.order_by:
            out = self.order(out, s.order_by, out_cols, comp, s.limit, s.pos)
        if s.limit is not None:
            out = out[:s.limit]
        return Relation(out_cols, [o for o, _ in out])

    def order(self, pairs, order_by, out_cols, comp, limit, pos):
        if self.env.settings.orderby_limit and limit is None:
            raise semantic(pos, "ORDER BY must be used with a LIMIT clause, please set "
                                "odps.sql.validate.orderby.limit=false to use it")
        keyfns = []
        for e, desc, nulls in order_by:
            fn = None
            if isinstance(e, Col) and e.qual is None:
                hits = [i for i, c in enumerate(out_cols) if c.name.lower() == e.name.lower()]
                if len(hits) == 1:
                    i = hits[0]
                    fn = lambda p, i=i: p[0][i]
            if fn is None:
                c = comp.compile(e)
                fn = lambda p, f=c.fn: f(p[1])
            keyfns.append((fn, desc, nulls))
        return _sort_rows(pairs, keyfns)

    def compile_aggregate(self, a, comp):
        name = a.name
        if a.star:
            if name != "COUNT":
                raise semantic(a.pos, "%s(*) is not allowed" % name)
            f = lambda rows: len(rows)
            return _Agg(f, BIGINT)
        if len(a.args) != 1:
            raise semantic(a.pos, "aggregate %s expects one argument" % name)
        for node in walk_ast(a.args[0]):
            if isinstance(node, Func) and node.name in AGGREGATES and node is not a:
                raise semantic(a.pos, "nested aggregate functions are not allowed")
        arg = comp.compile(a.args[0])
        fn = arg.fn
        distinct = a.distinct

        def values(rows):
            vals = [fn(r) for r in rows]
            vals = [v for v in vals if v is not None]
            if distinct:
                seen = set()
                uniq = []
                for v in vals:
                    k = _hashable(v)
                    if k not in seen:
                        seen.add(k)
                        uniq.append(v)
                vals = uniq
            return vals
        if name == "COUNT":
            return _Agg(lambda rows: len(values(rows)), BIGINT)
        if name in ("MIN", "MAX"):
            pick = min if name == "MIN" else max
            return _Agg(lambda rows: (lambda v: pick(v) if v else None)(values(rows)), arg.type)
        if name == "SUM":
            t = arg.type
            if not (t.is_numeric or t.kind in ("void", "string")):
                raise semantic(a.pos, "invalid argument type %s for SUM" % t)
            rt = BIGINT if t.is_integer else (t if t.kind == "decimal" else DOUBLE)
            conv = comp.convert_fn(arg, rt)

            def total(rows):
                vals = [conv(r) for r in rows]
                vals = [v for v in vals if v is not None]
                if distinct:
                    vals = list({_hashable(v): v for v in vals}.values())
                return sum(vals) if vals else None
            return _Agg(total, rt)
        if name == "AVG":
            conv = comp.convert_fn(arg, DOUBLE if arg.type.kind != "decimal" else arg.type)

            def avg(rows):
                vals = [conv(r) for r in rows]
                vals = [v for v in vals if v is not None]
                return (sum(vals) / len(vals)) if vals else None
            return _Agg(avg, DOUBLE if arg.type.kind != "decimal" else arg.type)
        raise semantic(a.pos, "unsupported aggregate %s" % name)

    def eval_window(self, w, comp, rows):
        if w.name not in WINDOW_ONLY:
            raise semantic(w.pos, "window function %s is not supported by this emulator "
                                  "(ROW_NUMBER, RANK, DENSE_RANK are)" % w.name)
        if w.args:
            raise semantic(w.pos, "%s takes no arguments" % w.name)
        pfns = [comp.compile(p).fn for p in w.over.partition_by]
        ofns = [(comp.compile(e).fn, desc, nulls) for e, desc, nulls in w.over.order_by]
        if w.name in ("RANK", "DENSE_RANK") and not ofns:
            raise semantic(w.pos, "%s requires ORDER BY in its window" % w.name)
        parts = {}
        for i, r in enumerate(rows):
            k = tuple(_hashable(f(r)) for f in pfns)
            parts.setdefault(k, []).append(i)
        result = [None] * len(rows)
        for idxs in parts.values():
            ordered = _sort_rows(idxs, [(lambda i, f=f: f(rows[i]), d, nl) for f, d, nl in ofns])
            prev = None
            rank = dense = 0
            for pos, i in enumerate(ordered, 1):
                key = tuple(_hashable(f(rows[i])) for f, _, _ in ofns)
                if w.name == "ROW_NUMBER":
                    result[i] = pos
                    continue
                if key != prev:
                    rank = pos
                    dense += 1
                    prev = key
                result[i] = rank if w.name == "RANK" else dense
        return result

    def setop(self, q):
        left = self.run(q.left)
        right = self.run(q.right)
        if len(left.cols) != len(right.cols):
            raise semantic(q.pos, "UNION requires both sides to have the same number of columns "
                                  "(%d vs %d)" % (len(left.cols), len(right.cols)))
        types = [result_type([a.type, b.type], q.pos) for a, b in zip(left.cols, right.cols)]
        tz = self.env.settings.tz

        def conv(rel):
            out = []
            for r in rel.rows:
                nr = []
                for v, c, t in zip(r, rel.cols, types):
                    if v is not None and str(c.type) != str(t):
                        try:
                            v = sv.convert(v, c.type, t, tz)
                        except sv.ConversionError as e:
                            raise runtime(str(e))
                    nr.append(v)
                out.append(nr)
            return out
        rows = conv(left) + conv(right)
        if not q.all:
            seen = set()
            uniq = []
            for r in rows:
                k = tuple(_hashable(v) for v in r)
                if k not in seen:
                    seen.add(k)
                    uniq.append(r)
            rows = uniq
        cols = [ColInfo(None, c.name, t) for c, t in zip(left.cols, types)]
        if q.order_by:
            scope = Scope(cols)
            comp = Compiler(self.env, scope)
            pairs = self.order([(r, r) for r in rows], q.order_by, cols, comp, q.limit, q.pos)
            rows = [p[0] for p in pairs]
        if q.limit is not None:
            rows = rows[:q.limit]
        return Relation(cols, rows)


class _Agg:
    def __init__(self, fn, type_):
        self.fn, self.type = fn, type_

    def __call__(self, rows):
        return self.fn(rows)


def _side(node, scope, nl):
    sides = set()
    for x in walk_ast(node):
        if isinstance(x, Col):
            try:
                i = scope.resolve(x.qual, x.name, x.pos)
            except SqlError:
                return None
            sides.add("L" if i < nl else "R")
        if isinstance(x, Func) and (x.name in AGGREGATES or x.over is not None):
            return None
    if len(sides) == 1:
        return sides.pop()
    return None


def partition_value(text, t):
    if t.is_integer:
        return int(text)
    return text


# ---------------------------------------------------------------------------
# results

def _csv_quote(s):
    return '"' + s.replace('"', '""') + '"'


_UNQUOTED = set(dt.INTEGER_RANGES) | {"float", "double", "decimal", "boolean"}


def render_csv(rel, tz):
    """Task result of a SELECT: CSV with a quoted header row, text-like
    values quoted, numbers and booleans bare, NULL as \\N (what pyodps'
    CsvRecordReader parses, spec 2.2).  At most 10 000 rows (spec 5.2)."""
    lines = [",".join(_csv_quote(c.name) for c in rel.cols)]
    for r in rel.rows[:MAX_SELECT_ROWS]:
        cells = []
        for v, c in zip(r, rel.cols):
            if v is None:
                cells.append("\\N")
            elif c.type.kind in _UNQUOTED:
                cells.append(sv.to_text(v, c.type, tz))
            else:
                cells.append(_csv_quote(sv.to_text(v, c.type, tz)))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# statements

class Executor:
    def __init__(self, store, project, settings, principal):
        self.store = store
        self.project = project
        self.settings_in = dict(settings or {})
        self.principal = principal

    def execute(self, sql_text):
        """Returns the task result text; raises SqlError on failure.
        Must be called with catalog.LOCK held."""
        if len(sql_text.encode("utf-8")) > MAX_SQL_BYTES:
            raise SqlError("ODPS-0130161:[1,1] Parse exception - the SQL text exceeds the 2 MB limit")
        sets, stmt = Parser(sql_text).parse_script()
        settings = dict(self.settings_in)
        for st in sets:
            settings[st.key] = st.value
        self.env = Env(self.store, self.project, settings, self.principal)
        m = getattr(self, "x_" + type(stmt).__name__)
        return m(stmt)

    # ---- helpers
    def save(self):
        # The caller (execute) writes the project once, together with the
        # instance id as an applied transaction.
        self.dirty = True

    def check_name(self, name, pos, what="table"):
        if len(name.encode("utf-8")) > MAX_NAME_BYTES:
            raise semantic(pos, "%s name %s... is longer than %d bytes" % (what, name[:32], MAX_NAME_BYTES))
        rx = _TABLE_NAME if what == "table" else _COLUMN_NAME
        if not rx.match(name):
            raise semantic(pos, "invalid %s name '%s'" % (what, name))

    def check_comment(self, comment, pos):
        if comment is not None and len(comment.encode("utf-8")) > MAX_COMMENT_BYTES:
            raise semantic(pos, "comment is longer than %d bytes" % MAX_COMMENT_BYTES)

    def target_project(self, name, pos):
        project, table, schema = name
        if project is not None and project != self.project.name:
            p = self.store.get_project(project)
            if p is None:
                raise SqlError("ODPS-0130131:[%d,%d] Table not found - project %s does not exist"
                               % (pos[0], pos[1], project))
            return p
        return self.project

    def make_column(self, cd, is_partition=False):
        self.check_name(cd.name, cd.pos, "column")
        self.check_comment(cd.comment, cd.pos)
        t = self.env.parse_type(cd.type_text, cd.pos, for_ddl=True)
        for sub in dt.walk(t):
            if sub.kind in dt.NOT_STORABLE:
                raise semantic(cd.pos, "type %s cannot be used for a table column" % sub.kind.upper())
        if is_partition and t.kind not in cat.PARTITION_KEY_TYPES:
            raise semantic(cd.pos, "partition column %s has type %s; partition columns must be one of %s"
                           % (cd.name, t, ", ".join(x.upper() for x in cat.PARTITION_KEY_TYPES)))
        default = None
        if cd.default is not None:
            c = Compiler(self.env, Scope([])).compile(cd.default)
            v = c.fn([])
            default = None if v is None else sv.to_text(v, c.type)
        return cat.Column(cd.name, t, cd.comment or "", not cd.not_null, default)

    # ---- CREATE TABLE
    def x_CreateTable(self, ct):
        env = self.env
        p = self.target_project(ct.name, ct.pos)
        tname = ct.name[1]
        env.check_write("odps:CreateTable", tname, ct.pos)
        self.check_name(tname, ct.pos, "table")
        self.check_comment(ct.comment, ct.pos)
        existing = p.get_table(tname)
        if existing is not None:
            if ct.if_not_exists:
                return ""
            raise SqlError("ODPS-0110061:Failed to run ddltask - AlreadyExistsException"
                           "(message:Table or view already exists - %s.%s)" % (p.name, tname))
        if ct.like is not None:
            _, src = env.get_table(ct.like, ct.pos)
            t = cat.Table(tname, [cat.Column(c.name, c.type, c.comment, c.nullable, c.default) for c in src.columns],
                          [cat.Column(c.name, c.type, c.comment, c.nullable) for c in src.partition_keys],
                          list(src.primary_key), src.transactional, ct.lifecycle, src.comment,
                          dict(src.properties), "ALIYUN$" + self.principal.get("name", ""))
            p.tables[tname.lower()] = t
            self.save()
            return ""
        rows = None
        if ct.as_query is not None:
            if ct.partitions or ct.columns:
                raise semantic(ct.pos, "CREATE TABLE ... AS SELECT cannot declare columns or partitions")
            rel = QueryEngine(env).run(ct.as_query)
            columns = []
            for c in rel.cols:
                self.check_name(c.name, ct.pos, "column")
                columns.append(cat.Column(c.name, c.type))
            rows = [list(r) for r in rel.rows]
        else:
            columns = [self.make_column(cd) for cd in ct.columns]
        parts = [self.make_column(cd, True) for cd in ct.partitions]
        names = [c.name.lower() for c in columns + parts]
        for i, nme in enumerate(names):
            if nme in names[:i]:
                raise semantic(ct.pos, "duplicate column name %s" % nme)
        if len(columns) + len(parts) > MAX_COLUMNS:
            raise semantic(ct.pos, "a table can have at most %d columns, got %d"
                           % (MAX_COLUMNS, len(columns) + len(parts)))
        if not columns:
            raise semantic(ct.pos, "a table needs at least one column")
        if len(parts) > MAX_PARTITION_LEVELS:
            raise semantic(ct.pos, "a table can have at most %d partition levels" % MAX_PARTITION_LEVELS)
        props = {}
        for k, v in ct.properties:
            props[k.lower()] = v
        transactional = props.get("transactional", "false").lower() == "true"
        if "transactional" in props and props["transactional"].lower() not in ("true", "false"):
            raise semantic(ct.pos, "invalid value '%s' of table property transactional" % props["transactional"])
        pk = list(ct.primary_key) + [cd.name for cd in ct.columns if cd.primary_key]
        if ct.primary_key and any(cd.primary_key for cd in ct.columns):
            raise semantic(ct.pos, "multiple primary keys are defined")
        pk_cols = []
        for k in pk:
            idx = next((i for i, c in enumerate(columns) if c.name.lower() == k.lower()), None)
            if idx is None:
                if any(c.name.lower() == k.lower() for c in parts):
                    raise semantic(ct.pos, "partition column %s cannot be part of the primary key" % k)
                raise semantic(ct.pos, "primary key column %s is not a column of the table" % k)
            if columns[idx].nullable:
                raise semantic(ct.pos, "primary key column %s must be declared NOT NULL" % k)
            if columns[idx].name in pk_cols:
                raise semantic(ct.pos, "column %s appears twice in the primary key" % k)
            pk_cols.append(columns[idx].name)
        if pk_cols and not transactional:
            raise semantic(ct.pos, "PRIMARY KEY is only supported by Delta tables; "
                                   "add TBLPROPERTIES ('transactional'='true')")
        if "write.bucket.num" in props:
            try:
                b = int(props["write.bucket.num"])
            except ValueError:
                b = 0
            if not 1 <= b <= 4096 or not pk_cols:
                raise semantic(ct.pos, "invalid write.bucket.num '%s' (1..4096, Delta tables only)"
                               % props["write.bucket.num"])
        if ct.lifecycle is not None and not 1 <= ct.lifecycle <= 37231:
            raise semantic(ct.pos, "invalid lifecycle %d, it must be between 1 and 37231" % ct.lifecycle)
        t = cat.Table(tname, columns, parts, pk_cols, transactional, ct.lifecycle,
                      ct.comment or "", props, "ALIYUN$" + self.principal.get("name", ""))
        if rows is not None:
            t.partitions[()] = self.coerce_rows(rows, [c.type for c in rel.cols], t, ct.pos)
        p.tables[tname.lower()] = t
        self.save()
        return ""

    def x_DropTable(self, d):
        p = self.target_project(d.name, d.pos)
        self.env.check_write("odps:Drop", d.name[1], d.pos)
        if p.get_table(d.name[1]) is None:
            if d.if_exists:
                return ""
            raise no_table(d.pos, p.name, d.name[1])
        del p.tables[d.name[1].lower()]
        self.save()
        return ""

    def x_Truncate(self, tr):
        env = self.env
        p, t = env.get_table(tr.name, tr.pos)
        env.check_write("odps:Update", t.name, tr.pos)
        if tr.partition is not None:
            key = self.static_partition(t, tr.partition, tr.pos)
            if key not in t.partitions:
                raise semantic(tr.pos, "partition %s does not exist" % cat.partition_spec_text(t, key))
            t.partitions[key] = []
        else:
            if t.is_partitioned:
                raise semantic(tr.pos, "TRUNCATE TABLE on a partitioned table needs a PARTITION spec; "
                                       "use ALTER TABLE ... DROP PARTITION")
            t.partitions[()] = []
        t.touch_data()
        self.save()
        return ""

    def static_partition(self, t, spec, pos):
        if not t.is_partitioned:
            raise semantic(pos, "table %s is not partitioned" % t.name)
        pairs = []
        comp = Compiler(self.env, Scope([]))
        for name, e in spec:
            if e is None:
                raise semantic(pos, "dynamic partition is not allowed here")
            c = comp.compile(e)
            v = c.fn([])
            if v is None:
                raise semantic(pos, "partition value of %s must not be NULL" % name)
            pairs.append((name, sv.to_text(v, c.type)))
        try:
            return cat.resolve_partition(t, pairs)
        except cat.PartitionSpecError as e:
            raise semantic(pos, str(e))

    # ---- ALTER TABLE
    def x_AlterTable(self, a):
        env = self.env
        p, t = env.get_table(a.name, a.pos)
        env.check_write("odps:Alter", t.name, a.pos)
        act, args = a.action, a.args
        if act == "add_columns":
            env.table_ref_check(t, a.pos)
            new = []
            existing = {c.name.lower() for c in t.columns + t.partition_keys}
            for cd in args["columns"]:
                if cd.name.lower() in existing:
                    if args["if_not_exists"]:
                        continue
                    raise semantic(cd.pos, "column %s already exists in table %s" % (cd.name, t.name))
                if cd.primary_key:
                    raise semantic(cd.pos, "cannot add a primary key column")
                col = self.make_column(cd)
                if not col.nullable and col.default is None:
                    raise semantic(cd.pos, "a column added to an existing table must be nullable "
                                           "or have a DEFAULT value")
                existing.add(cd.name.lower())
                new.append(col)
            if not new:
                return ""
            if len(t.columns) + len(t.partition_keys) + len(new) > MAX_COLUMNS:
                raise semantic(a.pos, "a table can have at most %d columns" % MAX_COLUMNS)
            fill = []
            for c in new:
                fill.append(None if c.default is None else sv.convert(c.default, STRING, c.type, env.settings.tz, True))
            for key, rows in t.partitions.items():
                t.partitions[key] = [r + fill for r in rows]
            t.columns.extend(new)
            t.touch_schema()
        elif act == "drop_columns":
            idxs = []
            for name in args["columns"]:
                i = t.column_index(name)
                if i is None:
                    if t.partition_index(name) is not None:
                        raise semantic(a.pos, "partition column %s cannot be dropped" % name)
                    raise semantic(a.pos, "column %s does not exist in table %s" % (name, t.name))
                if t.columns[i].name in t.primary_key:
                    raise semantic(a.pos, "primary key column %s cannot be dropped" % name)
                idxs.append(i)
            if len(set(idxs)) >= len(t.columns):
                raise semantic(a.pos, "cannot drop all columns of table %s" % t.name)
            keep = [i for i in range(len(t.columns)) if i not in idxs]
            t.columns = [t.columns[i] for i in keep]
            for key, rows in t.partitions.items():
                t.partitions[key] = [[r[i] for i in keep] for r in rows]
            t.touch_schema()
        elif act == "rename_column":
            i = t.column_index(args["old"])
            if i is None:
                raise semantic(a.pos, "column %s does not exist in table %s" % (args["old"], t.name))
            self.check_name(args["new"], a.pos, "column")
            if t.column_index(args["new"]) is not None or t.partition_index(args["new"]) is not None:
                raise semantic(a.pos, "column %s already exists in table %s" % (args["new"], t.name))
            old = t.columns[i].name
            if old in t.primary_key:
                raise semantic(a.pos, "primary key column %s cannot be modified" % old)
            t.columns[i].name = args["new"]
            t.touch_schema()
        elif act == "column_comment":
            i = t.column_index(args["column"])
            if i is None:
                raise semantic(a.pos, "column %s does not exist in table %s" % (args["column"], t.name))
            self.check_comment(args["comment"], a.pos)
            t.columns[i].comment = args["comment"]
            t.last_ddl = time.time()
        elif act == "change_column":
            i = t.column_index(args["old"])
            if i is None:
                raise semantic(a.pos, "column %s does not exist in table %s" % (args["old"], t.name))
            cd = args["def"]
            col = self.make_column(cd)
            if args["placement"] is not None:
                raise semantic(a.pos, "changing the position of a column is not supported")
            old = t.columns[i]
            if str(col.type) != str(old.type):
                raise semantic(a.pos, "changing the type of column %s from %s to %s is not supported"
                               % (old.name, old.type, col.type))
            if col.nullable != old.nullable:
                raise semantic(a.pos, "changing the nullability of column %s is not supported" % old.name)
            if col.name.lower() != old.name.lower():
                if old.name in t.primary_key:
                    raise semantic(a.pos, "primary key column %s cannot be modified" % old.name)
                if t.column_index(col.name) is not None or t.partition_index(col.name) is not None:
                    raise semantic(a.pos, "column %s already exists in table %s" % (col.name, t.name))
            old.name = col.name
            if cd.comment is not None:
                old.comment = cd.comment
            t.touch_schema()
        elif act == "rename":
            newp = self.target_project(args["new"], a.pos)
            if newp is not p:
                raise semantic(a.pos, "cannot rename a table into another project")
            new = args["new"][1]
            self.check_name(new, a.pos, "table")
            if p.get_table(new) is not None:
                raise SqlError("ODPS-0110061:Failed to run ddltask - AlreadyExistsException"
                               "(message:Table or view already exists - %s.%s)" % (p.name, new))
            del p.tables[t.name.lower()]
            t.name = new
            t.last_ddl = time.time()
            p.tables[new.lower()] = t
        elif act == "set_lifecycle":
            if not 1 <= args["lifecycle"] <= 37231:
                raise semantic(a.pos, "invalid lifecycle %d" % args["lifecycle"])
            t.lifecycle = args["lifecycle"]
            t.last_ddl = time.time()
        elif act == "set_comment":
            self.check_comment(args["comment"], a.pos)
            t.comment = args["comment"]
            t.last_ddl = time.time()
        elif act == "set_properties":
            for k, v in args["properties"]:
                k = k.lower()
                if k == "transactional" and (v.lower() == "true") != t.transactional:
                    if v.lower() == "true" and not t.transactional and t.row_count() == 0 and not t.primary_key:
                        t.transactional = True
                    else:
                        raise semantic(a.pos, "the transactional property of table %s cannot be changed"
                                       % t.name)
                elif k == "write.bucket.num":
                    raise semantic(a.pos, "write.bucket.num cannot be changed after creation")
                t.properties[k] = v
            t.last_ddl = time.time()
        elif act == "add_partition":
            if not t.is_partitioned:
                raise semantic(a.pos, "table %s is not partitioned" % t.name)
            keys = [self.static_partition(t, s, a.pos) for s in args["specs"]]
            for k in keys:
                if k in t.partitions and not args["if_not_exists"]:
                    raise SqlError("ODPS-0110061:Failed to run ddltask - AlreadyExistsException"
                                   "(message:Partition already exists, existed values: [%s])"
                                   % ", ".join('"%s"' % v for v in k))
            for k in keys:
                t.partitions.setdefault(k, [])
            if len(t.partitions) > 60000:
                raise semantic(a.pos, "a table can have at most 60000 partitions")
            t.last_ddl = time.time()
        elif act == "drop_partition":
            if not t.is_partitioned:
                raise semantic(a.pos, "table %s is not partitioned" % t.name)
            keys = [self.static_partition(t, s, a.pos) for s in args["specs"]]
            for k in keys:
                if k not in t.partitions and not args["if_exists"]:
                    raise semantic(a.pos, "partition %s does not exist" % cat.partition_spec_text(t, k))
            for k in keys:
                t.partitions.pop(k, None)
            t.touch_data()
        else:
            raise semantic(a.pos, "unsupported ALTER TABLE action")
        self.save()
        return ""

    # ---- writes
    def coerce_value(self, v, src, col, pos, where):
        if v is None:
            return None
        try:
            out = sv.convert(v, src, col.type, self.env.settings.tz, strict=True)
            return dt.check_value(out, col.type)
        except (sv.ConversionError, dt.ValueError_) as e:
            raise runtime("%s: value for column %s: %s" % (where, col.name, e))

    def coerce_rows(self, rows, src_types, t, pos, columns=None):
        cols = columns or t.columns
        for s, c in zip(src_types, cols):
            if not sv.can_implicitly_write(s, c.type):
                raise bad_cast(pos, "cannot write %s into column %s of type %s"
                               % (s.upper() if isinstance(s, str) else str(s).upper(), c.name, str(c.type).upper()))
        out = []
        for r in rows:
            nr = [self.coerce_value(v, s, c, pos, "insert") for v, s, c in zip(r, src_types, cols)]
            for v, c in zip(nr, cols):
                if v is None and not c.nullable:
                    raise runtime("column %s of table %s is NOT NULL but the value is NULL" % (c.name, t.name))
            out.append(nr)
        return out

    def x_Insert(self, ins):
        env = self.env
        p, t = env.get_table(ins.name, ins.pos)
        env.check_write("odps:Update", t.name, ins.pos)
        env.table_ref_check(t, ins.pos)
        qe = QueryEngine(env)
        rel = qe.run(ins.query)
        src_types = [c.type for c in rel.cols]
        rows = rel.rows
        static = []
        dynamic = []
        if t.is_partitioned:
            if ins.partition is None:
                raise semantic(ins.pos, "table %s is partitioned, INSERT needs a PARTITION clause" % t.name)
            seen_dynamic = False
            if len(ins.partition) != len(t.partition_keys):
                raise semantic(ins.pos, "the PARTITION clause must name every partition column (%s)"
                               % ",".join(c.name for c in t.partition_keys))
            for (name, e), col in zip(ins.partition, t.partition_keys):
                if name.lower() != col.name.lower():
                    raise semantic(ins.pos, "partition columns must be given in the order %s"
                                   % ",".join(c.name for c in t.partition_keys))
                if e is None:
                    seen_dynamic = True
                    dynamic.append(col)
                else:
                    if seen_dynamic:
                        raise semantic(ins.pos, "a static partition column cannot follow a dynamic one")
                    static.append((name, e))
        elif ins.partition is not None:
            raise semantic(ins.pos, "table %s is not partitioned" % t.name)
        # target data columns
        if ins.columns is not None:
            tcols = []
            for name in ins.columns:
                i = t.column_index(name)
                if i is None:
                    raise semantic(ins.pos, "column %s does not exist in table %s" % (name, t.name))
                if i in tcols:
                    raise semantic(ins.pos, "column %s is listed twice" % name)
                tcols.append(i)
        else:
            tcols = list(range(len(t.columns)))
        expected = len(tcols) + len(dynamic)
        if len(rel.cols) != expected:
            raise semantic(ins.pos, "the number of target columns (%d) does not match the number of "
                                    "source columns (%d)" % (expected, len(rel.cols)))
        static_key = None
        if static:
            comp = Compiler(env, Scope([]))
            pairs = []
            for name, e in static:
                c = comp.compile(e)
                v = c.fn([])
                if v is None:
                    raise semantic(ins.pos, "partition value of %s must not be NULL" % name)
                pairs.append((name, sv.to_text(v, c.type)))
            try:
                static_key = cat.resolve_partition(t, pairs, require_full=False)
            except cat.PartitionSpecError as e:
                raise semantic(ins.pos, str(e))
        # build full rows per partition
        data_cols = [t.columns[i] for i in tcols]
        coerced = self.coerce_rows([r[:len(tcols)] for r in rows], src_types[:len(tcols)], t,
                                   ins.pos, data_cols)
        defaults = []
        for c in t.columns:
            defaults.append(None if c.default is None else
                            sv.convert(c.default, STRING, c.type, env.settings.tz, True))
        by_part = {}
        for src, vals in zip(rows, coerced):
            full = list(defaults)
            for i, v in zip(tcols, vals):
                full[i] = v
            for i, c in enumerate(t.columns):
                if full[i] is None and not c.nullable:
                    raise runtime("column %s of table %s is NOT NULL but the value is NULL" % (c.name, t.name))
            if t.is_partitioned:
                key = list(static_key or ())
                for j, col in enumerate(dynamic):
                    v = src[len(tcols) + j]
                    if v is None:
                        raise runtime("dynamic partition value of %s is NULL" % col.name)
                    try:
                        key.append(cat.canonical_partition_value(
                            sv.to_text(v, src_types[len(tcols) + j], env.settings.tz), col))
                    except cat.PartitionSpecError as e:
                        raise runtime(str(e))
                key = tuple(key)
            else:
                key = ()
            by_part.setdefault(key, []).append(full)
        if static_key is not None and len(static_key) == len(t.partition_keys):
            by_part.setdefault(static_key, [])
        if not t.is_partitioned:
            by_part.setdefault((), [])      # OVERWRITE with no rows empties the table
        new_parts = dict(t.partitions)
        for key, new_rows in by_part.items():
            old = [] if ins.overwrite else new_parts.get(key, [])
            if t.is_delta:
                new_parts[key] = upsert_rows(t, old, new_rows)
            else:
                new_parts[key] = list(old) + new_rows
        if len(new_parts) > 60000:
            raise runtime("a table can have at most 60000 partitions")
        t.partitions = new_parts
        t.touch_data()
        self.save()
        return ""

    def dml_target(self, name, pos, privilege):
        env = self.env
        p, t = env.get_table(name, pos)
        env.check_write(privilege, t.name, pos)
        env.table_ref_check(t, pos)
        if not t.transactional:
            raise semantic(pos, "%s is only supported on transactional tables, table %s is not transactional"
                           % ("UPDATE or DELETE" if privilege != "odps:Merge" else "MERGE INTO", t.name))
        return t

    def target_relation(self, t, alias):
        qual = alias or t.name
        cols = [ColInfo(qual, c.name, c.type) for c in t.columns] + \
               [ColInfo(qual, c.name, c.type) for c in t.partition_keys]
        entries = []      # (key, index in partition, full row)
        for key, rows in t.partitions.items():
            pvals = [partition_value(v, c.type) for v, c in zip(key, t.partition_keys)]
            for i, r in enumerate(rows):
                entries.append((key, i, list(r) + pvals))
        return cols, entries

    def compile_sets(self, t, sets, comp, pos, alias):
        out = []
        seen = set()
        for qual, name, e, spos in sets:
            if qual is not None and qual.lower() not in ((alias or t.name).lower(), t.name.lower()):
                raise semantic(spos, "SET target %s.%s is not a column of the target table" % (qual, name))
            i = t.column_index(name)
            if i is None:
                if t.partition_index(name) is not None:
                    raise semantic(spos, "partition column %s cannot be updated" % name)
                raise semantic(spos, "column %s does not exist in table %s" % (name, t.name))
            if t.columns[i].name in t.primary_key:
                raise semantic(spos, "primary key column %s of a Delta table cannot be updated"
                               % t.columns[i].name)
            if i in seen:
                raise semantic(spos, "column %s is assigned twice" % name)
            seen.add(i)
            c = comp.compile(e)
            if not sv.can_implicitly_write(c.type, t.columns[i].type):
                raise bad_cast(spos, "cannot write %s into column %s of type %s"
                               % (str(c.type).upper(), name, str(t.columns[i].type).upper()))
            out.append((i, c))
        return out

    def apply_sets(self, t, full_row, sets, ctx_row):
        new = list(full_row[:len(t.columns)])
        for i, c in sets:
            new[i] = self.coerce_value(c.fn(ctx_row), c.type, t.columns[i], None, "update")
            if new[i] is None and not t.columns[i].nullable:
                raise runtime("column %s of table %s is NOT NULL but the value is NULL"
                              % (t.columns[i].name, t.name))
        return new

    def x_Update(self, u):
        t = self.dml_target(u.name, u.pos, "odps:Update")
        cols, entries = self.target_relation(t, u.alias)
        comp = Compiler(self.env, Scope(cols))
        where = comp.compile(u.where) if u.where is not None else None
        sets = self.compile_sets(t, u.sets, comp, u.pos, u.alias)
        new_parts = {k: list(v) for k, v in t.partitions.items()}
        for key, idx, full in entries:
            if where is None or where.fn(full) is True:
                new_parts[key][idx] = self.apply_sets(t, full, sets, full)
        t.partitions = new_parts
        t.touch_data()
        self.save()
        return ""

    def x_Delete(self, d):
        t = self.dml_target(d.name, d.pos, "odps:Delete")
        cols, entries = self.target_relation(t, d.alias)
        comp = Compiler(self.env, Scope(cols))
        where = comp.compile(d.where) if d.where is not None else None
        doomed = set()
        for key, idx, full in entries:
            if where is None or where.fn(full) is True:
                doomed.add((key, idx))
        t.partitions = {k: [r for i, r in enumerate(v) if (k, i) not in doomed]
                        for k, v in t.partitions.items()}
        t.touch_data()
        self.save()
        return ""

    def x_Merge(self, m):
        env = self.env
        t = self.dml_target(m.name, m.pos, "odps:Merge")
        tcols, entries = self.target_relation(t, m.alias)
        src = QueryEngine(env).from_item(m.source)
        scols = src.cols
        scope = Scope(tcols + scols)
        comp = Compiler(env, scope)
        nt = len(tcols)
        # ON: hash on equality conjuncts between target and source
        conj = []

        def split(e):
            if isinstance(e, Binary) and e.op == "AND":
                split(e.left)
                split(e.right)
            else:
                conj.append(e)
        split(m.on)
        tkeys, skeys, residual = [], [], []
        for c in conj:
            if isinstance(c, Binary) and c.op == "=":
                a, b = _side(c.left, scope, nt), _side(c.right, scope, nt)
                if (a, b) in (("L", "R"), ("R", "L")):
                    lk, rk = (c.left, c.right) if a == "L" else (c.right, c.left)
                    x, y = comp.compile(lk), comp.compile(rk)
                    ct = compare_type(x.type, y.type, c.pos)
                    tkeys.append(comp.convert_fn(x, ct))
                    skeys.append(comp.convert_fn(y, ct))
                    continue
            residual.append(comp.compile(c))
        clauses = []
        for matched, cond, action, payload, wpos in m.clauses:
            cc = comp.compile(cond) if cond is not None else None
            if action == "update":
                clauses.append((True, cc, "update", self.compile_sets(t, payload, comp, wpos, m.alias)))
            elif action == "delete":
                clauses.append((True, cc, "delete", None))
            else:
                cols, vals = payload
                full_cols = t.columns + t.partition_keys
                if cols is None:
                    targets = list(range(len(full_cols)))
                else:
                    targets = []
                    for nme in cols:
                        i = next((k for k, c in enumerate(full_cols) if c.name.lower() == nme.lower()), None)
                        if i is None:
                            raise semantic(wpos, "column %s does not exist in table %s" % (nme, t.name))
                        targets.append(i)
                if len(targets) != len(vals):
                    raise semantic(wpos, "INSERT VALUES has %d values for %d columns" % (len(vals), len(targets)))
                ins_scope = Compiler(env, Scope([ColInfo(None, "__none__", VOID)] * 0 + scols))
                compiled_vals = []
                for i, v in zip(targets, vals):
                    cv = ins_scope.compile(v)
                    if not sv.can_implicitly_write(cv.type, full_cols[i].type):
                        raise bad_cast(wpos, "cannot write %s into column %s of type %s"
                                       % (str(cv.type).upper(), full_cols[i].name, str(full_cols[i].type).upper()))
                    compiled_vals.append((i, cv))
                clauses.append((False, cc, "insert", compiled_vals))
        index = {}
        if tkeys:
            pad_s = [None] * len(scols)
            for ei, (key, idx, full) in enumerate(entries):
                k = tuple(_hashable(f(full + pad_s)) for f in tkeys)
                if any(x is None for x in k):
                    continue
                index.setdefault(k, []).append(ei)
        pad_t = [None] * nt
        matched_by = {}
        inserts = []
        actions = {}
        for s in src.rows:
            probe = pad_t + s
            if tkeys:
                k = tuple(_hashable(f(probe)) for f in skeys)
                cand = [] if any(x is None for x in k) else index.get(k, [])
            else:
                cand = range(len(entries))
            hits = [ei for ei in cand if all(r.fn(entries[ei][2] + s) is True for r in residual)]
            if hits:
                for ei in hits:
                    if ei in matched_by:
                        raise SqlError("ODPS-0010000:System internal error - MERGE INTO: more than one "
                                       "source row matches the same target row of table %s" % t.name)
                    matched_by[ei] = s
                    row = entries[ei][2] + s
                    for matched, cc, action, payload in clauses:
                        if not matched or (cc is not None and cc.fn(row) is not True):
                            continue
                        if action == "delete":
                            actions[ei] = None
                        else:
                            actions[ei] = self.apply_sets(t, entries[ei][2], payload, row)
                        break
            else:
                for matched, cc, action, payload in clauses:
                    if matched or (cc is not None and cc.fn(probe) is not True):
                        continue
                    full_cols = t.columns + t.partition_keys
                    new = [None] * len(full_cols)
                    for i, cv in payload:
                        new[i] = self.coerce_value(cv.fn(s), cv.type, full_cols[i], m.pos, "merge insert")
                    for i, c in enumerate(full_cols):
                        if new[i] is None and (not c.nullable or i >= len(t.columns)):
                            raise runtime("column %s of table %s must not be NULL" % (c.name, t.name))
                    inserts.append(new)
                    break
        new_parts = {k: list(v) for k, v in t.partitions.items()}
        doomed = set()
        for ei, newrow in actions.items():
            key, idx, _ = entries[ei]
            if newrow is None:
                doomed.add((key, idx))
            else:
                new_parts[key][idx] = newrow
        if doomed:
            new_parts = {k: [r for i, r in enumerate(v) if (k, i) not in doomed] for k, v in new_parts.items()}
        for full in inserts:
            nd = len(t.columns)
            if t.is_partitioned:
                try:
                    key = tuple(cat.canonical_partition_value(sv.to_text(v, c.type), c)
                                for v, c in zip(full[nd:], t.partition_keys))
                except cat.PartitionSpecError as e:
                    raise runtime(str(e))
            else:
                key = ()
            rows = new_parts.setdefault(key, [])
            if t.is_delta:
                new_parts[key] = upsert_rows(t, rows, [full[:nd]])
            else:
                rows.append(full[:nd])
        t.partitions = new_parts
        t.touch_data()
        self.save()
        return ""

    def x_QueryStmt(self, q):
        rel = QueryEngine(self.env).run(q.query)
        return render_csv(rel, self.env.settings.tz)


def upsert_rows(t, old_rows, new_rows):
    """Delta table semantics: the last row per primary key wins (spec 4.2)."""
    pk_idx = [t.column_index(k) for k in t.primary_key]
    pos = {}
    out = list(old_rows)
    for i, r in enumerate(out):
        pos[tuple(_hashable(r[j]) for j in pk_idx)] = i
    for r in new_rows:
        k = tuple(_hashable(r[j]) for j in pk_idx)
        if k in pos:
            out[pos[k]] = r
        else:
            pos[k] = len(out)
            out.append(r)
    return out


def execute(store, project, sql_text, settings, principal, txn_id=None):
    """Run one SQL task; returns ("Success", result) or ("Failed", error text).
    A successful statement that changed something is written to disk together
    with txn_id (the instance id) before this returns."""
    with cat.LOCK:
        ex = Executor(store, project, settings, principal)
        ex.dirty = False
        try:
            result = ex.execute(sql_text)
        except Exception as e:
            if isinstance(e, SqlError):
                text = e.text
            else:
                import traceback
                traceback.print_exc()
                text = "ODPS-0010000:System internal error - %s: %s" % (type(e).__name__, e)
            if ex.dirty or not isinstance(e, SqlError):
                _reload(store, project)
            else:
                # statements only swap new state in at their very end, but be
                # safe: any partial in-memory change is discarded
                _reload(store, project)
            return "Failed", text
        if ex.dirty:
            if txn_id is not None:
                # the marker lets a restart adopt the outcome instead of
                # running a non-idempotent statement twice
                project.txns[txn_id] = {"kind": "instance", "status": "Success",
                                        "result": result if len(result) <= 4096 else ""}
            try:
                store.save_project(project)
            except Exception:
                _reload(store, project)
                raise
        return "Success", result


def _reload(store, project):
    fresh = cat.Project.from_json(cat.read_json(store.path("projects", project.name + ".json")))
    project.tables = fresh.tables
    project.txns = fresh.txns
