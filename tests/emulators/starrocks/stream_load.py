"""Stream Load execution: request headers (§1.6), the header phase checks (§1.5 steps 4-10),
body parsing for CSV and JSON (§3.3), per-row validation and counters (§1.8, §1.9,
behaviours 16-38).

Everything here is pure logic over a Table snapshot; http_be.py drives it and
transactions.py commits the resulting row operations.
"""

import json
import re
import zlib

import expressions
import values
from sql_lexer import SqlSyntaxError
from sql_parser import parse_columns_header, parse_expr

KNOWN_FORMATS = ("csv", "json", "gzip", "bzip2", "lz4", "deflate", "zstd")
JSON_MAX_BYTES = 100 * 1024 * 1024          # streaming_load_max_batch_size_mb = 100 (§1.5 step 6)
BODY_MAX_BYTES = 10240 * 1024 * 1024        # streaming_load_max_mb = 10240 (§1.5 step 4)
EMPTY_LOAD_MESSAGE = "all partitions have no load data"   # behaviour 28
TOO_MANY_FILTERED = "too many filtered rows"               # behaviour 16 / §1.9

MISSING = object()


class LoadFail(Exception):
    """Fails the whole load: Status "Fail" with this Message. `code` is the BE status-code name
    used by the transaction interface (to_resp_json), e.g. INTERNAL_ERROR / INVALID_ARGUMENT."""

    def __init__(self, msg, code="INTERNAL_ERROR"):
        Exception.__init__(self, msg)
        self.code = code


def _bool_header(h, name, what):
    v = h.get(name)
    if v is None:
        return False
    lv = v.strip().lower()
    if lv == "true":
        return True
    if lv == "false":
        return False
    raise LoadFail(what, "INVALID_ARGUMENT")


def decode_separator(s):
    """column_separator / row_delimiter: plain UTF-8, or hex notation \\x01 / \\\\x0D0A (§1.6)."""
    raw = s
    if raw.lower().startswith("\\\\x"):
        raw = raw[1:]
    if raw.lower().startswith("\\x") and len(raw) > 2 and re.match(r"^[0-9a-fA-F]+$", raw[2:]) and len(raw[2:]) % 2 == 0:
        b = bytes.fromhex(raw[2:])
    else:
        b = s.encode("utf-8")
    if len(b) == 0:
        raise LoadFail("column separator or row delimiter is empty")
    if len(b) > 50:
        raise LoadFail("The column separator or row delimiter exceeds the max length of 50 bytes: %s" % s)
    return b


def pre_begin_checks(h, content_length, brief=""):
    """Header checks that happen before the transaction is begun (§1.5 steps 4-7).
    Returns (format, timeout_s)."""
    if content_length is not None and content_length > BODY_MAX_BYTES:
        raise LoadFail("body size %d exceed limit: %d, %s. You can increase the limit by setting "
                       "streaming_load_max_mb in be.conf." % (content_length, BODY_MAX_BYTES, brief))
    fmt = (h.get("format") or "csv").strip().lower()
    if fmt not in KNOWN_FORMATS:
        raise LoadFail("unknown data format, format=%s" % h.get("format"))
    if fmt != "csv" and fmt != "json":
        raise LoadFail("EMULATOR_UNSUPPORTED: compressed format %s is not emulated" % fmt)
    if fmt == "json" and content_length is not None and content_length > JSON_MAX_BYTES:
        ign = (h.get("ignore_json_size") or "").strip().lower() == "true"
        if not ign:
            # exact text of be/src/http/action/stream_load.cpp (double spaces included)
            raise LoadFail("The size of this batch exceed the max size [%d]  of json type data  data [ %d ]. "
                           "Set ignore_json_size to skip the check, although it may lead huge memory consuming."
                           % (JSON_MAX_BYTES, content_length))
    timeout = 600
    if h.get("timeout") is not None:
        t = h.get("timeout").strip()
        if not t.isdigit():
            raise LoadFail("Invalid timeout format", "INVALID_ARGUMENT")
        timeout = int(t)
    return fmt, timeout


