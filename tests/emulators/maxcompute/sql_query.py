"""Query evaluation of the SQL subset: FROM items (tables with their
partition columns, subqueries, VALUES, joins), WHERE, GROUP BY/HAVING with
aggregates, ROW_NUMBER/RANK/DENSE_RANK windows, projection, DISTINCT,
UNION [ALL], ORDER BY/LIMIT, and the CSV text of a SELECT task result.
Relations are materialised lists of rows; joins hash on equality conjuncts.
"""

import datatypes as dt
import sql_values as sv
from sql_expressions import (AGGREGATES, BIGINT, DOUBLE, STRING, WINDOW_ONLY, ColInfo,
                             Compiler, Relation, Scope, _hashable, _sort_rows, compare_type,
                             node_key, result_type, runtime, semantic, walk_ast)
from sql_parser import Binary, Col, Func, FromQuery, FromTable, FromValues, Join, SetOp, SqlError, Star

MAX_SELECT_ROWS = 10000

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
