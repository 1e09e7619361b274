//! Codice fiscale (CF) of natural persons — 16 characters,
//! `CCC NNN YY M DD LLLL K` — and the 11-digit numeric CF (legal entities,
//! provisional codes for persons), which uses the Partita IVA algorithm.
//!
//! Rules (DM Finanze 23/12/1976 n. 13813; see `shared/reference/reference-data.md` §2):
//!
//! * surname and given name: 3 letters each (consonants, then vowels, then
//!   `X`; a given name with ≥ 4 consonants takes the 1st, 3rd and 4th);
//! * year (2 digits), month letter `ABCDEHLMPRST`, day (`+40` for women);
//! * birthplace: codice catastale of the comune valid at the birth date, or
//!   `Z` + 3 digits for a foreign state;
//! * **omocodia**: to make duplicate codes unique, the Agenzia delle Entrate
//!   replaces digits with letters (`0→L 1→M 2→N 3→P 4→Q 5→R 6→S 7→T 8→U
//!   9→V`) from the rightmost of the 7 digit positions (1-based 7, 8, 10, 11,
//!   13, 14, 15) leftwards, and recomputes the check character;
//! * check character: odd/even tables over the first 15 characters, mod 26.
//!
//! Only the code issued by the Agenzia is authoritative: when ingesting data,
//! **validate, never regenerate**. [`compute`] exists for synthetic data only.
//!
//! ```
//! use metrodati_interop::cf::{self, Sex};
//!
//! let info = cf::parse("RSSMRC80A01F20RU").unwrap(); // omocodic, level 1
//! assert_eq!((info.birth_date_yy, info.month, info.day, info.sex), (80, 1, 1, Sex::M));
//! assert_eq!(info.birthplace, "F205");
//! assert_eq!(cf::decode_omocodia("RSSMRC80A01F20RU"), "RSSMRC80A01F205Z");
//! assert_eq!(cf::parse("RSSMRC80A01F205A").unwrap_err().code(), "cf_check_char");
//! ```

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Month letters, January to December.
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
/// Omocodia letters standing for the digits 0 to 9.
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
/// 0-based positions of the 7 digits that omocodia may replace, left to right.
const OMO_POS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];
/// Check-character values of `0–9`/`A–Z` at odd 1-based positions (digit `d`
/// has the value of the `d`-th letter).
const ODD: [u8; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Sex as encoded in the codice fiscale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    /// Male (`M`): day of birth as is.
    M,
    /// Female (`F`): day of birth + 40.
    F,
}

impl Sex {
    /// `"M"` or `"F"` (OntoPiA `sex` codes).
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::M => "M",
            Sex::F => "F",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a valid codice fiscale. [`CfError::code`] is stable
/// (for machines and tests); [`CfError::message_it`] is for data stewards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CfError {
    /// Not exactly 16 characters.
    #[error("a codice fiscale has 16 characters")]
    Length,
    /// A character not allowed at this 1-based position (lower case, space,
    /// digit in place of a letter, invalid month letter, ...).
    #[error("invalid character at position {position}")]
    Format { position: usize },
    /// The check character (position 16) does not match.
    #[error("wrong check character: expected {expected}, found {found}")]
    CheckChar { expected: char, found: char },
    /// Day 00, 32–40 or > 71, or a day the month does not have (30
    /// February; 29 February of a year that cannot be a leap year).
    #[error("invalid birth date")]
    InvalidDate,
}

impl CfError {
    /// Stable rule code: `cf_length`, `cf_format`, `cf_check_char`, `cf_date`.
    pub fn code(&self) -> &'static str {
        match self {
            CfError::Length => "cf_length",
            CfError::Format { .. } => "cf_format",
            CfError::CheckChar { .. } => "cf_check_char",
            CfError::InvalidDate => "cf_date",
        }
    }

    /// Italian message for a data steward.
    pub fn message_it(&self) -> String {
        match self {
            CfError::Length => "Il codice fiscale deve essere composto da 16 caratteri.".to_string(),
            CfError::Format { position } => format!(
                "Il codice fiscale contiene un carattere non ammesso in posizione {position} ({}).",
                section_it(*position)
            ),
            CfError::CheckChar { expected, found } => format!(
                "Il carattere di controllo del codice fiscale non è corretto: atteso {expected}, trovato {found}."
            ),
            CfError::InvalidDate => {
                "La data di nascita contenuta nel codice fiscale non esiste (giorno o mese non validi).".to_string()
            }
        }
    }
}

/// What the 1-based position `p` of a CF encodes, in Italian.
fn section_it(p: usize) -> &'static str {
    match p {
        1..=3 => "cognome: attesa una lettera",
        4..=6 => "nome: attesa una lettera",
        7 | 8 => "anno di nascita: attesa una cifra",
        9 => "mese di nascita: attesa una lettera tra A, B, C, D, E, H, L, M, P, R, S, T",
        10 | 11 => "giorno di nascita: attesa una cifra",
        12 => "luogo di nascita: attesa una lettera",
        13..=15 => "luogo di nascita: attesa una cifra",
        _ => "carattere di controllo: attesa una lettera",
    }
}

