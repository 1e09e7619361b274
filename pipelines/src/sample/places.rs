//! Places: birthplaces (codici catastali valid over the whole span of
//! birth dates generated, and foreign-state `Z` codes), streets and CAP.

use metrodati_interop::refdata;

/// Birth dates are generated from this day on (the oldest residents).
pub(crate) const OLDEST_BIRTH_YEAR: i32 = 1921;

/// Italian birthplaces used by the generator, with their codice catastale.
///
/// Each code is valid without interruption from before [`OLDEST_BIRTH_YEAR`]
/// to today in the ANPR archive of comuni (checked by a test against
/// `ANPR_archivio_comuni.csv`), so every generated birth date is valid for
/// it. Vimercate (Monza e Brianza) and comuni created or merged recently
/// (Baranzate 2004, Vermezzo con Zelo 2019) are deliberately absent.
pub(crate) const MILANO: &str = "F205";

/// Hospitals of the Città Metropolitana where many residents were born.
pub(crate) const CM_HOSPITALS: &[(&str, &str)] = &[
    ("H264", "RHO"),
    ("E514", "LEGNANO"),
    ("E801", "MAGENTA"),
    ("D912", "GARBAGNATE MILANESE"),
    ("F100", "MELEGNANO"),
];

/// Big cities, mostly of the South (the migrations of the 1950s–1970s).
pub(crate) const OTHER_CITIES: &[(&str, &str, u32)] = &[
    ("F839", "NAPOLI", 20),
    ("G273", "PALERMO", 14),
    ("A662", "BARI", 12),
    ("C351", "CATANIA", 10),
    ("D643", "FOGGIA", 10),
    ("H501", "ROMA", 12),
    ("L219", "TORINO", 8),
    ("D969", "GENOVA", 6),
];

/// Every Italian birthplace code the generator can emit.
#[cfg(test)]
pub(crate) fn italian_birthplaces() -> Vec<&'static str> {
    let mut v = vec![MILANO];
    v.extend(CM_HOSPITALS.iter().map(|(c, _)| *c));
    v.extend(OTHER_CITIES.iter().map(|(c, _, _)| *c));
    v
}

/// The foreign communities of the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Country {
    Romania,
    Marocco,
    Cina,
    Filippine,
    Egitto,
    Peru,
    Ecuador,
    Albania,
    Ucraina,
    SriLanka,
    Bangladesh,
}

/// A foreign community: its ANPR `Z` code and relative weight among the
/// foreign residents of the Città Metropolitana (roughly ISTAT's ranking).
pub(crate) struct CountryInfo {
    pub country: Country,
    pub codice_at: &'static str,
    pub weight: u32,
}

pub(crate) const COUNTRIES: &[CountryInfo] = &[
    CountryInfo {
        country: Country::Egitto,
        codice_at: "Z336",
        weight: 14,
    },
    CountryInfo {
        country: Country::Filippine,
        codice_at: "Z216",
        weight: 11,
    },
    CountryInfo {
        country: Country::Cina,
        codice_at: "Z210",
        weight: 11,
    },
    CountryInfo {
        country: Country::Romania,
        codice_at: "Z129",
        weight: 10,
    },
    CountryInfo {
        country: Country::Peru,
        codice_at: "Z611",
        weight: 8,
    },
    CountryInfo {
        country: Country::SriLanka,
        codice_at: "Z209",
        weight: 7,
    },
    CountryInfo {
        country: Country::Marocco,
        codice_at: "Z330",
        weight: 7,
    },
    CountryInfo {
        country: Country::Ecuador,
        codice_at: "Z605",
        weight: 7,
    },
    CountryInfo {
        country: Country::Ucraina,
        codice_at: "Z138",
        weight: 7,
    },
    CountryInfo {
        country: Country::Bangladesh,
        codice_at: "Z249",
        weight: 6,
    },
    CountryInfo {
        country: Country::Albania,
        codice_at: "Z100",
        weight: 6,
    },
];

/// ISTAT citizenship code of Italy.
pub(crate) const ITALIA_ISTAT: &str = "100";

/// The ISTAT state code (citizenship) of a foreign community, from ANPR
/// Tabella 2 (`refdata::stati_esteri`).
pub(crate) fn citizenship_code(info: &CountryInfo) -> &'static str {
    refdata::stato_estero(info.codice_at)
        .map(|s| s.codice_istat.as_str())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| panic!("{} is missing from ANPR Tabella 2", info.codice_at))
}

/// A street: DUG (ANPR Tabella 4), official name (DUF), and for Milano the
/// CAP and the municipio.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Street {
    pub dug: &'static str,
    pub name: &'static str,
    pub cap: Option<&'static str>,
    pub municipio: Option<u8>,
}

