#!/usr/bin/env python3
"""Extract a DDL corpus from MariaDB's own test suite (package mariadb-test).

Why: the DDL that sync's tests replay while a replication task streams was all
written here, by the same people who wrote the DDL handling, so it only covers
the cases we thought of. MariaDB's test suite holds thousands of table
definition changes nobody here wrote (ALTER with many operations, renames,
CREATE ... SELECT / LIKE, partitions, charsets, generated columns, keyless
tables). This script pulls them out of the mysqltest files, one group per
.test file in file order, so a group can be replayed in one fresh database.
The server decides what is valid: a statement it rejects never reaches the
binlog, so a replayer may simply ignore errors.

Output: JSON lines {"group", "line", "kind": "ddl"|"dml", "sql"}; a summary
line goes to stderr. Only the Python 3 standard library is used.

  scripts/extract-ddl-corpus.py [--root DIR] [--seed N] [--max-statements N]
                                [--max-group N] [--output FILE]
"""
import argparse
import glob
import json
import os
import random
import re
import sys

# mysqltest commands: a line "--cmd ..." or a delimited statement "cmd ...;".
COMMANDS = set("""
append_file assert cat_file change_user character_set chmod connect connection
copy_file copy_files_wildcard dec delimiter die diff_files dirty_close
disconnect echo end end_timer error eval exec exec_in_background execw exit
expr file_exists horizontal_results if inc let list_files
list_files_append_file list_files_write_file lowercase_result mkdir move_file
output partially_sorted_result perl ping query query_attributes
query_horizontal query_vertical real_sleep reap remove_file
remove_files_wildcard replace_column replace_numeric_round replace_regex
replace_result require reset_connection result result_format rmdir
save_master_pos send send_eval send_quit send_shutdown shutdown_server skip
sleep sorted_result source start_timer sync_slave_with_master sync_with_master
system vertical_results wait_for_slave_to_stop while write_file
""".split())
# Commands that only modify how the next query is run or printed; an expected
# error (--error) still applies to the query after them.
MODIFIERS = set("""echo error replace_column replace_numeric_round replace_regex
replace_result sorted_result partially_sorted_result lowercase_result
vertical_results horizontal_results character_set result_format""".split())

DDL = re.compile(r"""(?ix)^(
    create\s+(or\s+replace\s+)?(temporary\s+)?table
  | alter\s+(online\s+)?(ignore\s+)?table
  | drop\s+(temporary\s+)?tables?
  | rename\s+tables?
  | truncate
  | create\s+(or\s+replace\s+)?(online\s+)?(unique\s+|fulltext\s+|spatial\s+)?index
  | drop\s+index)\b""")
DML = re.compile(r"(?i)^(insert|update|delete|replace)\b")
LEADING_COMMENT = re.compile(r"^(\s+|/\*[^!].*?\*/|#[^\n]*\n|--\s[^\n]*\n)+", re.S)

ENGINES_OK = {"innodb", "myisam", "memory", "heap", "aria"}
ENGINE_CLAUSE = re.compile(r"(?i)\bengine\s*=\s*['\"`]?(\w+)")
# Anything matching is skipped: other schemas, objects and engines that may
# not exist, features whose replay depends on files, timing or other sessions.
REJECT = re.compile(r"""(?ix)
    `?\b(mysql|information_schema|performance_schema|sys|test|mysqltest\w*)`?\s*\.\s*[`\w]
  | \b(table|tables|into|from|join|update|like|to|exists|references)\s+`?\w+`?\s*\.\s*[`\w]
  | \b(merge|mrg_myisam|csv|archive|blackhole|federated|federatedx|connect|spider
      |rocksdb|tokudb|s3|sequence|example|oqgraph|mroonga|seq_\d+_to_\d+)\b
  | \bnext\s+value\s+for\b | \b(nextval|lastval|setval)\s*\(
  | \bsystem\s+versioning\b | \bperiod\s+for\b | \bsystem_time\b
  | \bload_file\b | \bload\s+data\b | \binto\s+(out|dump)file\b
  | \bencrypted\s*= | \bencryption_key_id\b | \b(data|index)\s+directory\b
  | \$[a-z_{] | \btablespace\b | \b(sleep|benchmark|get_lock)\s*\(""")
MAX_SQL = 4000
RICH = re.compile(r"(?im)^\s*(alter\s+(online\s+|ignore\s+)*table|rename\s+table"
                  r"|create\s+(or\s+replace\s+)?table\s+.*\b(like|select)\b)")


