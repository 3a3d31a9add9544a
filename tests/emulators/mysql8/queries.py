"""The SQL a MySQL 8.0 primary answers for a replication client (sync, the mariadb client,
mariadb-binlog): each statement is matched whole against the patterns below and answered as
MySQL 8.0.40 answers it (column names, values). Anything else is ERR 1064 naming the
statement, so a client that starts sending a new query fails loudly here.

Every table of a fixture is created by the DDL in its binlog: information_schema lists only
the tables of catalog.py (the seed table), which exist before it.
"""

import re
import time

import catalog
import wire

# MySQL 8.0.40's character sets: (name, default collation, id of that collation, maxlen).
CHARSETS = [
    ("armscii8", "armscii8_general_ci", 32, 1), ("ascii", "ascii_general_ci", 11, 1),
    ("big5", "big5_chinese_ci", 1, 2), ("binary", "binary", 63, 1), ("cp1250", "cp1250_general_ci", 26, 1),
    ("cp1251", "cp1251_general_ci", 51, 1), ("cp1256", "cp1256_general_ci", 57, 1),
    ("cp1257", "cp1257_general_ci", 59, 1), ("cp850", "cp850_general_ci", 4, 1), ("cp852", "cp852_general_ci", 40, 1),
    ("cp866", "cp866_general_ci", 36, 1), ("cp932", "cp932_japanese_ci", 95, 2), ("dec8", "dec8_swedish_ci", 3, 1),
    ("eucjpms", "eucjpms_japanese_ci", 97, 3), ("euckr", "euckr_korean_ci", 19, 2),
    ("gb18030", "gb18030_chinese_ci", 248, 4), ("gb2312", "gb2312_chinese_ci", 24, 2), ("gbk", "gbk_chinese_ci", 28, 2),
    ("geostd8", "geostd8_general_ci", 92, 1), ("greek", "greek_general_ci", 25, 1),
    ("hebrew", "hebrew_general_ci", 16, 1), ("hp8", "hp8_english_ci", 6, 1), ("keybcs2", "keybcs2_general_ci", 37, 1),
    ("koi8r", "koi8r_general_ci", 7, 1), ("koi8u", "koi8u_general_ci", 22, 1), ("latin1", "latin1_swedish_ci", 8, 1),
    ("latin2", "latin2_general_ci", 9, 1), ("latin5", "latin5_turkish_ci", 30, 1), ("latin7", "latin7_general_ci", 41, 1),
    ("macce", "macce_general_ci", 38, 1), ("macroman", "macroman_general_ci", 39, 1), ("sjis", "sjis_japanese_ci", 13, 2),
    ("swe7", "swe7_swedish_ci", 10, 1), ("tis620", "tis620_thai_ci", 18, 1), ("ucs2", "ucs2_general_ci", 35, 2),
    ("ujis", "ujis_japanese_ci", 12, 3), ("utf16", "utf16_general_ci", 54, 4), ("utf16le", "utf16le_general_ci", 56, 4),
    ("utf32", "utf32_general_ci", 60, 4), ("utf8mb3", "utf8mb3_general_ci", 33, 3),
    ("utf8mb4", "utf8mb4_0900_ai_ci", 255, 4),
]
# Non-default collations a binlog of the fixtures (or a common schema) names: (name, charset, id).
EXTRA_COLLATIONS = [
    ("latin1_german1_ci", "latin1", 5), ("latin1_danish_ci", "latin1", 15), ("latin1_german2_ci", "latin1", 31),
    ("latin1_bin", "latin1", 47), ("latin1_general_ci", "latin1", 48), ("latin1_general_cs", "latin1", 49),
    ("latin1_spanish_ci", "latin1", 94), ("ascii_bin", "ascii", 65), ("utf8mb3_bin", "utf8mb3", 83),
    ("utf8mb3_unicode_ci", "utf8mb3", 192), ("utf8mb4_general_ci", "utf8mb4", 45), ("utf8mb4_bin", "utf8mb4", 46),
    ("utf8mb4_unicode_ci", "utf8mb4", 224), ("utf8mb4_unicode_520_ci", "utf8mb4", 246),
    ("utf8mb4_0900_as_cs", "utf8mb4", 278), ("utf8mb4_0900_bin", "utf8mb4", 309),
]
SYSTEM_SCHEMAS = ["information_schema", "mysql", "performance_schema", "sys"]


