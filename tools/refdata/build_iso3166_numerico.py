#!/usr/bin/env python3
"""Writes interop/data/iso3166_numerico.csv: the ISO 3166-1 numeric code of
every state of interop/data/stati_esteri.csv that has an ISO alpha-3 code.

SIUSS (PS_PSA_SINA201812.xsd) writes citizenship as a three-digit ISO 3166
numeric code (380 = Italia, 990 = non disponibile), while ANPR/ISTAT use
their own state codes: this table bridges them through the alpha-3 code.

Source: pycountry (LGPL-2.1), whose data comes from Debian iso-codes
(ISO 3166-1). Run: pip install pycountry && python3 tools/refdata/build_iso3166_numerico.py
"""
import csv
import pathlib

import pycountry

root = pathlib.Path(__file__).resolve().parents[2]
data = root / "interop" / "data"
codes = sorted({r["iso3"] for r in csv.DictReader(open(data / "stati_esteri.csv", encoding="utf-8")) if r["iso3"]})
with open(data / "iso3166_numerico.csv", "w", encoding="utf-8", newline="\n") as out:
    out.write("iso3,numerico\n")
    for iso3 in codes:
        c = pycountry.countries.get(alpha_3=iso3)
        if c is not None:
            out.write(f"{iso3},{c.numeric}\n")
