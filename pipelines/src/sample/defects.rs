//! Realistic defects, injected at small deterministic rates and counted by
//! stable names.
//!
//! Each row gets at most one *hard* defect (one that makes the row invalid:
//! a broken codice fiscale, a missing required field, an impossible date,
//! ...) and, independently, *soft* ones that the pipeline repairs (spaces,
//! case, abbreviated DUG) or that concern the file (duplicates, a ragged CSV
//! row). A defect that does not apply to a source (e.g. a malformed date in
//! a typed Parquet date column, a bad CAP where no CAP is exported) is not
//! injected, and not counted.

use super::places::dug_abbreviation;
use super::random::{chance, pick};
use super::record::{Record, Value};
use chrono::{Datelike, Days, NaiveDate};
use metrodati_interop::validate::anagrafe::Target;
use rand::rngs::SmallRng;
use rand::Rng;

/// Invalid check character of the codice fiscale.
pub const CF_CHECK_CHAR: &str = "cf_check_char";
/// Letter `O` typed for a digit `0` in the codice fiscale.
pub const CF_LETTER_O: &str = "cf_letter_o";
/// Codice fiscale inconsistent with the declared birth date.
pub const CF_BIRTH_DATE_MISMATCH: &str = "cf_birth_date_mismatch";
/// Codice fiscale inconsistent with the declared sex.
pub const CF_SEX_MISMATCH: &str = "cf_sex_mismatch";
/// A required field left empty.
pub const MISSING_REQUIRED: &str = "missing_required";
/// A calendar-impossible date (31/02/1985, month 13).
pub const DATE_INVALID: &str = "date_invalid";
/// A birth date in the future (a year typed with the wrong century).
pub const DATE_IN_FUTURE: &str = "date_in_future";
/// A relation code absent from ANPR Tabella 5.
pub const RELATION_UNKNOWN: &str = "relation_unknown";
/// A CAP that is not five digits.
pub const POST_CODE_INVALID: &str = "post_code_invalid";
/// The same row twice.
pub const DUPLICATE_ROW: &str = "duplicate_row";
/// Leading, trailing or doubled spaces.
pub const WHITESPACE: &str = "whitespace";
/// A name in mixed or lower case.
pub const NAME_CASE: &str = "name_case";
/// An abbreviated DUG (`P.ZA`, `V.LE`, ...).
pub const DUG_ABBREVIATED: &str = "dug_abbreviated";
/// A CSV row with a missing separator.
pub const RAGGED_ROW: &str = "ragged_row";
/// A UTF-8 CSV file starting with a byte-order mark.
pub const UTF8_BOM: &str = "utf8_bom";

/// Hard defects and their rate per row (at most one per row).
pub const HARD: &[(&str, f64)] = &[
    (CF_CHECK_CHAR, 0.004),
    (CF_LETTER_O, 0.003),
    (CF_BIRTH_DATE_MISMATCH, 0.002),
    (CF_SEX_MISMATCH, 0.0015),
    (MISSING_REQUIRED, 0.003),
    (DATE_INVALID, 0.002),
    (DATE_IN_FUTURE, 0.0008),
    (RELATION_UNKNOWN, 0.0015),
    (POST_CODE_INVALID, 0.002),
];

/// Soft defects and their rate per row (independent).
pub const SOFT: &[(&str, f64)] = &[
    (WHITESPACE, 0.01),
    (NAME_CASE, 0.01),
    (DUG_ABBREVIATED, 0.03),
    (DUPLICATE_ROW, 0.002),
    (RAGGED_ROW, 0.001),
];

/// Every defect name, in a stable order.
pub const ALL: &[&str] = &[
    CF_CHECK_CHAR,
    CF_LETTER_O,
    CF_BIRTH_DATE_MISMATCH,
    CF_SEX_MISMATCH,
    MISSING_REQUIRED,
    DATE_INVALID,
    DATE_IN_FUTURE,
    RELATION_UNKNOWN,
    POST_CODE_INVALID,
    DUPLICATE_ROW,
    WHITESPACE,
    NAME_CASE,
    DUG_ABBREVIATED,
    RAGGED_ROW,
    UTF8_BOM,
];

