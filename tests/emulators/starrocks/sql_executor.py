"""Executes parsed SQL statements of one MySQL session against the catalog (§2; behaviours
49-55). Errors are MySQL ERR results with StarRocks' codes and texts (§2.1, ErrorCode.java).
"""

import datetime
import json
import re
import time
import uuid

import expressions
import values
from catalog import Column, Table
from mysql_protocol import (Result, T_DATE, T_DATETIME, T_DOUBLE, T_FLOAT, T_LONG, T_LONGLONG,
                            T_NEWDECIMAL, T_SHORT, T_TINY, T_VAR_STRING, T_BLOB)
from sql_lexer import SqlSyntaxError
from sql_parser import parse
from transactions import LabelAlreadyExists, TxnError

DB_NAME_RE = re.compile(r"^[a-zA-Z]\w{0,255}$|^_[a-zA-Z0-9]\w{0,254}$", re.ASCII)   # FeNameFormat
TABLE_NAME_RE = re.compile(r"^[^\0]{1,1024}$")
COLUMN_NAME_RE = re.compile(r"^[^\0=<>!*]{1,1024}$")
SYSTEM_DBS = ("_statistics_", "information_schema", "sys")
PK_TYPES = ("BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT", "VARCHAR", "DATE", "DATETIME")


class SqlError(Exception):
    def __init__(self, code, state, msg):
        Exception.__init__(self, msg)
        self.code, self.state, self.msg = code, state, msg


def analysis_error(msg):
    # SemanticException -> "Getting analyzing error. Detail message: ..." (ERROR 1064 (HY000))
    return SqlError(1064, "HY000", "Getting analyzing error. Detail message: %s%s" % (msg, "" if msg.endswith(".") else "."))


def ddl_error(msg):
    return SqlError(1064, "HY000", msg)


def _type_code(t):
    b = t.base
    return {"TINYINT": T_TINY, "BOOLEAN": T_TINY, "SMALLINT": T_SHORT, "INT": T_LONG, "BIGINT": T_LONGLONG,
            "LARGEINT": T_VAR_STRING, "FLOAT": T_FLOAT, "DOUBLE": T_DOUBLE, "DECIMAL": T_NEWDECIMAL,
            "DATE": T_DATE, "DATETIME": T_DATETIME, "VARBINARY": T_BLOB}.get(b, T_VAR_STRING)


def starrocks_type_name(t):
    """Type.toString() style used in 'type not supported' messages."""
    if t.base == "DECIMAL":
        kind = "DECIMAL32" if t.precision <= 9 else "DECIMAL64" if t.precision <= 18 else "DECIMAL128"
        return "%s(%d,%d)" % (kind, t.precision, t.scale)
    if t.base in ("CHAR", "VARCHAR", "VARBINARY"):
        return "%s(%d)" % (t.base, t.length)
    return t.base


