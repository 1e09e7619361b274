//! Exact amounts and monthly service hours.
//!
//! The XSD types amounts as `xs:decimal`; floating point is never used.
//! [`Importo`] is a number of euro cents, written with two decimals
//! (`101.23`, `17000.00`). [`OreServizio`] is the `OreServizioMensile`
//! attribute, "HH,MM (HH ore e MM minuti)" per the specification, written as
//! an `xs:decimal` whose two decimals are minutes (`2.59` = 2 h 59 min, as in
//! INPS's own samples).

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A text that is not an amount with at most two decimals (or an hours.minutes value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a decimal with at most two decimals")]
pub struct DecimalError(pub String);

/// An amount in euro, exact to the cent (may be negative, so that wrong input
/// can be represented and reported by validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Importo(i64);

impl Importo {
    /// Zero euro.
    pub const ZERO: Importo = Importo(0);

    /// `cents` euro cents.
    pub const fn from_cents(cents: i64) -> Importo {
        Importo(cents)
    }

    /// Whole euro.
    pub const fn from_euro(euro: i64) -> Importo {
        Importo(euro * 100)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Strictly positive.
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Strictly negative.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self × num / den`, rounded half away from zero to the cent (Java's
    /// `RoundingMode.HALF_UP`, which SISO uses). `den` must not be 0.
    pub fn mul_div_half_up(self, num: i64, den: i64) -> Importo {
        assert!(den != 0, "division by zero");
        let n = i128::from(self.0) * i128::from(num);
        let d = i128::from(den);
        let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
        let q = n / d;
        let r = n % d;
        let q = if 2 * r.abs() >= d { q + n.signum() } else { q };
        Importo(q as i64)
    }

    /// Sum, saturating at the `i64` bounds.
    pub fn saturating_add(self, other: Importo) -> Importo {
        Importo(self.0.saturating_add(other.0))
    }
}

impl std::ops::Add for Importo {
    type Output = Importo;
    fn add(self, o: Importo) -> Importo {
        Importo(self.0 + o.0)
    }
}

impl std::ops::Sub for Importo {
    type Output = Importo;
    fn sub(self, o: Importo) -> Importo {
        Importo(self.0 - o.0)
    }
}

impl std::iter::Sum for Importo {
    fn sum<I: Iterator<Item = Importo>>(iter: I) -> Importo {
        iter.fold(Importo::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Importo {
    /// `xs:decimal` with two decimals: `-1.50`, `0.00`, `17000.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

/// Parses an `xs:decimal` lexical form with at most two significant
/// decimals (`12`, `12.5`, `+12.50`, `-0.01`, `.5`, `12.500`); returns the
/// value ×100. A comma is not accepted (the XML uses a dot).
fn parse_hundredths(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 2 {
        return None;
    }
    let int_v: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac_v: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    if frac.len() == 1 {
        frac_v *= 10;
    }
    let v = int_v.checked_mul(100)?.checked_add(frac_v)?;
    Some(if neg { -v } else { v })
}

impl FromStr for Importo {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Importo, DecimalError> {
        parse_hundredths(s.trim())
            .map(Importo)
            .ok_or_else(|| DecimalError(s.to_string()))
    }
}

impl Serialize for Importo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

struct DecimalVisitor;

impl de::Visitor<'_> for DecimalVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal with at most two decimals, as a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        parse_hundredths(v.trim()).ok_or_else(|| E::custom(DecimalError(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        v.checked_mul(100).ok_or_else(|| E::custom("amount out of range"))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v)
            .ok()
            .and_then(|v| v.checked_mul(100))
            .ok_or_else(|| E::custom("amount out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // The shortest representation that round-trips (`101.23`), then exact parsing.
        self.visit_str(&format!("{v}"))
    }
}

impl<'de> Deserialize<'de> for Importo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Importo, D::Error> {
        d.deserialize_any(DecimalVisitor).map(Importo)
    }
}

/// Monthly hours of service (`OreServizioMensile`), kept in whole minutes.
///
/// Written as `H.MM` where `MM` are minutes (`2.59` = 2 h 59 min; 2 h 5 min
/// is `2.05`; whole hours are `2.00`). Reading accepts what INPS's samples
/// use (`2`, `2.59`) and reads one decimal as tens of minutes (`2.5` = the
/// decimal 2.50 = 2 h 50 min); minutes from 60 on are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OreServizio {
    minutes: u32,
}

impl OreServizio {
    /// `ore` hours and `minuti` minutes; `None` if `minuti >= 60`.
    pub fn new(ore: u32, minuti: u32) -> Option<OreServizio> {
        (minuti < 60).then(|| OreServizio {
            minutes: ore.saturating_mul(60).saturating_add(minuti),
        })
    }

    /// A total number of minutes.
    pub fn from_minutes(minutes: u32) -> OreServizio {
        OreServizio { minutes }
    }

    /// Total minutes.
    pub fn total_minutes(self) -> u32 {
        self.minutes
    }

    /// Whole hours.
    pub fn ore(self) -> u32 {
        self.minutes / 60
    }

    /// Minutes beyond the whole hours (0–59).
    pub fn minuti(self) -> u32 {
        self.minutes % 60
    }
}

impl fmt::Display for OreServizio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.ore(), self.minuti())
    }
}