/// What a source can carry.
#[derive(Debug, Clone)]
pub(crate) struct Caps {
    /// Targets mapped to a column.
    pub mapped: [bool; Target::COUNT],
    /// Date targets written as text (not typed dates).
    pub text_dates: [bool; Target::COUNT],
    /// Delimited text (ragged rows are possible).
    pub csv: bool,
}

impl Caps {
    fn has(&self, t: Target) -> bool {
        self.mapped[t as usize]
    }
}

/// The defects applied to one row.
#[derive(Debug, Default, Clone)]
pub(crate) struct Applied {
    pub kinds: Vec<&'static str>,
    pub duplicate: bool,
    pub ragged: bool,
}

const CF_DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];
const REQUIRED: [Target; 8] = Target::REQUIRED;

/// Draws and applies the defects of one row.
pub(crate) fn inject(rng: &mut SmallRng, rec: &mut Record, caps: &Caps) -> Applied {
    let mut applied = Applied::default();
    let x: f64 = rng.random();
    let mut acc = 0.0;
    for &(kind, rate) in HARD {
        acc += rate;
        if x < acc {
            if hard(rng, kind, rec, caps) {
                applied.kinds.push(kind);
            }
            break;
        }
    }
    for &(kind, rate) in SOFT {
        if !chance(rng, rate) {
            continue;
        }
        let done = match kind {
            DUPLICATE_ROW => {
                applied.duplicate = true;
                true
            }
            RAGGED_ROW => {
                applied.ragged = caps.csv;
                caps.csv
            }
            _ => soft(rng, kind, rec, caps),
        };
        if done {
            applied.kinds.push(kind);
        }
    }
    applied
}

fn hard(rng: &mut SmallRng, kind: &str, rec: &mut Record, caps: &Caps) -> bool {
    match kind {
        CF_CHECK_CHAR | CF_LETTER_O => {
            let Some(code) = rec
                .text(Target::TaxCode)
                .filter(|c| c.len() == 16 && caps.has(Target::TaxCode))
            else {
                return false;
            };
            let mut b = code.as_bytes().to_vec();
            if kind == CF_CHECK_CHAR {
                let k = b[15] - b'A';
                b[15] = b'A' + (k + rng.random_range(1..26u8)) % 26;
            } else {
                let zeros: Vec<usize> = CF_DIGIT_POSITIONS.into_iter().filter(|&i| b[i] == b'0').collect();
                if zeros.is_empty() {
                    return false;
                }
                for i in zeros {
                    b[i] = b'O';
                }
            }
            rec.set(Target::TaxCode, Value::Text(String::from_utf8(b).expect("ASCII")));
            true
        }
        CF_BIRTH_DATE_MISMATCH => {
            // The birth date was typed wrong (a few days off); the code is right.
            let Value::Date(d) = rec.get(Target::DateOfBirth).clone() else {
                return false;
            };
            if !caps.has(Target::DateOfBirth) {
                return false;
            }
            rec.set(
                Target::DateOfBirth,
                Value::Date(d - Days::new(rng.random_range(1..=3))),
            );
            true
        }
        CF_SEX_MISMATCH => {
            let flipped = match rec.text(Target::SexId) {
                Some("M") => "F",
                Some("F") => "M",
                _ => return false,
            };
            if !caps.has(Target::SexId) {
                return false;
            }
            rec.set(Target::SexId, Value::Text(flipped.into()));
            true
        }
        MISSING_REQUIRED => {
            let t = *pick(rng, &REQUIRED);
            if !caps.has(t) {
                return false;
            }
            rec.set(t, Value::Empty);
            true
        }
        DATE_INVALID => {
            let t = if chance(rng, 0.8) {
                Target::DateOfBirth
            } else {
                Target::ResidenceStartDate
            };
            let Value::Date(d) = rec.get(t).clone() else {
                return false;
            };
            if !caps.has(t) || !caps.text_dates[t as usize] {
                return false;
            }
            let (month, day) = match rng.random_range(0..4) {
                0 => (2, 30),
                1 => (2, 31),
                2 => (*pick(rng, &[4, 6, 9, 11]), 31),
                _ => (13, d.day()),
            };
            rec.set(
                t,
                Value::BadDate {
                    year: d.year(),
                    month,
                    day,
                },
            );
            true
        }
        DATE_IN_FUTURE => {
            // 1985 typed as 2085.
            let Value::Date(d) = rec.get(Target::DateOfBirth).clone() else {
                return false;
            };
            if !caps.has(Target::DateOfBirth) {
                return false;
            }
            let future = d
                .with_year(d.year() + 100)
                .or_else(|| NaiveDate::from_ymd_opt(d.year() + 100, 2, 28));
            match future {
                Some(f) => {
                    rec.set(Target::DateOfBirth, Value::Date(f));
                    true
                }
                None => false,
            }
        }
        RELATION_UNKNOWN => {
            if !caps.has(Target::ParentalRelationshipTypeCode) {
                return false;
            }
            let code = *pick(rng, &["27", "0", "98", "X", "33"]);
            rec.set(Target::ParentalRelationshipTypeCode, Value::Text(code.into()));
            true
        }
        POST_CODE_INVALID => {
            let Some(cap) = rec.text(Target::PostCode).map(str::to_string) else {
                return false;
            };
            if !caps.has(Target::PostCode) {
                return false;
            }
            let bad = match rng.random_range(0..4) {
                0 => cap[..4].to_string(),
                1 => format!("{cap}0"),
                2 => format!("{} {}", &cap[..2], &cap[2..]),
                _ => "MI".to_string(),
            };
            rec.set(Target::PostCode, Value::Text(bad));
            true
        }
        _ => false,
    }
}

