#!/usr/bin/env python3
"""The anagrafe conversion of metrodati, done by DuckDB in SQL: the peer of the benchmark.

Usage:
    python3 bench/duckdb_anagrafe.py --config target-bench/bench-config/metrodati.toml \
        --out target-bench/duckdb-out [--threads 2] [--repo .] [--memory-limit 4GB]

Needs ``pip install duckdb`` (bench/run.sh installs it). Reads the same settings file and
CSV-only source definitions as ``metrodati --config ... run anagrafe``, and for each comune:

1. reads each CSV file of each ``[[anagrafe]]`` source with ``read_csv`` (declared delimiter,
   quote, header row; ``all_varchar``; encoding ``utf-8``, ``utf-16`` or ``latin-1``: DuckDB's
   built-in CSV reader has no windows-1252, so windows-1252 files are read as latin-1, which
   differs only in bytes 0x80-0x9F such as curly quotes and the euro sign). Rows with the wrong
   number of fields go to DuckDB's rejects table and count as quarantined (``ragged_row``);
2. applies the column mapping and the value recodings (trimmed, case-insensitive), trims and
   collapses whitespace, upper-cases names and codes, and parses dates with the declared
   format (``try_strptime``; without one, the same automatic formats as metrodati);
3. validates with the same rules and rule codes as ``interop/src/validate/anagrafe.rs``:
   required fields; codice fiscale length, format, check character (SQL macro with the
   odd/even tables of reference-data.md section 2.2; omocodia letters accepted), calendar
   date, and the letter-O-for-zero repair; CF consistency with birth date (yy, month letter,
   day + 40 for F), sex and birthplace (omocodia decoded); sex M/F; dates not in the future
   and not before 1890-01-01; residence not before birth; birthplace code format, foreign
   state in ANPR Tabella 2, and, when the settings name the ANPR archive of comuni, the
   codice catastale known and valid at the birth date; relation code in ANPR Tabella 5
   (``interop/data/relazioni_parentela.csv``) and marital status code
   (``interop/data/stati_civili.csv``) when present, leading zeros dropped; citizenship code
   of at most three digits (zero-padded); CAP of five digits when present; civic number
   starting with a digit; duplicate codice fiscale among valid rows (the first by source,
   file and row order is kept; ``duplicate_row`` when the normalised record is identical,
   ``duplicate_tax_code`` otherwise);
4. splits ``full_address`` into DUG / street / number / exponent with regular expressions
   (abbreviations such as ``P.ZA`` and ``V.LE`` expanded, the longest DUG of ANPR Tabella 4
   as prefix, a trailing ``N. 12/A`` / ``12 BIS``): a simpler version of
   ``interop/src/validate/address.rs`` that can differ on unusual lines; an abbreviated DUG in
   its own column (``V.``, ``P.ZA``) is expanded as ``address::expand_dug`` does;
5. writes ``<out>/persona|residenza|famiglia/comune=<istat>/part-0.parquet`` (zstd, the
   schema's columns) and ``<out>/quarantine/comune=<istat>/part-0.parquet`` (every rejected
   row with its rule codes), with ``COPY ... PARTITION_BY``. Row order inside a partition is
   not kept (metrodati keeps input order); bench/compare_outputs.py compares rows as multisets.

Comuni are processed in batches of about ``--batch-mib`` MiB of CSV (one set of queries per
batch, so that 133 small comuni do not pay 133 times the query set-up; a comune is never split).

Warnings of metrodati (unknown DUG, restricted relation codes, family without holder) do not
reject rows and are not computed. The quarantine keeps the mapped values and, for ragged rows,
the raw line, not the XLSX report metrodati writes.

Prints per-batch and total rows read / written / quarantined and the rule counts, checks read =
written + quarantined for each comune, and writes ``<out>/summary.json`` (totals, rules and
per-comune counts). Exit code 1 if a comune failed
or the accounting does not hold.
"""

from __future__ import annotations

import argparse
import csv
import glob
import io
import json
import os
import shutil
import sys
import time
import tomllib
from pathlib import Path

import duckdb

