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


import re
import time

import catalog as cat
import datatypes as dt
import sql_values as sv
from sql_expressions import (BIGINT, STRING, VOID, ColInfo, Compiler, Env, Scope, _hashable,
                             bad_cast, compare_type, no_table, project_timezone, runtime,
                             semantic, set_project_timezone)
from sql_parser import Binary, Parser, SqlError
from sql_query import QueryEngine, _side, partition_value, render_csv

PARTIAL_UPDATE_PROPERTY = "acid.partial.fields.update.enable"

MAX_NAME_BYTES = 128
MAX_COLUMNS = 1200
MAX_PARTITION_LEVELS = 6
MAX_COMMENT_BYTES = 1024
MAX_SQL_BYTES = 2 * 1024 * 1024
_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_COLUMN_NAME = re.compile(r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*$")

__all__ = ["execute", "upsert_rows", "project_timezone", "set_project_timezone", "_hashable"]


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
        # Partial column update (help.aliyun.com .../partial-column-update): a
        # Delta table's property, set when it is created.
        partial = props.get(PARTIAL_UPDATE_PROPERTY, "false").lower()
        if partial not in ("true", "false"):
            raise semantic(ct.pos, "invalid value '%s' of table property %s" % (props[PARTIAL_UPDATE_PROPERTY],
                                                                              PARTIAL_UPDATE_PROPERTY))
        if partial == "true" and not (pk_cols and transactional):
            raise semantic(ct.pos, "%s needs a Delta table (a primary key and 'transactional'='true')"
                           % PARTIAL_UPDATE_PROPERTY)
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
                elif k == PARTIAL_UPDATE_PROPERTY:
                    # The documentation sets it only in CREATE TABLE [INFERRED: refused after]
                    raise semantic(a.pos, "%s cannot be changed after creation" % PARTIAL_UPDATE_PROPERTY)
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
    fresh = store.load_project(project.name)
    project.tables = fresh.tables
    project.txns = fresh.txns