class Plan:
    """The result of planning a load against a table schema (§1.5 steps 9-10)."""

    def __init__(self):
        self.format = "csv"
        self.col_sep = b"\t"
        self.row_delim = b"\n"
        self.src_names = []         # CSV positional names / JSON keys (lower-case -> original)
        self.derived = []           # [(name, expr)]
        self.targets = []           # table column names receiving values
        self.op_source = None       # None | "__op" (mapped) -> per-row op
        self.where = None
        self.max_filter_ratio = 0.0
        self.strict = False
        self.partial = False
        self.merge_condition = None
        self.strip_outer_array = False
        self.jsonpaths = None
        self.json_root = None
        self.skip_header = 0
        self.trim_space = False
        self.enclose = None
        self.escape = None
        self.has_columns_header = False

    def format_key(self):
        return (self.format, self.col_sep, self.row_delim, tuple(self.src_names), self.strip_outer_array,
                tuple(self.jsonpaths or ()))


SUPPORTED_FUNCTIONS = ("now", "current_timestamp", "localtime", "localtimestamp", "curdate", "current_date",
                       "ifnull", "concat", "lower", "upper")


def _unsupported_functions(e, out=None):
    out = [] if out is None else out
    if isinstance(e, tuple) and e:
        if e[0] == "func" and e[1] not in SUPPORTED_FUNCTIONS:
            out.append(e[1])
        for x in e[1:]:
            if isinstance(x, tuple):
                _unsupported_functions(x, out)
            elif isinstance(x, list):
                for y in x:
                    _unsupported_functions(y, out)
    return out


def _parse_jsonpath(p):
    p = p.strip()
    if p == "$":
        return []
    if not p.startswith("$."):
        raise LoadFail("Invalid json path: %s" % p)
    return [x for x in p[2:].split(".")]


def make_plan(h, fmt, table):
    """Post-begin header parsing and planning. Raises LoadFail."""
    p = Plan()
    p.format = fmt
    p.strict = _bool_header(h, "strict_mode", "Invalid strict mode format. Must be bool type")
    p.partial = _bool_header(h, "partial_update", "Invalid partial update flag format. Must be bool type")
    p.trim_space = _bool_header(h, "trim_space", "Invalid trim space format. Must be bool type")
    if h.get("partitions") and h.get("temporary_partitions"):
        raise LoadFail("Can not specify both partitions and temporary partitions", "INVALID_ARGUMENT")
    if h.get("compression") and h.get("content-encoding"):
        raise LoadFail("compression and Content-Encoding can not be set at the same time")
    if h.get("max_filter_ratio") is not None:
        try:
            p.max_filter_ratio = float(h.get("max_filter_ratio").strip())
        except ValueError:
            p.max_filter_ratio = 0.0   # strtod of garbage is 0
    if h.get("column_separator") is not None:
        p.col_sep = decode_separator(h.get("column_separator"))
    if h.get("row_delimiter") is not None:
        p.row_delim = decode_separator(h.get("row_delimiter"))
    if h.get("skip_header") is not None:
        try:
            p.skip_header = int(h.get("skip_header"))
        except ValueError:
            raise LoadFail("Invalid skip_header format. Must be number")
    if h.get("enclose"):
        p.enclose = h.get("enclose").encode("utf-8")[:1]
    if h.get("escape"):
        p.escape = h.get("escape").encode("utf-8")[:1]
    p.strip_outer_array = (h.get("strip_outer_array") or "").strip().lower() == "true"
    if h.get("jsonpaths"):
        try:
            jp = json.loads(h.get("jsonpaths"))
            if not isinstance(jp, list):
                raise ValueError()
        except ValueError:
            raise LoadFail("Invalid json path: %s" % h.get("jsonpaths"))
        p.jsonpaths = [_parse_jsonpath(x) for x in jp]
    if h.get("json_root"):
        p.json_root = _parse_jsonpath(h.get("json_root"))

    cols_hdr = h.get("columns")
    if cols_hdr is not None and cols_hdr.strip():
        p.has_columns_header = True
        try:
            entries = parse_columns_header(cols_hdr)
        except SqlSyntaxError as e:
            raise LoadFail(str(e))
        p.src_names = [n for n, e in entries if e is None]
        p.derived = [(n, e) for n, e in entries if e is not None]
        known = set(x.lower() for x in p.src_names)
        for n, e in p.derived:
            bad = _unsupported_functions(e)
            if bad:
                raise LoadFail("EMULATOR_UNSUPPORTED: function %s in the columns header is not emulated" % bad[0])
            for ref in expressions.column_refs(e):
                if ref.lower() not in known:
                    raise LoadFail("Unknown column '%s' in '%s'" % (ref, table.name))
            known.add(n.lower())
        mapped = [n for n in p.src_names] + [n for n, _ in p.derived]
    else:
        if fmt == "csv":
            p.src_names = [c.name for c in table.columns]
        elif p.jsonpaths is not None:
            p.src_names = [c.name for c in table.columns][:len(p.jsonpaths)]
        else:
            p.src_names = [c.name for c in table.columns] + (["__op"] if table.is_pk() else [])
        mapped = list(p.src_names)
    if fmt == "json" and p.jsonpaths is not None and len(p.jsonpaths) != len(p.src_names):
        # jsonpaths results are mapped by position onto the column list
        if len(p.jsonpaths) < len(p.src_names):
            p.src_names = p.src_names[:len(p.jsonpaths)]

    lower_mapped = {n.lower(): n for n in mapped}
    p.targets = [c.name for c in table.columns if c.name.lower() in lower_mapped]
    if "__op" in lower_mapped and table.is_pk():
        p.op_source = "__op"
    if p.partial:
        if not table.is_pk():
            raise LoadFail("partial update is only supported by primary key table")
        for k in table.key_names:
            if k.lower() not in lower_mapped:
                raise LoadFail("partial update must include all primary key columns, missing: %s" % k)
    elif p.has_columns_header:
        for c in table.columns:
            if c.name.lower() not in lower_mapped and c.default is None and not c.nullable:
                raise LoadFail("Column has no default value. column: %s" % c.name)
    if h.get("merge_condition"):
        mc = h.get("merge_condition").strip()
        c = table.col(mc)
        if c is None:
            raise LoadFail("Merge condition column %s does not exist" % mc)
        if c.is_key:
            raise LoadFail("Merge condition column %s should not be primary key!" % mc)
        p.merge_condition = c.name
    if h.get("where"):
        try:
            p.where = parse_expr(h.get("where"))
        except SqlSyntaxError as e:
            raise LoadFail(str(e))
        for ref in expressions.column_refs(p.where):
            if table.col(ref) is None and ref.lower() not in lower_mapped:
                raise LoadFail("Unknown column '%s' in '%s'" % (ref, table.name))
    return p