class Session:
    def __init__(self, app, user, conn_id):
        self.app = app
        self.user = user
        self.conn_id = conn_id
        self.db = None
        self.vars = {}

    # ------------------------------------------------------------------ errors by version
    def unknown_db(self, name):
        if self.app.version_tuple >= (3, 3):
            return SqlError(5501, "3F000", "Unknown database '%s'" % name)
        return SqlError(1049, "42000", "Unknown database '%s'" % name)

    def unknown_table(self, name):
        if self.app.version_tuple >= (3, 3):
            return SqlError(5502, "42602", "Unknown table '%s'" % name)
        return SqlError(1051, "42S02", "Unknown table '%s'" % name)

    def no_db(self):
        return SqlError(1046, "3D000", "No database selected")

    # ------------------------------------------------------------------ entry
    def execute(self, sql):
        if not sql.strip() or sql.strip() == ";":
            return Result.err(1065, "42000", "Query was empty")
        try:
            try:
                stmt = parse(sql)
            except SqlSyntaxError as e:
                msg = str(e)
                if msg.startswith("EMULATOR_UNSUPPORTED:"):
                    return Result.err(1064, "HY000", "Emulator does not support this statement: " + msg.split(":", 1)[1])
                if not msg.startswith("Getting syntax error"):
                    msg = "Getting syntax error at line %d, column %d. Detail message: %s." % (e.line, e.col, msg)
                return Result.err(1064, "HY000", msg)
            fn = getattr(self, "x_" + stmt["kind"])
            return fn(stmt)
        except SqlError as e:
            return Result.err(e.code, e.state, e.msg)
        except expressions.EvalError as e:
            return Result.err(1064, "HY000", "Getting analyzing error. Detail message: %s." % e)
        except Exception as e:   # an emulator bug must not kill the connection
            import traceback
            traceback.print_exc()
            return Result.err(1064, "HY000", "emulator internal error: %r" % (e,))

    # ------------------------------------------------------------------ helpers
    def _db_name(self, db):
        name = db or self.db
        if not name:
            raise self.no_db()
        return name

    def _db(self, db):
        name = self._db_name(db)
        d = self.app.state.get_db(name)
        if d is None:
            raise self.unknown_db(name)
        return d

    def _table(self, db, table):
        d = self._db(db)
        t = d.tables.get(table)
        if t is None:
            raise self.unknown_table(table)
        return d, t

    def _funcs(self):
        app = self.app
        return {
            "current_version": lambda a: (None, app.full_version),
            "version": lambda a: (None, "5.1.0"),
            "database": lambda a: (None, self.db),
            "schema": lambda a: (None, self.db),
            "user": lambda a: (None, "'%s'@'127.0.0.1'" % self.user),
            "current_user": lambda a: (None, "'%s'@'%%'" % self.user),
            "connection_id": lambda a: (None, str(self.conn_id)),
            "last_query_id": lambda a: (None, str(uuid.uuid4())),
        }

    def _variables(self):
        v = {"version_comment": "StarRocks version %s" % self.app.full_version, "version": "5.1.0",
             "auto_increment_increment": "1", "character_set_client": "utf8", "character_set_connection": "utf8",
             "character_set_results": "utf8", "character_set_server": "utf8", "collation_server": "utf8_general_ci",
             "collation_connection": "utf8_general_ci", "init_connect": "", "interactive_timeout": "3600",
             "license": "Elastic License 2.0", "lower_case_table_names": "0", "max_allowed_packet": "33554432",
             "net_buffer_length": "16384", "net_write_timeout": "60", "query_cache_size": "1048576",
             "query_cache_type": "0", "sql_mode": "ONLY_FULL_GROUP_BY", "system_time_zone": "UTC",
             "time_zone": "Asia/Shanghai", "tx_isolation": "REPEATABLE-READ",
             "transaction_isolation": "REPEATABLE-READ", "wait_timeout": "28800", "autocommit": "1",
             "query_timeout": "300", "sql_select_limit": "18446744073709551615", "tx_read_only": "0",
             "transaction_read_only": "0", "language": "/starrocks/share/english/",
             "performance_schema": "0", "have_query_cache": "YES", "sql_safe_updates": "0"}
        v.update(self.vars)
        return v

    # ------------------------------------------------------------------ simple statements
    def x_set(self, s):
        for name, val in s["items"]:
            if name == "names":
                continue
            if isinstance(val, tuple):
                tv = expressions.evaluate(val, expressions.Env(lambda n: (None, n), self._funcs(), self._variables()))
                self.vars[name] = "" if tv[1] is None else str(tv[1] if tv[0] is None else values.render(tv[0], tv[1]))
        return Result.ok()

    def x_txn_stmt(self, s):
        return Result.ok()

    def x_admin_set_config(self, s):
        self.app.set_config({s["key"]: s["value"]})
        return Result.ok()

    def x_use(self, s):
        if s["db"] not in SYSTEM_DBS and self.app.state.get_db(s["db"]) is None:
            raise self.unknown_db(s["db"])
        self.db = s["db"]
        return Result.ok()

    def x_show_databases(self, s):
        with self.app.state.lock:
            names = sorted(list(self.app.state.dbs.keys()) + list(SYSTEM_DBS))
        if s["like"]:
            names = [n for n in names if _like(n, s["like"])]
        return Result.rows([("Database", T_VAR_STRING)], [[n] for n in names])

    def x_show_tables(self, s):
        d = self._db(s["db"])
        with self.app.state.lock:
            names = sorted(d.tables.keys())
        if s["like"]:
            names = [n for n in names if _like(n, s["like"])]
        cols = [("Tables_in_%s" % d.name, T_VAR_STRING)]
        if s["full"]:
            cols.append(("Table_type", T_VAR_STRING))
            return Result.rows(cols, [[n, "BASE TABLE"] for n in names])
        return Result.rows(cols, [[n] for n in names])

    def x_show_backends(self, s):
        app = self.app
        cols = ["BackendId", "IP", "HeartbeatPort", "BePort", "HttpPort", "BrpcPort", "LastStartTime",
                "LastHeartbeat", "Alive", "SystemDecommissioned", "ClusterDecommissioned", "TabletNum",
                "DataUsedCapacity", "AvailCapacity", "TotalCapacity", "UsedPct", "MaxDiskUsedPct", "ErrMsg",
                "Version", "Status", "DataTotalCapacity", "DataUsedPct", "CpuCores", "NumRunningQueries",
                "MemUsedPct", "CpuUsedPct", "Location"]
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        rows = []
        for i in range(app.alive_backends):
            rows.append([str(10001 + i), app.host, "9050", "9060", str(app.be_port), "8060", app.start_time_text,
                         now, "true", "false", "false", "0", "0.000 B", "1.000 TB", "1.000 TB", "0.00 %",
                         "0.00 %", "", app.full_version, '{"lastSuccessReportTabletsTime":"%s"}' % now,
                         "0.000 B", "0.00 %", "2", "0", "0.00 %", "0.0 %", ""])
        return Result.rows([(c, T_VAR_STRING) for c in cols], rows)

    def x_show_grants(self, s):
        # StarRocks 3.x shape: UserIdentity, Catalog, Grants
        return Result.rows([("UserIdentity", T_VAR_STRING), ("Catalog", T_VAR_STRING), ("Grants", T_VAR_STRING)],
                           [["'%s'@'%%'" % self.user, None, g] for g in
                            (self.app.grants or ["GRANT 'root' TO '%s'@'%%'" % self.user])])

    def x_show_variables(self, s):
        v = self._variables()
        names = sorted(v)
        if s["like"]:
            names = [n for n in names if _like(n, s["like"])]
        return Result.rows([("Variable_name", T_VAR_STRING), ("Value", T_VAR_STRING)], [[n, v[n]] for n in names])

    def x_describe(self, s):
        d, t = self._table(s["db"], s["table"])
        rows = []
        for c in t.columns:
            rows.append([c.name, c.type.sql(), "YES" if c.nullable else "NO", "true" if c.is_key else "false",
                         _default_text(c), ""])
        return Result.rows([(n, T_VAR_STRING) for n in ("Field", "Type", "Null", "Key", "Default", "Extra")], rows)

    def x_show_partitions(self, s):
        d, t = self._table(s["db"], s["table"])
        names = []
        if t.partition and t.partition["type"] in ("RANGE", "LIST"):
            names = [p["name"] for p in t.partition.get("ranges", t.partition.get("lists", []))]
        elif t.partition:
            names = list(t.auto_partitions)
        else:
            names = [t.name]
        return Result.rows([("PartitionId", T_VAR_STRING), ("PartitionName", T_VAR_STRING)],
                           [[str(t.id + i + 1), n] for i, n in enumerate(names)])

    def x_show_create_table(self, s):
        d, t = self._table(s["db"], s["table"])
        return Result.rows([("Table", T_VAR_STRING), ("Create Table", T_VAR_STRING)], [[t.name, show_create(t)]])

    # ------------------------------------------------------------------ databases
    def x_create_database(self, s):
        name = s["db"]
        if not DB_NAME_RE.match(name):
            raise SqlError(1102, "42000", "Incorrect database name '%s'" % name)
        with self.app.state.lock:
            if name in self.app.state.dbs or name in SYSTEM_DBS:
                if s["if_not_exists"]:
                    return Result.ok()
                raise SqlError(1007, "HY000", "Can't create database '%s'; database exists" % name)
            from catalog import Database
            self.app.state.dbs[name] = Database(self.app.state.new_id(), name)
            self.app.state.save()
        return Result.ok()

    def x_drop_database(self, s):
        name = s["db"]
        with self.app.state.lock:
            if name not in self.app.state.dbs:
                if s["if_exists"]:
                    return Result.ok()
                raise SqlError(1008, "HY000", "Can't drop database '%s'; database doesn't exist" % name)
            del self.app.state.dbs[name]
            self.app.state.jobs = [j for j in self.app.state.jobs if j["db"] != name]
            self.app.state.save()
        if self.db == name:
            self.db = None
        return Result.ok()

    # ------------------------------------------------------------------ tables
    def _check_column_name(self, name):
        if not COLUMN_NAME_RE.match(name) or name.lower().startswith("__starrocks_shadow_") \
                or name.lower().startswith("__sr_shadow_") or name.lower().startswith("__op") \
                or name.lower().startswith("__row"):
            # __op / __row prefixes are reserved load-time columns (§1.7)
            raise SqlError(1166, "42000", "Incorrect column name '%s'" % name)

    def _build_column(self, cd, keys_type=None):
        self._check_column_name(cd["name"])
        try:
            t = values.make_type(cd["type_name"], cd["type_args"])
        except values.TypeError_ as e:
            raise analysis_error(str(e))
        if cd.get("agg"):
            raise analysis_error("Aggregate type %s is not allowed for column '%s' in this table model" % (cd["agg"], cd["name"]))
        default = cd["default"]
        if default is not None:
            if isinstance(default, dict):
                if t.base != "DATETIME":
                    raise analysis_error("Invalid default value for '%s': CURRENT_TIMESTAMP is only supported for DATETIME" % cd["name"])
            else:
                if t.base in ("JSON", "VARBINARY"):
                    raise analysis_error("Invalid default value for '%s': %s type does not support default value" % (cd["name"], t.base))
                try:
                    conv = values.convert_text(t, default)
                except values.ConvertError:
                    raise analysis_error("Invalid default value for '%s': %s" % (cd["name"], default))
                if not values.check_length(t, conv):
                    raise analysis_error("Default value is too long: %s" % default)
        if cd["auto_increment"]:
            raise SqlError(1064, "HY000", "Emulator does not support AUTO_INCREMENT columns")
        nullable = cd["nullable"]
        return Column(cd["name"], t, True if nullable is None else nullable, default, cd["comment"], cd["is_key"]), nullable

    def x_create_table(self, s):
        app = self.app
        with app.state.lock:
            d = self._db(s["db"])
            name = s["table"]
            if not TABLE_NAME_RE.match(name):
                raise SqlError(1104, "42000", "Incorrect table name '%s'" % name)
            if name in d.tables:
                if s["if_not_exists"]:
                    return Result.ok()
                raise SqlError(1050, "42S01", "Table '%s' already exists" % name)
            if s["engine"] and s["engine"].upper() != "OLAP":
                raise SqlError(1064, "HY000", "Emulator supports only ENGINE=OLAP tables")
            cols, explicit_null = [], {}
            seen = set()
            for cd in s["columns"]:
                c, en = self._build_column(cd)
                if c.name.lower() in seen:
                    raise SqlError(1060, "42S21", "Duplicate column name '%s'" % c.name)
                seen.add(c.name.lower())
                cols.append(c)
                explicit_null[c.name.lower()] = en
            keys_type = s["keys_type"] or "DUPLICATE"
            if keys_type in ("UNIQUE", "AGGREGATE"):
                raise SqlError(1064, "HY000", "Emulator supports only PRIMARY KEY and DUPLICATE KEY tables")
            key_names = s["keys"]
            if not key_names:
                key_names = [cols[0].name] if keys_type == "DUPLICATE" else []
            by_lower = {c.name.lower(): c for c in cols}
            # KeysDesc.analyze (behaviours 49-50)
            for k in key_names:
                if k.lower() not in by_lower:
                    raise analysis_error("Key column(%s) doesn't exist." % k)
            for i, k in enumerate(key_names):
                if i >= len(cols) or cols[i].name.lower() != k.lower():
                    raise analysis_error("Key columns should be a ordered prefix of the schema.")
            key_names = [cols[i].name for i in range(len(key_names))]
            if keys_type == "PRIMARY":
                for c in cols[:len(key_names)]:
                    if c.type.base not in PK_TYPES:
                        raise analysis_error("primary key column[%s] type not supported: %s" % (c.name, starrocks_type_name(c.type)))
                    if explicit_null[c.name.lower()] is True:
                        raise analysis_error("primary key column[%s] cannot be nullable" % c.name)
                    c.nullable = False
            for c in cols[:len(key_names)]:
                c.is_key = True
            # distribution
            dist = s["distribution"]
            if dist is None:
                if keys_type != "DUPLICATE":
                    raise analysis_error("Currently not support default distribution in %s" % ("PRIMARY_KEYS" if keys_type == "PRIMARY" else keys_type))
                dist = {"type": "RANDOM", "cols": [], "buckets": None}
            if dist["type"] == "RANDOM" and keys_type == "PRIMARY":
                raise analysis_error("Random distribution in PRIMARY_KEYS table is not supported")
            for dc in dist["cols"]:
                if dc.lower() not in by_lower:
                    raise analysis_error("Distribution column(%s) doesn't exist." % dc)
                if keys_type == "PRIMARY" and dc.lower() not in [k.lower() for k in key_names]:
                    raise analysis_error("Distribution column[%s] is not key column" % dc)
            dist = dict(dist, cols=[by_lower[c.lower()].name for c in dist["cols"]])
            if dist["buckets"] is not None and dist["buckets"] <= 0:
                raise analysis_error("Number of hash distribution should be greater than zero.")
            # partitioning
            partition = None
            if s["partition"]:
                partition = self._build_partition(s["partition"], by_lower, keys_type, key_names)
            for oc in s["order_by"]:
                if oc.lower() not in by_lower:
                    raise analysis_error("Unknown column '%s' in order by clause" % oc)
            props = dict(s["properties"])
            rn = props.get("replication_num", "3")
            try:
                rn_i = int(rn)
            except ValueError:
                raise ddl_error("Replication num should be a positive integer: %s" % rn)
            if rn_i <= 0:
                raise ddl_error("Replication num should larger than 0. (suggested 3)")
            if rn_i > app.alive_backends:
                # behaviour 55 (text from StarRocks' docs FAQ)
                ids = ",".join(str(10001 + i) for i in range(app.alive_backends))
                raise ddl_error("Table replication num should be less than or equal to the number of available BE "
                                "nodes. You can change this default by setting the replication_num table properties. "
                                "Current alive backend is [%s]. , table=%s, default_replication_num=3" % (ids, name))
            props["replication_num"] = str(rn_i)
            t = Table(app.state.new_id(), name)
            t.columns = cols
            t.keys_type = keys_type
            t.key_names = key_names
            t.distribution = dist
            t.partition = partition
            t.order_by = [by_lower[c.lower()].name for c in s["order_by"]]
            t.properties = props
            t.comment = s["comment"]
            d.tables[name] = t
            app.state.save()
        return Result.ok()

    def _build_partition(self, p, by_lower, keys_type, key_names):
        column_list = p["type"] == "EXPR" and not p.get("expr")
        if column_list and self.app.version_tuple < (3, 1):
            # PARTITION BY (col, ...) entered the grammar in 3.1 (StarRocks.g4 partitionDesc:
            # identifierList); 3.0 knows only date_trunc / time_slice expressions.
            raise SqlError(1064, "42000", "Getting syntax error. Detail message: Unexpected input '(', "
                                          "the most similar input is {'RANGE', 'LIST', a legal identifier}.")
        cols = []
        for pc in p["cols"]:
            if pc.lower() not in by_lower:
                raise analysis_error("Partition column[%s] does not exist in column list." % pc)
            if keys_type == "PRIMARY" and pc.lower() not in [k.lower() for k in key_names]:
                if column_list or p["type"] == "LIST":
                    # ListPartitionDesc.analyzePartitionColumns: a PK table's value columns are REPLACE-aggregated
                    raise analysis_error("The partition column could not be aggregated column and unique table's "
                                         "partition column must be key column")
                raise analysis_error("Partition column[%s] is not key column" % pc)
            c = by_lower[pc.lower()]
            if (column_list or p["type"] == "LIST") and (
                    c.type.base in ("FLOAT", "DOUBLE", "DECIMAL", "ARRAY", "MAP", "STRUCT")
                    or c.type.base.startswith("DECIMAL")):
                # ListPartitionDesc.analyzePartitionColumns: floating point, decimal and complex types
                raise analysis_error("Invalid partition column '%s': invalid data type %s" % (c.name, c.type.sql(ddl=True)))
            cols.append(c.name)
        out = {"type": p["type"], "cols": cols}
        c0 = by_lower[cols[0].lower()]
        if p["type"] == "EXPR":
            out["expr"] = p.get("expr")
            return out
        if p["type"] == "LIST":
            lists = []
            for part in p["parts"]:
                vals = []
                for tup in part["in"]:
                    try:
                        vals.append(values.convert_text(c0.type, str(tup[0])))
                    except values.ConvertError:
                        raise analysis_error("Invalid list value format: %s" % tup[0])
                lists.append({"name": part["name"], "values": vals})
            out["lists"] = lists
            return out
        if c0.type.base not in ("TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT", "DATE", "DATETIME"):
            raise analysis_error("Invalid range partition column type: %s" % c0.type.sql())
        ranges = []
        prev = None

        def conv(v):
            if isinstance(v, dict):
                return None
            try:
                return values.convert_text(c0.type, str(v))
            except values.ConvertError:
                raise analysis_error("Invalid range value format: %s" % v)
        for part in p["parts"]:
            if part.get("batch"):
                ranges.extend(_expand_batch(c0.type, conv(part["start"]), conv(part["end"]), part["every"]))
                prev = ranges[-1]["upper"] if ranges else prev
            elif "less" in part:
                up = conv(part["less"][0])
                ranges.append({"name": part["name"], "lower": prev, "upper": up})
                prev = up
            else:
                lo, up = conv(part["lower"][0]), conv(part["upper"][0])
                ranges.append({"name": part["name"], "lower": lo, "upper": up})
                prev = up
        out["ranges"] = ranges
        return out

    def x_drop_table(self, s):
        with self.app.state.lock:
            d = self._db(s["db"])
            if s["table"] not in d.tables:
                if s["if_exists"]:
                    return Result.ok()
                raise self.unknown_table(s["table"])
            t = d.tables[s["table"]]
            if t.state != "NORMAL" and not s["force"]:
                raise ddl_error("The table [%s]'s state is %s, cannot be dropped. please cancel the operation on "
                                "olap table firstly. If you want to forcibly drop(cannot be recovered), please use "
                                "\"DROP table FORCE\"." % (t.name, t.state))
            del d.tables[s["table"]]
            for j in self.app.state.jobs:
                if j["table_id"] == t.id and j["state"] not in ("FINISHED", "CANCELLED"):
                    j["state"] = "CANCELLED"
                    j["msg"] = "table is dropped"
                    j["finish_time"] = time.time()
            self.app.state.save()
        return Result.ok()

    def _require_normal(self, t):
        if t.state != "NORMAL":
            # InvalidOlapTableStateException (behaviour 52)
            raise ddl_error('A schema change operation is in progress on the table "%s". Please wait until the '
                            'current operation completes.\nTo check the status of the operation, see '
                            'https://docs.starrocks.io/en-us/latest/sql-reference/sql-statements/data-manipulation/SHOW%%20ALTER'
                            % t.name)

    def x_truncate(self, s):
        with self.app.state.lock:
            d, t = self._table(s["db"], s["table"])
            self._require_normal(t)
            t.rows = {}
            t.dup_rows = []
            self.app.state.save()
        return Result.ok()

    # ------------------------------------------------------------------ ALTER
    def x_alter_table(self, s):
        app = self.app
        with app.state.lock:
            d, t = self._table(s["db"], s["table"])
            clauses = s["clauses"]
            sync_ops = [c for c in clauses if c["op"] in ("rename", "rename_column", "comment", "set")]
            if sync_ops and len(clauses) > 1:
                raise ddl_error("Unsupported operation: rename/comment/set cannot be combined with other alter clauses")
            if sync_ops:
                return self._alter_sync(d, t, sync_ops[0])
            if any(c["op"] == "order_by" for c in clauses):
                raise SqlError(1064, "HY000", "Emulator does not support ALTER TABLE ORDER BY")
            self._require_normal(t)
            cols = [c.copy() for c in t.columns]
            partition_cols = [x.lower() for x in (t.partition or {}).get("cols", [])]
            dist_cols = [x.lower() for x in t.distribution.get("cols", [])]
            for cl in clauses:
                if cl["op"] == "add":
                    for i, cd in enumerate(cl["columns"]):
                        c, _ = self._build_column(cd)
                        if any(x.name.lower() == c.name.lower() for x in cols):
                            raise ddl_error("Can not add column which already exists in base table: %s" % c.name)
                        if cd["is_key"] and t.is_pk():
                            raise ddl_error("Can not add key column %s into primary key table" % c.name)
                        if not c.nullable and c.default is None:
                            raise ddl_error("Can not add column which is not nullable and has no default value: %s" % c.name)
                        pos = cl["position"] if i == 0 else None
                        self._insert_column(cols, c, pos, t)
                elif cl["op"] == "drop":
                    cn = cl["column"]
                    idx = next((i for i, x in enumerate(cols) if x.name.lower() == cn.lower()), None)
                    if idx is None:
                        raise ddl_error("Column does not exists: %s" % cn)
                    if cn.lower() in partition_cols:
                        raise ddl_error("Can not drop partition column[%s]" % cols[idx].name)
                    if cols[idx].is_key and t.is_pk():
                        # behaviour 54
                        raise ddl_error("Can not drop key column in primary data model table")
                    if cn.lower() in dist_cols:
                        raise ddl_error("Distribution column[%s] cannot be dropped." % cols[idx].name)
                    if len(cols) == 1:
                        raise ddl_error("Do not allow remove last column of table: %s" % t.name)
                    del cols[idx]
                elif cl["op"] == "modify":
                    c, explicit = self._build_column(cl["column"])
                    idx = next((i for i, x in enumerate(cols) if x.name.lower() == c.name.lower()), None)
                    if idx is None:
                        raise ddl_error("Column[%s] does not exists" % c.name)
                    old = cols[idx]
                    if old.is_key and t.is_pk():
                        raise ddl_error("Can not modify key column: %s for primary key table" % old.name)
                    if old.nullable and explicit is False:
                        raise ddl_error("Can not change from nullable to non-nullable")
                    if not old.nullable and explicit is None:
                        c.nullable = False
                    if not values.modify_allowed(old.type, c.type):
                        raise ddl_error("Can not change %s to %s" % (starrocks_type_name(old.type), starrocks_type_name(c.type)))
                    c.name = old.name
                    if cl["position"]:
                        del cols[idx]
                        self._insert_column(cols, c, cl["position"], t)
                    else:
                        cols[idx] = c
            timeout = int(s["properties"].get("timeout", "86400"))
            job = app.alter.submit(d, t, cols, timeout)
            app.state.save()
        return Result.ok()

    def _insert_column(self, cols, c, pos, t):
        if pos is None:
            cols.append(c)
            return
        if pos[0] == "first":
            if t.is_pk():
                raise ddl_error("Can not add column at first position of primary key table")
            cols.insert(0, c)
            return
        idx = next((i for i, x in enumerate(cols) if x.name.lower() == pos[1].lower()), None)
        if idx is None:
            raise ddl_error("Column[%s] does not exists" % pos[1])
        if t.is_pk() and idx < len(t.key_names) - 1:
            raise ddl_error("Can not add value column in the middle of key columns")
        cols.insert(idx + 1, c)

    def _alter_sync(self, d, t, cl):
        app = self.app
        if cl["op"] == "rename":
            new = cl["new"]
            if new in d.tables:
                raise SqlError(1050, "42S01", "Table '%s' already exists" % new)
            if not TABLE_NAME_RE.match(new):
                raise SqlError(1104, "42000", "Incorrect table name '%s'" % new)
            self._require_normal(t)
            del d.tables[t.name]
            for j in app.state.jobs:
                if j["table_id"] == t.id:
                    j["table"] = new
            t.name = new
            d.tables[new] = t
        elif cl["op"] == "rename_column":
            if t.state != "NORMAL":
                raise SqlError(5513, "42000", "Can not rename column of table in %s state" % t.state)
            c = t.col(cl["old"])
            if c is None:
                raise ddl_error("Column[%s] does not exists" % cl["old"])
            self._check_column_name(cl["new"])
            if t.col(cl["new"]) is not None and cl["new"].lower() != c.name.lower():
                raise ddl_error("Column name[%s] is already used" % cl["new"])
            old = c.name
            rows = t.all_rows()
            c.name = cl["new"]
            t.key_names = [cl["new"] if k == old else k for k in t.key_names]
            t.distribution["cols"] = [cl["new"] if k == old else k for k in t.distribution["cols"]]
            if t.partition:
                t.partition["cols"] = [cl["new"] if k == old else k for k in t.partition["cols"]]
            t.order_by = [cl["new"] if k == old else k for k in t.order_by]
            for r in rows:
                if old in r:
                    r[cl["new"]] = r.pop(old)
            if t.is_pk():
                t.rows = {t.row_key(r): r for r in rows}
            else:
                t.dup_rows = rows
        elif cl["op"] == "comment":
            t.comment = cl["comment"]
        elif cl["op"] == "set":
            t.properties.update(cl["properties"])
        app.state.save()
        return Result.ok()

    def x_show_alter(self, s):
        app = self.app
        with app.state.lock:
            d = self._db(s["db"])
            jobs = [j for j in app.state.jobs if j["db"] == d.name]
            cols = ["JobId", "TableName", "CreateTime", "FinishTime", "IndexName", "IndexId", "OriginIndexId",
                    "SchemaVersion", "TransactionId", "State", "Msg", "Progress", "Timeout"]
            rows = []
            for j in jobs:
                rows.append({"JobId": j["job_id"], "TableName": j["table"], "CreateTime": _ts(j["create_time"]),
                             "FinishTime": _ts(j["finish_time"]) if j["finish_time"] else None,
                             "IndexName": j["table"], "IndexId": j["table_id"] + 1, "OriginIndexId": j["table_id"],
                             "SchemaVersion": "%d:0" % j["schema_version"], "TransactionId": j["txn_id"],
                             "State": j["state"], "Msg": j["msg"], "Progress": None, "Timeout": j["timeout"]})
        return self._query_virtual(cols, rows, s["where"], s["order"], s["limit"], 0, None)

    # ------------------------------------------------------------------ DML
    def _literal_text(self, e):
        tv = expressions.evaluate(e, expressions.Env(lambda n: (_ for _ in ()).throw(KeyError(n)), self._funcs(), self._variables()))
        if tv[0] is not None:
            return values.render(tv[0], tv[1])
        v = tv[1]
        if isinstance(v, bool):
            return "1" if v else "0"
        return v

    def x_insert(self, s):
        app = self.app
        with app.state.lock:
            d, t = self._table(s["db"], s["table"])
            if s["overwrite"]:
                raise SqlError(1064, "HY000", "Emulator does not support INSERT OVERWRITE")
            if s["columns"] is None:
                targets = [c for c in t.columns]
            else:
                targets = []
                for n in s["columns"]:
                    c = t.col(n)
                    if c is None:
                        raise analysis_error("Unknown column '%s' in '%s'" % (n, t.name))
                    if c in targets:
                        raise SqlError(1110, "42000", "Column '%s' specified twice" % n)
                    targets.append(c)
                for c in t.columns:
                    if c not in targets and c.default is None and not c.nullable:
                        raise SqlError(5002, "HY000", "'%s' must be explicitly mentioned in column permutation" % c.name)
            ops = []
            for vals in s["rows"]:
                if len(vals) != len(targets):
                    raise SqlError(5604, "42601", "Inserted target column count: %d doesn't match select/value column count: %d"
                                   % (len(targets), len(vals)))
                row = {}
                for c in t.columns:
                    if c in targets:
                        raw = self._literal_text(vals[targets.index(c)])
                        if raw is None:
                            row[c.name] = None
                        else:
                            try:
                                row[c.name] = values.convert_text(c.type, str(raw))
                            except values.ConvertError:
                                raise ddl_error("Insert has filtered data in strict mode. Value '%s' can not be "
                                                "converted to %s for column '%s'" % (raw, c.type.sql(), c.name))
                    else:
                        row[c.name] = values.default_value(c.type, c.default)
                    v = row[c.name]
                    if v is None and not c.nullable:
                        raise ddl_error("Insert has filtered data in strict mode. NULL value in non-nullable column '%s'" % c.name)
                    if v is not None and not values.check_length(c.type, v):
                        raise ddl_error("Insert has filtered data in strict mode. String '%s' is too long for column '%s'" % (v, c.name))
                ops.append({"op": "upsert", "row": row})
            label = s["label"] or ("insert_" + str(uuid.uuid4()).replace("-", ""))
            try:
                rt = app.txns.begin(d.name, t.name, label, "insert", 3600)
            except LabelAlreadyExists as e:
                raise SqlError(5082, "42000", str(e))
            except TxnError as e:
                raise analysis_error(str(e))
            rt.ops = ops
            rt.counters.update(total=len(ops), loaded=len(ops))
            app.txns.commit(rt)
        return Result.ok(len(ops), "{'label':'%s', 'status':'VISIBLE', 'txnId':'%d'}" % (label, rt.txn_id))

    def x_update(self, s):
        app = self.app
        with app.state.lock:
            d, t = self._table(s["db"], s["table"])
            if not t.is_pk():
                raise analysis_error("does not support update on non-primary-key table %s" % t.name)
            targets = []
            for name, e in s["set"]:
                c = t.col(name)
                if c is None:
                    raise analysis_error("Unknown column '%s' in '%s'" % (name, t.name))
                if c.name in t.key_names:
                    raise analysis_error("primary key column %s cannot be updated" % c.name)
                targets.append((c, e))
            updated = []
            for r in t.all_rows():
                env = expressions.Env(_row_lookup(t, r), self._funcs(), self._variables())
                if s["where"] is not None and not expressions.truthy(expressions.evaluate(s["where"], env)):
                    continue
                row = dict(r)
                for c, e in targets:
                    tv = expressions.evaluate(e, env)
                    raw = values.render(tv[0], tv[1]) if tv[0] is not None else tv[1]
                    if isinstance(raw, bool):
                        raw = "1" if raw else "0"
                    if raw is None:
                        v = None
                    else:
                        try:
                            v = values.convert_text(c.type, str(raw))
                        except values.ConvertError:
                            raise ddl_error("Update has filtered data in strict mode. Value '%s' can not be "
                                            "converted to %s for column '%s'" % (raw, c.type.sql(), c.name))
                    if v is None and not c.nullable:
                        raise ddl_error("Update has filtered data in strict mode. NULL value in non-nullable column '%s'" % c.name)
                    row[c.name] = v
                updated.append(row)
            label = "update_" + str(uuid.uuid4()).replace("-", "")
            rt = app.txns.begin(d.name, t.name, label, "insert", 3600)
            rt.ops = [{"op": "upsert", "row": r} for r in updated]
            rt.counters.update(total=len(updated), loaded=len(updated))
            app.txns.commit(rt)
        return Result.ok(len(updated), "{'label':'%s', 'status':'VISIBLE', 'txnId':'%d'}" % (label, rt.txn_id))

    def x_delete(self, s):
        app = self.app
        with app.state.lock:
            d, t = self._table(s["db"], s["table"])
            if s["where"] is None and t.is_pk():
                raise analysis_error("Delete must specify where clause to prevent full table delete")
            matched = []
            for r in t.all_rows():
                env = expressions.Env(_row_lookup(t, r), self._funcs(), self._variables())
                if s["where"] is None or expressions.truthy(expressions.evaluate(s["where"], env)):
                    matched.append(r)
            label = "delete_" + str(uuid.uuid4()).replace("-", "")
            rt = app.txns.begin(d.name, t.name, label, "insert", 3600)
            if t.is_pk():
                rt.ops = [{"op": "delete", "row": r} for r in matched]
                rt.counters.update(total=len(matched), loaded=len(matched))
                app.txns.commit(rt)
            else:
                ids = set(id(r) for r in matched)
                t.dup_rows = [r for r in t.dup_rows if id(r) not in ids]
                app.txns.commit(rt)
        return Result.ok(len(matched), "{'label':'%s', 'status':'VISIBLE', 'txnId':'%d'}" % (label, rt.txn_id))

    # ------------------------------------------------------------------ SELECT
    def x_select(self, s):
        if s["from"] is None:
            env = expressions.Env(lambda n: (_ for _ in ()).throw(KeyError(n)), self._funcs(), self._variables())
            cols, row = [], []
            for e, alias in s["items"]:
                if e[0] == "star":
                    raise analysis_error("No tables used")
                tv = expressions.evaluate(e, env)
                name = alias or expressions.expr_text(e)
                v = tv[1]
                if isinstance(v, bool):
                    v = "1" if v else "0"
                if tv[0] is not None:
                    v = values.render(tv[0], v)
                cols.append((name, T_LONGLONG if isinstance(v, str) and re.match(r"^-?\d+$", v) and e[0] == "lit" else T_VAR_STRING))
                row.append(v)
            rows = [row]
            if s["limit"] is not None:
                rows = rows[s["offset"]:s["offset"] + s["limit"]]
            return Result.rows(cols, rows)
        db, name = s["from"]
        if (db or self.db or "").lower() == "information_schema":
            cols, rows = self._information_schema(name)
            return self._query_virtual(cols, rows, s["where"], s["order"], s["limit"], s["offset"], s["items"])
        with self.app.state.lock:
            d, t = self._table(db, name)
            data = [dict(r) for r in t.all_rows()]
            tcols = [c.copy() for c in t.columns]
        return self._query_table(t, tcols, data, s)

    @staticmethod
    def _key_lookup(t, data, where):
        """`key IN (literals)` on a one-column Primary Key: the rows with those
        keys, as StarRocks finds them through its key index, not by evaluating
        the list against every row. Only speed: the WHERE still runs on them."""
        if not where or where[0] != "in" or where[3] or where[1][0] != "col" or not t.is_pk() \
                or len(t.key_names) != 1:
            return data
        col = t.col(where[1][1])
        if col is None or col.name != t.key_names[0]:
            return data
        keys = set()
        try:
            for item in where[2]:
                if item[0] != "lit" or item[1] is None:
                    return data
                keys.add(values.compare_key(col.type, values.convert_text(col.type, str(item[1]))))
            return [r for r in data if values.compare_key(col.type, r.get(col.name)) in keys]
        except (values.ConvertError, TypeError):
            return data

    def _query_table(self, t, tcols, data, s):
        by_lower = {c.name.lower(): c for c in tcols}
        data = self._key_lookup(t, data, s["where"])

        def lookup_for(r):
            def lk(n):
                c = by_lower.get(n.lower())
                if c is None:
                    raise expressions.EvalError("Column '%s' cannot be resolved" % n)
                return (c.type, r.get(c.name))
            return lk
        funcs = self._funcs()
        out = []
        for r in data:
            env = expressions.Env(lookup_for(r), funcs, self._variables())
            if s["where"] is None or expressions.truthy(expressions.evaluate(s["where"], env)):
                out.append(r)
        # count(*) aggregate
        if len(s["items"]) == 1 and s["items"][0][0][0] == "func" and s["items"][0][0][1] == "count":
            e, alias = s["items"][0]
            return Result.rows([(alias or expressions.expr_text(e), T_LONGLONG)], [[str(len(out))]])
        for e, desc in reversed(s["order"]):
            def key(r, e=e):
                tv = expressions.evaluate(e, expressions.Env(lookup_for(r), funcs))
                if tv[0] is not None:
                    return values.compare_key(tv[0], tv[1])
                return (0, 0) if tv[1] is None else (1, tv[1])
            out.sort(key=key, reverse=desc)
        if s["limit"] is not None:
            out = out[s["offset"]:s["offset"] + s["limit"]]
        elif s["offset"]:
            out = out[s["offset"]:]
        cols, getters = [], []
        for e, alias in s["items"]:
            if e[0] == "star":
                for c in tcols:
                    cols.append((c.name, _type_code(c.type)))
                    getters.append(("col", c))
            else:
                if e[0] == "col" and e[1].lower() in by_lower:
                    c = by_lower[e[1].lower()]
                    cols.append((alias or e[1], _type_code(c.type)))   # heading as written
                else:
                    cols.append((alias or expressions.expr_text(e), T_VAR_STRING))
                getters.append(("expr", e))
        rows = []
        for r in out:
            row = []
            for g in getters:
                if g[0] == "col":
                    row.append(values.render(g[1].type, r.get(g[1].name)))
                else:
                    tv = expressions.evaluate(g[1], expressions.Env(lookup_for(r), funcs, self._variables()))
                    v = tv[1]
                    if isinstance(v, bool):
                        v = "1" if v else "0"
                    row.append(values.render(tv[0], v) if tv[0] is not None else v)
            rows.append(row)
        if s.get("distinct"):
            seen, uniq = set(), []
            for r in rows:
                k = tuple(r)
                if k not in seen:
                    seen.add(k)
                    uniq.append(r)
            rows = uniq
        return Result.rows(cols, rows)

    def _query_virtual(self, cols, rows, where, order, limit, offset, items):
        lower = {c.lower(): c for c in cols}

        def lookup_for(r):
            def lk(n):
                c = lower.get(n.lower())
                if c is None:
                    raise expressions.EvalError("Column '%s' cannot be resolved" % n)
                v = r.get(c)
                return (None, v if v is None or isinstance(v, str) else str(v))
            return lk
        out = [r for r in rows if where is None or expressions.truthy(expressions.evaluate(where, expressions.Env(lookup_for(r))))]
        if items and len(items) == 1 and items[0][0][0] == "func" and items[0][0][1] == "count":
            e, alias = items[0]
            return Result.rows([(alias or expressions.expr_text(e), T_LONGLONG)], [[str(len(out))]])
        for e, desc in reversed(order):
            def key(r, e=e):
                v = expressions.evaluate(e, expressions.Env(lookup_for(r)))[1]
                if v is None:
                    return (0, 0, "")
                try:
                    return (1, float(v), "")
                except (TypeError, ValueError):
                    return (2, 0, str(v))
            out.sort(key=key, reverse=desc)
        if limit is not None:
            out = out[offset:offset + limit]
        proj = []
        if not items:
            proj = [(c, ("col", c)) for c in cols]
        else:
            for e, alias in items:
                if e[0] == "star":
                    proj.extend((c, ("col", c)) for c in cols)
                elif e[0] == "col":
                    c = lower.get(e[1].lower())
                    if c is None:
                        raise analysis_error("Column '%s' cannot be resolved" % e[1])
                    proj.append((alias or e[1], ("col", c)))   # heading as written
                else:
                    proj.append((alias or expressions.expr_text(e), ("expr", e)))
        res = []
        for r in out:
            row = []
            for name, g in proj:
                if g[0] == "col":
                    v = r.get(g[1])
                else:
                    v = expressions.evaluate(g[1], expressions.Env(lookup_for(r), self._funcs()))[1]
                row.append(None if v is None else str(v))
            res.append(row)
        return Result.rows([(n, T_VAR_STRING) for n, _ in proj], res)

    def _information_schema(self, name):
        app = self.app
        n = name.lower()
        with app.state.lock:
            dbs = list(app.state.dbs.values())
            if n == "schemata":
                cols = ["CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME", "DEFAULT_COLLATION_NAME", "SQL_PATH"]
                rows = [{"CATALOG_NAME": "def", "SCHEMA_NAME": x, "DEFAULT_CHARACTER_SET_NAME": "utf8",
                         "DEFAULT_COLLATION_NAME": "utf8_general_ci", "SQL_PATH": None}
                        for x in sorted([d.name for d in dbs] + list(SYSTEM_DBS))]
                return cols, rows
            if n == "tables":
                cols = ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE", "VERSION",
                        "ROW_FORMAT", "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH",
                        "INDEX_LENGTH", "DATA_FREE", "AUTO_INCREMENT", "CREATE_TIME", "UPDATE_TIME",
                        "CHECK_TIME", "TABLE_COLLATION", "CHECKSUM", "CREATE_OPTIONS", "TABLE_COMMENT"]
                rows = []
                for d in dbs:
                    for t in d.tables.values():
                        rows.append({"TABLE_CATALOG": "def", "TABLE_SCHEMA": d.name, "TABLE_NAME": t.name,
                                     "TABLE_TYPE": "BASE TABLE", "ENGINE": "StarRocks", "VERSION": None,
                                     "ROW_FORMAT": None, "TABLE_ROWS": len(t.all_rows()), "AVG_ROW_LENGTH": 0,
                                     "DATA_LENGTH": 0, "MAX_DATA_LENGTH": None, "INDEX_LENGTH": None,
                                     "DATA_FREE": None, "AUTO_INCREMENT": None, "CREATE_TIME": _ts(t.create_time),
                                     "UPDATE_TIME": None, "CHECK_TIME": None, "TABLE_COLLATION": "utf8_general_ci",
                                     "CHECKSUM": None, "CREATE_OPTIONS": None, "TABLE_COMMENT": t.comment})
                return cols, rows
            if n == "columns":
                cols = ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION",
                        "COLUMN_DEFAULT", "IS_NULLABLE", "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH",
                        "CHARACTER_OCTET_LENGTH", "NUMERIC_PRECISION", "NUMERIC_SCALE", "DATETIME_PRECISION",
                        "CHARACTER_SET_NAME", "COLLATION_NAME", "COLUMN_TYPE", "COLUMN_KEY", "EXTRA",
                        "PRIVILEGES", "COLUMN_COMMENT", "COLUMN_SIZE", "DECIMAL_DIGITS", "GENERATION_EXPRESSION",
                        "SRS_ID"]
                rows = []
                for d in dbs:
                    for t in d.tables.values():
                        for i, c in enumerate(t.columns):
                            rows.append(_column_row(d, t, c, i + 1))
                return cols, rows
            if n == "tables_config":
                cols = ["TABLE_SCHEMA", "TABLE_NAME", "TABLE_ENGINE", "TABLE_MODEL", "PRIMARY_KEY",
                        "PARTITION_KEY", "DISTRIBUTE_KEY", "DISTRIBUTE_TYPE", "DISTRIBUTE_BUCKET", "SORT_KEY",
                        "PROPERTIES", "TABLE_ID"]
                rows = []
                for d in dbs:
                    for t in d.tables.values():
                        q = lambda xs: ", ".join("`%s`" % x for x in xs)
                        rows.append({"TABLE_SCHEMA": d.name, "TABLE_NAME": t.name, "TABLE_ENGINE": "OLAP",
                                     "TABLE_MODEL": "PRI_KEYS" if t.is_pk() else "DUP_KEYS",
                                     "PRIMARY_KEY": q(t.key_names),
                                     "PARTITION_KEY": q((t.partition or {}).get("cols", [])),
                                     "DISTRIBUTE_KEY": q(t.distribution.get("cols", [])),
                                     "DISTRIBUTE_TYPE": t.distribution["type"],
                                     "DISTRIBUTE_BUCKET": t.distribution.get("buckets") or 0,
                                     "SORT_KEY": q(t.order_by or t.key_names),
                                     "PROPERTIES": json.dumps(t.properties), "TABLE_ID": t.id})
                return cols, rows
        raise self.unknown_table(name)


