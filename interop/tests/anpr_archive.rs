//! Checks against the real ANPR archive of comuni in `shared/refdata/`.
//! These tests fail (not skip) when the file is missing: CI always has it.

mod refdata_support;

use chrono::NaiveDate;
use metrodati_interop::anpr::{check_birthplace, BelfioreCheck, BirthplaceCheck, ComuniArchive};
use metrodati_interop::cf;
use metrodati_interop::refdata::{self, OPEN_END};
use std::sync::OnceLock;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn archive() -> &'static ComuniArchive {
    static A: OnceLock<ComuniArchive> = OnceLock::new();
    A.get_or_init(|| {
        let path = refdata_support::refdata_file("ANPR_archivio_comuni.csv");
        ComuniArchive::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

fn valid(name: &str, istat: &str) -> BelfioreCheck {
    BelfioreCheck::Valid {
        denominazione: name.into(),
        codice_istat: istat.into(),
    }
}

#[test]
fn archive_loads_completely() {
    let a = archive();
    assert_eq!(a.len(), 19_352);
    let active = a.records().iter().filter(|r| r.stato == "A").count();
    assert_eq!(active, 7_901);
    assert_eq!(
        a.records_for_belfiore("F205").len(),
        8,
        "Milano has 8 records since 1873"
    );
}

#[test]
fn vermezzo_and_vermezzo_con_zelo() {
    let a = archive();
    assert_eq!(
        a.check_belfiore("L768", d(1948, 4, 4)),
        valid("VERMEZZO", "015235")
    );
    assert_eq!(
        a.check_belfiore("L768", d(2019, 2, 7)),
        valid("VERMEZZO", "015235")
    );
    assert_eq!(
        a.check_belfiore("L768", d(2020, 1, 1)),
        BelfioreCheck::NotValidAt {
            intervals: vec![(d(1861, 3, 17), d(2019, 2, 7))]
        }
    );
    assert_eq!(
        a.check_belfiore("M424", d(2020, 1, 1)),
        valid("VERMEZZO CON ZELO", "015251")
    );
    assert_eq!(
        a.check_belfiore("M424", d(1962, 1, 1)),
        BelfioreCheck::NotValidAt {
            intervals: vec![(d(2019, 2, 8), OPEN_END)]
        }
    );
    assert!(matches!(
        a.check_belfiore("M424", d(2019, 2, 7)),
        BelfioreCheck::NotValidAt { .. }
    ));
    assert!(a.istat_valid_at("015235", d(1990, 1, 1)));
    assert!(!a.istat_valid_at("015235", d(2020, 1, 1)));
    assert!(a.istat_valid_at("015251", d(2020, 1, 1)));
}

#[test]
fn milano_and_monza() {
    let a = archive();
    assert_eq!(a.check_belfiore("F205", d(1980, 1, 1)), valid("MILANO", "015146"));
    // Milano's 8 contiguous records merge into one interval.
    assert_eq!(
        a.check_belfiore("F205", d(1850, 1, 1)),
        BelfioreCheck::NotValidAt {
            intervals: vec![(d(1873, 6, 23), OPEN_END)]
        }
    );
    // Monza: same codice catastale, ISTAT code 015149 (MI) until 2009-06-29,
    // then 108033 (MB).
    assert_eq!(a.check_belfiore("F704", d(1990, 1, 1)), valid("MONZA", "015149"));
    assert_eq!(a.check_belfiore("F704", d(2009, 6, 30)), valid("MONZA", "108033"));
    assert_eq!(a.check_belfiore("F704", d(2024, 1, 1)), valid("MONZA", "108033"));
    assert!(a.istat_valid_at("015149", d(2009, 6, 29)));
    assert!(!a.istat_valid_at("015149", d(2009, 6, 30)));
    assert!(a.istat_valid_at("108033", d(2010, 1, 1)));
    let monza = a.records_for_belfiore("F704");
    assert_eq!(monza.last().unwrap().sigla_provincia, "MB");
}

#[test]
fn unknown_and_not_available_codes() {
    let a = archive();
    assert_eq!(a.check_belfiore("ND", d(1900, 1, 1)), BelfioreCheck::Unknown);
    assert_eq!(a.check_belfiore("Z110", d(1990, 1, 1)), BelfioreCheck::Unknown);
    assert_eq!(a.check_belfiore("Y123", d(1990, 1, 1)), BelfioreCheck::Unknown);
    assert_eq!(a.check_belfiore("f205", d(1990, 1, 1)), BelfioreCheck::Unknown);
}

#[test]
fn embedded_cm_milano_table_agrees_with_the_archive() {
    let a = archive();
    let today = d(2024, 1, 1);
    for c in refdata::comuni_cm() {
        match a.check_belfiore(&c.codice_catastale, today) {
            BelfioreCheck::Valid {
                denominazione,
                codice_istat,
            } => {
                assert_eq!(codice_istat, c.codice_istat, "{c:?}");
                assert_eq!(denominazione, c.denominazione.to_uppercase(), "{c:?}");
            }
            other => panic!("{c:?}: {other:?}"),
        }
        let active = a.records_for_belfiore(&c.codice_catastale);
        assert_eq!(active.last().unwrap().sigla_provincia, "MI", "{c:?}");
    }
}

#[test]
fn birthplaces_of_codici_fiscali() {
    let a = archive();
    let reference = d(2024, 1, 1);
    let check = |code: &str| {
        let info = cf::parse(code).unwrap();
        let born = cf::birth_date(&info, reference).unwrap();
        check_birthplace(Some(a), &info.birthplace, born)
    };
    assert_eq!(
        check("SPSNNA48D44L768G"),
        BirthplaceCheck::Comune {
            denominazione: "VERMEZZO".into(),
            codice_istat: "015235".into()
        }
    );
    assert!(check("RSSMRC80A01F205Z").is_valid());
    assert!(check("RSSMRC80A01F20RU").is_valid());
    // Vermezzo con Zelo did not exist in 1962.
    let cf_1962 = cf::compute("Bianchi", "Luca", cf::Sex::M, d(1962, 5, 5), "M424");
    let r = check(&cf_1962);
    assert_eq!(r.issue_code(), Some("birthplace_not_valid_at"));
    assert!(r.message_it().unwrap().contains("dal 08/02/2019"));
    // Without the archive only the format is checked.
    assert_eq!(
        check_birthplace(None, "M424", d(1962, 5, 5)),
        BirthplaceCheck::FormatOnly
    );
    // Foreign states do not need the archive.
    let fr = cf::compute("Dupont", "Jean", cf::Sex::M, d(1970, 3, 1), "Z110");
    assert!(matches!(check(&fr), BirthplaceCheck::StatoEstero { .. }));
}