/// Data decoded from a codice fiscale (omocodia letters already mapped back
/// to digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CfInfo {
    /// The 3 letters derived from the surname (e.g. `RSS`).
    pub family_name_code: String,
    /// The 3 letters derived from the given name (e.g. `MRC`).
    pub given_name_code: String,
    /// Last two digits of the birth year, 0–99 (the century is not encoded:
    /// see [`birth_date`]).
    pub birth_date_yy: u8,
    /// Birth month, 1–12.
    pub month: u32,
    /// Day of birth, 1–31 (the `+40` for women removed).
    pub day: u32,
    pub sex: Sex,
    /// Birthplace code, digits decoded: codice catastale (`F205`) or foreign
    /// state (`Z110`). Check it with [`crate::anpr::check_birthplace`].
    pub birthplace: String,
    /// Number of the 7 digit positions holding an omocodia letter (0 = not
    /// omocodic).
    pub omocodia_level: u8,
}

/// A validated codice fiscale of a person, kept exactly as issued (upper
/// case, omocodia letters included; never "regenerated").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscale {
    code: String,
    #[serde(skip)]
    info: CfInfo,
}

impl CodiceFiscale {
    /// Validates `s` strictly (see [`parse`]).
    pub fn parse(s: &str) -> Result<CodiceFiscale, CfError> {
        let info = parse(s)?;
        Ok(CodiceFiscale {
            code: s.to_string(),
            info,
        })
    }

    /// The code as issued.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The decoded data.
    pub fn info(&self) -> &CfInfo {
        &self.info
    }

    /// Whether omocodia letters are present.
    pub fn is_omocodic(&self) -> bool {
        self.info.omocodia_level > 0
    }

    /// The code with omocodia letters mapped back to digits (see
    /// [`decode_omocodia`]). For comparisons only: the issued code is
    /// [`CodiceFiscale::as_str`].
    pub fn base_code(&self) -> String {
        decode_omocodia(&self.code)
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl AsRef<str> for CodiceFiscale {
    fn as_ref(&self) -> &str {
        &self.code
    }
}

impl FromStr for CodiceFiscale {
    type Err = CfError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CodiceFiscale::parse(s)
    }
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CfError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let info = parse(&s)?;
        Ok(CodiceFiscale { code: s, info })
    }
}

impl From<CodiceFiscale> for String {
    fn from(cf: CodiceFiscale) -> String {
        cf.code
    }
}

/// Value of `0–9`/`A–Z` in the check-character tables (digit `d` = letter `d`).
fn table_index(b: u8) -> Option<usize> {
    match b {
        b'0'..=b'9' => Some(usize::from(b - b'0')),
        b'A'..=b'Z' => Some(usize::from(b - b'A')),
        _ => None,
    }
}

fn check_char_bytes(first15: &[u8]) -> Option<u8> {
    if first15.len() != 15 {
        return None;
    }
    let mut sum = 0usize;
    for (i, &b) in first15.iter().enumerate() {
        let v = table_index(b)?;
        // i is 0-based: even i = odd 1-based position.
        sum += if i % 2 == 0 { usize::from(ODD[v]) } else { v };
    }
    // sum % 26 < 26, so the cast cannot truncate.
    Some(b'A' + (sum % 26) as u8)
}

/// The check character for the first 15 characters of a CF (upper-case
/// `A–Z`/`0–9`, omocodia letters as issued); `None` if `first15` is not 15
/// such characters.
pub fn check_char(first15: &str) -> Option<char> {
    check_char_bytes(first15.as_bytes()).map(char::from)
}

/// Whether byte `b` may stand at 0-based position `i` of a CF.
fn allowed_at(i: usize, b: u8) -> bool {
    match i {
        0..=5 | 11 | 15 => b.is_ascii_uppercase(),
        8 => MONTHS.contains(&b),
        6 | 7 | 9 | 10 | 12..=14 => b.is_ascii_digit() || OMOCODIA.contains(&b),
        _ => false,
    }
}

/// Digit value of a digit or omocodia letter.
fn digit_value(b: u8) -> Option<u32> {
    if b.is_ascii_digit() {
        return Some(u32::from(b - b'0'));
    }
    OMOCODIA.iter().position(|&l| l == b).map(|p| p as u32)
}

fn days_in_month(month: u32, leap: bool) -> u32 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Validates a codice fiscale of a person and decodes it.
///
/// Strict: exactly 16 upper-case ASCII characters, no spaces (trimming and
/// upper-casing are the caller's job, counted as repairs). Checks, in order:
/// length, the character class of each position (including the month
/// letter), the check character, then the calendar validity of month/day
/// (29 February is accepted when `yy` is a multiple of 4, since the century
/// is unknown). Omocodic codes (any combination of the 7 positions) are
/// accepted. The birthplace is only checked for shape: use
/// [`crate::anpr::check_birthplace`] for its validity at the birth date.
pub fn parse(s: &str) -> Result<CfInfo, CfError> {
    if s.chars().count() != 16 {
        return Err(CfError::Length);
    }
    // 16 chars; any non-ASCII char makes the byte length differ from the
    // char count, so report the first one by position.
    if let Some((pos, _)) = s
        .chars()
        .enumerate()
        .find(|(i, c)| !c.is_ascii() || !allowed_at(*i, *c as u8))
    {
        return Err(CfError::Format { position: pos + 1 });
    }
    let b = s.as_bytes();
    let expected = check_char_bytes(&b[..15]).ok_or(CfError::Format { position: 1 })?;
    if b[15] != expected {
        return Err(CfError::CheckChar {
            expected: char::from(expected),
            found: char::from(b[15]),
        });
    }
    let digits = |i: usize| digit_value(b[i]).unwrap_or(0);
    let yy = digits(6) * 10 + digits(7);
    let month = MONTHS.iter().position(|&m| m == b[8]).map_or(0, |p| p as u32 + 1);
    let raw_day = digits(9) * 10 + digits(10);
    let (day, sex) = match raw_day {
        1..=31 => (raw_day, Sex::M),
        41..=71 => (raw_day - 40, Sex::F),
        _ => return Err(CfError::InvalidDate),
    };
    if month == 0 || day > days_in_month(month, yy % 4 == 0) {
        return Err(CfError::InvalidDate);
    }
    let mut birthplace = String::with_capacity(4);
    birthplace.push(char::from(b[11]));
    for i in 12..15 {
        birthplace.push(char::from_digit(digits(i), 10).unwrap_or('0'));
    }
    let omocodia_level = OMO_POS.iter().filter(|&&i| b[i].is_ascii_uppercase()).count() as u8;
    Ok(CfInfo {
        family_name_code: s[0..3].to_string(),
        given_name_code: s[3..6].to_string(),
        birth_date_yy: yy as u8,
        month,
        day,
        sex,
        birthplace,
        omocodia_level,
    })
}