def _column_row(d, t, c, pos):
    ty = c.type
    b = ty.base
    num_prec = {"TINYINT": 3, "SMALLINT": 5, "INT": 10, "BIGINT": 19, "LARGEINT": 39, "FLOAT": 12,
                "DOUBLE": 22}.get(b)
    num_scale = 0 if b in ("TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT") else None
    if b == "DECIMAL":
        num_prec, num_scale = ty.precision, ty.scale
    char_len = ty.length if b in ("CHAR", "VARCHAR", "VARBINARY") else None
    return {"TABLE_CATALOG": "def", "TABLE_SCHEMA": d.name, "TABLE_NAME": t.name, "COLUMN_NAME": c.name,
            "ORDINAL_POSITION": pos, "COLUMN_DEFAULT": _default_text(c),
            "IS_NULLABLE": "YES" if c.nullable else "NO", "DATA_TYPE": ty.data_type(),
            "CHARACTER_MAXIMUM_LENGTH": char_len, "CHARACTER_OCTET_LENGTH": char_len,
            "NUMERIC_PRECISION": num_prec, "NUMERIC_SCALE": num_scale,
            "DATETIME_PRECISION": 0 if b == "DATETIME" else None,
            "CHARACTER_SET_NAME": "utf8" if b in ("CHAR", "VARCHAR") else None,
            "COLLATION_NAME": "utf8_general_ci" if b in ("CHAR", "VARCHAR") else None,
            "COLUMN_TYPE": "tinyint(1)" if b == "BOOLEAN" else ty.sql(),
            "COLUMN_KEY": ("PRI" if t.is_pk() else "DUP") if c.is_key else "",
            "EXTRA": "", "PRIVILEGES": "SELECT,INSERT,UPDATE,REFERENCES", "COLUMN_COMMENT": c.comment,
            "COLUMN_SIZE": None if b == "BOOLEAN" else (char_len if char_len is not None else num_prec),
            "DECIMAL_DIGITS": num_scale, "GENERATION_EXPRESSION": None, "SRS_ID": None}