impl FromStr for OreServizio {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<OreServizio, DecimalError> {
        let err = || DecimalError(s.to_string());
        let v = parse_hundredths(s.trim()).ok_or_else(err)?;
        let v = u32::try_from(v).map_err(|_| err())?;
        OreServizio::new(v / 100, v % 100).ok_or_else(err)
    }
}

impl Serialize for OreServizio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OreServizio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OreServizio, D::Error> {
        let v = d.deserialize_any(DecimalVisitor)?;
        u32::try_from(v)
            .ok()
            .and_then(|v| OreServizio::new(v / 100, v % 100))
            .ok_or_else(|| de::Error::custom("invalid hours.minutes value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importo_parse_and_format() {
        let p = |s: &str| s.parse::<Importo>().map(|i| i.to_string());
        assert_eq!(p("101.23").unwrap(), "101.23");
        assert_eq!(p("17000.0").unwrap(), "17000.00");
        assert_eq!(p("0.0").unwrap(), "0.00");
        assert_eq!(p("12").unwrap(), "12.00");
        assert_eq!(p("-0.5").unwrap(), "-0.50");
        assert_eq!(p("+3.10").unwrap(), "3.10");
        assert_eq!(p(".5").unwrap(), "0.50");
        assert_eq!(p("1.2300").unwrap(), "1.23");
        assert!(p("1.234").is_err());
        assert!(p("1,23").is_err());
        assert!(p("").is_err());
        assert!(p(".").is_err());
        assert!(p("1e3").is_err());
    }

    #[test]
    fn half_up() {
        let i = Importo::from_cents(100_000); // 1000.00
        assert_eq!(i.mul_div_half_up(1, 3).to_string(), "333.33");
        assert_eq!(Importo::from_cents(200).mul_div_half_up(1, 3).to_string(), "0.67");
        assert_eq!(Importo::from_cents(5).mul_div_half_up(1, 2).to_string(), "0.03");
        assert_eq!(Importo::from_cents(-5).mul_div_half_up(1, 2).to_string(), "-0.03");
    }

    #[test]
    fn serde_forms() {
        let i: Importo = serde_json::from_str("\"12.30\"").unwrap();
        assert_eq!(i, Importo::from_cents(1230));
        let i: Importo = serde_json::from_str("101.23").unwrap();
        assert_eq!(i, Importo::from_cents(10123));
        let i: Importo = serde_json::from_str("7").unwrap();
        assert_eq!(i, Importo::from_cents(700));
        assert_eq!(
            serde_json::to_string(&Importo::from_cents(5)).unwrap(),
            "\"0.05\""
        );
        assert!(serde_json::from_str::<Importo>("1.005").is_err());
    }

    #[test]
    fn ore_servizio() {
        let o: OreServizio = "2.59".parse().unwrap();
        assert_eq!((o.ore(), o.minuti()), (2, 59));
        assert_eq!(o.to_string(), "2.59");
        assert_eq!("2".parse::<OreServizio>().unwrap().to_string(), "2.00");
        assert_eq!("2.5".parse::<OreServizio>().unwrap().minuti(), 50);
        assert!("2.60".parse::<OreServizio>().is_err());
        assert!("-1".parse::<OreServizio>().is_err());
        assert_eq!(OreServizio::from_minutes(125).to_string(), "2.05");
        assert!(OreServizio::new(1, 60).is_none());
    }
}