# ------------------------------------------------------------------ body parsing

def _split_csv(body, p):
    """-> list of (raw_bytes_row) skipping blank lines (behaviour 24)."""
    parts = body.split(p.row_delim)
    if parts and parts[-1] == b"":
        parts.pop()
    rows = [r for r in parts if r != b""]
    return rows[p.skip_header:] if p.skip_header else rows


def _split_fields(row, p):
    if p.enclose is None:
        return row.split(p.col_sep)
    # enclose/escape (v3.0+): fields may be wrapped in the enclose byte; escape protects it
    out, cur, i, n, inq = [], bytearray(), 0, len(row), False
    sep = p.col_sep
    while i < n:
        ch = row[i:i + 1]
        if p.escape is not None and ch == p.escape and i + 1 < n:
            cur += row[i + 1:i + 2]
            i += 2
            continue
        if ch == p.enclose:
            if inq and row[i + 1:i + 2] == p.enclose:
                cur += ch
                i += 2
                continue
            inq = not inq
            i += 1
            continue
        if not inq and row.startswith(sep, i):
            out.append(bytes(cur))
            cur = bytearray()
            i += len(sep)
            continue
        cur += ch
        i += 1
    out.append(bytes(cur))
    return out


def _sep_text(b):
    """string_2_asc of be/src/exec/csv_scanner.cpp: \\n and \\t spelled out, other
    non-printable bytes as 0xNN."""
    out = []
    for c in b:
        if c == 10:
            out.append("\\n")
        elif c == 9:
            out.append("\\t")
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            out.append("0x%x" % c)
    return "".join(out)


def type_debug_string(t):
    """TypeDescriptor::debug_string() style used in CSV conversion errors."""
    if t.base == "DECIMAL":
        kind = "DECIMAL32" if t.precision <= 9 else "DECIMAL64" if t.precision <= 18 else "DECIMAL128"
        return "%s(%d, %d)" % (kind, t.precision, t.scale)
    if t.base in ("CHAR", "VARCHAR", "VARBINARY"):
        return "%s(%d)" % (t.base, t.length)
    return t.base


REPORT_ERROR_MAX_NUMBER = 50   # csv_scanner.cpp: only the first 50 rejected rows are written


