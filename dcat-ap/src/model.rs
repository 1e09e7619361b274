//! Value types shared by catalogues, datasets and distributions.
//!
//! These are plain data: they are validated when handed to a builder
//! ([`crate::CatalogBuilder`], [`crate::DatasetBuilder`],
//! [`crate::DistributionBuilder`]), which reports every problem at once.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde::{Deserialize, Serialize};

use crate::error::InvalidIri;
use crate::vocab::ChecksumAlgorithm;

/// A validated absolute IRI.
///
/// Accepted: `scheme:rest` where the scheme is RFC 3987-shaped, the rest is
/// non-empty, contains no whitespace, controls or any of `<>"{}|\^``, and
/// every `%` starts a two-hex-digit escape.  Such a string can be written
/// verbatim between `<…>` in Turtle and in an XML attribute (after `&`/`"`
/// escaping).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iri(String);

impl Iri {
    /// Parse and validate.
    pub fn parse(s: &str) -> Result<Iri, InvalidIri> {
        let err = |reason: &str| InvalidIri {
            value: s.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| err("no scheme"))?;
        let mut sc = scheme.chars();
        if !sc.next().is_some_and(|c| c.is_ascii_alphabetic())
            || !sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(err("invalid scheme"));
        }
        if rest.is_empty() {
            return Err(err("empty after scheme"));
        }
        let bytes: Vec<char> = rest.chars().collect();
        for (i, &c) in bytes.iter().enumerate() {
            if c.is_whitespace() || c.is_control() {
                return Err(err("contains whitespace or a control character"));
            }
            let u = c as u32;
            if (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE {
                return Err(err("contains a Unicode noncharacter"));
            }
            if matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`') {
                return Err(err(&format!("contains forbidden character {c:?}")));
            }
            if c == '%'
                && !(bytes.get(i + 1).is_some_and(|c| c.is_ascii_hexdigit())
                    && bytes.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()))
            {
                return Err(err("'%' not followed by two hex digits"));
            }
        }
        Ok(Iri(s.to_string()))
    }

    /// Parse an `http(s)://host/…` URL (used for access/download URLs,
    /// homepages, landing pages).
    pub fn parse_http(s: &str) -> Result<Iri, InvalidIri> {
        let iri = Iri::parse(s)?;
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        match rest {
            Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(iri),
            _ => Err(InvalidIri {
                value: s.to_string(),
                reason: "not an http(s) URL with a host".to_string(),
            }),
        }
    }

    /// The IRI text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Iri {
    type Error = InvalidIri;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Iri::parse(&s)
    }
}

impl From<Iri> for String {
    fn from(i: Iri) -> String {
        i.0
    }
}

impl fmt::Display for Iri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A language-tagged string (`"…"@it`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LangString {
    /// BCP 47 language tag, e.g. `it`, `en`.
    pub lang: String,
    /// The text (plain text, no HTML).
    pub value: String,
}

impl LangString {
    /// New tagged string.
    pub fn new(lang: impl Into<String>, value: impl Into<String>) -> Self {
        LangString {
            lang: lang.into(),
            value: value.into(),
        }
    }
    /// Italian string.
    pub fn it(value: impl Into<String>) -> Self {
        LangString::new("it", value)
    }
    /// English string.
    pub fn en(value: impl Into<String>) -> Self {
        LangString::new("en", value)
    }
}

/// A date (`xsd:date`) or a date-time with offset (`xsd:dateTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateValue {
    /// Calendar date, serialised as `xsd:date` (`2025-01-31`).
    Date(NaiveDate),
    /// Instant with explicit offset, serialised as `xsd:dateTime`
    /// (`2025-01-31T02:30:00+01:00`, `Z` for UTC).
    DateTime(DateTime<FixedOffset>),
}

impl DateValue {
    /// Calendar date part (in the value's own offset).
    pub fn date(&self) -> NaiveDate {
        match self {
            DateValue::Date(d) => *d,
            DateValue::DateTime(dt) => dt.date_naive(),
        }
    }

