//! The ANPR archive of Italian comuni with validity intervals
//! (`ANPR_archivio_comuni.csv`), the oracle for "was codice catastale X a
//! valid birthplace on date D", and [`check_birthplace`], which also covers
//! foreign-state `Z` codes.
//!
//! The archive is not embedded (19 000+ records, about 2 MB): callers load it
//! from the file published by ANPR
//! (`https://www.anagrafenazionale.interno.it/wp-content/uploads/ANPR_archivio_comuni.csv`,
//! CC BY 4.0). Format: UTF-8 with BOM, `,` separator, values quoted; columns
//! are located by header name, so column order and extra columns do not
//! matter.

use crate::refdata::{self, RefdataError, OPEN_END};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// One validity interval of a comune in the ANPR archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComuneRecord {
    /// `DATAISTITUZIONE`: first day of validity.
    pub valid_from: NaiveDate,
    /// `DATACESSAZIONE`: last day of validity (inclusive); `9999-12-31`
    /// ([`OPEN_END`]) when still valid.
    pub valid_to: NaiveDate,
    /// `CODISTAT`, 6 digits (the code in force during this interval).
    pub codice_istat: String,
    /// `CODCATASTALE` (Belfiore code; `ND` for a few historical records).
    pub codice_catastale: String,
    /// `DENOMINAZIONE_IT`, upper case.
    pub denominazione: String,
    /// `SIGLAPROVINCIA` (may be empty if the column is absent).
    pub sigla_provincia: String,
    /// `STATO`: `A` attivo, `C` cessato, `D` da istituire (may be empty if
    /// the column is absent).
    pub stato: String,
}

impl ComuneRecord {
    /// Whether `date` falls within this record's validity (bounds inclusive).
    pub fn is_valid_at(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && date <= self.valid_to
    }
}

/// Result of [`ComuniArchive::check_belfiore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BelfioreCheck {
    /// The code designated this comune on that date.
    Valid {
        denominazione: String,
        codice_istat: String,
    },
    /// The code exists in the archive but was not valid on that date. The
    /// intervals (inclusive, sorted, with contiguous records merged) are
    /// when it was; an open end is `9999-12-31`.
    NotValidAt { intervals: Vec<(NaiveDate, NaiveDate)> },
    /// The code is not in the archive.
    Unknown,
}

/// The ANPR archive of comuni, indexed by codice catastale and ISTAT code.
#[derive(Debug, Clone)]
pub struct ComuniArchive {
    records: Vec<ComuneRecord>,
    /// Record indexes per codice catastale, sorted by `valid_from`.
    by_belfiore: HashMap<String, Vec<usize>>,
    by_istat: HashMap<String, Vec<usize>>,
}

const COL_FROM: &str = "DATAISTITUZIONE";
const COL_TO: &str = "DATACESSAZIONE";
const COL_ISTAT: &str = "CODISTAT";
const COL_CATASTALE: &str = "CODCATASTALE";
const COL_NAME: &str = "DENOMINAZIONE_IT";
const COL_SIGLA: &str = "SIGLAPROVINCIA";
const COL_STATO: &str = "STATO";

impl ComuniArchive {
    /// Loads the archive from a file (see the module docs for the format).
    pub fn load(path: &Path) -> Result<ComuniArchive, RefdataError> {
        let file = File::open(path).map_err(|source| RefdataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_reader(BufReader::new(file))
    }

    /// Reads the archive from any reader (a UTF-8 BOM is skipped).
    pub fn from_reader(r: impl Read) -> Result<ComuniArchive, RefdataError> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(r);
        let headers: Vec<String> = rdr
            .headers()?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_uppercase())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let req = |name: &str| col(name).ok_or_else(|| RefdataError::MissingColumn(name.to_string()));
        let (i_from, i_to, i_istat, i_cat, i_name) = (
            req(COL_FROM)?,
            req(COL_TO)?,
            req(COL_ISTAT)?,
            req(COL_CATASTALE)?,
            req(COL_NAME)?,
        );
        let (i_sigla, i_stato) = (col(COL_SIGLA), col(COL_STATO));