const fn street(dug: &'static str, name: &'static str) -> Street {
    Street {
        dug,
        name,
        cap: None,
        municipio: None,
    }
}

const fn mi(dug: &'static str, name: &'static str, cap: &'static str, municipio: u8) -> Street {
    Street {
        dug,
        name,
        cap: Some(cap),
        municipio: Some(municipio),
    }
}

/// Real streets of Milano, with a plausible CAP and their municipio.
pub(crate) const MILANO_STREETS: &[Street] = &[
    mi("CORSO", "GARIBALDI", "20121", 1),
    mi("CORSO", "MAGENTA", "20123", 1),
    mi("VIA", "TORINO", "20123", 1),
    mi("CORSO", "DI PORTA ROMANA", "20122", 1),
    mi("VIA", "DELLA MOSCOVA", "20121", 1),
    mi("CORSO", "BUENOS AIRES", "20124", 2),
    mi("VIALE", "MONZA", "20127", 2),
    mi("VIA", "PADOVA", "20127", 2),
    mi("VIA", "FELICE CASATI", "20124", 2),
    mi("PIAZZALE", "LORETO", "20131", 2),
    mi("VIALE", "ABRUZZI", "20131", 3),
    mi("VIA", "PACINI", "20131", 3),
    mi("VIA", "LAMBRATE", "20131", 3),
    mi("PIAZZA", "LEONARDO DA VINCI", "20133", 3),
    mi("CORSO", "LODI", "20135", 4),
    mi("VIA", "MECENATE", "20138", 4),
    mi("CORSO", "XXII MARZO", "20129", 4),
    mi("VIALE", "UMBRIA", "20135", 4),
    mi("VIA", "RIPAMONTI", "20141", 5),
    mi("CORSO", "SAN GOTTARDO", "20136", 5),
    mi("VIA", "DEI MISSAGLIA", "20142", 5),
    mi("VIALE", "TIBALDI", "20136", 5),
    mi("ALZAIA", "NAVIGLIO GRANDE", "20144", 6),
    mi("RIPA", "DI PORTA TICINESE", "20143", 6),
    mi("VIA", "LORENTEGGIO", "20146", 6),
    mi("VIA", "GIAMBELLINO", "20146", 6),
    mi("VIALE", "PAPINIANO", "20123", 6),
    mi("VIA", "NOVARA", "20147", 7),
    mi("PIAZZALE", "BRESCIA", "20149", 7),
    mi("VIA", "MARGHERA", "20149", 7),
    mi("VIA", "DELLE FORZE ARMATE", "20152", 7),
    mi("CORSO", "SEMPIONE", "20154", 8),
    mi("VIALE", "CERTOSA", "20155", 8),
    mi("VIA", "PAOLO SARPI", "20154", 8),
    mi("VIA", "GALLARATE", "20151", 8),
    mi("VIA PRIVATA", "DEI VALTORTA", "20127", 2),
    mi("VIALE", "FULVIO TESTI", "20162", 9),
    mi("VIALE", "JENNER", "20159", 9),
    mi("VIA", "CARLO FARINI", "20159", 9),
    mi("VIA", "CHIESE", "20126", 9),
    mi("LARGO", "CAIROLI", "20121", 1),
];

/// Common Italian odonyms, for the other comuni.
pub(crate) const COMMON_STREETS: &[Street] = &[
    street("VIA", "ROMA"),
    street("VIA", "GIUSEPPE GARIBALDI"),
    street("VIA", "GIUSEPPE MAZZINI"),
    street("VIA", "CAMILLO BENSO DI CAVOUR"),
    street("VIA", "XX SETTEMBRE"),
    street("VIA", "IV NOVEMBRE"),
    street("VIA", "25 APRILE"),
    street("VIA", "GIACOMO MATTEOTTI"),
    street("VIA", "DANTE ALIGHIERI"),
    street("VIA", "GIACOMO LEOPARDI"),
    street("VIA", "ALESSANDRO MANZONI"),
    street("VIA", "GIUSEPPE VERDI"),
    street("VIA", "ALDO MORO"),
    street("VIA", "ANTONIO GRAMSCI"),
    street("VIA", "PAPA GIOVANNI XXIII"),
    street("VIA", "DEI MILLE"),
    street("VIA", "MONTE GRAPPA"),
    street("VIA", "DEL LAVORO"),
    street("VIA", "PIAVE"),
    street("VIA", "TRIESTE"),
    street("VIA", "GUGLIELMO MARCONI"),
    street("VIA", "GALILEO GALILEI"),
    street("VIA", "CRISTOFORO COLOMBO"),
    street("VIA", "DON GIOVANNI MINZONI"),
    street("VIA", "SAN FRANCESCO D'ASSISI"),
    street("VIA", "DELLE INDUSTRIE"),
    street("VIA", "LEONARDO DA VINCI"),
    street("VIA", "GIOVANNI PASCOLI"),
    street("VIALE", "EUROPA"),
    street("VIALE", "DELLA REPUBBLICA"),
    street("VIALE", "LOMBARDIA"),
    street("CORSO", "ITALIA"),
    street("CORSO", "VITTORIO EMANUELE II"),
    street("PIAZZA", "DELLA LIBERTÀ"),
    street("PIAZZA", "SAN GIORGIO"),
    street("PIAZZA", "DELLA VITTORIA"),
    street("PIAZZALE", "DEGLI ALPINI"),
    street("LARGO", "RISORGIMENTO"),
    street("VICOLO", "DEL FORNO"),
    street("VICOLO", "STRETTO"),
    street("ALZAIA", "NAVIGLIO GRANDE"),
    street("RIPA", "DEL NAVIGLIO"),
];

