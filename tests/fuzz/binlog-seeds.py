#!/usr/bin/env python3
"""Cut binlog files into small libFuzzer seeds for binlog_decoder_fuzz.

Why: the binlog fixtures are whole files of up to 1.4 MB (sakila, gzipped).
Fed as they are, every execution decodes and prints the whole file and every
mutation copies it, so the long run managed about 200 executions a second; and
libFuzzer's -max_len would only keep each file's first bytes. Cut here at event
boundaries, each seed is a small binlog of its own that the decoder reads as it
would the original at that point: the magic, the file's FORMAT_DESCRIPTION
(post-header lengths, checksum algorithm), the TABLE_MAPs its rows events use
(they name their table by id), then a run of consecutive events (about
--run-bytes, default 1024). Every event of every
file is in some seed, with the context it was written in.

  tests/fuzz/binlog-seeds.py OUT_DIR [--max-bytes N] [--run-bytes N] INPUT...

INPUT: binlog files (magic fe 62 69 6e, gzipped or not) or directories searched
for them; other files are skipped. Seeds are named <k>-<input>-<n>; a seed is at
most --max-bytes (default 65536, the long run's -max_len), and an event too big
for that with its context is left out (said on stderr). Only the Python 3
standard library is used.
"""
import argparse
import gzip
import os
import sys

MAGIC = b"\xfebin"
HEADER_SIZE = 19
FORMAT_DESCRIPTION = 15
TABLE_MAP = 19
# Rows events name their table by the id in their first 6 body bytes: v0, v1
# and v2 write/update/delete, MySQL's partial JSON update, MariaDB's
# compressed rows.
ROWS_EVENTS = {20, 21, 22, 23, 24, 25, 30, 31, 32, 39, 166, 167, 168, 169, 170, 171}


def read_binlog(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    return data if data.startswith(MAGIC) else None


def events(data):
    """The file's events, cut by the length in each header, as bytes."""
    at = len(MAGIC)
    while at + HEADER_SIZE <= len(data):
        length = int.from_bytes(data[at + 9:at + 13], "little")
        if length < HEADER_SIZE or at + length > len(data):
            return
        yield data[at:at + length]
        at += length


def table_id(event):
    return event[HEADER_SIZE:HEADER_SIZE + 6]


def cut(data, max_bytes, run_bytes):
    """Seeds: magic + format description + the table maps the run's rows events use + the run."""
    format_description = b""
    table_maps = {}  # table id -> the latest TABLE_MAP
    run, skipped = [], 0

    def context(events):
        # A table map the run itself carries needs no copy in front of it.
        own = {table_id(e) for e in events if e[4] == TABLE_MAP}
        used = {table_id(e) for e in events if e[4] in ROWS_EVENTS} - own
        return MAGIC + format_description + b"".join(m for i, m in table_maps.items() if i in used)

    def size(events):
        return len(context(events)) + sum(map(len, events))

    def flush():
        seed = context(run) + b"".join(run)
        for e in run:
            if e[4] == TABLE_MAP:
                table_maps[table_id(e)] = e
        run.clear()
        return seed

    for event in events(data):
        if event[4] == FORMAT_DESCRIPTION:
            if run:
                yield flush()
            format_description, table_maps = event, {}
            continue
        if size([event]) > max_bytes:
            skipped += 1
            continue
        if run and (size(run + [event]) > max_bytes or sum(map(len, run)) + len(event) > run_bytes):
            yield flush()
        run.append(event)
    if run:
        yield flush()
    if skipped:
        print(f"binlog-seeds: {skipped} event(s) larger than {max_bytes} bytes with their context left out",
              file=sys.stderr)


def inputs(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in sorted(os.walk(p)):
                for name in sorted(files):
                    yield os.path.join(root, name)
        else:
            yield p


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--max-bytes", type=int, default=65536)
    parser.add_argument("--run-bytes", type=int, default=1024, help="events per seed, in bytes, beyond the context")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    files = seeds = 0
    for path in inputs(args.inputs):
        data = read_binlog(path)
        if data is None:
            continue
        files += 1
        stem = f"{files:02d}-" + os.path.basename(path).removesuffix(".gz")
        for n, seed in enumerate(cut(data, args.max_bytes, args.run_bytes)):
            with open(os.path.join(args.out_dir, f"{stem}-{n}"), "wb") as f:
                f.write(seed)
            seeds += 1
    print(f"binlog-seeds: {files} binlog files -> {seeds} seeds in {args.out_dir}", file=sys.stderr)
    return 0 if seeds else 1


if __name__ == "__main__":
    sys.exit(main())
