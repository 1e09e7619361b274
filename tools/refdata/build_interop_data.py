#!/usr/bin/env python3
"""Regenerate the reference tables embedded in the `metrodati-interop` crate.

Reads the read-only reference files in `shared/refdata/` (sibling of the workspace
root, or the directory named by the METRODATI_SHARED environment variable) and
writes small derived CSV files into `interop/data/`:

* comuni_cm_milano.csv      <- cm_milano_comuni_133.csv (+ popolazione_cm_milano_2024_approx.csv here)
* stati_esteri.csv          <- tab_Stati_Esteri.xlsx (ANPR Tabella 2)
* stati_esteri_cessati.csv  <- python-codicefiscale 0.12.1 data (deleted-countries.json,
                               countries-patch.json), ANPR-derived, for Z codes missing
                               from Tabella 2
* relazioni_parentela.csv   <- tab_Relazione_di_parentela___Famiglia.xlsx (ANPR Tabella 5)
* tipi_cittadinanza.csv     <- tab_Tipi_cittadinanza.xlsx (ANPR Tabella 38)
* stati_civili.csv          <- the ANPR "stato civile" codes, transcribed below

Requirements: python3, `pip install openpyxl python-codicefiscale==0.12.1`.

Usage (from the workspace root):  python3 tools/refdata/build_interop_data.py
The output is deterministic: running it twice gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE.parent.parent
SHARED = Path(os.environ.get("METRODATI_SHARED", WORKSPACE.parent / "shared"))
REFDATA = SHARED / "refdata"
OUT = WORKSPACE / "interop" / "data"

OPEN_END = "9999-12-31"

# ANPR stato civile codes (ANPR decoding table "Stato civile", tab_Stato_civile.xlsx in
# italia/anpr; same codes as the OntoPiA marital-status-types vocabulary). Code 5 is not used.
STATI_CIVILI = [
    ("1", "Celibe/Nubile"),
    ("2", "Coniugato/a"),
    ("3", "Vedovo/a"),
    ("4", "Divorziato/a"),
    ("6", "Unito civilmente"),
    ("7", "Stato libero a seguito di decesso della parte unita civilmente"),
    ("8", "Stato libero a seguito di scioglimento dell'unione"),
    ("9", "Non classificabile/ignoto"),
]


def clean(value: object) -> str:
    """Cell value as a trimmed string with internal whitespace runs collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def iso_date(value: object) -> str:
    """xlsx date cell (datetime, 'dd/mm/yyyy' string or empty) -> ISO 'yyyy-mm-dd' or ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        day, month, year = (int(g) for g in m.groups())
        return dt.date(year, month, day).isoformat()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?", text)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    raise ValueError(f"unrecognised date value: {value!r}")


def read_sheet(name: str) -> list[dict[str, object]]:
    import openpyxl  # imported lazily so that --help works without it

    wb = openpyxl.load_workbook(REFDATA / name, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = [clean(h) for h in rows[0]]
    out = []
    for row in rows[1:]:
        if all(v is None or clean(v) == "" for v in row):
            continue
        out.append(dict(zip(header, row)))
    return out


def write_csv(name: str, header: list[str], rows: list[list[str]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {OUT / name} ({len(rows)} rows)")


def build_comuni() -> None:
    with open(REFDATA / "cm_milano_comuni_133.csv", encoding="utf-8") as fh:
        comuni = list(csv.DictReader(fh))
    with open(HERE / "popolazione_cm_milano_2024_approx.csv", encoding="utf-8") as fh:
        pop = {r["codice_istat"]: int(r["popolazione"]) for r in csv.DictReader(fh)}
    rows = []
    for c in sorted(comuni, key=lambda r: r["codice_istat"]):
        code = c["codice_istat"]
        if code not in pop:
            sys.exit(f"no population figure for {code} {c['denominazione']}")
        rows.append([code, c["denominazione"], c["codice_catastale"], c["nuts3_2024"], str(pop[code])])
    if len(rows) != 133 or set(pop) != {r[0] for r in rows}:
        sys.exit("comuni/population mismatch: expected the same 133 ISTAT codes")
    write_csv(
        "comuni_cm_milano.csv",
        ["codice_istat", "denominazione", "codice_catastale", "nuts3", "popolazione"],
        rows,
    )


def build_stati_esteri() -> set[str]:
    rows = []
    for r in read_sheet("tab_Stati_Esteri.xlsx"):
        name = clean(r.get("DENOMINAZIONE")) or clean(r.get("DENOMINAZIONEISTAT"))
        rows.append(
            [
                clean(r.get("CODAT")),
                name,
                clean(r.get("CODISTAT")),
                clean(r.get("CODISO3166_1_ALPHA3")),
                iso_date(r.get("DATAINIZIOVALIDITA")),
                iso_date(r.get("DATAFINEVALIDITA")),
            ]
        )
    # Z-coded rows first, by code; then the rows without an AT code, by ISTAT code.
    rows.sort(key=lambda x: (x[0] == "", x[0], x[2]))
    write_csv(
        "stati_esteri.csv",
        ["codice_at", "denominazione", "codice_istat", "iso3", "data_inizio", "data_fine"],
        rows,
    )
    return {r[0] for r in rows if r[0]}


def build_stati_esteri_cessati(known: set[str]) -> None:
    try:
        import codicefiscale  # python-codicefiscale
        from importlib.metadata import version
    except ImportError:
        sys.exit("pip install python-codicefiscale==0.12.1 (needed for stati_esteri_cessati.csv)")
    if version("python-codicefiscale") != "0.12.1":
        sys.exit("expected python-codicefiscale 0.12.1 (the version documented in interop/data/README.md)")
    data = Path(codicefiscale.__file__).parent / "data"
    entries = {}
    for name in ("deleted-countries.json", "countries-patch.json"):
        for e in json.loads((data / name).read_text(encoding="utf-8")):
            code = e["code"]
            if code in known or code in entries:
                continue
            entries[code] = [
                code,
                clean(e["name"]).upper(),
                "",
                "",
                iso_date(e.get("date_created") or ""),
                iso_date(e.get("date_deleted") or "") or OPEN_END,
            ]
    write_csv(
        "stati_esteri_cessati.csv",
        ["codice_at", "denominazione", "codice_istat", "iso3", "data_inizio", "data_fine"],
        [entries[k] for k in sorted(entries)],
    )


def code_table(sheet: str, out: str) -> None:
    rows = []
    for r in read_sheet(sheet):
        code = clean(r.get("ID"))
        if not code:
            continue
        rows.append(
            [
                code,
                clean(r.get("DESCRIZIONE")),
                iso_date(r.get("DATAFINEVALIDITA")),
                clean(r.get("Note") or r.get("NOTE")),
            ]
        )
    rows.sort(key=lambda x: int(x[0]))
    write_csv(out, ["codice", "descrizione", "data_fine_validita", "note"], rows)


def main() -> None:
    if "--help" in sys.argv or "-h" in sys.argv:
        print(__doc__)
        return
    if not REFDATA.is_dir():
        sys.exit(f"reference directory not found: {REFDATA} (set METRODATI_SHARED)")
    build_comuni()
    known = build_stati_esteri()
    build_stati_esteri_cessati(known)
    code_table("tab_Relazione_di_parentela___Famiglia.xlsx", "relazioni_parentela.csv")
    code_table("tab_Tipi_cittadinanza.xlsx", "tipi_cittadinanza.csv")
    write_csv(
        "stati_civili.csv",
        ["codice", "descrizione", "data_fine_validita", "note"],
        [[c, d, "", ""] for c, d in STATI_CIVILI],
    )


if __name__ == "__main__":
    main()