/// 16 upper-case ASCII alphanumerics, as bytes; `None` otherwise.
fn as_code_bytes(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 16 || !b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return None;
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(b);
    Some(out)
}

fn with_check_char(mut code: [u8; 16]) -> String {
    if let Some(k) = check_char_bytes(&code[..15]) {
        code[15] = k;
    }
    code.iter().map(|&b| char::from(b)).collect()
}

/// Maps omocodia letters (`L`–`V`) back to digits at the 7 positions 7, 8,
/// 10, 11, 13, 14, 15 (1-based) and recomputes the check character: the
/// "base" code from which an omocodic code was derived. Input that is not
/// 16 upper-case ASCII letters/digits is returned unchanged.
pub fn decode_omocodia(s: &str) -> String {
    let Some(mut code) = as_code_bytes(s) else {
        return s.to_string();
    };
    for i in OMO_POS {
        if let Some(p) = OMOCODIA.iter().position(|&l| l == code[i]) {
            code[i] = b'0' + p as u8;
        }
    }
    with_check_char(code)
}

/// Omocodic variant of `cf` at `level` (0–7, higher values are taken as 7):
/// replaces the digits of the `level` rightmost substitutable positions
/// (15, 14, 13, 11, 10, 8, 7, in that order) with their letters and
/// recomputes the check character, as the Agenzia delle Entrate does. For
/// synthetic data and tests. Input that is not 16 upper-case ASCII
/// letters/digits is returned unchanged.
pub fn omocode(cf: &str, level: u8) -> String {
    let Some(mut code) = as_code_bytes(cf) else {
        return cf.to_string();
    };
    for &i in OMO_POS.iter().rev().take(usize::from(level.min(7))) {
        if code[i].is_ascii_digit() {
            code[i] = OMOCODIA[usize::from(code[i] - b'0')];
        }
    }
    with_check_char(code)
}

/// Repairs a classic typing error: the letter `O` typed for the digit `0`
/// in a digit position (7, 8, 10, 11, 13, 14, 15; `O` is never valid there,
/// not even as an omocodia letter). Returns the repaired code only if
/// something was replaced and the result passes [`parse`].
pub fn repair_letter_o(s: &str) -> Option<String> {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() != 16 {
        return None;
    }
    let mut changed = false;
    for i in OMO_POS {
        if chars[i] == 'O' {
            chars[i] = '0';
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    let repaired: String = chars.into_iter().collect();
    parse(&repaired).is_ok().then_some(repaired)
}

/// The birth date encoded in `info`, choosing the century so that the date
/// is the latest one not after `reference` (e.g. the date the data were
/// extracted). Looks back at most 200 years; `None` if no such valid date
/// exists (e.g. 29 February `00` with a reference before 2000-02-29).
///
/// The century is not encoded in a CF: a person born in 1920 and one born in
/// 2020 both have `yy = 20`; with a 2024 reference, 2020 is returned.
pub fn birth_date(info: &CfInfo, reference: NaiveDate) -> Option<NaiveDate> {
    let yy = i32::from(info.birth_date_yy);
    if yy > 99 {
        return None;
    }
    let ry = reference.year();
    let mut year = ry - ry.rem_euclid(100) + yy;
    if year > ry {
        year -= 100;
    }
    for _ in 0..3 {
        if let Some(d) = NaiveDate::from_ymd_opt(year, info.month, info.day) {
            if d <= reference {
                return Some(d);
            }
        }
        year -= 100;
    }
    None
}

/// A difference between a CF and the birth date/sex declared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// Last two digits of the year differ.
    Year {
        cf: u8,
        declared: u8,
    },
    Month {
        cf: u32,
        declared: u32,
    },
    Day {
        cf: u32,
        declared: u32,
    },
    Sex {
        cf: Sex,
        declared: Sex,
    },
}

impl Mismatch {
    /// Stable rule code: `cf_birth_year_mismatch`, `cf_birth_month_mismatch`,
    /// `cf_birth_day_mismatch`, `cf_sex_mismatch`.
    pub fn code(&self) -> &'static str {
        match self {
            Mismatch::Year { .. } => "cf_birth_year_mismatch",
            Mismatch::Month { .. } => "cf_birth_month_mismatch",
            Mismatch::Day { .. } => "cf_birth_day_mismatch",
            Mismatch::Sex { .. } => "cf_sex_mismatch",
        }
    }

    /// Italian message for a data steward.
    pub fn message_it(&self) -> String {
        match self {
            Mismatch::Year { cf, declared } => format!(
                "L'anno di nascita nel codice fiscale ({cf:02}) non corrisponde a quello dichiarato (…{declared:02})."
            ),
            Mismatch::Month { cf, declared } => format!(
                "Il mese di nascita nel codice fiscale ({cf}) non corrisponde a quello dichiarato ({declared})."
            ),
            Mismatch::Day { cf, declared } => format!(
                "Il giorno di nascita nel codice fiscale ({cf}) non corrisponde a quello dichiarato ({declared})."
            ),
            Mismatch::Sex { cf, declared } => format!(
                "Il sesso nel codice fiscale ({cf}) non corrisponde a quello dichiarato ({declared})."
            ),
        }
    }
}