def collations():
    rows = [(coll, cs, str(cid), "Yes") for cs, coll, cid, _ in CHARSETS if cs != "binary"]
    rows.append(("binary", "binary", "63", "Yes"))
    return rows + [(n, cs, str(cid), "") for n, cs, cid in EXTRA_COLLATIONS]


def norm(sql):
    return " ".join(sql.strip().rstrip(";").split())


def unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"`":
        return s[1:-1]
    return s


class Answer:
    def __init__(self, kind, columns=None, rows=None, code=0, state="", msg=""):
        self.kind, self.columns, self.rows, self.code, self.state, self.msg = kind, columns, rows, code, state, msg


def ok():
    return Answer("ok")


def rows(columns, data):
    return Answer("rows", columns, data)


def err(code, state, msg):
    return Answer("err", code=code, state=state, msg=msg)


class QueryEngine:
    """Answers one session's statements from the server state `app`."""

    def __init__(self, app, session_vars):
        self.app = app
        self.user_vars = session_vars

    def global_variables(self):
        h = self.app.history
        return {
            "log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL", "binlog_row_metadata": "FULL",
            "binlog_checksum": "CRC32" if h.first.crc32 else "NONE", "binlog_expire_logs_seconds": "2592000",
            "expire_logs_days": "0", "gtid_mode": "ON" if h.gtid_mode else "OFF",
            "enforce_gtid_consistency": "ON" if h.gtid_mode else "OFF", "server_id": str(self.app.server_id),
            "server_uuid": self.app.server_uuid, "gtid_executed": str(h.executed()), "gtid_purged": str(h.purged),
            "version": self.app.version, "version_comment": "MySQL Community Server - GPL",
            "collation_server": "utf8mb4_0900_ai_ci", "character_set_server": "utf8mb4",
            "explicit_defaults_for_timestamp": "ON", "lower_case_table_names": "0",
            # MariaDB 11.2's; MySQL 8.0 answers ERR 1193 for it, as for semi-sync's without the plugin
            "character_set_collations": None,
            "binlog_transaction_compression": "OFF", "binlog_row_value_options": "",
            "max_allowed_packet": "67108864", "time_zone": "SYSTEM", "system_time_zone": "UTC",
            "sql_mode": "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                        "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
            "transaction_isolation": "REPEATABLE-READ", "autocommit": "1", "wait_timeout": "28800",
            "net_read_timeout": "30", "net_write_timeout": "60", "rpl_semi_sync_master_enabled": None,
        }

    def variable(self, name):
        name = name.lower()
        for prefix in ("global.", "session.", "local."):
            if name.startswith(prefix):
                name = name[len(prefix):]
        v = self.global_variables()
        if name not in v or v[name] is None:
            return err(1193, "HY000", "Unknown system variable '%s'" % name)
        value = v[name]
        numeric = {"explicit_defaults_for_timestamp": "1", "lower_case_table_names": "0"}
        return numeric.get(name, value)

    def execute(self, sql):
        s = norm(sql)
        for pattern, handler in self.PATTERNS:
            m = re.fullmatch(pattern, s, re.IGNORECASE)
            if m:
                return handler(self, m)
        return err(1064, "42000", "the MySQL 8 emulator does not know this statement (tests/emulators/mysql8/"
                                  "queries.py): %s" % s[:400])

    # ------------------------------------------------------------------ handlers
    def select_variables(self, m):
        names, values = [], []
        for item in m.group(1).split(","):
            expr, _, alias = item.strip().partition(" ")
            alias = alias.strip()
            if alias.lower().startswith("as "):
                alias = alias[3:].strip()
            v = self.variable(expr[2:])
            if isinstance(v, Answer):
                return v
            names.append(unquote(alias) if alias else expr)
            values.append(v)
        return rows(names, [values])

    def select_version_comment(self, m):
        return rows(["@@version_comment"], [["MySQL Community Server - GPL"]])

    def select_function(self, m):
        name = m.group(1).upper()
        values = {"VERSION": self.app.version, "UNIX_TIMESTAMP": str(int(time.time())),
                  "CURRENT_USER": "%s@%%" % self.app.current_user, "USER": "%s@localhost" % self.app.current_user,
                  "DATABASE": None, "CONNECTION_ID": "7"}
        return rows([m.group(0)[7:]], [[values[name]]])

    def set_statement(self, m):
        for assignment in split_top_level(m.group(1)):
            name, _, value = assignment.partition("=")
            name, value = name.strip(), value.strip()
            if name.startswith("@") and not name.startswith("@@"):
                if value.startswith("@@"):
                    v = self.variable(value[2:])
                    if isinstance(v, Answer):
                        return v
                    value = v
                self.user_vars[name[1:].lower()] = unquote(value)
        return ok()

    def show_variables(self, m):
        wanted = [unquote(x).lower() for x in split_top_level(m.group(2))]
        v = self.global_variables()
        return rows(["Variable_name", "Value"], [[n, v[n]] for n in sorted(v) if n in wanted and v[n] is not None])

    def show_variables_like(self, m):
        pattern = "^" + re.escape(unquote(m.group(2))).replace("%", ".*").replace("_", ".") + "$"
        v = self.global_variables()
        return rows(["Variable_name", "Value"],
                    [[n, v[n]] for n in sorted(v) if v[n] is not None and re.match(pattern, n, re.IGNORECASE)])

    def show_binary_logs(self, m):
        h = self.app.history
        return rows(["Log_name", ("File_size", 8), "Encrypted"],
                    [[f.name, str(h.end_of(f)), "No"] for f in h.visible_files()])

    def show_master_status(self, m):
        h = self.app.history
        last = h.visible_files()[-1]
        return rows(["File", ("Position", 8), "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"],
                    [[last.name, str(h.end_of(last)), "", "", str(h.executed())]])

    def show_grants(self, m):
        user = self.app.current_user
        return rows(["Grants for %s@%%" % user],
                    [["GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `%s`@`%%`" % user]])

    def show_replicas(self, m):
        with self.app.lock:
            replicas = list(self.app.replicas.values())
        return rows(["Server_Id", "Host", ("Port", 8), ("Source_Id", 8), "Replica_UUID"],
                    [[str(sid), host, str(port), str(self.app.server_id), ""] for sid, host, port in replicas])

    def show_slave_hosts(self, m):
        with self.app.lock:
            replicas = list(self.app.replicas.values())
        return rows(["Server_id", "Host", ("Port", 8), ("Master_id", 8), "Slave_UUID"],
                    [[str(sid), host, str(port), str(self.app.server_id), ""] for sid, host, port in replicas])

    def schemata(self, m):
        names = sorted(SYSTEM_SCHEMAS + self.app.databases)
        return rows(["SCHEMA_NAME"], [[n] for n in names])

    def schemata_collations(self, m):
        names = sorted(SYSTEM_SCHEMAS + self.app.databases)
        return rows(["SCHEMA_NAME", "DEFAULT_COLLATION_NAME"],
                    [[n, "utf8mb3_general_ci" if n in SYSTEM_SCHEMAS else "utf8mb4_0900_ai_ci"] for n in names])

    def show_full_tables(self, m):
        db = unquote(m.group(1))
        if db not in SYSTEM_SCHEMAS + self.app.databases:
            return err(1049, "42000", "Unknown database '%s'" % db)
        return rows(["Tables_in_%s" % db, "Table_type"],
                    [[t.name, "BASE TABLE"] for t in self.app.tables if t.schema == db])

    def information_schema(self, m):
        got = catalog.select_information_schema(self.app.tables, m.group(2), m.group(3).upper(), m.group(4),
                                                bool(m.group(1)))
        if got is None:
            return err(1064, "42000", "the MySQL 8 emulator cannot evaluate this WHERE: %s" % m.group(0)[:400])
        return rows(*got)

    def table_select(self, m):
        """A snapshot's reads of a table: its rows, the chunk planner's LIMIT 1 OFFSET n, LIMIT 0."""
        db, name = m.group(2), m.group(3)
        table = next((t for t in self.app.tables if (t.schema, t.name) == (db, name)), None)
        if table is None:
            return err(1146, "42S02", "Table '%s.%s' doesn't exist" % (db, name))
        if m.group(4):
            return err(1064, "42000", "the MySQL 8 emulator reads whole tables only: %s" % m.group(0)[:400])
        names = [c.name for c in table.columns]
        types = {c.name: wire.T_LONG if c.data_type == "int" else wire.T_VAR_STRING for c in table.columns}
        wanted = names if m.group(1) == "*" else [unquote(c) for c in m.group(1).split(", ")]
        data = sorted(table.rows, key=lambda r: [int(r[names.index(k)]) for k in table.primary_key])
        if m.group(5) is not None:
            data = data[int(m.group(5)):int(m.group(5)) + 1]
        if m.group(6) is not None:
            data = data[:int(m.group(6))]
        return rows([(c, types[c]) for c in wanted], [[r[names.index(c)] for c in wanted] for r in data])

    def flush_privileges(self, m):
        # MySQL reloads the grant tables and empties caching_sha2_password's cache.
        self.app.accounts.flush_privileges()
        return ok()

    def character_sets(self, m):
        return rows(["CHARACTER_SET_NAME", "DEFAULT_COLLATE_NAME", ("MAXLEN", 8)],
                    [[cs, coll, str(maxlen)] for cs, coll, _, maxlen in CHARSETS])

    def collations_query(self, m):
        return rows(["COLLATION_NAME", "CHARACTER_SET_NAME", ("ID", 8), "IS_DEFAULT"], collations())

    def emulator_commit(self, m):
        """Admin hook (README): the first N transactions of the fixture are written (-1: all)."""
        self.app.commit(int(m.group(1)))
        return ok()

    def emulator_purge(self, m):
        """Admin hook (README): the first N written transactions are in purged binary logs."""
        with self.app.changed:
            self.app.history.purge(int(m.group(1)))
        return ok()

    PATTERNS = [
        (r"SELECT @@version_comment LIMIT 1", select_version_comment),
        (r"SELECT ((?:@@[\w.]+(?: (?:AS )?[`'\"]?\w+[`'\"]?)?(?:, )?)+)", select_variables),
        (r"SELECT (VERSION|UNIX_TIMESTAMP|CURRENT_USER|USER|DATABASE|CONNECTION_ID)\(\)", select_function),
        (r"SET GLOBAL emulator_committed_transactions ?= ?(-?\d+)", emulator_commit),
        (r"SET GLOBAL emulator_purged_transactions ?= ?(\d+)", emulator_purge),
        (r"SET (?:SESSION |LOCAL )?(.*)", set_statement),
        (r"SHOW (GLOBAL |SESSION )?VARIABLES WHERE Variable_name IN \((.*)\)", show_variables),
        (r"SHOW (GLOBAL |SESSION )?VARIABLES LIKE ('[^']*')", show_variables_like),
        (r"SHOW (?:BINARY|MASTER) LOGS", show_binary_logs),
        (r"SHOW MASTER STATUS", show_master_status),
        (r"SHOW GRANTS(?: FOR CURRENT_USER(?:\(\))?)?", show_grants),
        (r"SHOW REPLICAS", show_replicas),
        (r"SHOW SLAVE HOSTS", show_slave_hosts),
        (r"SELECT SCHEMA_NAME FROM information_schema\.SCHEMATA(?: ORDER BY 1)?", schemata),
        (r"SELECT SCHEMA_NAME, DEFAULT_COLLATION_NAME FROM information_schema\.SCHEMATA", schemata_collations),
        (r"SHOW FULL TABLES FROM (`[^`]+`)(?: .*)?", show_full_tables),
        (r"SELECT (DISTINCT )?(.*?) FROM information_schema\.(TABLES|COLUMNS|STATISTICS)(?: (?!WHERE\b|ORDER\b|LEFT\b)\w+)?"
         r"(?: LEFT JOIN information_schema\.COLLATIONS \w+ ON \S+ = \S+)?(?: WHERE (.*?))?(?: ORDER BY [\w., ]+)?",
         information_schema),
        (r"SELECT (\*|`[^`]+`(?:, `[^`]+`)*) FROM `([^`]+)`\.`([^`]+)`(?: WHERE (.+?))?"
         r"(?: ORDER BY [`\w, ]+ LIMIT 1 OFFSET (\d+))?(?: LIMIT (\d+))?", table_select),
        (r"SELECT CHARACTER_SET_NAME, DEFAULT_COLLATE_NAME, MAXLEN FROM information_schema\.CHARACTER_SETS",
         character_sets),
        (r"SELECT COLLATION_NAME, CHARACTER_SET_NAME, ID, IS_DEFAULT FROM information_schema\.COLLATIONS",
         collations_query),
        # A snapshot of databases with no rows: the statements succeed and change nothing.
        (r"START TRANSACTION(?: WITH CONSISTENT SNAPSHOT)?(?:, READ ONLY)?", lambda self, m: ok()),
        (r"(?:COMMIT|ROLLBACK|UNLOCK TABLES|FLUSH TABLES WITH READ LOCK)", lambda self, m: ok()),
        (r"USE `?(\w+)`?", lambda self, m: ok()),
        (r"FLUSH PRIVILEGES", flush_privileges),
    ]


def split_top_level(text):
    """Splits on commas outside quotes and parentheses."""
    out, depth, quote, cur = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur)
    return out
