#!/usr/bin/env python3
"""Summary of a bench/run.sh run: the table of figures, the ratios and results.md.

Usage (bench/run.sh calls it):
    python3 bench/report.py --logs target-bench/logs --catalog target-bench/data/catalog.sqlite \
        --duckdb-summary target-bench/duckdb-out/summary.json --scale 1.0 --out target-bench/results.md

Reads the GNU ``/usr/bin/time -v`` outputs (``<logs>/metrodati-<n>.time``, ``duckdb-<n>.time``
for each run n, ``sample.time``) and the load averages before each run (``load-<tool>-<n>.txt``), metrodati's run line (``<logs>/metrodati.log``) and its catalog (rows read /
written / quarantined and error counts per rule of the last run), DuckDB's ``summary.json``, and
prints: tool, wall seconds, rows/s (rows read / wall time), peak RSS MiB, rows written, rows
quarantined; then the metrodati/DuckDB ratios of time and peak memory, the targets (faster than
DuckDB, peak memory < 1 GiB) and the rule counts of both tools side by side. Writes the same as
Markdown to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

GIB = 1024 ** 3


def parse_time(path: Path) -> dict:
    """Wall seconds, peak RSS bytes, CPU seconds and exit status from `/usr/bin/time -v`."""
    out = {}
    text = path.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    if m:
        parts = [float(p) for p in m.group(1).split(":")]
        secs = 0.0
        for p in parts:
            secs = secs * 60 + p
        out["wall"] = secs
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["rss"] = int(m.group(1)) * 1024
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    sys_ = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if user and sys_:
        out["cpu"] = float(user.group(1)) + float(sys_.group(1))
    m = re.search(r"Exit status: (\d+)", text)
    out["exit"] = int(m.group(1)) if m else None
    return out


def metrodati_counts(log: Path, catalog: Path) -> tuple[dict, dict]:
    counts, rules = {}, {}
    m = re.search(r"read (\d+) = written (\d+) \+ quarantined (\d+)", log.read_text(encoding="utf-8"))
    if m:
        counts = {"read": int(m.group(1)), "written": int(m.group(2)), "quarantined": int(m.group(3))}
    if catalog.exists():
        con = sqlite3.connect(catalog)
        run = con.execute("SELECT max(id) FROM runs").fetchone()[0]
        for rule, n in con.execute(
                "SELECT rule, sum(count) FROM quality_results WHERE run_id = ? AND severity = 'error' "
                "GROUP BY rule", (run,)):
            rules[rule] = n
        if not counts:
            r = con.execute("SELECT sum(rows_read), sum(rows_written), sum(rows_quarantined) "
                            "FROM source_accounting WHERE run_id = ?", (run,)).fetchone()
            counts = {"read": r[0], "written": r[1], "quarantined": r[2]}
    return counts, rules


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} {platform.release()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--duckdb-summary", required=True)
    ap.add_argument("--scale", required=True)
    ap.add_argument("--workers", default="2")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--input", default=None, help="sample folder (for its size)")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    logs = Path(args.logs)

    def runs(tool):
        out = []
        for f in sorted(logs.glob(f"{tool}-*.time"), key=lambda p: int(p.stem.split("-")[1])):
            t = parse_time(f)
            load = logs / f"load-{tool}-{f.stem.split('-')[1]}.txt"
            t["load"] = load.read_text().strip() if load.exists() else "?"
            out.append(t)
        if not out:
            sys.exit(f"no {tool}-N.time in {logs}")
        return out

    mruns, druns = runs("metrodati"), runs("duckdb")
    mt = min(mruns, key=lambda t: t["wall"])  # fastest run of each tool
    dt = min(druns, key=lambda t: t["wall"])
    st = parse_time(logs / "sample.time") if (logs / "sample.time").exists() else {}
    mc, mrules = metrodati_counts(logs / "metrodati.log", Path(args.catalog))
    ds = json.loads(Path(args.duckdb_summary).read_text(encoding="utf-8"))
    dc, drules = ds["totals"], ds.get("rules", {})

    def row(tool, t, c):
        rps = c["read"] / t["wall"] if t.get("wall") else float("nan")
        return [tool, f"{t['wall']:.1f}", f"{rps:,.0f}", f"{t['rss'] / 2**20:,.0f}",
                f"{t.get('cpu', float('nan')):.1f}", f"{c['read']:,}", f"{c['written']:,}",
                f"{c['quarantined']:,}"]

    header = ["tool", "wall s", "rows/s", "peak RSS MiB", "CPU s", "rows read", "rows written",
              "rows quarantined"]
    rows = [row(f"metrodati (--workers {args.workers})", mt, mc),
            row(f"DuckDB {ds.get('duckdb_version', '')} (threads {args.threads})", dt, dc)]
    t_ratio = mt["wall"] / dt["wall"]
    m_ratio = mt["rss"] / dt["rss"]
    input_size = ""
    if args.input and Path(args.input).exists():
        size = int(subprocess.run(["du", "-sb", args.input], capture_output=True, text=True)
                   .stdout.split()[0])
        files = sum(len(f) for _, _, f in os.walk(args.input))
        input_size = f"{size / 2**20:,.0f} MiB of CSV in {files} files"

    lines = []
    lines.append(f"# metrodati anagrafe benchmark ({datetime.date.today().isoformat()})")
    lines.append("")
    lines.append(f"- machine: {machine()}")
    lines.append(f"- scale {args.scale}: {mc.get('read', 0):,} rows read"
                 + (f", {input_size}" if input_size else "")
                 + " (CSV-only definitions from bench/make_csv_sources.py)")
    if st:
        lines.append(f"- sample generation (not compared): {st['wall']:.1f} s, peak RSS "
                     f"{st['rss'] / 2**20:,.0f} MiB")
    lines.append(f"- command: `{args.command}`")
    if len(mruns) > 1:
        lines.append(f"- {len(mruns)} runs of each tool, alternately; the table shows each tool's fastest run")
    for name, rs in (("metrodati", mruns), ("DuckDB", druns)):
        lines.append(f"- {name} runs: " + "; ".join(
            f"{t['wall']:.1f} s, {t['rss'] / 2**20:,.0f} MiB (load avg before: {t['load']})" for t in rs))
    lines.append("")
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    fmt_row = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    lines.append(fmt_row(header))
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [fmt_row(r) for r in rows]
    lines.append("")
    lines.append(f"- metrodati / DuckDB wall time: **{t_ratio:.2f}×** "
                 f"({'metrodati faster' if t_ratio < 1 else 'metrodati SLOWER'}; "
                 f"DuckDB / metrodati = {1 / t_ratio:.2f}×)")
    lines.append(f"- metrodati / DuckDB peak RSS: **{m_ratio:.2f}×** "
                 f"({mt['rss'] / 2**20:,.0f} MiB vs {dt['rss'] / 2**20:,.0f} MiB)")
    lines.append(f"- target faster than DuckDB: **{'met' if t_ratio < 1 else 'NOT met'}**; "
                 f"target peak memory < 1 GiB: **{'met' if mt['rss'] < GIB else 'NOT met'}** "
                 f"({mt['rss'] / GIB:.2f} GiB)")
    same = (mc.get("read"), mc.get("written"), mc.get("quarantined")) == \
        (dc.get("read"), dc.get("written"), dc.get("quarantined"))
    lines.append(f"- row accounting: metrodati read {mc.get('read')} = written {mc.get('written')} + "
                 f"quarantined {mc.get('quarantined')}; DuckDB read {dc['read']} = written "
                 f"{dc['written']} + quarantined {dc['quarantined']}"
                 + (" (identical)" if same else " (DIFFERENT: see the rules below)"))
    cmp_log = logs / "compare.log"
    if cmp_log.exists():
        lines.append("- output comparison (bench/compare_outputs.py):")
        lines += [f"  - {ln}" for ln in cmp_log.read_text(encoding="utf-8").splitlines()
                  if not ln.startswith("  ")]
    lines.append("")
    lines.append("Rejections by rule (errors; a row can break several rules):")
    lines.append("")
    lines.append("| rule | metrodati | DuckDB |")
    lines.append("|---|---:|---:|")
    for rule in sorted(set(mrules) | set(drules)):
        a, b = mrules.get(rule, 0), drules.get(rule, 0)
        lines.append(f"| {rule} | {a:,} | {b:,} |" + ("" if a == b else " ≠"))
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