fn soft(rng: &mut SmallRng, kind: &str, rec: &mut Record, caps: &Caps) -> bool {
    match kind {
        WHITESPACE => {
            let candidates: Vec<Target> = [
                Target::FamilyName,
                Target::GivenName,
                Target::OfficialStreetName,
                Target::FullAddress,
            ]
            .into_iter()
            .filter(|&t| caps.has(t) && rec.text(t).is_some())
            .collect();
            if candidates.is_empty() {
                return false;
            }
            let t = *pick(rng, &candidates);
            let v = rec.text(t).expect("checked").to_string();
            let spaced = match rng.random_range(0..3) {
                0 => format!(" {v}"),
                1 => format!("{v}  "),
                _ => match v.find(' ') {
                    Some(i) => format!("{}  {}", &v[..i], &v[i + 1..]),
                    None => format!("{v} "),
                },
            };
            rec.set(t, Value::Text(spaced));
            true
        }
        NAME_CASE => {
            let t = if chance(rng, 0.5) {
                Target::FamilyName
            } else {
                Target::GivenName
            };
            let Some(v) = rec.text(t).filter(|_| caps.has(t)).map(str::to_string) else {
                return false;
            };
            let cased = if chance(rng, 0.7) {
                title_case(&v)
            } else {
                v.to_lowercase()
            };
            if cased == v {
                return false;
            }
            rec.set(t, Value::Text(cased));
            true
        }
        DUG_ABBREVIATED => {
            let uses_dug = caps.has(Target::ToponymQualifier) || caps.has(Target::FullAddress);
            let Some(abbr) = dug_abbreviation(&rec.address.dug).filter(|_| uses_dug) else {
                return false;
            };
            rec.address.dug = abbr.to_string();
            rec.set(Target::ToponymQualifier, Value::Text(abbr.to_string()));
            let full = rec.address.full();
            rec.set(Target::FullAddress, Value::Text(full));
            true
        }
        _ => false,
    }
}

/// `DELL'ACQUA` → `Dell'Acqua`, `DE LUCA` → `De Luca`, `NICCOLÒ` → `Niccolò`.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphabetic();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_rates_small() {
        let mut names: Vec<&str> = ALL.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for (k, _) in HARD.iter().chain(SOFT) {
            assert!(ALL.contains(k));
        }
        let hard: f64 = HARD.iter().map(|(_, r)| r).sum();
        assert!(hard < 0.03, "{hard}");
    }

    #[test]
    fn title_case_keeps_apostrophes_and_accents() {
        assert_eq!(title_case("DELL'ACQUA"), "Dell'Acqua");
        assert_eq!(title_case("DE LUCA"), "De Luca");
        assert_eq!(title_case("NICCOLÒ"), "Niccolò");
    }
}