# Mapping targets, in the order of interop's Target enum.
TARGETS = [
    "tax_code", "family_name", "given_name", "sex_id", "date_of_birth", "birth_place_code",
    "citizenship_code", "marital_status_code", "resident_person_id", "registered_family_code",
    "parental_relationship_type_code", "toponym_qualifier", "official_street_name",
    "street_number", "street_number_exponent", "post_code", "residence_start_date",
    "full_address",
]
DATE_TARGETS = {"date_of_birth", "residence_start_date"}
AUTO_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d"]
ENCODINGS = {  # metrodati encoding -> (DuckDB encoding, Python codec for the header)
    "utf-8": ("utf-8", "utf-8-sig"), "utf8": ("utf-8", "utf-8-sig"),
    "auto": ("utf-8", "utf-8-sig"),
    "windows-1252": ("latin-1", "cp1252"), "cp1252": ("latin-1", "cp1252"),
    "iso-8859-1": ("latin-1", "latin-1"), "latin-1": ("latin-1", "latin-1"),
    "latin1": ("latin-1", "latin-1"),
    "utf-16": ("utf-16", "utf-16"),
}
# Check-character table for odd 1-based positions (reference-data.md 2.2), as letters 'A'+value.
ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]
ODD_STR = "".join(chr(65 + v) for v in ODD)
DUG_ABBREVIATIONS = [("P.ZZA", "PIAZZA"), ("P.ZA", "PIAZZA"), ("P.LE", "PIAZZALE"),
                     ("V.LE", "VIALE"), ("V.LO", "VICOLO"), ("C.SO", "CORSO"), ("L.GO", "LARGO"),
                     ("STR.", "STRADA"), ("V.", "VIA")]


def q(s: str) -> str:
    """SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def re_escape(s: str) -> str:
    """Escapes RE2 metacharacters (only those: RE2 rejects some of Python's escapes)."""
    return "".join("\\" + c if c in ".^$*+?()[]{}|\\" else c for c in s)


def macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(r"CREATE MACRO clean(x) AS nullif(trim(regexp_replace(x, '\s+', ' ', 'g')), '')")
    con.execute("CREATE MACRO cf_idx(c) AS CASE WHEN c <= '9' THEN ascii(c) - 48 ELSE ascii(c) - 65 END")
    con.execute(f"CREATE MACRO cf_odd(c) AS ascii(substr('{ODD_STR}', cf_idx(c) + 1, 1)) - 65")
    terms = " + ".join(
        (f"cf_odd(substr(s, {i}, 1))" if i % 2 == 1 else f"cf_idx(substr(s, {i}, 1))")
        for i in range(1, 16))
    con.execute(f"CREATE MACRO cf_check_char(s) AS chr(65 + (({terms}) % 26)::INTEGER)")
    con.execute("CREATE MACRO cf_num(s) AS CAST(translate(s, 'LMNPQRSTUV', '0123456789') AS INTEGER)")
    con.execute("""CREATE MACRO cf_month(c) AS instr('ABCDEHLMPRST', substr(c, 9, 1))""")
    con.execute("""CREATE MACRO cf_rawday(c) AS cf_num(substr(c, 10, 2))""")
    con.execute("""CREATE MACRO cf_date_ok(c) AS
        (cf_rawday(c) BETWEEN 1 AND 31 OR cf_rawday(c) BETWEEN 41 AND 71)
        AND cf_month(c) > 0
        AND (cf_rawday(c) % 40) <= CASE WHEN cf_month(c) = 2 THEN
                (CASE WHEN cf_num(substr(c, 7, 2)) % 4 = 0 THEN 29 ELSE 28 END)
             WHEN cf_month(c) IN (4, 6, 9, 11) THEN 30 ELSE 31 END""")
    pattern = "[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"
    con.execute(f"""CREATE MACRO cf_error(c) AS CASE
        WHEN length(c) <> 16 THEN 'cf_length'
        WHEN NOT regexp_full_match(c, '{pattern}') THEN 'cf_format'
        WHEN cf_check_char(c) <> substr(c, 16, 1) THEN 'cf_check_char'
        WHEN NOT cf_date_ok(c) THEN 'cf_date' END""")
    # Letter O typed for a zero at the seven digit positions (metrodati's cf_letter_o repair).
    con.execute("""CREATE MACRO cf_o_to_zero(c) AS substr(c, 1, 6) || replace(substr(c, 7, 2), 'O', '0')
        || substr(c, 9, 1) || replace(substr(c, 10, 2), 'O', '0') || substr(c, 12, 1)
        || replace(substr(c, 13, 3), 'O', '0') || substr(c, 16)""")
    # An abbreviated DUG given on its own (address::expand_dug): "P.ZA" -> "PIAZZA", "V" -> "VIA".
    whens = " ".join(f"WHEN {q(a.rstrip('.'))} THEN {q(full)}" for a, full in DUG_ABBREVIATIONS)
    con.execute(f"CREATE MACRO expand_dug(d) AS CASE rtrim(d, '.') {whens} ELSE d END")
    # Vocabulary code: leading zeros of a numeric code dropped ("01" -> "1").
    con.execute(r"""CREATE MACRO vocab_norm(v) AS CASE
        WHEN regexp_full_match(v, '0[0-9]+') THEN ltrim(v, '0') ELSE v END""")


def date_expr(col: str, fmt: str | None) -> str:
    """Parsed date of a cleaned text column, as metrodati's date::parse."""
    formats = [fmt] if fmt else AUTO_DATE_FORMATS
    tries = [f"try_strptime({col}, {q(f)})::DATE" for f in formats]
    part = f"regexp_extract({col}, '^([^T ]*)', 1)"
    tries.append(f"CASE WHEN length({part}) = 10 AND {part} <> {col} "
                 f"THEN try_strptime({part}, '%Y-%m-%d')::DATE END")
    return "coalesce(" + ", ".join(tries) + ")"


def read_header(path: str, codec: str, delimiter: str, quote: str, header_row: int) -> list[str]:
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    text = head.decode(codec, errors="replace")
    rows = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote)
    n = 0
    for row in rows:
        if not any(c.strip() for c in row):
            continue  # blank lines do not count, as in metrodati
        n += 1
        if n == header_row:
            return row
    raise ValueError(f"{path}: no header at row {header_row}")


