#!/usr/bin/env python3
"""Generate interop/tests/fixtures/cf_oracle.csv with python-codicefiscale as oracle.

Test-only helper; the fixture is committed, so neither CI nor `cargo test`
needs Python. Regenerate (deterministic, fixed seed) with:

    pip install python-codicefiscale==0.12.1
    python3 interop/tests/oracle/gen_cf_oracle.py

Each row holds random input data (names with accents, apostrophes, spaces,
foreign letters; dates 1925-2023 including 29 February; birthplaces from the
CM Milano list, a few other Italian comuni, historical codes and foreign
states, each valid at the birth date per the ANPR archive / Tabella 2), the
code python-codicefiscale encodes for it (`cf_python`), and the code "as
issued" (`cf`): for about a quarter of the rows a random omocodic variant
taken from python-codicefiscale's own list of the 127 omocodes.
The Rust test `interop/tests/cf_oracle.rs` checks that `cf::parse` accepts
every `cf`, decodes the same data, and that `cf::compute` equals `cf_python`.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
from importlib.metadata import version
from pathlib import Path

import codicefiscale

HERE = Path(__file__).resolve().parent
INTEROP = HERE.parent.parent
WORKSPACE = INTEROP.parent
SHARED = Path(os.environ.get("METRODATI_SHARED", WORKSPACE.parent / "shared"))
OUT = INTEROP / "tests" / "fixtures" / "cf_oracle.csv"
SEED = 20240601
N_ROWS = 220

SURNAMES = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
    "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
    "Giordano", "Rizzo", "Lombardi", "Moretti", "Fo", "Re", "Po", "Ng", "Oe", "Ai",
    "D'Angelo", "Dell'Acqua", "D'Amico", "Lo Russo", "La Rosa", "Di Stefano",
    "De' Medici", "Dall'Ò", "Nicolò", "Cantù", "Forlì", "Mazzà", "Perù",
    "Abbiati Ferrari", "Sanseverino di Bisignano", "Yilmaz", "Kowalski",
    "Müller", "Nguyen", "Wójcik", "Jovanović", "Popescu", "Ionescu", "Hoxha",
    "El Amrani", "Fernández", "García López", "O'Brien", "Schwarzenegger",
    "Ÿ", "Ò", "Xu", "Wu", "Li", "Zhang", "Kim", "Bâ", "Ducrœux",
    "Nguyễn", "Trần", "Đặng", "Phạm Thị", "Æbelø", "Þórsdóttir", "İnce",
]
GIVEN_NAMES = [
    "Marco", "Alessandro", "Niccolò", "Maria Grazia", "Anna", "Giulia", "Luca",
    "Francesca", "Giovanni", "Chiara", "Andrea", "Sara", "Matteo", "Elena",
    "Gianfranco", "Pierluigi", "Gianmaria", "Maria Teresa", "Anna Maria", "Al",
    "Eva", "Ugo", "Ida", "Ottavio", "Isabella", "Noè", "Mattia", "Désirée",
    "Zoë", "Jérôme", "Björn", "Yusuf", "Xiaoming", "Kwame", "Wanda", "Joy",
    "Ştefan", "Łukasz", "François", "Ángel", "Ana Lucía", "D'Artagnan",
    "Jean-Pierre", "Mohamed", "Fatima", "Aiko", "Iu", "Oe", "Ai", "Bo",
    "Lệ", "Hương", "Đức", "Nhật Minh", "Strauß", "Øystein", "Ğülşen",
]
# Italian comuni outside CM Milano (codice catastale): Monza, Roma, Napoli,
# Torino, Palermo, Bolzano, Aosta, Bergamo, Pavia, Lodi.
OTHER_COMUNI = ["F704", "H501", "F839", "L219", "G273", "A952", "A326", "A794", "G388", "E648"]
# Historical codes: Vermezzo, Zelo Surrigone (ceased 2019-02-07).
HISTORICAL = ["L768", "M160"]


def load_anpr() -> dict[str, list[tuple[dt.date, dt.date]]]:
    out: dict[str, list[tuple[dt.date, dt.date]]] = {}
    with open(SHARED / "refdata" / "ANPR_archivio_comuni.csv", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["CODCATASTALE"], []).append(
                (dt.date.fromisoformat(r["DATAISTITUZIONE"]), dt.date.fromisoformat(r["DATACESSAZIONE"]))
            )
    return out


def load_states() -> dict[str, tuple[dt.date, dt.date]]:
    out = {}
    with open(INTEROP / "data" / "stati_esteri.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["codice_at"] and r["data_inizio"]:
                out[r["codice_at"]] = (
                    dt.date.fromisoformat(r["data_inizio"]),
                    dt.date.fromisoformat(r["data_fine"]),
                )
    return out


def random_date(rng: random.Random) -> dt.date:
    if rng.random() < 0.06:
        year = rng.choice([y for y in range(1928, 2024, 4)])
        return dt.date(year, 2, 29)
    start, end = dt.date(1925, 1, 1), dt.date(2023, 12, 31)
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def main() -> None:
    assert version("python-codicefiscale") == "0.12.1", "pin python-codicefiscale==0.12.1"
    rng = random.Random(SEED)
    anpr = load_anpr()
    states = load_states()
    with open(INTEROP / "data" / "comuni_cm_milano.csv", encoding="utf-8") as fh:
        cm = [r["codice_catastale"] for r in csv.DictReader(fh)]

    def valid_italian(code: str, d: dt.date) -> bool:
        return any(a <= d <= b for a, b in anpr.get(code, []))

    rows = []
    skipped = 0
    while len(rows) < N_ROWS:
        d = random_date(rng)
        sex = rng.choice("MF")
        kind = rng.random()
        if kind < 0.55:
            place = rng.choice(cm)
        elif kind < 0.7:
            place = rng.choice(OTHER_COMUNI)
        elif kind < 0.75:
            place = rng.choice(HISTORICAL)
        else:
            place = rng.choice(sorted(states))
        ok = states[place][0] <= d <= states[place][1] if place.startswith("Z") else valid_italian(place, d)
        if not ok:
            continue
        family, given = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
        birth = dt.datetime(d.year, d.month, d.day)
        try:
            code = codicefiscale.encode(family, given, sex, birth, place)
        except ValueError:
            # python-codicefiscale's own data disagrees on the validity of
            # the code at that date: not a useful oracle row.
            skipped += 1
            continue
        assert code[11:15] == place, (code, place)
        issued = code
        if rng.random() < 0.25:
            issued = rng.choice(codicefiscale.decode(code)["omocodes"][1:])
            assert codicefiscale.is_valid(issued) and codicefiscale.is_omocode(issued)
        level = sum(1 for i in (6, 7, 9, 10, 12, 13, 14) if issued[i].isalpha())
        rows.append([family, given, sex, d.isoformat(), place, code, issued, str(level)])

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["family_name", "given_name", "sex", "birth_date", "birthplace", "cf_python", "cf", "omocodia_level"])
        w.writerows(rows)
    print(f"wrote {OUT}: {len(rows)} rows, {sum(r[6] != r[5] for r in rows)} omocodic, {skipped} skipped")


if __name__ == "__main__":
    main()
