#!/usr/bin/env python3
"""Compares the normalised tables written by metrodati and by bench/duckdb_anagrafe.py.

Usage:
    python3 bench/compare_outputs.py <metrodati store>/interop <duckdb out> [--examples 3]

For persona, residenza and famiglia: row counts, whether the Parquet schemas (names and types)
agree, and how many rows only one side has (multiset difference over all columns, row order
ignored), with a few examples of each. Not timed, not part of the benchmark figures: it shows that
the two tools did the same conversion. Uses DuckDB (installed by bench/run.sh); memory use is
DuckDB's default. Exit code 0 always (differences are reported, not fatal).
"""

from __future__ import annotations

import argparse
import sys

import duckdb


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrodati", help="metrodati's store folder with <table>/comune=<istat>/ (…/store/interop)")
    ap.add_argument("duckdb", help="duckdb_anagrafe.py's output folder")
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    f = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    for t in ("persona", "residenza", "famiglia"):
        m = f"read_parquet('{args.metrodati}/{t}/*/*.parquet', hive_partitioning=false)"
        d = f"read_parquet('{args.duckdb}/{t}/*/*.parquet', hive_partitioning=false)"
        nm, nd = f(f"SELECT count(*) FROM {m}")[0][0], f(f"SELECT count(*) FROM {d}")[0][0]
        sm = [(r[0], r[1]) for r in f(f"DESCRIBE SELECT * FROM {m}")]
        sd = [(r[0], r[1]) for r in f(f"DESCRIBE SELECT * FROM {d}")]
        only_m = f(f"SELECT count(*) FROM (SELECT * FROM {m} EXCEPT ALL SELECT * FROM {d})")[0][0]
        only_d = f(f"SELECT count(*) FROM (SELECT * FROM {d} EXCEPT ALL SELECT * FROM {m})")[0][0]
        print(f"{t}: rows metrodati {nm}, duckdb {nd}; schema {'same' if sm == sd else 'DIFFERENT'}; "
              f"rows only in metrodati {only_m}, only in duckdb {only_d}")
        if sm != sd:
            print(f"  metrodati schema: {sm}\n  duckdb schema:    {sd}")
        if args.examples and (only_m or only_d):
            for side, a, b in (("metrodati", m, d), ("duckdb", d, m)):
                for r in f(f"(SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}) ORDER BY ALL LIMIT {args.examples}"):
                    print(f"  only {side}: {r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