def bind(columns: dict, header: list[str]) -> dict:
    """Target -> (header index, mapping); like BoundMapping::bind (trimmed, then case-insensitive)."""
    bound, missing = {}, []
    names = [h.strip() for h in header]
    for target, mapping in columns.items():
        col = mapping if isinstance(mapping, str) else mapping["column"]
        col_t = col.strip()
        idx = next((i for i, h in enumerate(names) if h == col_t), None)
        if idx is None:
            idx = next((i for i, h in enumerate(names) if h.lower() == col_t.lower()), None)
        if idx is None:
            missing.append(col)
        else:
            bound[target] = (idx, mapping)
    if missing:
        raise ValueError("colonne mancanti nell'intestazione: " + ", ".join(missing))
    return bound


def file_select(istat: str, path: str, src_idx: int, file_idx: int, read: dict, columns: dict) -> str:
    enc = str(read.get("encoding", "auto")).lower()
    if enc not in ENCODINGS:
        raise ValueError(f"encoding {enc!r} not supported by DuckDB's CSV reader")
    duck_enc, codec = ENCODINGS[enc]
    delimiter = read.get("delimiter", ",")
    quote = read.get("quote", '"')
    header_row = read.get("header_row", 1)
    if header_row == "auto":
        header_row = 1  # CSV with header_row = "auto": metrodati finds it; here the first row
    header = read_header(path, codec, delimiter, quote, int(header_row))
    bound = bind(columns, header)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    exprs = []
    for t in TARGETS:
        if t not in bound:
            exprs.append(f"NULL::VARCHAR AS {t}")
            if t in DATE_TARGETS:
                exprs.append(f"NULL::DATE AS {t}_p")
            continue
        idx, mapping = bound[t]
        v = f"c{idx}"
        values = mapping.get("values", {}) if isinstance(mapping, dict) else {}
        if values:
            whens = " ".join(f"WHEN {q(k.strip().upper())} THEN {q(x)}" for k, x in values.items())
            v = f"(CASE upper(trim({v})) {whens} ELSE {v} END)"
        if t in DATE_TARGETS:
            fmt = mapping.get("date_format") if isinstance(mapping, dict) else None
            exprs.append(f"clean({v}) AS {t}")
            exprs.append(f"{date_expr(f'clean({v})', fmt)} AS {t}_p")
        else:
            exprs.append(f"{v} AS {t}")
    options = [
        f"delim={q(delimiter)}", f"quote={q(quote)}", "escape='\"'" if quote == '"' else f"escape={q(quote)}",
        "header=true", f"skip={int(header_row) - 1}", "all_varchar=true", "auto_detect=false",
        f"columns={cols}", f"encoding={q(duck_enc)}", "store_rejects=true", "null_padding=false",
        "parallel=true",
    ]
    return (f"SELECT {q(istat)} AS istat, {src_idx} AS src_idx, {file_idx} AS file_idx, row_number() OVER () AS rn, "
            + ", ".join(exprs)
            + f" FROM read_csv({q(path)}, {', '.join(options)})")