/// DUG abbreviations found in municipal exports (the `P.ZA` defect).
pub(crate) fn dug_abbreviation(dug: &str) -> Option<&'static str> {
    match dug {
        "VIA" => Some("V."),
        "VIALE" => Some("V.LE"),
        "PIAZZA" => Some("P.ZA"),
        "PIAZZALE" => Some("P.LE"),
        "CORSO" => Some("C.SO"),
        "LARGO" => Some("L.GO"),
        "VICOLO" => Some("V.LO"),
        _ => None,
    }
}

/// A fixed, synthetic CAP for a comune other than Milano (20001–20099, the
/// range of the CM outside the capoluogo).
pub(crate) fn comune_cap(istat: &str) -> String {
    let n: u32 = istat.parse().unwrap_or(0);
    format!("{}", 20001 + (n.wrapping_mul(37) % 99))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each birthplace code is valid, in the ANPR archive of comuni, on
    /// every day from 1 January of the oldest birth year to the extraction
    /// date (so whatever birth date is drawn).
    #[test]
    fn birthplaces_are_valid_at_every_birth_date() {
        use chrono::{Datelike, NaiveDate};
        use metrodati_interop::anpr::{BelfioreCheck, ComuniArchive};
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/refdata/ANPR_archivio_comuni.csv");
        if !path.exists() {
            eprintln!("skipped: {} not found", path.display());
            return;
        }
        let archive = ComuniArchive::load(&path).unwrap();
        let last = crate::sample::population::EXTRACTION_DATE;
        for code in italian_birthplaces() {
            let mut d = NaiveDate::from_ymd_opt(OLDEST_BIRTH_YEAR, 1, 1).unwrap();
            while d <= last {
                assert!(
                    matches!(archive.check_belfiore(code, d), BelfioreCheck::Valid { .. }),
                    "{code} is not valid on {d}: {:?}",
                    archive.check_belfiore(code, d)
                );
                d = d.succ_opt().unwrap();
            }
            assert!(d.year() > 2025);
            assert!(refdata::comune_by_belfiore(code).is_none_or(|c| c.codice_istat.starts_with("015")));
        }
        assert!(!italian_birthplaces().contains(&"M424") && !italian_birthplaces().contains(&"A618"));
    }

    #[test]
    fn country_codes_come_from_tabella_2() {
        let expected = [
            ("Z129", "235"),
            ("Z330", "436"),
            ("Z210", "314"),
            ("Z216", "323"),
            ("Z336", "419"),
            ("Z611", "615"),
            ("Z605", "609"),
            ("Z100", "201"),
            ("Z138", "243"),
            ("Z209", "311"),
            ("Z249", "305"),
        ];
        assert_eq!(COUNTRIES.len(), expected.len());
        for (at, istat) in expected {
            let info = COUNTRIES.iter().find(|c| c.codice_at == at).unwrap();
            assert_eq!(citizenship_code(info), istat, "{at}");
        }
    }

    #[test]
    fn streets_use_tabella_4_dugs_and_milano_caps() {
        for s in MILANO_STREETS.iter().chain(COMMON_STREETS) {
            assert!(metrodati_interop::vocab::dug(s.dug).is_some(), "{}", s.dug);
            assert_eq!(s.name, s.name.to_uppercase());
        }
        for s in MILANO_STREETS {
            let cap: u32 = s.cap.unwrap().parse().unwrap();
            assert!((20121..=20162).contains(&cap), "{}", s.name);
            assert!((1..=9).contains(&s.municipio.unwrap()));
        }
        for m in 1..=9 {
            assert!(
                MILANO_STREETS.iter().filter(|s| s.municipio == Some(m)).count() >= 3,
                "municipio {m}"
            );
        }
        for c in refdata::comuni_cm() {
            let cap: u32 = comune_cap(&c.codice_istat).parse().unwrap();
            assert!((20001..=20099).contains(&cap));
        }
    }
}