    /// Lexical form.
    pub fn lexical(&self) -> String {
        match self {
            DateValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            DateValue::DateTime(dt) => dt.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

impl From<NaiveDate> for DateValue {
    fn from(d: NaiveDate) -> Self {
        DateValue::Date(d)
    }
}

impl From<DateTime<FixedOffset>> for DateValue {
    fn from(d: DateTime<FixedOffset>) -> Self {
        DateValue::DateTime(d)
    }
}

impl From<DateTime<chrono::Utc>> for DateValue {
    fn from(d: DateTime<chrono::Utc>) -> Self {
        DateValue::DateTime(d.fixed_offset())
    }
}

/// A `dcatapit:Agent` (publisher, rights holder): an organisation identified
/// by its IPA code (`dct:identifier`) with its official IPA name (`foaf:name`).
///
/// Serialised with a minted IRI `{base}agent/{ipa_code}`, distinct from any
/// contact point IRI (DCAT-AP_IT "Errori comuni": different objects need
/// different URIs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Agent {
    /// IPA code, e.g. `c_f205` (letters, digits, `_`).
    pub ipa_code: String,
    /// Official name as registered in IndicePA.
    pub name: String,
}

impl Agent {
    /// New agent.
    pub fn new(ipa_code: impl Into<String>, name: impl Into<String>) -> Self {
        Agent {
            ipa_code: ipa_code.into(),
            name: name.into(),
        }
    }
}

/// A contact point (`dcat:contactPoint`), serialised as
/// `dcatapit:Organization, vcard:Organization, vcard:Kind` with a minted IRI
/// `{base}contact-point/{email}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContactPoint {
    /// Office name (`vcard:fn`); an office, never a person.
    pub name: String,
    /// E-mail address (`vcard:hasEmail`, written as a `mailto:` IRI).
    pub email: String,
    /// Optional web page (`vcard:hasURL`).
    pub url: Option<String>,
}

impl ContactPoint {
    /// New contact point.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        ContactPoint {
            name: name.into(),
            email: email.into(),
            url: None,
        }
    }

    /// Set the web page.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

/// Spatial coverage (`dct:spatial`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Spatial {
    /// A GeoNames feature, written as `<https://sws.geonames.org/{id}/>`
    /// (the form the DCAT-AP 3 vocabulary shapes recognise), typed
    /// `dct:Location`.  E.g. 3173435 = Milano.
    GeoNames(u64),
    /// Any other location IRI (e.g. an ISTAT / OntoPiA territorial IRI),
    /// typed `dct:Location`.
    Iri(String),
    /// A location known only by name: an anonymous `dct:Location` with
    /// `locn:geographicName`.  DCAT-AP_IT allows the name only when no
    /// identifier is available; the DCAT-AP 3 shapes raise a *Warning* for it.
    Named(LangString),
}

/// Temporal coverage (`dct:temporal`), a `dct:PeriodOfTime`.
///
/// Serialised with both `dcatapit:startDate`/`endDate` (DCAT-AP_IT) and
/// `dcat:startDate`/`endDate` (DCAT-AP 2/3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PeriodOfTime {
    /// Start (mandatory in DCAT-AP_IT).
    pub start: NaiveDate,
    /// End, if the period is closed.
    pub end: Option<NaiveDate>,
}

impl PeriodOfTime {
    /// Open-ended period.
    pub fn from(start: NaiveDate) -> Self {
        PeriodOfTime { start, end: None }
    }
    /// Closed period.
    pub fn between(start: NaiveDate, end: NaiveDate) -> Self {
        PeriodOfTime {
            start,
            end: Some(end),
        }
    }
}

/// A standard or schema the dataset conforms to (`dct:conformsTo`),
/// serialised as `dcatapit:Standard, dct:Standard`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Standard {
    /// IRI of the standard / schema.
    pub iri: String,
    /// Identifier (`dct:identifier`, mandatory in DCAT-AP_IT).
    pub identifier: String,
    /// Optional titles.
    pub titles: Vec<LangString>,
}