        let mut records = Vec::new();
        for (n, row) in rdr.records().enumerate() {
            let row = row?;
            let record_no = n as u64 + 1;
            let field = |i: usize| row.get(i).unwrap_or("").trim();
            let opt_field = |i: Option<usize>| i.map(field).unwrap_or("").to_string();
            let date = |i: usize, name: &str, open_if_empty: bool| -> Result<NaiveDate, RefdataError> {
                let v = field(i);
                if v.is_empty() && open_if_empty {
                    return Ok(OPEN_END);
                }
                parse_date(v).ok_or_else(|| RefdataError::InvalidValue {
                    record: record_no,
                    field: name.to_string(),
                    value: v.to_string(),
                    reason: "expected a date YYYY-MM-DD".to_string(),
                })
            };
            let valid_from = date(i_from, COL_FROM, false)?;
            let valid_to = date(i_to, COL_TO, true)?;
            if valid_to < valid_from {
                return Err(RefdataError::InvalidValue {
                    record: record_no,
                    field: COL_TO.to_string(),
                    value: field(i_to).to_string(),
                    reason: format!("ends before {COL_FROM} {valid_from}"),
                });
            }
            records.push(ComuneRecord {
                valid_from,
                valid_to,
                codice_istat: field(i_istat).to_string(),
                codice_catastale: field(i_cat).to_ascii_uppercase(),
                denominazione: field(i_name).to_string(),
                sigla_provincia: opt_field(i_sigla),
                stato: opt_field(i_stato),
            });
        }
        if records.is_empty() {
            return Err(RefdataError::Empty);
        }

        let mut by_belfiore: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_istat: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            // `ND` (not available) and other malformed codes are kept in
            // `records` but cannot be looked up.
            if is_belfiore_format(&r.codice_catastale) {
                by_belfiore.entry(r.codice_catastale.clone()).or_default().push(i);
            }
            if !r.codice_istat.is_empty() {
                by_istat.entry(r.codice_istat.clone()).or_default().push(i);
            }
        }
        for v in by_belfiore.values_mut().chain(by_istat.values_mut()) {
            v.sort_by_key(|&i| (records[i].valid_from, records[i].valid_to));
        }
        Ok(ComuniArchive {
            records,
            by_belfiore,
            by_istat,
        })
    }

    /// Number of records (validity intervals).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Always false for a loaded archive (an empty file is an error).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// All records, in file order.
    pub fn records(&self) -> &[ComuneRecord] {
        &self.records
    }

    /// The records of a codice catastale, sorted by start of validity.
    pub fn records_for_belfiore(&self, code: &str) -> Vec<&ComuneRecord> {
        self.indexes(&self.by_belfiore, code)
            .map(|i| &self.records[i])
            .collect()
    }

    /// The records of an ISTAT code, sorted by start of validity.
    pub fn records_for_istat(&self, istat: &str) -> Vec<&ComuneRecord> {
        self.indexes(&self.by_istat, istat)
            .map(|i| &self.records[i])
            .collect()
    }

    fn indexes<'a>(
        &'a self,
        map: &'a HashMap<String, Vec<usize>>,
        key: &str,
    ) -> impl Iterator<Item = usize> + 'a {
        map.get(key).into_iter().flatten().copied()
    }

    /// Whether the codice catastale `code` (exact, upper case, e.g. `F205`)
    /// designated a comune on `date`. When several records match (rare
    /// archive overlaps), the one instituted last wins.
    pub fn check_belfiore(&self, code: &str, date: NaiveDate) -> BelfioreCheck {
        let recs = self.records_for_belfiore(code);
        if recs.is_empty() {
            return BelfioreCheck::Unknown;
        }
        if let Some(r) = recs.iter().rev().find(|r| r.is_valid_at(date)) {
            return BelfioreCheck::Valid {
                denominazione: r.denominazione.clone(),
                codice_istat: r.codice_istat.clone(),
            };
        }
        BelfioreCheck::NotValidAt {
            intervals: merge_intervals(recs.iter().map(|r| (r.valid_from, r.valid_to))),
        }
    }

    /// Whether the ISTAT code `istat` (6 digits) designated a comune on
    /// `date`. Note that ISTAT codes are reused across provinces over time
    /// (Monza was `015149` until 2009-06-29, now `108033`): key history on the
    /// codice catastale where possible.
    pub fn istat_valid_at(&self, istat: &str, date: NaiveDate) -> bool {
        self.indexes(&self.by_istat, istat)
            .any(|i| self.records[i].is_valid_at(date))
    }
}

/// Sorted intervals with overlapping or contiguous ones merged.
fn merge_intervals(it: impl Iterator<Item = (NaiveDate, NaiveDate)>) -> Vec<(NaiveDate, NaiveDate)> {
    let mut v: Vec<(NaiveDate, NaiveDate)> = it.collect();
    v.sort();
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(v.len());
    for (from, to) in v {
        match out.last_mut() {
            Some(last) if last.1.succ_opt().is_none_or(|next| from <= next) => {
                last.1 = last.1.max(to);
            }
            _ => out.push((from, to)),
        }
    }
    out
}

