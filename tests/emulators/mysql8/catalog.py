"""Tables that exist before the binlog's first transaction, as information_schema shows
them, and their rows for a snapshot.

A task needs a table to select at its start (`sync check` refuses a task whose every glob
matches nothing yet), and a snapshot of it runs the MySQL snapshot path. `--seed-table DB`
creates DB.seed, the same on every run:

    CREATE TABLE DB.seed (id INT NOT NULL PRIMARY KEY, note VARCHAR(40)) DEFAULT CHARSET=utf8mb4
    rows (1, 'copied by the snapshot'), (2, NULL)
"""

import re


class Column:
    def __init__(self, name, data_type, column_type, nullable, precision=None, scale=None, charset=None,
                 collation=None, collation_id=None):
        self.name, self.data_type, self.column_type, self.nullable = name, data_type, column_type, nullable
        self.precision, self.scale, self.charset, self.collation, self.collation_id = \
            precision, scale, charset, collation, collation_id


class Table:
    def __init__(self, schema, name, columns, primary_key, rows):
        self.schema, self.name, self.columns, self.primary_key, self.rows = schema, name, columns, primary_key, rows

    def information_schema(self):
        """{view: [row dict]} for TABLES, COLUMNS (joined with COLLATIONS.ID) and STATISTICS."""
        t = {"TABLE_SCHEMA": self.schema, "TABLE_NAME": self.name}
        tables = [dict(t, TABLE_TYPE="BASE TABLE", TABLE_ROWS=str(len(self.rows)),
                       TABLE_COLLATION="utf8mb4_0900_ai_ci", ENGINE="InnoDB")]
        columns = [dict(t, COLUMN_NAME=c.name, ORDINAL_POSITION=str(i + 1), COLUMN_DEFAULT=None,
                        IS_NULLABLE="YES" if c.nullable else "NO", DATA_TYPE=c.data_type, COLUMN_TYPE=c.column_type,
                        NUMERIC_PRECISION=c.precision, NUMERIC_SCALE=c.scale, DATETIME_PRECISION=None,
                        CHARACTER_SET_NAME=c.charset, COLLATION_NAME=c.collation, ID=c.collation_id,
                        COLUMN_KEY="PRI" if c.name in self.primary_key else "")
                   for i, c in enumerate(self.columns)]
        statistics = [dict(t, INDEX_NAME="PRIMARY", NON_UNIQUE="0", SEQ_IN_INDEX=str(i + 1), COLUMN_NAME=k)
                      for i, k in enumerate(self.primary_key)]
        return {"TABLES": tables, "COLUMNS": columns, "STATISTICS": statistics}


def seed_table(schema):
    return Table(schema, "seed",
                 [Column("id", "int", "int", False, precision="10", scale="0"),
                  Column("note", "varchar", "varchar(40)", True, charset="utf8mb4", collation="utf8mb4_0900_ai_ci",
                         collation_id="255")],
                 ["id"], [["1", "copied by the snapshot"], ["2", None]])


ORDER = {"COLUMNS": "ORDINAL_POSITION", "STATISTICS": "SEQ_IN_INDEX", "TABLES": "TABLE_NAME"}


def conditions(where):
    """`[alias.]COL = 'v'` and `[alias.]COL IN ('a', ...)` joined by AND -> [(COL, {values})]."""
    out = []
    for part in re.split(r"\s+AND\s+", where, flags=re.IGNORECASE):
        m = re.fullmatch(r"\(?(?:\w+\.)?(\w+)\s*(=|IN)\s*(.*?)\)?", part.strip(), re.IGNORECASE)
        if not m:
            return None
        values = {v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(3))}
        out.append((m.group(1).upper(), values))
    return out


def select_information_schema(tables, columns_text, view, where, distinct):
    """Answers a SELECT on information_schema.TABLES/COLUMNS/STATISTICS over `tables`, or
    None when the WHERE is not of the simple form above."""
    conds = conditions(where) if where else []
    if conds is None:
        return None
    rows = [r for t in tables for r in t.information_schema()[view]]
    rows = [r for r in rows if all(r.get(col) in values for col, values in conds)]
    key = ORDER[view]
    rows.sort(key=lambda r: (r["TABLE_SCHEMA"], r["TABLE_NAME"], int(r[key]) if r[key].isdigit() else r[key]))
    wanted = [c.strip().split(".")[-1] for c in columns_text.split(",")]
    out = []
    for r in rows:
        line = [r.get(c.upper()) for c in wanted]
        if not distinct or line not in out:
            out.append(line)
    return wanted, out