def _json_path(obj, path):
    cur = obj
    for k in path:
        if isinstance(cur, dict) and k in cur:
            cur = cur[k]
        else:
            return MISSING
    return cur


def _json_records(body, p, errors):
    """Yields dict records, or ("error", message, text) for document-level data-quality errors
    (counted as one filtered row each, behaviour 25)."""
    text = body.decode("utf-8", errors="replace")
    dec = json.JSONDecoder(parse_float=values.RawNumber, parse_int=values.RawNumber)
    docs = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        try:
            doc, j = dec.raw_decode(text, i)
        except ValueError as e:
            docs.append(("error", "JSON parse error: %s" % e, text[i:i + 200]))
            break
        docs.append(doc)
        i = j
    for doc in docs:
        if isinstance(doc, tuple):
            yield doc
            continue
        if p.json_root is not None:
            doc = _json_path(doc, p.json_root)
            if doc is MISSING:
                yield ("error", "The json root is not found", "")
                continue
        if p.strip_outer_array:
            if not isinstance(doc, list):
                yield ("error", "the value should be array type with strip_outer_array=true", _compact(doc))
                continue
            for el in doc:
                if isinstance(el, dict):
                    yield el
                else:
                    yield ("error", "The value is not an object in json document", _compact(el))
        else:
            if isinstance(doc, list):
                yield ("error", "The value is array type in json document stream, you can set "
                                "strip_outer_array=true to parse each element of the array as individual rows",
                       _compact(doc))
                continue
            if not isinstance(doc, dict):
                yield ("error", "The value is not an object in json document", _compact(doc))
                continue
            yield doc


def _compact(v):
    try:
        return json.dumps(values._unraw(v), ensure_ascii=False, separators=(",", ":"))[:1000]
    except (TypeError, ValueError):
        return str(v)[:1000]


class LoadResult:
    def __init__(self):
        self.ops = []
        self.total = 0
        self.loaded = 0
        self.filtered = 0
        self.unselected = 0
        self.errors = []        # error-log lines
        self.new_partitions = []


def _partition_check(table, row, result):
    """RANGE/LIST partitions: a row outside every partition is filtered (behaviour 23).
    Expression partitioning creates the partition instead."""
    part = table.partition
    if not part:
        return None
    col = table.col(part["cols"][0])
    v = row.get(col.name)
    if part["type"] == "EXPR":
        name = partition_name_for(part, col, v)
        if name and name not in table.auto_partitions and name not in result.new_partitions:
            refused = _partition_limit(table, len(result.new_partitions) + 1)
            if refused:
                # tablet_sink: a row whose partition cannot be made is filtered with the FE's reason
                return "The row create partition failed since Runtime error: " + refused
            result.new_partitions.append(name)
        return None
    if part["type"] == "RANGE":
        key = values.compare_key(col.type, v)
        for rp in part["ranges"]:
            lo = values.compare_key(col.type, rp["lower"]) if rp["lower"] is not None else None
            hi = values.compare_key(col.type, rp["upper"]) if rp["upper"] is not None else None
            if (lo is None or key >= lo) and (hi is None or key < hi):
                return None
        return "The row is out of partition ranges. Please add a new partition."
    if part["type"] == "LIST":
        for lp in part["lists"]:
            if v in lp["values"]:
                return None
        return "The row is out of partition ranges. Please add a new partition."
    return None


# Automatic partitions (FrontendServiceImpl.createPartitionProcess): before 3.4 one limit,
# max_automatic_partition_number (4096), on the table's partitions; from 3.4 at most
# max_partitions_in_one_batch (4096) new ones per load and max_partition_number_per_table
# (100000) in all. Settable through the admin config (README).
PARTITION_LIMITS = {"max_automatic_partition_number": 4096, "max_partitions_in_one_batch": 4096,
                    "max_partition_number_per_table": 100000}
VERSION = (3, 3, 2)      # set by the emulator at start


