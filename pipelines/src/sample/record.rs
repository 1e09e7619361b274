//! One resident as the schema sees it (a value per mapping target), before
//! it is written in a source's own coding and after defects are injected.

use super::layouts::AddressStyle;
use super::population::{Family, Person};
use chrono::NaiveDate;
use metrodati_interop::validate::anagrafe::Target;

/// A field value in schema terms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Value {
    /// Empty cell.
    #[default]
    Empty,
    Text(String),
    Date(NaiveDate),
    /// A calendar-impossible date (day, month, year as written), e.g.
    /// 31/02/1985 or month 13.
    BadDate {
        year: i32,
        month: u32,
        day: u32,
    },
}

/// A cell as written to a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Str(String),
    /// A typed date (Parquet).
    Date(NaiveDate),
    /// A number: typed in spreadsheets, written in the source's decimal
    /// convention in text formats.
    Number(f64),
}

/// The address parts, kept to rebuild the one-field address after a defect
/// changes the DUG.
#[derive(Debug, Clone)]
pub(crate) struct AddressParts {
    pub dug: String,
    pub street: String,
    pub number: String,
    pub exponent: Option<String>,
    pub style: AddressStyle,
}

impl AddressParts {
    pub(crate) fn full(&self) -> String {
        let mut s = format!("{} {}", self.dug, self.street);
        match self.style {
            AddressStyle::Slash => s.push(' '),
            AddressStyle::CommaSlash => s.push_str(", "),
            AddressStyle::Space => s.push(' '),
        }
        s.push_str(&self.number);
        if let Some(e) = &self.exponent {
            s.push(if self.style == AddressStyle::Space {
                ' '
            } else {
                '/'
            });
            s.push_str(e);
        }
        s
    }
}

/// One row in schema terms, plus what the unmapped columns need.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub values: [Value; Target::COUNT],
    pub address: AddressParts,
    pub person_id: u64,
    pub municipio: Option<u8>,
    pub street_code: u32,
    pub sezione: u32,
    pub note: Option<&'static str>,
}

impl Record {
    pub(crate) fn new(
        p: &Person,
        f: &Family,
        style: AddressStyle,
        sezioni: u32,
        note: Option<&'static str>,
    ) -> Record {
        let a = &f.address;
        let address = AddressParts {
            dug: a.street.dug.to_string(),
            street: a.street.name.to_string(),
            number: a.number.to_string(),
            exponent: a.exponent.map(str::to_string),
            style,
        };
        let mut r = Record {
            values: Default::default(),
            person_id: p.id,
            municipio: a.street.municipio,
            street_code: a.street_code,
            sezione: 1 + (a.street_code + a.number / 40) % sezioni.max(1),
            note,
            address,
        };
        let text = |s: &str| Value::Text(s.to_string());
        r.set(Target::TaxCode, text(&p.tax_code));
        r.set(Target::FamilyName, text(&p.family_name));
        r.set(Target::GivenName, text(&p.given_name));
        r.set(Target::SexId, text(p.sex.as_str()));
        r.set(Target::DateOfBirth, Value::Date(p.birth_date));
        r.set(Target::BirthPlaceCode, text(p.birth_place));
        r.set(Target::CitizenshipCode, text(p.citizenship));
        r.set(Target::MaritalStatusCode, text(p.marital));
        r.set(Target::ResidentPersonId, Value::Text(format!("{:09}", p.id)));
        r.set(
            Target::RegisteredFamilyCode,
            Value::Text(format!("{:07}", f.code)),
        );
        r.set(Target::ParentalRelationshipTypeCode, text(p.relation));
        r.set(Target::ToponymQualifier, text(a.street.dug));
        r.set(Target::OfficialStreetName, text(a.street.name));
        r.set(Target::StreetNumber, Value::Text(a.number.to_string()));
        r.set(
            Target::StreetNumberExponent,
            a.exponent.map(text).unwrap_or_default(),
        );
        r.set(Target::PostCode, text(&a.cap));
        r.set(Target::ResidenceStartDate, Value::Date(p.residence_start));
        r.set(Target::FullAddress, Value::Text(r.address.full()));
        r
    }

    pub(crate) fn get(&self, t: Target) -> &Value {
        &self.values[t as usize]
    }

    pub(crate) fn set(&mut self, t: Target, v: Value) {
        self.values[t as usize] = v;
    }

    pub(crate) fn text(&self, t: Target) -> Option<&str> {
        match self.get(t) {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Formats a (possibly impossible) date with a chrono-style format. Handles
/// the specifiers exports use (`%Y %y %m %d %e %-m %-d %%`); any other
/// specifier makes the result `None`.
pub(crate) fn format_date_parts(format: &str, year: i32, month: u32, day: u32) -> Option<String> {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'Y' => out.push_str(&format!("{year:04}")),
            'y' => out.push_str(&format!("{:02}", year.rem_euclid(100))),
            'm' => out.push_str(&format!("{month:02}")),
            'd' => out.push_str(&format!("{day:02}")),
            'e' => out.push_str(&format!("{day:>2}")),
            '%' => out.push('%'),
            '-' => match chars.next()? {
                'm' => out.push_str(&month.to_string()),
                'd' => out.push_str(&day.to_string()),
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(out)
}

/// Formats a date with a chrono format string (definitions are validated,
/// but a broken format must not panic: ISO is used then).
pub(crate) fn format_date(d: NaiveDate, format: &str) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if write!(s, "{}", d.format(format)).is_err() {
        s = d.format("%Y-%m-%d").to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_dates_follow_the_declared_format() {
        assert_eq!(
            format_date_parts("%d/%m/%Y", 1985, 2, 31).as_deref(),
            Some("31/02/1985")
        );
        assert_eq!(
            format_date_parts("%Y-%m-%d", 1985, 13, 1).as_deref(),
            Some("1985-13-01")
        );
        assert_eq!(
            format_date_parts("%Y%m%d", 1985, 4, 31).as_deref(),
            Some("19850431")
        );
        assert_eq!(format_date_parts("%d %B %Y", 1985, 4, 31), None);
        let d = NaiveDate::from_ymd_opt(1985, 1, 2).unwrap();
        assert_eq!(format_date(d, "%d.%m.%Y"), "02.01.1985");
        assert_eq!(
            format_date_parts("%d.%m.%Y", 1985, 1, 2).unwrap(),
            format_date(d, "%d.%m.%Y")
        );
    }

    #[test]
    fn full_address_styles() {
        let mut a = AddressParts {
            dug: "VIA".into(),
            street: "ROMA".into(),
            number: "12".into(),
            exponent: Some("A".into()),
            style: AddressStyle::Slash,
        };
        assert_eq!(a.full(), "VIA ROMA 12/A");
        a.style = AddressStyle::CommaSlash;
        assert_eq!(a.full(), "VIA ROMA, 12/A");
        a.style = AddressStyle::Space;
        a.exponent = Some("BIS".into());
        assert_eq!(a.full(), "VIA ROMA 12 BIS");
        a.exponent = None;
        assert_eq!(a.full(), "VIA ROMA 12");
    }
}
