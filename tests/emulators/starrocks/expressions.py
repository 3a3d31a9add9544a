"""Evaluation of the small expression language shared by SQL WHERE clauses, SELECT items and
the Stream Load `columns` / `where` headers.

Values are carried as (TypeSpec or None, value). A typed value is a stored column value; an
untyped one is a literal (str for strings and numbers, None for NULL, bool). Comparing a typed
value with a literal casts the literal to the column type first, as StarRocks does.
"""

import datetime
import decimal
import fnmatch

import values


class EvalError(Exception):
    pass


def _num(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    try:
        return decimal.Decimal(str(v))
    except decimal.InvalidOperation:
        raise EvalError("not a number: %r" % (v,))


def _cmp_values(a, b):
    (ta, va), (tb, vb) = a, b
    if va is None or vb is None:
        return None
    if ta is not None and tb is None:
        try:
            vb = values.convert_text(ta, vb if isinstance(vb, str) else str(int(vb) if isinstance(vb, bool) else vb))
            return _order(values.compare_key(ta, va), values.compare_key(ta, vb))
        except values.ConvertError:
            return _order(str(values.render(ta, va)), str(vb))
    if tb is not None and ta is None:
        r = _cmp_values(b, a)
        return None if r is None else -r
    if ta is not None and tb is not None:
        return _order(values.compare_key(ta, va), values.compare_key(tb, vb))
    try:
        return _order(_num(va), _num(vb))
    except EvalError:
        return _order(str(va), str(vb))


def _order(x, y):
    return (x > y) - (x < y)


def truthy(tv):
    t, v = tv
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    try:
        return _num(v) != 0
    except EvalError:
        return False


class Env:
    """Name resolution for column references. `lookup(name)` returns (TypeSpec|None, value) or
    raises KeyError. `funcs` maps lower-case function names to callables."""

    def __init__(self, lookup, funcs=None, variables=None):
        self.lookup = lookup
        self.funcs = funcs or {}
        self.variables = variables or {}


def evaluate(e, env):
    k = e[0]
    if k == "lit":
        if e[2] == "bool":
            return (None, e[1])
        return (None, e[1])
    if k == "col":
        try:
            return env.lookup(e[1])
        except KeyError:
            raise EvalError("Unknown column '%s'" % e[1])
    if k == "var":
        if e[1] in env.variables:
            return (None, env.variables[e[1]])
        raise EvalError("Unknown system variable '%s'" % e[1])
    if k == "cmp":
        a, b = evaluate(e[2], env), evaluate(e[3], env)
        op = e[1]
        if op == "<=>":
            if a[1] is None or b[1] is None:
                return (None, a[1] is None and b[1] is None)
            return (None, _cmp_values(a, b) == 0)
        r = _cmp_values(a, b)
        if r is None:
            return (None, None)
        return (None, {"=": r == 0, "!=": r != 0, "<>": r != 0, "<": r < 0, "<=": r <= 0,
                       ">": r > 0, ">=": r >= 0}[op])
    if k == "and":
        a, b = evaluate(e[1], env), evaluate(e[2], env)
        if (a[1] is not None and not truthy(a)) or (b[1] is not None and not truthy(b)):
            return (None, False)
        if a[1] is None or b[1] is None:
            return (None, None)
        return (None, True)
    if k == "or":
        a, b = evaluate(e[1], env), evaluate(e[2], env)
        if truthy(a) or truthy(b):
            return (None, True)
        if a[1] is None or b[1] is None:
            return (None, None)
        return (None, False)
    if k == "not":
        a = evaluate(e[1], env)
        if a[1] is None:
            return (None, None)
        return (None, not truthy(a))
    if k == "isnull":
        a = evaluate(e[1], env)
        return (None, (a[1] is None) != e[2])
    if k == "in":
        a = evaluate(e[1], env)
        if a[1] is None:
            return (None, None)
        hit = any(_cmp_values(a, evaluate(x, env)) == 0 for x in e[2])
        return (None, hit != e[3])
    if k == "like":
        a, b = evaluate(e[1], env), evaluate(e[2], env)
        if a[1] is None or b[1] is None:
            return (None, None)
        sa = a[1] if a[0] is None else str(values.render(a[0], a[1]))
        pat = str(b[1]).replace("*", "[*]").replace("?", "[?]").replace("%", "*").replace("_", "?")
        return (None, fnmatch.fnmatchcase(str(sa), pat) != e[3])
    if k == "arith":
        a, b = evaluate(e[2], env), evaluate(e[3], env)
        if a[1] is None or b[1] is None:
            return (None, None)
        x, y = _num(a[1]), _num(b[1])
        if isinstance(x, float) or isinstance(y, float):
            x, y = float(x), float(y)
        op = e[1]
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "/":
            if y == 0:
                return (None, None)
            r = decimal.Decimal(x) / decimal.Decimal(y)
        else:
            if y == 0:
                return (None, None)
            r = x % y
        return (None, str(r))
    if k == "func":
        name = e[1]
        f = env.funcs.get(name)
        if f is None:
            if name in ("now", "current_timestamp", "localtime", "localtimestamp"):
                return (None, datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
            if name in ("curdate", "current_date"):
                return (None, datetime.date.today().isoformat())
            if name == "ifnull" and len(e[2]) == 2:
                a = evaluate(e[2][0], env)
                return a if a[1] is not None else evaluate(e[2][1], env)
            if name == "concat":
                parts = [evaluate(x, env) for x in e[2]]
                if any(p[1] is None for p in parts):
                    return (None, None)
                return (None, "".join(str(p[1]) if p[0] is None else str(values.render(p[0], p[1])) for p in parts))
            if name in ("lower", "upper") and len(e[2]) == 1:
                a = evaluate(e[2][0], env)
                if a[1] is None:
                    return a
                s = str(a[1]) if a[0] is None else str(values.render(a[0], a[1]))
                return (None, s.lower() if name == "lower" else s.upper())
            raise EvalError("No matching function with signature: %s" % name)
        return f([evaluate(x, env) for x in e[2]] if name != "count" else e[2])
    if k == "case":
        operand = evaluate(e[1], env) if e[1] is not None else None
        arms = e[2]
        for i in range(0, len(arms), 2):
            if operand is None:
                hit = truthy(evaluate(arms[i], env))
            else:
                w = evaluate(arms[i], env)
                hit = operand[1] is not None and w[1] is not None and _cmp_values(operand, w) == 0
            if hit:
                return evaluate(arms[i + 1], env)
        return evaluate(e[3], env)
    if k == "cast":
        # docs.starrocks.io sql-functions/cast: `cast(input as type)`, e.g.
        # cast('9.5' as DECIMAL(10,2)) is 9.50. A text the type cannot hold
        # casts to NULL (the non-strict cast of the FE's planner; unverified
        # against a cluster, the docs are silent).
        try:
            target = values.make_type(e[2], e[3])
        except values.TypeError_ as err:
            raise EvalError(str(err))
        a = evaluate(e[1], env)
        if a[1] is None:
            return (target, None)
        text = a[1] if a[0] is None else values.render(a[0], a[1])
        if isinstance(text, bool):
            text = "1" if text else "0"
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        try:
            return (target, values.convert_text(target, str(text)))
        except values.ConvertError:
            return (target, None)
    if k == "interval":
        raise EvalError("interval outside of a partition clause")
    raise EvalError("unsupported expression")


def column_refs(e, out=None):
    """Names referenced by an expression (for Stream Load planning errors)."""
    if out is None:
        out = []
    if not isinstance(e, tuple):
        return out
    if e and e[0] == "col":
        out.append(e[1])
        return out
    for x in e[1:]:
        if isinstance(x, tuple):
            column_refs(x, out)
        elif isinstance(x, list):
            for y in x:
                column_refs(y, out)
    return out


def expr_text(e):
    """Column heading for an un-aliased SELECT item, roughly as StarRocks prints it."""
    k = e[0]
    if k == "lit":
        if e[2] == "str":
            return "'%s'" % e[1]
        if e[2] == "null":
            return "NULL"
        if e[2] == "bool":
            return "TRUE" if e[1] else "FALSE"
        return e[1]
    if k == "col":
        return e[1]
    if k == "var":
        return "@@" + e[1]
    if k == "func":
        if e[2] and e[2][0][0] == "star":
            return "%s(*)" % e[1]
        return "%s(%s)" % (e[1], ", ".join(expr_text(a) for a in e[2]))
    if k == "cmp":
        return "%s %s %s" % (expr_text(e[2]), e[1], expr_text(e[3]))
    if k == "arith":
        return "%s %s %s" % (expr_text(e[2]), e[1], expr_text(e[3]))
    return "expr"