VALIDATE_SQL = r"""
WITH n AS (
    SELECT istat, src_idx, file_idx, rn,
        replace(upper(clean(tax_code)), ' ', '') AS tc0,
        upper(clean(family_name)) AS fam, upper(clean(given_name)) AS giv,
        upper(clean(sex_id)) AS sex, date_of_birth AS dob_s, date_of_birth_p AS dob_p,
        upper(clean(birth_place_code)) AS bp, clean(citizenship_code) AS cit,
        vocab_norm(upper(clean(marital_status_code))) AS mar,
        upper(clean(resident_person_id)) AS rpid, clean(registered_family_code) AS famc,
        vocab_norm(upper(clean(parental_relationship_type_code))) AS rel,
        expand_dug(upper(clean(toponym_qualifier))) AS dug0, upper(clean(official_street_name)) AS street0,
        upper(clean(street_number)) AS num0, upper(clean(street_number_exponent)) AS exp0,
        clean(post_code) AS cap, residence_start_date AS rsd_s, residence_start_date_p AS rsd_p,
        rtrim(upper(clean(full_address)), ', ') AS addr,
        -- raw mapped values for the quarantine
        tax_code AS raw_tax_code, family_name AS raw_family_name, given_name AS raw_given_name,
        date_of_birth AS raw_date_of_birth, full_address AS raw_full_address
    FROM raw
),
n2 AS (
    SELECT *, cf_error(tc0) AS cf_err0, cf_o_to_zero(tc0) AS tc_o FROM n
),
a AS (  -- address split (simplified address::split) and the codice fiscale
    SELECT *,
        regexp_extract(addr, '^({abbr})\s*(.*)$', ['abbr', 'rest']) AS ab,
        CASE WHEN cf_err0 IS NULL THEN tc0
             WHEN tc_o <> tc0 AND cf_error(tc_o) IS NULL THEN tc_o
        END AS tc
    FROM n2
),
b AS (
    SELECT *,
        CASE WHEN ab.abbr <> '' THEN ab.rest ELSE addr END AS rest1,
        CASE {abbr_case} END AS abbr_dug
    FROM a
),
c AS (
    SELECT *,
        regexp_extract(rest1, '^({dugs}) +(.*)$', ['dug', 'rest']) AS dm
    FROM b
),
d AS (
    SELECT *,
        coalesce(abbr_dug, nullif(dm.dug, '')) AS a_dug,
        CASE WHEN abbr_dug IS NULL AND dm.dug <> '' THEN dm.rest ELSE rest1 END AS rest2
    FROM c
),
e AS (
    SELECT *,
        regexp_extract(rest2,
            '^(.*?\S)[\s,]+,?([0-9]+)(?:[/-]*([A-Z]|BIS|TER|QUATER))?(?:\s+([A-Z]|BIS|TER|QUATER))?$',
            ['street', 'num', 'exp1', 'exp2']) AS nm
    FROM d
),
f AS (
    SELECT *,
        nullif(trim(rtrim(CASE WHEN nm.num <> ''
            THEN regexp_replace(nm.street, '\s+(N\.|N|NR\.|NR|N°)$', '')
            ELSE rest2 END, ', ')), '') AS a_street,
        nullif(nm.num, '') AS a_num,
        coalesce(nullif(nm.exp1, ''), nullif(nm.exp2, '')) AS a_exp
    FROM e
),
g AS (
    SELECT *,
        CASE WHEN dob_s IS NULL THEN 'required_missing' WHEN dob_p IS NULL THEN 'date_invalid'
             WHEN dob_p > current_date THEN 'date_in_future'
             WHEN dob_p < DATE '1890-01-01' THEN 'date_out_of_range' END AS dob_err,
        CASE WHEN rsd_s IS NULL THEN NULL WHEN rsd_p IS NULL THEN 'date_invalid'
             WHEN rsd_p > current_date THEN 'date_in_future'
             WHEN rsd_p < DATE '1890-01-01' THEN 'date_out_of_range' END AS rsd_err,
        coalesce(dug0, a_dug) AS dug,
        coalesce(street0, CASE WHEN addr IS NOT NULL THEN a_street END) AS street,
        coalesce(num0, CASE WHEN addr IS NOT NULL THEN a_num END) AS num,
        coalesce(exp0, CASE WHEN addr IS NOT NULL THEN a_exp END) AS expo
    FROM f
),
h AS (
    SELECT g.*,
        CASE WHEN dob_err IS NULL THEN dob_p END AS dob,
        CASE WHEN rsd_err IS NULL THEN rsd_p END AS rsd,
        CASE WHEN sex IN ('M', 'F') THEN sex END AS sex_ok,
        lpad(cit, 3, '0') AS cit3,
        arc.intervals AS bp_intervals,
        (est.codice IS NOT NULL) AS bp_foreign_known
    FROM g
    LEFT JOIN anpr_codes arc ON arc.code = g.bp
    LEFT JOIN stati_esteri est ON est.codice = g.bp
),
v AS (
    SELECT *,
        list_filter([
            CASE WHEN tc0 IS NULL THEN 'required_missing'
                 WHEN tc IS NULL THEN cf_err0 END,
            CASE WHEN fam IS NULL THEN 'required_missing' END,
            CASE WHEN giv IS NULL THEN 'required_missing' END,
            CASE WHEN sex IS NULL THEN 'required_missing'
                 WHEN sex_ok IS NULL THEN 'enum_invalid' END,
            dob_err,
            CASE WHEN bp IS NULL THEN 'required_missing' END,
            CASE WHEN bp IS NOT NULL AND dob IS NOT NULL THEN
                CASE WHEN NOT regexp_full_match(bp, '[A-Z][0-9]{{3}}') THEN 'belfiore_invalid'
                     WHEN starts_with(bp, 'Z') THEN
                        CASE WHEN NOT bp_foreign_known THEN 'foreign_state_unknown' END
                     WHEN {archive} AND bp_intervals IS NULL THEN 'belfiore_unknown'
                     WHEN {archive} AND len(list_filter(bp_intervals,
                            lambda x: x.valid_from <= dob AND dob <= x.valid_to)) = 0
                        THEN 'birthplace_not_valid_at_date'
                END
            END,
            CASE WHEN tc IS NOT NULL AND dob IS NOT NULL AND (
                    cf_num(substr(tc, 7, 2)) <> year(dob) % 100
                    OR cf_month(tc) <> month(dob)
                    OR cf_rawday(tc) % 40 <> day(dob)) THEN 'cf_birth_date_mismatch' END,
            CASE WHEN tc IS NOT NULL AND sex_ok IS NOT NULL
                  AND (CASE WHEN cf_rawday(tc) > 40 THEN 'F' ELSE 'M' END) <> sex_ok
                 THEN 'cf_sex_mismatch' END,
            CASE WHEN tc IS NOT NULL AND bp IS NOT NULL
                  AND substr(tc, 12, 1) || translate(substr(tc, 13, 3), 'LMNPQRSTUV', '0123456789') <> bp
                 THEN 'cf_birthplace_mismatch' END,
            CASE WHEN cit IS NOT NULL AND NOT regexp_full_match(cit, '[0-9]{{1,3}}')
                 THEN 'citizenship_invalid' END,
            CASE WHEN mar IS NOT NULL AND mar NOT IN (SELECT codice FROM stati_civili)
                 THEN 'enum_invalid' END,
            CASE WHEN famc IS NULL THEN 'required_missing' END,
            CASE WHEN rel IS NULL THEN 'required_missing'
                 WHEN rel NOT IN (SELECT codice FROM relazioni) THEN 'enum_invalid' END,
            CASE WHEN addr IS NOT NULL AND a_street IS NULL THEN 'address_unparsable' END,
            CASE WHEN num IS NOT NULL AND NOT regexp_matches(num, '^[0-9]')
                 THEN 'street_number_invalid' END,
            CASE WHEN street IS NULL THEN 'required_missing' END,
            CASE WHEN cap IS NOT NULL AND NOT regexp_full_match(cap, '[0-9]{{5}}')
                 THEN 'post_code_invalid' END,
            rsd_err,
            CASE WHEN rsd IS NOT NULL AND dob IS NOT NULL AND rsd < dob
                 THEN 'residence_before_birth' END
        ], lambda x: x IS NOT NULL) AS issues
    FROM h
),
w AS (
    SELECT istat, src_idx, file_idx, rn, tc, fam, giv, sex_ok, dob, bp, cit3, mar, rpid, famc, rel,
        dug, street, num, expo, cap, rsd, issues,
        raw_tax_code, raw_family_name, raw_given_name, raw_date_of_birth, raw_full_address,
        hash(tc, fam, giv, sex_ok, dob, bp, cit3, mar, rpid, famc, rel, dug, street, num, expo,
             cap, rsd) AS rec_hash
    FROM v
),
x AS (  -- duplicate codice fiscale among valid rows: the first one (source, file, row) is kept
    SELECT *,
        row_number() OVER win AS dup_rank,
        first_value(rec_hash) OVER win AS first_hash
    FROM w
    WINDOW win AS (PARTITION BY istat, tc, len(issues) = 0 ORDER BY src_idx, file_idx, rn)
)
SELECT * EXCLUDE (rec_hash, first_hash, dup_rank),
    CASE WHEN len(issues) > 0 THEN issues
         WHEN dup_rank > 1 THEN
            [CASE WHEN rec_hash = first_hash THEN 'duplicate_row' ELSE 'duplicate_tax_code' END]
         ELSE [] END AS rules
FROM x
"""


