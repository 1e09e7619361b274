//! Embedded reference tables: the 133 comuni of the Città Metropolitana di
//! Milano, the ANPR foreign-state codes and the small ANPR decoding tables.
//!
//! The tables are small CSV files in `interop/data/`, derived from ISTAT and
//! ANPR open data (CC BY 4.0; attribution and provenance in
//! `interop/data/README.md`) by `tools/refdata/build_interop_data.py`. They
//! are compiled into the crate with `include_str!` and parsed once, on first
//! use, into `'static` slices.
//!
//! All lookups are exact (no trimming, no case folding, no zero padding):
//! normalising a source value is the caller's job, so that it can be counted
//! as a repair.

use chrono::NaiveDate;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::OnceLock;

const COMUNI_CSV: &str = include_str!("../data/comuni_cm_milano.csv");
const STATI_ESTERI_CSV: &str = include_str!("../data/stati_esteri.csv");
const STATI_ESTERI_CESSATI_CSV: &str = include_str!("../data/stati_esteri_cessati.csv");
const RELAZIONI_PARENTELA_CSV: &str = include_str!("../data/relazioni_parentela.csv");
const STATI_CIVILI_CSV: &str = include_str!("../data/stati_civili.csv");
const TIPI_CITTADINANZA_CSV: &str = include_str!("../data/tipi_cittadinanza.csv");
const ISO3166_NUMERICO_CSV: &str = include_str!("../data/iso3166_numerico.csv");

/// The date ANPR uses for "no end of validity".
pub const OPEN_END: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("9999-12-31 is a valid date"),
};

/// Errors raised while loading reference data from files (see
/// [`crate::anpr::ComuniArchive::load`]).
#[derive(Debug, thiserror::Error)]
pub enum RefdataError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The CSV structure is broken (unbalanced quotes, invalid UTF-8, ...).
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    /// A required column is absent from the header.
    #[error("required column {0:?} not found in the header")]
    MissingColumn(String),
    /// A value could not be interpreted.
    #[error("record {record}: invalid {field} {value:?}: {reason}")]
    InvalidValue {
        /// 1-based record number (the header is record 0).
        record: u64,
        field: String,
        value: String,
        reason: String,
    },
    /// The file has a header but no data records.
    #[error("the file contains no records")]
    Empty,
}

/// One of the 133 comuni of the Città Metropolitana di Milano.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ComuneCm {
    /// ISTAT code, 6 digits (e.g. `015146`).
    pub codice_istat: String,
    /// Official Italian name, ISTAT spelling (e.g. `Cassina de' Pecchi`).
    pub denominazione: String,
    /// Codice catastale / Belfiore (e.g. `F205`).
    pub codice_catastale: String,
    /// NUTS 3 (2024) code (`ITC4C` for all of them).
    pub nuts3: String,
    /// Resident population, ISTAT 1 January 2024, **approximate** (rounded;
    /// only meant to size synthetic samples, see `interop/data/README.md`).
    pub popolazione: u32,
}

/// A foreign state or territory of ANPR Tabella 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatoEstero {
    /// Agenzia delle Entrate code used in the codice fiscale (`Z` + 3 digits).
    /// Empty for the few Tabella 2 rows without one (Italia, apolide, some
    /// territories).
    pub codice_at: String,
    /// ANPR name, upper case (e.g. `FRANCIA`).
    pub denominazione: String,
    /// ISTAT state code (3 digits, e.g. `215`); empty when unknown.
    pub codice_istat: String,
    /// ISO 3166-1 alpha-3 code, when ANPR gives one.
    pub iso3: Option<String>,
    /// First day of validity, when known.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity (inclusive); `None` = still valid.
    pub valid_to: Option<NaiveDate>,
}

