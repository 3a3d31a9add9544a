"""Readers for the reference vector files in fixtures/ (copied from
../shared/fixtures/maxcompute/, produced with pyodps; see README.md)."""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")


def _read(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def _split_columns(schema):
    """'id bigint, x decimal(10,2)' -> [('id','bigint'), ('x','decimal(10,2)')];
    commas inside () or <> do not split."""
    cols, depth, cur = [], 0, ""
    for ch in schema:
        if ch in "(<":
            depth += 1
        elif ch in ")>":
            depth -= 1
        if ch == "," and depth == 0:
            cols.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        cols.append(cur)
    out = []
    for c in cols:
        name, typ = c.strip().split(None, 1)
        out.append((name, typ.strip()))
    return out


def _hex(s):
    return bytes.fromhex(s.replace(" ", ""))


def load_record_vectors():
    """List of dicts: title, columns [(name, type)], raw bytes, zlib bytes
    (None when the file gives none)."""
    text = _read("vectors.txt")
    out = []
    for section in text.split("\n## ")[0:]:
        section = section.lstrip("# ").strip()
        if not section:
            continue
        lines = section.split("\n")
        title = lines[0].strip()
        fields = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k.strip()] = v.strip()
        if "schema" not in fields:
            continue
        raw_key = next(k for k in fields if k.startswith("bytes"))
        m = re.match(r"bytes \((\d+)\)", raw_key)
        raw = _hex(fields[raw_key])
        if m:
            assert int(m.group(1)) == len(raw), title
        z = fields.get("deflate(zlib) of same, level 1")
        out.append({"title": title, "columns": _split_columns(fields["schema"]),
                    "raw": raw, "zlib": _hex(z) if z else None})
    return out


def load_hash_vectors():
    """Upsert bucket hashing lines: (kind, key, column hash, record hash, bucket)."""
    text = _read("vectors.txt")
    out = []
    for m in re.finditer(r"^(bigint|string) key (.+?): column hash=(-?\d+), record hash=(-?\d+), "
                         r"bucket\(mod (\d+)\)=(\d+)$", text, re.M):
        kind, key = m.group(1), m.group(2)
        if kind == "string":
            key = key.strip("'")
        else:
            key = int(key)
        out.append({"kind": kind, "key": key, "column_hash": int(m.group(3)),
                    "record_hash": int(m.group(4)), "buckets": int(m.group(5)),
                    "bucket": int(m.group(6))})
    return out


def load_sign_vectors():
    """List of dicts: title, url, canonical (with real newlines), authorization."""
    text = _read("sign_vectors.txt")
    out = []
    for section in text.split("### ")[1:]:
        lines = section.rstrip("\n").split("\n")
        title = lines[0].strip()
        url = None
        canon_lines = []
        auth = None
        in_canon = False
        for line in lines[1:]:
            if line.startswith("URL: "):
                url = line[5:].strip()
            elif line.startswith("canonical string"):
                in_canon = True
            elif line.startswith("Authorization: "):
                auth = line[len("Authorization: "):].strip()
                in_canon = False
            elif in_canon:
                canon_lines.append(line)
        canonical = None
        if canon_lines:
            canonical = "\n".join(l[:-1] if l.endswith("\u23ce") else l for l in canon_lines)
        out.append({"title": title, "url": url, "canonical": canonical,
                    "authorization": auth})
    return out