def build_validate_sql(con, archive: bool) -> str:
    abbr = "|".join(re_escape(a) for a, _ in DUG_ABBREVIATIONS)
    abbr_case = " ".join(f"WHEN ab.abbr = {q(a)} THEN {q(full)}" for a, full in DUG_ABBREVIATIONS)
    dugs = [r[0] for r in con.execute("SELECT name FROM dugs").fetchall()]
    dugs.sort(key=lambda s: (-len(s), s))  # leftmost-first alternation: longest DUG wins
    sql = VALIDATE_SQL.replace("{abbr}", abbr).replace("{abbr_case}", abbr_case)
    sql = sql.replace("{dugs}", "|".join(re_escape(d) for d in dugs).replace("'", "''"))
    sql = sql.replace("{archive}", "true" if archive else "false")
    return sql.replace("{{", "{").replace("}}", "}")


def load_reference(con, repo: Path, anpr_archive: Path | None) -> bool:
    data = repo / "interop" / "data"
    con.execute(f"CREATE TABLE relazioni AS SELECT codice::VARCHAR AS codice FROM read_csv({q(str(data / 'relazioni_parentela.csv'))}, all_varchar=true)")
    con.execute(f"CREATE TABLE stati_civili AS SELECT codice::VARCHAR AS codice FROM read_csv({q(str(data / 'stati_civili.csv'))}, all_varchar=true)")
    con.execute(f"""CREATE TABLE stati_esteri AS
        SELECT DISTINCT codice_at AS codice FROM read_csv([{q(str(data / 'stati_esteri.csv'))},
            {q(str(data / 'stati_esteri_cessati.csv'))}], all_varchar=true, union_by_name=true)""")
    con.execute(f"CREATE TABLE dugs AS SELECT upper(trim(descrizione)) AS name FROM read_csv({q(str(data / 'dug.csv'))}, all_varchar=true)")
    if anpr_archive and anpr_archive.exists():
        con.execute(f"""CREATE TABLE anpr_codes AS
            SELECT CODCATASTALE AS code,
                   list({{'valid_from': coalesce(try_strptime(DATAISTITUZIONE, '%Y-%m-%d'),
                                                 try_strptime(DATAISTITUZIONE, '%d/%m/%Y'))::DATE,
                          'valid_to': coalesce(try_strptime(DATACESSAZIONE, '%Y-%m-%d'),
                                               try_strptime(DATACESSAZIONE, '%d/%m/%Y'),
                                               DATE '9999-12-31')::DATE}}) AS intervals
            FROM read_csv({q(str(anpr_archive))}, all_varchar=true, header=true)
            GROUP BY CODCATASTALE""")
        return True
    con.execute("CREATE TABLE anpr_codes (code VARCHAR, intervals STRUCT(valid_from DATE, valid_to DATE)[])")
    return False