def parse_test(text):
    """Return [(line, sql)] for the top-level SQL statements of a mysqltest
    file that are expected to succeed. Commands and blocks are interpreted
    just enough to know which text is SQL (mirrors mysqltest's read_line)."""
    lines = text.split("\n")
    out, i = [], 0
    st = {"delim": ";", "depth": 0, "error": False, "off": False,
          "send": False, "sent": None}

    def command(word, rest):
        """Interpret a mysqltest command; False stops the file (exit)."""
        nonlocal i
        if st["off"]:  # inside --disable_parsing / --disable_testcase
            st["off"] = word not in ("enable_parsing", "enable_testcase")
            return True
        if word in ("disable_parsing", "disable_testcase"):
            st["off"] = True
        elif word == "delimiter" and rest.split():
            st["delim"] = rest.split()[0]
        elif word == "error":
            st["error"] = rest.strip() != "0"
        elif word in ("perl", "write_file", "append_file"):  # skip text block
            args, n = rest.split(), 0 if word == "perl" else 1
            end = args[n] if len(args) > n else "EOF"
            while i < len(lines) and lines[i].strip() != end:
                i += 1
            i += 1
        elif word in ("send", "query") and rest.strip():
            st["send"] = word == "send"
            return statement(rest.strip().removesuffix(st["delim"]))
        elif word == "send":
            st["send"] = True
        elif word == "reap" and st["error"] and st["sent"] is not None:
            out[st["sent"]] = None  # the sent statement failed
        elif word in ("exit", "die", "skip") and st["depth"] == 0:
            return False
        if word not in MODIFIERS and not word.startswith(("disable_", "enable_")):
            st["error"] = False
        return True

    def statement(stmt):
        stmt = stmt.strip()
        word = re.match(r"\w*", stmt).group(0).lower()
        if word in ("if", "while") and not st["off"]:
            st["depth"] += 1
        elif word in COMMANDS or word.startswith(("disable_", "enable_")):
            return command(word, stmt[len(word):])
        elif stmt and not st["off"]:
            if st["depth"] == 0 and not st["error"]:
                out.append((start, stmt))
                st["sent"] = len(out) - 1 if st["send"] else None
            st["error"] = st["send"] = False
        return True

    buf, start, quote, slash = "", 0, None, False
    while i < len(lines):
        line, lineno = lines[i].rstrip("\r"), i + 1
        i += 1
        pos = 0
        while pos < len(line):
            if not buf:  # start of a command: mysqltest's R_LINE_START
                s = line[pos:].lstrip()
                pos = len(line) - len(s)
                if not s:
                    break
                start = lineno
                if s.startswith("--"):  # a one-line command
                    word = re.match(r"\w*", s[2:].strip()).group(0)
                    if not command(word.lower(), s[2:].strip()[len(word):]):
                        return [x for x in out if x]
                if s[0] == "}" and not st["off"] and not re.match(r"}\s*else\s*{", s):
                    st["depth"] = max(0, st["depth"] - 1)  # end of if/while
                if s[0] in "#-}":  # comment, command or end of a block
                    break
            c = line[pos]
            if quote:
                if slash:
                    slash = False
                elif c == "\\":
                    slash = True
                elif c == quote:
                    quote = None
            elif line.startswith(st["delim"], pos):
                stmt, buf, pos = buf, "", pos + len(st["delim"])
                if not statement(stmt):
                    return [x for x in out if x]
                continue
            elif c == "{" and re.match(r"(?i)(if|while)\b", buf):
                stmt, buf, pos = buf, "", pos + 1
                statement(stmt)
                continue
            elif c in "'\"`" and not buf.endswith("\\"):
                quote = c
            buf += c
            pos += 1
        if buf:
            buf += "\n"
    return [x for x in out if x]


def classify(sql):
    """'ddl', 'dml' or None (not wanted / unsafe to replay)."""
    if len(sql) > MAX_SQL or re.search(r"[\udc80-\udcff]", sql):  # not UTF-8
        return None
    body = LEADING_COMMENT.sub("", sql)
    kind = "ddl" if DDL.match(body) else "dml" if DML.match(body) else None
    bare = re.sub(r"'(\\.|[^'\\])*'|\"(\\.|[^\"\\])*\"|`[^`]*`", "", body)
    if kind is None or REJECT.search(body) or ";" in bare.rstrip().rstrip(";"):
        return None  # unwanted, or several statements (other delimiter)
    if any(e.lower() not in ENGINES_OK for e in ENGINE_CLAUSE.findall(body)):
        return None
    return kind


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default="/usr/share/mysql/mysql-test")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-statements", type=int, default=3000,
                    help="cap on DDL statements in the sample (default 3000)")
    ap.add_argument("--max-group", type=int, default=40,
                    help="keep at most this many DDL of one file: a prefix, "
                         "so a group stays replayable (default 40)")
    ap.add_argument("--output", default="-")
    args = ap.parse_args()

    files = sorted(glob.glob(os.path.join(args.root, "main", "*.test")) +
                   glob.glob(os.path.join(args.root, "suite", "*", "t", "*.test")))
    # Weighted shuffle (Efraimidis-Spirakis): files that alter, rename or
    # copy tables come first more often than the many create/insert/drop ones.
    rng, keys = random.Random(args.seed), {}
    for path in files:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            weight = 1 + min(5, len(RICH.findall(f.read())))
        keys[path] = rng.random() ** (1.0 / weight)
    files.sort(key=keys.get, reverse=True)
    groups, total, scanned = [], 0, 0
    for path in files:
        if total >= args.max_statements:
            break
        scanned += 1
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        group, nddl = [], 0
        for line, sql in parse_test(text):
            kind = classify(sql)
            if kind == "ddl":
                if nddl >= min(args.max_group, args.max_statements - total):
                    break
                nddl += 1
            if kind:
                group.append((line, kind, sql))
        if nddl:
            groups.append((os.path.relpath(path, args.root), group))
            total += nddl

    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    ndml = 0
    for name, group in sorted(groups):
        for line, kind, sql in group:
            ndml += kind == "dml"
            out.write(json.dumps({"group": name, "line": line, "kind": kind,
                                  "sql": sql}, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    print(f"corpus: {len(groups)} groups, {total} DDL statements, {ndml} DML "
          f"statements from {scanned} files scanned", file=sys.stderr)


if __name__ == "__main__":
    main()
