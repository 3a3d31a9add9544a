"""Expression layer of the SQL subset: session settings, scopes, types of
expressions and their compilation into Python closures (row -> value).

MaxCompute rules followed here (spec maxcompute.md 2.2, 5): three-valued
logic, implicit numeric promotion, text compared with numbers as DOUBLE and
with dates as the date type, integer literals INT in 2.0 and BIGINT in 1.0,
literal suffixes Y/S/L/F/D/BD, NULL smallest in ORDER BY.
Errors carry the service's codes (ODPS-0130071 semantic, ODPS-0130141
implicit cast, ODPS-0121095 run-time value errors).
"""

import decimal
import functools
import math
import re
import time

import datatypes as dt
import sql_values as sv
from sql_parser import Col, Lit, Select, SetOp, SqlError

VOID = dt.DataType("void")
BOOL = dt.DataType("boolean")
BIGINT = dt.DataType("bigint")
INT = dt.DataType("int")
DOUBLE = dt.DataType("double")
STRING = dt.DataType("string")
DEC_DEFAULT = dt.DataType("decimal", precision=38, scale=18)

MAX_IN_LIST = 1024           # spec 5.2


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
    if name in ("BASE64", "UNBASE64"):
        # string base64(binary) and binary unbase64(string): MaxCompute's other
        # functions (help.aliyun.com maxcompute/user-guide/base64 and /unbase64):
        # NULL gives NULL; base64(cast('alibaba' as binary)) is 'YWxpYmFiYQ=='.
        need(1)
        want = "binary" if name == "BASE64" else "string"
        if args[0].type.kind not in (want, "void") and not (want == "string" and args[0].type.kind in ("varchar", "char")):
            raise semantic(n.pos, "function %s cannot match any overloaded functions with (%s), candidates are %s %s(%s)"
                           % (name.lower(), args[0].type, "STRING" if name == "BASE64" else "BINARY",
                              name, want.upper()))
        f = args[0].fn
        import base64 as b64
        import binascii
        if name == "BASE64":
            return Compiled(lambda row: None if f(row) is None else b64.b64encode(f(row)).decode("ascii"), STRING)

        def unbase64(row):
            v = f(row)
            if v is None:
                return None
            try:
                return b64.b64decode(v.encode("utf-8", "surrogateescape"), validate=True)
            except (binascii.Error, ValueError):
                raise runtime("unbase64: '%s' is not Base64" % v[:40])
        return Compiled(unbase64, dt.DataType("binary"))
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