def _partition_limit(table, new_in_load):
    total = len(table.auto_partitions) + new_in_load
    if VERSION < (3, 4):
        limit = PARTITION_LIMITS["max_automatic_partition_number"]
        if total > limit:
            return (" Automatically created partitions exceeded the maximum limit: %d. You can modify this "
                    "restriction on by setting max_automatic_partition_number larger." % limit)
        return None
    batch = PARTITION_LIMITS["max_partitions_in_one_batch"]
    if new_in_load > batch:
        return ("Table %s automatic create partition failed. error: partitions in one batch exceed limit %d,You "
                "can modify this restriction on by setting max_partitions_in_one_batch larger." % (table.name, batch))
    limit = PARTITION_LIMITS["max_partition_number_per_table"]
    if total > limit:
        return ("Table %s automatically created partitions exceeded the maximum limit: %d. You can modify this "
                "restriction on by setting max_partition_number_per_table larger." % (table.name, limit))
    return None


def _format_partition_value(s):
    """AnalyzerUtils.getFormatPartitionValue: letters and digits kept, '-', ':' and ' ' dropped
    (a leading '-' becomes '_'), any other character written as the hex of its code point."""
    out = []
    for i, ch in enumerate(s):
        if ch == "-" and i == 0:
            out.append("_")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        elif ch in "-: ":
            continue
        else:
            out.append("%x" % ord(ch))
    return "".join(out)


def partition_name_for(part, col, v):
    if v is None:
        return "p__null"
    expr = part.get("expr")
    s = str(v)
    if expr and expr[0] == "func" and expr[1] in ("date_trunc", "time_slice"):
        unit = "day"
        if expr[1] == "date_trunc" and expr[2] and expr[2][0][0] == "lit":
            unit = str(expr[2][0][1]).lower()
        elif expr[1] == "time_slice" and len(expr[2]) > 1 and expr[2][1][0] == "interval":
            unit = expr[2][1][2].lower()
        digits = re.sub(r"[^0-9]", "", s)
        n = {"year": 4, "month": 6, "day": 8, "hour": 10}.get(unit, 8)
        return "p" + digits[:n]
    name = "p" + _format_partition_value(s)
    if len(name) > 50:
        # AnalyzerUtils.getAddPartitionClauseFromPartitionValues: a long name is cut and made unique by a hash
        name = name[:50] + "_" + "%x" % (zlib.crc32(name.encode()) & 0xffffffff)
    return name