/// ISO `YYYY-MM-DD` (also accepts `DD/MM/YYYY`, the format the legenda
/// announces for some columns).
fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// `[A-Z]\d{3}`: the shape of a codice catastale or a `Z` state code.
fn is_belfiore_format(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// Result of [`check_birthplace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BirthplaceCheck {
    /// An Italian comune valid on the date, according to the ANPR archive.
    Comune {
        denominazione: String,
        codice_istat: String,
    },
    /// A foreign state (`Z` code) valid on the date.
    StatoEstero {
        denominazione: String,
        /// ISTAT state code; empty for ceased states not in ANPR Tabella 2.
        codice_istat: String,
    },
    /// A well-formed Italian code that was **not checked** (format only):
    /// no archive was given.
    FormatOnly,
    /// The code exists but was not valid on the date; the intervals
    /// (inclusive; open end `9999-12-31`) are when it was.
    NotValidAt { intervals: Vec<(NaiveDate, NaiveDate)> },
    /// A well-formed code that is neither in the archive (or, for `Z`
    /// codes, in the foreign-state tables).
    Unknown,
    /// Not of the form `[A-Z]\d{3}`.
    InvalidFormat,
}

impl BirthplaceCheck {
    /// True for [`BirthplaceCheck::Comune`] and [`BirthplaceCheck::StatoEstero`].
    pub fn is_valid(&self) -> bool {
        matches!(
            self,
            BirthplaceCheck::Comune { .. } | BirthplaceCheck::StatoEstero { .. }
        )
    }

    /// True unless a problem was found ([`BirthplaceCheck::FormatOnly`]
    /// counts as acceptable).
    pub fn is_acceptable(&self) -> bool {
        self.is_valid() || matches!(self, BirthplaceCheck::FormatOnly)
    }