def _default_text(c):
    if c.default is None:
        return None
    if isinstance(c.default, dict):
        return "CURRENT_TIMESTAMP"
    return str(c.default)


def _row_lookup(t, r):
    def lk(n):
        c = t.col(n)
        if c is None:
            raise expressions.EvalError("Column '%s' cannot be resolved" % n)
        return (c.type, r.get(c.name))
    return lk


def _ts(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else None


def _like(name, pattern):
    return expressions.evaluate(("like", ("lit", name, "str"), ("lit", pattern, "str"), False),
                                expressions.Env(lambda n: None))[1]


def _expand_batch(t, start, end, every):
    """START (...) END (...) EVERY (INTERVAL n unit | n) range partitions."""
    out = []
    if every[0] == "interval":
        n = int(every[1][1])
        unit = every[2]
        cur = datetime.date.fromisoformat(start[:10])
        stop = datetime.date.fromisoformat(end[:10])
        while cur < stop:
            if unit == "DAY":
                nxt = cur + datetime.timedelta(days=n)
            elif unit == "WEEK":
                nxt = cur + datetime.timedelta(days=7 * n)
            elif unit == "MONTH":
                m = cur.month - 1 + n
                nxt = cur.replace(year=cur.year + m // 12, month=m % 12 + 1, day=1)
            elif unit == "YEAR":
                nxt = cur.replace(year=cur.year + n, month=1, day=1)
            else:
                raise analysis_error("Unsupported time unit '%s'" % unit)
            nxt = min(nxt, stop)
            fmt = {"DAY": "%Y%m%d", "WEEK": "%Y%m%d", "MONTH": "%Y%m", "YEAR": "%Y"}[unit]
            conv = (lambda d: d.isoformat()) if t.base == "DATE" else (lambda d: d.isoformat() + " 00:00:00")
            out.append({"name": "p" + cur.strftime(fmt), "lower": conv(cur), "upper": conv(nxt)})
            cur = nxt
        return out
    n = int(every[1])
    cur = int(start)
    while cur < int(end):
        nxt = min(cur + n, int(end))
        out.append({"name": "p%d" % cur, "lower": cur, "upper": nxt})
        cur = nxt
    return out


def show_create(t):
    lines = []
    for c in t.columns:
        s = "  `%s` %s %s" % (c.name, c.type.sql(ddl=True), "NULL" if c.nullable else "NOT NULL")
        if c.default is not None:
            s += " DEFAULT CURRENT_TIMESTAMP" if isinstance(c.default, dict) else " DEFAULT %s" % values.render_sql_literal(c.type, c.default)
        s += ' COMMENT "%s"' % c.comment.replace('"', '\\"')
        lines.append(s)
    q = lambda xs: ", ".join("`%s`" % x for x in xs)
    out = "CREATE TABLE `%s` (\n%s\n) ENGINE=OLAP \n" % (t.name, ",\n".join(lines))
    out += "%s KEY(%s)\n" % ("PRIMARY" if t.is_pk() else "DUPLICATE", q(t.key_names))
    if t.comment:
        out += 'COMMENT "%s"\n' % t.comment
    p = t.partition
    if p:
        if p["type"] == "EXPR":
            e = p.get("expr")
            out += "PARTITION BY %s\n" % (expressions.expr_text(e) if e else q(p["cols"]))
        elif p["type"] == "RANGE":
            parts = ",\n".join('PARTITION %s VALUES [("%s"), ("%s"))' % (r["name"], r["lower"] if r["lower"] is not None else "-infinity",
                                                                          r["upper"] if r["upper"] is not None else "MAXVALUE")
                               for r in p["ranges"])
            out += "PARTITION BY RANGE(%s)\n(%s)\n" % (q(p["cols"]), parts)
        else:
            parts = ",\n".join('PARTITION %s VALUES IN (%s)' % (l["name"], ", ".join('"%s"' % v for v in l["values"]))
                               for l in p["lists"])
            out += "PARTITION BY LIST(%s)\n(%s)\n" % (q(p["cols"]), parts)
    d = t.distribution
    if d["type"] == "HASH":
        out += "DISTRIBUTED BY HASH(%s)" % q(d["cols"])
    else:
        out += "DISTRIBUTED BY RANDOM"
    if d.get("buckets"):
        out += " BUCKETS %d" % d["buckets"]
    out += " \n"
    if t.order_by:
        out += "ORDER BY(%s)\n" % q(t.order_by)
    props = ",\n".join('"%s" = "%s"' % (k, v) for k, v in sorted(t.properties.items()))
    out += "PROPERTIES (\n%s\n);" % props
    return out