def process_rows(table, p, body, result=None):
    """Parse and validate every row of `body`; fills a LoadResult (counters, ops, error log).
    The counters invariant total = loaded + filtered + unselected holds (behaviour 19)."""
    r = result or LoadResult()
    cols = table.columns
    src_lower = [n.lower() for n in p.src_names]

    def reject(reason, text):
        r.filtered += 1
        r.total += 1
        if len(r.errors) < REPORT_ERROR_MAX_NUMBER:
            # RuntimeState::append_error_msg_to_file line format
            r.errors.append("Error: %s. Row: %s" % (reason, text))

    records = []
    if p.format == "csv":
        for raw in _split_csv(body, p):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                reject("Invalid UTF-8 row", raw.decode("utf-8", errors="replace"))
                continue
            fields = _split_fields(raw, p)
            if len(fields) != len(p.src_names):
                reject("Value count does not match column count: expected = %d, actual = %d. "
                       "Column separator: '%s', Row delimiter: '%s'"
                       % (len(p.src_names), len(fields), _sep_text(p.col_sep), _sep_text(p.row_delim)), line)
                continue
            src = {}
            for name, f in zip(src_lower, fields):
                t = f.decode("utf-8")
                if p.trim_space:
                    t = t.strip(" ")
                src[name] = None if t == "\\N" else t
            records.append((src, line, False))
    else:
        for rec in _json_records(body, p, r.errors):
            if isinstance(rec, tuple):
                reject(rec[1], rec[2])
                continue
            src = {}
            if p.jsonpaths is not None:
                for name, path in zip(src_lower, p.jsonpaths):
                    v = _json_path(rec, path)
                    src[name] = v
            else:
                for name, orig in zip(src_lower, p.src_names):
                    # keys are matched exactly against the column names (B-JSON slot dict)
                    src[name] = rec[orig] if orig in rec else (rec[name] if name in rec else MISSING)
            records.append((src, _compact(rec), True))

    for src, text, is_json in records:
        # derived columns (`columns: x = expr`), evaluated over the raw source values
        ok = True
        for name, e in p.derived:
            def lk(n, _src=src):
                v = _src[n.lower()]
                return (None, None if v is MISSING else (v if not isinstance(v, values.RawNumber) else str(v)))
            try:
                tv = expressions.evaluate(e, expressions.Env(lk))
                v = tv[1] if tv[0] is None else values.render(tv[0], tv[1])
                if isinstance(v, bool):
                    v = "1" if v else "0"
                elif v is not None and not isinstance(v, str):
                    v = str(v)
                src[name.lower()] = v
            except (expressions.EvalError, KeyError) as ex:
                reject(str(ex), text)
                ok = False
                break
        if not ok:
            continue
        row = {}
        reason = None
        for c in cols:
            ln = c.name.lower()
            if ln not in src or c.name not in p.targets:
                if p.partial:
                    continue
                if p.has_columns_header or not is_json:
                    try:
                        row[c.name] = values.default_value(c.type, c.default)
                    except values.ConvertError:
                        row[c.name] = None
                else:
                    row[c.name] = None
                continue
            raw = src[ln]
            if raw is MISSING or raw is None:
                row[c.name] = None
                continue
            try:
                if is_json and not isinstance(raw, str) or isinstance(raw, values.RawNumber):
                    row[c.name] = values.convert_json(c.type, raw)
                elif is_json:
                    row[c.name] = values.convert_json(c.type, raw)
                else:
                    row[c.name] = values.convert_text(c.type, raw)
            except values.ConvertError:
                if p.strict:
                    # strict mode: a non-NULL source value that fails conversion filters the row (behaviour 20)
                    # make_value_type_not_matched_error_message (csv_scanner.cpp)
                    sv = _compact(raw) if not isinstance(raw, str) else raw
                    pos = src_lower.index(ln) if ln in src_lower else -1
                    reason = "The field (name = %s, pos = %d) is out of range. Type: %s, Value length: %d, Value: %s" % (
                        c.name, pos, type_debug_string(c.type), len(sv.encode("utf-8")), sv)
                    break
                row[c.name] = None
        if reason:
            reject(reason, text)
            continue
        op = "upsert"
        if p.op_source:
            ov = src.get("__op", MISSING)
            if ov is MISSING or ov is None:
                op = "upsert"     # missing __op defaults to 0 (B-JSON)
            else:
                s = str(ov).strip().lower()
                if s in ("0", "upsert"):
                    op = "upsert"
                elif s in ("1", "delete"):
                    op = "delete"
                else:
                    reject("Invalid __op value '%s', expected 0 (upsert) or 1 (delete)" % ov, text)
                    continue
        # where: rows not matching are unselected, never filtered (behaviour 18)
        if p.where is not None:
            def lk2(n, _row=row, _src=src):
                c = table.col(n)
                if c is not None and c.name in _row:
                    return (c.type, _row[c.name])
                v = _src[n.lower()]
                return (None, None if v is MISSING else v)
            try:
                keep = expressions.truthy(expressions.evaluate(p.where, expressions.Env(lk2)))
            except (expressions.EvalError, KeyError):
                keep = False
            if not keep:
                r.unselected += 1
                r.total += 1
                continue
        # sink checks: NOT NULL (behaviour 21), byte length (behaviour 22), partitions (behaviour 23)
        for c in cols:
            if c.name not in row:
                continue
            v = row[c.name]
            if v is None and not c.nullable:
                reason = "NULL value in non-nullable column '%s'" % c.name
                break
            if v is not None and not values.check_length(c.type, v):
                # OlapTableSink::_print_varchar_error_msg: value cut to 100 chars + "...", no row text
                shown = v if len(v) <= 100 else v[:100] + "..."
                reason = "String '%s'(length=%d) is too long. The max length of '%s' is %d" % (
                    shown, values.byte_length(c.type, v), c.name, c.type.length)
                text = ""
                break
        if reason is None and not p.partial:
            reason = _partition_check(table, row, r)
        if reason:
            reject(reason, text)
            continue
        r.total += 1
        r.loaded += 1
        if p.partial:
            r.ops.append({"op": "delete" if op == "delete" else "partial", "row": row,
                          "cols": [c for c in p.targets], "merge": p.merge_condition})
        else:
            r.ops.append({"op": op, "row": row, "merge": p.merge_condition if op == "upsert" else None})
    return r


def filter_ratio_exceeded(total, filtered, unselected, ratio):
    """§1.9: fail iff filtered / (total - unselected) > max_filter_ratio (strict >)."""
    denom = total - unselected
    if denom <= 0:
        return False
    return filtered / denom > ratio