/// Compares a decoded CF with a declared birth date and sex; empty when
/// consistent. (For omocodic codes `info` is already decoded.)
pub fn consistent_with(info: &CfInfo, birth_date: NaiveDate, sex: Sex) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let yy = birth_date.year().rem_euclid(100) as u8;
    if info.birth_date_yy != yy {
        out.push(Mismatch::Year {
            cf: info.birth_date_yy,
            declared: yy,
        });
    }
    if info.month != birth_date.month() {
        out.push(Mismatch::Month {
            cf: info.month,
            declared: birth_date.month(),
        });
    }
    if info.day != birth_date.day() {
        out.push(Mismatch::Day {
            cf: info.day,
            declared: birth_date.day(),
        });
    }
    if info.sex != sex {
        out.push(Mismatch::Sex {
            cf: info.sex,
            declared: sex,
        });
    }
    out
}

/// ASCII transliteration of one (lower-case) Latin letter; `""` for anything
/// else: spaces, apostrophes, hyphens, digits, combining accents (so
/// decomposed input works too), and letters of other scripts, which
/// python-codicefiscale would transliterate (`Иван` → `VNI`) but which do not
/// occur in Italian civil records (names are registered in Latin script).
fn fold_lower(c: char) -> &'static str {
    match c {
        'a'..='z' => {
            const L: &str = "abcdefghijklmnopqrstuvwxyz";
            let i = c as usize - 'a' as usize;
            &L[i..=i]
        }
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ơ' => "o",
        'ư' => "u",
        'ǆ' => "dz",
        'ǉ' => "lj",
        'ǌ' => "nj",
        'ĳ' => "ij",
        'ŉ' => "n",
        // Vietnamese letters with two diacritics (Latin Extended Additional).
        '\u{1EA0}'..='\u{1EB7}' => "a",
        '\u{1EB8}'..='\u{1EC7}' => "e",
        '\u{1EC8}'..='\u{1ECB}' => "i",
        '\u{1ECC}'..='\u{1EE3}' => "o",
        '\u{1EE4}'..='\u{1EF1}' => "u",
        '\u{1EF2}'..='\u{1EF9}' => "y",
        _ => "",
    }
}

/// Upper-case ASCII letters of a name: accents removed (`à→A`, `ß→SS`,
/// ...), everything that is not a letter dropped.
fn name_letters(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        out.extend(fold_lower(c).bytes().map(|b| b.to_ascii_uppercase()));
    }
    out
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'A' | b'E' | b'I' | b'O' | b'U')
}

fn three_letters(consonants: &[u8], vowels: &[u8]) -> String {
    consonants
        .iter()
        .chain(vowels)
        .chain(b"XXX")
        .take(3)
        .map(|&b| char::from(b))
        .collect()
}

/// The 3-letter surname part of a CF: consonants in order, then vowels,
/// padded with `X` ("De Luca" → `DLC`, "Fo" → `FOX`). Multi-part names are
/// joined; accents are removed; `J K W X Y` count as consonants.
pub fn family_name_code(family_name: &str) -> String {
    let letters = name_letters(family_name);
    let (vowels, consonants): (Vec<u8>, Vec<u8>) = letters.into_iter().partition(|&b| is_vowel(b));
    three_letters(&consonants, &vowels)
}

/// The 3-letter given-name part of a CF: with ≥ 4 consonants the 1st, 3rd
/// and 4th ("Alessandro" → `LSN`); otherwise as for the surname ("Al" →
/// `LAX`).
pub fn given_name_code(given_name: &str) -> String {
    let letters = name_letters(given_name);
    let (vowels, mut consonants): (Vec<u8>, Vec<u8>) = letters.into_iter().partition(|&b| is_vowel(b));
    if consonants.len() >= 4 {
        consonants.remove(1);
    }
    three_letters(&consonants, &vowels)
}