    /// Stable rule code of a problem, `None` when acceptable:
    /// `birthplace_not_valid_at`, `birthplace_unknown`, `birthplace_format`.
    pub fn issue_code(&self) -> Option<&'static str> {
        match self {
            BirthplaceCheck::NotValidAt { .. } => Some("birthplace_not_valid_at"),
            BirthplaceCheck::Unknown => Some("birthplace_unknown"),
            BirthplaceCheck::InvalidFormat => Some("birthplace_format"),
            _ => None,
        }
    }

    /// Italian message for a data steward, `None` when acceptable.
    pub fn message_it(&self) -> Option<String> {
        match self {
            BirthplaceCheck::NotValidAt { intervals } => {
                let periods: Vec<String> = intervals
                    .iter()
                    .map(|(f, t)| {
                        if *t == OPEN_END {
                            format!("dal {}", f.format("%d/%m/%Y"))
                        } else {
                            format!("dal {} al {}", f.format("%d/%m/%Y"), t.format("%d/%m/%Y"))
                        }
                    })
                    .collect();
                Some(format!(
                    "Il codice del luogo di nascita non era valido alla data di nascita (valido {}).",
                    periods.join(", ")
                ))
            }
            BirthplaceCheck::Unknown => {
                Some("Il codice del luogo di nascita non corrisponde a nessun comune o stato estero noto.".into())
            }
            BirthplaceCheck::InvalidFormat => Some(
                "Il codice del luogo di nascita non è nel formato previsto (una lettera seguita da tre cifre)."
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Checks a birthplace code (as decoded from a codice fiscale, e.g.
/// [`crate::cf::CfInfo::birthplace`]) against the birth date:
///
/// * `Z` + 3 digits: a foreign state, checked with its validity dates against
///   ANPR Tabella 2 and the ceased states ([`refdata::stato_estero`]);
/// * another `[A-Z]\d{3}` code: an Italian comune, checked against `archive`
///   when given, otherwise only the format is checked
///   ([`BirthplaceCheck::FormatOnly`]);
/// * anything else: [`BirthplaceCheck::InvalidFormat`].
pub fn check_birthplace(archive: Option<&ComuniArchive>, code: &str, date: NaiveDate) -> BirthplaceCheck {
    if !is_belfiore_format(code) {
        return BirthplaceCheck::InvalidFormat;
    }
    if code.starts_with('Z') {
        return match refdata::stato_estero(code) {
            None => BirthplaceCheck::Unknown,
            Some(s) if s.is_valid_at(date) => BirthplaceCheck::StatoEstero {
                denominazione: s.denominazione.clone(),
                codice_istat: s.codice_istat.clone(),
            },
            Some(s) => BirthplaceCheck::NotValidAt {
                intervals: vec![(
                    s.valid_from.unwrap_or(NaiveDate::MIN),
                    s.valid_to.unwrap_or(OPEN_END),
                )],
            },
        };
    }
    match archive {
        None => BirthplaceCheck::FormatOnly,
        Some(a) => match a.check_belfiore(code, date) {
            BelfioreCheck::Valid {
                denominazione,
                codice_istat,
            } => BirthplaceCheck::Comune {
                denominazione,
                codice_istat,
            },
            BelfioreCheck::NotValidAt { intervals } => BirthplaceCheck::NotValidAt { intervals },
            BelfioreCheck::Unknown => BirthplaceCheck::Unknown,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const SAMPLE: &str = "\u{feff}\"ID\",\"DATAISTITUZIONE\",\"DATACESSAZIONE\",\"CODISTAT\",\"CODCATASTALE\",\"DENOMINAZIONE_IT\",\"STATO\",\"SIGLAPROVINCIA\"
10643,\"1861-03-17\",\"2019-02-07\",\"015235\",\"L768\",\"VERMEZZO\",\"C\",\"MI\"
23036,\"2019-02-08\",\"9999-12-31\",\"015251\",\"M424\",\"VERMEZZO CON ZELO\",\"A\",\"MI\"
1,\"1867-01-14\",\"1929-01-21\",\"015149\",\"F704\",\"MONZA\",\"C\",\"MI\"
2,\"1929-01-22\",\"2009-06-29\",\"015149\",\"F704\",\"MONZA\",\"C\",\"MI\"
3,\"2009-06-30\",\"9999-12-31\",\"108033\",\"F704\",\"MONZA\",\"A\",\"MB\"
4,\"1861-03-17\",\"1911-07-04\",\"003001\",\"ND\",\"ARIZZANO\",\"C\",\"NO\"
5,\"1900-01-01\",\"1910-12-31\",\"099999\",\"A999\",\"PRIMO\",\"C\",\"XX\"
6,\"1920-01-01\",\"1930-12-31\",\"099999\",\"A999\",\"SECONDO\",\"C\",\"XX\"
";

    fn sample() -> ComuniArchive {
        ComuniArchive::from_reader(SAMPLE.as_bytes()).unwrap()
    }

    #[test]
    fn parses_with_bom_by_header_name() {
        let a = sample();
        assert_eq!(a.len(), 8);
        let r = &a.records_for_belfiore("M424")[0];
        assert_eq!(r.denominazione, "VERMEZZO CON ZELO");
        assert_eq!(r.valid_to, OPEN_END);
        assert_eq!(r.sigla_provincia, "MI");
        assert_eq!(r.stato, "A");
        assert!(a.records_for_belfiore("ND").is_empty());
    }

    #[test]
    fn columns_in_another_order() {
        let text = "CODCATASTALE;x\n";
        assert!(matches!(
            ComuniArchive::from_reader(text.as_bytes()),
            Err(RefdataError::MissingColumn(_))
        ));
        let text = "denominazione_it,codcatastale,codistat,datacessazione,dataistituzione\nMILANO,F205,015146,,1997-07-26\n";
        let a = ComuniArchive::from_reader(text.as_bytes()).unwrap();
        assert_eq!(
            a.check_belfiore("F205", d(2024, 1, 1)),
            BelfioreCheck::Valid {
                denominazione: "MILANO".into(),
                codice_istat: "015146".into()
            }
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let h = "DATAISTITUZIONE,DATACESSAZIONE,CODISTAT,CODCATASTALE,DENOMINAZIONE_IT\n";
        assert!(matches!(
            ComuniArchive::from_reader(h.as_bytes()),
            Err(RefdataError::Empty)
        ));
        let bad = format!("{h}2019-02-30,9999-12-31,015251,M424,X\n");
        let e = ComuniArchive::from_reader(bad.as_bytes()).unwrap_err();
        assert!(matches!(e, RefdataError::InvalidValue { record: 1, .. }), "{e}");
        let inverted = format!("{h}2020-01-01,2019-01-01,015251,M424,X\n");
        assert!(ComuniArchive::from_reader(inverted.as_bytes()).is_err());
        let ragged = format!("{h}2020-01-01,2019-01-01\n");
        assert!(matches!(
            ComuniArchive::from_reader(ragged.as_bytes()),
            Err(RefdataError::Csv(_))
        ));
        assert!(ComuniArchive::from_reader(&b"\xff\xfe\x00"[..]).is_err());
        let e = ComuniArchive::load(Path::new("/nonexistent/archive.csv")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/archive.csv"));
    }

    #[test]
    fn belfiore_validity() {
        let a = sample();
        assert!(matches!(
            a.check_belfiore("L768", d(1948, 4, 4)),
            BelfioreCheck::Valid { .. }
        ));
        assert_eq!(
            a.check_belfiore("L768", d(2020, 1, 1)),
            BelfioreCheck::NotValidAt {
                intervals: vec![(d(1861, 3, 17), d(2019, 2, 7))]
            }
        );
        // Contiguous records are merged; the gap between A999's records is kept.
        assert_eq!(
            a.check_belfiore("F704", d(1800, 1, 1)),
            BelfioreCheck::NotValidAt {
                intervals: vec![(d(1867, 1, 14), OPEN_END)]
            }
        );
        assert_eq!(
            a.check_belfiore("A999", d(1915, 1, 1)),
            BelfioreCheck::NotValidAt {
                intervals: vec![(d(1900, 1, 1), d(1910, 12, 31)), (d(1920, 1, 1), d(1930, 12, 31))]
            }
        );
        assert_eq!(
            a.check_belfiore("F704", d(2010, 1, 1)),
            BelfioreCheck::Valid {
                denominazione: "MONZA".into(),
                codice_istat: "108033".into()
            }
        );
        assert_eq!(a.check_belfiore("ND", d(1900, 1, 1)), BelfioreCheck::Unknown);
        assert_eq!(a.check_belfiore("X123", d(1900, 1, 1)), BelfioreCheck::Unknown);
        assert_eq!(a.check_belfiore("", d(1900, 1, 1)), BelfioreCheck::Unknown);
        assert!(a.istat_valid_at("015149", d(2000, 1, 1)));
        assert!(!a.istat_valid_at("015149", d(2010, 1, 1)));
        assert!(a.istat_valid_at("108033", d(2010, 1, 1)));
        assert!(!a.istat_valid_at("", d(2010, 1, 1)));
    }

    #[test]
    fn birthplace_checks() {
        let a = sample();
        assert!(matches!(
            check_birthplace(Some(&a), "L768", d(1948, 4, 4)),
            BirthplaceCheck::Comune { .. }
        ));
        let not = check_birthplace(Some(&a), "M424", d(1962, 1, 1));
        assert!(matches!(not, BirthplaceCheck::NotValidAt { .. }));
        assert_eq!(not.issue_code(), Some("birthplace_not_valid_at"));
        assert!(not.message_it().unwrap().contains("dal 08/02/2019"));
        assert_eq!(
            check_birthplace(None, "M424", d(1962, 1, 1)),
            BirthplaceCheck::FormatOnly
        );
        assert!(BirthplaceCheck::FormatOnly.is_acceptable() && !BirthplaceCheck::FormatOnly.is_valid());
        assert_eq!(
            check_birthplace(Some(&a), "B999", d(1962, 1, 1)),
            BirthplaceCheck::Unknown
        );
        for bad in ["", "F20", "F2055", "f205", "FF05", "Z1O0", "F2０5"] {
            assert_eq!(
                check_birthplace(Some(&a), bad, d(1962, 1, 1)),
                BirthplaceCheck::InvalidFormat,
                "{bad}"
            );
        }
        assert_eq!(
            check_birthplace(None, "Z110", d(1990, 1, 1)),
            BirthplaceCheck::StatoEstero {
                denominazione: "FRANCIA".into(),
                codice_istat: "215".into()
            }
        );
        assert!(check_birthplace(None, "Z105", d(1970, 1, 1)).is_valid());
        let cs = check_birthplace(None, "Z105", d(2000, 1, 1));
        assert_eq!(
            cs,
            BirthplaceCheck::NotValidAt {
                intervals: vec![(d(1900, 1, 1), d(1993, 1, 1))]
            }
        );
        assert!(cs.message_it().unwrap().contains("al 01/01/1993"));
        assert_eq!(
            check_birthplace(Some(&a), "Z999", d(1990, 1, 1)),
            BirthplaceCheck::Unknown
        );
        assert!(check_birthplace(None, "Z110", d(1850, 1, 1))
            .issue_code()
            .is_some());
    }
}