def resolve_files(d: dict, data_dir: Path) -> list[tuple[int, int, str, dict]]:
    """(source index, file index, path, source) of every file of a definition, sorted by path."""
    out = []
    if not d.get("anagrafe"):
        raise ValueError("la definizione non ha sorgenti [[anagrafe]]")
    for si, src in enumerate(d["anagrafe"]):
        if str(src["read"].get("format")).lower() != "csv":
            raise ValueError(f"source {src['name']}: not CSV (run bench/make_csv_sources.py)")
        url = src["url"]
        pattern = url[len("file://"):] if url.startswith("file://") else url
        pattern = pattern if os.path.isabs(pattern) else str(data_dir / pattern)
        files = sorted(glob.glob(pattern))
        if not files:
            raise ValueError(f"nessun file corrisponde a «{url}»")
        out += [(si, fi, path, src) for fi, path in enumerate(files)]
    return out


def copy_partitioned(con, query: str, dest: Path) -> None:
    """COPY a query with a `comune` column to dest/comune=<istat>/part-0.parquet (zstd)."""
    con.execute(f"""COPY ({query}) TO {q(str(dest))}
        (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (comune), FILENAME_PATTERN 'part-{{i}}',
         OVERWRITE_OR_IGNORE true)""")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="metrodati settings file (bench)")
    ap.add_argument("--out", required=True, help="output folder (replaced)")
    ap.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit (default: DuckDB's own)")
    ap.add_argument("--batch-mib", type=float, default=64.0,
                    help="comuni are processed in batches of about this many MiB of CSV input "
                         "(one set of queries per batch; a comune is never split; default 64)")
    ap.add_argument("--comuni", default=None, help="only these ISTAT codes, comma separated")
    args = ap.parse_args()

    cfg_path = Path(args.config).resolve()
    cfg = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    root = cfg_path.parent
    absp = lambda p: (Path(p) if Path(p).is_absolute() else root / p)  # noqa: E731
    data_dir = absp(cfg.get("data_dir", "data"))
    sources_dir = absp(cfg.get("sources_dir", "comuni"))
    anpr = absp(cfg["anpr_archive"]) if cfg.get("anpr_archive") else None
    out = Path(args.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    only = set(args.comuni.split(",")) if args.comuni else None

    started = time.monotonic()
    con = duckdb.connect()
    con.execute(f"SET threads = {int(args.threads)}")
    if args.memory_limit:
        con.execute(f"SET memory_limit = {q(args.memory_limit)}")
    con.execute("SET preserve_insertion_order = true")
    macros(con)
    archive = load_reference(con, Path(args.repo).resolve(), anpr)
    validate_sql = build_validate_sql(con, archive)
    setting = lambda n: con.execute(f"SELECT current_setting({q(n)})").fetchone()[0]  # noqa: E731
    print(f"duckdb {duckdb.__version__}: threads={setting('threads')}, memory_limit={setting('memory_limit')}, "
          f"ANPR archive {'used' if archive else 'absent'}", flush=True)

    # Resolve every comune's files; group comuni into batches by input size.
    failures: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    batches: list[list[tuple[str, list]]] = [[]]
    batch_bytes = 0
    for def_path in sorted(sources_dir.glob("*.toml")):
        d = tomllib.loads(def_path.read_text(encoding="utf-8"))
        istat = d["comune"]
        if only and istat not in only:
            continue
        names[istat] = d.get("denominazione", "")
        try:
            files = resolve_files(d, data_dir)
        except ValueError as e:
            failures.append((istat, str(e)))
            print(f"{istat} FAILED: {e}", flush=True)
            continue
        size = sum(os.path.getsize(f[2]) for f in files)
        if batches[-1] and batch_bytes + size > args.batch_mib * 2**20:
            batches.append([])
            batch_bytes = 0
        batches[-1].append((istat, files))
        batch_bytes += size

    totals = {"read": 0, "written": 0, "quarantined": 0}
    per_comune, rules_total = [], {}
    staging = out / "_staging"
    for bi, batch in enumerate(b for b in batches if b):
        t0 = time.monotonic()
        selects, file_comune = [], {}
        for istat, files in batch:
            try:
                for si, fi, path, src in files:
                    selects.append(file_select(istat, path, si, fi, src["read"], src["columns"]))
                    file_comune[path] = istat
            except (ValueError, OSError) as e:
                failures.append((istat, str(e)))
                print(f"{istat} FAILED: {e}", flush=True)
                selects = [s for s in selects if not s.startswith(f"SELECT {q(istat)} ")]
        if not selects:
            continue
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE raw AS " + " UNION ALL ".join(selects))
            con.execute("CREATE OR REPLACE TEMP TABLE chk AS " + validate_sql)
            ragged = con.execute("""
                SELECT s.file_path, e.line, any_value(e.csv_line) FROM reject_errors e
                JOIN reject_scans s USING (scan_id, file_id)
                GROUP BY ALL ORDER BY 1, 2""").fetchall()
            con.execute("DELETE FROM reject_errors")
            con.execute("DELETE FROM reject_scans")
            con.execute("DROP TABLE raw")
            con.execute("CREATE OR REPLACE TEMP TABLE ragged (comune VARCHAR, file VARCHAR, line BIGINT, raw_line VARCHAR)")
            if ragged:
                con.executemany("INSERT INTO ragged VALUES (?, ?, ?, ?)",
                                [(file_comune.get(f, ""), f, line, raw) for f, line, raw in ragged])
            dest = staging / f"batch-{bi}"
            dest.mkdir(parents=True, exist_ok=True)
            copy_partitioned(con, f"""SELECT istat AS comune_istat, tc AS tax_code, fam AS family_name,
                    giv AS given_name, sex_ok AS sex_id, dob AS date_of_birth, bp AS birth_place_code,
                    cit3 AS citizenship_code, mar AS marital_status_code, rpid AS resident_person_id,
                    istat AS comune
                FROM chk WHERE len(rules) = 0""", dest / "persona")
            copy_partitioned(con, f"""SELECT istat AS comune_istat, tc AS tax_code, famc AS registered_family_code,
                    rel AS parental_relationship_type_code, dug AS toponym_qualifier,
                    street AS official_street_name, num AS street_number, expo AS street_number_exponent,
                    cap AS post_code, rsd AS residence_start_date, istat AS comune
                FROM chk WHERE len(rules) = 0""", dest / "residenza")
            copy_partitioned(con, """SELECT istat AS comune_istat, famc AS registered_family_code,
                    count(*)::INTEGER AS number_of_components,
                    arg_min(tc, (src_idx, file_idx, rn)) FILTER (WHERE rel = '1') AS holder_tax_code,
                    istat AS comune
                FROM chk WHERE len(rules) = 0 GROUP BY istat, famc""", dest / "famiglia")
            copy_partitioned(con, """
                SELECT istat AS comune_istat, src_idx, file_idx, rn AS row, rules,
                       raw_tax_code, raw_family_name, raw_given_name, raw_date_of_birth,
                       raw_full_address, NULL::VARCHAR AS file, NULL::VARCHAR AS raw_line, istat AS comune
                FROM chk WHERE len(rules) > 0
                UNION ALL
                SELECT comune, NULL, NULL, line, ['ragged_row'], NULL, NULL, NULL, NULL, NULL,
                       file, raw_line, comune FROM ragged""", dest / "quarantine")
            counts = con.execute("""
                SELECT istat, count(*) FILTER (WHERE len(rules) = 0), count(*) FILTER (WHERE len(rules) > 0)
                FROM chk GROUP BY istat""").fetchall()
            for rule, n in con.execute(
                    "SELECT r, count(*) FROM (SELECT unnest(rules) AS r FROM chk) GROUP BY r").fetchall():
                rules_total[rule] = rules_total.get(rule, 0) + n
            if ragged:
                rules_total["ragged_row"] = rules_total.get("ragged_row", 0) + len(ragged)
        except duckdb.Error as e:
            for istat, _ in batch:
                failures.append((istat, str(e)))
            print(f"batch {bi} ({', '.join(i for i, _ in batch)}) FAILED: {e}", flush=True)
            continue
        # Move the batch's partitions into place: <out>/<table>/comune=<istat>/part-0.parquet.
        for table_dir in dest.iterdir():
            for part in table_dir.iterdir():
                target = out / table_dir.name / part.name
                target.parent.mkdir(parents=True, exist_ok=True)
                part.rename(target)
        shutil.rmtree(dest)
        ragged_by = {}
        for f, _, _ in ragged:
            ragged_by[file_comune.get(f, "")] = ragged_by.get(file_comune.get(f, ""), 0) + 1
        dt = time.monotonic() - t0
        batch_rows = 0
        for istat, n_ok, n_bad in sorted(counts):
            n_rag = ragged_by.get(istat, 0)
            read, written, quarantined = n_ok + n_bad + n_rag, n_ok, n_bad + n_rag
            batch_rows += read
            per_comune.append({"comune": istat, "read": read, "written": written,
                               "quarantined": quarantined, "batch": bi})
            totals["read"] += read
            totals["written"] += written
            totals["quarantined"] += quarantined
            if read != written + quarantined:
                failures.append((istat, "accounting mismatch"))
        print(f"batch {bi}: {len(batch)} comuni ({batch[0][0]}..{batch[-1][0]}), {batch_rows} rows read, "
              f"{dt:.1f}s", flush=True)

    if staging.exists():
        shutil.rmtree(staging)
    elapsed = time.monotonic() - started
    balanced = totals["read"] == totals["written"] + totals["quarantined"]
    print(f"duckdb: read {totals['read']} = written {totals['written']} + quarantined "
          f"{totals['quarantined']}: {'OK' if balanced else 'MISMATCH'}; {len(per_comune)} comuni, "
          f"{len(failures)} failed ({elapsed:.1f}s)")
    print("rules: " + ", ".join(f"{k} {v}" for k, v in sorted(rules_total.items())))
    for istat, err in failures:
        print(f"FAILED {istat} {names.get(istat, '')}: {err}")
    (out / "summary.json").write_text(json.dumps({
        "duckdb_version": duckdb.__version__, "threads": args.threads, "seconds": elapsed,
        "anpr_archive": archive, "batch_mib": args.batch_mib, "totals": totals, "rules": rules_total,
        "failures": failures, "comuni": per_comune}, indent=1), encoding="utf-8")
    return 0 if balanced and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