/// Computes the (non-omocodic) CF for the given data. **For synthetic data
/// generation only** — real codes are issued by the Agenzia delle Entrate
/// and may be omocodic.
///
/// `birthplace` is the code (codice catastale valid at the birth date, or a
/// `Z` code), not a name; it is upper-cased. If it is not 4 ASCII
/// letters/digits the result has `?` as check character and does not
/// [`parse`].
pub fn compute(
    family_name: &str,
    given_name: &str,
    sex: Sex,
    birth_date: NaiveDate,
    birthplace: &str,
) -> String {
    let mut code = family_name_code(family_name);
    code.push_str(&given_name_code(given_name));
    code.push_str(&format!("{:02}", birth_date.year().rem_euclid(100)));
    code.push(char::from(MONTHS[birth_date.month0() as usize]));
    let day = birth_date.day() + if sex == Sex::F { 40 } else { 0 };
    code.push_str(&format!("{day:02}"));
    code.push_str(&birthplace.to_ascii_uppercase());
    let k = check_char(&code).unwrap_or('?');
    code.push(k);
    code
}

/// Check digit of an 11-digit numeric CF / Partita IVA from its first 10
/// digits (Luhn); `None` if `first10` is not 10 ASCII digits.
pub fn numeric_cf_check_digit(first10: &str) -> Option<char> {
    let b = first10.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10)
}