impl StatoEstero {
    /// Whether the code was valid on `date` (bounds inclusive; a missing
    /// bound is open).
    pub fn is_valid_at(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// An entry of a small coded table (relazione di parentela, stato civile,
/// tipo cittadinanza).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEntry {
    /// The code as ANPR writes it (decimal, no leading zeros, e.g. `14`).
    pub code: String,
    /// Italian description.
    pub description: String,
    /// Last day on which the code may be used for new data (inclusive);
    /// `None` = still valid.
    pub valid_to: Option<NaiveDate>,
    /// ANPR note (e.g. `Utilizzabile solo al subentro`).
    pub note: Option<String>,
}

impl CodeEntry {
    /// Whether the code may be used on `date` (`valid_to` inclusive).
    pub fn is_valid_at(&self, date: NaiveDate) -> bool {
        self.valid_to.is_none_or(|to| date <= to)
    }
}

#[derive(Deserialize)]
struct StatoRow {
    codice_at: String,
    denominazione: String,
    codice_istat: String,
    iso3: String,
    data_inizio: String,
    data_fine: String,
}

#[derive(Deserialize)]
struct CodeRow {
    codice: String,
    descrizione: String,
    data_fine_validita: String,
    note: String,
}

/// Parses an embedded CSV. The embedded files are part of the crate and are
/// checked by the tests, so a failure here is a build defect, not bad input.
fn parse_embedded<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Vec<T> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .unwrap_or_else(|e| panic!("embedded table {name} is malformed: {e}"))
}

/// Parses an ISO date of an embedded table; empty or `9999-12-31` → `None`.
fn embedded_date(name: &str, s: &str) -> Option<NaiveDate> {
    if s.is_empty() {
        return None;
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("embedded table {name}: bad date {s:?}: {e}"));
    (d != OPEN_END).then_some(d)
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn parse_stati(name: &str, text: &str) -> Vec<StatoEstero> {
    parse_embedded::<StatoRow>(name, text)
        .into_iter()
        .map(|r| StatoEstero {
            valid_from: embedded_date(name, &r.data_inizio),
            valid_to: embedded_date(name, &r.data_fine),
            codice_at: r.codice_at,
            denominazione: r.denominazione,
            codice_istat: r.codice_istat,
            iso3: non_empty(r.iso3),
        })
        .collect()
}

fn parse_codes(name: &str, text: &str) -> Vec<CodeEntry> {
    parse_embedded::<CodeRow>(name, text)
        .into_iter()
        .map(|r| CodeEntry {
            valid_to: embedded_date(name, &r.data_fine_validita),
            code: r.codice,
            description: r.descrizione,
            note: non_empty(r.note),
        })
        .collect()
}

/// The 133 comuni of the Città Metropolitana di Milano, sorted by
/// `codice_istat`.
pub fn comuni_cm() -> &'static [ComuneCm] {
    static T: OnceLock<Vec<ComuneCm>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v: Vec<ComuneCm> = parse_embedded("comuni_cm_milano.csv", COMUNI_CSV);
        v.sort_by(|a, b| a.codice_istat.cmp(&b.codice_istat));
        v
    })
}

/// The CM Milano comune with this 6-digit ISTAT code (e.g. `015146`).
pub fn comune_by_istat(code: &str) -> Option<&'static ComuneCm> {
    let all = comuni_cm();
    all.binary_search_by(|c| c.codice_istat.as_str().cmp(code))
        .ok()
        .map(|i| &all[i])
}

/// The CM Milano comune with this codice catastale (e.g. `F205`).
pub fn comune_by_belfiore(code: &str) -> Option<&'static ComuneCm> {
    comuni_cm().iter().find(|c| c.codice_catastale == code)
}

/// ANPR Tabella 2 (stati esteri), as published: Z-coded rows sorted by
/// `codice_at`, then the rows without an AT code (Italia `100`, apolide
/// `999`, some territories) by ISTAT code.
///
/// The published table lists only current states; ceased ones used in old
/// codici fiscali (Jugoslavia, URSS, ...) are in [`stati_esteri_cessati`].
pub fn stati_esteri() -> &'static [StatoEstero] {
    static T: OnceLock<Vec<StatoEstero>> = OnceLock::new();
    T.get_or_init(|| parse_stati("stati_esteri.csv", STATI_ESTERI_CSV))
}

