#!/usr/bin/env python3
"""Writes the CSV-only source definitions and settings file of the benchmark.

Usage:
    python3 bench/make_csv_sources.py --repo . --out target-bench/bench-config \
        [--data-dir target-bench/data] [--template-gestionale "Gestionale A"]

Reads every ``comuni/*.toml`` of the repository (Python 3.11+ ``tomllib``) and
writes ``<out>/comuni/<istat>.toml`` such that every ``[[anagrafe]]`` source is
a CSV file:

* a comune whose sources are all CSV keeps its definition byte for byte;
* every other source (Parquet, XLSX, ODS, JSON, ...) is replaced by a copy of a
  CSV layout taken from an existing CSV comune: same ``read`` options, same
  column mapping (names, value recodings, date formats) and the same file name
  pattern, with the comune code in the URL changed. The template is the first
  comune (by ISTAT code) with a single CSV source of ``--template-gestionale``
  (default: the most common CSV layout among the definitions). A comune whose
  sources are all replaced also takes the template's ``gestionale`` so that
  ``metrodati sample`` writes that gestionale's unmapped columns too
  (``ID_INTERNO``, ``NOTE``, ...); a source name is kept when the comune has
  other sources (Milano's ``residenti_municipi`` then stays split into one
  file per municipio).

It also writes ``<out>/metrodati.toml``: ``data_dir`` (default
``<repo>/target-bench/data``), ``sources_dir`` = the generated folder,
``jobs_file`` = the repository's ``jobs.toml`` and ``anpr_archive`` =
``<repo>/../shared/refdata/ANPR_archivio_comuni.csv`` (all absolute paths).

Prints one line per converted source and a summary. Only the standard library
is used.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(k: str) -> str:
    return k if BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def toml_value(v) -> str:
    """A TOML value (inline tables for dicts); enough for source definitions."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        # JSON string escapes are valid TOML basic-string escapes.
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"unsupported TOML value {v!r}")


def render(defn: dict, header_comment: str) -> str:
    out = [header_comment.rstrip(), ""]
    for key in ("comune", "denominazione", "gestionale", "note"):
        if key in defn:
            out.append(f"{key} = {toml_value(defn[key])}")
    for src in defn.get("anagrafe", []):
        out += ["", "[[anagrafe]]"]
        for key in ("name", "url", "read"):
            out.append(f"{key} = {toml_value(src[key])}")
        out += ["", "[anagrafe.columns]"]
        for field, mapping in src["columns"].items():
            out.append(f"{toml_key(field)} = {toml_value(mapping)}")
    return "\n".join(out) + "\n"