impl Standard {
    /// New standard.
    pub fn new(iri: impl Into<String>, identifier: impl Into<String>) -> Self {
        Standard {
            iri: iri.into(),
            identifier: identifier.into(),
            titles: Vec::new(),
        }
    }

    /// Add a title.
    pub fn with_title(mut self, title: LangString) -> Self {
        self.titles.push(title);
        self
    }
}

/// A distribution checksum (`spdx:checksum`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Checksum {
    /// Algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// Hex digest (normalised to lower case on build).
    pub value: String,
}

impl Checksum {
    /// New checksum.
    pub fn new(algorithm: ChecksumAlgorithm, value: impl Into<String>) -> Self {
        Checksum {
            algorithm,
            value: value.into(),
        }
    }
}

/// A dataset identifier in the AgID form `<IPA code>:<local id>`
/// (e.g. `agid:D.1`, `c_f205:stradario`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DatasetId {
    ipa_code: String,
    local_id: String,
}

impl DatasetId {
    /// Parse `ipa:local`.
    pub fn parse(s: &str) -> Result<DatasetId, String> {
        let (ipa, local) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not of the form <IPA code>:<local id>"))?;
        DatasetId::new(ipa, local)
    }

    /// From parts.
    pub fn new(ipa_code: &str, local_id: &str) -> Result<DatasetId, String> {
        crate::validate::check_ipa_code(ipa_code)?;
        crate::validate::check_slug(local_id, "local id")?;
        Ok(DatasetId {
            ipa_code: ipa_code.to_string(),
            local_id: local_id.to_string(),
        })
    }

    /// IPA code part.
    pub fn ipa_code(&self) -> &str {
        &self.ipa_code
    }

    /// Local part.
    pub fn local_id(&self) -> &str {
        &self.local_id
    }
}

impl fmt::Display for DatasetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.ipa_code, self.local_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iri_validation() {
        assert!(Iri::parse("https://dati.example.it/a/b?c=d#e").is_ok());
        assert!(Iri::parse("mailto:urp@example.it").is_ok());
        assert!(Iri::parse("https://example.it/città").is_ok());
        assert!(Iri::parse("https://example.it/%20").is_ok());
        assert!(Iri::parse("https://example.it/%2").is_err());
        assert!(Iri::parse("https://example.it/a b").is_err());
        assert!(Iri::parse("https://example.it/<x>").is_err());
        assert!(Iri::parse("https://example.it/\u{FFFF}").is_err());
        assert!(Iri::parse("no-scheme").is_err());
        assert!(Iri::parse("1http://x").is_err());
        assert!(Iri::parse_http("ftp://example.it/x").is_err());
        assert!(Iri::parse_http("https:///x").is_err());
    }

    #[test]
    fn dataset_id() {
        let id = DatasetId::parse("c_f205:stradario").unwrap();
        assert_eq!(id.ipa_code(), "c_f205");
        assert_eq!(id.local_id(), "stradario");
        assert_eq!(id.to_string(), "c_f205:stradario");
        assert!(DatasetId::parse("agid:D.1").is_ok());
        assert!(DatasetId::parse("stradario").is_err());
        assert!(DatasetId::parse("c f205:x").is_err());
        assert!(DatasetId::parse("c_f205:a/b").is_err());
    }

    #[test]
    fn date_lexical() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        assert_eq!(DateValue::from(d).lexical(), "2025-01-31");
        let dt = DateTime::parse_from_rfc3339("2025-01-31T02:30:00+01:00").unwrap();
        assert_eq!(DateValue::from(dt).lexical(), "2025-01-31T02:30:00+01:00");
        let utc = DateTime::parse_from_rfc3339("2025-01-31T02:30:00.5+00:00").unwrap();
        assert_eq!(DateValue::from(utc).lexical(), "2025-01-31T02:30:00.500Z");
    }
}