/// Z codes missing from ANPR Tabella 2: ceased states (`Z105`
/// Cecoslovacchia until 1993-01-01, `Z118` Jugoslavia, `Z135` URSS, ...) and a
/// few territories, with their validity dates, taken from the ANPR-derived
/// data of python-codicefiscale 0.12.1 (see `interop/data/README.md`).
pub fn stati_esteri_cessati() -> &'static [StatoEstero] {
    static T: OnceLock<Vec<StatoEstero>> = OnceLock::new();
    T.get_or_init(|| parse_stati("stati_esteri_cessati.csv", STATI_ESTERI_CESSATI_CSV))
}

/// The foreign state with this AT code (`Z` + 3 digits, e.g. `Z110`),
/// looked up in ANPR Tabella 2 and then in [`stati_esteri_cessati`].
pub fn stato_estero(codice_at: &str) -> Option<&'static StatoEstero> {
    if codice_at.is_empty() {
        return None;
    }
    stati_esteri()
        .iter()
        .chain(stati_esteri_cessati())
        .find(|s| s.codice_at == codice_at)
}

/// The ANPR Tabella 2 entry with this 3-digit ISTAT state code (e.g. `215`
/// Francia, `100` Italia, `999` apolide).
pub fn stato_estero_by_istat(codice_istat: &str) -> Option<&'static StatoEstero> {
    if codice_istat.is_empty() {
        return None;
    }
    stati_esteri().iter().find(|s| s.codice_istat == codice_istat)
}

/// The ISO 3166-1 numeric code (three digits) of the state with this ISO
/// alpha-3 code, for the states of ANPR Tabella 2 (`iso3166_numerico.csv`,
/// generated by `tools/refdata/build_iso3166_numerico.py`).
pub fn iso3166_numerico(iso3: &str) -> Option<&'static str> {
    static T: OnceLock<Vec<(String, String)>> = OnceLock::new();
    T.get_or_init(|| {
        ISO3166_NUMERICO_CSV
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(','))
            .map(|(a, n)| (a.to_string(), n.to_string()))
            .collect()
    })
    .iter()
    .find(|(a, _)| a == iso3)
    .map(|(_, n)| n.as_str())
}

/// SIUSS `CodiceCittadinanza` ("formato ISO3166", 990 = non disponibile)
/// of an ISTAT/ANPR citizenship code (`100` Italia, `215` Francia, …):
/// `380` for Italy, the ISO numeric code through the state's alpha-3 code,
/// `990` when unknown, stateless or without an ISO code.
pub fn cittadinanza_iso_numerica(codice_istat: Option<&str>) -> &'static str {
    match codice_istat {
        Some("100") => "380",
        Some(c) => stato_estero_by_istat(c)
            .and_then(|s| s.iso3.as_deref())
            .and_then(iso3166_numerico)
            .unwrap_or("990"),
        None => "990",
    }
}

/// ANPR Tabella 5, relazione di parentela (codes 1–28, 80, 81, 99), sorted by
/// numeric code. Codes 14, 15, 19 and 80 end on 2015-09-15 ("Utilizzabile
/// solo al subentro").
pub fn relazioni_parentela() -> &'static [CodeEntry] {
    static T: OnceLock<Vec<CodeEntry>> = OnceLock::new();
    T.get_or_init(|| parse_codes("relazioni_parentela.csv", RELAZIONI_PARENTELA_CSV))
}

/// The relazione di parentela with this code (e.g. `1` Intestatario Scheda).
pub fn relazione_parentela(code: &str) -> Option<&'static CodeEntry> {
    relazioni_parentela().iter().find(|e| e.code == code)
}

/// ANPR stato civile codes: 1 Celibe/Nubile, 2 Coniugato/a, 3 Vedovo/a,
/// 4 Divorziato/a, 6 Unito civilmente, 7 and 8 stato libero after a civil
/// union, 9 Non classificabile/ignoto (there is no code 5).
pub fn stati_civili() -> &'static [CodeEntry] {
    static T: OnceLock<Vec<CodeEntry>> = OnceLock::new();
    T.get_or_init(|| parse_codes("stati_civili.csv", STATI_CIVILI_CSV))
}

/// The stato civile with this code.
pub fn stato_civile(code: &str) -> Option<&'static CodeEntry> {
    stati_civili().iter().find(|e| e.code == code)
}