def is_csv(src: dict) -> bool:
    return str(src.get("read", {}).get("format", "")).lower() == "csv"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", default=".", help="repository root (default .)")
    ap.add_argument("--out", required=True, help="folder for metrodati.toml and comuni/")
    ap.add_argument("--data-dir", default=None, help="bench data folder (default <repo>/target-bench/data)")
    ap.add_argument("--template-gestionale", default=None,
                    help="gestionale whose CSV layout replaces non-CSV sources (default: most common CSV layout)")
    args = ap.parse_args()

    repo = Path(args.repo).resolve()
    out = Path(args.out).resolve()
    data_dir = Path(args.data_dir).resolve() if args.data_dir else repo / "target-bench" / "data"
    src_dir = repo / "comuni"
    files = sorted(src_dir.glob("*.toml"))
    if not files:
        print(f"no source definitions in {src_dir}", file=sys.stderr)
        return 2
    defs = {}
    for f in files:
        with f.open("rb") as fh:
            defs[f] = tomllib.load(fh)

    # Template: a single-source CSV comune of the most common CSV layout.
    def layout_key(d: dict):
        s = d["anagrafe"][0]
        r = s["read"]
        return (d.get("gestionale"), r.get("encoding"), r.get("delimiter"))

    single_csv = [(f, d) for f, d in defs.items() if len(d.get("anagrafe", [])) == 1 and is_csv(d["anagrafe"][0])]
    if not single_csv:
        print("no comune with a single CSV source to take the layout from", file=sys.stderr)
        return 2
    if args.template_gestionale:
        candidates = [(f, d) for f, d in single_csv if d.get("gestionale") == args.template_gestionale]
        if not candidates:
            print(f"no single-source CSV comune of {args.template_gestionale!r}", file=sys.stderr)
            return 2
    else:
        common = collections.Counter(layout_key(d) for _, d in single_csv).most_common(1)[0][0]
        candidates = [(f, d) for f, d in single_csv if layout_key(d) == common]
    tpl_file, tpl = candidates[0]
    tpl_src = tpl["anagrafe"][0]
    tpl_istat = tpl["comune"]
    if tpl_istat not in tpl_src["url"]:
        print(f"template URL {tpl_src['url']!r} does not contain its comune code", file=sys.stderr)
        return 2

    comuni_out = out / "comuni"
    if comuni_out.exists():
        shutil.rmtree(comuni_out)
    comuni_out.mkdir(parents=True)

    kept = converted_comuni = converted_sources = 0
    formats = collections.Counter()
    for f, d in defs.items():
        sources = d.get("anagrafe", [])
        if all(is_csv(s) for s in sources):
            shutil.copyfile(f, comuni_out / f.name)
            kept += 1
            continue
        istat = d["comune"]
        all_replaced = not any(is_csv(s) for s in sources)
        new = dict(d)
        new["anagrafe"] = []
        for s in sources:
            if is_csv(s):
                new["anagrafe"].append(s)
                continue
            fmt = s.get("read", {}).get("format", "?")
            formats[fmt] += 1
            url = tpl_src["url"].replace(tpl_istat, istat)
            name = tpl_src["name"] if all_replaced else s["name"]
            new["anagrafe"].append({
                "name": name,
                "url": url,
                "read": dict(tpl_src["read"]),
                "columns": dict(tpl_src["columns"]),
            })
            converted_sources += 1
            print(f"  {istat} {d.get('denominazione', '')}: source {s['name']!r} ({fmt}) -> CSV {url}")
        if all_replaced and "gestionale" in tpl:
            new["gestionale"] = tpl["gestionale"]
        new["note"] = (f"Benchmark: sorgenti non CSV sostituite dal tracciato CSV di {tpl_istat} "
                       f"({tpl.get('gestionale', '')}).")
        header = (f"# {istat}: CSV-only benchmark definition generated by bench/make_csv_sources.py\n"
                  f"# from comuni/{f.name}; non-CSV sources use the CSV layout of comuni/{tpl_file.name}.")
        (comuni_out / f.name).write_text(render(new, header), encoding="utf-8")
        converted_comuni += 1

    anpr = (repo / ".." / "shared" / "refdata" / "ANPR_archivio_comuni.csv").resolve()
    settings = out / "metrodati.toml"
    settings.write_text(
        "# Benchmark settings generated by bench/make_csv_sources.py (absolute paths).\n"
        f"data_dir = {toml_value(str(data_dir))}\n"
        f"sources_dir = {toml_value(str(comuni_out))}\n"
        f"jobs_file = {toml_value(str(repo / 'jobs.toml'))}\n"
        f"anpr_archive = {toml_value(str(anpr))}\n",
        encoding="utf-8",
    )
    if not anpr.exists():
        print(f"warning: ANPR archive {anpr} not found: metrodati will skip birthplace validity checks",
              file=sys.stderr)
    fmt_text = ", ".join(f"{n} {k}" for k, n in sorted(formats.items())) or "none"
    print(f"template: comune {tpl_istat} ({tpl.get('gestionale', '')}, {tpl_src['read']})")
    print(f"{len(defs)} definitions: {kept} already CSV (copied), {converted_comuni} converted "
          f"({converted_sources} sources: {fmt_text})")
    print(f"settings: {settings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