/// Whether `s` is a valid 11-digit numeric codice fiscale (legal entities,
/// provisional codes for persons), i.e. a valid Partita IVA: exactly 11
/// ASCII digits (no `IT` prefix, no spaces), Luhn check digit, and — as
/// python-stdnum `it.iva` checks — a matricola (digits 1–7) that is not all
/// zeros and a provincial office code (digits 8–10) in `001`–`100`, `120`,
/// `121`, `888` or `999`.
pub fn is_valid_numeric_cf(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if &b[..7] == b"0000000" {
        return false;
    }
    let office: u32 = b[7..10].iter().fold(0, |acc, &c| acc * 10 + u32::from(c - b'0'));
    if !matches!(office, 1..=100 | 120 | 121 | 888 | 999) {
        return false;
    }
    numeric_cf_check_digit(&s[..10]) == Some(char::from(b[10]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Appends the correct check character to 15 characters.
    fn with_k(first15: &str) -> String {
        format!("{first15}{}", check_char(first15).unwrap())
    }

    #[test]
    fn odd_table_is_a_permutation() {
        let mut v = ODD.to_vec();
        v.sort_unstable();
        assert_eq!(v, (0..26).collect::<Vec<u8>>());
    }

    #[test]
    fn reference_examples() {
        let i = parse("RSSMRC80A01F205Z").unwrap();
        assert_eq!(
            i,
            CfInfo {
                family_name_code: "RSS".into(),
                given_name_code: "MRC".into(),
                birth_date_yy: 80,
                month: 1,
                day: 1,
                sex: Sex::M,
                birthplace: "F205".into(),
                omocodia_level: 0,
            }
        );
        let o = parse("RSSMRC80A01F20RU").unwrap();
        assert_eq!(o.omocodia_level, 1);
        assert_eq!(o.birthplace, "F205");
        assert_eq!(
            CfInfo {
                omocodia_level: 0,
                ..o
            },
            i
        );
        let s = parse("SPSNNA48D44L768G").unwrap();
        assert_eq!((s.birth_date_yy, s.month, s.day, s.sex), (48, 4, 4, Sex::F));
        assert_eq!(s.birthplace, "L768");
        assert_eq!(birth_date(&s, d(2024, 1, 1)), Some(d(1948, 4, 4)));
    }

    #[test]
    fn errors_and_codes() {
        let e = parse("RSSMRC80A01F205A").unwrap_err();
        assert_eq!(
            e,
            CfError::CheckChar {
                expected: 'Z',
                found: 'A'
            }
        );
        assert_eq!(e.code(), "cf_check_char");
        assert_eq!(
            e.message_it(),
            "Il carattere di controllo del codice fiscale non è corretto: atteso Z, trovato A."
        );
        let e = parse("RSSMRC80A01F205").unwrap_err();
        assert_eq!((e.clone(), e.code()), (CfError::Length, "cf_length"));
        assert!(e.message_it().contains("16 caratteri"));
        assert_eq!(parse(""), Err(CfError::Length));
        assert_eq!(parse("RSSMRC80A01F205ZZ"), Err(CfError::Length));
        // Month letter F does not exist (check char correct for the 15 chars).
        let e = parse(&with_k("RSSMRC80F01F205")).unwrap_err();
        assert_eq!(
            (e.clone(), e.code()),
            (CfError::Format { position: 9 }, "cf_format")
        );
        assert!(e.message_it().contains("posizione 9 (mese di nascita"));
        assert_eq!(parse("rssmrc80a01f205z"), Err(CfError::Format { position: 1 }));
        assert_eq!(parse(" RSSMRC80A01F205"), Err(CfError::Format { position: 1 }));
        assert_eq!(parse("RSSMRC8OA01F205Z"), Err(CfError::Format { position: 8 }));
        assert_eq!(parse("RSSMRC80A01F205È"), Err(CfError::Format { position: 16 }));
        assert_eq!(parse("RSSMRC80A01F2051"), Err(CfError::Format { position: 16 }));
        assert_eq!(parse("RSSMRC80A011205Z"), Err(CfError::Format { position: 12 }));
        assert_eq!(parse("RS5MRC80A01F205Z"), Err(CfError::Format { position: 3 }));
        assert_eq!(CfError::InvalidDate.code(), "cf_date");
        for p in 1..=16 {
            assert!(CfError::Format { position: p }
                .message_it()
                .contains(&format!("posizione {p} (")));
        }
    }

    #[test]
    fn calendar_checks() {
        // 30 February with a correct check character.
        assert_eq!(parse(&with_k("RSSMRC80B30F205")), Err(CfError::InvalidDate));
        // Day 72 (female 32), day 00, days 32–40.
        assert_eq!(parse(&with_k("RSSMRC80A72F205")), Err(CfError::InvalidDate));
        assert_eq!(parse(&with_k("RSSMRC80A00F205")), Err(CfError::InvalidDate));
        assert_eq!(parse(&with_k("RSSMRC80A32F205")), Err(CfError::InvalidDate));
        assert_eq!(parse(&with_k("RSSMRC80A40F205")), Err(CfError::InvalidDate));
        assert_eq!(parse(&with_k("RSSMRC80D31F205")), Err(CfError::InvalidDate)); // 31 April
        assert_eq!(parse(&with_k("RSSMRC80D71F205")), Err(CfError::InvalidDate)); // 31 April, F
        assert!(parse(&with_k("RSSMRC80A31F205")).is_ok());
        assert!(parse(&with_k("RSSMRC80A71F205")).is_ok());
        // 29 February: leap years (including 00 = 2000) ok, others rejected.
        assert!(parse(&with_k("RSSMRC80B29F205")).is_ok());
        assert!(parse(&with_k("RSSMRC00B69F205")).is_ok());
        assert_eq!(parse(&with_k("RSSMRC81B29F205")), Err(CfError::InvalidDate));
        assert_eq!(parse(&with_k("RSSMRC81B69F205")), Err(CfError::InvalidDate));
        // Omocodic day letters are decoded before the check: "NV" = 29.
        assert!(parse(&with_k("RSSMRC80BNVF205")).is_ok());
        assert_eq!(parse(&with_k("RSSMRC81BNVF205")), Err(CfError::InvalidDate));
    }

    #[test]
    fn all_seven_positions_omocodic() {
        let full = omocode("RSSMRC80A01F205Z", 7);
        assert_eq!(&full[..15], "RSSMRCULALMFNLR");
        let i = parse(&full).unwrap();
        assert_eq!(i.omocodia_level, 7);
        assert_eq!((i.birth_date_yy, i.month, i.day), (80, 1, 1));
        assert_eq!(i.birthplace, "F205");
        assert_eq!(decode_omocodia(&full), "RSSMRC80A01F205Z");
        // Non-suffix combinations are accepted too.
        let mixed = with_k("RSSMRCU0A0MF2L5");
        assert_eq!(parse(&mixed).unwrap().omocodia_level, 3);
        assert_eq!(decode_omocodia(&mixed), "RSSMRC80A01F205Z");
    }

    #[test]
    fn omocode_levels_round_trip() {
        for base in ["RSSMRC80A01F205Z", "SPSNNA48D44L768G"] {
            assert_eq!(omocode(base, 0), base);
            let mut prev = base.to_string();
            for level in 1..=7u8 {
                let o = omocode(base, level);
                let info = parse(&o).unwrap_or_else(|e| panic!("{o}: {e}"));
                assert_eq!(info.omocodia_level, level, "{o}");
                assert_eq!(decode_omocodia(&o), base);
                // Each level changes exactly one more position than the previous.
                let diff = o[..15]
                    .bytes()
                    .zip(prev[..15].bytes())
                    .filter(|(a, b)| a != b)
                    .count();
                assert_eq!(diff, 1, "{prev} -> {o}");
                prev = o;
            }
            assert_eq!(omocode(base, 200), omocode(base, 7));
        }
        assert_eq!(omocode("RSSMRC80A01F205Z", 1), "RSSMRC80A01F20RU");
        assert_eq!(omocode("not a code", 3), "not a code");
        assert_eq!(decode_omocodia("short"), "short");
        assert_eq!(decode_omocodia("RSSMRC80A01F205Z"), "RSSMRC80A01F205Z");
    }

    #[test]
    fn letter_o_repair() {
        assert_eq!(
            repair_letter_o("RSSMRC8OAO1F2O5Z").as_deref(),
            Some("RSSMRC80A01F205Z")
        );
        assert_eq!(repair_letter_o("RSSMRC80A01F205Z"), None); // nothing to repair
        assert_eq!(repair_letter_o("RSSMRC8OA01F205A"), None); // still invalid
        assert_eq!(repair_letter_o("ROSMRC80A01F205Z"), None); // O in a letter position is legit
        assert_eq!(repair_letter_o("RSSMRC8OA01F205"), None);
        assert_eq!(repair_letter_o("ÒSSMRC8OA01F205Z"), None);
    }

    #[test]
    fn birth_date_century() {
        let i = parse("RSSMRC80A01F205Z").unwrap();
        assert_eq!(birth_date(&i, d(2024, 6, 1)), Some(d(1980, 1, 1)));
        let young = CfInfo {
            birth_date_yy: 20,
            ..i.clone()
        };
        assert_eq!(birth_date(&young, d(2024, 6, 1)), Some(d(2020, 1, 1)));
        assert_eq!(birth_date(&young, d(2019, 6, 1)), Some(d(1920, 1, 1)));
        let today = CfInfo {
            birth_date_yy: 24,
            month: 6,
            day: 1,
            ..i.clone()
        };
        assert_eq!(birth_date(&today, d(2024, 6, 1)), Some(d(2024, 6, 1)));
        assert_eq!(birth_date(&today, d(2024, 5, 31)), Some(d(1924, 6, 1)));
        let leap = CfInfo {
            birth_date_yy: 0,
            month: 2,
            day: 29,
            ..i.clone()
        };
        assert_eq!(birth_date(&leap, d(2024, 1, 1)), Some(d(2000, 2, 29)));
        assert_eq!(birth_date(&leap, d(1999, 1, 1)), None);
        let bogus = CfInfo {
            month: 13,
            ..i.clone()
        };
        assert_eq!(birth_date(&bogus, d(2024, 1, 1)), None);
        let bogus = CfInfo {
            birth_date_yy: 200,
            ..i
        };
        assert_eq!(birth_date(&bogus, d(2024, 1, 1)), None);
    }

    #[test]
    fn consistency_with_declared_data() {
        let i = parse("SPSNNA48D44L768G").unwrap();
        assert!(consistent_with(&i, d(1948, 4, 4), Sex::F).is_empty());
        assert!(consistent_with(&i, d(2048, 4, 4), Sex::F).is_empty());
        let m = consistent_with(&i, d(1949, 5, 5), Sex::M);
        let codes: Vec<&str> = m.iter().map(Mismatch::code).collect();
        assert_eq!(
            codes,
            [
                "cf_birth_year_mismatch",
                "cf_birth_month_mismatch",
                "cf_birth_day_mismatch",
                "cf_sex_mismatch"
            ]
        );
        assert_eq!(m[0], Mismatch::Year { cf: 48, declared: 49 });
        assert!(m[3].message_it().contains("Il sesso nel codice fiscale (F)"));
        assert!(m.iter().all(|x| !x.message_it().is_empty()));
    }

    #[test]
    fn name_codes() {
        assert_eq!(family_name_code("Rossi"), "RSS");
        assert_eq!(family_name_code("De Luca"), "DLC");
        assert_eq!(family_name_code("Fo"), "FOX");
        assert_eq!(family_name_code("D'Angelo"), "DNG");
        assert_eq!(family_name_code("Lì"), "LIX");
        assert_eq!(family_name_code("Hu"), "HUX");
        assert_eq!(family_name_code("O"), "OXX");
        assert_eq!(family_name_code(""), "XXX");
        assert_eq!(family_name_code("Müller-Lüdenscheidt"), "MLL");
        assert_eq!(family_name_code("Ñúñez"), "NNZ");
        assert_eq!(given_name_code("Alessandro"), "LSN");
        assert_eq!(given_name_code("Al"), "LAX");
        assert_eq!(given_name_code("Marco"), "MRC");
        assert_eq!(given_name_code("Niccolò"), "NCL");
        assert_eq!(given_name_code("Maria Grazia"), "MGR");
        assert_eq!(given_name_code("Gianfranco"), "GFR");
        assert_eq!(given_name_code("Anna"), "NNA");
        assert_eq!(given_name_code("Eva"), "VEA");
        assert_eq!(given_name_code("Yuri"), "YRU");
        // Decomposed (NFD) accents: the combining mark is dropped.
        assert_eq!(given_name_code("Nicco\u{300}lo\u{300}"), "NCL");
        assert_eq!(family_name_code("Strauß"), "STR");
        assert_eq!(family_name_code("Øster"), "STR");
        assert_eq!(family_name_code("ŁUKASIEWICZ"), "LKS");
        assert_eq!(family_name_code("Nguyễn"), "NGY");
        assert_eq!(given_name_code("Lệ"), "LEX");
        assert_eq!(family_name_code("Đặng"), "DNG");
        assert_eq!(family_name_code("Trương"), "TRN");
        assert_eq!(family_name_code("Ǆumhur"), "DZM");
        // Non-Latin scripts are dropped (see `fold_lower`).
        assert_eq!(family_name_code("Иван"), "XXX");
    }

    #[test]
    fn compute_examples_and_round_trips() {
        assert_eq!(
            compute("Rossi", "Marco", Sex::M, d(1980, 1, 1), "F205"),
            "RSSMRC80A01F205Z"
        );
        assert_eq!(
            compute("Esposito", "Anna", Sex::F, d(1948, 4, 4), "L768"),
            "SPSNNA48D44L768G"
        );
        let cases = [
            ("De Luca", "Fo", Sex::M, d(1999, 12, 31), "F205"),
            ("Fo", "Alessandro", Sex::M, d(2000, 2, 29), "Z110"),
            ("Bianchi", "Niccolò", Sex::M, d(1962, 7, 15), "M424"),
            ("D'Angelo", "Maria Grazia", Sex::F, d(1975, 9, 9), "C014"),
            ("Dell'Acqua Bianchi", "Anna Maria", Sex::F, d(2012, 10, 1), "A010"),
            ("Ng", "Li", Sex::F, d(2023, 3, 31), "z210"),
        ];
        for (fam, giv, sex, date, place) in cases {
            let cf = compute(fam, giv, sex, date, place);
            let i = parse(&cf).unwrap_or_else(|e| panic!("{cf}: {e}"));
            assert_eq!(birth_date(&i, d(2024, 1, 1)), Some(date), "{cf}");
            assert_eq!(i.sex, sex);
            assert_eq!(i.birthplace, place.to_ascii_uppercase());
            assert_eq!(i.family_name_code, family_name_code(fam));
            assert_eq!(i.given_name_code, given_name_code(giv));
            assert!(consistent_with(&i, date, sex).is_empty());
        }
        let bad = compute("Rossi", "Marco", Sex::M, d(1980, 1, 1), "F2O5!");
        assert!(bad.ends_with('?') && parse(&bad).is_err());
    }

    #[test]
    fn codice_fiscale_type() {
        let cf: CodiceFiscale = "RSSMRC80A01F20RU".parse().unwrap();
        assert_eq!(cf.as_str(), "RSSMRC80A01F20RU");
        assert!(cf.is_omocodic());
        assert_eq!(cf.base_code(), "RSSMRC80A01F205Z");
        assert_eq!(cf.info().birthplace, "F205");
        assert_eq!(cf.to_string(), "RSSMRC80A01F20RU");
        assert!(CodiceFiscale::parse("RSSMRC80A01F205A").is_err());
        assert!(CodiceFiscale::try_from("rssmrc80a01f205z".to_string()).is_err());
        let s: String = cf.clone().into();
        assert_eq!(s, "RSSMRC80A01F20RU");
    }

    #[test]
    fn codice_fiscale_deserializes_only_valid_codes() {
        #[derive(Deserialize)]
        struct Row {
            cf: CodiceFiscale,
        }
        let read = |text: &str| -> Vec<Result<Row, csv::Error>> {
            csv::Reader::from_reader(text.as_bytes()).deserialize().collect()
        };
        let ok = read("cf\nRSSMRC80A01F20RU\n");
        assert_eq!(ok[0].as_ref().unwrap().cf.info().omocodia_level, 1);
        assert!(read("cf\nRSSMRC80A01F205A\n")[0].is_err());
    }

    #[test]
    fn numeric_codes() {
        assert!(is_valid_numeric_cf("00743110157"));
        assert_eq!(numeric_cf_check_digit("0074311015"), Some('7'));
        assert!(!is_valid_numeric_cf("00743110158"));
        assert!(!is_valid_numeric_cf("IT00743110157"));
        assert!(!is_valid_numeric_cf("0074311015"));
        assert!(!is_valid_numeric_cf("0074311015a"));
        assert!(!is_valid_numeric_cf("0074311015７"));
        assert!(!is_valid_numeric_cf(""));
        // Matricola all zeros; office code 150 not assigned.
        let zero = format!("0000000015{}", numeric_cf_check_digit("0000000015").unwrap());
        assert!(!is_valid_numeric_cf(&zero));
        let office150 = format!("0074311150{}", numeric_cf_check_digit("0074311150").unwrap());
        assert!(!is_valid_numeric_cf(&office150));
        for office in ["001", "100", "120", "121", "888", "999"] {
            let first10 = format!("1234567{office}");
            let code = format!("{first10}{}", numeric_cf_check_digit(&first10).unwrap());
            assert!(is_valid_numeric_cf(&code), "{code}");
        }
        assert_eq!(numeric_cf_check_digit("123"), None);
    }

    #[test]
    fn check_char_input_validation() {
        assert_eq!(check_char("RSSMRC80A01F205"), Some('Z'));
        assert_eq!(check_char("RSSMRC80A01F20R"), Some('U'));
        assert_eq!(check_char("rssmrc80a01f205"), None);
        assert_eq!(check_char("RSSMRC80A01F20"), None);
        assert_eq!(check_char("RSSMRC80A01F2€"), None);
        assert_eq!(check_char(""), None);
    }

    /// Small deterministic PRNG (xorshift64*), to avoid a dev-dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn never_panics_on_random_input() {
        let alphabet: Vec<char> = "ABCDEHLMPRSTUVXZ0123456789abcxyz O'-.àèìòùÀÉßØ€😀\u{300}\u{0}\t\n７Ｚ"
            .chars()
            .collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let bases = ["RSSMRC80A01F205Z", "SPSNNA48D44L768G", "RSSMRC80A01F20RU"];
        let mut accepted = 0;
        for n in 0..5000 {
            let s: String = if n % 2 == 0 {
                let len = rng.below(20);
                (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect()
            } else {
                // Mutate one or two characters of a valid code.
                let mut c: Vec<char> = bases[rng.below(bases.len())].chars().collect();
                for _ in 0..=rng.below(2) {
                    let at = rng.below(c.len());
                    c[at] = alphabet[rng.below(alphabet.len())];
                }
                c.into_iter().collect()
            };
            if let Ok(info) = parse(&s) {
                accepted += 1;
                assert!(s.len() == 16 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
                assert!(info.month >= 1 && info.month <= 12 && info.day >= 1 && info.day <= 31);
                assert_eq!(parse(&decode_omocodia(&s)).map(|i| i.omocodia_level), Ok(0));
                let _ = birth_date(&info, d(2024, 1, 1));
            }
            let _ = CodiceFiscale::parse(&s);
            let _ = check_char(&s);
            let _ = decode_omocodia(&s);
            let _ = omocode(&s, (n % 9) as u8);
            let _ = repair_letter_o(&s);
            let _ = is_valid_numeric_cf(&s);
            let _ = numeric_cf_check_digit(&s);
            let _ = compute(&s, &s, Sex::F, d(1990, 1, 1), &s);
            let _ = family_name_code(&s);
            let _ = given_name_code(&s);
        }
        assert!(
            accepted > 0,
            "mutations of valid codes should sometimes stay valid"
        );
    }
}