/// ANPR Tabella 38, tipi cittadinanza (1 Italiana, 2 Straniera, 3 UE,
/// 4 SEE/associati, 5 non UE, 9 Tutte).
pub fn tipi_cittadinanza() -> &'static [CodeEntry] {
    static T: OnceLock<Vec<CodeEntry>> = OnceLock::new();
    T.get_or_init(|| parse_codes("tipi_cittadinanza.csv", TIPI_CITTADINANZA_CSV))
}

/// The tipo cittadinanza with this code.
pub fn tipo_cittadinanza(code: &str) -> Option<&'static CodeEntry> {
    tipi_cittadinanza().iter().find(|e| e.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn comuni_table_has_133_sorted_unique_entries() {
        let all = comuni_cm();
        assert_eq!(all.len(), 133);
        assert!(all.windows(2).all(|w| w[0].codice_istat < w[1].codice_istat));
        let mut cat: Vec<&str> = all.iter().map(|c| c.codice_catastale.as_str()).collect();
        cat.sort_unstable();
        cat.dedup();
        assert_eq!(cat.len(), 133);
        for c in all {
            assert_eq!(c.codice_istat.len(), 6, "{c:?}");
            assert!(c.codice_istat.starts_with("015"), "{c:?}");
            assert!(c.codice_istat.bytes().all(|b| b.is_ascii_digit()), "{c:?}");
            let b = c.codice_catastale.as_bytes();
            assert!(b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit));
            assert_eq!(c.nuts3, "ITC4C");
            assert!(!c.denominazione.is_empty());
        }
    }

    #[test]
    fn population_is_plausible() {
        let total: u64 = comuni_cm().iter().map(|c| u64::from(c.popolazione)).sum();
        assert!((3_100_000..=3_350_000).contains(&total), "total {total}");
        let milano = comune_by_istat("015146").unwrap();
        assert!((1_300_000..=1_450_000).contains(&milano.popolazione));
        assert!(comuni_cm().iter().all(|c| c.popolazione > 0));
    }

    #[test]
    fn comune_lookups() {
        let m = comune_by_istat("015146").unwrap();
        assert_eq!(
            (m.denominazione.as_str(), m.codice_catastale.as_str()),
            ("Milano", "F205")
        );
        assert_eq!(comune_by_belfiore("F205"), Some(m));
        let v = comune_by_belfiore("M424").unwrap();
        assert_eq!(
            (v.codice_istat.as_str(), v.denominazione.as_str()),
            ("015251", "Vermezzo con Zelo")
        );
        assert_eq!(comune_by_istat("015002").unwrap().denominazione, "Abbiategrasso");
        assert_eq!(
            comune_by_belfiore("C014").unwrap().denominazione,
            "Cassina de' Pecchi"
        );
        // Monza left the province in 2009; Vermezzo (L768) ceased in 2019.
        assert!(comune_by_belfiore("F704").is_none());
        assert!(comune_by_istat("015149").is_none());
        assert!(comune_by_belfiore("L768").is_none());
        assert!(comune_by_belfiore("f205").is_none());
        assert!(comune_by_istat("").is_none());
    }

    #[test]
    fn stati_esteri_table() {
        let all = stati_esteri();
        assert_eq!(all.len(), 238);
        let z = all.iter().filter(|s| !s.codice_at.is_empty()).count();
        assert_eq!(z, 208);
        for s in all.iter().chain(stati_esteri_cessati()) {
            if !s.codice_at.is_empty() {
                let b = s.codice_at.as_bytes();
                assert!(
                    b.len() == 4 && b[0] == b'Z' && b[1..].iter().all(u8::is_ascii_digit),
                    "{s:?}"
                );
            }
            assert!(!s.denominazione.is_empty());
            if let (Some(f), Some(t)) = (s.valid_from, s.valid_to) {
                assert!(f <= t, "{s:?}");
            }
        }
        let fr = stato_estero("Z110").unwrap();
        assert_eq!(fr.denominazione, "FRANCIA");
        assert_eq!(fr.codice_istat, "215");
        assert_eq!(fr.iso3.as_deref(), Some("FRA"));
        assert_eq!(fr.valid_from, Some(d(1900, 1, 1)));
        assert_eq!(fr.valid_to, None);
        assert_eq!(stato_estero("Z404").unwrap().iso3.as_deref(), Some("USA"));
        assert_eq!(cittadinanza_iso_numerica(Some("100")), "380");
        assert_eq!(cittadinanza_iso_numerica(Some("215")), "250");
        assert_eq!(cittadinanza_iso_numerica(Some("536")), "840");
        assert_eq!(cittadinanza_iso_numerica(Some("999")), "990");
        assert_eq!(cittadinanza_iso_numerica(None), "990");
        assert_eq!(stato_estero("Z210").unwrap().iso3.as_deref(), Some("CHN"));
        assert_eq!(stato_estero("Z330").unwrap().denominazione, "MAROCCO");
        assert_eq!(stato_estero("Z907").unwrap().iso3.as_deref(), Some("SSD"));
        assert!(stato_estero("").is_none());
        assert!(stato_estero("Z999").is_none());
        assert!(stato_estero("z110").is_none());
        let it = stato_estero_by_istat("100").unwrap();
        assert_eq!((it.denominazione.as_str(), it.codice_at.as_str()), ("ITALIA", ""));
        assert_eq!(stato_estero_by_istat("999").unwrap().denominazione, "APOLIDE");
    }

    #[test]
    fn ceased_states_have_end_dates() {
        let cs = stato_estero("Z105").unwrap();
        assert_eq!(cs.denominazione, "CECOSLOVACCHIA");
        assert_eq!(cs.valid_to, Some(d(1993, 1, 1)));
        assert!(cs.is_valid_at(d(1970, 5, 1)));
        assert!(!cs.is_valid_at(d(1995, 5, 1)));
        let yu = stato_estero("Z118").unwrap();
        assert!(yu.is_valid_at(d(1980, 1, 1)) && !yu.is_valid_at(d(2010, 1, 1)));
        assert!(stato_estero("Z135").unwrap().valid_to.is_some());
        // Ceased states never shadow Tabella 2.
        for s in stati_esteri_cessati() {
            assert!(stati_esteri().iter().all(|t| t.codice_at != s.codice_at));
        }
    }

    #[test]
    fn relazioni_parentela_table() {
        let all = relazioni_parentela();
        assert_eq!(all.len(), 30);
        let codes: Vec<u32> = all.iter().map(|e| e.code.parse().unwrap()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            relazione_parentela("1").unwrap().description,
            "Intestatario Scheda"
        );
        assert_eq!(relazione_parentela("28").unwrap().description, "Unito civilmente");
        assert_eq!(
            relazione_parentela("99").unwrap().description,
            "Non definito/comunicato"
        );
        for code in ["14", "15", "19", "80"] {
            let e = relazione_parentela(code).unwrap();
            assert_eq!(e.valid_to, Some(d(2015, 9, 15)), "{code}");
            assert_eq!(e.note.as_deref(), Some("Utilizzabile solo al subentro"));
            assert!(e.is_valid_at(d(2015, 9, 15)) && !e.is_valid_at(d(2015, 9, 16)));
        }
        let ended = all.iter().filter(|e| e.valid_to.is_some()).count();
        assert_eq!(ended, 4);
        assert!(relazione_parentela("27").is_none());
        assert!(relazione_parentela("01").is_none());
    }

    #[test]
    fn stati_civili_and_cittadinanza() {
        let codes: Vec<&str> = stati_civili().iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["1", "2", "3", "4", "6", "7", "8", "9"]);
        assert_eq!(stato_civile("6").unwrap().description, "Unito civilmente");
        assert!(stato_civile("5").is_none());
        let codes: Vec<&str> = tipi_cittadinanza().iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["1", "2", "3", "4", "5", "9"]);
        assert_eq!(tipo_cittadinanza("1").unwrap().description, "Italiana");
        assert!(tipi_cittadinanza()
            .iter()
            .all(|e| e.valid_to.is_none() && e.note.is_none()));
    }
}
