//! Date parsing for exports in the formats comuni actually produce.

use chrono::NaiveDate;

/// Formats tried, in order, when a mapping does not declare one. They are
/// mutually unambiguous (no `mm/dd/yyyy`).
const AUTO_FORMATS: &[&str] = &["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d"];

/// Parses a date. With `format` (a chrono format string from the source
/// definition) only that format is accepted; otherwise the common Italian and
/// ISO forms are tried. An ISO timestamp (`2001-02-03T00:00:00`, as Excel and
/// Parquet exports produce) is accepted and its date part kept.
pub fn parse(value: &str, format: Option<&str>) -> Option<NaiveDate> {
    let value = value.trim();
    if let Some(fmt) = format {
        if let Ok(d) = NaiveDate::parse_from_str(value, fmt) {
            return Some(d);
        }
    } else {
        for fmt in AUTO_FORMATS {
            if let Ok(d) = NaiveDate::parse_from_str(value, fmt) {
                return Some(d);
            }
        }
    }
    // Timestamps from typed sources (Excel, Parquet) whatever the format.
    let date_part = value.split(['T', ' ']).next()?;
    if date_part.len() == 10 && date_part != value {
        return NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok();
    }
    None
}

/// Earliest birth date accepted for a living resident.
pub fn min_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1890, 1, 1).expect("valid constant date")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn auto_formats() {
        assert_eq!(parse("1980-01-31", None), Some(d(1980, 1, 31)));
        assert_eq!(parse("31/01/1980", None), Some(d(1980, 1, 31)));
        assert_eq!(parse("31-01-1980", None), Some(d(1980, 1, 31)));
        assert_eq!(parse("31.01.1980", None), Some(d(1980, 1, 31)));
        assert_eq!(parse("19800131", None), Some(d(1980, 1, 31)));
        assert_eq!(parse("1980-01-31T00:00:00", None), Some(d(1980, 1, 31)));
        assert_eq!(parse("1980-01-31 00:00:00", None), Some(d(1980, 1, 31)));
    }

    #[test]
    fn rejects_impossible_and_ambiguous() {
        assert_eq!(parse("30/02/1980", None), None);
        assert_eq!(parse("29/02/1981", None), None);
        assert_eq!(parse("01/31/1980", None), None);
        assert_eq!(parse("", None), None);
        assert_eq!(parse("ieri", None), None);
        assert_eq!(parse("1980-13-01", None), None);
    }

    #[test]
    fn declared_format_is_strict() {
        assert_eq!(parse("31/01/1980", Some("%d/%m/%Y")), Some(d(1980, 1, 31)));
        assert_eq!(parse("1980-01-31", Some("%d/%m/%Y")), None);
        assert_eq!(
            parse("1980-01-31T00:00:00", Some("%d/%m/%Y")),
            Some(d(1980, 1, 31))
        );
    }
}
